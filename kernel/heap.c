/* heap.c - the free-list heap allocator core: address ordered, sized free;
 * first, next or best fit (enum heap_policy). */

/*
 * Block layout (every address and size is a multiple of HEAP_MIN_ALIGN = 16)
 *
 *   base                                                              base + len
 *   |                                                                          |
 *   v                                                                          v
 *   +--------+---------------+------+--------+--------------+--------+--------+
 *   |  used  |  FREE         | used |  used  |  FREE        |  used  |  FREE  |
 *   +--------+---------------+------+--------+--------------+--------+--------+
 *            ^ h->free ----------------------^ next -------------------^ next -> NULL
 *
 *   free block:                           used block:
 *   +----------+----------+---------+     +--------------------------------+
 *   | size     | next     | (poison)|     | caller's bytes, no header:     |
 *   | 8 bytes  | 8 bytes  | ...     |     | the caller gives size + align  |
 *   +----------+----------+---------+     | back to heap_free              |
 *   |<- struct heap_free_block ->|          +--------------------------------+
 *
 * Allocation (first fit): walk the free list in address order and take the
 * first block F = [s, e) in which an aligned position p fits:
 *
 *   s           p                   p + bsize        e
 *   +-----------+-------------------+----------------+
 *   | front pad |  allocated block  |   back rest    |
 *   | (stays F) |  (bsize bytes)    |  (new header)  |
 *   +-----------+-------------------+----------------+
 *
 *   - the front pad (p - s) is 0 or at least HEAP_MIN_BLOCK: it keeps F's
 *     header and stays on the list; a pad too small to hold a header makes
 *     the allocator try the next aligned position in F instead (never leaked);
 *   - the back rest (e - p - bsize) is 0 or at least HEAP_MIN_BLOCK: its
 *     header is written at p + bsize ("the header moves up past the
 *     allocation"); a rest too small for a header rejects the candidate;
 *   - bsize = heap_block_size(size, align): size rounded up to HEAP_MIN_ALIGN,
 *     at least HEAP_MIN_BLOCK (size 0 counts as 1).
 *
 * Free (sized): the caller gives back ptr, size and align; the block
 * [ptr, ptr + bsize) is linked in address order and merged with the free
 * block that ends at ptr, the one that starts at ptr + bsize, or both.
 *
 * Invariants (heap_check verifies each):
 *   I1 the free list is sorted by address, strictly increasing;
 *   I2 every free block lies inside [base, base + len);
 *   I3 every free block's address and size are multiples of HEAP_MIN_ALIGN;
 *   I4 every free block is at least HEAP_MIN_BLOCK bytes;
 *   I5 free blocks do not overlap, and no two are adjacent (merges never missed);
 *   I6 free_blocks is the list length and used + sum(free sizes) == len;
 *      peak_used >= used;
 *   I7 with poisoning on, every free byte past a block's header is HEAP_POISON_BYTE.
 * Everything between free blocks is in use; the allocator does not know where
 * one used block ends and the next begins (heap_walk reports used runs).
 *
 * Events (kernel/heap_event.h): INIT; SPLIT (only when a block is cut, i.e.
 * there is front padding or a back rest) then ALLOC; FREE then COALESCE (only
 * if a neighbour merged); ALLOC_FAIL when no block fits or the size overflows;
 * MARKER from heap_mark. Every event hook is one `if (h->trace)` test.
 * The alloc/free events of a heap whose hook is heap_sink_hook go to the
 * program's bound sink (heap_sink_alloc/free, heap.h), which takes the fields
 * as arguments; any other hook gets the struct heap_event path.
 */
#include "heap.h"

_Static_assert(sizeof(struct heap_free_block) <= HEAP_MIN_BLOCK, "a free block header must fit the smallest block");
_Static_assert((HEAP_MIN_ALIGN & (HEAP_MIN_ALIGN - 1)) == 0, "HEAP_MIN_ALIGN must be a power of two");
_Static_assert(HEAP_MIN_BLOCK % HEAP_MIN_ALIGN == 0, "HEAP_MIN_BLOCK must be a multiple of HEAP_MIN_ALIGN");
_Static_assert(HEAP_MIN_ALIGN % _Alignof(struct heap_free_block) == 0, "headers must be aligned");

#define HEAP_HDR sizeof(struct heap_free_block) /* bytes of a free block that are not poisoned */

static inline bool is_pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static inline unsigned log2_pow2(size_t x)
{
	unsigned n = 0;
	while (x > 1) {
		x >>= 1;
		n++;
	}
	return n;
}

/* Rounds x up to a (a power of two); returns 0 if that wraps around. */
static inline uintptr_t align_up(uintptr_t x, size_t a)
{
	uintptr_t r = (x + (a - 1)) & ~(uintptr_t)(a - 1);
	return r < x ? 0 : r;
}

static inline uintptr_t heap_end(const struct heap *h)
{
	return h->base + h->len;
}

static void block_fill(uintptr_t addr, size_t n, uint8_t byte)
{
	volatile uint8_t *p = (volatile uint8_t *)addr; /* volatile: no libc call needed */
	for (size_t i = 0; i < n; i++)
		p[i] = byte;
}

/* ---- trace events (cold paths, only reached when h->trace is set) -------- */

static void event_emit(struct heap *h, struct heap_event *ev)
{
	h->trace(h->trace_ctx, ev);
}

static inline void event_clear(struct heap_event *ev, enum heap_event_kind kind)
{
	*ev = (struct heap_event){.kind = (uint8_t)kind};
}

static __attribute__((noinline)) void trace_init(struct heap *h)
{
	struct heap_event ev;
	event_clear(&ev, HEAP_EV_INIT);
	ev.addr = h->base;
	ev.size = h->len;
	ev.block = HEAP_MIN_BLOCK;
	ev.align_log2 = (uint8_t)log2_pow2(HEAP_MIN_ALIGN);
	ev.flags = h->policy; /* enum heap_policy */
	event_emit(h, &ev);
}

__attribute__((noinline)) void heap_events_alloc(heap_trace_fn fn, void *ctx, uintptr_t split_addr,
						 size_t split_size,
						  uintptr_t rem_addr, size_t rem_size, uintptr_t p,
						  size_t size, size_t bsize, size_t align, uintptr_t caller,
						  uint32_t examined)
{
	struct heap_event ev;
	if (split_size != bsize) {
		event_clear(&ev, HEAP_EV_SPLIT);
		ev.addr = split_addr;
		ev.size = split_size;
		ev.addr2 = rem_size ? rem_addr : 0;
		ev.size2 = rem_size;
		fn(ctx, &ev);
	}
	event_clear(&ev, HEAP_EV_ALLOC);
	ev.addr = p;
	ev.size = size;
	ev.block = bsize;
	ev.align_log2 = (uint8_t)log2_pow2(align);
	ev.caller = caller;
	ev.examined = examined;
	fn(ctx, &ev);
}

static __attribute__((noinline)) void trace_alloc_fail(struct heap *h, size_t size, size_t align,
						       uintptr_t caller, uint32_t examined)
{
	struct heap_event ev;
	size_t largest = 0;
	for (const struct heap_free_block *b = h->free; b; b = b->next)
		if (b->size > largest)
			largest = b->size;
	event_clear(&ev, HEAP_EV_ALLOC_FAIL);
	ev.size = size;
	ev.block = h->len - h->used;
	ev.size2 = largest;
	ev.align_log2 = (uint8_t)log2_pow2(align);
	ev.caller = caller;
	ev.examined = examined;
	event_emit(h, &ev);
}

__attribute__((noinline)) void heap_events_free(heap_trace_fn fn, void *ctx, uintptr_t p, size_t size,
						size_t bsize,
						 size_t align, uintptr_t caller, unsigned merged,
						 uintptr_t merged_addr, size_t merged_size)
{
	struct heap_event ev;
	event_clear(&ev, HEAP_EV_FREE);
	ev.addr = p;
	ev.size = size;
	ev.block = bsize;
	ev.align_log2 = (uint8_t)log2_pow2(align);
	ev.caller = caller;
	fn(ctx, &ev);
	if (merged) {
		event_clear(&ev, HEAP_EV_COALESCE);
		ev.addr = merged_addr;
		ev.size = merged_size;
		ev.addr2 = p;
		ev.size2 = bsize;
		ev.flags = (uint8_t)merged;
		fn(ctx, &ev);
	}
}

/* The per-kind entry points the allocator calls (only when h->trace is set).
 * Each returns what the allocator returns, so that the calls of the bound
 * sink (heap.h) are tail calls. */
static inline __attribute__((always_inline)) void *
emit_alloc(struct heap *h, uintptr_t s, size_t old_size, uintptr_t rem_addr, size_t rem_size,
           uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller, uint32_t examined)
{
	if (h->trace == heap_sink_hook)
		return heap_sink_alloc(s, old_size, p, size, bsize, align, caller, examined);
	heap_events_alloc(h->trace, h->trace_ctx, s, old_size, rem_addr, rem_size, p, size, bsize, align,
			  caller, examined);
	return (void *)p;
}

static inline __attribute__((always_inline)) enum heap_error
emit_free(struct heap *h, uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller,
          unsigned merged, uintptr_t merged_addr, size_t merged_size)
{
	if (h->trace == heap_sink_hook)
		return heap_sink_free(p, size, bsize, align, caller, merged, merged_addr, merged_size);
	heap_events_free(h->trace, h->trace_ctx, p, size, bsize, align, caller, merged, merged_addr,
			 merged_size);
	return HEAP_OK;
}

/* ---- public API ---------------------------------------------------------- */

const char *heap_error_name(enum heap_error err)
{
	switch (err) {
	case HEAP_OK: return "ok";
	case HEAP_ERR_OUTSIDE: return "outside the heap";
	case HEAP_ERR_MISALIGNED: return "misaligned";
	case HEAP_ERR_DOUBLE_FREE: return "double free";
	case HEAP_ERR_BAD_LAYOUT: return "bad layout";
	case HEAP_ERR_UNSORTED: return "free list not sorted";
	case HEAP_ERR_ADJACENT: return "adjacent free blocks";
	case HEAP_ERR_TOO_SMALL: return "free block too small";
	case HEAP_ERR_ACCOUNTING: return "accounting mismatch";
	case HEAP_ERR_OVERLAP: return "overlapping free blocks";
	case HEAP_ERR_POISON: return "poison overwritten (use after free)";
	}
	return "unknown error";
}

const char *heap_policy_name(unsigned policy)
{
	static const char *const names[] = {
#define HEAP_POLICY_NAME(id, name) name,
		HEAP_POLICIES(HEAP_POLICY_NAME)
#undef HEAP_POLICY_NAME
	};
	return policy < HEAP_POLICY_COUNT ? names[policy] : "?";
}

int heap_policy_from_name(const char *name)
{
	for (unsigned k = 0; k < HEAP_POLICY_COUNT; k++) {
		const char *a = heap_policy_name(k), *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == 0 && *b == 0)
			return (int)k;
	}
	return -1;
}

bool heap_init(struct heap *h, void *base, size_t len, heap_trace_fn trace, void *trace_ctx)
{
	return heap_init_policy(h, base, len, HEAP_POLICY_FIRST, trace, trace_ctx);
}

bool heap_init_policy(struct heap *h, void *base, size_t len, enum heap_policy policy,
		      heap_trace_fn trace, void *trace_ctx)
{
	uintptr_t b = (uintptr_t)base;
	uintptr_t start = align_up(b, HEAP_MIN_ALIGN);
	h->base = 0;
	h->len = 0;
	h->free = NULL;
	h->policy = (uint8_t)policy;
	h->rover = 0;
	h->used = 0;
	h->peak_used = 0;
	h->free_blocks = 0;
	h->trace = trace;
	h->trace_ctx = trace_ctx;
	h->poison = false;
	if ((unsigned)policy >= HEAP_POLICY_COUNT || start == 0 || start - b >= len)
		return false;
	len = (len - (start - b)) & ~(size_t)(HEAP_MIN_ALIGN - 1);
	if (len < HEAP_MIN_BLOCK || start + len < start)
		return false;
	h->base = start;
	h->len = len;
	h->rover = start;
	h->free = (struct heap_free_block *)start;
	h->free->size = len;
	h->free->next = NULL;
	h->free_blocks = 1;
	if (h->trace)
		trace_init(h);
	return true;
}

void heap_set_poison(struct heap *h, bool on)
{
	h->poison = on;
	if (on)
		for (struct heap_free_block *b = h->free; b; b = b->next)
			block_fill((uintptr_t)b + HEAP_HDR, b->size - HEAP_HDR, HEAP_POISON_BYTE);
}

size_t heap_block_size(size_t size, size_t align)
{
	if (!is_pow2(align))
		return 0;
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - (HEAP_MIN_ALIGN - 1))
		return 0;
	size_t b = (size + (HEAP_MIN_ALIGN - 1)) & ~(size_t)(HEAP_MIN_ALIGN - 1);
	return b < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : b;
}

/* Where block b can hold [p, p + bsize) for alignment a (>= HEAP_MIN_ALIGN): the
 * lowest aligned p whose front pad (p - s) and back rest are each 0 or at least
 * HEAP_MIN_BLOCK; 0 if there is none. */
static inline __attribute__((always_inline)) uintptr_t block_fit(const struct heap_free_block *b,
								 size_t bsize, size_t a)
{
	uintptr_t s = (uintptr_t)b, e = s + b->size, p = s;
	if (p & (a - 1)) {
		p = align_up(s, a);
		if (p != 0 && p - s < HEAP_MIN_BLOCK) /* pad cannot hold a header: move on */
			p = align_up(s + HEAP_MIN_BLOCK, a);
		if (p == 0 || p > e)
			return 0;
	}
	if (e - p < bsize)
		return 0;
	size_t rest = e - p - bsize;
	if (rest != 0 && rest < HEAP_MIN_BLOCK)
		return 0;
	return p;
}

/* Cuts [p, p + bsize) out of free block b (*link points to b): the front pad keeps
 * b's header, the back rest gets a new one. Returns the block (and emits its events). */
static inline __attribute__((always_inline)) void *
block_take(struct heap *h, struct heap_free_block **link, struct heap_free_block *b, uintptr_t p,
	   size_t bsize, size_t size, size_t align, uintptr_t caller, uint32_t examined)
{
	uintptr_t s = (uintptr_t)b;
	size_t old_size = b->size, rest = s + old_size - p - bsize;
	struct heap_free_block *next = b->next;
	h->free_blocks--;
	if (rest) {
		struct heap_free_block *r = (struct heap_free_block *)(p + bsize);
		r->size = rest;
		r->next = next;
		next = r;
		h->free_blocks++;
	}
	if (p != s) {
		b->size = p - s; /* the front pad keeps b's header */
		b->next = next;
		h->free_blocks++;
	} else {
		*link = next;
	}
	h->used += bsize;
	if (h->used > h->peak_used)
		h->peak_used = h->used;
	if (h->trace)
		return emit_alloc(h, s, old_size, p + bsize, rest, p, size, bsize, align, caller,
				  examined);
	return (void *)p;
}

/* Next fit: from the first free block that ends past the rover (where the last
 * allocation ended) to the end of the list, then from the start up to it. */
static void *alloc_next(struct heap *h, size_t bsize, size_t a, size_t size, size_t align,
			uintptr_t caller, uint32_t *examined)
{
	struct heap_free_block **link = &h->free;
	for (struct heap_free_block *b = h->free; b; link = &b->next, b = b->next) {
		if ((uintptr_t)b + b->size <= h->rover)
			continue; /* before the rover: the second lap's */
		++*examined;
		uintptr_t p = b->size >= bsize ? block_fit(b, bsize, a) : 0;
		if (p) {
			h->rover = p + bsize;
			return block_take(h, link, b, p, bsize, size, align, caller, *examined);
		}
	}
	link = &h->free;
	for (struct heap_free_block *b = h->free; b && (uintptr_t)b + b->size <= h->rover;
	     link = &b->next, b = b->next) {
		++*examined;
		uintptr_t p = b->size >= bsize ? block_fit(b, bsize, a) : 0;
		if (p) {
			h->rover = p + bsize;
			return block_take(h, link, b, p, bsize, size, align, caller, *examined);
		}
	}
	return NULL;
}

/* Best fit: the smallest free block that fits, the first (lowest address) of
 * equals; an exact fit ends the search. */
static void *alloc_best(struct heap *h, size_t bsize, size_t a, size_t size, size_t align,
			uintptr_t caller, uint32_t *examined)
{
	struct heap_free_block **link = &h->free, **best_link = NULL, *best = NULL;
	uintptr_t best_p = 0;
	for (struct heap_free_block *b = h->free; b; link = &b->next, b = b->next) {
		++*examined;
		if (b->size < bsize || (best && b->size >= best->size))
			continue;
		uintptr_t p = block_fit(b, bsize, a);
		if (!p)
			continue;
		best = b, best_link = link, best_p = p;
		if (b->size == bsize)
			break;
	}
	return best ? block_take(h, best_link, best, best_p, bsize, size, align, caller, *examined)
		    : NULL;
}

/* The block size for (size, align), or 0 after reporting the failure: a bad
 * alignment is a caller bug and emits nothing (align_log2 could not describe
 * it); an overflowing size is an ordinary failure. */
static inline __attribute__((always_inline)) size_t alloc_block_size(struct heap *h, size_t size,
								     size_t align, uintptr_t caller)
{
	size_t bsize = heap_block_size(size, align);
	if (bsize == 0 && is_pow2(align) && h->trace)
		trace_alloc_fail(h, size, align, caller, 0);
	return bsize;
}

/* heap_alloc for the policies other than first fit (out of line, so that first
 * fit's path keeps its small frame). */
static __attribute__((noinline)) void *alloc_policy(struct heap *h, size_t size, size_t align,
						     uintptr_t caller)
{
	size_t bsize = alloc_block_size(h, size, align, caller);
	if (bsize == 0)
		return NULL;
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	uint32_t examined = 0;
	void *got = h->policy == HEAP_POLICY_NEXT
			    ? alloc_next(h, bsize, a, size, align, caller, &examined)
			    : alloc_best(h, bsize, a, size, align, caller, &examined);
	if (!got && h->trace)
		trace_alloc_fail(h, size, align, caller, examined);
	return got;
}

void *heap_alloc(struct heap *h, size_t size, size_t align, uintptr_t caller)
{
	if (h->policy != HEAP_POLICY_FIRST)
		return alloc_policy(h, size, align, caller);
	size_t bsize = alloc_block_size(h, size, align, caller);
	if (bsize == 0)
		return NULL;
	/* first fit: the common reject (too small whatever the alignment) first */
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	uint32_t examined = 0;
	struct heap_free_block **link = &h->free;
	for (struct heap_free_block *b = h->free; b; link = &b->next, b = b->next) {
		examined++;
		if (b->size < bsize)
			continue;
		uintptr_t p = block_fit(b, bsize, a);
		if (p)
			return block_take(h, link, b, p, bsize, size, align, caller, examined);
	}
	if (h->trace)
		trace_alloc_fail(h, size, align, caller, examined);
	return NULL;
}

enum heap_error heap_free(struct heap *h, void *ptr, size_t size, size_t align, uintptr_t caller)
{
	size_t bsize = heap_block_size(size, align);
	if (bsize == 0)
		return HEAP_ERR_BAD_LAYOUT;
	uintptr_t p = (uintptr_t)ptr, end = heap_end(h);
	if (p < h->base || p >= end)
		return HEAP_ERR_OUTSIDE;
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	if (p & (a - 1))
		return HEAP_ERR_MISALIGNED;

	/* neighbours: prev is the last free block below p, next the first above */
	struct heap_free_block *prev = NULL, *next = h->free;
	while (next && (uintptr_t)next < p) {
		prev = next;
		next = next->next;
	}
	uintptr_t prev_end = prev ? (uintptr_t)prev + prev->size : 0;
	if ((prev && prev_end > p) || (uintptr_t)next == p)
		return HEAP_ERR_DOUBLE_FREE; /* p lies in a free block */
	if (bsize > end - p || (next && (uintptr_t)next < p + bsize))
		return HEAP_ERR_BAD_LAYOUT; /* p is in use but the size runs past the end or into a free block */

	if (h->poison)
		block_fill(p, bsize, HEAP_POISON_BYTE);
	unsigned merged = 0;
	struct heap_free_block *blk;
	if (prev && prev_end == p) {
		prev->size += bsize;
		blk = prev;
		merged |= HEAP_MERGED_PREV;
	} else {
		blk = (struct heap_free_block *)p;
		blk->size = bsize;
		blk->next = next;
		if (prev)
			prev->next = blk;
		else
			h->free = blk;
		h->free_blocks++;
	}
	if (next && p + bsize == (uintptr_t)next) {
		blk->size += next->size;
		blk->next = next->next;
		h->free_blocks--;
		merged |= HEAP_MERGED_NEXT;
		if (h->poison)
			block_fill((uintptr_t)next, HEAP_HDR, HEAP_POISON_BYTE);
	}
	h->used -= bsize;
	if (h->trace)
		return emit_free(h, p, size, bsize, align, caller, merged, (uintptr_t)blk, blk->size);
	return HEAP_OK;
}

bool heap_addr_is_free(const struct heap *h, uintptr_t addr)
{
	for (const struct heap_free_block *b = h->free; b && (uintptr_t)b <= addr; b = b->next)
		if (addr - (uintptr_t)b < b->size)
			return true;
	return false;
}

enum heap_error heap_check(const struct heap *h, uintptr_t *bad_addr)
{
	uintptr_t end = heap_end(h), prev = 0, prev_end = 0, bad = 0;
	size_t count = 0, free_bytes = 0;
	enum heap_error err = HEAP_OK;

	if ((h->base & (HEAP_MIN_ALIGN - 1)) || (h->len & (HEAP_MIN_ALIGN - 1)) || end < h->base) {
		err = HEAP_ERR_MISALIGNED;
		bad = h->base;
		goto out;
	}
	for (const struct heap_free_block *b = h->free; b; b = b->next) {
		uintptr_t a = (uintptr_t)b;
		bad = a;
		if (a < h->base || a >= end || end - a < HEAP_MIN_BLOCK) {
			err = HEAP_ERR_OUTSIDE; /* I2 (checked before reading the header) */
			goto out;
		}
		if (a & (HEAP_MIN_ALIGN - 1)) {
			err = HEAP_ERR_MISALIGNED; /* I3 */
			goto out;
		}
		if (count > 0 && a <= prev) {
			err = HEAP_ERR_UNSORTED; /* I1; also stops a cycle */
			goto out;
		}
		if (count > 0 && a < prev_end) {
			err = HEAP_ERR_OVERLAP; /* I5 */
			goto out;
		}
		if (count > 0 && a == prev_end) {
			err = HEAP_ERR_ADJACENT; /* I5 */
			goto out;
		}
		if (b->size < HEAP_MIN_BLOCK) {
			err = HEAP_ERR_TOO_SMALL; /* I4 */
			goto out;
		}
		if (b->size & (HEAP_MIN_ALIGN - 1)) {
			err = HEAP_ERR_MISALIGNED; /* I3 */
			goto out;
		}
		if (b->size > end - a) {
			err = HEAP_ERR_OUTSIDE; /* I2 */
			goto out;
		}
		if (h->poison) {
			const volatile uint8_t *q = (const volatile uint8_t *)a;
			for (size_t i = HEAP_HDR; i < b->size; i++) {
				if (q[i] != HEAP_POISON_BYTE) {
					err = HEAP_ERR_POISON; /* I7 */
					bad = a + i;
					goto out;
				}
			}
		}
		prev = a;
		prev_end = a + b->size;
		count++;
		free_bytes += b->size;
	}
	bad = h->base;
	if (count != h->free_blocks || free_bytes + h->used != h->len || h->peak_used < h->used ||
	    (h->used & (HEAP_MIN_ALIGN - 1)))
		err = HEAP_ERR_ACCOUNTING; /* I6 */
out:
	if (err != HEAP_OK && bad_addr)
		*bad_addr = bad;
	return err;
}

void heap_walk(const struct heap *h, heap_walk_fn fn, void *ctx)
{
	uintptr_t cur = h->base;
	for (const struct heap_free_block *b = h->free; b; b = b->next) {
		uintptr_t a = (uintptr_t)b;
		if (a > cur)
			fn(ctx, cur, a - cur, false);
		fn(ctx, a, b->size, true);
		cur = a + b->size;
	}
	if (cur < heap_end(h))
		fn(ctx, cur, heap_end(h) - cur, false);
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 heap_sq_t; /* sum of squared free sizes */
#else
typedef uint64_t heap_sq_t; /* 32-bit hosts: heaps below 4 GiB cannot overflow this */
#endif

void heap_stats(const struct heap *h, struct heap_stats *out)
{
	size_t free_bytes = 0, largest = 0, n = 0;
	heap_sq_t sq = 0;
	for (const struct heap_free_block *b = h->free; b; b = b->next) {
		free_bytes += b->size;
		sq += (heap_sq_t)b->size * b->size;
		if (b->size > largest)
			largest = b->size;
		n++;
	}
	out->free_bytes = free_bytes;
	out->used_bytes = h->used;
	out->peak_used = h->peak_used;
	out->free_blocks = n;
	out->largest_free = largest;
	if (free_bytes == 0) {
		out->frag_permille = 0;
		out->frag_sq_permille = 0;
		return;
	}
	out->frag_permille = (uint32_t)(1000 - (uint64_t)largest * 1000 / free_bytes);
	/* floor(1000 * sq / F^2) without forming F^2: with sq = q*F + r (q <= F),
	 * it equals floor((1000*q + floor(1000*r / F)) / F). */
	uint64_t q = (uint64_t)(sq / free_bytes), r = (uint64_t)(sq % free_bytes);
	uint64_t num = q * 1000 + (uint64_t)((heap_sq_t)r * 1000 / free_bytes);
	out->frag_sq_permille = (uint32_t)(1000 - num / free_bytes);
}

void heap_mark(struct heap *h, const char *name)
{
	if (!h->trace)
		return;
	struct heap_event ev;
	event_clear(&ev, HEAP_EV_MARKER);
	size_t i = 0;
	for (; name && name[i] && i < HEAP_MARKER_NAME_MAX; i++)
		ev.name[i] = name[i];
	ev.name[i] = 0;
	event_emit(h, &ev);
}
