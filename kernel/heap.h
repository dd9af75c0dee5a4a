/* heap.h - the free-list heap allocator core (hardware-free).
 *
 * The same heap.c is compiled into the kernel (riscv64, freestanding) and into
 * host tools and tests (heaptrace check, fuzzers, benchmarks). It knows no
 * hardware, never prints, and reports through return values and trace events.
 * Block layout and invariants: see the comment at the top of heap.c and
 * docs/allocator.md.
 *
 * Ownership: the caller owns the memory handed to heap_init and the struct
 * heap itself; the allocator only writes inside [base, base + len).
 * Not reentrant: callers serialise all calls on one heap (the trace sink must
 * not allocate from the heap that calls it).
 */
#ifndef HEAP_H
#define HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"

#define HEAP_MIN_ALIGN 16 /* every block and user pointer is aligned to this */
#define HEAP_MIN_BLOCK 16 /* smallest block: a free block's header (size, next) */
#define HEAP_MAX_ALIGN 4096 /* largest alignment guaranteed to be honoured */

/* Called once per event; the sink stamps seq/time and may keep or drop it. */
typedef void (*heap_trace_fn)(void *ctx, struct heap_event *ev);

/* Free-block header, stored at the start of every free block. */
struct heap_free_block {
	size_t size;                  /* bytes in this free block, header included */
	struct heap_free_block *next; /* next free block, higher address, or NULL */
};

/* Placement policies: which free block an allocation takes. All share the block
 * layout, the free list in address order, heap_free, heap_check and the events;
 * docs/allocator.md compares them.
 *   first  the lowest-addressed free block that fits (the seed's; the default)
 *   next   like first, but the search starts where the previous allocation
 *          ended and wraps around (a roving pointer)
 *   best   the smallest free block that fits; the lowest address on ties
 *   segregated  two-level size classes with bitmaps (in the spirit of TLSF):
 *          alloc and free take constant time whatever the number of free
 *          blocks; its state (class lists, a bitmap of free-block starts)
 *          is carved from the front of the region, so its heap starts later
 * (enum heap_policy and its names: heap_event.h, as the trace records them) */

/* One heap instance. All state lives here so several heaps (the kernel's,
 * a host shadow replay, a test's) can coexist. */
struct heap {
	uintptr_t base;                /* first byte of the heap, HEAP_MIN_ALIGN aligned */
	size_t len;                    /* bytes managed */
	struct heap_free_block *free;  /* free list, sorted by address */
	uint8_t policy;                /* enum heap_policy */
	struct heap_seg *seg;          /* segregated: its state (heap.c), else NULL; free is NULL */
	uintptr_t rover;               /* next fit: where the last allocation ended */
	size_t used;                   /* bytes in allocated blocks */
	size_t peak_used;              /* largest value `used` has had */
	size_t free_blocks;            /* number of blocks on the free list */
	heap_trace_fn trace;           /* event sink, or NULL for no tracing */
	void *trace_ctx;               /* passed to trace */
	bool poison;                   /* fill freed memory with HEAP_POISON_BYTE */
};

#define HEAP_POISON_BYTE 0xa5

/* Errors returned by heap_free and heap_check (0 = fine). */
enum heap_error {
	HEAP_OK = 0,
	HEAP_ERR_OUTSIDE,     /* pointer or block outside the heap */
	HEAP_ERR_MISALIGNED,  /* pointer not aligned to HEAP_MIN_ALIGN or its alignment */
	HEAP_ERR_DOUBLE_FREE, /* block overlaps a free block */
	HEAP_ERR_BAD_LAYOUT,  /* size/alignment cannot describe a block here */
	HEAP_ERR_UNSORTED,    /* check: free list not in address order */
	HEAP_ERR_ADJACENT,    /* check: two free blocks touch (missed merge) */
	HEAP_ERR_TOO_SMALL,   /* check: free block smaller than HEAP_MIN_BLOCK */
	HEAP_ERR_ACCOUNTING,  /* check: used + free != len, or counters wrong */
	HEAP_ERR_OVERLAP,     /* check: two free blocks overlap */
	HEAP_ERR_POISON,      /* check: a poisoned free byte was overwritten (use after free) */
};

/* Human-readable name of an error ("double free"). */
const char *heap_error_name(enum heap_error err);

/* Hands [base, base + len) to the heap. base is rounded up and len down to
 * HEAP_MIN_ALIGN. Poisoning starts off. Emits INIT. Returns false if less
 * than one block remains. */
bool heap_init(struct heap *h, void *base, size_t len, heap_trace_fn trace, void *trace_ctx);
/* The same with a placement policy (heap_init uses HEAP_POLICY_FIRST). INIT
 * records it. Returns false also for a policy out of range. Segregated fit
 * keeps its state at the region's front: the heap (h->base, h->len) is what
 * follows it. */
bool heap_init_policy(struct heap *h, void *base, size_t len, enum heap_policy policy,
		      heap_trace_fn trace, void *trace_ctx);
/* The region length (at a 16-aligned start) whose heap under policy is exactly
 * heap_len bytes, or 0 if there is none: how a replay (heaptrace check) rebuilds
 * a traced heap from INIT's length. Its front overhead is the difference. */
size_t heap_region_for(enum heap_policy policy, size_t heap_len);

/* Turns debug poisoning on or off. On: every free byte past a free block's
 * header is filled with HEAP_POISON_BYTE now and on every free, and
 * heap_check reports HEAP_ERR_POISON where one was overwritten. */
void heap_set_poison(struct heap *h, bool on);

/* Allocates size bytes aligned to align (a power of two, 0 is not one; any
 * value up to at least HEAP_MAX_ALIGN; alignments below HEAP_MIN_ALIGN give
 * HEAP_MIN_ALIGN). size 0 is treated as 1 (a unique, freeable block).
 * Returns NULL for a bad alignment (no event), a size that overflows when
 * rounded, or no fitting block (both emit ALLOC_FAIL). caller is recorded in
 * the event. First fit in address order. */
void *heap_alloc(struct heap *h, size_t size, size_t align, uintptr_t caller);

/* Frees a block with the same size and align it was allocated with, merging
 * it with free neighbours. Returns HEAP_OK, or the misuse found, checked in
 * this order (the heap is left unchanged on error):
 *   HEAP_ERR_BAD_LAYOUT   align not a power of two, or size overflows;
 *   HEAP_ERR_OUTSIDE      ptr not in [base, base + len) (NULL included);
 *   HEAP_ERR_MISALIGNED   ptr not aligned to max(align, HEAP_MIN_ALIGN);
 *   HEAP_ERR_DOUBLE_FREE  ptr lies inside (or at the start of) a free block;
 *   HEAP_ERR_BAD_LAYOUT   the block would run past the heap end or into a free block.
 * A size smaller than allocated (but same rounded block) is not detectable. */
enum heap_error heap_free(struct heap *h, void *ptr, size_t size, size_t align, uintptr_t caller);

/* Block size the allocator takes for a request (0 if it cannot be satisfied
 * by any heap: bad alignment or overflow). */
size_t heap_block_size(size_t size, size_t align);

/* Whether addr lies inside a free block (for misuse diagnosis). */
bool heap_addr_is_free(const struct heap *h, uintptr_t addr);

/* Walks the whole heap and verifies every invariant. Returns HEAP_OK or the
 * first error; if bad_addr is non-NULL it receives the offending address. */
enum heap_error heap_check(const struct heap *h, uintptr_t *bad_addr);

/* Calls fn for every block in address order, free and used alike. Used
 * blocks carry no metadata, so a "used" call covers a whole run of adjacent
 * allocations (everything between two free blocks). */
typedef void (*heap_walk_fn)(void *ctx, uintptr_t addr, size_t size, bool is_free);
void heap_walk(const struct heap *h, heap_walk_fn fn, void *ctx);

struct heap_stats {
	size_t free_bytes;    /* total in free blocks */
	size_t used_bytes;    /* total in allocated blocks */
	size_t peak_used;     /* high-water mark of used_bytes */
	size_t free_blocks;   /* number of free blocks */
	size_t largest_free;  /* biggest free block */
	uint32_t frag_permille;    /* 1000 * (1 - largest_free / free_bytes), 0 if nothing free */
	uint32_t frag_sq_permille; /* 1000 * (1 - sum(free_i^2) / free_bytes^2) */
};
void heap_stats(const struct heap *h, struct heap_stats *out);

/* The events of one allocation (SPLIT, if a free block was cut, then ALLOC)
 * and of one free (FREE, then COALESCE if a neighbour merged), built as
 * struct heap_event and passed to fn(ctx, ev). The allocator emits through
 * these; a sink that takes the fields directly (the kernel's bound fast path)
 * calls them when it falls back to the general path. split_size == bsize
 * means an exact fit (no SPLIT); rem_size 0 means no back remainder. */
void heap_events_alloc(heap_trace_fn fn, void *ctx, uintptr_t split_addr, size_t split_size,
		       uintptr_t rem_addr, size_t rem_size, uintptr_t p, size_t size, size_t bsize,
		       size_t align, uintptr_t caller, uint32_t examined);
void heap_events_free(heap_trace_fn fn, void *ctx, uintptr_t p, size_t size, size_t bsize,
		      size_t align, uintptr_t caller, unsigned merged, uintptr_t merged_addr,
		      size_t merged_size);

/* Emits a MARKER event labelled name (truncated to HEAP_MARKER_NAME_MAX). */
void heap_mark(struct heap *h, const char *name);

/* ---- the bound sink ----------------------------------------------------------
 * Every program that links heap.c defines these three, once: the sink bound to
 * the allocator at link time. For a heap whose hook is heap_sink_hook, the
 * allocator hands each allocation (SPLIT + ALLOC) and each free (FREE +
 * COALESCE) to heap_sink_alloc / heap_sink_free as arguments, in registers,
 * with no struct heap_event to fill; every other event of that heap, and every
 * event of a heap with another hook, goes through the hook. So the same heap.c
 * is compiled the same way for the kernel and the host.
 *   kernel: kernel/trace.c (heap_sink_hook is trace_hook; the two entry points
 *           encode straight into the trace buffer: the fast path of tracing)
 *   host:   trace/heap_sink_host.c (builds the events with heap_events_alloc/free
 *           and passes them to a hook set at run time; the tests bind it)
 * Each entry point returns what the allocator returns, so the allocator's
 * calls are tail calls: heap_sink_alloc returns (void *)p, heap_sink_free
 * HEAP_OK. The arguments are those of heap_events_alloc/free, less the back
 * remainder of a split (s + old_size - p - bsize bytes at p + bsize). */
void heap_sink_hook(void *ctx, struct heap_event *ev);
void *heap_sink_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize,
		      size_t align, uintptr_t caller, uint32_t examined);
enum heap_error heap_sink_free(uintptr_t p, size_t size, size_t bsize, size_t align,
			       uintptr_t caller, unsigned merged, uintptr_t merged_addr,
			       size_t merged_size);

#endif /* HEAP_H */
