/* callstack.c - a trace's allocations grouped by call stack: figures, call tree, top sites
 * (callstack.h).
 *
 * While events stream, a site is a key: the event's stack id, or its caller when it has none
 * (two maps, so a stack id never meets an address). Its figures change in O(1) per event.
 *
 * Peak contributions are taken without copying every site at each new peak: the peak has a
 * generation number, bumped by callstacks_peak, and each site remembers the generation of its
 * last change. A site about to change whose generation is older has not changed since the
 * latest peak, so what it holds now is what it held then: that is saved as its peak figure
 * first. At the end, sites untouched since the latest peak hold now what they held then.
 *
 * callstacks_finish turns keys into frame lists, sorts them root first (outermost frame
 * first) and merges equal lists. Each call tree is built in one walk over the stacks in its
 * order (root first for top-down, caller first for bottom-up): a stack shares with the
 * previous one the nodes of their common prefix.
 */
#include "callstack.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "u64_map.h"

static const char *const field_names[CS_FIELDS] = {
    [CS_ALLOCS] = "allocs",           [CS_BYTES] = "bytes",   [CS_FREES] = "frees",
    [CS_TEMPORARY] = "temporary",     [CS_FAILED] = "failed", [CS_PEAK] = "peak",
    [CS_PEAK_BLOCKS] = "peak_blocks", [CS_LEAKED] = "leaked", [CS_LEAKED_BLOCKS] = "leaked_blocks",
};

const char *cs_field_name(enum cs_field f)
{
	return (unsigned)f < CS_FIELDS ? field_names[f] : "?";
}

bool cs_field_parse(const char *name, enum cs_field *out)
{
	if (!strcmp(name, "count")) {
		*out = CS_ALLOCS;
		return true;
	}
	for (unsigned f = 0; f < CS_FIELDS; f++)
		if (!strcmp(name, field_names[f])) {
			*out = (enum cs_field)f;
			return true;
		}
	return false;
}

/* A site while events stream. */
struct acc_site {
	uint64_t key;    /* stack id (by_stack) or caller address */
	uint64_t caller; /* the caller of its first event: the frame if the stack is unknown */
	bool by_stack;   /* key is a stack id */
	uint64_t v[CS_FIELDS];
	uint64_t live;        /* requested bytes live now */
	uint64_t live_blocks; /* blocks live now */
	uint64_t gen;         /* peak generation when live last changed */
};

struct callstacks {
	/* accumulating */
	struct acc_site *acc; /* every key seen, in first-seen order */
	size_t nacc, capacc;
	struct u64_map by_stack;  /* stack id -> index in acc */
	struct u64_map by_caller; /* caller (events without stack) -> index in acc */
	uint64_t peak_gen;        /* bumped at each new peak */
	uint64_t last_alloc_seq;  /* the latest successful allocation (temporaries) */
	bool last_alloc_valid;
	bool finished;
	bool out_of_memory; /* a site could not be made while counting leaks */
	/* results */
	struct callstack_site *sites; /* distinct stacks, root-first frame order */
	size_t nsites;
	uint64_t *frame_pool;           /* the sites' frames */
	struct callstack_frame *frames; /* names of every frame address, indexed by frame_index */
	size_t nframes, capframes;
	struct u64_map frame_index;
	struct callstack_node *nodes[CS_TREES]; /* the call trees, node 0 the root */
	size_t nnodes[CS_TREES];
	uint64_t total[CS_FIELDS];
};

static const struct callstack_frame unknown_frame = {0, "??", "??:0", 0, NULL};

callstacks *callstacks_create(void)
{
	return calloc(1, sizeof(callstacks));
}

static void frame_names_free(struct callstack_frame *f)
{
	free((char *)f->fn);
	free((char *)f->src);
	for (uint32_t i = 0; i < f->n_inlined; i++) {
		free((char *)f->inlined[i].fn);
		free((char *)f->inlined[i].src);
	}
	free((void *)f->inlined);
}

void callstacks_destroy(callstacks *c)
{
	if (!c)
		return;
	free(c->acc);
	u64_map_free(&c->by_stack);
	u64_map_free(&c->by_caller);
	free(c->sites);
	free(c->frame_pool);
	for (size_t i = 0; i < c->nframes; i++)
		frame_names_free(&c->frames[i]);
	free(c->frames);
	u64_map_free(&c->frame_index);
	for (int t = 0; t < CS_TREES; t++)
		free(c->nodes[t]);
	free(c);
}

/* ---- accumulating --------------------------------------------------------- */

/* The site of an event or block made from stack (0: none) by caller; created if new. NULL
 * when out of memory. */
static struct acc_site *site_of(callstacks *c, uint32_t stack, uint64_t caller)
{
	struct u64_map *m = stack ? &c->by_stack : &c->by_caller;
	uint64_t key = stack ? stack : caller;
	uint32_t i = u64_map_get(m, key);
	if (i != U64_MAP_NONE)
		return &c->acc[i];
	struct acc_site *a = u64_map_append(m, key, c->acc, &c->nacc, &c->capacc, sizeof *a);
	if (!a)
		return NULL;
	c->acc = a;
	struct acc_site *s = &a[c->nacc - 1];
	s->key = key;
	s->caller = caller;
	s->by_stack = stack != 0;
	s->gen = c->peak_gen;
	return s;
}

/* Before s's live figures change: if the latest peak came after their last change, they are
 * what s held at that peak. */
static void site_touch(const callstacks *c, struct acc_site *s)
{
	if (s->gen != c->peak_gen) {
		s->v[CS_PEAK] = s->live;
		s->v[CS_PEAK_BLOCKS] = s->live_blocks;
		s->gen = c->peak_gen;
	}
}

bool callstacks_alloc(callstacks *c, const struct heap_event *ev, bool applied)
{
	struct acc_site *s = site_of(c, ev->stack, ev->caller);
	if (!s)
		return false;
	s->v[CS_ALLOCS]++;
	s->v[CS_BYTES] += ev->size; /* the summary refuses a total past 2^64-1 */
	if (applied) {
		site_touch(c, s);
		s->live += ev->size;
		s->live_blocks++;
		c->last_alloc_seq = ev->seq;
		c->last_alloc_valid = true;
	}
	return true;
}

bool callstacks_free(callstacks *c, const struct heap_model_block *b)
{
	struct acc_site *s = site_of(c, b->stack, b->caller);
	if (!s)
		return false;
	s->v[CS_FREES]++;
	if (c->last_alloc_valid && b->seq == c->last_alloc_seq)
		s->v[CS_TEMPORARY]++;
	site_touch(c, s);
	s->live -= b->req_size <= s->live ? b->req_size : s->live;
	s->live_blocks -= s->live_blocks ? 1 : 0;
	return true;
}

bool callstacks_fail(callstacks *c, const struct heap_event *ev)
{
	struct acc_site *s = site_of(c, ev->stack, ev->caller);
	if (!s)
		return false;
	s->v[CS_FAILED]++;
	return true;
}

void callstacks_peak(callstacks *c)
{
	c->peak_gen++;
}

/* ---- finishing ------------------------------------------------------------ */

static bool leak_block(void *ctx, const struct heap_model_block *b)
{
	callstacks *c = ctx;
	struct acc_site *s = site_of(c, b->stack, b->caller);
	if (!s) {
		c->out_of_memory = true;
		return false;
	}
	s->v[CS_LEAKED] += b->req_size;
	s->v[CS_LEAKED_BLOCKS]++;
	return true;
}

/* Root-first order of two frame lists: the outermost frames compared first; a list that is a
 * prefix of the other (from the root) comes first. */
static int frames_cmp(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb)
{
	for (uint32_t k = 0; k < na && k < nb; k++) {
		uint64_t x = a[na - 1 - k], y = b[nb - 1 - k];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return na < nb ? -1 : na > nb;
}

static int site_cmp(const void *x, const void *y)
{
	const struct callstack_site *a = x, *b = y;
	return frames_cmp(a->frames, a->depth, b->frames, b->depth);
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

/* Records the names of addr from r (once per address). False when out of memory. */
static bool frame_name(callstacks *c, uint64_t addr, const trace_reader *r)
{
	if (u64_map_get(&c->frame_index, addr) != U64_MAP_NONE)
		return true;
	struct callstack_frame *f =
	    u64_map_append(&c->frame_index, addr, c->frames, &c->nframes, &c->capframes, sizeof *f);
	if (!f)
		return false;
	c->frames = f;
	f = &f[c->nframes - 1];
	f->addr = addr;
	const struct trace_symbol *sym = r && addr ? trace_reader_symbol(r, addr) : NULL;
	f->fn = dup_or(sym ? sym->fn : NULL, "??");
	f->src = dup_or(sym ? sym->src : NULL, "??:0");
	if (!f->fn || !f->src)
		return false;
	if (sym && sym->n_inlined) {
		struct trace_inline *in = calloc(sym->n_inlined, sizeof *in);
		if (!in)
			return false;
		f->inlined = in;
		for (uint32_t i = 0; i < sym->n_inlined; i++) {
			f->n_inlined = i + 1; /* freed up to here if the copy fails */
			in[i].fn = dup_or(sym->inlined[i].fn, "??");
			in[i].src = dup_or(sym->inlined[i].src, "??:0");
			if (!in[i].fn || !in[i].src)
				return false;
		}
	}
	return true;
}

/* The k-th frame of s from the root of tree t. */
static uint64_t frame_at(const struct callstack_site *s, uint32_t k, enum cs_tree t)
{
	return t == CS_TOP_DOWN ? s->frames[s->depth - 1 - k] : s->frames[k];
}

/* Caller-first order of two sites (for the bottom-up tree); then by index. */
static int caller_first_cmp(const void *x, const void *y, void *arg)
{
	const struct callstack_site *sites = arg;
	const struct callstack_site *a = &sites[*(const uint32_t *)x],
	                            *b = &sites[*(const uint32_t *)y];
	for (uint32_t k = 0; k < a->depth && k < b->depth; k++)
		if (a->frames[k] != b->frames[k])
			return a->frames[k] < b->frames[k] ? -1 : 1;
	return a->depth < b->depth ? -1 : a->depth > b->depth;
}

/* Builds call tree t from the sites (sorted root first). False when out of memory. */
static bool tree_build(callstacks *c, enum cs_tree t)
{
	size_t cap = 1;
	for (size_t i = 0; i < c->nsites; i++)
		cap += c->sites[i].depth;
	struct callstack_node *nodes = c->nodes[t] = calloc(cap, sizeof *nodes);
	uint32_t *order = malloc((c->nsites ? c->nsites : 1) * sizeof *order);
	if (!nodes || !order) {
		free(order);
		return false;
	}
	for (size_t i = 0; i < c->nsites; i++)
		order[i] = (uint32_t)i;
	if (t == CS_BOTTOM_UP && c->nsites)
		qsort_r(order, c->nsites, sizeof *order, caller_first_cmp, c->sites);
	size_t n = 1;
	uint32_t path[CALLSTACK_DEPTH_MAX + 1] = {0}; /* path[k]: node of the k-th frame */
	const struct callstack_site *prev = NULL;
	for (size_t i = 0; i < c->nsites; i++) {
		const struct callstack_site *s = &c->sites[order[i]];
		uint32_t shared = 0; /* frames in common with prev, from the root */
		while (prev && shared < s->depth && shared < prev->depth &&
		       frame_at(s, shared, t) == frame_at(prev, shared, t))
			shared++;
		for (uint32_t k = shared; k < s->depth; k++) {
			uint32_t id = (uint32_t)n++;
			struct callstack_node *node = &nodes[id], *parent = &nodes[path[k]];
			node->addr = frame_at(s, k, t);
			node->parent = path[k];
			node->level = k + 1;
			node->next_sibling = parent->first_child;
			parent->first_child = id;
			path[k + 1] = id;
		}
		for (uint32_t k = 0; k <= s->depth; k++)
			for (unsigned f = 0; f < CS_FIELDS; f++)
				nodes[path[k]].incl[f] += s->v[f];
		for (unsigned f = 0; f < CS_FIELDS; f++)
			nodes[path[s->depth]].excl[f] += s->v[f];
		prev = s;
	}
	c->nnodes[t] = n;
	free(order);
	return true;
}

bool callstacks_finish(callstacks *c, const heap_model *m, const trace_reader *r)
{
	if (c->finished)
		return true;
	c->finished = true;
	if (m)
		heap_model_each_block(m, 0, UINT64_MAX, leak_block, c);
	if (c->out_of_memory)
		return false;
	for (size_t i = 0; i < c->nacc; i++)
		if (c->acc[i].gen != c->peak_gen) {
			c->acc[i].v[CS_PEAK] = c->acc[i].live;
			c->acc[i].v[CS_PEAK_BLOCKS] = c->acc[i].live_blocks;
		}
	/* frames of each key: the stack record's (a one-frame stack of the caller without one),
	 * copied into one pool of exactly their size */
	size_t n = c->nacc, total = 0;
	c->sites = calloc(n ? n : 1, sizeof *c->sites);
	if (!c->sites)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct acc_site *a = &c->acc[i];
		const struct trace_stack *ts =
		    a->by_stack && r ? trace_reader_stack(r, (uint32_t)a->key) : NULL;
		uint32_t depth = ts && ts->depth ? ts->depth : 1;
		c->sites[i].depth = depth < CALLSTACK_DEPTH_MAX ? depth : CALLSTACK_DEPTH_MAX;
		total += c->sites[i].depth;
	}
	c->frame_pool = malloc((total ? total : 1) * sizeof *c->frame_pool);
	if (!c->frame_pool)
		return false;
	uint64_t *fr = c->frame_pool;
	for (size_t i = 0; i < n; i++) {
		const struct acc_site *a = &c->acc[i];
		struct callstack_site *s = &c->sites[i];
		const struct trace_stack *ts =
		    a->by_stack && r ? trace_reader_stack(r, (uint32_t)a->key) : NULL;
		if (ts && ts->depth)
			memcpy(fr, ts->frames, s->depth * sizeof *fr);
		else
			fr[0] = a->caller;
		s->frames = fr;
		fr += s->depth;
		memcpy(s->v, a->v, sizeof s->v);
	}
	/* one site per distinct frame list */
	if (n)
		qsort(c->sites, n, sizeof *c->sites, site_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && !site_cmp(&c->sites[k - 1], &c->sites[i])) {
			for (unsigned f = 0; f < CS_FIELDS; f++)
				c->sites[k - 1].v[f] += c->sites[i].v[f];
			continue;
		}
		c->sites[k++] = c->sites[i];
	}
	c->nsites = k;
	for (size_t i = 0; i < k; i++) {
		for (unsigned f = 0; f < CS_FIELDS; f++)
			c->total[f] += c->sites[i].v[f];
		for (uint32_t d = 0; d < c->sites[i].depth; d++)
			if (!frame_name(c, c->sites[i].frames[d], r))
				return false;
	}
	/* the accumulation tables are done with */
	free(c->acc);
	c->acc = NULL;
	c->nacc = c->capacc = 0;
	u64_map_free(&c->by_stack);
	u64_map_free(&c->by_caller);
	return tree_build(c, CS_TOP_DOWN) && tree_build(c, CS_BOTTOM_UP);
}

/* ---- results -------------------------------------------------------------- */

size_t callstacks_count(const callstacks *c)
{
	return c->nsites;
}

const struct callstack_site *callstacks_site(const callstacks *c, size_t i)
{
	return i < c->nsites ? &c->sites[i] : NULL;
}

const uint64_t *callstacks_total(const callstacks *c)
{
	return c->total;
}

size_t callstacks_nonzero(const callstacks *c, enum cs_field f)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nsites; i++)
		n += c->sites[i].v[f] != 0;
	return n;
}

/* Orders indices of values by field, largest first; ties by allocations, then by index. */
struct order_ctx {
	const uint64_t *v; /* values of entry i at v + i * stride */
	size_t stride;
	enum cs_field f;
};

static int by_field_desc(const void *x, const void *y, void *arg)
{
	const struct order_ctx *o = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const uint64_t *a = o->v + i * o->stride, *b = o->v + j * o->stride;
	if (a[o->f] != b[o->f])
		return a[o->f] < b[o->f] ? 1 : -1;
	if (a[CS_ALLOCS] != b[CS_ALLOCS])
		return a[CS_ALLOCS] < b[CS_ALLOCS] ? 1 : -1;
	return i < j ? -1 : i > j;
}

size_t callstacks_top(const callstacks *c, enum cs_field f, size_t *idx, size_t max)
{
	size_t n = callstacks_nonzero(c, f);
	size_t *all = malloc((n ? n : 1) * sizeof *all);
	if (!all)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].v[f])
			all[k++] = i;
	struct order_ctx o = {c->sites ? c->sites[0].v : NULL,
	                      sizeof(struct callstack_site) / sizeof(uint64_t), f};
	_Static_assert(sizeof(struct callstack_site) % sizeof(uint64_t) == 0, "stride in u64s");
	if (k)
		qsort_r(all, k, sizeof *all, by_field_desc, &o);
	size_t w = k < max ? k : max;
	memcpy(idx, all, w * sizeof *idx);
	free(all);
	return w;
}

const struct callstack_frame *callstacks_frame(const callstacks *c, uint64_t addr)
{
	uint32_t i = u64_map_get(&c->frame_index, addr);
	return i == U64_MAP_NONE ? &unknown_frame : &c->frames[i];
}

const struct callstack_node *callstacks_tree(const callstacks *c, enum cs_tree t, size_t *n)
{
	*n = c->nnodes[t];
	return c->nodes[t];
}

static int child_cmp(const void *x, const void *y, void *arg)
{
	const struct order_ctx *o = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const uint64_t *a = o->v + i * o->stride, *b = o->v + j * o->stride;
	if (a[o->f] != b[o->f])
		return a[o->f] < b[o->f] ? 1 : -1;
	if (a[CS_ALLOCS] != b[CS_ALLOCS])
		return a[CS_ALLOCS] < b[CS_ALLOCS] ? 1 : -1;
	return i < j ? -1 : i > j;
}

size_t callstacks_children(const callstacks *c, enum cs_tree t, uint32_t node, enum cs_field f,
                           uint32_t *idx, size_t max)
{
	const struct callstack_node *nodes = c->nodes[t];
	if (node >= c->nnodes[t])
		return 0;
	size_t n = 0;
	for (uint32_t ch = nodes[node].first_child; ch; ch = nodes[ch].next_sibling)
		n++;
	uint32_t *all = malloc((n ? n : 1) * sizeof *all);
	if (!all)
		return 0;
	size_t k = 0;
	for (uint32_t ch = nodes[node].first_child; ch; ch = nodes[ch].next_sibling)
		all[k++] = ch;
	struct order_ctx o = {nodes[0].incl, sizeof(struct callstack_node) / sizeof(uint64_t), f};
	_Static_assert(sizeof(struct callstack_node) % sizeof(uint64_t) == 0, "stride in u64s");
	qsort_r(all, k, sizeof *all, child_cmp, &o);
	memcpy(idx, all, (k < max ? k : max) * sizeof *idx);
	free(all);
	return n;
}

const char *callstacks_frame_text(const callstacks *c, uint64_t addr, char *buf, size_t n)
{
	const struct callstack_frame *f = callstacks_frame(c, addr);
	if (!addr) {
		snprintf(buf, n, "unknown caller");
		return buf;
	}
	if (!strcmp(f->fn, "??")) {
		snprintf(buf, n, "0x%" PRIx64, addr);
		return buf;
	}
	size_t len = (size_t)snprintf(buf, n, "%s (%s)", f->fn, f->src);
	const char *src = f->src; /* the last source written: a repeat is left out */
	for (uint32_t i = 0; i < f->n_inlined && len < n; i++) {
		const struct trace_inline *in = &f->inlined[i];
		bool same = !strcmp(in->src, src);
		len += (size_t)snprintf(buf + len, n - len, " <- %s%s%s%s%s",
		                        i ? "" : "inlined into ", in->fn, same ? "" : " (",
		                        same ? "" : in->src, same ? "" : ")");
		src = in->src;
	}
	return buf;
}
