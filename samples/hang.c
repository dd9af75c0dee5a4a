/* hang.c - workload "hang", for the fault tests (trace/test/fault_test.sh):
 * some churn, a "spin" marker, then a loop that never ends and makes no more
 * heap events. The periodic flush must still bring every event before the
 * spin to the host, and a capture stopped by its time limit, by a signal or
 * by Ctrl-C must say the trace was cut short. */
#include "console.h"
#include "workload.h"

int churn_run(unsigned long ops, uint64_t seed);

int workload_hang(void)
{
	churn_run(workload_ops(500), workload_seed());
	workload_phase("spin");
	kprintf("hang workload: spinning forever (on purpose)\n");
	for (;;)
		__asm__ volatile("" ::: "memory");
}
