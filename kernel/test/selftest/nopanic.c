/* selftest/nopanic.c - deliberately failing image: a test that must panic
 * returns normally. Expected: "expected panic did not happen", exit
 * EXIT_PANIC_MISSING (4). */
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE_SHOULD_PANIC(selftest_missing_panic) {}
