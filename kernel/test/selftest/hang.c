/* selftest/hang.c - deliberately failing image: a test never ends. Expected:
 * the host-side timeout kills QEMU (status 124) and the image is counted failed. */
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE(selftest_hangs)
{
	for (;;)
		__asm__ volatile("wfi");
}
