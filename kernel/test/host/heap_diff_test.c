/* heap_diff_test.c - randomised differential test of the allocator core against a byte-map model.
 *
 * The model knows only which 16-byte granules of the heap are in use (a bit
 * map; allocations and frees never touch less than a granule). From that map
 * alone it predicts, for every operation, what the allocator must do: the
 * exact first-fit address (free runs in address order, the same padding
 * rules), NULL when nothing fits, every trace event with every field, the
 * error a misuse must get, the counters, stats and walk. Live blocks are
 * filled with a tag byte that must survive until they are freed.
 *
 * Environment: HEAP_DIFF_SEED (default: from the clock; always printed),
 * HEAP_DIFF_OPS (default 1000000 operations on the 64 KiB heap; a 4 KiB heap
 * gets a fifth of that more). A failure prints the seed and the operation
 * number: rerun with HEAP_DIFF_SEED=<seed> to replay it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap.h"
#include "test/test.h"

#define GRAN HEAP_MIN_ALIGN               /* model granule: bytes per bit */
#define MAX_HEAP (64 * 1024)
#define MAX_GRANS (MAX_HEAP / GRAN)
#define MAX_WORDS (MAX_GRANS / 64)
#define MAX_LIVE 600
#define POISON_OPS 4000 /* the first ops of each run also run with poisoning on */

static _Alignas(16384) uint8_t arena[MAX_HEAP];
static struct heap H;

static uint64_t seed;
static size_t op_no;

#define DIFF_FAIL(...)                                                                     \
	do {                                                                               \
		char msg_[512];                                                            \
		snprintf(msg_, sizeof msg_, __VA_ARGS__);                                  \
		test_fail(__FILE__, __LINE__, "seed %" PRIu64 " op %zu: %s (replay: HEAP_DIFF_SEED=%" PRIu64 ")", \
			  seed, op_no, msg_, seed);                                        \
	} while (0)
#define DIFF_ASSERT(cond, ...)                                                             \
	do {                                                                               \
		if (!(cond))                                                               \
			DIFF_FAIL(__VA_ARGS__);                                            \
	} while (0)

/* ---- random numbers (splitmix64) ---------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* ---- the model: one bit per granule, 1 = in use ------------------------------------ */

static uint64_t map[MAX_WORDS];
static size_t ngrans;
static size_t model_used;

static bool g_used(size_t g)
{
	return (map[g / 64] >> (g % 64)) & 1;
}

static void g_set(size_t g0, size_t n, bool used)
{
	for (size_t g = g0; g < g0 + n; g++) {
		if (used)
			map[g / 64] |= 1ull << (g % 64);
		else
			map[g / 64] &= ~(1ull << (g % 64));
	}
}

/* First granule >= g whose bit equals want, or ngrans. */
static size_t g_next(size_t g, bool want)
{
	while (g < ngrans) {
		uint64_t w = want ? map[g / 64] : ~map[g / 64];
		w &= ~0ull << (g % 64);
		if (w) {
			size_t r = (g / 64) * 64 + (size_t)__builtin_ctzll(w);
			return r < ngrans ? r : ngrans;
		}
		g = (g / 64 + 1) * 64;
	}
	return ngrans;
}

/* Start of the run of equal bits that ends at granule g (inclusive). */
static size_t g_run_start(size_t g)
{
	bool v = g_used(g);
	while (g > 0 && g_used(g - 1) == v) {
		if (g % 64 == 0 && (v ? map[g / 64 - 1] == ~0ull : map[g / 64 - 1] == 0)) {
			g -= 64;
			continue;
		}
		g--;
	}
	return g;
}

static size_t model_block_size(size_t size, size_t align)
{
	if (align == 0 || (align & (align - 1)))
		return 0;
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - 15)
		return 0;
	size = (size + 15) / 16 * 16;
	return size < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : size;
}

struct free_summary {
	size_t runs, bytes, largest;
};

static struct free_summary model_free_summary(void)
{
	struct free_summary s = {0, 0, 0};
	for (size_t g = g_next(0, false); g < ngrans;) {
		size_t e = g_next(g, true);
		s.runs++;
		s.bytes += (e - g) * GRAN;
		if ((e - g) * GRAN > s.largest)
			s.largest = (e - g) * GRAN;
		g = g_next(e, false);
	}
	return s;
}

/* First fit as the specification states it, on free runs of the map. */
struct fit {
	uintptr_t p;       /* 0 if none */
	uintptr_t run_s, run_e;
	unsigned examined;
};

static enum heap_policy policy; /* the policy under test (run()) */
static uintptr_t model_rover;    /* next fit: where the model's last allocation ended */

/* Where an aligned [p, p + bsize) fits in the free run [s, e), as heap.c places it; 0 if not. */
static uintptr_t model_fit_in(uintptr_t s, uintptr_t e, size_t bsize, size_t a)
{
	uintptr_t p = (s + a - 1) / a * a;
	if (p != s && p - s < HEAP_MIN_BLOCK)
		p = (s + HEAP_MIN_BLOCK + a - 1) / a * a;
	if (p <= e && bsize <= e - p && (e - p - bsize == 0 || e - p - bsize >= HEAP_MIN_BLOCK))
		return p;
	return 0;
}

/* Best fit on the byte map: the smallest run that fits, the lowest on ties; an
 * exact fit ends the search (as the allocator's does: examined counts to it). */
static struct fit model_best_fit(size_t bsize, size_t align)
{
	struct fit f = {0, 0, 0, 0};
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	for (size_t g = g_next(0, false); g < ngrans;) {
		size_t ge = g_next(g, true);
		uintptr_t s = H.base + g * GRAN, e = H.base + ge * GRAN, p;
		f.examined++;
		if (e - s >= bsize && (!f.p || e - s < f.run_e - f.run_s) &&
		    (p = model_fit_in(s, e, bsize, a))) {
			f.p = p, f.run_s = s, f.run_e = e;
			if (e - s == bsize)
				return f;
		}
		g = g_next(ge, false);
	}
	return f;
}

/* Next fit on the byte map: the runs that end past the rover, in address order,
 * then the others from the start. */
static struct fit model_next_fit(size_t bsize, size_t align)
{
	struct fit f = {0, 0, 0, 0};
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	for (int lap = 0; lap < 2; lap++) {
		for (size_t g = g_next(0, false); g < ngrans;) {
			size_t ge = g_next(g, true);
			uintptr_t s = H.base + g * GRAN, e = H.base + ge * GRAN, p;
			if ((lap == 0) == (e > model_rover)) {
				f.examined++;
				if ((p = model_fit_in(s, e, bsize, a))) {
					f.p = p, f.run_s = s, f.run_e = e;
					return f;
				}
			}
			g = g_next(ge, false);
		}
	}
	return f;
}

static struct fit model_first_fit(size_t bsize, size_t align);

/* Segregated fit cannot be predicted from the byte map alone (its choice among
 * the blocks that fit follows its class lists), so the model checks the choice
 * instead: p starts at the lowest aligned address of a whole free run that
 * holds the block with room for any front pad; and a failure is allowed only if
 * no run is that large plus a size class's width (an eighth). */
static struct fit model_segregated_check(size_t bsize, size_t align, uintptr_t got)
{
	struct fit f = {.examined = 1};
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align, need = bsize + a - HEAP_MIN_ALIGN;
	if (!got) {
		f.examined = 0;
		if (need < bsize || need > SIZE_MAX / 2)
			return f; /* no heap holds it */
		for (size_t g = g_next(0, false); g < ngrans;) {
			size_t ge = g_next(g, true);
			DIFF_ASSERT((ge - g) * GRAN < need + need / 8 + 128,
				    "segregated: alloc(%zu, align %zu) failed with a free run of %zu bytes",
				    bsize, align, (ge - g) * GRAN);
			g = g_next(ge, false);
		}
		return f;
	}
	size_t g = (got - H.base) / GRAN;
	DIFF_ASSERT(got >= H.base && g < ngrans && !g_used(g), "segregated: +0x%lx is not free",
		    (unsigned long)(got - H.base));
	size_t gs = g_run_start(g), ge = g_next(g, true);
	f.run_s = H.base + gs * GRAN;
	f.run_e = H.base + ge * GRAN;
	f.p = (f.run_s + a - 1) / a * a;
	DIFF_ASSERT(got == f.p, "segregated: +0x%lx is not the run's first aligned address +0x%lx",
		    (unsigned long)(got - H.base), (unsigned long)(f.p - H.base));
	DIFF_ASSERT(f.run_e - f.run_s >= need, "segregated: took a %lu-byte run for %zu bytes at align %zu",
		    (unsigned long)(f.run_e - f.run_s), bsize, align);
	return f;
}

/* The placement of the policy under test. */
static struct fit model_fit(size_t bsize, size_t align)
{
	struct fit f = policy == HEAP_POLICY_BEST   ? model_best_fit(bsize, align)
		       : policy == HEAP_POLICY_NEXT ? model_next_fit(bsize, align)
						    : model_first_fit(bsize, align);
	if (f.p)
		model_rover = f.p + (uintptr_t)bsize;
	return f;
}

static struct fit model_first_fit(size_t bsize, size_t align)
{
	struct fit f = {0, 0, 0, 0};
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	for (size_t g = g_next(0, false); g < ngrans;) {
		size_t ge = g_next(g, true);
		uintptr_t s = H.base + g * GRAN, e = H.base + ge * GRAN;
		f.examined++;
		uintptr_t p = (s + a - 1) / a * a;
		if (p != s && p - s < HEAP_MIN_BLOCK)
			p = (s + HEAP_MIN_BLOCK + a - 1) / a * a;
		if (p <= e && bsize <= e - p && (e - p - bsize == 0 || e - p - bsize >= HEAP_MIN_BLOCK)) {
			f.p = p;
			f.run_s = s;
			f.run_e = e;
			return f;
		}
		g = g_next(ge, false);
	}
	return f;
}

/* The error the allocator must give for freeing (p, size, align). */
static enum heap_error model_free_error(uintptr_t p, size_t size, size_t align)
{
	size_t bsize = model_block_size(size, align);
	if (bsize == 0)
		return HEAP_ERR_BAD_LAYOUT;
	if (p < H.base || p >= H.base + H.len)
		return HEAP_ERR_OUTSIDE;
	if (p % (align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align))
		return HEAP_ERR_MISALIGNED;
	size_t g = (p - H.base) / GRAN;
	if (!g_used(g))
		return HEAP_ERR_DOUBLE_FREE;
	if (bsize > H.base + H.len - p || g_next(g, false) < g + bsize / GRAN)
		return HEAP_ERR_BAD_LAYOUT;
	return HEAP_OK;
}

/* ---- live blocks ------------------------------------------------------------------ */

struct live {
	uint8_t *p;
	size_t size, align, bsize;
	uint8_t tag;
};
static struct live live[MAX_LIVE];
static size_t nlive;
static struct live last_freed; /* for double frees */
static uint8_t next_tag;

/* ---- events ------------------------------------------------------------------------ */

#define EV_MAX 8
static struct heap_event got[EV_MAX];
static size_t ngot;

static void sink(void *ctx, struct heap_event *ev)
{
	(void)ctx;
	if (ngot < EV_MAX)
		got[ngot] = *ev;
	ngot++;
}

/* What a run exercised, printed at its end (a run that never fails an
 * allocation or never merges both ways would prove little). */
static size_t n_alloc, n_fail, n_split, n_free, n_merge[4], n_misuse[HEAP_ERR_POISON + 1];

static struct heap_event want[EV_MAX];
static size_t nwant;

static struct heap_event *expect(enum heap_event_kind kind)
{
	struct heap_event *e = &want[nwant++];
	memset(e, 0, sizeof *e);
	e->kind = (uint8_t)kind;
	return e;
}

static unsigned ilog2(size_t x)
{
	unsigned n = 0;
	while (x > 1)
		x >>= 1, n++;
	return n;
}

static void events_compare(const char *what)
{
	DIFF_ASSERT(ngot == nwant, "%s: %zu events, want %zu (first: %s)", what, ngot, nwant,
		    ngot ? heap_event_kind_name(got[0].kind) : "none");
	for (size_t i = 0; i < nwant; i++) {
		const struct heap_event *g = &got[i], *w = &want[i];
		DIFF_ASSERT(g->kind == w->kind && g->flags == w->flags && g->align_log2 == w->align_log2 &&
				    g->examined == w->examined && g->addr == w->addr && g->size == w->size &&
				    g->block == w->block && g->addr2 == w->addr2 && g->size2 == w->size2 &&
				    g->caller == w->caller && g->seq == 0 && g->time == 0 && g->instret == 0,
			    "%s: event %zu differs:\n"
			    "      got  %s flags %u al %u ex %u addr +%" PRIx64 " size %" PRIu64 " block %" PRIu64
			    " addr2 +%" PRIx64 " size2 %" PRIu64 " caller %" PRIx64 "\n"
			    "      want %s flags %u al %u ex %u addr +%" PRIx64 " size %" PRIu64 " block %" PRIu64
			    " addr2 +%" PRIx64 " size2 %" PRIu64 " caller %" PRIx64,
			    what, i, heap_event_kind_name(g->kind), g->flags, g->align_log2, g->examined,
			    g->addr - H.base, g->size, g->block, g->addr2 ? g->addr2 - H.base : 0, g->size2,
			    g->caller, heap_event_kind_name(w->kind), w->flags, w->align_log2, w->examined,
			    w->addr - H.base, w->size, w->block, w->addr2 ? w->addr2 - H.base : 0, w->size2,
			    w->caller);
	}
	ngot = nwant = 0;
}

/* ---- checks after every operation ---------------------------------------------------- */

struct walk_state {
	size_t g;   /* next granule expected */
	bool ok;
};

static void walk_cb(void *ctx, uintptr_t addr, size_t size, bool is_free)
{
	struct walk_state *w = ctx;
	size_t g = (addr - H.base) / GRAN, e = g + size / GRAN;
	if (g != w->g || size == 0 || size % GRAN || e > ngrans || g_next(g, is_free) < e ||
	    (e < ngrans && g_used(e) != is_free))
		w->ok = false; /* not a maximal run of the right kind where expected */
	w->g = e;
}

static void check_all(bool deep)
{
	uintptr_t bad = 0;
	enum heap_error e = heap_check(&H, &bad);
	DIFF_ASSERT(e == HEAP_OK, "heap_check: %s at +0x%lx", heap_error_name(e), (unsigned long)(bad - H.base));
	DIFF_ASSERT(H.used == model_used, "used %zu, model %zu", H.used, model_used);
	if (!deep)
		return;
	struct free_summary fs = model_free_summary();
	DIFF_ASSERT(H.free_blocks == fs.runs, "free_blocks %zu, model %zu runs", H.free_blocks, fs.runs);
	struct heap_stats st;
	heap_stats(&H, &st);
	DIFF_ASSERT(st.free_bytes == fs.bytes && st.largest_free == fs.largest && st.used_bytes == model_used,
		    "stats: free %zu largest %zu used %zu; model %zu %zu %zu", st.free_bytes, st.largest_free,
		    st.used_bytes, fs.bytes, fs.largest, model_used);
	struct walk_state w = {0, true};
	heap_walk(&H, walk_cb, &w);
	DIFF_ASSERT(w.ok && w.g == ngrans, "walk does not match the map");
}

/* Every live block still holds its tag (each is also checked when freed). */
static void check_contents(void)
{
	for (size_t i = 0; i < nlive; i++) {
		const struct live *l = &live[i];
		for (size_t k = 0; k < l->size; k++)
			DIFF_ASSERT(l->p[k] == l->tag, "live block +0x%lx byte %zu overwritten",
				    (unsigned long)((uintptr_t)l->p - H.base), k);
	}
}

/* ---- operations ------------------------------------------------------------------------ */

static size_t random_size(void)
{
	size_t r = rng_below(1000);
	if (r < 5)
		return SIZE_MAX - rng_below(64); /* overflows when rounded */
	if (r < 600)
		return rng_below(65);
	if (r < 850)
		return 65 + rng_below(448);
	if (r < 970)
		return 513 + rng_below(3584);
	return 4097 + rng_below(H.len / 2);
}

static size_t random_align(void)
{
	size_t r = rng_below(1000);
	if (r < 3)
		return (size_t[]){0, 3, 24, 48, 1000}[rng_below(5)]; /* not a power of two */
	if (r < 500)
		return (size_t)1 << rng_below(5); /* 1..16 */
	if (r < 850)
		return (size_t)32 << rng_below(4); /* 32..256 */
	if (r < 995)
		return (size_t)512 << rng_below(4); /* 512..4096 */
	return 8192;
}

static void op_alloc(void)
{
	size_t size = random_size(), align = random_align();
	uintptr_t caller = (uintptr_t)rng() & 0xffffffff;
	size_t bsize = model_block_size(size, align);
	bool pow2 = align && !(align & (align - 1));
	struct fit f = {0, 0, 0, 0};
	if (bsize && policy != HEAP_POLICY_SEGREGATED)
		f = model_fit(bsize, align);

	uint8_t *p = heap_alloc(&H, size, align, caller);
	if (bsize && policy == HEAP_POLICY_SEGREGATED)
		f = model_segregated_check(bsize, align, (uintptr_t)p);

	if (!pow2) {
		DIFF_ASSERT(p == NULL, "alloc(%zu, %zu): bad alignment accepted", size, align);
	} else if (!bsize || !f.p) {
		DIFF_ASSERT(p == NULL, "alloc(%zu, %zu) = +0x%lx, model: nothing fits", size, align,
			    (unsigned long)((uintptr_t)p - H.base));
		struct free_summary fs = model_free_summary();
		n_fail++;
		struct heap_event *e = expect(HEAP_EV_ALLOC_FAIL);
		e->size = size;
		e->block = fs.bytes;
		e->size2 = fs.largest;
		e->align_log2 = (uint8_t)ilog2(align);
		e->caller = caller;
		/* a failed search looks at every block; segregated fit looks at none */
		e->examined = bsize && policy != HEAP_POLICY_SEGREGATED ? (uint32_t)fs.runs : 0;
	} else {
		DIFF_ASSERT((uintptr_t)p == f.p, "alloc(%zu, %zu) = +0x%lx, model (%s fit) +0x%lx", size,
			    align, p ? (unsigned long)((uintptr_t)p - H.base) : 0xdeadul,
			    heap_policy_name(policy), (unsigned long)(f.p - H.base));
		size_t rest = f.run_e - f.p - bsize;
		n_alloc++;
		if (f.run_e - f.run_s != bsize) {
			n_split++;
			struct heap_event *e = expect(HEAP_EV_SPLIT);
			e->addr = f.run_s;
			e->size = f.run_e - f.run_s;
			e->addr2 = rest ? f.p + bsize : 0;
			e->size2 = rest;
		}
		struct heap_event *e = expect(HEAP_EV_ALLOC);
		e->addr = f.p;
		e->size = size;
		e->block = bsize;
		e->align_log2 = (uint8_t)ilog2(align);
		e->caller = caller;
		e->examined = f.examined;
		g_set((f.p - H.base) / GRAN, bsize / GRAN, true);
		model_used += bsize;
		events_compare("alloc");
		if (nlive < MAX_LIVE) {
			struct live *l = &live[nlive++];
			*l = (struct live){p, size, align, bsize, ++next_tag};
			memset(p, l->tag, size);
		} else {
			enum heap_error err = heap_free(&H, p, size, align, 0); /* keep the table bounded */
			DIFF_ASSERT(err == HEAP_OK, "free of fresh block: %s", heap_error_name(err));
			g_set((f.p - H.base) / GRAN, bsize / GRAN, false);
			model_used -= bsize;
			ngot = nwant = 0;
		}
	}
	events_compare("alloc");
}

static void op_free(size_t i)
{
	struct live l = live[i];
	live[i] = live[--nlive];
	last_freed = l;
	for (size_t k = 0; k < l.size; k++)
		DIFF_ASSERT(l.p[k] == l.tag, "block +0x%lx byte %zu overwritten before free",
			    (unsigned long)((uintptr_t)l.p - H.base), k);
	uintptr_t p = (uintptr_t)l.p;
	size_t g = (p - H.base) / GRAN, n = l.bsize / GRAN;
	bool mprev = g > 0 && !g_used(g - 1);
	bool mnext = g + n < ngrans && !g_used(g + n);
	uintptr_t caller = (uintptr_t)rng() & 0xffffffff;

	enum heap_error err = heap_free(&H, l.p, l.size, l.align, caller);
	DIFF_ASSERT(err == HEAP_OK, "free(+0x%lx, %zu, %zu): %s", (unsigned long)(p - H.base), l.size,
		    l.align, heap_error_name(err));

	g_set(g, n, false);
	model_used -= l.bsize;
	struct heap_event *e = expect(HEAP_EV_FREE);
	e->addr = p;
	e->size = l.size;
	e->block = l.bsize;
	e->align_log2 = (uint8_t)ilog2(l.align);
	e->caller = caller;
	if (mprev || mnext) {
		size_t s = g_run_start(g), end = g_next(g, true);
		e = expect(HEAP_EV_COALESCE);
		e->addr = H.base + s * GRAN;
		e->size = (end - s) * GRAN;
		e->addr2 = p;
		e->size2 = l.bsize;
		e->flags = (uint8_t)((mprev ? HEAP_MERGED_PREV : 0) | (mnext ? HEAP_MERGED_NEXT : 0));
	}
	n_free++;
	n_merge[(mprev ? 1 : 0) | (mnext ? 2 : 0)]++;
	events_compare("free");
}

/* A free the model says is wrong must be refused with the right error. */
static void op_misuse(void)
{
	uintptr_t p;
	size_t size, align;
	switch (rng_below(6)) {
	case 5: /* just below or above the heap */
		p = rng_below(2) ? H.base - GRAN * (1 + rng_below(8)) : H.base + H.len + GRAN * rng_below(8);
		break;
	case 4: /* the block freed last, again */
		if (!last_freed.p)
			return;
		p = (uintptr_t)last_freed.p;
		size = last_freed.size;
		align = last_freed.align;
		goto judge;
	case 0: /* anywhere in or just around the heap, granule or byte aligned */
		p = H.base - 64 + rng_below(H.len + 128);
		if (rng_below(2))
			p &= ~(uintptr_t)(GRAN - 1);
		break;
	case 1: /* inside a live block */
		if (!nlive)
			return;
		p = (uintptr_t)live[rng_below(nlive)].p + rng_below(64);
		break;
	default: /* a live block with a wrong layout */
		if (!nlive)
			return;
		p = (uintptr_t)live[rng_below(nlive)].p;
		break;
	}
	size = rng_below(8) ? rng_below(2048) : SIZE_MAX - rng_below(32);
	align = rng_below(16) ? (size_t)1 << rng_below(13) : rng_below(100);
judge:;
	enum heap_error want_err = model_free_error(p, size, align);
	if (want_err == HEAP_OK)
		return; /* a valid-looking free of used memory: sized free cannot tell */
	size_t used = H.used, nfree = H.free_blocks;
	enum heap_error err = heap_free(&H, (void *)p, size, align, 0);
	DIFF_ASSERT(err == want_err, "misuse free(+0x%lx, %zu, %zu): got %s, want %s",
		    (unsigned long)(p - H.base), size, align, heap_error_name(err), heap_error_name(want_err));
	DIFF_ASSERT(H.used == used && H.free_blocks == nfree, "refused free changed the heap");
	n_misuse[want_err]++;
	events_compare("misuse");
}

static void run(size_t heap_len, size_t ops)
{
	memset(arena, 0, sizeof arena);
	memset(map, 0, sizeof map);
	ASSERT(heap_init_policy(&H, arena, heap_len, policy, sink, NULL));
	model_rover = H.base;
	ngrans = H.len / GRAN; /* segregated fit keeps its state in the region's front */
	model_used = 0;
	nlive = 0;
	last_freed.p = NULL;
	ngot = nwant = 0;
	heap_set_poison(&H, true);
	for (op_no = 0; op_no < ops; op_no++) {
		if (op_no == POISON_OPS)
			heap_set_poison(&H, false);
		size_t r = rng_below(1000);
		/* drift between filling and draining so both full and empty heaps occur */
		size_t bias = (op_no / 20000) % 2 ? 450 : 560;
		if (r < 15)
			op_misuse();
		else if (r < bias || nlive == 0)
			op_alloc();
		else
			op_free(rng_below(nlive));
		check_all(op_no % 64 == 0 || op_no < 2000);
		if (op_no % 8192 == 0)
			check_contents();
	}
	while (nlive) {
		op_free(nlive - 1);
		check_all(false);
	}
	check_all(true);
	DIFF_ASSERT(H.free_blocks == 1 && H.used == 0, "heap not whole again after freeing everything");
	printf("\n    heap %zu B, %zu ops: %zu allocs (%zu split), %zu failed, %zu frees (merged: none %zu, "
	       "prev %zu, next %zu, both %zu), refused frees: outside %zu misaligned %zu double %zu layout %zu ",
	       heap_len, ops, n_alloc, n_split, n_fail, n_free, n_merge[0], n_merge[1], n_merge[2], n_merge[3],
	       n_misuse[HEAP_ERR_OUTSIDE], n_misuse[HEAP_ERR_MISALIGNED], n_misuse[HEAP_ERR_DOUBLE_FREE],
	       n_misuse[HEAP_ERR_BAD_LAYOUT]);
	DIFF_ASSERT(ops < 100000 || (n_fail && n_merge[1] && n_merge[2] && n_merge[3] && n_misuse[HEAP_ERR_OUTSIDE] &&
				    n_misuse[HEAP_ERR_MISALIGNED] && n_misuse[HEAP_ERR_DOUBLE_FREE] &&
				    n_misuse[HEAP_ERR_BAD_LAYOUT]),
		    "the run did not exercise every case");
	n_alloc = n_fail = n_split = n_free = 0;
	memset(n_merge, 0, sizeof n_merge);
	memset(n_misuse, 0, sizeof n_misuse);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return dflt;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end) {
		fprintf(stderr, "heap_diff_test: %s: not a number: %s\n", name, s);
		exit(2);
	}
	return v;
}

TEST_CASE(random_operations_match_the_byte_map_model)
{
	size_t ops = (size_t)env_u64("HEAP_DIFF_OPS", 1000000);
	rng_state = seed;
	run(MAX_HEAP, ops);
	op_no = 0;
	run(4096, ops / 5); /* a small heap: exhaustion is common */
}

/* The random run for another policy: a quarter of first fit's operations (its
 * model is the costlier part), on a large and on a small heap. */
static void run_policy(enum heap_policy p, uint64_t salt)
{
	size_t ops = (size_t)env_u64("HEAP_DIFF_OPS", 1000000) / 4;
	rng_state = seed ^ salt;
	policy = p;
	run(MAX_HEAP, ops);
	op_no = 0;
	run(4096, ops / 5);
	policy = HEAP_POLICY_FIRST;
}

TEST_CASE(next_fit_matches_the_byte_map_model)
{
	run_policy(HEAP_POLICY_NEXT, 0x6e657874); /* "next" */
}

TEST_CASE(best_fit_matches_the_byte_map_model)
{
	run_policy(HEAP_POLICY_BEST, 0x62657374); /* "best" */
}

TEST_CASE(segregated_fit_matches_the_byte_map_model)
{
	run_policy(HEAP_POLICY_SEGREGATED, 0x736567); /* "seg" */
}

TEST_CASE(model_catches_a_corrupted_heap)
{
	/* the harness must be able to fail: a block the model thinks is free but
	 * the heap has handed out must show up as a mismatch */
	memset(map, 0, sizeof map);
	ASSERT(heap_init(&H, arena, 4096, NULL, NULL));
	ngrans = 4096 / GRAN;
	void *p = heap_alloc(&H, 64, 16, 0);
	ASSERT_NOT_NULL(p);
	struct fit f = model_first_fit(64, 16); /* the model was not told */
	ASSERT_EQ(f.p, H.base);
	ASSERT_NE((uintptr_t)heap_alloc(&H, 64, 16, 0), f.p);
}

int main(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = env_u64("HEAP_DIFF_SEED", (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec);
	printf("heap_diff_test: seed %" PRIu64 ", %" PRIu64 " ops (replay: HEAP_DIFF_SEED=%" PRIu64 ")\n", seed,
	       env_u64("HEAP_DIFF_OPS", 1000000), seed);
	return test_main();
}
