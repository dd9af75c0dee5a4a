/* runner.c - the in-QEMU test runner: runs every TEST_CASE of the image,
 * one line each (name, ok/FAILED, instructions and time), then the summary
 * "N passed, N failed", and leaves QEMU: 0 if all passed, otherwise the exit
 * status of the first failure (kernel/exit.h says what each one means).
 *
 * A failed assertion, a panic or an unexpected trap inside a test jumps back
 * here (klongjmp); the runner reports it and goes on with the next test. */
#include <stdarg.h>
#include <stdint.h>

#include "console.h"
#include "exit.h"
#include "kstring.h"
#include "ksetjmp.h"
#include "panic.h"
#include "riscv.h"
#include "stack.h"
#include "test/test.h"

/* Bounds of the test_cases section (linker.ld). */
extern const struct test_case __start_test_cases[], __stop_test_cases[];

static kjmp_buf test_env;                  /* where failures of the running test land */
static const struct test_case *test_current;
static void (*test_after_each)(void);

void test_set_after_each(void (*fn)(void))
{
	test_after_each = fn;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	kprintf("    %s:%d: in %s: ", file, line, test_current ? test_current->name : "?");
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	panic_set_catcher(0);
	klongjmp(test_env, EXIT_TEST_FAILED);
}

static const char *outcome_name(int status)
{
	switch (status) {
	case EXIT_TEST_FAILED: return "assertion failed";
	case EXIT_PANIC: return "panic";
	case EXIT_TRAP: return "unexpected trap";
	case EXIT_PANIC_MISSING: return "expected panic did not happen";
	case EXIT_STACK_OVERFLOW: return "stack overflow";
	default: return "failed";
	}
}

/* Runs one test; returns 0 if it passed, else the exit status describing why. */
static int run_one(const struct test_case *t)
{
	bool expect_panic = t->flags & TEST_EXPECT_PANIC;
	volatile int status = ksetjmp(test_env);
	if (status == 0) {
		panic_set_catcher(&test_env);
		t->fn();
		panic_set_catcher(0);
		status = expect_panic ? EXIT_PANIC_MISSING : EXIT_OK;
	} else if (expect_panic && (status == EXIT_PANIC || status == EXIT_TRAP)) {
		status = EXIT_OK; /* it panicked (a trap panics too), as it must */
	}
	if (status == EXIT_OK && test_after_each) {
		if (ksetjmp(test_env) == 0)
			test_after_each();
		else
			status = EXIT_TEST_FAILED;
	}
	if (!stack_canaries_check())
		status = EXIT_STACK_OVERFLOW;
	return status;
}

/* Source order: file name, then line; two tests from one line (made by a
 * macro) by address. The tests of one file share its name's pointer. */
static int test_order(const struct test_case *a, const struct test_case *b)
{
	int c = a->file == b->file ? 0 : strcmp(a->file, b->file);
	if (c == 0)
		c = a->line < b->line ? -1 : a->line > b->line;
	if (c == 0)
		c = a < b ? -1 : a > b;
	return c;
}

/* The test after prev in source order (the first one if prev is 0), or 0
 * after the last. The linker keeps section entries in no useful order; this
 * scans the whole section each time instead of sorting into a table, so an
 * image may hold any number of tests (n^2 comparisons, nearly all of two
 * pointers: a few ms for a thousand tests). */
static const struct test_case *test_next(const struct test_case *prev)
{
	const struct test_case *best = 0;
	for (const struct test_case *t = __start_test_cases; t < __stop_test_cases; t++)
		if ((!prev || test_order(t, prev) > 0) && (!best || test_order(t, best) < 0))
			best = t;
	return best;
}

int test_main(void)
{
	unsigned passed = 0, failed = 0;
	int first_failure = EXIT_OK;
	kprintf("running %u tests\n", (unsigned)(__stop_test_cases - __start_test_cases));
	for (const struct test_case *t = test_next(0); t; t = test_next(t)) {
		test_current = t;
		kprintf("test %s ... ", t->name);
		uint64_t instr0 = rdinstret(), time0 = rdtime();
		int status = run_one(t);
		uint64_t instr = rdinstret() - instr0;
		uint64_t us = (rdtime() - time0) / (TIMEBASE_HZ / 1000000);
		if (status == EXIT_OK) {
			passed++;
			kprintf("ok (%lu instr, %lu us)\n", instr, us);
		} else {
			failed++;
			kprintf("FAILED: %s (%s:%d)\n", outcome_name(status), t->file, t->line);
			if (first_failure == EXIT_OK)
				first_failure = status;
			if (status == EXIT_STACK_OVERFLOW)
				break; /* memory beyond the stack is damaged: stop here */
		}
	}
	test_current = 0;
	kprintf("%u passed, %u failed\n", passed, failed);
	kexit(first_failure);
}
