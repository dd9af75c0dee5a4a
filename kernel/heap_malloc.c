/* heap_malloc.c - malloc, free, calloc, realloc and aligned_alloc on the sized heap core. */
#include "heap_malloc.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "kstring.h"
#endif

/* Stored in the HEAP_MALLOC_HDR bytes below every user pointer. */
struct heap_mhdr {
	size_t size;         /* bytes the caller asked for */
	uint32_t align_log2; /* log2 of the block's alignment, >= log2(HEAP_MIN_ALIGN) */
	uint32_t magic;      /* HEAP_MAGIC ^ low bits of the user pointer; 0 once freed */
};

_Static_assert(sizeof(struct heap_mhdr) <= HEAP_MALLOC_HDR, "header must fit");
_Static_assert(HEAP_MALLOC_HDR <= HEAP_MIN_ALIGN, "header must fit below a minimally aligned pointer");

#define HEAP_MAGIC 0xa110c8edu

static inline struct heap_mhdr *mhdr(const void *p)
{
	return (struct heap_mhdr *)((uintptr_t)p - HEAP_MALLOC_HDR);
}

static inline uint32_t mmagic(const void *p)
{
	return HEAP_MAGIC ^ (uint32_t)(uintptr_t)p;
}

static void *malloc_aligned(struct heap *h, size_t align, size_t size, uintptr_t caller)
{
	if (align == 0 || (align & (align - 1)))
		return NULL;
	if (align < HEAP_MIN_ALIGN)
		align = HEAP_MIN_ALIGN;
	size_t off = align; /* the header goes in the last 16 bytes of the offset */
	if (size > SIZE_MAX - off)
		return NULL;
	uint8_t *block = heap_alloc(h, off + size, align, caller);
	if (!block)
		return NULL;
	void *p = block + off;
	struct heap_mhdr *m = mhdr(p);
	m->size = size;
	m->align_log2 = 0;
	while (((size_t)1 << m->align_log2) < align)
		m->align_log2++;
	m->magic = mmagic(p);
	return p;
}

void *heap_malloc(struct heap *h, size_t size, uintptr_t caller)
{
	return malloc_aligned(h, HEAP_MIN_ALIGN, size, caller);
}

void *heap_aligned_alloc(struct heap *h, size_t align, size_t size, uintptr_t caller)
{
	return malloc_aligned(h, align, size, caller);
}

void *heap_calloc(struct heap *h, size_t n, size_t size, uintptr_t caller)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = malloc_aligned(h, HEAP_MIN_ALIGN, n * size, caller);
	if (p)
		memset(p, 0, n * size);
	return p;
}

enum heap_error heap_mvalidate(const struct heap *h, const void *p)
{
	uintptr_t u = (uintptr_t)p;
	if (u & (HEAP_MIN_ALIGN - 1))
		return HEAP_ERR_MISALIGNED;
	if (u < h->base + HEAP_MALLOC_HDR || u >= h->base + h->len)
		return HEAP_ERR_OUTSIDE;
	const struct heap_mhdr *m = mhdr(p);
	if (m->magic != mmagic(p))
		return heap_addr_is_free(h, u - HEAP_MALLOC_HDR) ? HEAP_ERR_DOUBLE_FREE : HEAP_ERR_BAD_LAYOUT;
	if (m->align_log2 < 4 || m->align_log2 >= sizeof(size_t) * 8)
		return HEAP_ERR_BAD_LAYOUT;
	size_t align = (size_t)1 << m->align_log2;
	if (u & (align - 1))
		return HEAP_ERR_MISALIGNED;
	if (u - h->base < align || m->size > h->base + h->len - u)
		return HEAP_ERR_BAD_LAYOUT;
	return HEAP_OK;
}

size_t heap_msize(const void *p)
{
	return p ? mhdr(p)->size : 0;
}

/* Frees a validated pointer. */
static enum heap_error mfree_valid(struct heap *h, void *p, uintptr_t caller)
{
	struct heap_mhdr *m = mhdr(p);
	size_t align = (size_t)1 << m->align_log2, size = m->size;
	uint32_t magic = m->magic;
	m->magic = 0; /* a second free of p finds no header */
	enum heap_error err = heap_free(h, (uint8_t *)p - align, align + size, align, caller);
	if (err != HEAP_OK)
		m->magic = magic;
	return err;
}

enum heap_error heap_mfree(struct heap *h, void *p, uintptr_t caller)
{
	if (!p)
		return HEAP_OK;
	enum heap_error err = heap_mvalidate(h, p);
	return err != HEAP_OK ? err : mfree_valid(h, p, caller);
}

static void trace_realloc(struct heap *h, void *np, size_t nsize, void *op, size_t osize, uintptr_t caller)
{
	struct heap_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = HEAP_EV_REALLOC;
	ev.addr = (uintptr_t)np;
	ev.size = nsize;
	ev.addr2 = (uintptr_t)op;
	ev.size2 = osize;
	ev.caller = caller;
	h->trace(h->trace_ctx, &ev);
}

void *heap_realloc(struct heap *h, void *p, size_t size, uintptr_t caller)
{
	if (!p)
		return heap_malloc(h, size, caller);
	if (heap_mvalidate(h, p) != HEAP_OK)
		return NULL;
	struct heap_mhdr *m = mhdr(p);
	size_t align = (size_t)1 << m->align_log2, old = m->size;
	if (size == 0) {
		mfree_valid(h, p, caller);
		if (h->trace)
			trace_realloc(h, NULL, 0, p, old, caller);
		return NULL;
	}
	if (size <= SIZE_MAX - align && heap_block_size(align + size, align) == heap_block_size(align + old, align)) {
		m->size = size; /* same block: nothing moves */
		if (h->trace)
			trace_realloc(h, p, size, p, old, caller);
		return p;
	}
	void *np = malloc_aligned(h, align, size, caller);
	if (!np)
		return NULL;
	memcpy(np, p, old < size ? old : size);
	mfree_valid(h, p, caller);
	if (h->trace)
		trace_realloc(h, np, size, p, old, caller);
	return np;
}
