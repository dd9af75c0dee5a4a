/* heap_malloc_test.c - host tests of the malloc-style layer (kernel/heap_malloc.c), heap_check after every step. */
#include <stdint.h>
#include <string.h>

#include "heap_fixture.h"
#include "heap_malloc.h"
#include "test/test.h"

static _Alignas(4096) uint8_t arena[64 * 1024];

#define ASSERT_ERR(expr, want) ASSERT_EQ((int)(expr), (int)(want))

static void setup(void)
{
	ASSERT(heap_init(&H, arena, sizeof arena, record, NULL));
	ev_reset();
}

TEST_CASE(malloc_returns_aligned_memory_and_free_gives_it_all_back)
{
	setup();
	void *p[100];
	for (unsigned i = 0; i < 100; i++) {
		p[i] = heap_malloc(&H, i * 7, 1);
		ASSERT_NOT_NULL(p[i]);
		ASSERT_EQ((uintptr_t)p[i] % HEAP_MIN_ALIGN, (uintptr_t)0);
		ASSERT_EQ(heap_msize(p[i]), (size_t)i * 7);
		memset(p[i], i, i * 7);
		CHECK();
	}
	for (unsigned i = 0; i < 100; i += 3) {
		ASSERT_ERR(heap_mfree(&H, p[i], 2), HEAP_OK);
		CHECK();
	}
	for (unsigned i = 0; i < 100; i++)
		if (i % 3) {
			for (unsigned k = 0; k < i * 7; k++)
				ASSERT_EQ(((uint8_t *)p[i])[k], (uint8_t)i);
			ASSERT_ERR(heap_mfree(&H, p[i], 2), HEAP_OK);
			CHECK();
		}
	ASSERT_EQ(H.used, (size_t)0);
	ASSERT_EQ(H.free_blocks, (size_t)1);
}

TEST_CASE(free_of_null_does_nothing)
{
	setup();
	ASSERT_ERR(heap_mfree(&H, NULL, 0), HEAP_OK);
	ASSERT_EQ(ev_count, (size_t)0);
	CHECK();
}

TEST_CASE(aligned_alloc_honours_alignments_up_to_4096)
{
	setup();
	for (size_t a = 1; a <= 4096; a <<= 1) {
		void *skew = heap_malloc(&H, 1, 0);
		void *p = heap_aligned_alloc(&H, a, 100, 0);
		ASSERT_NOT_NULL(p);
		ASSERT_EQ((uintptr_t)p % a, (uintptr_t)0);
		CHECK();
		ASSERT_ERR(heap_mfree(&H, p, 0), HEAP_OK);
		ASSERT_ERR(heap_mfree(&H, skew, 0), HEAP_OK);
		CHECK();
	}
	ASSERT_NULL(heap_aligned_alloc(&H, 24, 100, 0));
	ASSERT_NULL(heap_aligned_alloc(&H, 0, 100, 0));
	ASSERT_EQ(H.used, (size_t)0);
}

TEST_CASE(calloc_zeroes_and_rejects_overflowing_products)
{
	setup();
	uint8_t *p = heap_malloc(&H, 256, 0);
	memset(p, 0xff, 256);
	ASSERT_ERR(heap_mfree(&H, p, 0), HEAP_OK);
	uint8_t *q = heap_calloc(&H, 16, 16, 0);
	ASSERT_NOT_NULL(q);
	for (unsigned i = 0; i < 256; i++)
		ASSERT_EQ(q[i], 0);
	ASSERT_NULL(heap_calloc(&H, SIZE_MAX / 2, 3, 0));
	ASSERT_NULL(heap_calloc(&H, (size_t)1 << 33, (size_t)1 << 33, 0));
	ASSERT_NULL(heap_malloc(&H, SIZE_MAX - 8, 0));
	ASSERT_ERR(heap_mfree(&H, q, 0), HEAP_OK);
	CHECK();
	ASSERT_EQ(H.used, (size_t)0);
}

TEST_CASE(realloc_keeps_contents_and_alignment_and_emits_realloc)
{
	setup();
	uint8_t *p = heap_aligned_alloc(&H, 256, 10, 0);
	for (unsigned i = 0; i < 10; i++)
		p[i] = (uint8_t)(i + 1);
	uint8_t *blocker = heap_malloc(&H, 16, 0); /* forces a move */
	ev_count = 0;
	uint8_t *q = heap_realloc(&H, p, 1000, 0x77);
	CHECK();
	ASSERT_NOT_NULL(q);
	ASSERT_NE(q, p);
	ASSERT_EQ((uintptr_t)q % 256, (uintptr_t)0);
	for (unsigned i = 0; i < 10; i++)
		ASSERT_EQ(q[i], i + 1);
	ASSERT_EQ(heap_msize(q), (size_t)1000);
	ASSERT(ev_count >= 3);
	struct heap_event *r = &ev[ev_count - 1];
	ASSERT_EQ(r->kind, HEAP_EV_REALLOC);
	ASSERT_EQ(r->addr, (uint64_t)(uintptr_t)q);
	ASSERT_EQ(r->size, (uint64_t)1000);
	ASSERT_EQ(r->addr2, (uint64_t)(uintptr_t)p);
	ASSERT_EQ(r->size2, (uint64_t)10);
	ASSERT_EQ(r->caller, (uint64_t)0x77);

	/* a size within the same block does not move */
	ev_count = 0;
	uint8_t *s = heap_realloc(&H, q, 1001, 0);
	ASSERT_EQ(s, q);
	ASSERT_EQ(ev_count, (size_t)1);
	uint8_t *t = heap_realloc(&H, s, 5, 0); /* shrinks: moves to a smaller block */
	ASSERT_NOT_NULL(t);
	for (unsigned i = 0; i < 5; i++)
		ASSERT_EQ(t[i], i + 1);
	CHECK();
	ASSERT_NULL(heap_realloc(&H, t, 0, 0)); /* size 0 frees */
	ASSERT_ERR(heap_mfree(&H, blocker, 0), HEAP_OK);
	CHECK();
	ASSERT_EQ(H.used, (size_t)0);
	void *n = heap_realloc(&H, NULL, 40, 0); /* NULL: malloc */
	ASSERT_NOT_NULL(n);
	ASSERT_NULL(heap_realloc(&H, n, SIZE_MAX - 4, 0)); /* fails, n untouched */
	ASSERT_EQ(heap_msize(n), (size_t)40);
	ASSERT_ERR(heap_mfree(&H, n, 0), HEAP_OK);
	CHECK();
}

TEST_CASE(mfree_reports_misuse_and_leaves_the_heap_unchanged)
{
	setup();
	uint8_t *a = heap_malloc(&H, 64, 0), *b = heap_malloc(&H, 64, 0), *c = heap_malloc(&H, 64, 0);
	size_t used = H.used;
	ASSERT_ERR(heap_mfree(&H, a + 8, 0), HEAP_ERR_MISALIGNED);
	ASSERT_ERR(heap_mfree(&H, a + 16, 0), HEAP_ERR_BAD_LAYOUT); /* not a pointer from malloc */
	ASSERT_ERR(heap_mfree(&H, (void *)((uintptr_t)arena + sizeof arena + 64), 0), HEAP_ERR_OUTSIDE);
	ASSERT_ERR(heap_mfree(&H, (void *)16, 0), HEAP_ERR_OUTSIDE);
	ASSERT_EQ(H.used, used);
	CHECK();
	ASSERT_ERR(heap_mfree(&H, b, 0), HEAP_OK);
	ASSERT_ERR(heap_mfree(&H, b, 0), HEAP_ERR_DOUBLE_FREE);
	ASSERT_ERR(heap_mfree(&H, a, 0), HEAP_OK); /* merges with b */
	ASSERT_ERR(heap_mfree(&H, b, 0), HEAP_ERR_DOUBLE_FREE);
	ASSERT_ERR(heap_mfree(&H, a, 0), HEAP_ERR_DOUBLE_FREE);
	ASSERT_NULL(heap_realloc(&H, a, 10, 0));
	ASSERT_ERR(heap_mvalidate(&H, c), HEAP_OK);
	ASSERT_ERR(heap_mfree(&H, c, 0), HEAP_OK);
	CHECK();
	ASSERT_EQ(H.used, (size_t)0);
}

int main(void)
{
	return test_main();
}
