/* test_model.c - host tests of the heapviz replay model: state and metrics at known
 * event indices, seek equal to the real allocator's state at random indices. */
#include <stdlib.h>
#include <string.h>

#include "heap_model.h"
#include "load.h"
#include "model.h"
#include "sites.h"
#include "trace_reader.h"
#include "test/test.h"
#include "test/tracegen.h"

#define BASE 0x80400000ull

static struct heap_event ev_alloc(uint64_t off, uint64_t block, uint64_t caller)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_ALLOC;
	e.addr = BASE + off;
	e.size = block - 3;
	e.block = block;
	e.align_log2 = 4;
	e.caller = caller;
	return e;
}

static struct heap_event ev_free(uint64_t off, uint64_t block)
{
	struct heap_event e = ev_alloc(off, block, 0);
	e.kind = HEAP_EV_FREE;
	return e;
}

/* The split of free block [off, off+size) that leaves [rem, off+size) free. */
static struct heap_event ev_split(uint64_t off, uint64_t size, uint64_t rem)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_SPLIT;
	e.addr = BASE + off;
	e.size = size;
	e.addr2 = BASE + rem;
	e.size2 = off + size - rem;
	return e;
}

static struct heap_event ev_kind(unsigned kind, uint64_t size, uint64_t block, uint64_t size2)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = (uint8_t)kind;
	e.size = size;
	e.block = block;
	e.size2 = size2;
	if (kind == HEAP_EV_INIT)
		e.addr = BASE;
	return e;
}

/* A 4 KiB heap: alloc A [0,64) B [64,192) C [192,256), free B, alloc D [64,96),
 * a failure, free A; each alloc cut from a free block by a split, as the
 * allocator traces it. */
static viz_model *small_model(void)
{
	viz_model *m = viz_model_new(BASE, 4096, 16);
	ASSERT_NOT_NULL(m);
	struct heap_event evs[] = {
	    ev_kind(HEAP_EV_INIT, 4096, 0, 0),             /* 0 */
	    ev_split(0, 4096, 64),                         /* 1 */
	    ev_alloc(0, 64, 0x80201000),                   /* 2 A */
	    ev_split(64, 4032, 192),                       /* 3 */
	    ev_alloc(64, 128, 0x80201040),                 /* 4 B */
	    ev_split(192, 3904, 256),                      /* 5 */
	    ev_alloc(192, 64, 0x80201000),                 /* 6 C */
	    ev_free(64, 128),                              /* 7 */
	    ev_split(64, 128, 96),                         /* 8 */
	    ev_alloc(64, 32, 0x80201080),                  /* 9 D */
	    ev_kind(HEAP_EV_ALLOC_FAIL, 8000, 3936, 3840), /* 10: free 96 + 3840 */
	    ev_free(0, 64),                                /* 11 */
	    ev_kind(HEAP_EV_END, 13, 96, 0),               /* 12: C and D in use */
	};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		ASSERT(viz_model_append(m, &evs[i]));
	ASSERT_EQ(viz_model_bad_events(m), (uint64_t)0);
	return m;
}

TEST_CASE(state_after_three_allocs_holds_three_blocks_in_address_order)
{
	viz_model *m = small_model();
	ASSERT_EQ(viz_model_seek(m, 7), (size_t)7);
	size_t n;
	const struct viz_block *b = viz_model_blocks(m, &n);
	ASSERT_EQ(n, (size_t)3);
	ASSERT_EQ(b[0].off, 0u);
	ASSERT_EQ(b[1].off, 64u);
	ASSERT_EQ(b[1].bytes, 128u);
	ASSERT_EQ(b[1].req, 125u);
	ASSERT_EQ(b[1].align_log2, 4u);
	ASSERT_EQ(b[1].born, 4u);
	ASSERT_EQ(b[2].off, 192u);
	const struct heap_model_stats *st = viz_model_stats(m);
	ASSERT_EQ(st->used_bytes, (uint64_t)256);
	ASSERT_EQ(st->free_bytes, (uint64_t)(4096 - 256));
	ASSERT_EQ(st->free_blocks, (uint64_t)1);
	ASSERT(st->frag == 0);
	viz_model_free(m);
}

TEST_CASE(free_in_the_middle_makes_a_second_free_block_and_fragmentation)
{
	viz_model *m = small_model();
	viz_model_seek(m, 8);
	const struct heap_model_stats *st = viz_model_stats(m);
	ASSERT_EQ(st->live_blocks, (uint64_t)2);
	ASSERT_EQ(st->free_blocks, (uint64_t)2);
	ASSERT_EQ(st->largest_free, (uint64_t)(4096 - 256));
	ASSERT_EQ(st->free_bytes, (uint64_t)(4096 - 128));
	ASSERT(st->frag > 1 - 3840.0 / 3968 - 1e-9 && st->frag < 1 - 3840.0 / 3968 + 1e-9);
	ASSERT_EQ(st->hist[7], (uint64_t)1); /* 128 bytes: [128, 256) */
	viz_model_free(m);
}

TEST_CASE(seeking_backwards_restores_the_earlier_state)
{
	viz_model *m = small_model();
	viz_model_seek(m, 13);
	size_t n;
	viz_model_blocks(m, &n);
	ASSERT_EQ(n, (size_t)2); /* D and C */
	viz_model_seek(m, 1);
	viz_model_blocks(m, &n);
	ASSERT_EQ(n, (size_t)0);
	viz_model_seek(m, 10);
	const struct viz_block *b = viz_model_blocks(m, &n);
	ASSERT_EQ(n, (size_t)3);
	ASSERT_EQ(b[1].bytes, 32u);
	ASSERT_EQ(viz_model_caller(m, b[1].caller)->addr, (uint64_t)0x80201080);
	viz_model_free(m);
}

TEST_CASE(hit_test_finds_blocks_and_free_gaps)
{
	viz_model *m = small_model();
	viz_model_seek(m, 10);
	struct viz_block b;
	bool is_free;
	ASSERT(viz_model_hit(m, 70, &b, &is_free));
	ASSERT(!is_free);
	ASSERT_EQ(b.off, 64u);
	ASSERT_EQ(b.born, 9u);
	ASSERT_EQ(viz_model_caller(m, b.caller)->addr, (uint64_t)0x80201080);
	ASSERT(viz_model_hit(m, 100, &b, &is_free));
	ASSERT(is_free);
	ASSERT_EQ(b.off, 96u);
	ASSERT_EQ(b.bytes, 96u);
	ASSERT(viz_model_hit(m, 4000, &b, &is_free));
	ASSERT(is_free);
	ASSERT_EQ(b.off, 256u);
	ASSERT(!viz_model_hit(m, 4096, &b, &is_free));
	viz_model_free(m);
}

TEST_CASE(peak_and_failures_are_found_at_their_positions)
{
	viz_model *m = small_model();
	uint64_t peak;
	ASSERT_EQ(viz_model_peak_pos(m, &peak), (size_t)7);
	ASSERT_EQ(peak, (uint64_t)256);
	size_t n;
	const uint32_t *f = viz_model_fails(m, &n);
	ASSERT_EQ(n, (size_t)1);
	ASSERT_EQ(f[0], 11u);
	ASSERT_EQ(viz_model_find(m, 0, 1, HEAP_EV_ALLOC_FAIL), (size_t)10);
	ASSERT_EQ(viz_model_find(m, 12, -1, HEAP_EV_FREE), (size_t)11);
	ASSERT_EQ(viz_model_find(m, 12, 1, HEAP_EV_MARKER), SIZE_MAX);
	viz_model_free(m);
}

TEST_CASE(events_that_do_not_fit_are_marked_bad_and_ignored_and_drops_counted)
{
	viz_model *m = viz_model_new(BASE, 4096, 16);
	struct heap_event evs[] = {
	    ev_split(0, 4096, 64),
	    ev_alloc(0, 64, 0),                        /* fits */
	    ev_alloc(32, 64, 0),                       /* overlaps A */
	    ev_free(512, 16),                          /* no such block */
	    ev_alloc(8192, 16, 0),                     /* outside the heap */
	    ev_alloc(72, 16, 0),                       /* inside a free block, no split */
	    ev_kind(HEAP_EV_INIT, 8192, 0, 0),         /* another heap */
	    ev_kind(HEAP_EV_COALESCE, 4032, 0, 64),    /* follows no free */
	    ev_kind(HEAP_EV_ALLOC_FAIL, 100000, 7, 7), /* wrong free figures */
	};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		ASSERT(viz_model_append(m, &evs[i]));
	struct heap_event drop = ev_kind(HEAP_EV_DROP, 7, 0, 0);
	ASSERT(viz_model_append(m, &drop));
	ASSERT_EQ(viz_model_dropped(m), (uint64_t)7);
	ASSERT_EQ(viz_model_bad_events(m), (uint64_t)7);
	ASSERT_EQ(viz_model_event(m, 1)->bad, 0);
	ASSERT_EQ(viz_model_event(m, 2)->bad, 1);
	ASSERT_EQ(viz_model_event(m, 9)->bad, 0);
	viz_model_seek(m, 10);
	size_t n;
	const struct viz_block *b = viz_model_blocks(m, &n);
	ASSERT_EQ(n, (size_t)1);
	ASSERT_EQ(b[0].off, 0u);
	ASSERT_EQ(viz_model_stats(m)->free_bytes, (uint64_t)4032);
	viz_model_free(m);
}

TEST_CASE(events_are_held_in_at_most_40_bytes)
{
	ASSERT_LE(sizeof(struct viz_event), (size_t)40);
}

/* ---- against the real allocator ------------------------------------------- */

struct checkpoint {
	size_t pos;
	struct heap_stats st;
};

static void rec_sink(void *ctx, const struct heap_event *ev)
{
	ASSERT(viz_model_append(ctx, ev));
}

/* Runs the churn workload (trace/test/tracegen.h) on a real heap of heap_size
 * bytes, at most live_max blocks live, its events going to sink(ctx); the
 * caller steps it with tracegen_churn_step. */
static bool churn_open(struct tracegen *g, struct tracegen_churn_run *r, uint64_t heap_size,
                       uint32_t seed, unsigned live_max,
                       void (*sink)(void *ctx, const struct heap_event *ev), void *ctx)
{
	struct tracegen_opts o = {.heap_size = heap_size, .on_event = sink, .ctx = ctx};
	return tracegen_open(g, &o) &&
	       tracegen_churn_start(
	           g, r,
	           &(struct tracegen_churn){.ops = 1000000, .seed = seed, .live_max = live_max});
}

static void churn_close(struct tracegen *g, struct tracegen_churn_run *r)
{
	tracegen_churn_finish(g, r);
	ASSERT(tracegen_close(g, false));
}

TEST_CASE(seek_equals_the_real_allocator_state_at_random_positions)
{
	enum { CHECKS = 300 };
	static struct checkpoint cp[CHECKS];
	viz_model *m = viz_model_new(TRACEGEN_BASE, 1 << 18, 16);
	ASSERT_NOT_NULL(m);
	struct tracegen g;
	struct tracegen_churn_run r;
	ASSERT(churn_open(&g, &r, 1 << 18, 12345, 400, rec_sink, m));
	size_t ncp = 0;
	uint64_t rng = 99;
	while (ncp < CHECKS) {
		ASSERT(tracegen_churn_step(&g, &r));
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		if ((rng >> 33) % 40 == 0) {
			cp[ncp].pos = viz_model_count(m);
			heap_stats(&g.heap, &cp[ncp].st);
			ncp++;
		}
	}
	churn_close(&g, &r);
	ASSERT_EQ(viz_model_bad_events(m), (uint64_t)0);
	ASSERT_GT(viz_model_keyframes(m), (size_t)3);
	size_t nfail;
	viz_model_fails(m, &nfail); /* the heap got full at times: failures were replayed too */
	ASSERT_GT(nfail, (size_t)0);
	for (size_t k = 0; k < CHECKS; k++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		const struct checkpoint *c = &cp[(rng >> 33) % CHECKS];
		ASSERT_EQ(viz_model_seek(m, c->pos), c->pos);
		const struct heap_model_stats *st = viz_model_stats(m);
		ASSERT_EQ(st->used_bytes, (uint64_t)c->st.used_bytes);
		ASSERT_EQ(st->free_bytes, (uint64_t)c->st.free_bytes);
		ASSERT_EQ(st->free_blocks, (uint64_t)c->st.free_blocks);
		ASSERT_EQ(st->largest_free, (uint64_t)c->st.largest_free);
		ASSERT_EQ(st->free_bytes ? 1000 - st->largest_free * 1000 / st->free_bytes : 0,
		          (uint64_t)c->st.frag_permille);
	}
	viz_model_free(m);
}

TEST_CASE(series_ends_at_the_tip_and_stays_bounded)
{
	viz_model *m = viz_model_new(TRACEGEN_BASE, 1 << 16, 16);
	ASSERT_NOT_NULL(m);
	struct tracegen g;
	struct tracegen_churn_run r;
	ASSERT(churn_open(&g, &r, 1 << 16, 7, 100, rec_sink, m));
	while (viz_model_count(m) < 3 * VIZ_SERIES_MAX)
		ASSERT(tracegen_churn_step(&g, &r));
	size_t n;
	const struct viz_sample *s = viz_model_series(m, &n);
	ASSERT_LE(n, (size_t)VIZ_SERIES_MAX + 1);
	ASSERT_GT(n, (size_t)VIZ_SERIES_MAX / 4);
	ASSERT_EQ((size_t)s[n - 1].pos, viz_model_count(m));
	ASSERT_EQ((uint64_t)s[n - 1].used, (uint64_t)g.heap.used);
	for (size_t i = 1; i < n; i++)
		ASSERT_LT(s[i - 1].pos, s[i].pos);
	churn_close(&g, &r);
	viz_model_free(m);
}

/* ---- against the shared model (trace/heap_model.h) ------------------------ */

struct both {
	viz_model *m;
	heap_model *ref;
};

static void both_sink(void *ctx, const struct heap_event *ev)
{
	struct both *b = ctx;
	ASSERT(viz_model_append(b->m, ev));
	char err[200];
	ASSERT_MSG(heap_model_apply(b->ref, ev, err, sizeof err), "heap_model: %s", err);
}

/* FNV-1a over every live block's address, size and alloc event. */
struct digest {
	uint64_t h, n;
};

static void digest_add(struct digest *d, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		d->h = (d->h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
	d->n++;
}

static bool ref_block(void *ctx, const struct heap_model_block *b)
{
	struct digest *d = ctx;
	digest_add(d, b->addr - TRACEGEN_BASE);
	digest_add(d, b->size);
	digest_add(d, b->seq);
	return true;
}

TEST_CASE(every_seek_shows_the_blocks_and_metrics_of_the_shared_heap_model)
{
	enum { CHECKS = 200 };
	static struct {
		size_t pos;
		struct digest d;
		struct heap_model_stats st;
	} cp[CHECKS];
	struct trace_header h = {.version = 1,
	                         .heap_base = TRACEGEN_BASE,
	                         .heap_size = 1 << 17,
	                         .min_block = 16,
	                         .min_align = 16};
	struct both b = {.m = viz_model_new(TRACEGEN_BASE, 1 << 17, 16),
	                 .ref = heap_model_create(&h)};
	ASSERT_NOT_NULL(b.m);
	ASSERT_NOT_NULL(b.ref);
	struct tracegen g;
	struct tracegen_churn_run r;
	ASSERT(churn_open(&g, &r, 1 << 17, 777, 200, both_sink, &b));
	uint64_t rng = 5;
	for (size_t k = 0; k < CHECKS;) {
		ASSERT(tracegen_churn_step(&g, &r));
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		if ((rng >> 33) % 30 == 0) {
			cp[k].pos = viz_model_count(b.m);
			cp[k].d = (struct digest){0xcbf29ce484222325ull, 0};
			heap_model_each_block(b.ref, 0, UINT64_MAX, ref_block, &cp[k].d);
			heap_model_stats(b.ref, &cp[k].st);
			k++;
		}
	}
	for (size_t k = 0; k < CHECKS; k++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		size_t c = (rng >> 33) % CHECKS;
		viz_model_seek(b.m, cp[c].pos);
		size_t n;
		const struct viz_block *blk = viz_model_blocks(b.m, &n);
		struct digest d = {0xcbf29ce484222325ull, 0};
		for (size_t i = 0; i < n; i++) {
			digest_add(&d, blk[i].off);
			digest_add(&d, blk[i].bytes);
			digest_add(&d, blk[i].born);
		}
		ASSERT_EQ(d.n, cp[c].d.n);
		ASSERT_EQ(d.h, cp[c].d.h);
		const struct heap_model_stats *st = viz_model_stats(b.m);
		ASSERT_EQ(st->used_bytes, cp[c].st.used_bytes);
		ASSERT_EQ(st->free_blocks, cp[c].st.free_blocks);
		ASSERT_EQ(st->largest_free, cp[c].st.largest_free);
		ASSERT_MEM_EQ(st->hist, cp[c].st.hist, sizeof st->hist);
		ASSERT(st->frag_sq == cp[c].st.frag_sq);
	}
	churn_close(&g, &r);
	heap_model_destroy(b.ref);
	viz_model_free(b.m);
}

/* Loads a recorded sample (the tests run from the source tree). */
static viz_source *sample(const char *path)
{
	char err[512];
	viz_source *src = viz_source_load(path, false, err, sizeof err);
	ASSERT_MSG(src != NULL, "%s", err);
	return src;
}

TEST_CASE(call_sites_account_for_every_alloc_and_every_live_byte)
{
	static const char *paths[] = {"samples/vector.jsonl", "samples/frag.jsonl",
	                              "samples/churn-small.jsonl", "samples/panic.jsonl"};
	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
		viz_source *src = sample(paths[p]);
		viz_model *m = viz_source_model(src);
		uint64_t allocs = 0, alloc_bytes = 0;
		for (size_t i = 0; i < viz_model_count(m); i++) {
			const struct viz_event *e = viz_model_event(m, i);
			if (e->kind == HEAP_EV_ALLOC && !e->bad) {
				allocs++;
				alloc_bytes += e->block;
			}
		}
		uint64_t site_allocs = 0, site_bytes = 0, site_live = 0;
		for (uint32_t i = 0; i < viz_model_sites(m); i++) {
			const struct viz_site *s = viz_model_site(m, i);
			site_allocs += s->allocs;
			site_bytes += s->alloc_bytes;
			site_live += s->live_bytes;
			ASSERT(s->peak_bytes >= s->live_bytes);
		}
		ASSERT_EQ(site_allocs, allocs);
		ASSERT_EQ(site_bytes, alloc_bytes);
		viz_model_seek(m, viz_model_count(m));
		ASSERT_EQ(site_live, viz_model_stats(m)->used_bytes); /* at the tip */
		/* every live block at the peak has a site, and the sites' live bytes there
		 * add up to the use */
		viz_model_seek(m, viz_model_peak_pos(m, NULL));
		size_t nb, rows_n;
		const struct viz_block *b = viz_model_blocks(m, &nb);
		for (size_t i = 0; i < nb; i++)
			ASSERT(b[i].site < viz_model_sites(m));
		struct site_row *rows;
		rows_n = site_rows(m, SITE_BY_LIVE, &rows);
		uint64_t live = 0;
		for (size_t i = 0; i < rows_n; i++) {
			live += rows[i].live;
			if (i)
				ASSERT(rows[i - 1].live >= rows[i].live); /* most first */
		}
		ASSERT_EQ(live, viz_model_stats(m)->used_bytes);
		free(rows);
		viz_source_close(src);
	}
}

TEST_CASE(a_stack_site_keeps_the_frames_of_its_record_and_a_name_that_tells_it_apart)
{
	viz_source *src = sample("samples/vector.jsonl"); /* its stack 4: record_alert's pushes */
	viz_model *m = viz_source_model(src);
	ASSERT(viz_model_has_stack(m, 4));
	ASSERT(!viz_model_has_stack(m, 999));
	uint32_t four = viz_model_add_stack(m, 4, 0, NULL); /* already there: its index */
	const struct viz_site *s = viz_model_site(m, four);
	ASSERT_EQ(s->depth, 5u);
	ASSERT_EQ(s->frames[0], (uint64_t)0x8020714e);
	ASSERT_EQ(s->frames[1], (uint64_t)0x802071e6);
	struct site_fn fns[16];
	size_t n = site_functions(m, four, fns, 16);
	ASSERT_STR_EQ(fns[0].fn, "rec_vec_set_cap_"); /* inlined into rec_vec_reserve, ... */
	ASSERT(fns[0].inlined);
	ASSERT_STR_EQ(fns[3].fn, "rec_push"); /* frame 0's own function */
	ASSERT(!fns[3].inlined);
	ASSERT_EQ(fns[3].frame, 0u);
	ASSERT_STR_EQ(fns[4].fn, "record_alert");
	ASSERT_EQ(fns[4].frame, 1u);
	ASSERT(n >= 5);
	struct site_names names = {0};
	ASSERT(site_names_update(&names, m));
	ASSERT_STR_EQ(site_name(&names, four), "record_alert > rec_vec_set_cap_");
	for (size_t i = 0; i < names.n; i++) /* every site's name is its own */
		for (size_t j = i + 1; j < names.n; j++)
			ASSERT_MSG(strcmp(names.name[i], names.name[j]) != 0, "sites %zu and %zu: %s", i,
			           j, names.name[i]);
	site_names_free(&names);
	viz_source_close(src);
}

int main(void)
{
	return test_main();
}
