/* workload.h - random allocation workloads on the real allocator core (kernel/heap.c),
 * for heapviz tests, benches and the trace generator. Events carry a fake heap
 * base (WL_BASE) so traces look like the kernel's. */
#ifndef VIZ_WORKLOAD_H
#define VIZ_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"

#define WL_BASE      0x80400000ull                   /* heap base written into events */
#define WL_CALLERS   6                               /* distinct fake call sites */
#define WL_CALLER(k) (0x80201000ull + 0x40ull * (k)) /* address of call site k */

struct wl_live {
	void *ptr;
	size_t size, align;
};

typedef void (*wl_sink_fn)(void *ctx, const struct heap_event *ev);

struct workload {
	struct heap heap; /* the real allocator */
	void *mem;        /* its memory */
	size_t len;
	uint64_t seq, time; /* stamps */
	uint64_t rng;       /* xorshift state */
	wl_sink_fn sink;
	void *ctx;
	struct wl_live *live; /* blocks the workload holds */
	size_t nlive, caplive;
	size_t target_live; /* the workload frees more once above this */
	size_t live_max;    /* target_live is drawn from [8, 8 + live_max) (default 400) */
};

/* Sets up a heap of len bytes and emits INIT. Returns false on no memory. */
bool wl_init(struct workload *w, size_t len, uint64_t seed, wl_sink_fn sink, void *ctx);
/* One random operation (alloc, free, sometimes a marker); emits its events. */
void wl_step(struct workload *w);
/* Emits END and frees everything the workload holds. */
void wl_finish(struct workload *w);

#endif /* VIZ_WORKLOAD_H */
