/* selftest/many.c - a passing image with more tests than the runner once held
 * (512): 600 made by a macro, then one written last. Expected: "running 601
 * tests", every one run and passed, the last one too, exit 0. */
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

/* selftest_many_000 ... selftest_many_599 */
#define MANY_1(n) TEST_CASE(selftest_many_##n) { ASSERT_EQ(1 + 1, 2); }
#define MANY_10(n)                                                                          \
	MANY_1(n##0) MANY_1(n##1) MANY_1(n##2) MANY_1(n##3) MANY_1(n##4) MANY_1(n##5)       \
	MANY_1(n##6) MANY_1(n##7) MANY_1(n##8) MANY_1(n##9)
#define MANY_100(n)                                                                         \
	MANY_10(n##0) MANY_10(n##1) MANY_10(n##2) MANY_10(n##3) MANY_10(n##4) MANY_10(n##5) \
	MANY_10(n##6) MANY_10(n##7) MANY_10(n##8) MANY_10(n##9)

MANY_100(0)
MANY_100(1)
MANY_100(2)
MANY_100(3)
MANY_100(4)
MANY_100(5)

TEST_CASE(selftest_many_written_last) { ASSERT_EQ(2 * 3, 6); }
