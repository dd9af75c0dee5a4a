/* heap_test.c - host unit tests of the allocator core (kernel/heap.c), heap_check after every step. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "heap.h"
#include "heap_fixture.h"
#include "test/test.h"

#define ARENA_SIZE (64 * 1024)
static _Alignas(4096) uint8_t arena[ARENA_SIZE + 4096];

/* ---- helpers (H, record, ev, CHECK: heap_fixture.h) ---------------------------- */

/* A heap of len bytes at the start of the 4096-aligned arena, traced. */
static void setup(size_t len)
{
	memset(arena, 0, sizeof arena);
	ev_reset();
	ASSERT(heap_init(&H, arena, len, record, NULL));
	CHECK();
	ev_reset();
}

static uintptr_t off(const void *p)
{
	return (uintptr_t)p - H.base;
}

static void *alloc(size_t size, size_t align)
{
	void *p = heap_alloc(&H, size, align, 0x1234);
	CHECK();
	return p;
}

static void dealloc(void *p, size_t size, size_t align)
{
	enum heap_error e = heap_free(&H, p, size, align, 0x5678);
	ASSERT_MSG(e == HEAP_OK, "heap_free(off 0x%lx, %zu, %zu): %s", (unsigned long)off(p), size,
		   align, heap_error_name(e));
	CHECK();
}

/* The free list as (offset, size) pairs, for "unchanged" comparisons. */
struct snapshot {
	size_t n, used, peak, free_blocks;
	uintptr_t addr[128];
	size_t size[128];
};

static void snap(struct snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->used = H.used;
	s->peak = H.peak_used;
	s->free_blocks = H.free_blocks;
	for (struct heap_free_block *b = H.free; b && s->n < 128; b = b->next, s->n++) {
		s->addr[s->n] = (uintptr_t)b;
		s->size[s->n] = b->size;
	}
}

#define ASSERT_UNCHANGED(before)                                                          \
	do {                                                                              \
		struct snapshot now_;                                                     \
		snap(&now_);                                                              \
		ASSERT_MEM_EQ(&now_, &(before), sizeof now_);                              \
	} while (0)

static void expect_free_error(void *p, size_t size, size_t align, enum heap_error want)
{
	struct snapshot before;
	snap(&before);
	ev_reset();
	enum heap_error got = heap_free(&H, p, size, align, 0);
	ASSERT_MSG(got == want, "heap_free(off 0x%lx, %zu, %zu): got %s, want %s",
		   (unsigned long)off(p), size, align, heap_error_name(got), heap_error_name(want));
	ASSERT_EQ(ev_count, (size_t)0);
	ASSERT_UNCHANGED(before);
	CHECK();
}

/* ---- initialisation --------------------------------------------------------- */

TEST_CASE(init_makes_one_free_block_spanning_the_heap)
{
	memset(arena, 0, sizeof arena);
	ev_reset();
	ASSERT(heap_init(&H, arena, 4096, record, NULL));
	CHECK();
	ASSERT_EQ(H.base, (uintptr_t)arena);
	ASSERT_EQ(H.len, (size_t)4096);
	ASSERT_EQ((uintptr_t)H.free, H.base);
	ASSERT_EQ(H.free->size, (size_t)4096);
	ASSERT_NULL(H.free->next);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(H.used, (size_t)0);
	ASSERT_EQ(ev_count, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_INIT);
	ASSERT_EQ(ev[0].addr, (uint64_t)H.base);
	ASSERT_EQ(ev[0].size, (uint64_t)4096);
	ASSERT_EQ(ev[0].block, (uint64_t)HEAP_MIN_BLOCK);
	ASSERT_EQ(1u << ev[0].align_log2, (unsigned)HEAP_MIN_ALIGN);
}

TEST_CASE(init_rounds_base_up_and_length_down_to_the_minimum_alignment)
{
	ASSERT(heap_init(&H, arena + 3, 1000, NULL, NULL));
	CHECK();
	ASSERT_EQ(H.base, (uintptr_t)arena + 16);
	ASSERT_EQ(H.len, (size_t)((1000 - 13) & ~15));
}

TEST_CASE(init_rejects_a_region_smaller_than_one_block)
{
	struct heap h;
	ASSERT(!heap_init(&h, arena, HEAP_MIN_BLOCK - 1, NULL, NULL));
	ASSERT(!heap_init(&h, arena + 1, HEAP_MIN_BLOCK, NULL, NULL));
	ASSERT(!heap_init(&h, arena, 0, NULL, NULL));
	ASSERT(heap_init(&h, arena, HEAP_MIN_BLOCK, NULL, NULL));
}

/* ---- allocation ------------------------------------------------------------- */

TEST_CASE(alloc_splits_and_moves_the_free_header_past_the_allocation)
{
	setup(4096);
	void *p = alloc(100, 16);
	ASSERT_EQ(off(p), (uintptr_t)0);
	ASSERT_EQ(H.used, (size_t)112);
	ASSERT_EQ(off(H.free), (uintptr_t)112);
	ASSERT_EQ(H.free->size, (size_t)(4096 - 112));
	ASSERT_EQ(ev_count, (size_t)2);
	ASSERT_EQ(ev[0].kind, HEAP_EV_SPLIT);
	ASSERT_EQ(ev[0].addr, (uint64_t)H.base);
	ASSERT_EQ(ev[0].size, (uint64_t)4096);
	ASSERT_EQ(ev[0].addr2, (uint64_t)H.base + 112);
	ASSERT_EQ(ev[0].size2, (uint64_t)(4096 - 112));
	ASSERT_EQ(ev[1].kind, HEAP_EV_ALLOC);
	ASSERT_EQ(ev[1].addr, (uint64_t)(uintptr_t)p);
	ASSERT_EQ(ev[1].size, (uint64_t)100);
	ASSERT_EQ(ev[1].block, (uint64_t)112);
	ASSERT_EQ(ev[1].caller, (uint64_t)0x1234);
	ASSERT_EQ(ev[1].examined, 1u);
	ASSERT_EQ(ev[1].align_log2, 4);
	dealloc(p, 100, 16);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(H.free->size, (size_t)4096);
}

TEST_CASE(alloc_exact_fit_takes_the_whole_block_without_a_split)
{
	setup(4096);
	void *a = alloc(64, 16), *b = alloc(48, 16), *c = alloc(64, 16);
	dealloc(b, 48, 16);
	ASSERT_EQ(H.free_blocks, (size_t)2);
	ev_reset();
	void *b2 = alloc(40, 8); /* rounds to the same 48-byte block */
	ASSERT_EQ(b2, b);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(ev_count, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_ALLOC);
	ASSERT_EQ(ev[0].block, (uint64_t)48);
	dealloc(a, 64, 16);
	dealloc(b2, 40, 8);
	dealloc(c, 64, 16);
	ASSERT_EQ(H.free_blocks, (size_t)1);

	void *all = alloc(4096, 16); /* the whole heap */
	ASSERT_EQ(off(all), (uintptr_t)0);
	ASSERT_NULL(H.free);
	ASSERT_EQ(H.free_blocks, (size_t)0);
	dealloc(all, 4096, 16);
}

TEST_CASE(alloc_rounds_small_requests_up_to_the_minimum_block)
{
	setup(4096);
	void *a = alloc(1, 1);
	ASSERT_EQ(H.used, (size_t)HEAP_MIN_BLOCK);
	void *b = alloc(17, 1);
	ASSERT_EQ(off(b), (uintptr_t)16);
	ASSERT_EQ(H.used, (size_t)48);
	ASSERT_EQ(heap_block_size(1, 1), (size_t)16);
	ASSERT_EQ(heap_block_size(16, 16), (size_t)16);
	ASSERT_EQ(heap_block_size(17, 16), (size_t)32);
	dealloc(a, 1, 1);
	dealloc(b, 17, 1);
}

TEST_CASE(zero_size_request_returns_a_unique_minimum_block)
{
	setup(4096);
	void *a = alloc(0, 1), *b = alloc(0, 16);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	ASSERT_NE(a, b);
	ASSERT_EQ(H.used, (size_t)(2 * HEAP_MIN_BLOCK));
	ASSERT_EQ(heap_block_size(0, 1), (size_t)HEAP_MIN_BLOCK);
	dealloc(a, 0, 1);
	dealloc(b, 0, 16);
	ASSERT_EQ(H.used, (size_t)0);
}

TEST_CASE(alloc_honours_every_alignment_from_1_to_4096)
{
	setup(ARENA_SIZE);
	for (unsigned k = 0; k <= 12; k++) {
		size_t align = (size_t)1 << k;
		void *skew = alloc(16, 16); /* make the next free address only 16-aligned */
		void *p = alloc(24, align);
		ASSERT_NOT_NULL(p);
		ASSERT_EQ((uintptr_t)p % align, (uintptr_t)0);
		ASSERT_EQ((uintptr_t)p % HEAP_MIN_ALIGN, (uintptr_t)0);
		memset(p, 0xee, 24);
		CHECK();
		dealloc(p, 24, align);
		dealloc(skew, 16, 16);
		ASSERT_EQ(H.free_blocks, (size_t)1);
		ASSERT_EQ(H.used, (size_t)0);
	}
}

TEST_CASE(alloc_honours_alignments_beyond_4096)
{
	setup(ARENA_SIZE);
	void *skew = alloc(16, 16);
	void *p = alloc(100, 16384);
	ASSERT_NOT_NULL(p);
	ASSERT_EQ((uintptr_t)p % 16384, (uintptr_t)0);
	dealloc(p, 100, 16384);
	dealloc(skew, 16, 16);
}

TEST_CASE(aligned_alloc_keeps_front_padding_as_a_free_block)
{
	setup(3 * 4096);
	void *skew = alloc(16, 16);
	ev_reset();
	void *p = alloc(32, 4096);
	ASSERT_EQ(off(p), (uintptr_t)4096);
	/* the padding [16, 4096) stays free, the rest after p too */
	ASSERT_EQ(H.free_blocks, (size_t)2);
	ASSERT_EQ(off(H.free), (uintptr_t)16);
	ASSERT_EQ(H.free->size, (size_t)(4096 - 16));
	ASSERT_EQ(off(H.free->next), (uintptr_t)(4096 + 32));
	ASSERT_EQ(H.used, (size_t)48);
	/* SPLIT describes the cut block and its back remainder */
	ASSERT_EQ(ev_count, (size_t)2);
	ASSERT_EQ(ev[0].kind, HEAP_EV_SPLIT);
	ASSERT_EQ(ev[0].addr, (uint64_t)H.base + 16);
	ASSERT_EQ(ev[0].size, (uint64_t)(3 * 4096 - 16));
	ASSERT_EQ(ev[0].addr2, (uint64_t)H.base + 4096 + 32);
	ASSERT_EQ(ev[0].size2, (uint64_t)(2 * 4096 - 32));
	ASSERT_EQ(ev[1].kind, HEAP_EV_ALLOC);
	ASSERT_EQ(ev[1].align_log2, 12);
	/* the padding is reused by the next small request */
	void *q = alloc(64, 16);
	ASSERT_EQ(off(q), (uintptr_t)16);
	dealloc(q, 64, 16);
	dealloc(p, 32, 4096);
	dealloc(skew, 16, 16);
	ASSERT_EQ(H.free_blocks, (size_t)1);
}

TEST_CASE(aligned_alloc_with_padding_and_no_back_rest_reports_no_remainder)
{
	setup(2 * 4096);
	void *skew = alloc(16, 16);
	ev_reset();
	void *p = alloc(4096, 4096); /* pad [16, 4096), block [4096, 8192): no rest */
	ASSERT_EQ(off(p), (uintptr_t)4096);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_SPLIT);
	ASSERT_EQ(ev[0].size2, (uint64_t)0);
	ASSERT_EQ(ev[0].addr2, (uint64_t)0);
	dealloc(p, 4096, 4096);
	dealloc(skew, 16, 16);
}

TEST_CASE(aligned_allocs_never_leak_padding)
{
	setup(ARENA_SIZE);
	void *ptrs[64];
	size_t sizes[64], aligns[64];
	for (unsigned i = 0; i < 64; i++) {
		sizes[i] = 1 + (i * 37) % 300;
		aligns[i] = (size_t)1 << (i % 11);
		ptrs[i] = alloc(sizes[i], aligns[i]);
		ASSERT_NOT_NULL(ptrs[i]);
		ASSERT_EQ((uintptr_t)ptrs[i] % aligns[i], (uintptr_t)0);
	}
	for (unsigned i = 0; i < 64; i += 2)
		dealloc(ptrs[i], sizes[i], aligns[i]);
	for (unsigned i = 1; i < 64; i += 2)
		dealloc(ptrs[i], sizes[i], aligns[i]);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(H.free->size, (size_t)ARENA_SIZE);
}

TEST_CASE(alloc_rejects_an_alignment_that_is_not_a_power_of_two)
{
	setup(4096);
	struct snapshot before;
	snap(&before);
	size_t bad[] = {0, 3, 24, 4097, (size_t)-1};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ASSERT_NULL(alloc(16, bad[i]));
		ASSERT_EQ(heap_block_size(16, bad[i]), (size_t)0);
	}
	ASSERT_EQ(ev_count, (size_t)0);
	ASSERT_UNCHANGED(before);
}

TEST_CASE(alloc_returns_null_when_the_rounded_size_overflows)
{
	setup(4096);
	ASSERT_NULL(alloc(SIZE_MAX, 16));
	ASSERT_NULL(alloc(SIZE_MAX - 5, 1));
	ASSERT_EQ(heap_block_size(SIZE_MAX, 16), (size_t)0);
	ASSERT_EQ(ev_count, (size_t)2);
	ASSERT_EQ(ev[0].kind, HEAP_EV_ALLOC_FAIL);
	ASSERT_EQ(ev[0].size, (uint64_t)SIZE_MAX);
	ASSERT_EQ(H.used, (size_t)0);
	ASSERT_NULL(alloc(SIZE_MAX - 4096, 4096)); /* fits no block, no overflow */
}

TEST_CASE(exhausted_heap_returns_null_and_recovers_after_free)
{
	setup(4096);
	void *p[65];
	unsigned n = 0;
	while (ev_reset(), n < 65 && (p[n] = alloc(64, 16)) != NULL)
		n++;
	ASSERT_EQ(n, 64u);
	ASSERT_EQ(H.used, (size_t)4096);
	ASSERT_EQ(ev_count, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_ALLOC_FAIL);
	ASSERT_EQ(ev[0].examined, 0u);
	/* free every other block: 2048 bytes free, but no 128-byte hole */
	for (unsigned i = 0; i < n; i += 2)
		dealloc(p[i], 64, 16);
	ev_reset();
	ASSERT_NULL(alloc(128, 16));
	ASSERT_EQ(ev_count, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_ALLOC_FAIL);
	ASSERT_EQ(ev[0].size, (uint64_t)128);
	ASSERT_EQ(ev[0].block, (uint64_t)2048);  /* total free */
	ASSERT_EQ(ev[0].size2, (uint64_t)64);    /* largest free */
	ASSERT_EQ(ev[0].examined, 32u);
	ASSERT_EQ(ev[0].caller, (uint64_t)0x1234);
	for (unsigned i = 1; i < n; i += 2)
		dealloc(p[i], 64, 16);
	ASSERT_EQ(H.free_blocks, (size_t)1);
	void *all = alloc(4096, 16);
	ASSERT_NOT_NULL(all);
	dealloc(all, 4096, 16);
}

TEST_CASE(alloc_reuses_freed_memory_first_fit)
{
	setup(4096);
	void *a = alloc(64, 16), *b = alloc(64, 16);
	dealloc(a, 64, 16);
	void *c = alloc(32, 16); /* first fit: the hole at a */
	ASSERT_EQ(c, a);
	void *d = alloc(32, 16);
	ASSERT_EQ(off(d), (uintptr_t)32);
	void *e = alloc(32, 16); /* the hole is used up: after b */
	ASSERT_EQ(off(e), (uintptr_t)128);
	ASSERT_EQ(ev[ev_count - 1].examined, 1u);
	dealloc(b, 64, 16);
	dealloc(c, 32, 16);
	dealloc(d, 32, 16);
	dealloc(e, 32, 16);
	ASSERT_EQ(H.free_blocks, (size_t)1);
}

TEST_CASE(peak_used_keeps_the_high_water_mark)
{
	setup(4096);
	void *a = alloc(1000, 16);
	void *b = alloc(1000, 16);
	dealloc(a, 1000, 16);
	ASSERT_EQ(H.peak_used, (size_t)2016);
	ASSERT_EQ(H.used, (size_t)1008);
	dealloc(b, 1000, 16);
	ASSERT_EQ(H.peak_used, (size_t)2016);
}

/* ---- free and merging -------------------------------------------------------- */

TEST_CASE(free_without_free_neighbours_links_the_block_in_address_order)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(32, 16), *c = alloc(32, 16), *d = alloc(32, 16);
	dealloc(c, 32, 16);
	ev_reset();
	dealloc(a, 32, 16);
	ASSERT_EQ(ev_count, (size_t)1); /* FREE, no COALESCE */
	ASSERT_EQ(ev[0].kind, HEAP_EV_FREE);
	ASSERT_EQ(ev[0].block, (uint64_t)32);
	ASSERT_EQ(ev[0].caller, (uint64_t)0x5678);
	ASSERT_EQ(H.free_blocks, (size_t)3);
	ASSERT_EQ((void *)H.free, a);
	ASSERT_EQ((void *)H.free->next, c);
	dealloc(b, 32, 16);
	dealloc(d, 32, 16);
}

TEST_CASE(free_merges_with_the_block_before)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(48, 16), *c = alloc(32, 16);
	dealloc(a, 32, 16);
	ev_reset();
	dealloc(b, 48, 16);
	ASSERT_EQ(H.free_blocks, (size_t)2);
	ASSERT_EQ((void *)H.free, a);
	ASSERT_EQ(H.free->size, (size_t)80);
	ASSERT_EQ(ev_count, (size_t)2);
	ASSERT_EQ(ev[0].kind, HEAP_EV_FREE);
	ASSERT_EQ(ev[1].kind, HEAP_EV_COALESCE);
	ASSERT_EQ(ev[1].flags, HEAP_MERGED_PREV);
	ASSERT_EQ(ev[1].addr, (uint64_t)(uintptr_t)a);
	ASSERT_EQ(ev[1].size, (uint64_t)80);
	ASSERT_EQ(ev[1].addr2, (uint64_t)(uintptr_t)b);
	ASSERT_EQ(ev[1].size2, (uint64_t)48);
	dealloc(c, 32, 16);
}

TEST_CASE(free_merges_with_the_block_after)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(48, 16), *c = alloc(32, 16);
	dealloc(b, 48, 16);
	ev_reset();
	dealloc(a, 32, 16);
	ASSERT_EQ(H.free_blocks, (size_t)2);
	ASSERT_EQ((void *)H.free, a);
	ASSERT_EQ(H.free->size, (size_t)80);
	ASSERT_EQ(ev_count, (size_t)2);
	ASSERT_EQ(ev[1].kind, HEAP_EV_COALESCE);
	ASSERT_EQ(ev[1].flags, HEAP_MERGED_NEXT);
	ASSERT_EQ(ev[1].addr, (uint64_t)(uintptr_t)a);
	ASSERT_EQ(ev[1].size, (uint64_t)80);
	ASSERT_EQ(ev[1].addr2, (uint64_t)(uintptr_t)a);
	ASSERT_EQ(ev[1].size2, (uint64_t)32);
	dealloc(c, 32, 16);
}

TEST_CASE(free_merges_with_both_neighbours)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(48, 16), *c = alloc(64, 16), *d = alloc(16, 16);
	dealloc(a, 32, 16);
	dealloc(c, 64, 16);
	ASSERT_EQ(H.free_blocks, (size_t)3);
	ev_reset();
	dealloc(b, 48, 16);
	ASSERT_EQ(H.free_blocks, (size_t)2);
	ASSERT_EQ((void *)H.free, a);
	ASSERT_EQ(H.free->size, (size_t)144);
	ASSERT_EQ(ev[1].kind, HEAP_EV_COALESCE);
	ASSERT_EQ(ev[1].flags, HEAP_MERGED_PREV | HEAP_MERGED_NEXT);
	ASSERT_EQ(ev[1].size, (uint64_t)144);
	dealloc(d, 16, 16); /* merges with both again: one block */
	ASSERT_EQ(H.free_blocks, (size_t)1);
	ASSERT_EQ(H.free->size, (size_t)4096);
}

/* ---- misuse ---------------------------------------------------------------- */

TEST_CASE(free_rejects_a_pointer_outside_the_heap)
{
	setup(4096);
	void *a = alloc(32, 16);
	expect_free_error(NULL, 32, 16, HEAP_ERR_OUTSIDE);
	expect_free_error(arena + 4096, 32, 16, HEAP_ERR_OUTSIDE);
	expect_free_error(arena + 8192, 16, 16, HEAP_ERR_OUTSIDE);
	expect_free_error((void *)((uintptr_t)arena - 16), 16, 16, HEAP_ERR_OUTSIDE);
	dealloc(a, 32, 16);
}

TEST_CASE(free_rejects_a_misaligned_pointer)
{
	setup(4096);
	void *skew = alloc(16, 16);
	void *a = alloc(256, 64);
	expect_free_error((char *)a + 8, 32, 16, HEAP_ERR_MISALIGNED);
	expect_free_error((char *)a + 1, 1, 1, HEAP_ERR_MISALIGNED);
	expect_free_error((char *)a + 16, 16, 64, HEAP_ERR_MISALIGNED); /* 16- but not 64-aligned */
	dealloc(a, 256, 64);
	dealloc(skew, 16, 16);
}

TEST_CASE(free_rejects_a_double_free)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(32, 16), *c = alloc(32, 16);
	dealloc(b, 32, 16);
	expect_free_error(b, 32, 16, HEAP_ERR_DOUBLE_FREE);
	dealloc(a, 32, 16); /* merges: b is now inside the block at a */
	expect_free_error(b, 32, 16, HEAP_ERR_DOUBLE_FREE);
	expect_free_error(a, 32, 16, HEAP_ERR_DOUBLE_FREE);
	expect_free_error((char *)c + 64, 16, 16, HEAP_ERR_DOUBLE_FREE); /* inside the last free block */
	dealloc(c, 32, 16);
	expect_free_error(c, 32, 16, HEAP_ERR_DOUBLE_FREE);
}

TEST_CASE(free_rejects_a_layout_that_does_not_fit)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(32, 16), *c = alloc(32, 16);
	dealloc(b, 32, 16);
	expect_free_error(a, 48, 16, HEAP_ERR_BAD_LAYOUT);       /* runs into free b */
	expect_free_error(a, 32, 3, HEAP_ERR_BAD_LAYOUT);        /* alignment not a power of two */
	expect_free_error(a, 32, 0, HEAP_ERR_BAD_LAYOUT);
	expect_free_error(a, SIZE_MAX, 16, HEAP_ERR_BAD_LAYOUT); /* size overflows */
	expect_free_error(c, 8192, 16, HEAP_ERR_BAD_LAYOUT);     /* runs past the end */
	dealloc(a, 32, 16);
	dealloc(c, 32, 16);
	void *all = alloc(4096, 16);
	expect_free_error(all, 4112, 16, HEAP_ERR_BAD_LAYOUT);
	dealloc(all, 4096, 16);
}

/* ---- check, walk, stats, poison, markers ---------------------------------------- */

TEST_CASE(check_reports_each_broken_invariant)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(32, 16), *c = alloc(32, 16);
	(void)c;
	dealloc(b, 32, 16); /* free list: b, rest */
	struct heap_free_block *fb = H.free, *rest = fb->next;
	uintptr_t bad = 0;

	fb->next = (struct heap_free_block *)(H.base + 8192);
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_OUTSIDE);
	ASSERT_EQ(bad, H.base + 8192);
	fb->next = (struct heap_free_block *)((uintptr_t)rest + 8);
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_MISALIGNED);
	fb->next = fb;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_UNSORTED); /* a cycle ends too */
	fb->next = rest;

	fb->size = 8;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_TOO_SMALL);
	fb->size = 40;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_MISALIGNED);
	fb->size = 48; /* covers half of c: the byte count is off */
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_ACCOUNTING);
	fb->size = 64; /* touches rest */
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_ADJACENT);
	fb->size = 80; /* runs into rest */
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_OVERLAP);
	ASSERT_EQ(bad, (uintptr_t)rest);
	fb->size = 32;

	H.free_blocks++;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_ACCOUNTING);
	H.free_blocks--;
	H.used += 16;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_ACCOUNTING);
	H.used -= 16;
	CHECK();

	/* a missed merge: pretend c was freed without merging */
	struct heap_free_block *cb = (struct heap_free_block *)c;
	cb->size = 32;
	cb->next = rest;
	fb->next = cb;
	H.free_blocks++;
	H.used -= 32;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_ADJACENT);
	ASSERT_EQ(bad, (uintptr_t)cb); /* b then c touch first */
	fb->next = rest;
	H.free_blocks--;
	H.used += 32;
	CHECK();
	dealloc(a, 32, 16);
	dealloc(c, 32, 16);
}

struct walk_log {
	unsigned n;
	uintptr_t addr[16];
	size_t size[16];
	bool is_free[16];
};

static void walk_record(void *ctx, uintptr_t addr, size_t size, bool is_free)
{
	struct walk_log *w = ctx;
	if (w->n < 16) {
		w->addr[w->n] = addr;
		w->size[w->n] = size;
		w->is_free[w->n] = is_free;
	}
	w->n++;
}

TEST_CASE(walk_reports_free_blocks_and_used_runs_in_address_order)
{
	setup(4096);
	void *a = alloc(32, 16), *b = alloc(32, 16), *c = alloc(64, 16), *d = alloc(32, 16);
	dealloc(b, 32, 16);
	struct walk_log w = {0};
	heap_walk(&H, walk_record, &w);
	ASSERT_EQ(w.n, 4u);
	ASSERT_EQ(off((void *)w.addr[0]), (uintptr_t)0);
	ASSERT_EQ(w.size[0], (size_t)32);
	ASSERT(!w.is_free[0]);
	ASSERT_EQ(off((void *)w.addr[1]), (uintptr_t)32);
	ASSERT(w.is_free[1]);
	ASSERT_EQ(off((void *)w.addr[2]), (uintptr_t)64);
	ASSERT_EQ(w.size[2], (size_t)96); /* c and d: one used run */
	ASSERT(!w.is_free[2]);
	ASSERT_EQ(w.size[3], (size_t)(4096 - 160));
	ASSERT(w.is_free[3]);
	dealloc(a, 32, 16);
	dealloc(c, 64, 16);
	dealloc(d, 32, 16);
	memset(&w, 0, sizeof w);
	heap_walk(&H, walk_record, &w);
	ASSERT_EQ(w.n, 1u);
	void *all = alloc(4096, 16);
	memset(&w, 0, sizeof w);
	heap_walk(&H, walk_record, &w);
	ASSERT_EQ(w.n, 1u);
	ASSERT(!w.is_free[0]);
	dealloc(all, 4096, 16);
}

TEST_CASE(stats_report_both_fragmentation_figures)
{
	struct heap_stats s;
	setup(4096);
	heap_stats(&H, &s);
	ASSERT_EQ(s.free_bytes, (size_t)4096);
	ASSERT_EQ(s.frag_permille, 0u);
	ASSERT_EQ(s.frag_sq_permille, 0u);

	/* free blocks of 1024 and 2048 (+ used 1024 between them) */
	void *a = alloc(1024, 16), *b = alloc(1024, 16);
	dealloc(a, 1024, 16);
	heap_stats(&H, &s);
	ASSERT_EQ(s.free_bytes, (size_t)3072);
	ASSERT_EQ(s.used_bytes, (size_t)1024);
	ASSERT_EQ(s.peak_used, (size_t)2048);
	ASSERT_EQ(s.free_blocks, (size_t)2);
	ASSERT_EQ(s.largest_free, (size_t)2048);
	ASSERT_EQ(s.frag_permille, 334u);    /* 1000 - floor(1000 * 2048 / 3072) */
	ASSERT_EQ(s.frag_sq_permille, 445u); /* 1000 - floor(1000 * (1024^2 + 2048^2) / 3072^2) */

	void *all = alloc(3072 - 1024, 16); /* takes the 2048 block exactly */
	void *rest = alloc(1024, 16);
	heap_stats(&H, &s);
	ASSERT_EQ(s.free_bytes, (size_t)0);
	ASSERT_EQ(s.frag_permille, 0u);
	ASSERT_EQ(s.frag_sq_permille, 0u);
	dealloc(all, 2048, 16);
	dealloc(rest, 1024, 16);
	dealloc(b, 1024, 16);
}

TEST_CASE(poisoning_fills_freed_memory_and_check_catches_a_use_after_free)
{
	setup(4096);
	heap_set_poison(&H, true);
	CHECK();
	uint8_t *a = alloc(64, 16), *b = alloc(64, 16);
	memset(a, 0x11, 64);
	memset(b, 0x22, 64);
	dealloc(a, 64, 16);
	for (size_t i = sizeof(struct heap_free_block); i < 64; i++)
		ASSERT_EQ(a[i], HEAP_POISON_BYTE);
	a[40] = 0; /* use after free */
	uintptr_t bad = 0;
	ASSERT_EQ((int)heap_check(&H, &bad), (int)HEAP_ERR_POISON);
	ASSERT_EQ(bad, (uintptr_t)(a + 40));
	a[40] = HEAP_POISON_BYTE;
	dealloc(b, 64, 16); /* merges with both: old headers are poisoned too */
	CHECK();
	ASSERT_EQ(H.free_blocks, (size_t)1);
	heap_set_poison(&H, false);
}

TEST_CASE(mark_emits_a_marker_with_a_truncated_name)
{
	setup(4096);
	heap_mark(&H, "phase one");
	ASSERT_EQ(ev_count, (size_t)1);
	ASSERT_EQ(ev[0].kind, HEAP_EV_MARKER);
	ASSERT_STR_EQ(ev[0].name, "phase one");
	heap_mark(&H, "a label that is much longer than thirty-one bytes");
	ASSERT_EQ(strlen(ev[1].name), (size_t)HEAP_MARKER_NAME_MAX);
	H.trace = NULL;
	heap_mark(&H, "nobody listens");
	ASSERT_EQ(ev_count, (size_t)2);
}

TEST_CASE(untraced_heap_works_the_same)
{
	setup(4096);
	H.trace = NULL;
	void *a = alloc(100, 64);
	ASSERT_NOT_NULL(a);
	ASSERT_NULL(alloc(8192, 16));
	dealloc(a, 100, 64);
	ASSERT_EQ(ev_count, (size_t)0);
}

TEST_CASE(error_names_are_distinct)
{
	ASSERT_STR_EQ(heap_error_name(HEAP_OK), "ok");
	ASSERT_STR_EQ(heap_error_name(HEAP_ERR_DOUBLE_FREE), "double free");
	for (int a = HEAP_OK; a <= HEAP_ERR_POISON; a++)
		for (int b = a + 1; b <= HEAP_ERR_POISON; b++)
			ASSERT(strcmp(heap_error_name(a), heap_error_name(b)) != 0);
}

int main(void)
{
	return test_main();
}

/* ---- the bound sink (heap.h): the path the kernel takes when it traces ---- */

#include "heap_sink_host.h"

/* A second recorder for the bound heap, so both runs can be compared. */
#define BOUND_EV_MAX 256
static struct heap_event bound_ev[BOUND_EV_MAX], hook_ev[BOUND_EV_MAX];
static size_t bound_n, hook_n;

static void record_bound(void *ctx, struct heap_event *e)
{
	(void)ctx;
	if (bound_n < BOUND_EV_MAX)
		bound_ev[bound_n] = *e;
	bound_n++;
}

static void record_hook(void *ctx, struct heap_event *e)
{
	(void)ctx;
	if (hook_n < BOUND_EV_MAX)
		hook_ev[hook_n] = *e;
	hook_n++;
}

/* The same mix of exact fits, splits with front padding and back remainders,
 * frees that merge left, right and both ways, and a failure, on heap h. */
static void bound_sink_workload(struct heap *h)
{
	void *p[8];
	size_t sz[8] = {100, 16, 300, 64, 2000, 48, 4096, 24};
	size_t al[8] = {16, 16, 256, 16, 64, 16, 4096, 32};
	for (int i = 0; i < 8; i++)
		p[i] = heap_alloc(h, sz[i], al[i], 0x1000 + (uintptr_t)i);
	heap_mark(h, "freeing");
	for (int i = 0; i < 8; i += 2)
		if (p[i])
			heap_free(h, p[i], sz[i], al[i], 0x2000 + (uintptr_t)i);
	for (int i = 1; i < 8; i += 2)
		if (p[i])
			heap_free(h, p[i], sz[i], al[i], 0x2000 + (uintptr_t)i);
	(void)heap_alloc(h, ARENA_SIZE, 16, 0x3000); /* fails: ALLOC_FAIL through the hook */
}

TEST_CASE(bound_sink_gets_the_same_events_as_a_hook)
{
	bound_n = hook_n = 0;
	memset(arena, 0, sizeof arena);
	ASSERT(heap_init(&H, arena, 64 * 1024, record_hook, NULL));
	bound_sink_workload(&H);

	memset(arena, 0, sizeof arena);
	heap_sink_host_bind(record_bound, NULL);
	ASSERT(heap_init(&H, arena, 64 * 1024, heap_sink_hook, NULL));
	bound_sink_workload(&H);
	heap_sink_host_bind(NULL, NULL);

	ASSERT_GT(hook_n, (size_t)20);
	ASSERT_LE(hook_n, (size_t)BOUND_EV_MAX);
	ASSERT_EQ(bound_n, hook_n);
	for (size_t i = 0; i < hook_n; i++) {
		ASSERT_MSG(!memcmp(&bound_ev[i], &hook_ev[i], sizeof hook_ev[i]),
			   "event %zu differs: bound kind %u, hook kind %u", i, bound_ev[i].kind,
			   hook_ev[i].kind);
	}
	size_t splits = 0, merges = 0;
	for (size_t i = 0; i < hook_n; i++) {
		splits += hook_ev[i].kind == HEAP_EV_SPLIT;
		merges += hook_ev[i].kind == HEAP_EV_COALESCE;
	}
	ASSERT_GT(splits, (size_t)0); /* the workload reaches every shape */
	ASSERT_GT(merges, (size_t)0);
}

TEST_CASE(bound_sink_unbound_drops_events_and_the_heap_still_works)
{
	bound_n = 0;
	memset(arena, 0, sizeof arena);
	ASSERT(heap_init(&H, arena, 64 * 1024, heap_sink_hook, NULL));
	void *p = heap_alloc(&H, 200, 16, 0);
	ASSERT_NOT_NULL(p);
	ASSERT(heap_free(&H, p, 200, 16, 0) == HEAP_OK);
	CHECK();
	ASSERT_EQ(bound_n, (size_t)0);
}
