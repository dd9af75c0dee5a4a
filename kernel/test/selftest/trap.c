/* selftest/trap.c - deliberately failing image: a test stores to an address
 * with no memory. Expected: "unexpected trap: store/AMO access fault" with
 * sepc/stval, exit EXIT_TRAP (3). */
#include <stdint.h>

#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE(selftest_store_fault)
{
	volatile uint64_t *volatile bad = (volatile uint64_t *)0x10ull; /* no memory there */
	*bad = 1;
}
