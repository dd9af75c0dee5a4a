/* exit.h - leaving QEMU with a status (SBI SRST, the virt test finisher). */
#ifndef EXIT_H
#define EXIT_H

#include <stdbool.h>

/* QEMU exit statuses. 0 = success; each failure kind has its own code. */
enum exit_status {
	EXIT_OK = 0,
	EXIT_TEST_FAILED = 1,     /* a test assertion failed */
	EXIT_PANIC = 2,           /* panic() outside an expected-panic test */
	EXIT_TRAP = 3,            /* unexpected trap (exception) */
	EXIT_PANIC_MISSING = 4,   /* a test that must panic returned normally */
	EXIT_STACK_OVERFLOW = 5,  /* a stack canary was overwritten */
	EXIT_WORKLOAD_FAILED = 6, /* a sample workload found a wrong result */
	EXIT_TRACE_LOST = 7,      /* the host could not write the trace (disk full?) */
};

/* Called once before leaving, with the status and whether a panic is the
 * cause; the trace sink uses it to flush. NULL to clear. */
typedef void (*exit_hook_fn)(int status, bool panicking);
void exit_set_hook(exit_hook_fn fn);

/* Runs the exit hook, then leaves QEMU with status: the finisher for a
 * failure (SRST cannot carry a code), SBI SRST shutdown otherwise, the
 * legacy SBI shutdown as a fallback. Never returns. */
void kexit(int status) __attribute__((noreturn));
void kexit_panicking(int status) __attribute__((noreturn)); /* same, hook told it is a panic */

#endif /* EXIT_H */
