/* churn.c - workload "churn": seeded random allocs and frees of mixed sizes
 * and alignments over 256 slots; deterministic for a given seed= and ops=. */
#include "console.h"
#include "exit.h"
#include "workload.h"

#define SLOTS 256

static struct slot {
	void *p;
	size_t size, align;
	uint32_t tag;
} slots[SLOTS];

/* Sizes: mostly small, some medium, few large; alignments mostly the minimum. */
static void churn_pick(struct rng *r, size_t *size, size_t *align)
{
	uint64_t k = rng_below(r, 100);
	*size = k < 60   ? 1 + rng_below(r, 128)
	        : k < 90 ? 129 + rng_below(r, 1024)
	        : k < 99 ? 1024 + rng_below(r, 8192)
	                 : 8192 + rng_below(r, 32768);
	uint64_t a = rng_below(r, 100);
	*align = a < 80 ? 16 : a < 90 ? 32 : a < 96 ? 64 : a < 99 ? 256 : 4096;
}

/* Allocates slot s; returns false on an allocation failure (fine under churn). */
static bool churn_alloc(struct rng *r, unsigned s, uint32_t tag)
{
	struct slot *sl = &slots[s];
	churn_pick(r, &sl->size, &sl->align);
	sl->p = kalloc(sl->size, sl->align);
	if (!sl->p)
		return false;
	sl->tag = tag;
	workload_fill(sl->p, sl->size, tag);
	return true;
}

/* Frees slot s after checking nobody wrote over it; returns -1 if someone did. */
static int churn_free(unsigned s)
{
	struct slot *sl = &slots[s];
	int bad = workload_verify(sl->p, sl->size, sl->tag);
	if (bad)
		kprintf("churn: block %p (size %lu) was overwritten\n", sl->p,
		        (unsigned long)sl->size);
	kdealloc(sl->p, sl->size, sl->align);
	sl->p = 0;
	return bad;
}

/* The churn itself; shared with the "panic" workload. Returns failures found. */
int churn_run(unsigned long ops, uint64_t seed)
{
	struct rng r = {seed};
	unsigned long fails = 0;
	int bad = 0;
	workload_phase("fill");
	for (unsigned s = 0; s < SLOTS; s += 2)
		fails += !churn_alloc(&r, s, s);
	workload_phase("churn");
	for (unsigned long op = 0; op < ops; op++) {
		unsigned s = (unsigned)rng_below(&r, SLOTS);
		if (slots[s].p)
			bad |= churn_free(s);
		else
			fails += !churn_alloc(&r, s, (uint32_t)op);
		if (op % 512 == 511)
			trace_flush();
	}
	workload_phase("drain");
	for (unsigned s = 0; s < SLOTS; s++)
		if (slots[s].p)
			bad |= churn_free(s);
	workload_phase("done");
	if (kheap()->used != 0) {
		kprintf("churn: %lu bytes still in use after the drain\n",
		        (unsigned long)kheap()->used);
		bad = 1;
	}
	kprintf("churn: %lu ops, %lu allocation failures\n", ops, fails);
	return bad;
}

int workload_churn(void)
{
	return churn_run(workload_ops(20000), workload_seed()) ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
