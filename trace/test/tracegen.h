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

#define TRACEGEN_BASE  0x80400000ull /* the heap base written into generated traces */
#define TRACEGEN_SITES 6             /* distinct fake call sites the workloads use */

struct tracegen {
	struct heap heap; /* the real allocator */
	void *mem;        /* its 4096-aligned buffer */
	uint64_t heap_size;
	uint64_t seq, time;     /* sink stamps */
	uint64_t emitted;       /* events emitted */
	FILE *out;              /* JSON-lines destination, or NULL */
	struct heap_event *evs; /* collected events (when collecting) */
	size_t n, cap;
	bool collect;
	bool ok; /* no write or memory error so far */
};

/* Sets up a heap of heap_size bytes that writes events to out (JSON lines,
 * header first) and/or collects them in g->evs. Returns false on failure. */
bool tracegen_open(struct tracegen *g, uint64_t heap_size, FILE *out, bool collect,
                   const char *workload);

/* The fake caller address of call site i (0 .. TRACEGEN_SITES-1). */
uint64_t tracegen_site(unsigned i);

/* alloc/free through the real allocator (returns the trace address, 0 on failure). */
uint64_t tracegen_alloc(struct tracegen *g, size_t size, size_t align, unsigned site);
void tracegen_free(struct tracegen *g, uint64_t addr, size_t size, size_t align, unsigned site);
void tracegen_mark(struct tracegen *g, const char *name);

/* Random churn: ops allocs/frees with mixed sizes and alignments, leaving
 * `leak` blocks allocated at the end (from site 5). Deterministic for a seed. */
void tracegen_churn(struct tracegen *g, uint64_t ops, uint32_t seed, unsigned leak);

/* Fragmentation pathology: fill with small blocks, free every other one, then
 * ask for a block bigger than any hole (an alloc failure). */
void tracegen_frag(struct tracegen *g);

/* Emits END (events, dropped 0, used, panic) and releases the heap. */
bool tracegen_close(struct tracegen *g, bool panic);

#endif /* TRACEGEN_H */
