/* host_heap.c - a host heap of the allocator core laid out like a traced one (host_heap.h). */
#include "host_heap.h"

#include <stdlib.h>


enum host_heap_status host_heap_open(struct host_heap *hh, uint64_t trace_base, uint64_t size,
                                     enum heap_policy policy, heap_trace_fn trace, void *ctx)
{
	hh->mem = NULL;
	hh->trace_base = trace_base;
	if (size > ((uint64_t)1 << 40))
		return HOST_HEAP_TOO_LARGE;
	size_t region = heap_region_for(policy, (size_t)size);
	if (region == 0)
		return HOST_HEAP_NO_LAYOUT;
	/* the region the kernel handed the allocator: its heap is the traced one,
	 * after the policy's own state, at the same offset from a page */
	size_t front = region - (size_t)size, off = (size_t)((trace_base - front) & 4095);
	hh->mem = aligned_alloc(4096, (off + region + 4095) & ~(size_t)4095);
	if (!hh->mem)
		return HOST_HEAP_NO_MEMORY;
	if (!heap_init_policy(&hh->heap, (uint8_t *)hh->mem + off, region, policy, trace, ctx)) {
		host_heap_close(hh);
		return HOST_HEAP_REFUSED;
	}
	return hh->heap.len == size ? HOST_HEAP_OK : HOST_HEAP_OTHER_SIZE;
}

void host_heap_close(struct host_heap *hh)
{
	free(hh->mem);
	hh->mem = NULL;
}

void host_heap_translate(const struct host_heap *hh, struct heap_event *ev)
{
	for (const struct heap_field *f = heap_event_fields(ev->kind); f->name; f++)
		if (f->type == HEAP_FT_ADDR)
			heap_field_set(ev, f, host_heap_to_trace(hh, heap_field_get(ev, f)));
}
