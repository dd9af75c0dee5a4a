/* heap_model.h - the heap's state rebuilt from trace events, with its metrics.
 *
 * Feed events in trace order with heap_model_apply; after each one the model
 * holds the set of live blocks (address order, with the alloc's metadata), the
 * free blocks (the gaps between live blocks: the allocator never leaves two
 * free blocks adjacent, so every maximal gap is exactly one free block) and
 * the metrics below. Applying an event costs O(1) hash lookups and O(log n)
 * heap updates (n = free blocks), so millions of events replay quickly.
 *
 * Live blocks and free gaps tile [base, base + size) exactly; span iteration
 * walks them in address order. The model also checks what it is told: a free
 * of an unknown block, an alloc overlapping live memory, a split or coalesce
 * that does not describe the current free blocks, an alloc_fail or end whose
 * totals disagree: each is reported with its event number and leaves the
 * state as it was.
 *
 * Ownership: heap_model_create returns a model freed with heap_model_destroy.
 * Pointers to blocks returned by lookups and iteration are valid until the
 * next heap_model_apply, heap_model_init, heap_model_restore or heap_model_destroy.
 */
#ifndef HEAP_MODEL_H
#define HEAP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"

#define HEAP_MODEL_HIST_BUCKETS 64 /* bucket b counts free blocks of [2^b, 2^(b+1)) bytes */

typedef struct heap_model heap_model;

/* One live (allocated) block. */
struct heap_model_block {
	uint64_t addr;     /* first byte (also the user pointer) */
	uint64_t size;     /* block bytes taken */
	uint64_t req_size; /* bytes requested */
	uint64_t align;    /* alignment requested */
	uint64_t seq;      /* sequence number of its alloc event */
	uint64_t time;     /* timestamp of its alloc event */
	uint64_t caller;   /* return address of the allocating code, 0 if unknown */
	uint32_t stack;    /* the alloc's stack record id (JSON trace), 0 if none */
};

/* The heap's figures after the last event applied. */
struct heap_model_stats {
	uint64_t seq;             /* sequence number of the last event applied */
	uint64_t time;            /* its timestamp */
	uint64_t events;          /* events applied so far */
	uint64_t used_bytes;      /* bytes in live blocks */
	uint64_t requested_bytes; /* bytes requested by the live blocks (<= used_bytes) */
	uint64_t free_bytes;      /* bytes in free blocks */
	uint64_t live_blocks;     /* allocated blocks */
	uint64_t free_blocks;     /* free blocks */
	uint64_t largest_free;    /* biggest free block, bytes */
	double frag;              /* 1 - largest_free / free_bytes; 0 when nothing is free */
	double frag_sq;           /* 1 - sum(free_i^2) / free_bytes^2; 0 when nothing is free */
	uint64_t hist[HEAP_MODEL_HIST_BUCKETS]; /* free blocks by log2 of their size */
};

/* One piece of the heap: a live block or a free block. */
struct heap_model_span {
	uint64_t addr;                        /* first byte */
	uint64_t size;                        /* bytes */
	bool is_free;                         /* a free block (block is NULL) */
	const struct heap_model_block *block; /* the live block, NULL if free */
};

/* A new model. With a header, the heap [heap_base, heap_base + heap_size) is
 * set up at once (one free block), as the INIT event will do again; with
 * NULL there is no heap until INIT. Returns NULL when out of memory. */
struct trace_header;
heap_model *heap_model_create(const struct trace_header *h);
void heap_model_destroy(heap_model *m);

/* Starts over with one free block covering [base, base + size), as INIT does. */
void heap_model_init(heap_model *m, uint64_t base, uint64_t size);

/* Applies one event. Returns true if it fits the state; false for an
 * impossible event, with "event N: what" in err (may be NULL), the state
 * unchanged. Events before INIT other than marker/drop/end are impossible.
 * A DROP marks the model lossy (see heap_model_lossy). */
bool heap_model_apply(heap_model *m, const struct heap_event *ev, char *err, size_t errlen);

/* The figures after the last event: copied to *out, or (cheaper) borrowed;
 * the borrowed struct changes with every heap_model_apply. */
void heap_model_stats(const heap_model *m, struct heap_model_stats *out);
const struct heap_model_stats *heap_model_peek(const heap_model *m);

bool heap_model_started(const heap_model *m); /* INIT seen */
uint64_t heap_model_base(const heap_model *m);
uint64_t heap_model_size(const heap_model *m);
bool heap_model_lossy(const heap_model *m); /* a DROP was applied: state may be inexact */

/* True when heap_model_save captures everything later events depend on: no
 * SPLIT waits for its ALLOC and no FREE for its COALESCE. A state saved at
 * such a point and restored replays the events after it exactly as the
 * original did (the viewer takes its keyframes there). */
bool heap_model_settled(const heap_model *m);

/* Bytes of memory the model holds for its tables (for memory budgets). */
size_t heap_model_bytes(const heap_model *m);

/* The live block that starts at addr, or NULL. */
const struct heap_model_block *heap_model_find(const heap_model *m, uint64_t addr);

/* The span (live or free) containing addr; false if addr is outside the heap.
 * Costs a scan of the free blocks plus a walk of the live run it lands in:
 * for a pointer, not for every pixel (walk with heap_model_each_span). */
bool heap_model_span_at(const heap_model *m, uint64_t addr, struct heap_model_span *out);

/* Calls fn for every span that intersects [lo, hi), in address order; whole
 * spans are reported (not clipped). fn returns false to stop early. After the
 * first span (found as heap_model_span_at does) each step is O(1). */
typedef bool (*heap_model_span_fn)(void *ctx, const struct heap_model_span *span);
void heap_model_each_span(const heap_model *m, uint64_t lo, uint64_t hi, heap_model_span_fn fn,
                          void *ctx);

/* Calls fn for every live block that intersects [lo, hi), in address order.
 * fn returns false to stop early. */
typedef bool (*heap_model_block_fn)(void *ctx, const struct heap_model_block *block);
void heap_model_each_block(const heap_model *m, uint64_t lo, uint64_t hi, heap_model_block_fn fn,
                           void *ctx);

/* Serialises the whole state (live blocks and metrics) compactly into buf.
 * Returns the bytes needed; writes only if cap >= that (call with cap 0 to
 * size the buffer). A typical block costs well under 16 bytes. */
size_t heap_model_save(const heap_model *m, void *buf, size_t cap);

/* Replaces the state with one saved by heap_model_save. Returns false (and
 * leaves the model empty) if the buffer is not a valid saved state. */
bool heap_model_restore(heap_model *m, const void *buf, size_t len);

#endif /* HEAP_MODEL_H */
