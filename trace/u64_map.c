/* u64_map.c - 64-bit key -> 32-bit value hash map: linear probing, backward-shift deletion.
 */
#include "u64_map.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16 /* smallest table */

static inline size_t home_of(const struct u64_map *m, uint64_t key)
{
	return (size_t)((key * U64_MAP_MULT) >> m->shift);
}

/* The slot holding key, or the empty slot ending its probe run (cap > 0). */
static struct u64_map_slot *slot_of(const struct u64_map *m, uint64_t key)
{
	size_t mask = m->cap - 1;
	for (size_t i = home_of(m, key);; i = (i + 1) & mask) {
		struct u64_map_slot *s = &m->slot[i];
		if (!s->val || s->key == key)
			return s;
	}
}

/* Moves every entry into a fresh table of ncap slots (a power of two). */
static bool rehash(struct u64_map *m, size_t ncap)
{
	struct u64_map_slot *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return false;
	struct u64_map n = {ns, ncap, m->count, 64u - (unsigned)__builtin_ctzll(ncap)};
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].val)
			*slot_of(&n, m->slot[i].key) = m->slot[i];
	free(m->slot);
	*m = n;
	return true;
}

bool u64_map_reserve(struct u64_map *m, size_t n)
{
	size_t need = m->count + n;
	if (need < m->count || need > SIZE_MAX / 4)
		return false;
	if (need * 2 <= m->cap)
		return true;
	size_t ncap = m->cap ? m->cap : MIN_CAP;
	while (need * 2 > ncap)
		ncap *= 2;
	return rehash(m, ncap);
}

bool u64_map_put(struct u64_map *m, uint64_t key, uint32_t val)
{
	if (val == U64_MAP_NONE || !u64_map_reserve(m, 1))
		return false;
	struct u64_map_slot *s = slot_of(m, key);
	if (!s->val) {
		s->key = key;
		m->count++;
	}
	s->val = val + 1;
	return true;
}

void *u64_map_append(struct u64_map *m, uint64_t key, void *arr, size_t *n, size_t *cap,
                     size_t elem)
{
	if (*n >= U64_MAP_NONE || !u64_map_reserve(m, 1)) /* the put below cannot fail */
		return NULL;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		void *na = ncap <= SIZE_MAX / elem ? realloc(arr, ncap * elem) : NULL;
		if (!na)
			return NULL;
		arr = na;
		*cap = ncap;
	}
	u64_map_put(m, key, (uint32_t)*n);
	memset((char *)arr + *n * elem, 0, elem);
	++*n;
	return arr;
}

uint32_t u64_map_remove(struct u64_map *m, uint64_t key)
{
	if (!m->count)
		return U64_MAP_NONE;
	struct u64_map_slot *s = slot_of(m, key);
	if (!s->val)
		return U64_MAP_NONE;
	uint32_t val = s->val - 1;
	size_t mask = m->cap - 1, i = (size_t)(s - m->slot);
	/* close the hole at i: an entry further along the run moves back into it
	 * unless its home lies cyclically in (i, j], where it must stay reachable */
	for (size_t j = (i + 1) & mask; m->slot[j].val; j = (j + 1) & mask) {
		size_t home = home_of(m, m->slot[j].key);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].val = 0;
	m->count--;
	return val;
}

void u64_map_clear(struct u64_map *m)
{
	if (m->count)
		memset(m->slot, 0, m->cap * sizeof *m->slot);
	m->count = 0;
}

void u64_map_free(struct u64_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}
