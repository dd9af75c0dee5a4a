/* tracegen.c - deterministic traces from the real allocator core, for tests and benchmarks. */
#include "tracegen.h"

#include <stdlib.h>
#include <string.h>

static const char *const site_fn[TRACEGEN_SITES] = {
    "churn_small", "churn_medium", "churn_large", "frag_fill",
    "frag_big",    "leaky_init",   "big_buffer",
};

uint64_t tracegen_site(unsigned i)
{
	return 0x80201000ull + (uint64_t)i * 0x40 + 0xc;
}

static uint64_t to_trace(const struct tracegen *g, uint64_t host)
{
	return host ? host - (uint64_t)(uintptr_t)g->mem + TRACEGEN_BASE : 0;
}

/* The sink: stamps, moves addresses to the trace's base, writes/collects. */
static void sink(void *ctx, struct heap_event *ev)
{
	struct tracegen *g = ctx;
	struct heap_event e = *ev;
	e.seq = g->seq++;
	g->time += (3 + (e.seq % 7)) * g->time_scale;
	e.time = g->time;
	e.instret = g->instret ? e.seq * 1000 + 17 : 0;
	switch (e.kind) {
	case HEAP_EV_INIT:
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		e.addr = to_trace(g, e.addr);
		break;
	case HEAP_EV_SPLIT:
	case HEAP_EV_COALESCE:
	case HEAP_EV_REALLOC:
		e.addr = to_trace(g, e.addr);
		e.addr2 = to_trace(g, e.addr2);
		break;
	default:
		break;
	}
	g->emitted++;
	if (g->out && !trace_write_event(g->out, &e, g->instret))
		g->ok = false;
	if (g->collect) {
		if (g->n == g->cap) {
			size_t ncap = g->cap ? g->cap * 2 : 1024;
			struct heap_event *ne = realloc(g->evs, ncap * sizeof *ne);
			if (!ne) {
				g->ok = false;
				return;
			}
			g->evs = ne;
			g->cap = ncap;
		}
		g->evs[g->n++] = e;
	}
	if (g->on_event)
		g->on_event(g->ctx, &e);
}

bool tracegen_write_header(FILE *out, const struct tracegen_opts *o)
{
	struct trace_header h = {.version = 1,
	                         .heap_base = TRACEGEN_BASE,
	                         .heap_size = o->heap_size,
	                         .min_block = HEAP_MIN_BLOCK,
	                         .min_align = HEAP_MIN_ALIGN,
	                         .time_hz = 10000000,
	                         .has_instret = o->instret};
	strcpy(h.channel, "semihosting");
	snprintf(h.workload, sizeof h.workload, "%s", o->workload ? o->workload : "");
	strcpy(h.elf, "tracegen");
	bool ok = trace_write_header(out, &h);
	for (unsigned i = 0; i < TRACEGEN_SITES; i++) {
		char src[64];
		snprintf(src, sizeof src, "trace/test/tracegen.c:%u", 100 + i);
		ok = ok && trace_write_symbol(out, tracegen_site(i), site_fn[i], src);
	}
	return ok;
}

bool tracegen_open(struct tracegen *g, const struct tracegen_opts *o)
{
	memset(g, 0, sizeof *g);
	g->ok = true;
	g->out = o->out;
	g->collect = o->collect;
	g->heap_size = o->heap_size;
	g->time_scale = o->time_scale ? o->time_scale : 1;
	g->instret = o->instret;
	g->on_event = o->on_event;
	g->ctx = o->ctx;
	g->mem = aligned_alloc(4096, (size_t)((o->heap_size + 4095) & ~4095ull));
	if (!g->mem)
		return false;
	if (o->out)
		g->ok = tracegen_write_header(o->out, o);
	return heap_init(&g->heap, g->mem, (size_t)o->heap_size, sink, g) && g->ok;
}

uint64_t tracegen_alloc(struct tracegen *g, size_t size, size_t align, unsigned site)
{
	void *p = heap_alloc(&g->heap, size, align, (uintptr_t)tracegen_site(site));
	return p ? to_trace(g, (uint64_t)(uintptr_t)p) : 0;
}

void tracegen_free(struct tracegen *g, uint64_t addr, size_t size, size_t align, unsigned site)
{
	void *p = (void *)(uintptr_t)(addr - TRACEGEN_BASE + (uint64_t)(uintptr_t)g->mem);
	if (heap_free(&g->heap, p, size, align, (uintptr_t)tracegen_site(site)) != HEAP_OK)
		g->ok = false;
}

void tracegen_mark(struct tracegen *g, const char *name)
{
	heap_mark(&g->heap, name);
}

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

struct tracegen_live {
	uint64_t addr;
	uint32_t size, align;
	unsigned site;
};

bool tracegen_churn_start(struct tracegen *g, struct tracegen_churn_run *r,
                          const struct tracegen_churn *c)
{
	memset(r, 0, sizeof *r);
	r->c = *c;
	r->s = c->seed ? c->seed : 1;
	r->max = c->live_max ? c->live_max : TRACEGEN_LIVE_MAX;
	r->live = malloc(r->max * sizeof *r->live);
	if (!r->live)
		g->ok = false;
	return r->live != NULL;
}

bool tracegen_churn_step(struct tracegen *g, struct tracegen_churn_run *r)
{
	const uint64_t ops = r->c.ops, op = r->op;
	if (!r->live || op >= ops)
		return false;
	r->op++;
	if (ops >= 4 && op % (ops / 4) == 0) {
		char name[32];
		snprintf(name, sizeof name, "phase %llu", (unsigned long long)(op / (ops / 4)));
		tracegen_mark(g, name);
	}
	struct tracegen_live *live = r->live;
	uint32_t rnd = xorshift(&r->s);
	size_t n = r->n, live_max = r->max;
	bool do_alloc = n == 0 || (n < live_max && (rnd % 100) < (n < live_max / 2 ? 60u : 45u));
	if (do_alloc) {
		uint32_t kind = xorshift(&r->s) % 100, size, align;
		unsigned site;
		if (kind < 70)
			size = 1 + xorshift(&r->s) % 128, site = 0;
		else if (kind < 95)
			size = 128 + xorshift(&r->s) % 1920, site = 1;
		else
			size = 2048 + xorshift(&r->s) % 14336, site = 2;
		uint32_t a = xorshift(&r->s) % 100;
		align = a < 60 ? 16 : a < 75 ? 8 : a < 92 ? 64 : a < 98 ? 256 : 4096;
		uint64_t p = tracegen_alloc(g, size, align, site);
		if (p)
			live[r->n++] = (struct tracegen_live){p, size, align, site};
	} else {
		size_t i = xorshift(&r->s) % n;
		tracegen_free(g, live[i].addr, live[i].size, live[i].align, live[i].site);
		live[i] = live[--r->n];
	}
	return true;
}

void tracegen_churn_finish(struct tracegen *g, struct tracegen_churn_run *r)
{
	struct tracegen_live *live = r->live;
	if (!live)
		return;
	if (r->c.big > 0) {
		tracegen_mark(g, "big");
		for (unsigned i = 0; i < r->c.big; i++) /* more than the heap holds: fails */
			(void)tracegen_alloc(g, (size_t)g->heap_size, 16, 6);
	}
	tracegen_mark(g, "cleanup");
	while (r->n > 0) {
		r->n--;
		tracegen_free(g, live[r->n].addr, live[r->n].size, live[r->n].align,
		              live[r->n].site);
	}
	for (unsigned i = 0; i < r->c.leak; i++)
		tracegen_alloc(g, 24 + 8 * i, 16, 5);
	free(live);
	r->live = NULL;
}

void tracegen_churn(struct tracegen *g, const struct tracegen_churn *c)
{
	struct tracegen_churn_run r;
	if (!tracegen_churn_start(g, &r, c))
		return;
	while (tracegen_churn_step(g, &r))
		;
	tracegen_churn_finish(g, &r);
}

void tracegen_frag(struct tracegen *g)
{
	enum { N = 64 };
	uint64_t a[N];
	tracegen_mark(g, "fill");
	for (int i = 0; i < N; i++)
		a[i] = tracegen_alloc(g, 256, 16, 3);
	tracegen_mark(g, "holes");
	for (int i = 0; i < N; i += 2)
		tracegen_free(g, a[i], 256, 16, 3);
	tracegen_mark(g, "big");
	uint64_t rest = g->heap.len - g->heap.used;
	/* more than any hole and more than the tail, less than free in total */
	(void)tracegen_alloc(g, (size_t)rest - 256, 16, 4);
	for (int i = 1; i < N; i += 2)
		tracegen_free(g, a[i], 256, 16, 3);
}

bool tracegen_close(struct tracegen *g, bool panic)
{
	struct heap_event end;
	memset(&end, 0, sizeof end);
	end.kind = HEAP_EV_END;
	end.size = g->emitted + 1;
	end.block = g->heap.used;
	end.flags = panic ? HEAP_END_PANIC : 0;
	sink(g, &end);
	free(g->mem);
	g->mem = NULL;
	return g->ok;
}
