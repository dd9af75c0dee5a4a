/* selftest/panic.c - deliberately failing image: a test panics unexpectedly.
 * Expected: the panic message and file:line, "0 passed, 1 failed", exit EXIT_PANIC (2). */
#include "panic.h"
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE(selftest_unexpected_panic) { panic("selftest_unexpected_panic: deliberate"); }
