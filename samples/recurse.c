/* recurse.c - workload "recurse", for the fault tests (trace/test/fault_test.sh):
 * unbounded recursion, one small allocation per level, until the boot stack
 * runs into the unmapped guard below it (kernel/stack.h). The kernel must
 * report a stack overflow (status 5) and still flush the trace, which ends
 * flagged panic with every allocation made on the way down. */
#include "console.h"
#include "exit.h"
#include "workload.h"

/* deeper than any stack: the bottom is never reached (volatile, so the
 * compiler cannot prove the recursion endless and refuse it) */
static volatile unsigned long bottom = ~0ul;

static unsigned long __attribute__((noinline)) descend(unsigned long depth)
{
	if (depth == bottom)
		return 0;
	void *p = kalloc(16, 16);
	unsigned long levels = descend(depth + 1) + 1;
	if (p)
		kdealloc(p, 16, 16);
	return levels;
}

int workload_recurse(void)
{
	workload_phase("recurse");
	kprintf("recurse workload: recursing without end (on purpose)\n");
	kprintf("recurse workload: returned after %lu levels\n", descend(0));
	return EXIT_WORKLOAD_FAILED;
}
