/* kheap.c - the kernel's global heap over the linker-reserved region, with panicking misuse checks
 * that first report the misuse as a MISUSE event in the heap trace. */
#include "kheap.h"

#include "heap_malloc.h"
#include "memlayout.h"
#include "panic.h"
#include "unwind.h"

/* The one kernel heap: all allocator state, in .bss (zero until kheap_init). */
static struct heap kheap_heap;

#define CALLER() ((uintptr_t)__builtin_return_address(0))

/* The API entry points below (UNWIND_ENTRY_FN: no frame of their own) note
 * their caller's frame first thing, so the trace sink can walk the call stack
 * from the code that called them (kernel/unwind.h); two stores a call. */
#define API UNWIND_ENTRY_FN

void kheap_init(heap_trace_fn trace, void *ctx)
{
	kheap_init_policy(HEAP_POLICY_FIRST, trace, ctx);
}

void kheap_init_policy(enum heap_policy policy, heap_trace_fn trace, void *ctx)
{
	size_t len = (size_t)(__heap_end - __heap_start);
	if (!heap_init_policy(&kheap_heap, __heap_start, len, policy, trace, ctx))
		panic("kheap_init: heap [%p, %p) is too small", (void *)__heap_start, (void *)__heap_end);
#ifdef KHEAP_POISON
	heap_set_poison(&kheap_heap, true);
#endif
}

struct heap *kheap(void)
{
	return &kheap_heap;
}

/* heap_event.h numbers the misuse errors as enum heap_error does. */
_Static_assert(HEAP_ERR_OUTSIDE == 1 && HEAP_ERR_MISALIGNED == 2 && HEAP_ERR_DOUBLE_FREE == 3 &&
		       HEAP_ERR_BAD_LAYOUT == 4,
	       "heap_event.h's HEAP_MISUSE_ERRORS must match enum heap_error");

API void kheap_report_misuse(enum heap_misuse_op op, enum heap_error err, const void *p,
			     size_t size, size_t align, size_t len, uintptr_t caller)
{
	/* called by the entry points below (their note stands: same caller) or
	 * by other code, such as vec_index_panic, which it notes */
	if (unwind_entry.caller != caller)
		UNWIND_NOTE_ENTRY(caller);
	struct heap *h = &kheap_heap;
	if (!h->trace)
		return;
	uint8_t l = 0;
	while (l < 64 && ((size_t)1 << l) < align)
		l++;
	if (align == 0 || ((size_t)1 << l) != align)
		l = HEAP_MISUSE_ALIGN_BAD;
	struct heap_event ev = {.kind = HEAP_EV_MISUSE,
				.flags = HEAP_MISUSE_FLAGS(op, err),
				.align_log2 = l,
				.addr = (uintptr_t)p,
				.size = size,
				.size2 = len,
				.caller = caller};
	h->trace(h->trace_ctx, &ev);
}

/* Reports a refused sized free (fn: kdealloc) as a MISUSE event, then panics
 * with a message naming the call, the pointer and the misuse. */
static void __attribute__((noreturn)) misuse(const char *fn, enum heap_error err, void *p, size_t size,
					     size_t align, uintptr_t caller)
{
	const struct heap *h = &kheap_heap;
	kheap_report_misuse(HEAP_OP_DEALLOC, err, p, size, align, 0, caller);
	switch (err) {
	case HEAP_ERR_DOUBLE_FREE:
		panic("%s: double free of %p (size %zu, align %zu)", fn, p, size, align);
	case HEAP_ERR_OUTSIDE:
		panic("%s: %p is outside the heap [%p, %p) (size %zu, align %zu)", fn, p, (void *)h->base,
		      (void *)(h->base + h->len), size, align);
	case HEAP_ERR_MISALIGNED:
		panic("%s: misaligned pointer %p (size %zu, align %zu)", fn, p, size, align);
	case HEAP_ERR_BAD_LAYOUT:
		panic("%s: bad layout for %p (size %zu, align %zu): not how it was allocated", fn, p, size,
		      align);
	default:
		panic("%s: %s at %p (size %zu, align %zu)", fn, heap_error_name(err), p, size, align);
	}
}

API void *kalloc_from(size_t size, size_t align, uintptr_t caller)
{
	UNWIND_NOTE_ENTRY(caller);
	return heap_alloc(&kheap_heap, size, align, caller);
}

API void kdealloc_from(void *p, size_t size, size_t align, uintptr_t caller)
{
	UNWIND_NOTE_ENTRY(caller);
	enum heap_error err = heap_free(&kheap_heap, p, size, align, caller);
	if (err != HEAP_OK)
		misuse("kdealloc", err, p, size, align, caller);
}

API void *kalloc(size_t size, size_t align)
{
	UNWIND_NOTE_ENTRY(CALLER());
	return heap_alloc(&kheap_heap, size, align, CALLER());
}

API void kdealloc(void *p, size_t size, size_t align)
{
	uintptr_t caller = CALLER();
	UNWIND_NOTE_ENTRY(caller);
	enum heap_error err = heap_free(&kheap_heap, p, size, align, caller);
	if (err != HEAP_OK)
		misuse("kdealloc", err, p, size, align, caller);
}

API void *kmalloc(size_t size)
{
	UNWIND_NOTE_ENTRY(CALLER());
	return heap_malloc(&kheap_heap, size, CALLER());
}

API void *kmalloc_aligned(size_t align, size_t size)
{
	UNWIND_NOTE_ENTRY(CALLER());
	return heap_aligned_alloc(&kheap_heap, align, size, CALLER());
}

API void *kcalloc(size_t n, size_t size)
{
	UNWIND_NOTE_ENTRY(CALLER());
	return heap_calloc(&kheap_heap, n, size, CALLER());
}

API void *krealloc(void *p, size_t size)
{
	UNWIND_NOTE_ENTRY(CALLER());
	if (p) {
		enum heap_error err = heap_mvalidate(&kheap_heap, p);
		if (err != HEAP_OK) {
			kheap_report_misuse(HEAP_OP_REALLOC, err, p, size, HEAP_MIN_ALIGN, 0, CALLER());
			panic("krealloc: %p is not a live kmalloc pointer (%s; new size %zu)", p, heap_error_name(err), size);
		}
	}
	return heap_realloc(&kheap_heap, p, size, CALLER());
}

API void kfree(void *p)
{
	uintptr_t caller = CALLER();
	UNWIND_NOTE_ENTRY(caller);
	enum heap_error err = heap_mfree(&kheap_heap, p, caller);
	if (err == HEAP_OK)
		return;
	kheap_report_misuse(HEAP_OP_FREE, err, p, 0, HEAP_MIN_ALIGN, 0, caller);
	switch (err) {
	case HEAP_ERR_DOUBLE_FREE:
		panic("kfree: double free of %p", p);
	case HEAP_ERR_OUTSIDE:
		panic("kfree: %p is outside the heap [%p, %p)", p, (void *)kheap_heap.base,
		      (void *)(kheap_heap.base + kheap_heap.len));
	case HEAP_ERR_MISALIGNED:
		panic("kfree: misaligned pointer %p", p);
	case HEAP_ERR_BAD_LAYOUT:
		panic("kfree: %p was not returned by kmalloc (no valid header)", p);
	default:
		panic("kfree: %s at %p", heap_error_name(err), p);
	}
}

void kheap_mark(const char *name)
{
	heap_mark(&kheap_heap, name);
}
