/* workload.c - random allocation workloads on the real allocator core, for tests and benches. */
#include "workload.h"

#include <stdlib.h>
#include <string.h>

static uint64_t wl_rand(struct workload *w)
{
	uint64_t x = w->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return w->rng = x;
}

static void wl_trace(void *ctx, struct heap_event *ev)
{
	struct workload *w = ctx;
	uintptr_t hb = (uintptr_t)w->mem;
	ev->seq = w->seq++;
	w->time += 1 + wl_rand(w) % 50;
	ev->time = w->time;
	if (ev->addr)
		ev->addr = ev->addr - hb + WL_BASE;
	if (ev->addr2)
		ev->addr2 = ev->addr2 - hb + WL_BASE;
	w->sink(w->ctx, ev);
}

bool wl_init(struct workload *w, size_t len, uint64_t seed, wl_sink_fn sink, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->mem = aligned_alloc(4096, len);
	if (!w->mem)
		return false;
	w->len = len;
	w->rng = seed ? seed : 88172645463325252ull;
	w->sink = sink;
	w->ctx = ctx;
	w->live_max = 400;
	w->target_live = 16 + wl_rand(w) % 48;
	return heap_init(&w->heap, w->mem, len, wl_trace, w);
}

static size_t wl_size(struct workload *w)
{
	uint64_t r = wl_rand(w) % 100;
	if (r < 60)
		return 1 + wl_rand(w) % 64;
	if (r < 90)
		return 64 + wl_rand(w) % 960;
	if (r < 99)
		return 1024 + wl_rand(w) % 8192;
	return 16384 + wl_rand(w) % (w->len / 4);
}

void wl_step(struct workload *w)
{
	uint64_t r = wl_rand(w) % 1000;
	if (r == 0) {
		heap_mark(&w->heap, (wl_rand(w) & 1) ? "phase-a" : "phase-b");
		return;
	}
	if (r < 3)
		w->target_live = 8 + wl_rand(w) % w->live_max;
	bool do_alloc = w->nlive == 0 || (w->nlive < w->target_live ? r < 650 : r < 350);
	uintptr_t caller = (uintptr_t)WL_CALLER(wl_rand(w) % WL_CALLERS);
	if (do_alloc) {
		size_t size = wl_size(w);
		size_t align = (wl_rand(w) % 10 == 0) ? (size_t)16 << (wl_rand(w) % 6) : 16;
		void *p = heap_alloc(&w->heap, size, align, caller);
		if (!p)
			return;
		if (w->nlive == w->caplive) {
			size_t cap = w->caplive ? w->caplive * 2 : 64;
			struct wl_live *l = realloc(w->live, cap * sizeof *l);
			if (!l) {
				heap_free(&w->heap, p, size, align, caller);
				return;
			}
			w->live = l;
			w->caplive = cap;
		}
		w->live[w->nlive++] = (struct wl_live){p, size, align};
	} else {
		size_t i = wl_rand(w) % w->nlive;
		struct wl_live b = w->live[i];
		w->live[i] = w->live[--w->nlive];
		heap_free(&w->heap, b.ptr, b.size, b.align, caller);
	}
}

void wl_finish(struct workload *w)
{
	struct heap_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = HEAP_EV_END;
	ev.size = w->seq + 1;
	ev.block = w->heap.used;
	wl_trace(w, &ev);
	free(w->live);
	free(w->mem);
	w->live = NULL;
	w->mem = NULL;
}
