/* suite_heap.c - in-QEMU tests of the kernel heap (kheap, kalloc/kmalloc), vectors and the string
 * builder; every test must leave the heap's free bytes exactly as it found them. */
#include <stdint.h>

#include "heap.h"
#include "kheap.h"
#include "kstring.h"
#include "memlayout.h"
#include "strbuf.h"
#include "test/test.h"
#include "vec.h"

VEC_DEFINE(u64_vec, uint64_t)
VEC_DEFINE(u32_vec, uint32_t)

struct pair {
	uint32_t key;
	uint64_t value;
};
VEC_DEFINE(pair_vec, struct pair)

void kmain(unsigned long hartid, void *dtb);

static size_t baseline_free; /* free bytes before the first test */

/* A block an expected-panic test had to keep live when the panic fired;
 * given back before the leak check. */
static void *leftover;
static size_t leftover_size;

/* After every test: no leak (free bytes as before) and a consistent heap. */
static void heap_after_each(void)
{
	if (leftover) {
		kdealloc(leftover, leftover_size, 16);
		leftover = NULL;
	}
	struct heap_stats st;
	heap_stats(kheap(), &st);
	ASSERT_MSG(st.free_bytes == baseline_free, "leak: %zu bytes free after the test, %zu before",
		   st.free_bytes, baseline_free);
	uintptr_t bad = 0;
	enum heap_error err = heap_check(kheap(), &bad);
	ASSERT_MSG(err == HEAP_OK, "heap_check: %s at %p", heap_error_name(err), (void *)bad);
}

void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	kheap_init(NULL, NULL);
	struct heap_stats st;
	heap_stats(kheap(), &st);
	baseline_free = st.free_bytes;
	test_set_after_each(heap_after_each);
	test_main();
}

static void heap_ok(void)
{
	uintptr_t bad = 0;
	enum heap_error err = heap_check(kheap(), &bad);
	ASSERT_MSG(err == HEAP_OK, "heap_check: %s at %p", heap_error_name(err), (void *)bad);
}

/* ---- the global heap ------------------------------------------------------- */

TEST_CASE(kernel_heap_spans_the_linker_region)
{
	struct heap *h = kheap();
	ASSERT_EQ(h->base, (uintptr_t)__heap_start);
	ASSERT_EQ(h->base + h->len, (uintptr_t)__heap_end);
	ASSERT_EQ(h->len, (size_t)HEAP_SIZE);
	ASSERT_EQ(h->used, (size_t)0);
	ASSERT_EQ(h->free_blocks, (size_t)1);
}

TEST_CASE(one_simple_allocation_is_usable_and_given_back)
{
	uint8_t *p = kalloc(100, 16);
	ASSERT_NOT_NULL(p);
	ASSERT((uintptr_t)p >= (uintptr_t)__heap_start && (uintptr_t)p + 100 <= (uintptr_t)__heap_end);
	ASSERT_EQ((uintptr_t)p % 16, (uintptr_t)0);
	for (int i = 0; i < 100; i++)
		p[i] = (uint8_t)i;
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(p[i], (uint8_t)i);
	ASSERT_EQ(kheap()->used, (size_t)112);
	heap_ok();
	kdealloc(p, 100, 16);
	ASSERT_EQ(kheap()->used, (size_t)0);
}

TEST_CASE(alloc_honours_alignments_up_to_4096_on_the_kernel_heap)
{
	void *skew = kalloc(16, 16);
	for (size_t a = 1; a <= 4096; a <<= 1) {
		void *p = kalloc(48, a);
		ASSERT_NOT_NULL(p);
		ASSERT_EQ((uintptr_t)p % a, (uintptr_t)0);
		heap_ok();
		kdealloc(p, 48, a);
	}
	kdealloc(skew, 16, 16);
}

TEST_CASE(exhausting_the_kernel_heap_returns_null_and_recovers)
{
	ASSERT_NULL(kalloc(HEAP_SIZE + 16, 16));
	ASSERT_NULL(kmalloc((size_t)-1));
	ASSERT_NULL(kcalloc((size_t)1 << 40, (size_t)1 << 40));
	void *all = kalloc(HEAP_SIZE, 16); /* the whole heap still fits */
	ASSERT_NOT_NULL(all);
	ASSERT_NULL(kalloc(1, 1));
	kdealloc(all, HEAP_SIZE, 16);
	heap_ok();
}

TEST_CASE(short_lived_allocations_keep_reusing_the_same_memory)
{
	struct heap *h = kheap();
	uint8_t *first = NULL;
	for (uint32_t i = 0; i < 100000; i++) {
		size_t size = 1 + (i * 13) % 200;
		uint8_t *p = kalloc(size, 16);
		ASSERT_NOT_NULL(p);
		if (!first)
			first = p;
		ASSERT_EQ(p, first); /* first fit: always the start of the one free block */
		ASSERT_LE(h->used, (size_t)208);
		p[0] = (uint8_t)i;
		p[size - 1] = (uint8_t)i;
		kdealloc(p, size, 16);
	}
	ASSERT_EQ(h->used, (size_t)0);
	ASSERT_EQ(h->free_blocks, (size_t)1);
}

TEST_CASE(short_lived_allocations_reuse_memory_around_a_long_lived_one)
{
	struct heap *h = kheap();
	uint64_t *keep = kalloc(1000 * sizeof(uint64_t), 8);
	ASSERT_NOT_NULL(keep);
	for (uint64_t i = 0; i < 1000; i++)
		keep[i] = i * i;
	size_t used_with_keep = h->used;
	uintptr_t lowest = UINTPTR_MAX, highest = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		size_t size = 8 + (i * 7) % 120;
		uint8_t *p = kmalloc(size);
		ASSERT_NOT_NULL(p);
		p[0] = 1;
		if ((uintptr_t)p < lowest)
			lowest = (uintptr_t)p;
		if ((uintptr_t)p > highest)
			highest = (uintptr_t)p;
		kfree(p);
		ASSERT_EQ(h->used, used_with_keep);
	}
	/* a bump allocator would have walked 100000 blocks up the heap */
	ASSERT_LT(highest - lowest, (uintptr_t)256);
	for (uint64_t i = 0; i < 1000; i++)
		ASSERT_EQ(keep[i], i * i);
	kdealloc(keep, 1000 * sizeof(uint64_t), 8);
}

TEST_CASE(malloc_style_calls_work_on_the_kernel_heap)
{
	kfree(NULL);
	uint32_t *z = kcalloc(100, sizeof(uint32_t));
	ASSERT_NOT_NULL(z);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(z[i], 0u);
	for (int i = 0; i < 100; i++)
		z[i] = (uint32_t)i * 3;
	z = krealloc(z, 10000 * sizeof(uint32_t));
	ASSERT_NOT_NULL(z);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(z[i], (uint32_t)i * 3);
	void *a = kmalloc_aligned(4096, 10);
	ASSERT_EQ((uintptr_t)a % 4096, (uintptr_t)0);
	kfree(a);
	ASSERT_NULL(krealloc(z, 0)); /* frees */
	heap_ok();
}

/* ---- vectors ---------------------------------------------------------------- */

TEST_CASE(vector_of_1000_elements_sums_correctly)
{
	struct u64_vec v = VEC_INIT;
	for (uint64_t i = 1; i <= 1000; i++)
		ASSERT(u64_vec_push(&v, i));
	ASSERT_EQ(v.len, (size_t)1000);
	uint64_t sum = 0;
	VEC_FOREACH(uint64_t, x, &v)
	sum += *x;
	ASSERT_EQ(sum, (uint64_t)500500);
	ASSERT_EQ(*u64_vec_at(&v, 999), (uint64_t)1000);
	u64_vec_free(&v);
	ASSERT_NULL(v.data);
}

TEST_CASE(vector_grows_and_shrinks)
{
	struct heap *h = kheap();
	struct u32_vec v;
	u32_vec_init(&v);
	size_t last_cap = 0;
	unsigned growths = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		ASSERT(u32_vec_push(&v, i));
		if (v.cap != last_cap) {
			growths++;
			ASSERT_GE(v.cap, v.len);
			ASSERT_EQ(h->used, heap_block_size(v.cap * sizeof(uint32_t), 4));
			last_cap = v.cap;
		}
	}
	ASSERT_LE(growths, 16u); /* doubling, not one step per push */
	uint32_t x;
	while (v.len > 10)
		ASSERT(u32_vec_pop(&v, &x));
	ASSERT_EQ(x, 10u);
	ASSERT(u32_vec_shrink(&v));
	ASSERT_EQ(v.cap, (size_t)10);
	ASSERT_EQ(h->used, (size_t)48); /* 40 bytes rounded to the block */
	for (uint32_t i = 0; i < 10; i++)
		ASSERT_EQ(v.data[i], i);
	ASSERT(u32_vec_reserve(&v, 1000));
	ASSERT_GE(v.cap, (size_t)1000);
	ASSERT_EQ(v.len, (size_t)10);
	u32_vec_clear(&v);
	ASSERT(u32_vec_shrink(&v)); /* empty: frees it all */
	ASSERT_EQ(v.cap, (size_t)0);
	ASSERT_EQ(h->used, (size_t)0);
	ASSERT(!u32_vec_pop(&v, &x));
	u32_vec_free(&v);
}

TEST_CASE(vector_insert_and_remove_keep_order)
{
	struct pair_vec v = VEC_INIT;
	for (uint32_t i = 0; i < 10; i++)
		ASSERT(pair_vec_push(&v, (struct pair){i * 2, i}));
	ASSERT(pair_vec_insert(&v, 0, (struct pair){100, 0}));
	ASSERT(pair_vec_insert(&v, 5, (struct pair){101, 0}));
	ASSERT(pair_vec_insert(&v, v.len, (struct pair){102, 0}));
	ASSERT(!pair_vec_insert(&v, v.len + 1, (struct pair){103, 0}));
	ASSERT_EQ(v.len, (size_t)13);
	ASSERT_EQ(v.data[0].key, 100u);
	ASSERT_EQ(v.data[1].key, 0u);
	ASSERT_EQ(v.data[5].key, 101u);
	ASSERT_EQ(v.data[6].key, 8u);
	ASSERT_EQ(v.data[12].key, 102u);
	struct pair out;
	ASSERT(pair_vec_remove(&v, 5, &out));
	ASSERT_EQ(out.key, 101u);
	ASSERT(pair_vec_remove(&v, 0, &out));
	ASSERT(pair_vec_remove(&v, v.len - 1, NULL));
	ASSERT(!pair_vec_remove(&v, v.len, NULL));
	ASSERT_EQ(v.len, (size_t)10);
	uint32_t k = 0;
	VEC_FOREACH(struct pair, p, &v)
	{
		ASSERT_EQ(p->key, k * 2);
		ASSERT_EQ(p->value, (uint64_t)k);
		k++;
	}
	pair_vec_free(&v);
}

TEST_CASE_SHOULD_PANIC(vector_index_out_of_range_panics)
{
	struct u64_vec v = VEC_INIT; /* no memory: nothing can leak */
	u64_vec_at(&v, 0);
}

/* ---- strings ------------------------------------------------------------------ */

TEST_CASE(string_builder_appends_formats_and_grows)
{
	struct strbuf sb = STRBUF_INIT;
	ASSERT_STR_EQ(strbuf_cstr(&sb), "");
	ASSERT(strbuf_append(&sb, "heap: "));
	ASSERT(strbuf_appendf(&sb, "%d blocks, %zu bytes, %s, 0x%x", 3, (size_t)4096, "ok", 0xbeefu));
	ASSERT(strbuf_putc(&sb, '!'));
	ASSERT_STR_EQ(strbuf_cstr(&sb), "heap: 3 blocks, 4096 bytes, ok, 0xbeef!");
	ASSERT_EQ(sb.len, strlen("heap: 3 blocks, 4096 bytes, ok, 0xbeef!"));
	strbuf_reset(&sb);
	ASSERT_STR_EQ(strbuf_cstr(&sb), "");
	for (int i = 0; i < 2000; i++)
		ASSERT(strbuf_appendf(&sb, "%04d,", i));
	ASSERT_EQ(sb.len, (size_t)10000);
	ASSERT_EQ(strncmp(sb.buf + 5 * 1234, "1234,", 5), 0);
	ASSERT_EQ(sb.buf[sb.len], 0);
	strbuf_free(&sb);
	ASSERT_NULL(sb.buf);
}

TEST_CASE(string_builder_reports_running_out_of_memory)
{
	void *hog = kalloc(HEAP_SIZE - 64, 16); /* leave 64 bytes */
	ASSERT_NOT_NULL(hog);
	struct strbuf sb = STRBUF_INIT;
	ASSERT(strbuf_append(&sb, "short"));
	bool ok = true;
	for (int i = 0; i < 100 && ok; i++)
		ok = strbuf_append(&sb, "0123456789");
	ASSERT(!ok);
	ASSERT(sb.failed);
	ASSERT(!strbuf_append(&sb, "x"));
	ASSERT_EQ(strncmp(strbuf_cstr(&sb), "short0123456789", 15), 0);
	strbuf_free(&sb);
	kdealloc(hog, HEAP_SIZE - 64, 16);
}

TEST_CASE(ksnprintf_truncates_and_reports_the_full_length)
{
	char buf[8];
	ASSERT_EQ(ksnprintf(buf, sizeof buf, "%d-%s", 12345, "abcdef"), 12);
	ASSERT_STR_EQ(buf, "12345-a");
	ASSERT_EQ(ksnprintf(buf, sizeof buf, "%x", 255u), 2);
	ASSERT_STR_EQ(buf, "ff");
	ASSERT_EQ(ksnprintf(NULL, 0, "%d", 42), 2);
}

/* ---- misuse panics (nothing is left allocated when they fire) -------------------- */

TEST_CASE_SHOULD_PANIC(kdealloc_of_a_freed_block_panics)
{
	void *p = kalloc(32, 16);
	kdealloc(p, 32, 16);
	kdealloc(p, 32, 16);
}

TEST_CASE_SHOULD_PANIC(kdealloc_outside_the_heap_panics)
{
	static uint64_t not_heap[4];
	kdealloc(not_heap, sizeof not_heap, 16);
}

TEST_CASE_SHOULD_PANIC(kdealloc_of_a_misaligned_pointer_panics)
{
	kdealloc((void *)(kheap()->base + 8), 16, 16);
}

TEST_CASE_SHOULD_PANIC(kdealloc_with_a_bad_layout_panics)
{
	kdealloc((void *)kheap()->base, 16, 3);
}

TEST_CASE_SHOULD_PANIC(kdealloc_with_a_size_running_into_free_memory_panics)
{
	leftover_size = 32;
	leftover = kalloc(leftover_size, 16); /* followed by free memory */
	kdealloc(leftover, 64, 16);
}

TEST_CASE_SHOULD_PANIC(kfree_twice_panics)
{
	void *p = kmalloc(10);
	kfree(p);
	kfree(p);
}

TEST_CASE_SHOULD_PANIC(kfree_of_a_pointer_not_from_kmalloc_panics)
{
	leftover_size = 256;
	leftover = kalloc(leftover_size, 16);
	kfree((uint8_t *)leftover + 64); /* in use, but no kmalloc header there */
}

TEST_CASE_SHOULD_PANIC(krealloc_of_a_freed_pointer_panics)
{
	void *p = kmalloc(10);
	kfree(p);
	krealloc(p, 20);
}

/* ---- tracing and poisoning on the kernel heap ------------------------------------ */

static struct heap_event seen[8];
static unsigned nseen;

static void record(void *ctx, struct heap_event *ev)
{
	(void)ctx;
	if (nseen < 8)
		seen[nseen] = *ev;
	nseen++;
}

static bool in_kernel_text(uint64_t a)
{
	return a >= (uintptr_t)__kernel_start && a < (uintptr_t)__kernel_end;
}

TEST_CASE(kernel_allocations_record_their_caller_in_the_trace)
{
	struct heap *h = kheap();
	nseen = 0;
	h->trace = record;
	void *p = kalloc(40, 16);
	kdealloc(p, 40, 16);
	struct u64_vec v = VEC_INIT;
	u64_vec_push(&v, 1);
	u64_vec_free(&v);
	h->trace = NULL;
	ASSERT_EQ(nseen, 8u); /* split+alloc, free+coalesce, twice */
	ASSERT_EQ(seen[0].kind, HEAP_EV_SPLIT);
	ASSERT_EQ(seen[1].kind, HEAP_EV_ALLOC);
	ASSERT_EQ(seen[1].addr, (uint64_t)(uintptr_t)p);
	ASSERT_EQ(seen[1].block, (uint64_t)48);
	ASSERT(in_kernel_text(seen[1].caller));
	ASSERT_EQ(seen[2].kind, HEAP_EV_FREE);
	ASSERT(in_kernel_text(seen[2].caller));
	ASSERT_EQ(seen[3].kind, HEAP_EV_COALESCE);
	ASSERT_EQ(seen[5].kind, HEAP_EV_ALLOC);
	ASSERT_EQ(seen[5].size, (uint64_t)(4 * sizeof(uint64_t))); /* first capacity: 4 */
	ASSERT(in_kernel_text(seen[5].caller));
}

TEST_CASE(poisoning_the_kernel_heap_catches_a_write_after_free)
{
	struct heap *h = kheap();
	bool was_on = h->poison; /* on already in a KHEAP_POISON build */
	heap_set_poison(h, true);
	heap_ok();
	uint8_t *p = kalloc(64, 16);
	memset(p, 0x11, 64);
	kdealloc(p, 64, 16);
	ASSERT_EQ(p[63], HEAP_POISON_BYTE);
	p[40] = 0; /* a write through a dangling pointer */
	uintptr_t bad = 0;
	ASSERT_EQ((int)heap_check(h, &bad), (int)HEAP_ERR_POISON);
	ASSERT_EQ(bad, (uintptr_t)(p + 40));
	p[40] = HEAP_POISON_BYTE;
	heap_ok();
	heap_set_poison(h, was_on);
}
