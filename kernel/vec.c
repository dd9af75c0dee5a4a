/* vec.c - the out-of-line parts of vec.h: moving a vector's elements to a block of a new
 * capacity, and the out-of-range index panic. */
#include "vec.h"

#include "kheap.h"

__attribute__((noinline)) bool vec_regrow(void **data, size_t len, size_t old_cap, size_t new_cap,
					  size_t elem_size, size_t align)
{
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);
	if (new_cap > SIZE_MAX / elem_size || len > new_cap)
		return false;
	void *nd = NULL;
	if (new_cap) {
		nd = kalloc_from(new_cap * elem_size, align, caller);
		if (!nd)
			return false;
		if (len)
			memcpy(nd, *data, len * elem_size);
	}
	if (old_cap)
		kdealloc_from(*data, old_cap * elem_size, align, caller);
	*data = nd;
	return true;
}

__attribute__((noinline)) void vec_index_panic(const char *name, const void *data, size_t i, size_t len,
					       size_t align)
{
	kheap_report_misuse(HEAP_OP_VEC_INDEX, HEAP_OK, data, i, align, len,
			    (uintptr_t)__builtin_return_address(0));
	panic("%s_at: index %zu out of range (len %zu)", name, i, len);
}
