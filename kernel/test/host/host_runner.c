/* host_runner.c - the host runner for tests written with kernel/test/test.h:
 * the same macros as in QEMU, run by a normal process. Prints one line per
 * test and "N passed, N failed"; test_main returns the exit status (0 if all
 * passed). Expected-panic tests cannot occur on the host (the host build of
 * the allocator returns errors instead of panicking): they count as failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "test/test.h"

extern const struct test_case __start_test_cases[], __stop_test_cases[];

static jmp_buf test_env;
static const struct test_case *test_current;
static void (*test_after_each)(void);

void test_set_after_each(void (*fn)(void))
{
	test_after_each = fn;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	fflush(stdout);
	fprintf(stdout, "\n    %s:%d: in %s: ", file, line, test_current ? test_current->name : "?");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	longjmp(test_env, 1);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs one test; returns true if it passed. setjmp lives here, apart from
 * the caller's counters, so nothing the caller keeps can be clobbered. */
static bool run_one(const struct test_case *t)
{
	if (setjmp(test_env) != 0)
		return false;
	t->fn();
	if (t->flags & TEST_EXPECT_PANIC)
		test_fail(t->file, t->line, "expected a panic; the host build cannot panic");
	if (test_after_each)
		test_after_each();
	return true;
}

int test_main(void)
{
	unsigned passed = 0, failed = 0;
	for (const struct test_case *t = __start_test_cases; t < __stop_test_cases; t++) {
		test_current = t;
		printf("test %s ... ", t->name);
		fflush(stdout);
		double t0 = now_ms();
		if (run_one(t)) {
			passed++;
			printf("ok (%.1f ms)\n", now_ms() - t0);
		} else {
			failed++;
			printf("FAILED (%s:%d)\n", t->file, t->line);
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	fflush(stdout);
	return failed ? 1 : 0;
}
