/* model.c - heapviz replay model: compact events, keyframes and series around trace/heap_model.
 *
 * Two heap models (trace/heap_model.h) hold the states: `tip` after every
 * appended event (which decides whether an event fits, and feeds the peak,
 * series and keyframes), `cur` at the cursor. Nothing here applies events or
 * computes metrics itself.
 *
 * Events are stored compactly (struct viz_event, addresses as heap offsets,
 * the caller as an index) and expanded back into the same struct heap_event
 * whenever they are applied: at append time and when a seek replays them, so
 * a seek applies exactly what the tip applied. A keyframe is a heap_model_save
 * taken at a settled point (no SPLIT or FREE waiting for its partner event) at
 * least VIZ_KF_MIN_INTERVAL events after the previous one, once the events
 * since pay for its bytes at VIZ_KF_BYTES_PER_EVENT. A seek restores the last
 * keyframe at or before the target (or goes on from the cursor when that is
 * nearer) and replays the events between.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "u64_map.h"

#define EV_CHUNK (1u << 16) /* events per chunk: no realloc copies, little slack */
#define EV(m, i) (&(m)->chunks[(i) / EV_CHUNK][(i) % EV_CHUNK])

struct keyframe {
	size_t pos;     /* position it describes */
	uint8_t *state; /* heap_model_save output (own allocation: no slack) */
	size_t len;     /* its bytes */
};

struct viz_model {
	uint64_t base, size, gran;
	struct viz_event **chunks; /* all events, EV_CHUNK per chunk */
	size_t nchunks, capchunks;
	size_t count;
	heap_model *tip;              /* state at position count */
	heap_model *cur;              /* state at the cursor */
	size_t cur_pos;               /* the cursor */
	struct viz_block *cur_sorted; /* blocks at the cursor, by address (cache) */
	size_t cur_n, cur_capsorted;
	bool cur_sorted_ok;
	struct keyframe *kf;
	size_t nkf, capkf;
	size_t kf_bytes;     /* bytes in keyframe states */
	size_t kf_per_block; /* bytes a block took in the last keyframe, x16 (estimate) */
	uint8_t *scratch;    /* where keyframes are saved first */
	size_t capscratch;
	size_t max_replay;         /* longest distance between keyframes */
	struct viz_sample *series; /* VIZ_SERIES_MAX + 1 slots (the last for the tip) */
	size_t nseries;
	size_t series_step;
	uint32_t used_max_since; /* highest used since the last sample */
	struct viz_sample tip_sample;
	size_t tip_sample_count; /* count when tip_sample was made, 0 = never */
	uint64_t peak_used;
	size_t peak_pos;
	uint64_t extent; /* highest block end (heap offset) any ALLOC reached */
	uint32_t max_examined; /* longest alloc search (free blocks examined) */
	uint32_t *fails;
	size_t nfails, capfails;
	struct viz_caller *callers;
	size_t ncallers, capcallers;
	struct u64_map caller_index; /* caller address -> index in callers */
	struct viz_site *sites;      /* call sites, by first sight */
	size_t nsites, capsites;
	struct u64_map site_index; /* SITE_OF_STACK(id) or the caller address -> index in sites */
	char **names;                /* marker labels */
	size_t nnames, capnames;
	uint64_t bad;
	uint64_t dropped;         /* sum of DROP counts */
	struct heap_event misuse; /* the first MISUSE event (the call the run panicked on) */
	size_t misuse_pos;        /* position just after it, 0 if none */
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

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* ---- callers ---------------------------------------------------------------- */

static char *dup_or(const char *s, const char *dflt)
{
	return strdup(s ? s : dflt);
}

_Static_assert(VIZ_NO_CALLER == U64_MAP_NONE, "an unknown caller is an absent key");

static uint32_t caller_lookup(const viz_model *m, uint64_t addr)
{
	return u64_map_get(&m->caller_index, addr);
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
	if (m->ncallers >= UINT32_MAX - 1 || !u64_map_reserve(&m->caller_index, 1))
		return VIZ_NO_CALLER;
	if (!grow((void **)&m->callers, &m->capcallers, m->ncallers + 1, sizeof *m->callers))
		return VIZ_NO_CALLER;
	struct viz_caller *c = &m->callers[m->ncallers];
	c->addr = addr;
	c->n_inlined = 0;
	c->inlined = NULL;
	c->fn = dup_or(fn, "??");
	c->src = dup_or(src, "??:0");
	if (!c->fn || !c->src) {
		free(c->fn);
		free(c->src);
		return VIZ_NO_CALLER;
	}
	u64_map_put(&m->caller_index, addr, (uint32_t)m->ncallers); /* cannot fail: reserved */
	return (uint32_t)m->ncallers++;
}

const struct viz_caller *viz_model_caller(const viz_model *m, uint32_t index)
{
	return index < m->ncallers ? &m->callers[index] : NULL;
}

const struct viz_caller *viz_model_caller_at(const viz_model *m, uint64_t addr)
{
	return viz_model_caller(m, caller_lookup(m, addr));
}

bool viz_model_set_inlined(viz_model *m, uint32_t index, uint32_t n, const char *const *fn,
                           const char *const *src)
{
	if (index >= m->ncallers || n == 0 || m->callers[index].n_inlined)
		return true; /* unknown caller, nothing to add, or known already */
	struct viz_inline *inl = calloc(n, sizeof *inl);
	if (!inl)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		inl[i].fn = dup_or(fn[i], "??");
		inl[i].src = dup_or(src[i], "??:0");
		if (!inl[i].fn || !inl[i].src) {
			for (uint32_t k = 0; k <= i; k++) {
				free(inl[k].fn);
				free(inl[k].src);
			}
			free(inl);
			return false;
		}
	}
	m->callers[index].inlined = inl;
	m->callers[index].n_inlined = n;
	return true;
}

/* ---- call sites ------------------------------------------------------------------- */

/* A stack record's key in site_index; a caller address (below 2^63: the
 * kernel's code) is its own key, 0 the unknown caller. */
#define SITE_OF_STACK(id) ((UINT64_C(1) << 63) | (id))

static uint32_t site_new(viz_model *m, uint64_t key, uint32_t depth, const uint64_t *frames)
{
	if (m->nsites >= VIZ_NO_SITE - 1 || !u64_map_reserve(&m->site_index, 1))
		return VIZ_NO_SITE;
	uint64_t *f = depth ? malloc(depth * sizeof *f) : NULL;
	if (depth && !f)
		return VIZ_NO_SITE;
	if (!grow((void **)&m->sites, &m->capsites, m->nsites + 1, sizeof *m->sites)) {
		free(f);
		return VIZ_NO_SITE;
	}
	if (depth)
		memcpy(f, frames, depth * sizeof *f);
	m->sites[m->nsites] = (struct viz_site){.depth = depth, .frames = f};
	u64_map_put(&m->site_index, key, (uint32_t)m->nsites); /* cannot fail: reserved */
	return (uint32_t)m->nsites++;
}

uint32_t viz_model_add_stack(viz_model *m, uint32_t id, uint32_t depth, const uint64_t *frames)
{
	uint32_t i = u64_map_get(&m->site_index, SITE_OF_STACK(id));
	return i != U64_MAP_NONE ? i : site_new(m, SITE_OF_STACK(id), depth, frames);
}

bool viz_model_has_stack(const viz_model *m, uint32_t id)
{
	return u64_map_get(&m->site_index, SITE_OF_STACK(id)) != U64_MAP_NONE;
}

/* The site of an allocation from stack record `stack` (0: none) by the code at
 * caller address `caller` (0: unknown); VIZ_NO_SITE if there is none yet. */
static uint32_t site_find(const viz_model *m, uint32_t stack, uint64_t caller)
{
	uint32_t i = U64_MAP_NONE;
	if (stack)
		i = u64_map_get(&m->site_index, SITE_OF_STACK(stack));
	if (i == U64_MAP_NONE)
		i = u64_map_get(&m->site_index, caller);
	return i;
}

/* site_find, making a one-frame site for a caller seen first. */
static uint32_t site_of(viz_model *m, uint32_t stack, uint64_t caller)
{
	uint32_t i = site_find(m, stack, caller);
	return i != U64_MAP_NONE ? i : site_new(m, caller, caller ? 1 : 0, &caller);
}

size_t viz_model_sites(const viz_model *m)
{
	return m->nsites;
}

const struct viz_site *viz_model_site(const viz_model *m, uint32_t index)
{
	return index < m->nsites ? &m->sites[index] : NULL;
}

/* ---- events <-> the heap model ---------------------------------------------- */

static uint32_t to_off(const viz_model *m, uint64_t addr)
{
	if (addr < m->base || addr - m->base >= m->size)
		return VIZ_NO_ADDR;
	return (uint32_t)(addr - m->base);
}

/* An address from an offset; VIZ_NO_ADDR (none, or outside the heap) becomes the
 * heap's end, where no block or free block starts: the heap model refuses an
 * event that needs it as it refused the original address. */
static uint64_t from_off(const viz_model *m, uint32_t off)
{
	return off == VIZ_NO_ADDR ? m->base + m->size : m->base + off;
}

/* Event number idx back as the heap model takes it (its seq is idx). */
static void expand(const viz_model *m, const struct viz_event *e, size_t idx,
                   struct heap_event *out)
{
	out->kind = e->kind;
	out->flags = e->flags;
	out->align_log2 = e->align_log2;
	out->examined = 0;
	out->seq = idx;
	out->time = e->time;
	out->instret = 0;
	out->addr = from_off(m, e->addr);
	out->size = e->size;
	out->block = e->block;
	out->addr2 = from_off(m, e->addr2);
	out->size2 = e->size2;
	out->stack = 0;
	if (e->kind == HEAP_EV_ALLOC) { /* an alloc keeps its search in size2, its stack in addr2 */
		out->examined = e->size2;
		out->size2 = 0;
		out->stack = e->addr2;
		out->addr2 = from_off(m, VIZ_NO_ADDR);
	}
	out->caller =
	    heap_event_has_caller(e->kind) && e->aux < m->ncallers ? m->callers[e->aux].addr : 0;
	out->name[0] = 0;
}

/* False for an event the viewer keeps from the heap model: an INIT of another
 * heap than the one the model was made for (offsets would be meaningless). */
static bool applicable(const viz_model *m, const struct viz_event *e)
{
	return e->kind != HEAP_EV_INIT || (e->addr == 0 && e->size == m->size);
}

/* Applies events [from, to) to h (the tip or the cursor's state). Returns
 * whether the last one fitted. */
static bool replay(const viz_model *m, heap_model *h, size_t from, size_t to)
{
	bool ok = true;
	struct heap_event ev;
	for (size_t i = from; i < to; i++) {
		const struct viz_event *e = EV(m, i);
		if (!applicable(m, e)) {
			ok = false;
			continue;
		}
		expand(m, e, i, &ev);
		ok = heap_model_apply(h, &ev, NULL, 0);
	}
	return ok;
}

static void block_from(const viz_model *m, const struct heap_model_block *b, struct viz_block *out)
{
	*out = (struct viz_block){
	    .off = (uint32_t)(b->addr - m->base),
	    .bytes = sat32(b->size),
	    .req = sat32(b->req_size),
	    .born = sat32(b->seq),
	    .caller = b->caller ? caller_lookup(m, b->caller) : VIZ_NO_CALLER,
	    .align_log2 = b->align ? (uint32_t)__builtin_ctzll(b->align) : 0,
	    .site = site_find(m, b->stack, b->caller),
	};
}

/* ---- the model ------------------------------------------------------------ */

static bool keyframe_take(viz_model *m);

viz_model *viz_model_new(uint64_t heap_base, uint64_t heap_size, uint64_t gran)
{
	if (gran == 0 || (gran & (gran - 1)) || heap_size == 0 || heap_size >= (1ull << 32) ||
	    heap_size < gran || heap_base + heap_size < heap_base)
		return NULL;
	viz_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->base = heap_base;
	m->size = heap_size;
	m->gran = gran;
	m->series_step = 1;
	m->kf_per_block = 16 * 16;
	m->series = malloc((VIZ_SERIES_MAX + 1) * sizeof *m->series);
	m->tip = heap_model_create(NULL);
	m->cur = heap_model_create(NULL);
	if (!m->series || !m->tip || !m->cur) {
		viz_model_free(m);
		return NULL;
	}
	heap_model_init(m->tip, heap_base, heap_size);
	heap_model_init(m->cur, heap_base, heap_size);
	if (!keyframe_take(m)) { /* position 0 */
		viz_model_free(m);
		return NULL;
	}
	return m;
}

void viz_model_free(viz_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nchunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	heap_model_destroy(m->tip);
	heap_model_destroy(m->cur);
	free(m->cur_sorted);
	for (size_t i = 0; i < m->nkf; i++)
		free(m->kf[i].state);
	free(m->kf);
	free(m->scratch);
	free(m->series);
	free(m->fails);
	for (size_t i = 0; i < m->ncallers; i++) {
		free(m->callers[i].fn);
		free(m->callers[i].src);
		for (uint32_t k = 0; k < m->callers[i].n_inlined; k++) {
			free(m->callers[i].inlined[k].fn);
			free(m->callers[i].inlined[k].src);
		}
		free(m->callers[i].inlined);
	}
	for (size_t i = 0; i < m->nsites; i++)
		free(m->sites[i].frames);
	free(m->sites);
	u64_map_free(&m->site_index);
	free(m->callers);
	u64_map_free(&m->caller_index);
	for (size_t i = 0; i < m->nnames; i++)
		free(m->names[i]);
	free(m->names);
	free(m);
}

/* The timeline sample for the state st at the loaded tip (position m->count). */
static struct viz_sample sample_now(const struct viz_model *m, const struct heap_model_stats *st)
{
	uint32_t used = sat32(st->used_bytes);
	return (struct viz_sample){
	    .pos = (uint32_t)m->count,
	    .used = used,
	    .used_max = m->used_max_since > used ? m->used_max_since : used,
	    .largest_free = sat32(st->largest_free),
	    .free_bytes = sat32(st->free_bytes),
	    .free_blocks = sat32(st->free_blocks),
	};
}

static void series_push(viz_model *m)
{
	const struct heap_model_stats *st = heap_model_peek(m->tip);
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
		if (m->count % m->series_step != 0)
			return; /* no longer a sample point; its max is folded in later */
	}
	m->series[m->nseries++] = sample_now(m, st);
	m->used_max_since = 0;
}

/* Saves the tip's state as the keyframe of position count. */
static bool keyframe_take(viz_model *m)
{
	if (!grow((void **)&m->kf, &m->capkf, m->nkf + 1, sizeof *m->kf))
		return false;
	size_t len = heap_model_save(m->tip, m->scratch, m->capscratch);
	if (len > m->capscratch) {
		if (!grow((void **)&m->scratch, &m->capscratch, len + len / 2, 1))
			return false;
		heap_model_save(m->tip, m->scratch, m->capscratch);
	}
	uint8_t *state = malloc(len);
	if (!state)
		return false;
	memcpy(state, m->scratch, len);
	m->kf[m->nkf++] = (struct keyframe){.pos = m->count, .state = state, .len = len};
	m->kf_bytes += len;
	uint64_t live = heap_model_peek(m->tip)->live_blocks;
	if (live >= 16)
		m->kf_per_block = (size_t)(16 * len / live);
	return true;
}

/* Whether the tip is due a keyframe. */
static bool keyframe_due(const viz_model *m)
{
	size_t since = m->count - m->kf[m->nkf - 1].pos;
	if (since < VIZ_KF_MIN_INTERVAL || !heap_model_settled(m->tip))
		return false;
	uint64_t live = heap_model_peek(m->tip)->live_blocks;
	return since * VIZ_KF_BYTES_PER_EVENT * 16 >= live * m->kf_per_block;
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
	if (ev->kind == HEAP_EV_ALLOC) { /* size2, addr2 unused by an alloc: its search, stack */
		e.size2 = ev->examined;
		e.addr2 = ev->stack;
		if (ev->examined > m->max_examined)
			m->max_examined = ev->examined;
	}
	if (heap_event_has_caller(ev->kind) && ev->caller)
		e.aux = viz_model_add_caller(m, ev->caller, NULL, NULL);
	if (ev->kind == HEAP_EV_MARKER) {
		if (!grow((void **)&m->names, &m->capnames, m->nnames + 1, sizeof *m->names))
			return false;
		m->names[m->nnames] = strndup(ev->name, HEAP_MARKER_NAME_MAX);
		if (!m->names[m->nnames])
			return false;
		e.aux = (uint32_t)m->nnames++;
	}
	*EV(m, m->count) = e;
	/* the call site whose live bytes this changes: an alloc's, or the freed block's */
	uint32_t site = VIZ_NO_SITE;
	if (ev->kind == HEAP_EV_ALLOC) {
		site = site_of(m, ev->stack, ev->caller);
	} else if (ev->kind == HEAP_EV_FREE) {
		const struct heap_model_block *fb = heap_model_find(m->tip, ev->addr);
		if (fb)
			site = site_find(m, fb->stack, fb->caller);
	}
	if (!replay(m, m->tip, m->count, m->count + 1)) {
		EV(m, m->count)->bad = 1;
		m->bad++;
	} else if (site != VIZ_NO_SITE) {
		struct viz_site *st = &m->sites[site];
		if (ev->kind == HEAP_EV_ALLOC) {
			st->allocs++;
			st->alloc_bytes += ev->block;
			st->live_bytes += ev->block;
			if (st->live_bytes > st->peak_bytes)
				st->peak_bytes = st->live_bytes;
		} else {
			st->live_bytes -= ev->block < st->live_bytes ? ev->block : st->live_bytes;
		}
	}
	m->count++;
	const struct heap_model_stats *st = heap_model_peek(m->tip);
	if (st->used_bytes > m->peak_used) {
		m->peak_used = st->used_bytes;
		m->peak_pos = m->count;
	}
	if (e.kind == HEAP_EV_ALLOC && !EV(m, m->count - 1)->bad &&
	    (uint64_t)e.addr + e.block > m->extent)
		m->extent = (uint64_t)e.addr + e.block;
	if (e.kind == HEAP_EV_DROP)
		m->dropped += ev->size;
	if (e.kind == HEAP_EV_MISUSE && !m->misuse_pos) {
		m->misuse = *ev;
		m->misuse_pos = m->count;
	}
	if (e.kind == HEAP_EV_ALLOC_FAIL) {
		if (!grow((void **)&m->fails, &m->capfails, m->nfails + 1, sizeof *m->fails))
			return false;
		m->fails[m->nfails++] = (uint32_t)m->count;
	}
	uint32_t used = sat32(st->used_bytes);
	if (used > m->used_max_since)
		m->used_max_since = used;
	if (m->count % m->series_step == 0)
		series_push(m);
	if (keyframe_due(m)) {
		size_t since = m->count - m->kf[m->nkf - 1].pos;
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
	return m->cur_pos;
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

size_t viz_model_seek(viz_model *m, size_t pos)
{
	if (pos > m->count)
		pos = m->count;
	if (pos == m->cur_pos)
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
	if (!(m->cur_pos < pos && m->cur_pos >= k->pos)) {
		if (heap_model_restore(m->cur, k->state, k->len)) {
			m->cur_pos = k->pos;
		} else { /* out of memory: start over from the beginning */
			heap_model_init(m->cur, m->base, m->size);
			m->cur_pos = 0;
		}
	}
	replay(m, m->cur, m->cur_pos, pos);
	m->cur_pos = pos;
	return pos;
}

struct collect {
	viz_model *m;
	size_t n;
};

static bool collect_block(void *ctx, const struct heap_model_block *b)
{
	struct collect *c = ctx;
	block_from(c->m, b, &c->m->cur_sorted[c->n++]);
	return true;
}

const struct viz_block *viz_model_blocks(viz_model *m, size_t *n)
{
	if (!m->cur_sorted_ok) {
		uint64_t live = heap_model_peek(m->cur)->live_blocks;
		if (!grow((void **)&m->cur_sorted, &m->cur_capsorted, (size_t)live + 1,
		          sizeof *m->cur_sorted)) {
			*n = 0;
			return NULL;
		}
		struct collect c = {m, 0};
		heap_model_each_block(m->cur, 0, UINT64_MAX, collect_block, &c);
		m->cur_n = c.n;
		m->cur_sorted_ok = true;
	}
	*n = m->cur_n;
	return m->cur_sorted;
}

static int by_size_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x < y) - (x > y);
}

size_t viz_model_holes(viz_model *m, uint32_t *out, size_t max)
{
	size_t nb, n = 0, kept = 0;
	const struct viz_block *b = viz_model_blocks(m, &nb);
	uint64_t at = 0;
	for (size_t i = 0; i <= nb; i++) {
		uint64_t start = i < nb ? b[i].off : m->size;
		if (start > at) {
			n++;
			uint32_t size = (uint32_t)(start - at);
			if (kept < max) {
				out[kept++] = size;
			} else if (max && size > out[max - 1]) { /* keep the largest: replace the least */
				out[max - 1] = size;
			} else {
				continue;
			}
			qsort(out, kept, sizeof *out, by_size_desc);
		}
		if (i < nb)
			at = (uint64_t)b[i].off + b[i].bytes;
	}
	return n;
}

const struct heap_model_stats *viz_model_stats(const viz_model *m)
{
	return heap_model_peek(m->cur);
}

bool viz_model_hit(viz_model *m, uint64_t off, struct viz_block *blk, bool *is_free)
{
	struct heap_model_span sp;
	if (off >= m->size || !heap_model_span_at(m->cur, m->base + off, &sp))
		return false;
	*is_free = sp.is_free;
	if (!sp.is_free) {
		block_from(m, sp.block, blk);
		return true;
	}
	*blk = (struct viz_block){
	    .off = (uint32_t)(sp.addr - m->base),
	    .bytes = sat32(sp.size),
	    .born = VIZ_NO_CALLER,
	    .caller = VIZ_NO_CALLER,
	};
	return true;
}

size_t viz_model_peak_pos(const viz_model *m, uint64_t *peak_used)
{
	if (peak_used)
		*peak_used = m->peak_used;
	return m->peak_pos;
}

uint64_t viz_model_extent(const viz_model *m)
{
	return m->extent;
}

uint32_t viz_model_max_examined(const viz_model *m)
{
	return m->max_examined;
}

size_t viz_model_callers(const viz_model *m)
{
	return m->ncallers;
}

const struct heap_event *viz_model_misuse(const viz_model *m, size_t *pos)
{
	if (pos)
		*pos = m->misuse_pos;
	return m->misuse_pos ? &m->misuse : NULL;
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
		const struct heap_model_stats *st = heap_model_peek(m->tip);
		m->tip_sample = sample_now(m, st);
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
	b += m->capkf * sizeof *m->kf + m->kf_bytes + m->capscratch;
	b += (VIZ_SERIES_MAX + 1) * sizeof *m->series;
	b += m->capfails * sizeof *m->fails;
	b += m->capcallers * sizeof *m->callers + u64_map_bytes(&m->caller_index);
	b += m->capnames * sizeof *m->names;
	b += m->cur_capsorted * sizeof *m->cur_sorted;
	b += heap_model_bytes(m->tip) + heap_model_bytes(m->cur);
	return b;
}
