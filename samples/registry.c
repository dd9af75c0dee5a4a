/* registry.c - the table of sample workloads and the helpers they share. */
#include "workload.h"

#include "bootargs.h"
#include "console.h"
#include "kstring.h"

int workload_vector(void);
int workload_churn(void);
int workload_frag(void);
int workload_lifetimes(void);
int workload_million(void);
int workload_panic(void);
int workload_hang(void);
int workload_recurse(void);
int workload_ring(void);
int workload_paced(void);
int workload_paths(void);

static const struct workload workloads[] = {
    {"vector", "growable vectors pushed, shrunk and freed (regrowth copies)", workload_vector},
    {"churn", "seeded random alloc/free, mixed sizes and alignments", workload_churn},
    {"frag", "alternating frees leave holes; a large request then fails", workload_frag},
    {"lifetimes", "long-lived objects pinned among short-lived ones", workload_lifetimes},
    {"million", "small alloc/free pairs: over 1,000,000 events", workload_million},
    {"panic", "churn, then a double free that panics on purpose", workload_panic},
    {"hang", "churn, then spins forever (fault tests: a hung kernel)", workload_hang},
    {"recurse", "unbounded recursion into the stack guard (fault tests)", workload_recurse},
    {"ring", "allocator microbenchmark: instructions per free+alloc pair (live=N)", workload_ring},
    {"paced", "slow, phased activity to watch live (secs=20 rate=400): make live", workload_paced},
    {"paths", "4,096 distinct call paths, each twice: more stacks than trace.depth's table holds", workload_paths},
};

const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return 0;
}

void workload_list(void)
{
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
		kprintf("  %-10s %s\n", workloads[i].name, workloads[i].summary);
}

uint64_t workload_seed(void)
{
	unsigned long s = bootargs_ulong("seed", 1);
	return s ? s * 0x9e3779b97f4a7c15ull : 0x9e3779b97f4a7c15ull;
}

unsigned long workload_ops(unsigned long def)
{
	return bootargs_ulong("ops", def);
}

static inline uint8_t pattern(uintptr_t a, uint32_t tag)
{
	return (uint8_t)((a >> 4) ^ (a >> 12) ^ tag ^ (tag >> 8));
}

void workload_fill(void *p, size_t n, uint32_t tag)
{
	uint8_t *b = p;
	/* ends and a stride: cheap enough for a million events */
	for (size_t i = 0; i < n; i += 64)
		b[i] = pattern((uintptr_t)&b[i], tag);
	if (n)
		b[n - 1] = pattern((uintptr_t)&b[n - 1], tag);
}

int workload_verify(const void *p, size_t n, uint32_t tag)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i += 64)
		if (b[i] != pattern((uintptr_t)&b[i], tag))
			return -1;
	if (n && b[n - 1] != pattern((uintptr_t)&b[n - 1], tag))
		return -1;
	return 0;
}
