/* lifetimes.c - workload "lifetimes": short-lived objects (a ring of 8) with a
 * long-lived one kept every 50 operations; the long-lived ones end up spread
 * over the heap and pin it in pieces after the short-lived ones are gone. */
#include "console.h"
#include "exit.h"
#include "workload.h"

#define RING          8
#define LONG_MAX_OBJS 200

struct obj {
	void *p;
	size_t size;
};

static struct obj ring[RING], keep[LONG_MAX_OBJS];

int workload_lifetimes(void)
{
	struct rng r = {workload_seed()};
	unsigned long ops = workload_ops(8000);
	size_t nkeep = 0;
	int bad = 0;

	workload_phase("mixed");
	for (unsigned long op = 0; op < ops; op++) {
		struct obj *o = &ring[op % RING];
		if (o->p) {
			bad |= workload_verify(o->p, o->size, 1);
			kdealloc(o->p, o->size, 16);
		}
		o->size = 32 + rng_below(&r, 480);
		o->p = kalloc(o->size, 16);
		if (o->p)
			workload_fill(o->p, o->size, 1);
		if (op % 50 == 49 && nkeep < LONG_MAX_OBJS) {
			struct obj *k = &keep[nkeep];
			k->size = 64 + rng_below(&r, 192);
			k->p = kmalloc(k->size);
			if (k->p) {
				workload_fill(k->p, k->size, 2);
				nkeep++;
			}
		}
		if (op % 512 == 511)
			trace_flush();
	}
	workload_phase("short-lived-freed");
	for (unsigned i = 0; i < RING; i++)
		if (ring[i].p) {
			bad |= workload_verify(ring[i].p, ring[i].size, 1);
			kdealloc(ring[i].p, ring[i].size, 16);
			ring[i].p = 0;
		}
	struct heap_stats st;
	heap_stats(kheap(), &st);
	kprintf("lifetimes: %lu long-lived objects pin %lu free blocks (largest %lu of %lu free)\n",
	        (unsigned long)nkeep, (unsigned long)st.free_blocks, (unsigned long)st.largest_free,
	        (unsigned long)st.free_bytes);
	workload_phase("long-lived-freed");
	for (size_t i = 0; i < nkeep; i++) {
		bad |= workload_verify(keep[i].p, keep[i].size, 2);
		kfree(keep[i].p);
		keep[i].p = 0;
	}
	workload_phase("done");
	if (bad)
		kprintf("lifetimes: a block was overwritten\n");
	return bad || kheap()->used ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
