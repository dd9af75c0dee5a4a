/* u64_map.h - a hash map from 64-bit keys (addresses) to 32-bit values (indices).
 *
 * The one map for "which entry has this address": live blocks and free gaps in
 * the heap model, call sites, symbol tables. The entries themselves live in the
 * caller's array; the map holds their indices.
 *
 *   slot[cap]:  { key, value + 1 }   value + 1 == 0 marks an empty slot
 *   home(key) = top log2(cap) bits of key * 2^64/phi (Fibonacci hashing)
 *
 * Open addressing with linear probing in a power-of-two table kept at most half
 * full; it doubles when an insertion would pass that. Deletion shifts the later
 * entries of the probe run back (backward-shift deletion), so there are no
 * tombstones: after any mix of insertions and deletions a lookup probes only
 * the run its key hashes into, as in a table that only ever had insertions.
 *
 * Keys: every 64-bit value, 0 included (emptiness is marked in the value).
 * Values: 0 .. U64_MAP_NONE - 1; U64_MAP_NONE is the answer "no such key".
 *
 * The struct is public so that it can be embedded by value and looked up
 * inline (u64_map_get is on the heap model's per-event path); use its fields
 * only through these functions. A zeroed struct is an empty map that holds
 * no memory. The map owns its table: u64_map_free releases it.
 * Allocation failure is reported (false), never dereferenced, and leaves the
 * map as it was.
 */
#ifndef U64_MAP_H
#define U64_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define U64_MAP_NONE UINT32_MAX            /* u64_map_get: key absent; not a storable value */
#define U64_MAP_MULT 0x9e3779b97f4a7c15ull /* 2^64 / golden ratio, odd */

struct u64_map_slot {
	uint64_t key;
	uint32_t val; /* value + 1; 0 = empty slot */
};

struct u64_map {
	struct u64_map_slot *slot; /* cap slots, NULL while cap is 0 */
	size_t cap;                /* 0 or a power of two (>= 16) */
	size_t count;              /* keys held, at most cap / 2 */
	unsigned shift;            /* 64 - log2(cap): home(key) = key * MULT >> shift */
};

/* The value stored for key, or U64_MAP_NONE. */
static inline uint32_t u64_map_get(const struct u64_map *m, uint64_t key)
{
	if (!m->cap)
		return U64_MAP_NONE;
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)((key * U64_MAP_MULT) >> m->shift);; i = (i + 1) & mask) {
		const struct u64_map_slot *s = &m->slot[i];
		if (!s->val)
			return U64_MAP_NONE;
		if (s->key == key)
			return s->val - 1;
	}
}

/* Makes room for n more keys: the next n insertions of new keys cannot fail.
 * False when out of memory (the map unchanged). */
bool u64_map_reserve(struct u64_map *m, size_t n);

/* Maps key to val (val < U64_MAP_NONE), replacing any value it had; grows the
 * table when needed. False when out of memory (the map unchanged); never fails
 * after a successful u64_map_reserve covering this key. */
bool u64_map_put(struct u64_map *m, uint64_t key, uint32_t val);

/* For an array the caller keeps in order of first sight, indexed by m: appends
 * a zeroed entry for key (not yet in m) to arr (*n entries of elem bytes, room
 * for *cap; doubled from 256 when full), maps key to its index *n and counts
 * it in *n. Returns the array, moved if it grew; NULL when out of memory (arr,
 * *n, *cap and m's keys unchanged). */
void *u64_map_append(struct u64_map *m, uint64_t key, void *arr, size_t *n, size_t *cap,
                     size_t elem);

/* Removes key. Returns the value it had, or U64_MAP_NONE if it was absent. */
uint32_t u64_map_remove(struct u64_map *m, uint64_t key);

/* Removes every key, keeping the table's memory. */
void u64_map_clear(struct u64_map *m);

/* Releases the table; the map is empty (and usable) again. */
void u64_map_free(struct u64_map *m);

static inline size_t u64_map_count(const struct u64_map *m)
{
	return m->count;
}

/* Bytes of memory the table holds (for memory budgets). */
static inline size_t u64_map_bytes(const struct u64_map *m)
{
	return m->cap * sizeof *m->slot;
}

#endif /* U64_MAP_H */
