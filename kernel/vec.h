/* vec.h - growable vectors on the kernel heap, typed at compile time.
 *
 *   VEC_DEFINE(u64_vec, uint64_t)      // once per element type, in a header or .c
 *   struct u64_vec v = VEC_INIT;
 *   if (!u64_vec_push(&v, 42)) ...     // false: out of memory, v unchanged
 *   VEC_FOREACH(uint64_t, x, &v) sum += *x;
 *   u64_vec_free(&v);
 *
 * Generated for NAME and element type T (all static inline):
 *   NAME_init(v)             empty vector, no memory
 *   NAME_free(v)             gives the memory back; v is empty again
 *   NAME_reserve(v, n)       capacity >= n; false if out of memory (v unchanged)
 *   NAME_shrink(v)           capacity = length (frees it all when empty)
 *   NAME_push(v, x)          appends; false if out of memory
 *   NAME_pop(v, &out)        removes the last element into *out (out may be NULL); false if empty
 *   NAME_insert(v, i, x)     inserts at i <= len, shifting the tail up; false if out of memory or i > len
 *   NAME_remove(v, i, &out)  removes element i < len, shifting the tail down; false if i >= len
 *   NAME_at(v, i)            pointer to element i; i >= len is a misuse: traced, then panics
 *   NAME_clear(v)            length 0, capacity kept
 * Fields: data (T *), len, cap. Capacity grows by doubling (from 4). Memory
 * comes from kalloc/kdealloc with the exact capacity as size; the trace shows
 * the call site of push/insert/reserve as the caller (vec_regrow records its
 * return address). A vector owns its data; copying the struct does not copy it.
 */
#ifndef VEC_H
#define VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kstring.h"
#include "panic.h"

#define VEC_INIT {NULL, 0, 0}

/* Moves *data (len elements of elem_size bytes, capacity old_cap) into a new
 * block of new_cap elements aligned to align; new_cap 0 frees it. Returns
 * false (nothing changed) if out of memory or the size overflows. */
bool vec_regrow(void **data, size_t len, size_t old_cap, size_t new_cap, size_t elem_size, size_t align);

/* NAME_at's out-of-range path: reports the misuse (a MISUSE event, op
 * vec_index, naming the caller of NAME_at) and panics "NAME_at: index i out
 * of range (len n)". */
void vec_index_panic(const char *name, const void *data, size_t i, size_t len, size_t align)
	__attribute__((noreturn));

/* The capacity to grow to for at least `need` elements from `cap`. */
static inline size_t vec_grow_cap(size_t cap, size_t need)
{
	size_t c = cap ? cap : 4;
	while (c < need && c <= SIZE_MAX / 2)
		c *= 2;
	return c < need ? need : c;
}

#define VEC_FOREACH(T, it, v) for (T *it = (v)->data; it < (v)->data + (v)->len; it++)

#define VEC_DEFINE(NAME, T)                                                                   \
	struct NAME {                                                                         \
		T *data;    /* elements, NULL while cap == 0 */                               \
		size_t len; /* elements in use */                                             \
		size_t cap; /* elements allocated */                                          \
	};                                                                                    \
	static inline void NAME##_init(struct NAME *v)                                        \
	{                                                                                     \
		v->data = NULL;                                                               \
		v->len = v->cap = 0;                                                          \
	}                                                                                     \
	static inline bool NAME##_set_cap_(struct NAME *v, size_t cap)                        \
	{                                                                                     \
		void *d = v->data;                                                            \
		if (!vec_regrow(&d, v->len, v->cap, cap, sizeof(T), _Alignof(T)))             \
			return false;                                                         \
		v->data = d;                                                                  \
		v->cap = cap;                                                                 \
		return true;                                                                  \
	}                                                                                     \
	static inline void NAME##_free(struct NAME *v)                                        \
	{                                                                                     \
		v->len = 0;                                                                   \
		NAME##_set_cap_(v, 0);                                                        \
	}                                                                                     \
	static inline bool NAME##_reserve(struct NAME *v, size_t n)                           \
	{                                                                                     \
		return n <= v->cap || NAME##_set_cap_(v, vec_grow_cap(v->cap, n));            \
	}                                                                                     \
	static inline bool NAME##_shrink(struct NAME *v)                                      \
	{                                                                                     \
		return v->len == v->cap || NAME##_set_cap_(v, v->len);                        \
	}                                                                                     \
	static inline bool NAME##_push(struct NAME *v, T x)                                   \
	{                                                                                     \
		if (v->len == v->cap && !NAME##_reserve(v, v->len + 1))                       \
			return false;                                                         \
		v->data[v->len++] = x;                                                        \
		return true;                                                                  \
	}                                                                                     \
	static inline bool NAME##_pop(struct NAME *v, T *out)                                 \
	{                                                                                     \
		if (v->len == 0)                                                              \
			return false;                                                         \
		v->len--;                                                                     \
		if (out)                                                                      \
			*out = v->data[v->len];                                               \
		return true;                                                                  \
	}                                                                                     \
	static inline bool NAME##_insert(struct NAME *v, size_t i, T x)                       \
	{                                                                                     \
		if (i > v->len || (v->len == v->cap && !NAME##_reserve(v, v->len + 1)))      \
			return false;                                                         \
		memmove(v->data + i + 1, v->data + i, (v->len - i) * sizeof(T));              \
		v->data[i] = x;                                                               \
		v->len++;                                                                     \
		return true;                                                                  \
	}                                                                                     \
	static inline bool NAME##_remove(struct NAME *v, size_t i, T *out)                    \
	{                                                                                     \
		if (i >= v->len)                                                              \
			return false;                                                         \
		if (out)                                                                      \
			*out = v->data[i];                                                    \
		memmove(v->data + i, v->data + i + 1, (v->len - i - 1) * sizeof(T));          \
		v->len--;                                                                     \
		return true;                                                                  \
	}                                                                                     \
	static inline T *NAME##_at(struct NAME *v, size_t i)                                  \
	{                                                                                     \
		if (i >= v->len)                                                              \
			vec_index_panic(#NAME, v->data, i, v->len, _Alignof(T));              \
		return &v->data[i];                                                           \
	}                                                                                     \
	static inline void NAME##_clear(struct NAME *v)                                       \
	{                                                                                     \
		v->len = 0;                                                                   \
	}

#endif /* VEC_H */
