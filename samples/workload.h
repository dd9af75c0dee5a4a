/* workload.h - the sample workloads the kernel runs (workload=NAME at boot).
 *
 * Each workload is a function in samples/<name>.c, listed once in
 * samples/registry.c. It allocates from the global heap (kernel/kheap.h),
 * labels its phases with workload_phase(), checks its own results and
 * returns 0 or EXIT_WORKLOAD_FAILED.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdint.h>

#include "kheap.h"
#include "trace.h"

struct workload {
	const char *name;    /* "churn" */
	const char *summary; /* one line for the list printed on a bad name */
	int (*run)(void);
};

/* The workload called name, or NULL. */
const struct workload *workload_find(const char *name);
/* Prints every workload with its summary. */
void workload_list(void);

/* A phase boundary: a MARKER labelled name, and a flush point of the trace
 * (the only ones in deferred mode). */
static inline void workload_phase(const char *name)
{
	kheap_mark(name);
	trace_flush();
}

/* Deterministic xorshift64 generator (seeded from the boot argument seed=). */
struct rng {
	uint64_t s;
};
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->s = x;
}
/* Uniform-ish in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* Boot-argument helpers for workloads: seed= (default 1), ops= (default def). */
uint64_t workload_seed(void);
unsigned long workload_ops(unsigned long def);

/* Fills and checks a block with a pattern derived from its address and tag,
 * so a workload notices if the allocator hands out overlapping memory. */
void workload_fill(void *p, size_t n, uint32_t tag);
int workload_verify(const void *p, size_t n, uint32_t tag);

#endif /* WORKLOAD_H */
