/* model.c - heapviz replay model: compact events, bitmap+hash heap state, keyframes, series.
 *
 * State layout (struct vstate): the heap is cut into slots of `gran` bytes. A
 * bitmap has one bit per slot, set where an allocated block starts, with a
 * summary bitmap of non-zero words for fast next/previous searches. The
 * blocks themselves live in an open-addressing hash table keyed by offset.
 * Free blocks are never stored: they are the gaps between allocated blocks.
 *
 *   slot:  0    1    2    3    4    5    6    7
 *   bits:  1    0    0    1    0    0    0    1      block A [0,3), B [3,4), gap [4,7), C [7,..)
 *
 * Applying an ALLOC or FREE is O(1) expected plus the neighbour search; a
 * keyframe is the sorted block list, restored in O(live blocks).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

struct vstate {
	size_t pos;            /* events applied */
	unsigned shift;        /* log2(gran) */
	uint32_t nslots;       /* heap_size >> shift */
	uint32_t nwords;       /* words in bits */
	uint32_t nsum;         /* words in sum */
	uint64_t *bits;        /* one bit per slot: an allocated block starts here */
	uint64_t *sum;         /* one bit per word of bits: the word is non-zero */
	struct viz_block *tab; /* hash table, empty entries have off == VIZ_NO_ADDR */
	uint32_t tabcap;       /* power of two */
	uint32_t live;         /* allocated blocks */
	uint64_t used;         /* bytes in allocated blocks */
};

#define EV_CHUNK (1u << 16) /* events per chunk: no realloc copies, little slack */
#define EV(m, i) (&(m)->chunks[(i) / EV_CHUNK][(i) % EV_CHUNK])

struct keyframe {
	size_t pos;               /* position it describes */
	struct viz_block *blocks; /* its blocks by address (own allocation: no slack) */
	uint32_t n;               /* blocks */
};

struct viz_model {
	uint64_t base, size, gran;
	struct viz_event **chunks; /* all events, EV_CHUNK per chunk */
	size_t nchunks, capchunks;
	size_t count;
	struct vstate tip;            /* state at position count */
	struct vstate cur;            /* state at the cursor */
	struct viz_block *cur_sorted; /* blocks at the cursor, by address (cache) */
	size_t cur_capsorted;
	bool cur_sorted_ok;
	struct keyframe *kf;
	size_t nkf, capkf;
	size_t kf_bytes;           /* bytes in keyframe block arrays */
	size_t max_replay;         /* longest distance between keyframes */
	struct viz_sample *series; /* VIZ_SERIES_MAX + 1 slots (the last for the tip) */
	size_t nseries;
	size_t series_step;
	uint32_t used_max_since; /* highest used since the last sample */
	struct viz_sample tip_sample;
	size_t tip_sample_count; /* count when tip_sample was made, 0 = never */
	uint64_t peak_used;
	size_t peak_pos;
	uint32_t *fails;
	size_t nfails, capfails;
	struct viz_caller *callers;
	size_t ncallers, capcallers;
	uint32_t *caller_hash; /* index + 1, 0 = empty */
	size_t caller_hashcap;
	char **names; /* marker labels */
	size_t nnames, capnames;
	uint64_t bad;
	uint64_t dropped; /* sum of DROP counts */
};

/* ---- growable arrays ------------------------------------------------------ */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* ---- replay state ---------------------------------------------------------- */

static bool st_init(struct vstate *s, uint64_t size, unsigned shift)
{
	memset(s, 0, sizeof *s);
	s->shift = shift;
	s->nslots = (uint32_t)(size >> shift);
	s->nwords = (s->nslots + 63) / 64;
	s->nsum = (s->nwords + 63) / 64;
	s->bits = calloc(s->nwords ? s->nwords : 1, sizeof *s->bits);
	s->sum = calloc(s->nsum ? s->nsum : 1, sizeof *s->sum);
	s->tabcap = 64;
	s->tab = malloc(s->tabcap * sizeof *s->tab);
	if (!s->bits || !s->sum || !s->tab)
		return false;
	for (uint32_t i = 0; i < s->tabcap; i++)
		s->tab[i].off = VIZ_NO_ADDR;
	return true;
}

static void st_fini(struct vstate *s)
{
	free(s->bits);
	free(s->sum);
	free(s->tab);
}

static uint32_t st_hash(uint32_t off)
{
	return (off * 2654435761u) ^ (off >> 15);
}

static struct viz_block *st_find(const struct vstate *s, uint32_t off)
{
	uint32_t mask = s->tabcap - 1;
	for (uint32_t i = st_hash(off) & mask;; i = (i + 1) & mask) {
		if (s->tab[i].off == off)
			return &s->tab[i];
		if (s->tab[i].off == VIZ_NO_ADDR)
			return NULL;
	}
}

static void st_put(struct vstate *s, const struct viz_block *b)
{
	uint32_t mask = s->tabcap - 1;
	uint32_t i = st_hash(b->off) & mask;
	while (s->tab[i].off != VIZ_NO_ADDR)
		i = (i + 1) & mask;
	s->tab[i] = *b;
}

static bool st_rehash(struct vstate *s, uint32_t cap)
{
	struct viz_block *old = s->tab;
	uint32_t oldcap = s->tabcap;
	struct viz_block *t = malloc((size_t)cap * sizeof *t);
	if (!t)
		return false;
	for (uint32_t i = 0; i < cap; i++)
		t[i].off = VIZ_NO_ADDR;
	s->tab = t;
	s->tabcap = cap;
	for (uint32_t i = 0; i < oldcap; i++)
		if (old[i].off != VIZ_NO_ADDR)
			st_put(s, &old[i]);
	free(old);
	return true;
}

/* Removes the entry at table slot i (backward-shift deletion). */
static void st_del_at(struct vstate *s, uint32_t i)
{
	uint32_t mask = s->tabcap - 1;
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (s->tab[j].off == VIZ_NO_ADDR)
			break;
		uint32_t k = st_hash(s->tab[j].off) & mask;
		/* move j to i unless k lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].off = VIZ_NO_ADDR;
}

static void bit_set(struct vstate *s, uint32_t slot)
{
	uint32_t w = slot / 64;
	s->bits[w] |= 1ull << (slot % 64);
	s->sum[w / 64] |= 1ull << (w % 64);
}

static void bit_clear(struct vstate *s, uint32_t slot)
{
	uint32_t w = slot / 64;
	s->bits[w] &= ~(1ull << (slot % 64));
	if (!s->bits[w])
		s->sum[w / 64] &= ~(1ull << (w % 64));
}

/* First set slot >= slot, or UINT32_MAX. */
static uint32_t bit_next(const struct vstate *s, uint32_t slot)
{
	if (slot >= s->nslots)
		return UINT32_MAX;
	uint32_t w = slot / 64;
	uint64_t x = s->bits[w] & (~0ull << (slot % 64));
	if (x)
		return w * 64 + (uint32_t)__builtin_ctzll(x);
	/* next non-zero word after w, through the summary */
	uint32_t nw = w + 1;
	if (nw >= s->nwords)
		return UINT32_MAX;
	uint32_t sw = nw / 64;
	uint64_t y = s->sum[sw] & (~0ull << (nw % 64));
	while (!y) {
		if (++sw >= s->nsum)
			return UINT32_MAX;
		y = s->sum[sw];
	}
	w = sw * 64 + (uint32_t)__builtin_ctzll(y);
	return w * 64 + (uint32_t)__builtin_ctzll(s->bits[w]);
}

/* Last set slot <= slot, or UINT32_MAX. */
static uint32_t bit_prev(const struct vstate *s, uint32_t slot)
{
	if (slot >= s->nslots)
		slot = s->nslots - 1;
	uint32_t w = slot / 64;
	uint64_t x = s->bits[w] & (~0ull >> (63 - slot % 64));
	if (x)
		return w * 64 + 63 - (uint32_t)__builtin_clzll(x);
	if (w == 0)
		return UINT32_MAX;
	uint32_t pw = w - 1;
	uint32_t sw = pw / 64;
	uint64_t y = s->sum[sw] & (~0ull >> (63 - pw % 64));
	while (!y) {
		if (sw == 0)
			return UINT32_MAX;
		y = s->sum[--sw];
	}
	w = sw * 64 + 63 - (uint32_t)__builtin_clzll(y);
	return w * 64 + 63 - (uint32_t)__builtin_clzll(s->bits[w]);
}

/* Inserts a block known not to overlap. */
static bool st_insert(struct vstate *s, const struct viz_block *b)
{
	if ((s->live + 1) * 2 > s->tabcap && !st_rehash(s, s->tabcap * 2))
		return false;
	st_put(s, b);
	bit_set(s, b->off >> s->shift);
	s->live++;
	s->used += b->bytes;
	return true;
}

/* Applies event e (number idx) to s. Returns false if it does not fit the
 * state (the state is then unchanged). */
static bool st_apply(struct vstate *s, const struct viz_event *e, uint32_t idx)
{
	uint64_t gmask = (1ull << s->shift) - 1;
	if (e->kind == HEAP_EV_ALLOC) {
		if (e->addr == VIZ_NO_ADDR || (e->addr & gmask) || e->block == 0)
			return false;
		uint64_t end = (uint64_t)e->addr + e->block;
		if (end > ((uint64_t)s->nslots << s->shift))
			return false;
		uint32_t slot = e->addr >> s->shift;
		uint32_t nx = bit_next(s, slot);
		if (nx != UINT32_MAX && ((uint64_t)nx << s->shift) < end)
			return false;
		if (slot > 0) {
			uint32_t pv = bit_prev(s, slot - 1);
			if (pv != UINT32_MAX) {
				const struct viz_block *p = st_find(s, pv << s->shift);
				if (p && (uint64_t)p->off + p->bytes > e->addr)
					return false;
			}
		}
		struct viz_block b = {
		    .off = e->addr,
		    .bytes = e->block,
		    .req = e->size > UINT32_MAX ? UINT32_MAX : (uint32_t)e->size,
		    .born = idx,
		    .caller = e->aux,
		    .align_log2 = e->align_log2,
		};
		return st_insert(s, &b);
	}
	if (e->kind == HEAP_EV_FREE) {
		if (e->addr == VIZ_NO_ADDR)
			return false;
		struct viz_block *b = st_find(s, e->addr);
		if (!b)
			return false;
		s->used -= b->bytes;
		s->live--;
		bit_clear(s, e->addr >> s->shift);
		st_del_at(s, (uint32_t)(b - s->tab));
		return true;
	}
	return true;
}

/* Fills out (if non-NULL, room for s->live) with the blocks by address;
 * computes metrics into mt (if non-NULL). */
static void st_walk(const struct vstate *s, struct viz_block *out, struct viz_metrics *mt,
                    uint64_t heap_size)
{
	struct viz_metrics m;
	memset(&m, 0, sizeof m);
	double sumsq = 0;
	uint64_t at = 0; /* end of the previous block */
	size_t n = 0;
	uint32_t slot = 0;
	for (;;) {
		slot = bit_next(s, slot);
		uint64_t start = slot == UINT32_MAX ? heap_size : (uint64_t)slot << s->shift;
		if (start > at) {
			uint64_t g = start - at;
			m.free_bytes += g;
			m.free_blocks++;
			if (g > m.largest_free)
				m.largest_free = g;
			sumsq += (double)g * (double)g;
			unsigned b = 0;
			while (b + 1 < VIZ_HIST_BUCKETS && (g >> (b + 5)) != 0)
				b++;
			m.hist[b]++;
		}
		if (slot == UINT32_MAX)
			break;
		const struct viz_block *blk = st_find(s, slot << s->shift);
		if (!blk)
			break; /* cannot happen: bits and table agree */
		if (out)
			out[n] = *blk;
		n++;
		m.used_bytes += blk->bytes;
		at = start + blk->bytes;
		slot++;
	}
	m.live_blocks = n;
	if (m.free_bytes) {
		m.frag_permille = (uint32_t)(1000 - (m.largest_free * 1000) / m.free_bytes);
		double f = (double)m.free_bytes;
		m.frag_sq_permille = (uint32_t)(1000.0 * (1.0 - sumsq / (f * f)) + 0.5);
	}
	if (mt)
		*mt = m;
}

/* Makes s empty. */
static void st_clear(struct vstate *s)
{
	for (uint32_t i = 0; i < s->tabcap; i++) {
		if (s->tab[i].off != VIZ_NO_ADDR) {
			uint32_t slot = s->tab[i].off >> s->shift;
			s->bits[slot / 64] = 0;
			s->sum[slot / 64 / 64] = 0;
			s->tab[i].off = VIZ_NO_ADDR;
		}
	}
	s->live = 0;
	s->used = 0;
	s->pos = 0;
}

/* ---- the model ------------------------------------------------------------ */

viz_model *viz_model_new(uint64_t heap_base, uint64_t heap_size, uint64_t gran)
{
	if (gran == 0 || (gran & (gran - 1)) || heap_size == 0 || heap_size >= (1ull << 32) ||
	    heap_size < gran)
		return NULL;
	viz_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	unsigned shift = (unsigned)__builtin_ctzll(gran);
	m->base = heap_base;
	m->size = heap_size;
	m->gran = gran;
	m->series_step = 1;
	m->series = malloc((VIZ_SERIES_MAX + 1) * sizeof *m->series);
	m->kf = malloc(16 * sizeof *m->kf);
	m->capkf = 16;
	if (!m->series || !m->kf || !st_init(&m->tip, heap_size, shift) ||
	    !st_init(&m->cur, heap_size, shift)) {
		viz_model_free(m);
		return NULL;
	}
	m->kf[0] = (struct keyframe){.pos = 0, .blocks = NULL, .n = 0};
	m->nkf = 1;
	return m;
}

void viz_model_free(viz_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nchunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	st_fini(&m->tip);
	st_fini(&m->cur);
	free(m->cur_sorted);
	for (size_t i = 0; i < m->nkf; i++)
		free(m->kf[i].blocks);
	free(m->kf);
	free(m->series);
	free(m->fails);
	for (size_t i = 0; i < m->ncallers; i++) {
		free(m->callers[i].fn);
		free(m->callers[i].src);
	}
	free(m->callers);
	free(m->caller_hash);
	for (size_t i = 0; i < m->nnames; i++)
		free(m->names[i]);
	free(m->names);
	free(m);
}

static char *dup_or(const char *s, const char *dflt)
{
	return strdup(s ? s : dflt);
}

static uint32_t caller_lookup(const viz_model *m, uint64_t addr)
{
	if (!m->caller_hashcap)
		return VIZ_NO_CALLER;
	size_t mask = m->caller_hashcap - 1;
	for (size_t i = (size_t)(addr * 0x9e3779b97f4a7c15ull >> 32) & mask;; i = (i + 1) & mask) {
		uint32_t v = m->caller_hash[i];
		if (!v)
			return VIZ_NO_CALLER;
		if (m->callers[v - 1].addr == addr)
			return v - 1;
	}
}

static void caller_hash_put(viz_model *m, uint32_t index)
{
	size_t mask = m->caller_hashcap - 1;
	size_t i = (size_t)(m->callers[index].addr * 0x9e3779b97f4a7c15ull >> 32) & mask;
	while (m->caller_hash[i])
		i = (i + 1) & mask;
	m->caller_hash[i] = index + 1;
}

uint32_t viz_model_add_caller(viz_model *m, uint64_t addr, const char *fn, const char *src)
{
	uint32_t i = caller_lookup(m, addr);
	if (i != VIZ_NO_CALLER) {
		if (fn && strcmp(m->callers[i].fn, "??") == 0) {
			char *f = strdup(fn), *s = dup_or(src, "??:0");
			if (f && s) {
				free(m->callers[i].fn);
				free(m->callers[i].src);
				m->callers[i].fn = f;
				m->callers[i].src = s;
			} else {
				free(f);
				free(s);
			}
		}
		return i;
	}
	if (m->ncallers >= UINT32_MAX - 1)
		return VIZ_NO_CALLER;
	if ((m->ncallers + 1) * 2 > m->caller_hashcap) {
		size_t cap = m->caller_hashcap ? m->caller_hashcap * 2 : 64;
		uint32_t *h = calloc(cap, sizeof *h);
		if (!h)
			return VIZ_NO_CALLER;
		free(m->caller_hash);
		m->caller_hash = h;
		m->caller_hashcap = cap;
		for (size_t k = 0; k < m->ncallers; k++)
			caller_hash_put(m, (uint32_t)k);
	}
	if (!grow((void **)&m->callers, &m->capcallers, m->ncallers + 1, sizeof *m->callers))
		return VIZ_NO_CALLER;
	struct viz_caller *c = &m->callers[m->ncallers];
	c->addr = addr;
	c->fn = dup_or(fn, "??");
	c->src = dup_or(src, "??:0");
	if (!c->fn || !c->src) {
		free(c->fn);
		free(c->src);
		return VIZ_NO_CALLER;
	}
	caller_hash_put(m, (uint32_t)m->ncallers);
	return (uint32_t)m->ncallers++;
}

const struct viz_caller *viz_model_caller(const viz_model *m, uint32_t index)
{
	return index < m->ncallers ? &m->callers[index] : NULL;
}

static uint32_t to_off(const viz_model *m, uint64_t addr)
{
	if (addr < m->base || addr - m->base >= m->size)
		return VIZ_NO_ADDR;
	return (uint32_t)(addr - m->base);
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void series_push(viz_model *m, const struct vstate *s)
{
	struct viz_metrics mt;
	st_walk(s, NULL, &mt, m->size);
	if (m->nseries == VIZ_SERIES_MAX) {
		/* halve the resolution: keep every second sample */
		for (size_t k = 0; k < VIZ_SERIES_MAX / 2; k++) {
			struct viz_sample a = m->series[2 * k], b = m->series[2 * k + 1];
			if (a.used_max > b.used_max)
				b.used_max = a.used_max;
			m->series[k] = b;
		}
		m->nseries = VIZ_SERIES_MAX / 2;
		m->series_step *= 2;
		if (s->pos % m->series_step != 0)
			return; /* this position is no longer a sample point; fold its max in later
			         */
	}
	uint32_t used = sat32(s->used);
	m->series[m->nseries++] = (struct viz_sample){
	    .pos = (uint32_t)s->pos,
	    .used = used,
	    .used_max = m->used_max_since > used ? m->used_max_since : used,
	    .largest_free = sat32(mt.largest_free),
	    .free_bytes = sat32(mt.free_bytes),
	    .free_blocks = sat32(mt.free_blocks),
	};
	m->used_max_since = 0;
}

static bool keyframe_take(viz_model *m)
{
	const struct vstate *s = &m->tip;
	if (!grow((void **)&m->kf, &m->capkf, m->nkf + 1, sizeof *m->kf))
		return false;
	struct viz_block *b = malloc(((size_t)s->live + 1) * sizeof *b);
	if (!b)
		return false;
	st_walk(s, b, NULL, m->size);
	m->kf[m->nkf++] = (struct keyframe){.pos = s->pos, .blocks = b, .n = s->live};
	m->kf_bytes += ((size_t)s->live + 1) * sizeof *b;
	return true;
}

bool viz_model_append(viz_model *m, const struct heap_event *ev)
{
	if (m->count >= UINT32_MAX - 1)
		return false;
	if ((m->count & (EV_CHUNK - 1)) == 0) {
		if (!grow((void **)&m->chunks, &m->capchunks, m->nchunks + 1, sizeof *m->chunks))
			return false;
		if (!(m->chunks[m->nchunks] = malloc(EV_CHUNK * sizeof(struct viz_event))))
			return false;
		m->nchunks++;
	}
	struct viz_event e = {
	    .time = ev->time,
	    .size = ev->size,
	    .addr = to_off(m, ev->addr),
	    .addr2 = to_off(m, ev->addr2),
	    .block = sat32(ev->block),
	    .size2 = sat32(ev->size2),
	    .aux = VIZ_NO_CALLER,
	    .kind = ev->kind,
	    .flags = ev->flags,
	    .align_log2 = ev->align_log2,
	};
	switch (ev->kind) {
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
	case HEAP_EV_ALLOC_FAIL:
	case HEAP_EV_REALLOC:
		if (ev->caller)
			e.aux = viz_model_add_caller(m, ev->caller, NULL, NULL);
		break;
	case HEAP_EV_MARKER:
		if (!grow((void **)&m->names, &m->capnames, m->nnames + 1, sizeof *m->names))
			return false;
		m->names[m->nnames] = strndup(ev->name, HEAP_MARKER_NAME_MAX);
		if (!m->names[m->nnames])
			return false;
		e.aux = (uint32_t)m->nnames++;
		break;
	case HEAP_EV_INIT:
		e.addr = to_off(m, ev->addr);
		break;
	default:
		break;
	}
	if (!st_apply(&m->tip, &e, (uint32_t)m->count)) {
		e.bad = 1;
		m->bad++;
	}
	*EV(m, m->count) = e;
	m->count++;
	m->tip.pos = m->count;
	if (m->tip.used > m->peak_used) {
		m->peak_used = m->tip.used;
		m->peak_pos = m->count;
	}
	if (e.kind == HEAP_EV_DROP)
		m->dropped += ev->size;
	if (e.kind == HEAP_EV_ALLOC_FAIL) {
		if (!grow((void **)&m->fails, &m->capfails, m->nfails + 1, sizeof *m->fails))
			return false;
		m->fails[m->nfails++] = (uint32_t)m->count;
	}
	uint32_t used = sat32(m->tip.used);
	if (used > m->used_max_since)
		m->used_max_since = used;
	if (m->count % m->series_step == 0)
		series_push(m, &m->tip);
	size_t since = m->count - m->kf[m->nkf - 1].pos;
	size_t need = (size_t)m->tip.live * sizeof(struct viz_block) / VIZ_KF_BYTES_PER_EVENT;
	if (since >= VIZ_KF_MIN_INTERVAL && since >= need) {
		if (since > m->max_replay)
			m->max_replay = since;
		if (!keyframe_take(m))
			return false;
	}
	return true;
}

size_t viz_model_count(const viz_model *m)
{
	return m->count;
}
uint64_t viz_model_heap_base(const viz_model *m)
{
	return m->base;
}
uint64_t viz_model_heap_size(const viz_model *m)
{
	return m->size;
}
uint64_t viz_model_gran(const viz_model *m)
{
	return m->gran;
}
uint64_t viz_model_bad_events(const viz_model *m)
{
	return m->bad;
}
uint64_t viz_model_dropped(const viz_model *m)
{
	return m->dropped;
}
size_t viz_model_pos(const viz_model *m)
{
	return m->cur.pos;
}
size_t viz_model_keyframes(const viz_model *m)
{
	return m->nkf;
}

const struct viz_event *viz_model_event(const viz_model *m, size_t index)
{
	return index < m->count ? EV(m, index) : NULL;
}

const char *viz_model_marker_name(const viz_model *m, const struct viz_event *e)
{
	if (e->kind != HEAP_EV_MARKER || e->aux >= m->nnames)
		return "";
	return m->names[e->aux];
}

size_t viz_model_max_replay(const viz_model *m)
{
	size_t tail = m->count - m->kf[m->nkf - 1].pos;
	return tail > m->max_replay ? tail : m->max_replay;
}

/* Replays events [s->pos, pos) onto s. */
static void replay(viz_model *m, struct vstate *s, size_t pos)
{
	for (size_t i = s->pos; i < pos; i++) {
		const struct viz_event *e = EV(m, i);
		if (!e->bad && (e->kind == HEAP_EV_ALLOC || e->kind == HEAP_EV_FREE))
			st_apply(s, e, (uint32_t)i);
	}
	s->pos = pos;
}

size_t viz_model_seek(viz_model *m, size_t pos)
{
	if (pos > m->count)
		pos = m->count;
	struct vstate *s = &m->cur;
	if (pos == s->pos)
		return pos;
	m->cur_sorted_ok = false;
	/* the last keyframe at or before pos */
	size_t lo = 0, hi = m->nkf;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (m->kf[mid].pos <= pos)
			lo = mid;
		else
			hi = mid;
	}
	const struct keyframe *k = &m->kf[lo];
	if (!(s->pos < pos && s->pos >= k->pos)) {
		st_clear(s);
		if (k->n * 2 > s->tabcap) {
			uint32_t cap = s->tabcap;
			while (k->n * 2 > cap)
				cap *= 2;
			st_rehash(s, cap); /* on failure, st_insert grows step by step */
		}
		for (uint32_t i = 0; i < k->n; i++)
			st_insert(s, &k->blocks[i]);
		s->pos = k->pos;
	}
	replay(m, s, pos);
	return pos;
}

const struct viz_block *viz_model_blocks(viz_model *m, size_t *n)
{
	if (!m->cur_sorted_ok) {
		if (!grow((void **)&m->cur_sorted, &m->cur_capsorted, (size_t)m->cur.live + 1,
		          sizeof *m->cur_sorted)) {
			*n = 0;
			return NULL;
		}
		st_walk(&m->cur, m->cur_sorted, NULL, m->size);
		m->cur_sorted_ok = true;
	}
	*n = m->cur.live;
	return m->cur_sorted;
}

void viz_model_metrics(viz_model *m, struct viz_metrics *out)
{
	st_walk(&m->cur, NULL, out, m->size);
}

bool viz_model_hit(viz_model *m, uint64_t off, struct viz_block *blk, bool *is_free)
{
	if (off >= m->size)
		return false;
	const struct vstate *s = &m->cur;
	uint32_t slot = (uint32_t)(off >> s->shift);
	uint32_t pv = bit_prev(s, slot);
	uint64_t gap_start = 0;
	if (pv != UINT32_MAX) {
		const struct viz_block *b = st_find(s, pv << s->shift);
		if (b && off < (uint64_t)b->off + b->bytes) {
			*blk = *b;
			*is_free = false;
			return true;
		}
		if (b)
			gap_start = (uint64_t)b->off + b->bytes;
	}
	uint32_t nx = bit_next(s, slot + 1);
	uint64_t gap_end = nx == UINT32_MAX ? m->size : (uint64_t)nx << s->shift;
	*blk = (struct viz_block){
	    .off = (uint32_t)gap_start,
	    .bytes = (uint32_t)(gap_end - gap_start),
	    .born = VIZ_NO_CALLER,
	    .caller = VIZ_NO_CALLER,
	};
	*is_free = true;
	return true;
}

size_t viz_model_peak_pos(const viz_model *m, uint64_t *peak_used)
{
	if (peak_used)
		*peak_used = m->peak_used;
	return m->peak_pos;
}

const uint32_t *viz_model_fails(const viz_model *m, size_t *n)
{
	*n = m->nfails;
	return m->fails;
}

size_t viz_model_find(const viz_model *m, size_t from, int direction, unsigned kind)
{
	if (m->count == 0)
		return SIZE_MAX;
	if (direction >= 0) {
		for (size_t i = from; i < m->count; i++)
			if (EV(m, i)->kind == kind)
				return i;
		return SIZE_MAX;
	}
	if (from >= m->count)
		from = m->count - 1;
	for (size_t i = from + 1; i-- > 0;)
		if (EV(m, i)->kind == kind)
			return i;
	return SIZE_MAX;
}

const struct viz_sample *viz_model_series(viz_model *m, size_t *n)
{
	*n = m->nseries;
	if (m->count == 0)
		return m->series;
	if (m->nseries && m->series[m->nseries - 1].pos == m->count)
		return m->series;
	if (m->tip_sample_count != m->count) {
		struct viz_metrics mt;
		st_walk(&m->tip, NULL, &mt, m->size);
		uint32_t used = sat32(m->tip.used);
		m->tip_sample = (struct viz_sample){
		    .pos = (uint32_t)m->count,
		    .used = used,
		    .used_max = m->used_max_since > used ? m->used_max_since : used,
		    .largest_free = sat32(mt.largest_free),
		    .free_bytes = sat32(mt.free_bytes),
		    .free_blocks = sat32(mt.free_blocks),
		};
		m->tip_sample_count = m->count;
	}
	m->series[m->nseries] = m->tip_sample; /* the spare slot */
	*n = m->nseries + 1;
	return m->series;
}

size_t viz_model_bytes(const viz_model *m)
{
	size_t b = sizeof *m;
	b += m->nchunks * EV_CHUNK * sizeof(struct viz_event) + m->capchunks * sizeof *m->chunks;
	b += m->capkf * sizeof *m->kf + m->kf_bytes;
	b += (VIZ_SERIES_MAX + 1) * sizeof *m->series;
	b += m->capfails * sizeof *m->fails;
	b += m->capcallers * sizeof *m->callers + m->caller_hashcap * sizeof *m->caller_hash;
	b += m->capnames * sizeof *m->names;
	for (int i = 0; i < 2; i++) {
		const struct vstate *s = i ? &m->cur : &m->tip;
		b += (size_t)s->nwords * 8 + (size_t)s->nsum * 8 +
		     (size_t)s->tabcap * sizeof *s->tab;
	}
	return b;
}
