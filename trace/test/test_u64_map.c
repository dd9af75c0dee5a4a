/* test_u64_map.c - the u64 -> u32 hash map: lookups, replacement, removal (also
 * inside and across the end of probe runs), growth, reservation, allocation
 * failure, and long randomized insert/remove mixes checked against a plain
 * reference and against the table's structural invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/test.h"
#include "u64_map.h"

/* The sanitized build would abort on an impossible allocation instead of
 * returning NULL, which is what the map must cope with. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static size_t home(const struct u64_map *m, uint64_t key)
{
	return (size_t)((key * U64_MAP_MULT) >> m->shift);
}

/* The table's invariant: at most half full, count matches the slots in use,
 * and every key is reachable from its home slot without crossing an empty slot
 * (what lookups rely on, and what a deletion must not break). */
static void check_table(const struct u64_map *m)
{
	size_t used = 0, mask = m->cap - 1;
	ASSERT_LE(m->count * 2, m->cap);
	for (size_t j = 0; j < m->cap; j++) {
		if (!m->slot[j].val)
			continue;
		used++;
		for (size_t i = home(m, m->slot[j].key); i != j; i = (i + 1) & mask)
			ASSERT_MSG(m->slot[i].val != 0,
			           "key 0x%llx in slot %zu: empty slot %zu before it",
			           (unsigned long long)m->slot[j].key, j, i);
	}
	ASSERT_EQ(used, m->count);
}

/* n distinct keys whose home is slot `want` in a table of m's size. */
static void keys_homed_at(const struct u64_map *m, size_t want, uint64_t *keys, size_t n)
{
	size_t k = 0;
	for (uint64_t key = 1; k < n; key++)
		if (home(m, key) == want)
			keys[k++] = key;
}

TEST_CASE(an_empty_map_finds_nothing_and_holds_no_memory)
{
	struct u64_map m = {0};
	ASSERT_EQ(u64_map_get(&m, 0), U64_MAP_NONE);
	ASSERT_EQ(u64_map_get(&m, 0x80001000), U64_MAP_NONE);
	ASSERT_EQ(u64_map_remove(&m, 0x80001000), U64_MAP_NONE);
	ASSERT_EQ(u64_map_count(&m), (size_t)0);
	ASSERT_EQ(u64_map_bytes(&m), (size_t)0);
	u64_map_clear(&m);
	u64_map_free(&m);
	ASSERT_NULL(m.slot);
}

TEST_CASE(put_then_get_gives_the_value_for_every_key_including_0_and_max)
{
	struct u64_map m = {0};
	ASSERT(u64_map_put(&m, 0, 7));
	ASSERT(u64_map_put(&m, UINT64_MAX, 0));
	ASSERT(u64_map_put(&m, 0x80400000, U64_MAP_NONE - 1));
	ASSERT_EQ(u64_map_get(&m, 0), 7u);
	ASSERT_EQ(u64_map_get(&m, UINT64_MAX), 0u);
	ASSERT_EQ(u64_map_get(&m, 0x80400000), U64_MAP_NONE - 1);
	ASSERT_EQ(u64_map_get(&m, 1), U64_MAP_NONE);
	ASSERT_EQ(u64_map_count(&m), (size_t)3);
	check_table(&m);
	u64_map_free(&m);
}

TEST_CASE(put_of_a_present_key_replaces_its_value_without_counting_it_twice)
{
	struct u64_map m = {0};
	ASSERT(u64_map_put(&m, 0x1000, 1));
	ASSERT(u64_map_put(&m, 0x1000, 2));
	ASSERT_EQ(u64_map_get(&m, 0x1000), 2u);
	ASSERT_EQ(u64_map_count(&m), (size_t)1);
	u64_map_free(&m);
}

TEST_CASE(put_refuses_the_value_that_means_absent)
{
	struct u64_map m = {0};
	ASSERT(!u64_map_put(&m, 0x1000, U64_MAP_NONE));
	ASSERT_EQ(u64_map_count(&m), (size_t)0);
	ASSERT_EQ(u64_map_get(&m, 0x1000), U64_MAP_NONE);
	u64_map_free(&m);
}

TEST_CASE(remove_returns_the_value_and_forgets_only_that_key)
{
	struct u64_map m = {0};
	ASSERT(u64_map_put(&m, 0x1000, 10));
	ASSERT(u64_map_put(&m, 0x2000, 20));
	ASSERT_EQ(u64_map_remove(&m, 0x1000), 10u);
	ASSERT_EQ(u64_map_get(&m, 0x1000), U64_MAP_NONE);
	ASSERT_EQ(u64_map_get(&m, 0x2000), 20u);
	ASSERT_EQ(u64_map_remove(&m, 0x1000), U64_MAP_NONE);
	ASSERT_EQ(u64_map_count(&m), (size_t)1);
	u64_map_free(&m);
}

TEST_CASE(removing_from_the_middle_of_a_probe_run_keeps_the_rest_reachable)
{
	struct u64_map m = {0};
	ASSERT(u64_map_reserve(&m, 1)); /* the smallest table: its size fixes the homes */
	size_t cap = m.cap;
	uint64_t k[4], at6;
	keys_homed_at(&m, 3, k, 4);
	keys_homed_at(&m, 6, &at6, 1);
	/* one run: k0 k1 k2 in slots 3..5, at6 at home in 6, k3 pushed on to 7 */
	for (uint32_t i = 0; i < 3; i++)
		ASSERT(u64_map_put(&m, k[i], i));
	ASSERT(u64_map_put(&m, at6, 6));
	ASSERT(u64_map_put(&m, k[3], 3));
	ASSERT_EQ(m.cap, cap);
	ASSERT_EQ(u64_map_remove(&m, k[1]), 1u); /* k2 and k3 move back; at6 must stay */
	check_table(&m);
	ASSERT_EQ(u64_map_get(&m, at6), 6u);
	ASSERT_EQ(u64_map_remove(&m, k[0]), 0u);
	check_table(&m);
	ASSERT_EQ(u64_map_get(&m, k[2]), 2u);
	ASSERT_EQ(u64_map_get(&m, k[3]), 3u);
	ASSERT_EQ(u64_map_get(&m, at6), 6u);
	ASSERT_EQ(u64_map_get(&m, k[0]), U64_MAP_NONE);
	ASSERT_EQ(u64_map_get(&m, k[1]), U64_MAP_NONE);
	ASSERT_EQ(u64_map_count(&m), (size_t)3);
	u64_map_free(&m);
}

TEST_CASE(removing_from_a_run_that_wraps_past_the_last_slot_keeps_the_rest_reachable)
{
	struct u64_map m = {0};
	ASSERT(u64_map_reserve(&m, 1));
	size_t cap = m.cap;
	uint64_t last[3], first[2];
	keys_homed_at(&m, cap - 1, last, 3); /* slots cap-1, 0, 1 */
	keys_homed_at(&m, 0, first, 2);      /* pushed on to slots 2, 3 */
	for (uint32_t i = 0; i < 3; i++)
		ASSERT(u64_map_put(&m, last[i], i));
	for (uint32_t i = 0; i < 2; i++)
		ASSERT(u64_map_put(&m, first[i], 10 + i));
	ASSERT_EQ(m.cap, cap);
	ASSERT_EQ(u64_map_remove(&m, last[0]), 0u); /* the hole at cap-1 is filled across the end */
	check_table(&m);
	ASSERT_EQ(u64_map_remove(&m, last[2]), 2u);
	check_table(&m);
	ASSERT_EQ(u64_map_get(&m, last[1]), 1u);
	ASSERT_EQ(u64_map_get(&m, first[0]), 10u);
	ASSERT_EQ(u64_map_get(&m, first[1]), 11u);
	u64_map_free(&m);
}

TEST_CASE(the_table_grows_and_stays_at_most_half_full)
{
	struct u64_map m = {0};
	for (uint32_t i = 0; i < 100000; i++) {
		ASSERT(u64_map_put(&m, 0x80400000ull + 16ull * i, i));
		ASSERT_LE(m.count * 2, m.cap);
	}
	check_table(&m);
	for (uint32_t i = 0; i < 100000; i++)
		ASSERT_EQ(u64_map_get(&m, 0x80400000ull + 16ull * i), i);
	ASSERT_EQ(u64_map_bytes(&m), m.cap * sizeof(struct u64_map_slot));
	u64_map_free(&m);
}

TEST_CASE(after_reserve_n_the_next_n_new_keys_need_no_allocation)
{
	struct u64_map m = {0};
	ASSERT(u64_map_put(&m, 1, 1));
	ASSERT(u64_map_reserve(&m, 1000));
	const struct u64_map_slot *table = m.slot;
	for (uint32_t i = 0; i < 1000; i++)
		ASSERT(u64_map_put(&m, 0x1000 + i, i));
	ASSERT(m.slot == table);
	ASSERT_EQ(u64_map_count(&m), (size_t)1001);
	u64_map_free(&m);
}

TEST_CASE(reserve_beyond_memory_fails_and_leaves_the_map_unchanged)
{
	struct u64_map m = {0};
	ASSERT(u64_map_put(&m, 0x1000, 5));
	struct u64_map before = m;
	ASSERT(!u64_map_reserve(&m, SIZE_MAX / 2));    /* its size in bytes would overflow */
	ASSERT(!u64_map_reserve(&m, (size_t)1 << 56)); /* 2^62 bytes: no allocator has them */
	ASSERT_MEM_EQ(&m, &before, sizeof m);
	ASSERT_EQ(u64_map_get(&m, 0x1000), 5u);
	u64_map_free(&m);
}

TEST_CASE(clear_forgets_every_key_and_keeps_the_table)
{
	struct u64_map m = {0};
	for (uint32_t i = 0; i < 100; i++)
		ASSERT(u64_map_put(&m, i, i));
	size_t cap = m.cap;
	u64_map_clear(&m);
	ASSERT_EQ(u64_map_count(&m), (size_t)0);
	ASSERT_EQ(m.cap, cap);
	for (uint32_t i = 0; i < 100; i++)
		ASSERT_EQ(u64_map_get(&m, i), U64_MAP_NONE);
	ASSERT(u64_map_put(&m, 42, 1));
	ASSERT_EQ(u64_map_get(&m, 42), 1u);
	u64_map_free(&m);
}

/* ---- randomized, against a reference ---------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define UNIVERSE 2048 /* distinct keys the random mix draws from */

struct reference {
	uint64_t key[UNIVERSE];
	uint32_t val[UNIVERSE];
	bool present[UNIVERSE];
	size_t count;
};

/* Keys the map meets in practice and awkward ones: 16-aligned heap addresses,
 * return addresses, 0, all ones, keys differing only in their top bits. */
static void reference_init(struct reference *r, uint64_t *seed)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < UNIVERSE; i++) {
		switch (i % 4) {
		case 0:
			r->key[i] = 0x80400000ull + 16 * i;
			break;
		case 1:
			r->key[i] = 0x80200000ull + 2 * rng_next(seed) % 0x10000;
			break;
		case 2:
			r->key[i] = (uint64_t)i << 48;
			break;
		default:
			r->key[i] = rng_next(seed);
			break;
		}
	}
	r->key[0] = 0;
	r->key[3] = UINT64_MAX;
	for (size_t i = 0; i < UNIVERSE; i++) /* make the keys distinct */
		for (size_t j = 0; j < i; j++)
			if (r->key[j] == r->key[i]) {
				r->key[i] = rng_next(seed) | 1;
				j = (size_t)-1;
			}
}

static void check_against(const struct u64_map *m, const struct reference *r)
{
	ASSERT_EQ(u64_map_count(m), r->count);
	for (size_t i = 0; i < UNIVERSE; i++)
		ASSERT_EQ(u64_map_get(m, r->key[i]), r->present[i] ? r->val[i] : U64_MAP_NONE);
	check_table(m);
}

/* ops random operations, removals weighted remove_pct percent; the map is
 * compared with the reference after every operation for the touched key, and
 * fully every 1000. */
static void random_mix(uint64_t seed, unsigned ops, unsigned remove_pct)
{
	static struct reference r;
	struct u64_map m = {0};
	reference_init(&r, &seed);
	size_t peak = 0;
	for (unsigned n = 0; n < ops; n++) {
		size_t i = rng_next(&seed) % UNIVERSE;
		if (rng_next(&seed) % 100 < remove_pct) {
			ASSERT_EQ(u64_map_remove(&m, r.key[i]),
			          r.present[i] ? r.val[i] : U64_MAP_NONE);
			r.count -= r.present[i];
			r.present[i] = false;
		} else {
			uint32_t v = (uint32_t)(rng_next(&seed) % U64_MAP_NONE);
			ASSERT(u64_map_put(&m, r.key[i], v));
			r.count += !r.present[i];
			r.present[i] = true;
			r.val[i] = v;
		}
		ASSERT_EQ(u64_map_get(&m, r.key[i]), r.present[i] ? r.val[i] : U64_MAP_NONE);
		if (r.count > peak)
			peak = r.count;
		if (n % 1000 == 999)
			check_against(&m, &r);
	}
	check_against(&m, &r);
	/* deletions leave nothing behind: the table is no bigger than the most keys
	 * ever held at once needed */
	size_t need = 16;
	while (peak * 2 > need)
		need *= 2;
	ASSERT_EQ(m.cap, need);
	for (size_t i = 0; i < UNIVERSE; i++)
		if (r.present[i])
			ASSERT_EQ(u64_map_remove(&m, r.key[i]), r.val[i]);
	ASSERT_EQ(u64_map_count(&m), (size_t)0);
	check_table(&m);
	u64_map_free(&m);
}

TEST_CASE(random_mix_of_puts_and_removes_matches_a_reference)
{
	random_mix(0x9e3779b97f4a7c15ull, 200000, 50);
}

TEST_CASE(deletion_heavy_random_mix_matches_a_reference)
{
	random_mix(12345, 200000, 70); /* the map stays small and is emptied over and over */
}

TEST_CASE(insertion_heavy_random_mix_matches_a_reference)
{
	random_mix(777, 100000, 20); /* nearly every key present: long runs to delete from */
}

struct entry {
	uint64_t key;
	uint64_t n;
};

TEST_CASE(append_keeps_entries_in_first_seen_order_found_through_the_map)
{
	struct u64_map m = {0};
	struct entry *e = NULL;
	size_t n = 0, cap = 0;
	for (uint64_t k = 0; k < 1000; k++) {
		struct entry *ne = u64_map_append(&m, k * 7919, e, &n, &cap, sizeof *e);
		ASSERT_NOT_NULL(ne);
		e = ne;
		ASSERT_EQ(n, (size_t)k + 1);
		ASSERT_EQ(e[k].key, (uint64_t)0); /* zeroed */
		ASSERT_EQ(e[k].n, (uint64_t)0);
		e[k].key = k * 7919;
	}
	ASSERT_EQ(cap, (size_t)1024); /* 256 doubled */
	for (uint64_t k = 0; k < 1000; k++)
		ASSERT_EQ(e[u64_map_get(&m, k * 7919)].key, k * 7919);
	check_table(&m);
	free(e);
	u64_map_free(&m);
}

TEST_CASE(append_out_of_memory_leaves_array_and_keys_unchanged)
{
	struct u64_map m = {0};
	size_t n = 0, cap = 0;
	ASSERT_NULL(u64_map_append(&m, 1, NULL, &n, &cap, SIZE_MAX / 2));
	ASSERT_EQ(n, (size_t)0);
	ASSERT_EQ(cap, (size_t)0);
	ASSERT_EQ(u64_map_count(&m), (size_t)0);
	ASSERT_EQ(u64_map_get(&m, 1), U64_MAP_NONE);
	u64_map_free(&m);
}

int main(void)
{
	return test_main();
}
