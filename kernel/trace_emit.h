/* trace_emit.h - the kernel sink's inline emission path, bound into heap.c at compile time.
 *
 * kernel/heap.c includes this header only when built for the kernel with
 * -DHEAP_BOUND_SINK (trace/capture.mk); host builds of heap.c never see it and
 * keep filling struct heap_event for their hook. The allocator asks
 * trace_emit_ready() and, if yes, calls trace_fast_alloc/trace_fast_free with
 * the event fields as arguments: they stamp the time once per pair of events
 * (a split and its alloc, a free and its coalesce happen at one instant) and
 * encode straight into the sink's buffer with the fast encoders of
 * trace_wire.h. The answer is no whenever the fast path cannot take the
 * events: the heap's hook is not trace_hook, the sink is not recording, events
 * carry instret, the buffer is nearly full (flush or, in deferred mode, drop),
 * a drop is pending. The allocator then takes its ordinary path: struct
 * heap_event and a call of trace_hook, which handles every case. All of these
 * but the first are folded into one compare of the buffer position against
 * trace_fast.limit (kernel/trace.c keeps limit at 0 while the fast path is off).
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

/* Whether the fast path may write up to WIRE_FAST_MAX bytes for heap h now. */
static inline __attribute__((always_inline)) bool trace_emit_ready(const struct heap *h)
{
	return h->trace == trace_hook && (uintptr_t)trace_fast.pos <= trace_fast.limit;
}

/* The fast path's encoders (kernel/trace.c), called only when
 * trace_emit_ready() said yes. Out of line, so that the allocator's untraced
 * path keeps its small frame; every argument travels in a register. */

/* [SPLIT of the free block (s, old_size), if old_size != bsize] then ALLOC of
 * [p, p + bsize) for (size, align); the remainder is what follows the block. */
void trace_fast_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize,
                      size_t align, uintptr_t caller, uint32_t examined);

/* FREE of [p, p + bsize), then COALESCE into (merged_addr, merged_size) if merged. */
void trace_fast_free(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller,
                     unsigned merged, uintptr_t merged_addr, size_t merged_size);

#endif /* TRACE_EMIT_H */
