/* paths.c - workload "paths": allocations from more distinct call stacks than
 * the trace sink's table holds (4,096 paths, 1,024 ids), to show and test that
 * a full table never mis-attributes (docs/trace-wire.md, "Call stacks").
 *
 * Path k (0..PATHS_N-1) descends PATHS_LEVELS levels, at level i through
 * via_d with d the i-th base-4 digit of k (lowest first: the outermost
 * frame), then leaf allocates two blocks of 16 + k bytes from one call site
 * (the second has the first's stack) and, between them, blocks of
 * 16 + 4,096 + k bytes from another, whose stack may take the first's id
 * (a stale id would then name the wrong call site), and frees them all. Every
 * path is taken twice, the second time in another order, so evicted stacks
 * come back. With
 * trace.depth=8 each allocation's stack is leaf, the six via_d innermost
 * first, then take_path: the size says which digits they must be
 * (kernel/test/paths_test.sh checks every event). */
#include "console.h"
#include "exit.h"
#include "workload.h"

#define PATHS_LEVELS 6
#define PATHS_N      (1u << (2 * PATHS_LEVELS))

/* noipa: never inlined, cloned or merged with its twins (the four via_d are
 * the same code but for the digit); no sibling calls: each keeps its frame. */
#define PATH_FN __attribute__((noipa, optimize("no-optimize-sibling-calls")))

static unsigned long bad;
/* blocks a leaf allocates; volatile, so the loops below stay loops (one call
 * site each: the second block has the first's stack, a repeat the sink's
 * memo answers) */
static volatile unsigned copies = 2;

PATH_FN static void leaf(unsigned k)
{
	void *p[2], *q[2];
	size_t n = 16 + k, side = n + PATHS_N;
	unsigned m = copies < 2 ? copies : 2;
	for (unsigned i = 0; i < m; i++) {
		p[i] = kalloc(n, 16);    /* the path's block: the same stack twice */
		q[i] = kalloc(side, 16); /* another call site in between: its stack may evict p's */
		if (!p[i] || !q[i]) {
			bad++;
			return;
		}
		workload_fill(p[i], n, k);
	}
	for (unsigned i = 0; i < m; i++) {
		bad += workload_verify(p[i], n, k) != 0;
		kdealloc(p[i], n, 16);
		kdealloc(q[i], side, 16);
	}
}

static void via_0(unsigned left, unsigned k, unsigned rest);
static void via_1(unsigned left, unsigned k, unsigned rest);
static void via_2(unsigned left, unsigned k, unsigned rest);
static void via_3(unsigned left, unsigned k, unsigned rest);

/* One level down: through via_(rest's low digit), or the leaf at the bottom. */
#define DESCEND(left, k, rest)                                                      \
	do {                                                                        \
		if (!(left))                                                        \
			leaf(k);                                                    \
		else if (((rest) & 3) == 0)                                         \
			via_0((left) - 1, k, (rest) >> 2);                          \
		else if (((rest) & 3) == 1)                                         \
			via_1((left) - 1, k, (rest) >> 2);                          \
		else if (((rest) & 3) == 2)                                         \
			via_2((left) - 1, k, (rest) >> 2);                          \
		else                                                                \
			via_3((left) - 1, k, (rest) >> 2);                          \
	} while (0)

PATH_FN static void via_0(unsigned left, unsigned k, unsigned rest)
{
	DESCEND(left, k, rest);
}

PATH_FN static void via_1(unsigned left, unsigned k, unsigned rest)
{
	DESCEND(left, k, rest);
}

PATH_FN static void via_2(unsigned left, unsigned k, unsigned rest)
{
	DESCEND(left, k, rest);
}

PATH_FN static void via_3(unsigned left, unsigned k, unsigned rest)
{
	DESCEND(left, k, rest);
}

/* Path k, from the same frame whichever pass takes it. */
PATH_FN static void take_path(unsigned k)
{
	DESCEND(PATHS_LEVELS, k, k);
}

int workload_paths(void)
{
	workload_phase("in-order");
	for (unsigned k = 0; k < PATHS_N; k++)
		take_path(k);
	workload_phase("strided"); /* every path again, 1,021 apart: evicted stacks return */
	for (unsigned i = 0; i < PATHS_N; i++)
		take_path(i * 1021u % PATHS_N);
	workload_phase("done");
	kprintf("paths: %u paths taken twice, %lu bad\n", PATHS_N, bad);
	return bad || kheap()->used ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
