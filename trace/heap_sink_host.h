/* heap_sink_host.h - the host's bound sink of the allocator core (kernel/heap.h).
 *
 * Host programs link the same heap.c as the kernel, which hands the
 * allocations and frees of a heap whose hook is heap_sink_hook to
 * heap_sink_alloc/heap_sink_free. On the host these build the same events the
 * hook path builds (heap_events_alloc/free) and pass them, like every other
 * event of that heap, to the hook bound here. Host tools use ordinary hooks;
 * the tests bind this one to run the allocator's bound path, the path the
 * kernel takes when it traces.
 */
#ifndef HEAP_SINK_HOST_H
#define HEAP_SINK_HOST_H

#include "heap.h"

/* Routes every event given to heap_sink_hook (and the bound entry points) to
 * fn(ctx, ev); fn NULL drops them (the default). Not thread-safe: one binding
 * per process. */
void heap_sink_host_bind(heap_trace_fn fn, void *ctx);

#endif /* HEAP_SINK_HOST_H */
