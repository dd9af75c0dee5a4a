/* selftest/hang.c - deliberately failing image: one test passes, the next one
 * never ends. Expected: the host-side timeout kills QEMU (status 124), and
 * scripts/run-tests.sh counts the test that passed before the hang and one
 * failure naming the hanging test. */
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE(selftest_passes_before_the_hang) { ASSERT_EQ(2 + 2, 4); }

TEST_CASE(selftest_hangs)
{
	for (;;)
		__asm__ volatile("wfi");
}
