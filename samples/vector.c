/* vector.c - workload "vector": growable vectors (kernel/vec.h) pushed until
 * they regrow many times, checked, shrunk and freed, and a string builder
 * (kernel/strbuf.h) growing alongside. Three producers fill their record
 * vectors through one growth path (rec_push): with call stacks (make trace
 * WORKLOAD=vector DEPTH=8) each producer's memory is told apart; without,
 * it is all rec_push's. */
#include "console.h"
#include "exit.h"
#include "strbuf.h"
#include "vec.h"
#include "workload.h"

VEC_DEFINE(u64_vec, uint64_t)

struct rec {
	uint32_t id;
	uint32_t kind;
	uint64_t value;
};
VEC_DEFINE(rec_vec, struct rec)

/* The one place record vectors grow (the wrapper every producer goes
 * through, as a subsystem's own allocation helper would be). */
static __attribute__((noinline)) bool rec_push(struct rec_vec *v, struct rec r)
{
	return rec_vec_push(v, r);
}

/* The producers: each appends one record through rec_push and checks it
 * (after the call, so each keeps its frame: a distinct path into rec_push). */
static __attribute__((noinline)) bool record_reading(struct rec_vec *v, unsigned long i)
{
	struct rec r = {(uint32_t)i, 0, i * 3};
	return rec_push(v, r) && v->data[v->len - 1].kind == 0;
}

static __attribute__((noinline)) bool record_alert(struct rec_vec *v, unsigned long i)
{
	struct rec r = {(uint32_t)i, 1, i * 3};
	return rec_push(v, r) && v->data[v->len - 1].kind == 1;
}

static __attribute__((noinline)) bool record_log(struct rec_vec *v, unsigned long i)
{
	struct rec r = {(uint32_t)i, 2, i * 3};
	return rec_push(v, r) && v->data[v->len - 1].kind == 2;
}

int workload_vector(void)
{
	unsigned long n = workload_ops(16000);
	struct u64_vec big = VEC_INIT;
	struct rec_vec recs[3] = {VEC_INIT, VEC_INIT, VEC_INIT};
	struct strbuf sb = STRBUF_INIT;
	int bad = 0;

	workload_phase("grow");
	for (unsigned long i = 0; i < n; i++) {
		if (!u64_vec_push(&big, i * i))
			bad = 1;
		if (i % 4 == 0) {
			bool ok = i % 3 == 0   ? record_reading(&recs[0], i)
			          : i % 3 == 1 ? record_alert(&recs[1], i)
			                       : record_log(&recs[2], i);
			if (!ok)
				bad = 1;
		}
		if (i % 64 == 0 && !strbuf_appendf(&sb, "%lu;", i))
			bad = 1;
	}
	workload_phase("check");
	uint64_t sum = 0, want = 0;
	VEC_FOREACH(uint64_t, x, &big) {
		sum += *x;
	}
	for (unsigned long i = 0; i < n; i++)
		want += i * i;
	if (sum != want || big.len != n)
		bad = 1;
	for (int k = 0; k < 3; k++) {
		VEC_FOREACH(struct rec, r, &recs[k]) {
			if (r->value != (uint64_t)r->id * 3)
				bad = 1;
		}
	}
	workload_phase("shrink");
	while (big.len > n / 4)
		u64_vec_pop(&big, 0);
	if (!u64_vec_shrink(&big))
		bad = 1;
	for (int k = 0; k < 3; k++) {
		recs[k].len /= 2;
		rec_vec_shrink(&recs[k]);
	}
	workload_phase("free");
	u64_vec_free(&big);
	for (int k = 0; k < 3; k++)
		rec_vec_free(&recs[k]);
	kprintf("vector: %lu elements, text of %lu characters\n", n, (unsigned long)sb.len);
	strbuf_free(&sb);
	workload_phase("done");
	if (bad)
		kprintf("vector: wrong contents or out of memory\n");
	return bad || kheap()->used ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
