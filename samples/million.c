/* million.c - workload "million": 300,000 small alloc/free pairs over a ring of
 * 64 live blocks, over 1,000,000 trace events (split, alloc, free, coalesce). */
#include "console.h"
#include "exit.h"
#include "workload.h"

#define RING 64

static struct {
	void *p;
	size_t size;
} ring[RING];

int workload_million(void)
{
	unsigned long ops = workload_ops(300000);
	int bad = 0;
	workload_phase("pairs");
	for (unsigned long i = 0; i < ops; i++) {
		unsigned s = (unsigned)(i % RING);
		if (ring[s].p)
			kdealloc(ring[s].p, ring[s].size, 16);
		ring[s].size = 16 + (i * 7) % 200;
		ring[s].p = kalloc(ring[s].size, 16);
		if (!ring[s].p)
			bad = 1;
		else
			*(volatile uint8_t *)ring[s].p = (uint8_t)i;
		if (i % 4096 == 4095)
			trace_flush();
	}
	workload_phase("drain");
	for (unsigned s = 0; s < RING; s++)
		if (ring[s].p)
			kdealloc(ring[s].p, ring[s].size, 16);
	workload_phase("done");
	struct trace_stats ts;
	trace_get_stats(&ts);
	kprintf("million: %lu pairs, %lu trace events\n", ops, (unsigned long)ts.events);
	if (bad)
		kprintf("million: an allocation failed\n");
	return bad || kheap()->used ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
