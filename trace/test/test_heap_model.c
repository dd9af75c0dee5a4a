/* test_heap_model.c - the heap model against hand-made events with known
 * figures and against the real allocator core, event by event. */
#include <stdlib.h>
#include <string.h>

#include "heap_model.h"
#include "test/test.h"
#include "tracegen.h"

static struct heap_event ev_make(unsigned kind, uint64_t seq, uint64_t addr, uint64_t size,
                                 uint64_t block, uint64_t addr2, uint64_t size2)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = (uint8_t)kind;
	e.seq = seq;
	e.time = seq * 10;
	e.addr = addr;
	e.size = size;
	e.block = block;
	e.addr2 = addr2;
	e.size2 = size2;
	e.align_log2 = 4;
	return e;
}

/* Applies and asserts success. */
#define APPLY(m, ...)                                                                              \
	do {                                                                                       \
		struct heap_event e_ = ev_make(__VA_ARGS__);                                       \
		char err_[256] = "";                                                               \
		ASSERT_MSG(heap_model_apply((m), &e_, err_, sizeof err_), "%s", err_);             \
	} while (0)

/* Applies and asserts an impossible event whose message contains `what`. */
static void expect_impossible(heap_model *m, struct heap_event e, const char *what)
{
	char err[256] = "";
	struct heap_model_stats before, after;
	heap_model_stats(m, &before);
	ASSERT(!heap_model_apply(m, &e, err, sizeof err));
	ASSERT_MSG(strstr(err, what) != NULL, "message '%s' lacks '%s'", err, what);
	char num[32];
	snprintf(num, sizeof num, "event %llu:", (unsigned long long)e.seq);
	ASSERT_MSG(strstr(err, num) == err, "message '%s' does not start with '%s'", err, num);
	heap_model_stats(m, &after);
	ASSERT_EQ(after.used_bytes, before.used_bytes);
	ASSERT_EQ(after.free_blocks, before.free_blocks);
	ASSERT_EQ(after.live_blocks, before.live_blocks);
}

/* init 0x1000+1024, two allocs of 64, free of the first. */
static heap_model *small_heap(void)
{
	heap_model *m = heap_model_create(NULL);
	ASSERT_NOT_NULL(m);
	APPLY(m, HEAP_EV_INIT, 0, 0x1000, 1024, 16, 0, 0);
	APPLY(m, HEAP_EV_SPLIT, 1, 0x1000, 1024, 0, 0x1040, 960);
	APPLY(m, HEAP_EV_ALLOC, 2, 0x1000, 50, 64, 0, 0);
	APPLY(m, HEAP_EV_SPLIT, 3, 0x1040, 960, 0, 0x1080, 896);
	APPLY(m, HEAP_EV_ALLOC, 4, 0x1040, 64, 64, 0, 0);
	APPLY(m, HEAP_EV_FREE, 5, 0x1000, 50, 64, 0, 0);
	return m;
}

TEST_CASE(metrics_follow_known_events)
{
	heap_model *m = small_heap();
	const struct heap_model_stats *s = heap_model_peek(m);
	ASSERT_EQ(s->seq, 5ull);
	ASSERT_EQ(s->events, 6ull);
	ASSERT_EQ(s->used_bytes, 64ull);
	ASSERT_EQ(s->requested_bytes, 64ull);
	ASSERT_EQ(s->free_bytes, 960ull);
	ASSERT_EQ(s->live_blocks, 1ull);
	ASSERT_EQ(s->free_blocks, 2ull);
	ASSERT_EQ(s->largest_free, 896ull);
	ASSERT_MSG(s->frag > 0.0666 && s->frag < 0.0667, "frag %f", s->frag);
	double sq = 1.0 - (64.0 * 64 + 896.0 * 896) / (960.0 * 960);
	ASSERT_MSG(s->frag_sq > sq - 1e-12 && s->frag_sq < sq + 1e-12, "frag_sq %f", s->frag_sq);
	ASSERT_EQ(s->hist[6], 1ull);
	ASSERT_EQ(s->hist[9], 1ull);
	const struct heap_model_block *b = heap_model_find(m, 0x1040);
	ASSERT_NOT_NULL(b);
	ASSERT_EQ(b->size, 64ull);
	ASSERT_EQ(b->seq, 4ull);
	ASSERT_NULL(heap_model_find(m, 0x1000));
	heap_model_destroy(m);
}

TEST_CASE(free_merges_with_both_neighbours)
{
	heap_model *m = small_heap();
	APPLY(m, HEAP_EV_FREE, 6, 0x1040, 64, 64, 0, 0);
	const struct heap_model_stats *s = heap_model_peek(m);
	ASSERT_EQ(s->free_blocks, 1ull);
	ASSERT_EQ(s->largest_free, 1024ull);
	ASSERT_EQ(s->used_bytes, 0ull);
	ASSERT_EQ(s->live_blocks, 0ull);
	ASSERT_EQ(s->frag, 0.0);
	ASSERT_EQ(s->hist[10], 1ull);
	ASSERT_EQ(s->hist[6] + s->hist[9], 0ull);
	heap_model_destroy(m);
}

TEST_CASE(coalesce_must_match_the_merge_the_free_did)
{
	heap_model *m = small_heap();
	APPLY(m, HEAP_EV_FREE, 6, 0x1040, 64, 64, 0, 0);
	struct heap_event c = ev_make(HEAP_EV_COALESCE, 7, 0x1000, 1024, 0, 0x1040, 64);
	c.flags = HEAP_MERGED_PREV;
	expect_impossible(m, c, "neighbours give both");
	heap_model_destroy(m);

	m = small_heap();
	APPLY(m, HEAP_EV_FREE, 6, 0x1040, 64, 64, 0, 0);
	c.flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
	char err[256];
	ASSERT_MSG(heap_model_apply(m, &c, err, sizeof err), "%s", err);
	heap_model_destroy(m);
}

TEST_CASE(impossible_events_are_reported_with_their_number)
{
	heap_model *m = small_heap();
	expect_impossible(m, ev_make(HEAP_EV_FREE, 9, 0x1000, 50, 64, 0, 0), "not a live block");
	expect_impossible(m, ev_make(HEAP_EV_FREE, 10, 0x1050, 16, 16, 0, 0),
	                  "inside live block 0x1040");
	expect_impossible(m, ev_make(HEAP_EV_FREE, 11, 0x1040, 64, 128, 0, 0),
	                  "releases 128 bytes");
	expect_impossible(m, ev_make(HEAP_EV_ALLOC, 12, 0x1030, 64, 64, 0, 0),
	                  "overlaps live block 0x1040");
	expect_impossible(m, ev_make(HEAP_EV_ALLOC, 13, 0x1000, 32, 32, 0, 0), "no split");
	expect_impossible(m, ev_make(HEAP_EV_SPLIT, 14, 0x1040, 64, 0, 0, 0), "not a free block");
	expect_impossible(m, ev_make(HEAP_EV_ALLOC_FAIL, 15, 0, 4096, 1, 0, 896), "960");
	expect_impossible(m, ev_make(HEAP_EV_END, 16, 0, 20, 0, 0, 0), "the model has 64");
	heap_model_destroy(m);
	m = heap_model_create(NULL);
	expect_impossible(m, ev_make(HEAP_EV_ALLOC, 3, 0x1000, 64, 64, 0, 0),
	                  "before the heap's init");
	heap_model_destroy(m);
}

TEST_CASE(spans_tile_the_heap_in_address_order)
{
	heap_model *m = small_heap();
	struct {
		uint64_t addr, size;
		bool is_free;
	} want[] = {{0x1000, 64, true}, {0x1040, 64, false}, {0x1080, 896, true}}, got[8];
	size_t n = 0;
	struct heap_model_span sp;
	for (uint64_t a = 0x1000; heap_model_span_at(m, a, &sp); a = sp.addr + sp.size) {
		ASSERT_LT(n, (size_t)8);
		got[n].addr = sp.addr, got[n].size = sp.size, got[n].is_free = sp.is_free;
		n++;
	}
	ASSERT_EQ(n, (size_t)3);
	for (size_t i = 0; i < 3; i++) {
		ASSERT_EQ(got[i].addr, want[i].addr);
		ASSERT_EQ(got[i].size, want[i].size);
		ASSERT_EQ(got[i].is_free, want[i].is_free);
	}
	ASSERT(heap_model_span_at(m, 0x1044, &sp));
	ASSERT_EQ(sp.addr, 0x1040ull);
	ASSERT(!heap_model_span_at(m, 0x1400, &sp));
	heap_model_destroy(m);
}

/* ---- against the real allocator ------------------------------------------- */

struct walk_cmp {
	const heap_model *m;
	size_t bad;
	uint64_t used_run; /* bytes of model live blocks counted inside used runs */
};

/* heap_walk callback: every free block must be a model gap; every used run
 * must be made of model live blocks. */
static void walk_check(void *ctx, uintptr_t addr, size_t size, bool is_free)
{
	struct walk_cmp *w = ctx;
	struct heap_model_span sp;
	uint64_t a = (uint64_t)addr; /* addresses are already in trace space */
	if (is_free) {
		if (!heap_model_span_at(w->m, a, &sp) || !sp.is_free || sp.addr != a ||
		    sp.size != size)
			w->bad++;
		return;
	}
	for (uint64_t p = a; p < a + size; p += sp.size)
		if (!heap_model_span_at(w->m, p, &sp) || sp.is_free || sp.addr != p) {
			w->bad++;
			return;
		}
}

/* heap_walk in trace addresses. */
struct walk_shift {
	struct walk_cmp *w;
	uint64_t delta;
};
static void walk_shifted(void *ctx, uintptr_t addr, size_t size, bool is_free)
{
	struct walk_shift *s = ctx;
	walk_check(s->w, (uintptr_t)(addr + s->delta), size, is_free);
}

TEST_CASE(model_matches_the_real_allocator_after_every_operation)
{
	struct tracegen g;
	struct tracegen_opts o = {.heap_size = 256 * 1024, .collect = true, .workload = "churn"};
	ASSERT(tracegen_open(&g, &o));
	heap_model *m = heap_model_create(NULL);
	ASSERT_NOT_NULL(m);
	size_t done = 0;
	uint32_t seed = 12345;
	struct {
		uint64_t addr;
		uint32_t size, align;
	} live[400];
	size_t n = 0;
	for (int op = 0; op < 20000; op++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		if (n == 0 || (n < 400 && seed % 100 < 55)) {
			uint32_t size = 1 + (seed >> 8) % (seed % 7 == 0 ? 6000 : 200);
			uint32_t align = (seed >> 4) % 5 == 0 ? 128 : 16;
			uint64_t p = tracegen_alloc(&g, size, align, 0);
			if (p)
				live[n].addr = p, live[n].size = size, live[n].align = align, n++;
		} else {
			size_t i = (seed >> 3) % n;
			tracegen_free(&g, live[i].addr, live[i].size, live[i].align, 0);
			live[i] = live[--n];
		}
		for (; done < g.n; done++) {
			char err[256];
			ASSERT_MSG(heap_model_apply(m, &g.evs[done], err, sizeof err), "%s", err);
		}
		struct heap_stats hs;
		heap_stats(&g.heap, &hs);
		const struct heap_model_stats *s = heap_model_peek(m);
		ASSERT_EQ(s->used_bytes, (uint64_t)hs.used_bytes);
		ASSERT_EQ(s->free_bytes, (uint64_t)hs.free_bytes);
		ASSERT_EQ(s->free_blocks, (uint64_t)hs.free_blocks);
		ASSERT_EQ(s->largest_free, (uint64_t)hs.largest_free);
		ASSERT_EQ(s->live_blocks, (uint64_t)n);
		double d = s->frag_sq * 1000 - hs.frag_sq_permille; /* permille is rounded */
		ASSERT_MSG(d > -1.0 && d < 1.0, "frag_sq %f vs %u permille", s->frag_sq,
		           hs.frag_sq_permille);
		if (op % 997 == 0) {
			struct walk_cmp w = {m, 0, 0};
			struct walk_shift ws = {&w, TRACEGEN_BASE - (uint64_t)(uintptr_t)g.mem};
			heap_walk(&g.heap, walk_shifted, &ws);
			ASSERT_EQ(w.bad, (size_t)0);
		}
	}
	ASSERT(g.ok);
	ASSERT(tracegen_close(&g, false));
	free(g.evs);
	heap_model_destroy(m);
}

struct span_list {
	uint64_t addr[4096], size[4096];
	bool is_free[4096];
	size_t n;
};

static bool span_collect(void *ctx, const struct heap_model_span *sp)
{
	struct span_list *l = ctx;
	if (l->n == 4096)
		return false;
	l->addr[l->n] = sp->addr;
	l->size[l->n] = sp->size;
	l->is_free[l->n] = sp->is_free;
	l->n++;
	return true;
}

TEST_CASE(save_and_restore_reproduce_the_state)
{
	struct tracegen g;
	struct tracegen_opts o = {.heap_size = 1 << 20, .collect = true, .workload = "churn"};
	ASSERT(tracegen_open(&g, &o));
	tracegen_churn(&g, &(struct tracegen_churn){.ops = 20000, .seed = 7, .leak = 3});
	ASSERT(tracegen_close(&g, false));
	heap_model *m = heap_model_create(NULL);
	size_t half = g.n / 2;
	char err[256];
	for (size_t i = 0; i < half; i++)
		ASSERT_MSG(heap_model_apply(m, &g.evs[i], err, sizeof err), "%s", err);
	size_t need = heap_model_save(m, NULL, 0);
	ASSERT_GT(need, (size_t)0);
	uint8_t *buf = malloc(need);
	ASSERT_EQ(heap_model_save(m, buf, need), need);
	struct heap_model_stats saved;
	heap_model_stats(m, &saved);
	static struct span_list before, after;
	before.n = after.n = 0;
	heap_model_each_span(m, 0, UINT64_MAX, span_collect, &before);
	ASSERT_LE(need, (size_t)(24 + 20 * saved.live_blocks));
	for (size_t i = half; i < g.n; i++)
		ASSERT_MSG(heap_model_apply(m, &g.evs[i], err, sizeof err), "%s", err);
	ASSERT(heap_model_restore(m, buf, need));
	struct heap_model_stats got;
	heap_model_stats(m, &got);
	ASSERT_MEM_EQ(&got, &saved, sizeof got);
	heap_model_each_span(m, 0, UINT64_MAX, span_collect, &after);
	ASSERT_EQ(after.n, before.n);
	ASSERT_MEM_EQ(after.addr, before.addr, before.n * sizeof before.addr[0]);
	ASSERT_MEM_EQ(after.size, before.size, before.n * sizeof before.size[0]);
	/* replaying the rest from the restored state works */
	for (size_t i = half; i < g.n; i++)
		ASSERT_MSG(heap_model_apply(m, &g.evs[i], err, sizeof err), "%s", err);
	ASSERT_EQ(heap_model_peek(m)->live_blocks, 3ull);
	/* a damaged buffer is refused */
	ASSERT(!heap_model_restore(m, buf, need - 1));
	buf[0] ^= 1;
	ASSERT(!heap_model_restore(m, buf, need));
	free(buf);
	free(g.evs);
	heap_model_destroy(m);
}

TEST_CASE(settled_only_when_no_split_or_free_waits_for_its_partner)
{
	heap_model *m = heap_model_create(NULL);
	ASSERT_NOT_NULL(m);
	APPLY(m, HEAP_EV_INIT, 0, 0x1000, 1024, 16, 0, 0);
	ASSERT(heap_model_settled(m));
	APPLY(m, HEAP_EV_SPLIT, 1, 0x1000, 1024, 0, 0x1040, 960);
	ASSERT(!heap_model_settled(m));
	APPLY(m, HEAP_EV_ALLOC, 2, 0x1000, 50, 64, 0, 0);
	ASSERT(heap_model_settled(m));
	APPLY(m, HEAP_EV_FREE, 3, 0x1000, 50, 64, 0, 0);
	ASSERT(!heap_model_settled(m));
	struct heap_event c = ev_make(HEAP_EV_COALESCE, 4, 0x1000, 1024, 0, 0x1000, 64);
	c.flags = HEAP_MERGED_NEXT;
	char err[256] = "";
	ASSERT_MSG(heap_model_apply(m, &c, err, sizeof err), "%s", err);
	ASSERT(heap_model_settled(m));
	heap_model_destroy(m);
}

/* Every event applies the same way (accepted or not) and ends in the same state,
 * whether replayed from a save taken at a settled point or without one. */
TEST_CASE(a_save_at_any_settled_point_replays_the_rest_exactly)
{
	struct tracegen g;
	struct tracegen_opts o = {.heap_size = 1 << 18, .collect = true, .workload = "churn"};
	ASSERT(tracegen_open(&g, &o));
	tracegen_churn(&g, &(struct tracegen_churn){.ops = 3000, .seed = 11, .leak = 2});
	ASSERT(tracegen_close(&g, false));
	heap_model *m = heap_model_create(NULL), *r = heap_model_create(NULL);
	ASSERT_NOT_NULL(m);
	ASSERT_NOT_NULL(r);
	size_t bytes0 = heap_model_bytes(m), saves = 0;
	for (size_t i = 0; i < g.n; i++) {
		ASSERT(heap_model_apply(m, &g.evs[i], NULL, 0));
		if (i % 97 != 0 || !heap_model_settled(m))
			continue;
		saves++;
		size_t need = heap_model_save(m, NULL, 0);
		uint8_t *buf = malloc(need);
		ASSERT_NOT_NULL(buf);
		heap_model_save(m, buf, need);
		ASSERT(heap_model_restore(r, buf, need));
		free(buf);
		heap_model *ref = heap_model_create(NULL);
		for (size_t k = 0; k <= i; k++)
			heap_model_apply(ref, &g.evs[k], NULL, 0);
		for (size_t k = i + 1; k < g.n; k++) {
			bool a = heap_model_apply(ref, &g.evs[k], NULL, 0);
			ASSERT_EQ(heap_model_apply(r, &g.evs[k], NULL, 0), a);
		}
		struct heap_model_stats x, y;
		heap_model_stats(ref, &x);
		heap_model_stats(r, &y);
		ASSERT_MEM_EQ(&x, &y, sizeof x);
		heap_model_destroy(ref);
		if (saves == 8)
			break;
	}
	ASSERT_EQ(saves, (size_t)8);
	ASSERT_GE(heap_model_bytes(m), bytes0);
	ASSERT_GT(bytes0, (size_t)0);
	free(g.evs);
	heap_model_destroy(m);
	heap_model_destroy(r);
}

static bool count_block(void *ctx, const struct heap_model_block *b)
{
	(void)b;
	(*(size_t *)ctx)++;
	return true;
}

TEST_CASE(block_iteration_honours_the_range)
{
	heap_model *m = small_heap();
	size_t n = 0;
	heap_model_each_block(m, 0x1000, 0x1040, count_block, &n);
	ASSERT_EQ(n, (size_t)0);
	heap_model_each_block(m, 0x1000, 0x1041, count_block, &n);
	ASSERT_EQ(n, (size_t)1);
	n = 0;
	heap_model_each_block(m, 0x107f, 0x2000, count_block, &n);
	ASSERT_EQ(n, (size_t)1);
	n = 0;
	heap_model_each_block(m, 0x1080, 0x2000, count_block, &n);
	ASSERT_EQ(n, (size_t)0);
	heap_model_destroy(m);
}

struct tiling {
	uint64_t next, total, free_spans, largest;
	bool adjacent_free, prev_free, gap;
};

static bool tiling_walk(void *ctx, const struct heap_model_span *sp)
{
	struct tiling *t = ctx;
	if (sp->addr != t->next)
		t->gap = true;
	if (sp->is_free && t->prev_free)
		t->adjacent_free = true;
	t->prev_free = sp->is_free;
	t->next = sp->addr + sp->size;
	t->total += sp->size;
	if (sp->is_free) {
		t->free_spans++;
		if (sp->size > t->largest)
			t->largest = sp->size;
	}
	return true;
}

TEST_CASE(random_events_never_break_the_tiling)
{
	heap_model *m = heap_model_create(NULL);
	const uint64_t base = 0x10000, size = 4096;
	APPLY(m, HEAP_EV_INIT, 0, base, size, 16, 0, 0);
	uint32_t seed = 99;
	int rejected = 0;
	int accepted = 0;
	for (uint64_t i = 1; i < 20000; i++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		uint64_t addr = base - 32 + 16 * ((seed >> 8) % (size / 16 + 4));
		uint64_t blk = 16 * (1 + (seed >> 20) % 8);
		struct heap_event evs[2];
		int n = 1;
		struct heap_model_span sp;
		if (seed % 3 && heap_model_span_at(m, addr, &sp)) {
			/* plausible: carve from a free span (front pad, block, rest) or free a live
			 * one */
			if (sp.is_free) {
				uint64_t front = 16 * ((seed >> 4) % 3), b = blk;
				if (front + b > sp.size)
					front = 0, b = sp.size;
				uint64_t rest = sp.size - front - b;
				if (front || rest) {
					evs[0] = ev_make(HEAP_EV_SPLIT, i, sp.addr, sp.size, 0,
					                 rest ? sp.addr + front + b : 0, rest);
					evs[1] = ev_make(HEAP_EV_ALLOC, i + 1, sp.addr + front, b,
					                 b, 0, 0);
					n = 2;
				} else {
					evs[0] = ev_make(HEAP_EV_ALLOC, i, sp.addr, b, b, 0, 0);
				}
			} else {
				evs[0] = ev_make(HEAP_EV_FREE, i, sp.addr, sp.size, sp.size, 0, 0);
			}
		} else { /* garbage */
			unsigned kind = seed % 5 == 0  ? HEAP_EV_SPLIT
			                : seed % 5 < 3 ? HEAP_EV_ALLOC
			                : seed % 5 < 4 ? HEAP_EV_FREE
			                               : HEAP_EV_COALESCE;
			evs[0] = ev_make(kind, i, addr, blk, blk, addr + blk, (seed >> 3) % 64);
		}
		for (int k = 0; k < n; k++) {
			char err[256];
			if (!heap_model_apply(m, &evs[k], err, sizeof err)) {
				rejected++;
				ASSERT(strncmp(err, "event ", 6) == 0);
			} else {
				accepted++;
			}
		}
		i += (uint64_t)n;
		const struct heap_model_stats *st = heap_model_peek(m);
		ASSERT_EQ(st->used_bytes + st->free_bytes, size);
		if (i % 97 == 0) {
			struct tiling t = {.next = base};
			heap_model_each_span(m, 0, UINT64_MAX, tiling_walk, &t);
			ASSERT(!t.gap);
			ASSERT(!t.adjacent_free);
			ASSERT_EQ(t.total, size);
			ASSERT_EQ(t.free_spans, st->free_blocks);
			ASSERT_EQ(t.largest, st->largest_free);
		}
	}
	ASSERT_GT(rejected, 1000);
	ASSERT_GT(accepted, 5000);
	heap_model_destroy(m);
}

int main(void)
{
	return test_main();
}
