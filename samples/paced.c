/* paced.c - workload "paced": for `make live`. Heap activity slow enough to
 * watch: for secs= seconds (default 20) it cycles through phases that visibly
 * change the map (grow a population of mixed sizes, punch holes by freeing
 * every other block, refill the holes with smaller blocks, drain), at about
 * rate= allocator calls per second (default 400), flushing the trace after each
 * phase so the viewer sees it at once. Deterministic for a given seed=. */
#include "bootargs.h"
#include "console.h"
#include "exit.h"
#include "riscv.h"
#include "workload.h"

#define PACED_SLOTS 512

static struct {
	void *p;
	uint32_t size, align;
} pslot[PACED_SLOTS];

static uint64_t paced_next; /* rdtime of the next call allowed */
static uint64_t paced_gap;  /* rdtime ticks between calls */

/* Waits until the next call is due. */
static void paced_wait(void)
{
	while (rdtime() < paced_next)
		;
	paced_next += paced_gap;
}

static void paced_alloc(struct rng *r, unsigned i, uint32_t max)
{
	paced_wait();
	pslot[i].size = 16 + (uint32_t)rng_below(r, max);
	pslot[i].align = rng_below(r, 8) ? 16 : 256;
	pslot[i].p = kalloc(pslot[i].size, pslot[i].align); /* NULL is fine: a failure to see */
}

static void paced_free(unsigned i)
{
	if (!pslot[i].p)
		return;
	paced_wait();
	kdealloc(pslot[i].p, pslot[i].size, pslot[i].align);
	pslot[i].p = 0;
}

int workload_paced(void)
{
	unsigned long secs = bootargs_ulong("secs", 20), rate = bootargs_ulong("rate", 400);
	if (rate < 1 || rate > 1000000) {
		kprintf("paced: rate= must be 1..1000000 calls per second\n");
		return EXIT_WORKLOAD_FAILED;
	}
	struct rng r = {workload_seed()};
	paced_gap = TIMEBASE_HZ / rate;
	paced_next = rdtime();
	uint64_t end = rdtime() + secs * TIMEBASE_HZ;
	unsigned long rounds = 0;
	while (rdtime() < end) {
		workload_phase("grow");
		for (unsigned i = 0; i < PACED_SLOTS; i++)
			paced_alloc(&r, i, 2048);
		workload_phase("punch holes");
		for (unsigned i = 0; i < PACED_SLOTS; i += 2)
			paced_free(i);
		workload_phase("refill small");
		for (unsigned i = 0; i < PACED_SLOTS; i += 2)
			paced_alloc(&r, i, 256);
		workload_phase("drain");
		for (unsigned i = 0; i < PACED_SLOTS; i++)
			paced_free((i * 7) %
			           PACED_SLOTS); /* 7 is coprime with 512: every slot once */
		rounds++;
	}
	kprintf("paced: %lu rounds in %lu s\n", rounds, secs);
	return EXIT_OK;
}
