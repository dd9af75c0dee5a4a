/* host_heap.h - a heap of the real allocator core on the host laid out like a
 * traced one: the same policy, the same length, its base at the same offset
 * from a 4096-byte boundary as the traced base (so every alignment decision
 * comes out the same), and addresses translated between the two. Shared by
 * heaptrace check (the shadow that verifies a trace) and heaptrace replay
 * (the heap that reruns a trace's requests under another policy).
 */
#ifndef HOST_HEAP_H
#define HOST_HEAP_H

#include <stdint.h>

#include "heap.h"

struct host_heap {
	struct heap heap;    /* the allocator core */
	void *mem;           /* the host buffer behind it; NULL when closed */
	uint64_t trace_base; /* the traced heap's base: the address space of the trace */
};

enum host_heap_status {
	HOST_HEAP_OK,
	HOST_HEAP_TOO_LARGE,  /* more than 2^40 bytes: not laid out on the host */
	HOST_HEAP_NO_LAYOUT,  /* the policy cannot give a heap of exactly that length */
	HOST_HEAP_NO_MEMORY,  /* the host buffer could not be allocated */
	HOST_HEAP_REFUSED,    /* heap_init_policy refused the region */
	HOST_HEAP_OTHER_SIZE, /* the allocator laid out a heap of another length */
};

/* Lays out hh: a heap of size bytes under policy, whose base corresponds to
 * trace_base, with trace (ctx) as its hook (INIT is emitted into it). The
 * region handed to the allocator is heap_region_for(policy, size): the policy's
 * front state comes first, as in the kernel. On any status but HOST_HEAP_OK
 * and HOST_HEAP_OTHER_SIZE, hh holds no memory. Close with host_heap_close. */
enum host_heap_status host_heap_open(struct host_heap *hh, uint64_t trace_base, uint64_t size,
                                     enum heap_policy policy, heap_trace_fn trace, void *ctx);

/* Frees hh's buffer (a closed or zeroed hh is fine). */
void host_heap_close(struct host_heap *hh);

/* A host address of hh's heap as the trace's (0 stays 0), and back. */
static inline uint64_t host_heap_to_trace(const struct host_heap *hh, uint64_t host)
{
	return host ? host - hh->heap.base + hh->trace_base : 0;
}

static inline uint64_t host_heap_to_host(const struct host_heap *hh, uint64_t addr)
{
	return addr - hh->trace_base + hh->heap.base;
}

/* Rewrites an event of hh's heap (its HEAP_FT_ADDR fields) into the trace's addresses. */
void host_heap_translate(const struct host_heap *hh, struct heap_event *ev);

#endif /* HOST_HEAP_H */
