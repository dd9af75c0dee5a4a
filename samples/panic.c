/* panic.c - workload "panic": some churn, then a double free on purpose, so
 * the trace shows a panic mid-run (END flagged panic, a readable prefix). */
#include "console.h"
#include "exit.h"
#include "workload.h"

int churn_run(unsigned long ops, uint64_t seed);

int workload_panic(void)
{
	churn_run(workload_ops(2000), workload_seed());
	workload_phase("double-free");
	void *p = kalloc(64, 16);
	kdealloc(p, 64, 16);
	kprintf("panic workload: freeing %p a second time (this must panic)\n", p);
	kdealloc(p, 64, 16);
	kprintf("panic workload: the double free did not panic\n");
	return EXIT_WORKLOAD_FAILED;
}
