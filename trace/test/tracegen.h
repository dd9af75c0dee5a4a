/* tracegen.h - traces for the analysis tests and benchmark, made by running the
 * real allocator core (kernel/heap.c) on the host over a deterministic workload.
 *
 * Events are stamped like the kernel's sink does (seq from 0, a tick clock)
 * and their addresses moved to a kernel-like heap base, so a generated trace
 * looks like a captured one. The workload's heap is a 4096-aligned host
 * buffer, as the kernel's heap is 4096-aligned, so layouts match exactly.
 */
#ifndef TRACEGEN_H
#define TRACEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heap.h"
#include "heap_event.h"
#include "trace_reader.h"

#define TRACEGEN_BASE     0x80400000ull /* the heap base written into generated traces */
#define TRACEGEN_SITES    7             /* distinct fake call sites the workloads use */
#define TRACEGEN_LIVE_MAX 1500          /* churn's default cap on live blocks */

/* How a generated trace is made and stamped. */
struct tracegen_opts {
	uint64_t heap_size;   /* bytes of heap */
	FILE *out;            /* JSON-lines destination (header first), or NULL */
	bool collect;         /* also collect the events in g->evs */
	const char *workload; /* the header's workload name, or NULL */
	uint64_t time_scale;  /* multiplies every clock step (timestamps only); 0 means 1 */
	bool instret;         /* events carry retired-instruction counts */
	/* also called with every event as stamped (NULL: none); ctx is its argument */
	void (*on_event)(void *ctx, const struct heap_event *ev);
	void *ctx;
};

struct tracegen {
	struct heap heap; /* the real allocator */
	void *mem;        /* its 4096-aligned buffer */
	uint64_t heap_size;
	uint64_t seq, time;     /* sink stamps */
	uint64_t time_scale;    /* clock step multiplier */
	bool instret;           /* stamp and write instret */
	uint64_t emitted;       /* events emitted */
	FILE *out;              /* JSON-lines destination, or NULL */
	struct heap_event *evs; /* collected events (when collecting) */
	size_t n, cap;
	bool collect;
	void (*on_event)(void *ctx, const struct heap_event *ev);
	void *ctx;
	bool ok; /* no write or memory error so far */
};

/* Sets up a heap of o->heap_size bytes that writes events to o->out (JSON
 * lines, header first) and/or collects them in g->evs. Returns false on
 * failure. The same options and workload give the same events. */
bool tracegen_open(struct tracegen *g, const struct tracegen_opts *o);

/* Writes the header and symbol records that open another trace with options o
 * (tracegen_open writes them itself). Returns false on a write error. */
bool tracegen_write_header(FILE *out, const struct tracegen_opts *o);

/* The fake caller address of call site i (0 .. TRACEGEN_SITES-1). */
uint64_t tracegen_site(unsigned i);

/* alloc/free through the real allocator (returns the trace address, 0 on failure). */
uint64_t tracegen_alloc(struct tracegen *g, size_t size, size_t align, unsigned site);
void tracegen_free(struct tracegen *g, uint64_t addr, size_t size, size_t align, unsigned site);
void tracegen_mark(struct tracegen *g, const char *name);

/* The churn workload's parameters. */
struct tracegen_churn {
	uint64_t ops;      /* allocs and frees */
	uint32_t seed;     /* of the operation sequence (0 means 1) */
	unsigned live_max; /* at most this many blocks live at once; 0: TRACEGEN_LIVE_MAX */
	unsigned big;      /* requests larger than the heap after the churn (failures, site 6) */
	unsigned leak;     /* blocks left allocated at the end (site 5) */
};

/* Random churn: c->ops allocs/frees with mixed sizes and alignments and a
 * marker at each quarter, then c->big failing requests, every block freed,
 * and c->leak blocks allocated and never freed. Deterministic for a seed. */
void tracegen_churn(struct tracegen *g, const struct tracegen_churn *c);

/* The churn workload one operation at a time (for callers that look at the
 * heap between operations or stop after so many events): tracegen_churn is
 * tracegen_churn_start, tracegen_churn_step until it returns false, then
 * tracegen_churn_finish. */
struct tracegen_churn_run {
	struct tracegen_churn c;
	uint64_t op;   /* operations done */
	uint32_t s;    /* random state */
	size_t n, max; /* blocks live, at most max */
	struct tracegen_live *live;
};

/* Sets r up for c (copied). Returns false if memory ran out. */
bool tracegen_churn_start(struct tracegen *g, struct tracegen_churn_run *r,
                          const struct tracegen_churn *c);
/* One alloc or free (and the marker due before it). False once c->ops are done. */
bool tracegen_churn_step(struct tracegen *g, struct tracegen_churn_run *r);
/* The big failing requests, the cleanup and the leaks; releases r. */
void tracegen_churn_finish(struct tracegen *g, struct tracegen_churn_run *r);

/* Fragmentation pathology: fill with small blocks, free every other one, then
 * ask for a block bigger than any hole (an alloc failure). */
void tracegen_frag(struct tracegen *g);

/* Emits END (events, dropped 0, used, panic) and releases the heap. */
bool tracegen_close(struct tracegen *g, bool panic);

#endif /* TRACEGEN_H */
