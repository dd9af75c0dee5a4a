/* selftest/assert.c - deliberately failing image: one passing test, one failed
 * assertion. Expected: report names the test, the expression and both values;
 * summary "1 passed, 1 failed"; QEMU exits with EXIT_TEST_FAILED (1). */
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

TEST_CASE(selftest_passing_test) { ASSERT_EQ(2 + 2, 4); }

TEST_CASE(selftest_failing_assertion)
{
	int answer = 41;
	ASSERT_EQ(answer, 42);
}
