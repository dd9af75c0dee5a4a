/* heap_malloc.h - malloc-style allocation on the sized heap core (hardware-free).
 *
 * For code that cannot give sizes back on free. Each block carries a 16-byte
 * header just below the user pointer holding the requested size and the
 * alignment; the core below it still sees an ordinary sized block:
 *
 *   block (from heap_alloc, aligned to A = max(align, 16))
 *   |<------------- off = A ------------->|
 *   +------------------------+------------+-----------------------+
 *   | unused when A > 16     | size|al|mg | user bytes (size)     |
 *   +------------------------+------------+-----------------------+
 *                                         ^ user pointer, A-aligned
 *
 * Ownership: every pointer returned here is owned by the caller until it is
 * passed to heap_mfree or heap_realloc on the same heap. caller is the return
 * address recorded in the trace events.
 */
#ifndef HEAP_MALLOC_H
#define HEAP_MALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

#define HEAP_MALLOC_HDR 16 /* bytes of the header below every user pointer */

/* size bytes aligned to HEAP_MIN_ALIGN; size 0 gives a unique freeable
 * pointer. NULL if the heap has no room or size overflows. */
void *heap_malloc(struct heap *h, size_t size, uintptr_t caller);

/* size bytes aligned to align (a power of two; else NULL). */
void *heap_aligned_alloc(struct heap *h, size_t align, size_t size, uintptr_t caller);

/* n * size zeroed bytes; NULL if the product overflows or there is no room. */
void *heap_calloc(struct heap *h, size_t n, size_t size, uintptr_t caller);

/* Resizes p to size bytes keeping its alignment and contents (up to the
 * smaller size). p NULL: heap_malloc. size 0: frees p, returns NULL. If the
 * rounded block stays the same, p is returned as is; otherwise a new block is
 * allocated, filled and p freed. NULL (p untouched) if there is no room or p
 * is not a live heap_malloc pointer (see heap_mvalidate). Emits REALLOC with
 * the user pointers and sizes, after the ALLOC and FREE it caused. */
void *heap_realloc(struct heap *h, void *p, size_t size, uintptr_t caller);

/* Frees p. NULL is a no-op (HEAP_OK). Returns the misuse found, the heap left
 * unchanged: see heap_mvalidate, then the errors of heap_free. */
enum heap_error heap_mfree(struct heap *h, void *p, uintptr_t caller);

/* Whether p is a live pointer from this layer: HEAP_OK, or
 * HEAP_ERR_MISALIGNED, HEAP_ERR_OUTSIDE, HEAP_ERR_DOUBLE_FREE (the header
 * lies in a free block), HEAP_ERR_BAD_LAYOUT (no valid header: not from
 * heap_malloc, or corrupted). */
enum heap_error heap_mvalidate(const struct heap *h, const void *p);

/* The size requested for a live pointer p (0 for NULL). */
size_t heap_msize(const void *p);

#endif /* HEAP_MALLOC_H */
