/* heap_sink_host.c - the host's bound sink of the allocator core: events in
 * struct heap_event form, to a hook bound at run time (heap_sink_host.h). */
#include "heap_sink_host.h"

static heap_trace_fn bound_fn; /* where the bound sink's events go; NULL: nowhere */
static void *bound_ctx;

void heap_sink_host_bind(heap_trace_fn fn, void *ctx)
{
	bound_fn = fn;
	bound_ctx = ctx;
}

void heap_sink_hook(void *ctx, struct heap_event *ev)
{
	(void)ctx; /* the heap's ctx; the bound one is used instead */
	if (bound_fn)
		bound_fn(bound_ctx, ev);
}

void *heap_sink_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize,
		      size_t align, uintptr_t caller, uint32_t examined)
{
	size_t rest = s + old_size - p - bsize; /* back remainder of the split */
	heap_events_alloc(heap_sink_hook, 0, s, old_size, rest ? p + bsize : 0, rest, p, size, bsize,
			  align, caller, examined);
	return (void *)p;
}

enum heap_error heap_sink_free(uintptr_t p, size_t size, size_t bsize, size_t align,
			       uintptr_t caller, unsigned merged, uintptr_t merged_addr,
			       size_t merged_size)
{
	heap_events_free(heap_sink_hook, 0, p, size, bsize, align, caller, merged, merged_addr,
			 merged_size);
	return HEAP_OK;
}
