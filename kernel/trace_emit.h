/* trace_emit.h - the kernel sink's inline emission path, bound into heap.c at compile time.
 *
 * kernel/heap.c includes this header only when built for the kernel with
 * -DHEAP_BOUND_SINK (trace/capture.mk); host builds of heap.c never see it and
 * keep filling struct heap_event for their hook. The allocator calls
 * trace_fast_alloc/trace_fast_free with
 * the event fields as arguments: they stamp the time once per pair of events
 * (a split and its alloc, a free and its coalesce happen at one instant) and
 * encode straight into the sink's buffer with the fast encoders of
 * trace_wire.h. The allocator asks trace_emit_bound() (is the hook
 * trace_hook?) and, if yes, calls them; they decline the fast path whenever
 * it cannot take the events: the sink is not recording, events carry
 * instret, the buffer is nearly full (flush or, in deferred mode, drop), a
 * drop is pending. All of these are folded into one compare of the buffer
 * position against trace_fast.limit (kernel/trace.c keeps limit at 0 while
 * the fast path is off); they then build struct heap_event and call
 * trace_hook, which handles every case.
 */
#ifndef TRACE_EMIT_H
#define TRACE_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "heap.h"
#include "trace.h"
#include "trace_wire.h"

/* The sink's hot state (kernel/trace.c owns it). */
struct trace_fast {
	uint8_t *pos;          /* next free byte of the buffer */
	uintptr_t limit;       /* the fast path may run while pos <= limit; 0: off */
	struct wire_state wire; /* encoder state, mirrored by the host decoder */
};
extern struct trace_fast trace_fast;

#define TRACE_EMIT_U        4  /* log2(HEAP_MIN_ALIGN): the wire unit the fast path assumes */
#define TRACE_EMIT_MINBLOCK 16 /* HEAP_MIN_BLOCK: min_block the fast path assumes */
_Static_assert(HEAP_MIN_ALIGN == 1 << TRACE_EMIT_U, "the fast path's unit is the heap's alignment");
_Static_assert(HEAP_MIN_BLOCK == TRACE_EMIT_MINBLOCK, "the fast path's min_block is the heap's");

/* Whether heap h's events go to the kernel sink, so that trace_fast_alloc and
 * trace_fast_free may take them (they check the rest themselves). */
static inline __attribute__((always_inline)) bool trace_emit_bound(const struct heap *h)
{
	return h->trace == trace_hook;
}

/* The sink's entry points for a bound heap (kernel/trace.c). Out of line, so
 * that the allocator's untraced path keeps its small frame; every argument
 * travels in a register, and each returns what the allocator returns, so the
 * allocator calls them as tail calls (no frame of its own for the call).
 * Each stamps the time once, and while the fast path is armed (one compare of
 * the buffer position against trace_fast.limit) writes one pair record or,
 * for rare shapes, the per-event compact forms; otherwise it builds the
 * struct heap_event(s) heap.c would have built and calls trace_hook. */

/* [SPLIT of the free block (s, old_size), if old_size != bsize] then ALLOC of
 * [p, p + bsize) for (size, align); the remainder is what follows the block.
 * Returns (void *)p. */
void *trace_fast_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize,
                       size_t align, uintptr_t caller, uint32_t examined);

/* FREE of [p, p + bsize), then COALESCE into (merged_addr, merged_size) if
 * merged (else merged_addr == p). Returns HEAP_OK. */
enum heap_error trace_fast_free(uintptr_t p, size_t size, size_t bsize, size_t align,
                                uintptr_t caller, unsigned merged, uintptr_t merged_addr,
                                size_t merged_size);

#endif /* TRACE_EMIT_H */
