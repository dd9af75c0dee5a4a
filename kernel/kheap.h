/* kheap.h - the kernel's global heap: sized kalloc/kdealloc and malloc-style kmalloc/kfree.
 *
 * One struct heap over [__heap_start, __heap_end) (linker.ld), set up by
 * kheap_init at boot. Every allocation records its caller's return address
 * in the trace. Misuse (freeing outside the heap, misaligned, twice, or with a
 * layout that does not fit) is written to the trace as a MISUSE event, then
 * panics with a message naming the call and the pointer; running out of
 * memory returns NULL.
 */
#ifndef KHEAP_H
#define KHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

/* Hands the linker's heap region to the allocator; trace (may be NULL) gets
 * every event. Panics if the region is too small. Call once, early. */
void kheap_init(heap_trace_fn trace, void *ctx);
/* The same with an allocator placement policy (kheap_init: first fit). */
void kheap_init_policy(enum heap_policy policy, heap_trace_fn trace, void *ctx);

/* The global heap, for stats, check, walk, markers and tests. */
struct heap *kheap(void);

/* size bytes aligned to align (a power of two), or NULL if there is no room
 * or the layout is invalid. Free with kdealloc and the same size and align. */
void *kalloc(size_t size, size_t align);
void kdealloc(void *p, size_t size, size_t align);

/* The same with an explicit caller address (for wrappers such as vec.h). */
void *kalloc_from(size_t size, size_t align, uintptr_t caller);
void kdealloc_from(void *p, size_t size, size_t align, uintptr_t caller);

/* malloc-style (kernel/heap_malloc.h): kfree(NULL) does nothing; misuse panics. */
void *kmalloc(size_t size);
void *kmalloc_aligned(size_t align, size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);

/* Reports a misuse caught by op (enum heap_misuse_op) as a MISUSE event in the
 * heap trace: err is the allocator's verdict (enum heap_error; HEAP_OK for
 * HEAP_OP_VEC_INDEX), p the pointer, size and align as given (vec_index: the
 * index and the element alignment), len the vector's length (vec_index only,
 * else 0), caller the return address in the misusing code. Call it right
 * before panicking: the panic flushes the trace with the event in it. Does
 * nothing when the heap is not traced. */
void kheap_report_misuse(enum heap_misuse_op op, enum heap_error err, const void *p, size_t size,
			 size_t align, size_t len, uintptr_t caller);

/* Emits a MARKER event (a phase label) into the heap trace. */
void kheap_mark(const char *name);

#endif /* KHEAP_H */
