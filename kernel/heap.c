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

/* ---- segregated fit ------------------------------------------------------
 *
 * Free blocks sit in size classes (two levels, in the spirit of TLSF: below
 * 128 bytes one class per 16 bytes, above eight classes per power of two),
 * each a doubly linked list; a bitmap says which classes are non-empty. An
 * allocation takes the head of the first non-empty class whose every block
 * fits (a "good fit"), so it examines one block. Used blocks still carry no
 * header: a free finds its neighbours through a bitmap with one bit per
 * 16-byte granule, set where a free block starts, with two summary levels, so
 * "the free block at or before p" and "the first free block after p" are a
 * few word operations. All of it is carved from the front of the region:
 *
 *   region start                                         heap base (h->base)
 *   +-------------------+---------+---------+----------+-------------------
 *   | struct heap_seg   | level 0 | level 1 | level 2  |  the heap ...
 *   | (class heads, map)| (1 bit / granule, 1 / word..)|
 *   +-------------------+---------+---------+----------+-------------------
 *
 *   free block: +----------+--------+--------+---------+
 *               | size (8) | next 4 | prev 4 | (poison)|  next/prev: granule
 *               +----------+--------+--------+---------+  numbers in its class
 */
#define SEG_NONE        UINT32_MAX                 /* no block (a list's end) */
#define SEG_LINEAR      8                          /* classes 1..7: 16..112 bytes, one per 16 */
#define SEG_SL_LOG2     3                          /* eight classes per power of two above */
#define SEG_CLASSES     (SEG_LINEAR + 57 * 8)      /* up to 2^64 bytes */
#define SEG_CLASS_WORDS ((SEG_CLASSES + 63) / 64)

struct heap_seg {
	uint32_t head[SEG_CLASSES];          /* first block of each class, SEG_NONE if empty */
	uint64_t class_map[SEG_CLASS_WORDS]; /* bit c: class c is non-empty */
	size_t w0, w1, w2;                   /* words in each bitmap level */
	uint64_t *l0, *l1, *l2;              /* l0: one bit per granule; l1: per l0 word; l2: per l1 word */
};

struct seg_free { /* a free block's header under segregated fit */
	size_t size;         /* as struct heap_free_block's */
	uint32_t next, prev; /* neighbours in its class (granule numbers) */
};
_Static_assert(sizeof(struct seg_free) <= HEAP_MIN_BLOCK, "a segregated free header fits a block");

static inline struct seg_free *seg_block(const struct heap *h, size_t g)
{
	return (struct seg_free *)(h->base + g * HEAP_MIN_ALIGN);
}

static inline size_t seg_gran(const struct heap *h, uintptr_t a)
{
	return (a - h->base) / HEAP_MIN_ALIGN;
}

static inline unsigned seg_ctz(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

static inline unsigned seg_msb(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* The class of a free block of size bytes (a multiple of 16, at least 16). */
static inline unsigned seg_class(size_t size)
{
	if (size < SEG_LINEAR * HEAP_MIN_ALIGN)
		return (unsigned)(size / HEAP_MIN_ALIGN);
	unsigned fl = seg_msb(size);
	unsigned sl = (unsigned)(size >> (fl - SEG_SL_LOG2)) & ((1u << SEG_SL_LOG2) - 1);
	return SEG_LINEAR + (fl - 7) * (1u << SEG_SL_LOG2) + sl;
}

/* The first class all of whose blocks hold need bytes. */
static inline unsigned seg_class_for(size_t need)
{
	unsigned c = seg_class(need);
	size_t low = c < SEG_LINEAR ? (size_t)c * HEAP_MIN_ALIGN
				    : ((size_t)(8 + (c - SEG_LINEAR) % 8) << ((c - SEG_LINEAR) / 8 + 7 - 3));
	return low < need ? c + 1 : c;
}

static inline void seg_bit_set(struct heap_seg *sg, size_t g)
{
	sg->l0[g >> 6] |= 1ull << (g & 63);
	sg->l1[g >> 12] |= 1ull << ((g >> 6) & 63);
	sg->l2[g >> 18] |= 1ull << ((g >> 12) & 63);
}

static inline void seg_bit_clear(struct heap_seg *sg, size_t g)
{
	if ((sg->l0[g >> 6] &= ~(1ull << (g & 63))) != 0)
		return;
	if ((sg->l1[g >> 12] &= ~(1ull << ((g >> 6) & 63))) != 0)
		return;
	sg->l2[g >> 18] &= ~(1ull << ((g >> 12) & 63));
}

/* The first free-block start at granule g or after, or SIZE_MAX. */
static size_t seg_find_next(const struct heap_seg *sg, size_t g)
{
	size_t w = g >> 6;
	if (w >= sg->w0)
		return SIZE_MAX;
	uint64_t m = sg->l0[w] & (~0ull << (g & 63));
	if (m)
		return (w << 6) + seg_ctz(m);
	size_t v = w + 1; /* the next non-empty level-0 word after w */
	if (v >= sg->w0)
		return SIZE_MAX;
	size_t i = v >> 6;
	uint64_t m1 = sg->l1[i] & (~0ull << (v & 63));
	if (!m1) {
		size_t j = i + 1, k = j >> 6;
		if (j >= sg->w1)
			return SIZE_MAX;
		uint64_t m2 = sg->l2[k] & (~0ull << (j & 63));
		while (!m2) {
			if (++k >= sg->w2)
				return SIZE_MAX;
			m2 = sg->l2[k];
		}
		i = (k << 6) + seg_ctz(m2);
		m1 = sg->l1[i];
	}
	w = (i << 6) + seg_ctz(m1);
	return (w << 6) + seg_ctz(sg->l0[w]);
}

/* The last free-block start at granule g or before, or SIZE_MAX. */
static size_t seg_find_prev(const struct heap_seg *sg, size_t g)
{
	size_t w = g >> 6;
	uint64_t m = sg->l0[w] & (~0ull >> (63 - (g & 63)));
	if (m)
		return (w << 6) + seg_msb(m);
	if (w == 0)
		return SIZE_MAX;
	size_t v = w - 1, i = v >> 6;
	uint64_t m1 = sg->l1[i] & (~0ull >> (63 - (v & 63)));
	if (!m1) {
		if (i == 0)
			return SIZE_MAX;
		size_t j = i - 1, k = j >> 6;
		uint64_t m2 = sg->l2[k] & (~0ull >> (63 - (j & 63)));
		while (!m2) {
			if (k == 0)
				return SIZE_MAX;
			m2 = sg->l2[--k];
		}
		i = (k << 6) + seg_msb(m2);
		m1 = sg->l1[i];
	}
	w = (i << 6) + seg_msb(m1);
	return (w << 6) + seg_msb(sg->l0[w]);
}

/* Puts the free block at granule g (its size set) at the head of its class. */
static inline void seg_insert(struct heap *h, size_t g)
{
	struct heap_seg *sg = h->seg;
	struct seg_free *b = seg_block(h, g);
	unsigned c = seg_class(b->size);
	b->prev = SEG_NONE;
	b->next = sg->head[c];
	if (b->next != SEG_NONE)
		seg_block(h, b->next)->prev = (uint32_t)g;
	sg->head[c] = (uint32_t)g;
	sg->class_map[c >> 6] |= 1ull << (c & 63);
}

/* Takes the free block at granule g (of its current size) out of its class. */
static inline void seg_remove(struct heap *h, size_t g)
{
	struct heap_seg *sg = h->seg;
	struct seg_free *b = seg_block(h, g);
	if (b->prev != SEG_NONE) {
		seg_block(h, b->prev)->next = b->next;
	} else {
		unsigned c = seg_class(b->size);
		sg->head[c] = b->next;
		if (b->next == SEG_NONE)
			sg->class_map[c >> 6] &= ~(1ull << (c & 63));
	}
	if (b->next != SEG_NONE)
		seg_block(h, b->next)->prev = b->prev;
}

/* The first non-empty class at c or above, or SEG_CLASSES. */
static inline unsigned seg_nonempty_from(const struct heap_seg *sg, unsigned c)
{
	if (c >= SEG_CLASSES)
		return SEG_CLASSES;
	unsigned w = c >> 6;
	uint64_t m = sg->class_map[w] & (~0ull << (c & 63));
	while (!m) {
		if (++w >= SEG_CLASS_WORDS)
			return SEG_CLASSES;
		m = sg->class_map[w];
	}
	return (w << 6) + seg_ctz(m);
}

/* Carves the segregated state from the front of [start, start + len) and sets
 * h->base/len to the rest; false if nothing usable remains. */
static size_t seg_overhead(size_t len, size_t *w0, size_t *w1, size_t *w2)
{
	size_t g = len / HEAP_MIN_ALIGN; /* an upper bound on the granules left */
	*w0 = (g + 63) / 64, *w1 = (*w0 + 63) / 64, *w2 = (*w1 + 63) / 64;
	size_t meta = sizeof(struct heap_seg) + (*w0 + *w1 + *w2) * sizeof(uint64_t);
	return (meta + HEAP_MIN_ALIGN - 1) & ~(size_t)(HEAP_MIN_ALIGN - 1);
}

static bool seg_init(struct heap *h, uintptr_t start, size_t len)
{
	size_t w0, w1, w2, meta = seg_overhead(len, &w0, &w1, &w2);
	if (len < meta + HEAP_MIN_BLOCK)
		return false;
	struct heap_seg *sg = (struct heap_seg *)start;
	sg->w0 = w0, sg->w1 = w1, sg->w2 = w2;
	sg->l0 = (uint64_t *)(sg + 1);
	sg->l1 = sg->l0 + w0;
	sg->l2 = sg->l1 + w1;
	for (unsigned c = 0; c < SEG_CLASSES; c++)
		sg->head[c] = SEG_NONE;
	for (unsigned i = 0; i < SEG_CLASS_WORDS; i++)
		sg->class_map[i] = 0;
	for (size_t i = 0; i < w0 + w1 + w2; i++)
		sg->l0[i] = 0;
	h->seg = sg;
	h->base = start + meta;
	h->len = len - meta;
	h->free = NULL;
	seg_block(h, 0)->size = h->len;
	seg_insert(h, 0);
	seg_bit_set(sg, 0);
	return true;
}

/* Walks the segregated state: every class list against the bitmap (each listed
 * block starts a free block of that class, links agree, the map matches).
 * nstarts: free blocks the bitmap holds. */
static enum heap_error seg_check_lists(const struct heap *h, size_t nstarts, uintptr_t *bad)
{
	const struct heap_seg *sg = h->seg;
	size_t listed = 0;
	for (unsigned c = 0; c < SEG_CLASSES; c++) {
		bool mapped = (sg->class_map[c >> 6] >> (c & 63)) & 1;
		if (mapped != (sg->head[c] != SEG_NONE)) {
			*bad = h->base;
			return HEAP_ERR_ACCOUNTING;
		}
		uint32_t prev = SEG_NONE;
		for (uint32_t g = sg->head[c]; g != SEG_NONE; prev = g, g = seg_block(h, g)->next) {
			*bad = h->base + (uintptr_t)g * HEAP_MIN_ALIGN;
			if ((size_t)g >= h->len / HEAP_MIN_ALIGN || !((sg->l0[g >> 6] >> (g & 63)) & 1) ||
			    ++listed > nstarts)
				return HEAP_ERR_ACCOUNTING; /* not a free block, or a cycle */
			const struct seg_free *b = seg_block(h, g);
			if (b->prev != prev || seg_class(b->size) != c)
				return HEAP_ERR_ACCOUNTING;
		}
	}
	if (listed != nstarts) {
		*bad = h->base;
		return HEAP_ERR_ACCOUNTING; /* a free block in no list */
	}
	return HEAP_OK;
}

/* Free blocks in address order, whatever the policy: the list, or under
 * segregated fit the bitmap of free-block starts. */
static inline const struct heap_free_block *free_first(const struct heap *h)
{
	if (!h->seg)
		return h->free;
	size_t g = seg_find_next(h->seg, 0);
	return g == SIZE_MAX ? NULL : (const struct heap_free_block *)seg_block(h, g);
}

static inline const struct heap_free_block *free_after(const struct heap *h,
						       const struct heap_free_block *b)
{
	if (!h->seg)
		return b->next;
	size_t g = seg_find_next(h->seg, seg_gran(h, (uintptr_t)b) + 1);
	return g == SIZE_MAX ? NULL : (const struct heap_free_block *)seg_block(h, g);
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
	for (const struct heap_free_block *b = free_first(h); b; b = free_after(h, b))
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

size_t heap_region_for(enum heap_policy policy, size_t heap_len)
{
	if (policy != HEAP_POLICY_SEGREGATED)
		return heap_len;
	size_t w0, w1, w2;
	/* the overhead grows with the region: step up from heap_len until the
	 * heap left after it is heap_len (a few steps: one granule bit per 16 bytes) */
	for (size_t region = heap_len + seg_overhead(heap_len, &w0, &w1, &w2);;) {
		size_t left = region - seg_overhead(region, &w0, &w1, &w2);
		if (left == heap_len)
			return region;
		if (left > heap_len || region > SIZE_MAX - HEAP_MIN_ALIGN)
			return 0;
		region += heap_len - left;
	}
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
	h->seg = NULL;
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
	if (policy == HEAP_POLICY_SEGREGATED) {
		if (!seg_init(h, start, len))
			return false;
	} else {
		h->base = start;
		h->len = len;
		h->free = (struct heap_free_block *)start;
		h->free->size = len;
		h->free->next = NULL;
	}
	h->rover = h->base;
	h->free_blocks = 1;
	if (h->trace)
		trace_init(h);
	return true;
}

void heap_set_poison(struct heap *h, bool on)
{
	h->poison = on;
	if (on)
		for (const struct heap_free_block *b = free_first(h); b; b = free_after(h, b))
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

/* heap_alloc under segregated fit: the head of the first class whose blocks all
 * hold the block at any alignment; cut as block_take does. */
static __attribute__((noinline)) void *seg_alloc(struct heap *h, size_t size, size_t align, uintptr_t caller)
{
	size_t bsize = alloc_block_size(h, size, align, caller);
	if (bsize == 0)
		return NULL;
	struct heap_seg *sg = h->seg;
	size_t a = align < HEAP_MIN_ALIGN ? HEAP_MIN_ALIGN : align;
	size_t need = bsize + (a - HEAP_MIN_ALIGN); /* room for the worst front pad */
	unsigned c = need < bsize ? SEG_CLASSES : seg_nonempty_from(sg, seg_class_for(need));
	if (c >= SEG_CLASSES) {
		if (h->trace)
			trace_alloc_fail(h, size, align, caller, 0);
		return NULL;
	}
	size_t g = sg->head[c];
	struct seg_free *b = seg_block(h, g);
	uintptr_t s = (uintptr_t)b, p = align_up(s, a);
	size_t old_size = b->size, rest = s + old_size - p - bsize;
	seg_remove(h, g);
	h->free_blocks--;
	if (p != s) { /* the front pad stays free, with b's header */
		b->size = p - s;
		seg_insert(h, g);
		h->free_blocks++;
	} else {
		seg_bit_clear(sg, g);
	}
	if (rest) {
		size_t gr = seg_gran(h, p + bsize);
		seg_block(h, gr)->size = rest;
		seg_insert(h, gr);
		seg_bit_set(sg, gr);
		h->free_blocks++;
	}
	h->used += bsize;
	if (h->used > h->peak_used)
		h->peak_used = h->used;
	if (h->trace)
		return emit_alloc(h, s, old_size, p + bsize, rest, p, size, bsize, align, caller, 1);
	return (void *)p;
}

/* heap_free under segregated fit, after the checks every policy shares: the
 * neighbours come from the bitmap, not from a walk. */
static __attribute__((noinline)) enum heap_error seg_free(struct heap *h, uintptr_t p, size_t size, size_t bsize,
				size_t align, uintptr_t caller)
{
	struct heap_seg *sg = h->seg;
	size_t g = seg_gran(h, p), gp = seg_find_prev(sg, g);
	uintptr_t end = heap_end(h);
	if (gp != SIZE_MAX && (uintptr_t)seg_block(h, gp) + seg_block(h, gp)->size > p)
		return HEAP_ERR_DOUBLE_FREE; /* p lies in a free block */
	if (bsize > end - p)
		return HEAP_ERR_BAD_LAYOUT;
	size_t gn = seg_find_next(sg, g + 1);
	if (gn != SIZE_MAX && (uintptr_t)seg_block(h, gn) < p + bsize)
		return HEAP_ERR_BAD_LAYOUT; /* the size runs into a free block */
	if (h->poison)
		block_fill(p, bsize, HEAP_POISON_BYTE);
	unsigned merged = 0;
	size_t gb = g; /* the merged block's granule */
	size_t msize = bsize;
	if (gp != SIZE_MAX && (uintptr_t)seg_block(h, gp) + seg_block(h, gp)->size == p) {
		seg_remove(h, gp);
		gb = gp;
		msize += seg_block(h, gp)->size;
		merged |= HEAP_MERGED_PREV;
	} else {
		seg_bit_set(sg, g);
		h->free_blocks++;
	}
	if (gn != SIZE_MAX && (uintptr_t)seg_block(h, gn) == p + bsize) {
		seg_remove(h, gn);
		seg_bit_clear(sg, gn);
		msize += seg_block(h, gn)->size;
		h->free_blocks--;
		merged |= HEAP_MERGED_NEXT;
		if (h->poison)
			block_fill((uintptr_t)seg_block(h, gn), HEAP_HDR, HEAP_POISON_BYTE);
	}
	seg_block(h, gb)->size = msize;
	seg_insert(h, gb);
	h->used -= bsize;
	if (h->trace)
		return emit_free(h, p, size, bsize, align, caller, merged,
				 (uintptr_t)seg_block(h, gb), msize);
	return HEAP_OK;
}

/* heap_alloc for the policies other than first fit (out of line, so that first
 * fit's path keeps its small frame). */
static __attribute__((noinline)) void *alloc_policy(struct heap *h, size_t size, size_t align,
						     uintptr_t caller)
{
	if (h->policy == HEAP_POLICY_SEGREGATED)
		return seg_alloc(h, size, align, caller);
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
	if (__builtin_expect(h->seg != NULL, 0))
		return seg_free(h, p, size, bsize, align, caller);

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
	if (h->seg) {
		if (addr < h->base || addr >= heap_end(h))
			return false;
		size_t g = seg_find_prev(h->seg, seg_gran(h, addr));
		return g != SIZE_MAX && addr - (uintptr_t)seg_block(h, g) < seg_block(h, g)->size;
	}
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
	for (const struct heap_free_block *b = free_first(h); b; b = free_after(h, b)) {
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
	else if (h->seg)
		err = seg_check_lists(h, count, &bad); /* I8: the classes hold exactly the free blocks */
out:
	if (err != HEAP_OK && bad_addr)
		*bad_addr = bad;
	return err;
}

void heap_walk(const struct heap *h, heap_walk_fn fn, void *ctx)
{
	uintptr_t cur = h->base;
	for (const struct heap_free_block *b = free_first(h); b; b = free_after(h, b)) {
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
	for (const struct heap_free_block *b = free_first(h); b; b = free_after(h, b)) {
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
