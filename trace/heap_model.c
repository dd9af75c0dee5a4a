/* heap_model.c - heap state rebuilt from trace events: live blocks and free gaps in hash tables.
 *
 * Everything the replay asks is by exact address, because the allocator's
 * events name their blocks: a free names its block, its neighbours are the
 * gap ending where it starts and the gap starting where it ends, a split
 * names the gap it cuts, an alloc without a split takes a whole gap that
 * starts at its address. So live blocks sit in a pool indexed by one hash
 * map (u64_map.h), and free gaps in a pool indexed by two (by start and by
 * end) plus a binary max-heap by size, whose top is the largest free block:
 * O(1) lookups and O(log n) updates on compact arrays, no per-event malloc.
 * Ordered questions (which span contains an arbitrary address) scan the gaps;
 * only error messages and the start of a span walk ask them.
 *
 *   block pool: struct heap_model_block      by_addr: block address -> block
 *   gap pool:   struct gap { addr, size, pos in max-heap }
 *   by_start:   gap start -> gap              by_end: gap end -> gap
 *   max-heap:   gap indices, parent size >= child size
 *
 * Invariant: live blocks and gaps tile [base, base + size) exactly, and no
 * two gaps touch (a free merges with its free neighbours).
 */
#include "heap_model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_reader.h"
#include "u64_map.h"

#define NOGAP    U64_MAP_NONE /* "no such free gap" */
#define NOBLOCK  U64_MAP_NONE /* "no such live block" */
#define POOL_MIN 1024         /* first size of each pool */

/* A free gap: an entry of the gap pool. */
struct gap {
	uint64_t addr, size; /* the free block */
	uint32_t pos;        /* its index in the max-heap; next free slot while unused */
};

struct heap_model {
	struct heap_model_block *bp; /* block pool; a recycled entry's seq links the next */
	uint32_t bcap, bused;        /* entries allocated, entries ever used */
	uint32_t bfree;              /* first recycled entry, NOBLOCK if none */
	struct u64_map by_addr;      /* block address -> block */
	struct gap *gp;              /* gap pool */
	uint32_t gcap, gused;        /* slots allocated, slots ever used */
	uint32_t gfree;              /* first recycled slot, NOGAP if none */
	uint32_t *hp;                /* max-heap of gap indices by size (hn of them) */
	uint32_t hn;
	struct u64_map by_start; /* gap start -> gap */
	struct u64_map by_end;   /* gap end -> gap */
	uint64_t base, size;     /* the heap */
	bool started;            /* INIT seen (or created from a header) */
	bool lossy;              /* a DROP was applied */
	unsigned __int128 sumsq; /* sum of the squares of the free block sizes */
	/* the SPLIT waiting for its ALLOC, and the FREE that a COALESCE may follow */
	bool split_pending;
	uint64_t split_addr, split_size, split_rem_addr, split_rem_size, split_seq;
	bool free_last; /* the previous event was a FREE that applied */
	uint64_t free_addr, free_size;
	unsigned free_merged; /* HEAP_MERGED_* it did */
	struct heap_model_stats st;
};

/* ---- the max-heap of gaps by size ------------------------------------------------ */

static inline void hp_set(heap_model *m, uint32_t pos, uint32_t g)
{
	m->hp[pos] = g;
	m->gp[g].pos = pos;
}

static void hp_up(heap_model *m, uint32_t pos)
{
	uint32_t g = m->hp[pos];
	uint64_t sz = m->gp[g].size;
	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (m->gp[m->hp[parent]].size >= sz)
			break;
		hp_set(m, pos, m->hp[parent]);
		pos = parent;
	}
	hp_set(m, pos, g);
}

static void hp_down(heap_model *m, uint32_t pos)
{
	uint32_t g = m->hp[pos];
	uint64_t sz = m->gp[g].size;
	for (;;) {
		uint32_t c = 2 * pos + 1;
		if (c >= m->hn)
			break;
		if (c + 1 < m->hn && m->gp[m->hp[c + 1]].size > m->gp[m->hp[c]].size)
			c++;
		if (m->gp[m->hp[c]].size <= sz)
			break;
		hp_set(m, pos, m->hp[c]);
		pos = c;
	}
	hp_set(m, pos, g);
}

/* ---- gaps ------------------------------------------------------------------------- */

static void gaps_clear(heap_model *m)
{
	m->gused = 0;
	m->gfree = NOGAP;
	m->hn = 0;
	u64_map_clear(&m->by_start);
	u64_map_clear(&m->by_end);
}

/* Room for one more gap everywhere; false when out of memory. */
static bool gap_reserve(heap_model *m)
{
	if (!u64_map_reserve(&m->by_start, 1) || !u64_map_reserve(&m->by_end, 1))
		return false;
	if (m->gfree != NOGAP || m->gused < m->gcap)
		return true;
	uint32_t ncap = m->gcap ? m->gcap * 2 : POOL_MIN;
	struct gap *ng = realloc(m->gp, (size_t)ncap * sizeof *ng);
	if (!ng)
		return false;
	m->gp = ng;
	uint32_t *nh = realloc(m->hp, (size_t)ncap * sizeof *nh);
	if (!nh)
		return false;
	m->hp = nh;
	m->gcap = ncap;
	return true;
}

static inline uint32_t gap_at(const heap_model *m, uint64_t addr)
{
	return u64_map_get(&m->by_start, addr);
}

static inline uint32_t gap_ending(const heap_model *m, uint64_t addr)
{
	return u64_map_get(&m->by_end, addr);
}

/* The gap with the largest start <= addr (a scan: for messages and span lookups). */
static uint32_t gap_pred(const heap_model *m, uint64_t addr)
{
	uint32_t best = NOGAP;
	for (uint32_t i = 0; i < m->hn; i++) {
		uint32_t g = m->hp[i];
		if (m->gp[g].addr <= addr && (best == NOGAP || m->gp[g].addr > m->gp[best].addr))
			best = g;
	}
	return best;
}

/* ---- live blocks ------------------------------------------------------------------ */

static void blocks_clear(heap_model *m)
{
	m->bused = 0;
	m->bfree = NOBLOCK;
	u64_map_clear(&m->by_addr);
}

/* Room for one more live block; false when out of memory. */
static bool block_reserve(heap_model *m)
{
	if (!u64_map_reserve(&m->by_addr, 1))
		return false;
	if (m->bfree != NOBLOCK || m->bused < m->bcap)
		return true;
	uint32_t ncap = m->bcap ? m->bcap * 2 : POOL_MIN;
	struct heap_model_block *nb = realloc(m->bp, (size_t)ncap * sizeof *nb);
	if (!nb)
		return false;
	m->bp = nb;
	m->bcap = ncap;
	return true;
}

/* The live block starting at addr, or NULL. */
static inline struct heap_model_block *block_at(const heap_model *m, uint64_t addr)
{
	uint32_t i = u64_map_get(&m->by_addr, addr);
	return i != NOBLOCK ? &m->bp[i] : NULL;
}

/* Adds b (its address not live; block_reserve succeeded). */
static void block_add(heap_model *m, const struct heap_model_block *b)
{
	uint32_t i;
	if (m->bfree != NOBLOCK) {
		i = m->bfree;
		m->bfree = (uint32_t)m->bp[i].seq;
	} else {
		i = m->bused++;
	}
	m->bp[i] = *b;
	u64_map_put(&m->by_addr, b->addr, i); /* cannot fail: reserved */
}

/* Removes the live block at addr (it is one). */
static void block_remove(heap_model *m, uint64_t addr)
{
	uint32_t i = u64_map_remove(&m->by_addr, addr);
	m->bp[i].seq = m->bfree;
	m->bfree = i;
}

/* ---- free-block accounting ------------------------------------------------------ */

static inline unsigned bucket_of(uint64_t size)
{
	return size ? 63u - (unsigned)__builtin_clzll(size) : 0;
}

static void gap_count(heap_model *m, uint64_t size, int sign)
{
	struct heap_model_stats *s = &m->st;
	unsigned __int128 sq = (unsigned __int128)size * size;
	if (sign > 0) {
		s->free_bytes += size;
		s->free_blocks++;
		s->hist[bucket_of(size)]++;
		m->sumsq += sq;
	} else {
		s->free_bytes -= size;
		s->free_blocks--;
		s->hist[bucket_of(size)]--;
		m->sumsq -= sq;
	}
}

/* Adds the gap [addr, addr + size) (gap_reserve must have succeeded). */
static void gap_add(heap_model *m, uint64_t addr, uint64_t size)
{
	uint32_t g;
	if (m->gfree != NOGAP) {
		g = m->gfree;
		m->gfree = m->gp[g].pos;
	} else {
		g = m->gused++;
	}
	m->gp[g].addr = addr;
	m->gp[g].size = size;
	u64_map_put(&m->by_start, addr, g); /* cannot fail: gap_reserve */
	u64_map_put(&m->by_end, addr + size, g);
	m->hp[m->hn] = g;
	m->gp[g].pos = m->hn++;
	hp_up(m, m->gp[g].pos);
	gap_count(m, size, +1);
}

static void gap_remove(heap_model *m, uint32_t g)
{
	struct gap *x = &m->gp[g];
	u64_map_remove(&m->by_start, x->addr);
	u64_map_remove(&m->by_end, x->addr + x->size);
	gap_count(m, x->size, -1);
	uint32_t pos = x->pos, last = m->hp[--m->hn];
	if (pos != m->hn) {
		hp_set(m, pos, last);
		hp_up(m, pos);
		hp_down(m, m->gp[last].pos);
	}
	x->pos = m->gfree;
	m->gfree = g;
}

/* Moves a gap's start to addr with the new size, keeping its end. */
static void gap_set_start(heap_model *m, uint32_t g, uint64_t addr, uint64_t size)
{
	struct gap *x = &m->gp[g];
	u64_map_remove(&m->by_start, x->addr);
	gap_count(m, x->size, -1);
	uint64_t old = x->size;
	x->addr = addr;
	x->size = size;
	u64_map_put(&m->by_start, addr, g);
	gap_count(m, size, +1);
	if (size > old)
		hp_up(m, x->pos);
	else
		hp_down(m, x->pos);
}

/* Changes a gap's size, keeping its start. */
static void gap_resize(heap_model *m, uint32_t g, uint64_t size)
{
	struct gap *x = &m->gp[g];
	u64_map_remove(&m->by_end, x->addr + x->size);
	gap_count(m, x->size, -1);
	uint64_t old = x->size;
	x->size = size;
	u64_map_put(&m->by_end, x->addr + size, g);
	gap_count(m, size, +1);
	if (size > old)
		hp_up(m, x->pos);
	else
		hp_down(m, x->pos);
}

/* Recomputes the derived figures (largest, fragmentation). */
static void stats_refresh(heap_model *m)
{
	struct heap_model_stats *s = &m->st;
	s->largest_free = m->hn ? m->gp[m->hp[0]].size : 0;
	s->live_blocks = u64_map_count(&m->by_addr);
	if (s->free_bytes) {
		double f = (double)s->free_bytes;
		s->frag = 1.0 - (double)s->largest_free / f;
		/* the 128-bit sum rarely needs more than 64 bits: convert cheaply then */
		double sq = (m->sumsq >> 64) ? (double)m->sumsq : (double)(uint64_t)m->sumsq;
		s->frag_sq = 1.0 - sq / (f * f);
		if (s->frag_sq < 0)
			s->frag_sq = 0;
	} else {
		s->frag = s->frag_sq = 0;
	}
}

/* ---- lifecycle ------------------------------------------------------------------- */

static void model_reset(heap_model *m)
{
	blocks_clear(m);
	gaps_clear(m);
	m->sumsq = 0;
	m->split_pending = m->free_last = false;
	uint64_t seq = m->st.seq, time = m->st.time, events = m->st.events;
	memset(&m->st, 0, sizeof m->st);
	m->st.seq = seq;
	m->st.time = time;
	m->st.events = events;
}

heap_model *heap_model_create(const struct trace_header *h)
{
	heap_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	blocks_clear(m);
	gaps_clear(m);
	if (!block_reserve(m) || !gap_reserve(m)) {
		heap_model_destroy(m);
		return NULL;
	}
	if (h && h->heap_size)
		heap_model_init(m, h->heap_base, h->heap_size);
	return m;
}

void heap_model_destroy(heap_model *m)
{
	if (!m)
		return;
	free(m->bp);
	u64_map_free(&m->by_addr);
	free(m->gp);
	free(m->hp);
	u64_map_free(&m->by_start);
	u64_map_free(&m->by_end);
	free(m);
}

void heap_model_init(heap_model *m, uint64_t base, uint64_t size)
{
	model_reset(m);
	m->base = base;
	m->size = size;
	m->started = true;
	if (size)
		gap_add(m, base, size); /* room for one gap is reserved at create */
	stats_refresh(m);
}

bool heap_model_started(const heap_model *m)
{
	return m->started;
}
uint64_t heap_model_base(const heap_model *m)
{
	return m->base;
}
uint64_t heap_model_size(const heap_model *m)
{
	return m->size;
}
bool heap_model_lossy(const heap_model *m)
{
	return m->lossy;
}
bool heap_model_settled(const heap_model *m)
{
	return !m->split_pending && !m->free_last;
}
size_t heap_model_bytes(const heap_model *m)
{
	return sizeof *m + (size_t)m->bcap * sizeof *m->bp + u64_map_bytes(&m->by_addr) +
	       (size_t)m->gcap * (sizeof *m->gp + sizeof *m->hp) + u64_map_bytes(&m->by_start) +
	       u64_map_bytes(&m->by_end);
}
const struct heap_model_stats *heap_model_peek(const heap_model *m)
{
	return &m->st;
}
void heap_model_stats(const heap_model *m, struct heap_model_stats *out)
{
	*out = m->st;
}

const struct heap_model_block *heap_model_find(const heap_model *m, uint64_t addr)
{
	return block_at(m, addr);
}

/* The span that starts exactly at addr (a span boundary); false if none. */
static bool span_starting(const heap_model *m, uint64_t addr, struct heap_model_span *out)
{
	const struct heap_model_block *b = block_at(m, addr);
	if (b) {
		*out = (struct heap_model_span){b->addr, b->size, false, b};
		return true;
	}
	uint32_t g = gap_at(m, addr);
	if (g != NOGAP) {
		*out = (struct heap_model_span){addr, m->gp[g].size, true, NULL};
		return true;
	}
	return false;
}

bool heap_model_span_at(const heap_model *m, uint64_t addr, struct heap_model_span *out)
{
	if (!m->started || addr < m->base || addr - m->base >= m->size)
		return false;
	uint32_t g = gap_pred(m, addr);
	if (g != NOGAP && addr - m->gp[g].addr < m->gp[g].size) {
		*out = (struct heap_model_span){m->gp[g].addr, m->gp[g].size, true, NULL};
		return true;
	}
	/* in a run of live blocks: it starts where that gap ends (or at the base) */
	uint64_t a = g != NOGAP ? m->gp[g].addr + m->gp[g].size : m->base;
	while (span_starting(m, a, out) && !out->is_free) {
		if (addr - a < out->size)
			return true;
		a += out->size;
	}
	return false; /* cannot happen while the tiling invariant holds */
}

void heap_model_each_span(const heap_model *m, uint64_t lo, uint64_t hi, heap_model_span_fn fn,
                          void *ctx)
{
	if (!m->started)
		return;
	uint64_t end = m->base + m->size;
	struct heap_model_span sp;
	if (!heap_model_span_at(m, lo < m->base ? m->base : lo, &sp))
		return;
	for (;;) {
		if (sp.addr >= hi || !fn(ctx, &sp))
			return;
		uint64_t a = sp.addr + sp.size;
		if (a >= end || !span_starting(m, a, &sp))
			return;
	}
}

struct block_walk {
	heap_model_block_fn fn;
	void *ctx;
};

static bool block_of_span(void *ctx, const struct heap_model_span *sp)
{
	struct block_walk *w = ctx;
	return sp->is_free || w->fn(w->ctx, sp->block);
}

void heap_model_each_block(const heap_model *m, uint64_t lo, uint64_t hi, heap_model_block_fn fn,
                           void *ctx)
{
	struct block_walk w = {fn, ctx};
	heap_model_each_span(m, lo, hi, block_of_span, &w);
}

/* ---- applying events --------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static bool
impossible(char *err, size_t errlen, const struct heap_event *ev, const char *fmt, ...)
{
	if (err && errlen) {
		int n = snprintf(err, errlen, "event %" PRIu64 ": ", ev->seq);
		if (n >= 0 && (size_t)n < errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return false;
}

/* Says what lies at addr, for messages: "a free block at 0x..". */
static void describe(const heap_model *m, uint64_t addr, char *buf, size_t n)
{
	struct heap_model_span sp;
	if (!heap_model_span_at(m, addr, &sp))
		snprintf(buf, n, "outside the heap");
	else if (sp.is_free)
		snprintf(buf, n, "inside free block 0x%" PRIx64 "+%" PRIu64, sp.addr, sp.size);
	else
		snprintf(buf, n,
		         "inside live block 0x%" PRIx64 "+%" PRIu64 " (allocated at event %" PRIu64
		         ")",
		         sp.addr, sp.size, sp.block->seq);
}

static bool apply_alloc(heap_model *m, const struct heap_event *ev, char *err, size_t errlen)
{
	uint64_t p = ev->addr, b = ev->block;
	if (b == 0)
		return impossible(err, errlen, ev, "alloc of an empty block at 0x%" PRIx64, p);
	if (p + b < p)
		return impossible(err, errlen, ev,
		                  "alloc of a block of %" PRIu64 " bytes at 0x%" PRIx64
		                  ": its end passes 2^64",
		                  b, p);
	if (ev->size > b)
		return impossible(err, errlen, ev,
		                  "alloc of %" PRIu64 " bytes in a block of only %" PRIu64
		                  " bytes at 0x%" PRIx64,
		                  ev->size, b, p);
	/* the gap it comes from: the split's, or (no split) one starting at p */
	uint32_t gi = gap_at(m, m->split_pending ? m->split_addr : p);
	if (gi == NOGAP || p < m->gp[gi].addr || p + b > m->gp[gi].addr + m->gp[gi].size) {
		uint32_t ci = gap_pred(m, p);
		if (ci != NOGAP && p + b <= m->gp[ci].addr + m->gp[ci].size)
			return impossible(err, errlen, ev,
			                  "alloc 0x%" PRIx64 "+%" PRIu64
			                  " cuts free block 0x%" PRIx64 "+%" PRIu64
			                  " but no split of that block precedes it",
			                  p, b, m->gp[ci].addr, m->gp[ci].size);
		char what[160];
		struct heap_model_span sp;
		bool in_heap = heap_model_span_at(m, p, &sp);
		if (in_heap && sp.is_free) /* starts in a gap, runs into the block after it */
			in_heap = span_starting(m, sp.addr + sp.size, &sp);
		if (in_heap && !sp.is_free)
			snprintf(what, sizeof what,
			         "overlaps live block 0x%" PRIx64 "+%" PRIu64
			         " (allocated at event %" PRIu64 ")",
			         sp.addr, sp.size, sp.block->seq);
		else
			describe(m, p, what, sizeof what);
		return impossible(err, errlen, ev, "alloc 0x%" PRIx64 "+%" PRIu64 " %s", p, b,
		                  what);
	}
	struct gap g = m->gp[gi];
	uint64_t front = p - g.addr, back = g.addr + g.size - (p + b);
	if (front || back) {
		if (!m->split_pending)
			return impossible(err, errlen, ev,
			                  "alloc 0x%" PRIx64 "+%" PRIu64
			                  " cuts free block 0x%" PRIx64 "+%" PRIu64
			                  " but no split of that block precedes it",
			                  p, b, g.addr, g.size);
		uint64_t rem_addr = back ? p + b : 0;
		if (m->split_rem_size != back || (back && m->split_rem_addr != rem_addr))
			return impossible(
			    err, errlen, ev,
			    "alloc 0x%" PRIx64 "+%" PRIu64 " leaves remainder 0x%" PRIx64
			    "+%" PRIu64 " but the split said 0x%" PRIx64 "+%" PRIu64,
			    p, b, rem_addr, back, m->split_rem_addr, m->split_rem_size);
	} else if (m->split_pending) {
		return impossible(err, errlen, ev,
		                  "alloc takes all of free block 0x%" PRIx64
		                  " but a split of it preceded",
		                  g.addr);
	}
	if (!gap_reserve(m) || !block_reserve(m))
		return impossible(err, errlen, ev, "out of memory");
	if (front)
		gap_resize(m, gi, front);
	else if (back)
		gap_set_start(m, gi, p + b, back); /* the common cut: the gap's start moves up */
	else
		gap_remove(m, gi);
	if (front && back)
		gap_add(m, p + b, back);
	struct heap_model_block nb = {
	    .addr = p,
	    .size = b,
	    .req_size = ev->size,
	    .align = (uint64_t)1 << (ev->align_log2 & 63),
	    .seq = ev->seq,
	    .time = ev->time,
	    .caller = ev->caller,
	    .stack = ev->stack,
	};
	block_add(m, &nb);
	m->st.used_bytes += b;
	m->st.requested_bytes += ev->size;
	return true;
}

static bool apply_free(heap_model *m, const struct heap_event *ev, char *err, size_t errlen)
{
	uint64_t a = ev->addr;
	const struct heap_model_block *bp = block_at(m, a);
	if (!bp) {
		char what[160];
		describe(m, a, what, sizeof what);
		return impossible(err, errlen, ev,
		                  "free of 0x%" PRIx64 ", which is not a live block: %s", a, what);
	}
	struct heap_model_block blk = *bp;
	if (ev->block != blk.size)
		return impossible(err, errlen, ev,
		                  "free of 0x%" PRIx64 " releases %" PRIu64
		                  " bytes but the block allocated at event %" PRIu64
		                  " has %" PRIu64,
		                  a, ev->block, blk.seq, blk.size);
	if (!gap_reserve(m))
		return impossible(err, errlen, ev, "out of memory");
	block_remove(m, a);
	m->st.used_bytes -= blk.size;
	m->st.requested_bytes -= blk.req_size;

	uint64_t size = blk.size;
	unsigned merged = 0;
	uint32_t ni = gap_at(m, a + blk.size), pi = gap_ending(m, a);
	merged = (ni != NOGAP ? HEAP_MERGED_NEXT : 0) | (pi != NOGAP ? HEAP_MERGED_PREV : 0);
	if (ni != NOGAP && pi != NOGAP) {
		uint64_t next_size = m->gp[ni].size;
		gap_remove(m, ni);
		gap_resize(m, pi, m->gp[pi].size + size + next_size);
	} else if (ni != NOGAP) {
		gap_set_start(m, ni, a, size + m->gp[ni].size); /* the next gap grows down */
	} else if (pi != NOGAP) {
		gap_resize(m, pi, m->gp[pi].size + size);
	} else {
		gap_add(m, a, size);
	}
	m->free_last = true;
	m->free_addr = a;
	m->free_size = blk.size;
	m->free_merged = merged;
	return true;
}

static bool apply_coalesce(heap_model *m, const struct heap_event *ev, char *err, size_t errlen)
{
	if (!m->free_last || m->free_addr != ev->addr2 || m->free_size != ev->size2)
		return impossible(err, errlen, ev,
		                  "coalesce of freed block 0x%" PRIx64 "+%" PRIu64
		                  " does not follow its free",
		                  ev->addr2, ev->size2);
	if (m->free_merged != (ev->flags & (HEAP_MERGED_PREV | HEAP_MERGED_NEXT))) {
		return impossible(err, errlen, ev,
		                  "coalesce says it merged %s; the neighbours give %s",
		                  heap_merged_name(ev->flags), heap_merged_name(m->free_merged));
	}
	uint32_t gi = gap_at(m, ev->addr);
	if (gi == NOGAP || m->gp[gi].size != ev->size)
		return impossible(err, errlen, ev,
		                  "coalesce gives free block 0x%" PRIx64 "+%" PRIu64
		                  "; the model has %s",
		                  ev->addr, ev->size,
		                  gi != NOGAP ? "a different size there" : "no free block there");
	return true;
}

bool heap_model_apply(heap_model *m, const struct heap_event *ev, char *err, size_t errlen)
{
	struct heap_model_stats *s = &m->st;
	s->seq = ev->seq;
	s->time = ev->time;
	s->events++;
	bool ok = true;
	bool was_free = m->free_last;
	m->free_last = false;
	if (!m->started && ev->kind != HEAP_EV_INIT && ev->kind != HEAP_EV_MARKER &&
	    ev->kind != HEAP_EV_DROP && ev->kind != HEAP_EV_END)
		return impossible(err, errlen, ev, "%s before the heap's init event",
		                  heap_event_kind_name(ev->kind));
	switch (ev->kind) {
	case HEAP_EV_INIT:
		heap_model_init(m, ev->addr, ev->size);
		return true;
	case HEAP_EV_ALLOC:
		ok = apply_alloc(m, ev, err, errlen);
		m->split_pending = false;
		break;
	case HEAP_EV_FREE:
		ok = apply_free(m, ev, err, errlen);
		break;
	case HEAP_EV_SPLIT: {
		uint32_t gi = gap_at(m, ev->addr);
		if (gi == NOGAP || m->gp[gi].size != ev->size) {
			char what[160];
			describe(m, ev->addr, what, sizeof what);
			ok = impossible(err, errlen, ev,
			                "split of 0x%" PRIx64 "+%" PRIu64
			                ", which is not a free block: %s",
			                ev->addr, ev->size, what);
			break;
		}
		m->split_pending = true;
		m->split_addr = ev->addr;
		m->split_size = ev->size;
		m->split_rem_addr = ev->addr2;
		m->split_rem_size = ev->size2;
		m->split_seq = ev->seq;
		break;
	}
	case HEAP_EV_COALESCE:
		m->free_last = was_free;
		ok = apply_coalesce(m, ev, err, errlen);
		m->free_last = false;
		break;
	case HEAP_EV_ALLOC_FAIL:
		if (ev->block != s->free_bytes || ev->size2 != s->largest_free)
			ok =
			    impossible(err, errlen, ev,
			               "alloc_fail reports %" PRIu64 " bytes free, largest %" PRIu64
			               "; the model has %" PRIu64 ", largest %" PRIu64,
			               ev->block, ev->size2, s->free_bytes, s->largest_free);
		break;
	case HEAP_EV_DROP:
		m->lossy = true;
		break;
	case HEAP_EV_END:
		/* a run that panicked may have stopped inside an allocator call, after
		 * the allocator counted a block and before its event left (a stack
		 * overflow in the sink): its END's bytes in use are then not the model's */
		if (ev->block != s->used_bytes && !(ev->flags & HEAP_END_PANIC))
			ok = impossible(err, errlen, ev,
			                "end reports %" PRIu64
			                " bytes in use; the model has %" PRIu64,
			                ev->block, s->used_bytes);
		break;
	case HEAP_EV_MISUSE: /* a call the allocator refused: the heap is unchanged */
	default:             /* realloc (a summary of its own alloc and free), marker */
		break;
	}
	stats_refresh(m);
	return ok;
}

/* ---- save / restore ------------------------------------------------------------------ */

#define SAVE_MAGIC 0x314d4d48u /* "HMM1" */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
};

static void put_u8(struct wbuf *w, uint8_t v)
{
	if (w->n < w->cap)
		w->p[w->n] = v;
	w->n++;
}

static void put_var(struct wbuf *w, uint64_t v)
{
	while (v >= 0x80) {
		put_u8(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put_u8(w, (uint8_t)v);
}

struct rbuf {
	const uint8_t *p;
	size_t n, off;
	bool bad;
};

static uint64_t get_var(struct rbuf *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->off >= r->n) {
			r->bad = true;
			return 0;
		}
		uint8_t b = r->p[r->off++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

struct save_ctx {
	struct wbuf *w;
	uint64_t prev_end, prev_seq, prev_caller;
};

static bool save_block(void *ctx, const struct heap_model_block *b)
{
	struct save_ctx *c = ctx;
	put_var(c->w, b->addr - c->prev_end);
	put_var(c->w, b->size);
	put_var(c->w, b->size - b->req_size);
	put_u8(c->w, (uint8_t)__builtin_ctzll(b->align ? b->align : 1));
	put_var(c->w, b->seq);
	put_var(c->w, b->time);
	put_var(c->w, b->caller ^ c->prev_caller); /* callers repeat: often 0 */
	put_var(c->w, b->stack);
	c->prev_end = b->addr + b->size;
	c->prev_caller = b->caller;
	return true;
}

size_t heap_model_save(const heap_model *m, void *buf, size_t cap)
{
	struct wbuf w = {buf, 0, buf ? cap : 0};
	for (int i = 0; i < 4; i++)
		put_u8(&w, (uint8_t)(SAVE_MAGIC >> (8 * i)));
	put_u8(&w, (uint8_t)(m->started | m->lossy << 1));
	put_var(&w, m->base);
	put_var(&w, m->size);
	put_var(&w, m->st.seq);
	put_var(&w, m->st.time);
	put_var(&w, m->st.events);
	put_var(&w, u64_map_count(&m->by_addr));
	struct save_ctx c = {&w, m->base, 0, 0};
	heap_model_each_block(m, 0, UINT64_MAX, save_block, &c);
	return w.n; /* if > cap, buf holds a partial write: only the size counts */
}

bool heap_model_restore(heap_model *m, const void *buf, size_t len)
{
	struct rbuf r = {buf, len, 0, false};
	model_reset(m);
	m->started = false;
	m->base = m->size = 0;
	if (len < 5)
		goto bad;
	uint32_t magic = 0;
	for (int i = 0; i < 4; i++)
		magic |= (uint32_t)r.p[r.off++] << (8 * i);
	if (magic != SAVE_MAGIC)
		goto bad;
	uint8_t flags = r.p[r.off++];
	uint64_t base = get_var(&r), size = get_var(&r);
	uint64_t seq = get_var(&r), time = get_var(&r), events = get_var(&r), count = get_var(&r);
	if (r.bad || base + size < base)
		goto bad;
	m->base = base;
	m->size = size;
	m->started = flags & 1;
	m->lossy = flags & 2;
	uint64_t prev_end = base, caller = 0;
	for (uint64_t i = 0; i < count; i++) {
		struct heap_model_block b;
		b.addr = prev_end + get_var(&r);
		b.size = get_var(&r);
		uint64_t slack = get_var(&r);
		if (r.off >= r.n)
			goto bad;
		unsigned al = r.p[r.off++];
		b.seq = get_var(&r);
		b.time = get_var(&r);
		caller ^= get_var(&r);
		b.caller = caller;
		uint64_t stack = get_var(&r);
		b.stack = (uint32_t)stack;
		if (r.bad || al > 63 || stack > UINT32_MAX || slack > b.size || b.size == 0 ||
		    b.addr < prev_end || b.addr + b.size < b.addr || b.addr + b.size > base + size)
			goto bad;
		b.req_size = b.size - slack;
		b.align = (uint64_t)1 << al;
		if (b.addr > prev_end) {
			if (!gap_reserve(m))
				goto bad;
			gap_add(m, prev_end, b.addr - prev_end);
		}
		if (!block_reserve(m))
			goto bad;
		block_add(m, &b);
		m->st.used_bytes += b.size;
		m->st.requested_bytes += b.req_size;
		prev_end = b.addr + b.size;
	}
	if (r.off != r.n)
		goto bad;
	if (m->started && prev_end < base + size) {
		if (!gap_reserve(m))
			goto bad;
		gap_add(m, prev_end, base + size - prev_end);
	}
	m->st.seq = seq;
	m->st.time = time;
	m->st.events = events;
	stats_refresh(m);
	return true;
bad:
	model_reset(m);
	m->started = false;
	m->base = m->size = 0;
	stats_refresh(m);
	return false;
}
