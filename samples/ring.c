/* ring.c - workload "ring": the allocator microbenchmark. live= slots (default
 * 256, at most RING_MAX) are filled, then each of ops= steps (default 20,000, at
 * most RING_STEPS_MAX) frees a random slot and allocates a size uniform in
 * 16..4096 bytes aligned to 4 << (r & 3) (4 to 32) in its place. Each free+alloc
 * pair is timed in retired instructions (exact under QEMU -icount shift=0; run
 * with trace=off to measure the allocator alone), and the workload prints
 *   ring: live N, steps S, instructions per free+alloc pair: mean M p50 A p99 B max C
 * for trace/bench/ring.sh. Needs about live x 2 KiB of heap (HEAP_SIZE). */
#include "bootargs.h"
#include "console.h"
#include "exit.h"
#include "riscv.h"
#include "workload.h"

#define RING_MAX       1024
#define RING_STEPS_MAX 20000

static struct {
	void *p;
	uint32_t size, align;
} slot[RING_MAX];
static uint32_t cost[RING_STEPS_MAX]; /* instructions of each step's pair */

/* A size uniform in 16..4096 and an alignment 4 << (r & 3), from one draw. */
static void ring_request(struct rng *r, uint32_t *size, uint32_t *align)
{
	uint64_t x = rng_next(r);
	*size = 16 + (uint32_t)((x >> 8) % 4081);
	*align = 4u << (x & 3);
}

/* Moves a[k] down the max-heap a[0..n) to its place. */
static void sift_down(uint32_t *a, size_t k, size_t n)
{
	for (size_t c; (c = 2 * k + 1) < n; k = c) {
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[k] >= a[c])
			return;
		uint32_t t = a[k];
		a[k] = a[c];
		a[c] = t;
	}
}

/* In-place heap sort (no allocation: the heap is what is measured). */
static void sort_u32(uint32_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (size_t end = n; end > 1;) {
		end--;
		uint32_t t = a[0];
		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

int workload_ring(void)
{
	unsigned long live = bootargs_ulong("live", 256), steps = workload_ops(20000);
	if (live < 1 || live > RING_MAX || steps < 1 || steps > RING_STEPS_MAX) {
		kprintf("ring: live= must be 1..%d and ops= 1..%d\n", RING_MAX, RING_STEPS_MAX);
		return EXIT_WORKLOAD_FAILED;
	}
	struct rng r = {workload_seed()};
	workload_phase("fill");
	for (unsigned long i = 0; i < live; i++) {
		ring_request(&r, &slot[i].size, &slot[i].align);
		slot[i].p = kalloc(slot[i].size, slot[i].align);
		if (!slot[i].p) {
			kprintf("ring: the heap is too small for %lu live slots (HEAP_SIZE)\n",
			        live);
			return EXIT_WORKLOAD_FAILED;
		}
	}
	workload_phase("steps");
	uint64_t total = 0;
	for (unsigned long s = 0; s < steps; s++) {
		unsigned i = (unsigned)rng_below(&r, live);
		uint32_t size, align;
		ring_request(&r, &size, &align);
		uint64_t t0 = rdinstret();
		kdealloc(slot[i].p, slot[i].size, slot[i].align);
		void *p = kalloc(size, align);
		uint64_t t1 = rdinstret();
		if (!p) {
			kprintf("ring: step %lu: %u bytes did not fit (HEAP_SIZE too small)\n", s,
			        size);
			return EXIT_WORKLOAD_FAILED;
		}
		slot[i].p = p, slot[i].size = size, slot[i].align = align;
		cost[s] = (uint32_t)(t1 - t0);
		total += t1 - t0;
	}
	workload_phase("drain");
	for (unsigned long i = 0; i < live; i++)
		kdealloc(slot[i].p, slot[i].size, slot[i].align);
	sort_u32(cost, steps);
	kprintf(
	    "ring: live %lu, steps %lu, instructions per free+alloc pair: mean %lu p50 %u p99 %u "
	    "max %u\n",
	    live, steps, (unsigned long)(total / steps), cost[steps / 2],
	    cost[steps - 1 - steps / 100], cost[steps - 1]);
	return EXIT_OK;
}
