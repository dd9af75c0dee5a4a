/* test_callstack.c - grouping by call stack (trace/callstack.c) fed event by event: what each
 * stack held at the peak (the peak generations), temporary allocations, skipped events, the
 * merge of equal frame lists, and the order of the top lists. The frames and names of real
 * stack records are checked end to end in trace/test/stacks_test.sh. */
#include <stdint.h>
#include <string.h>

#include "callstack.h"
#include "test/test.h"

/* Feeds an alloc of size bytes at addr from caller (stack 0 unless given). */
static struct heap_model_block alloc_ev(callstacks *c, uint64_t seq, uint64_t addr, uint64_t size,
                                        uint64_t caller, uint32_t stack)
{
	struct heap_event ev = {.kind = HEAP_EV_ALLOC,
	                        .seq = seq,
	                        .addr = addr,
	                        .size = size,
	                        .block = size,
	                        .caller = caller,
	                        .stack = stack};
	ASSERT(callstacks_alloc(c, &ev, true));
	return (struct heap_model_block){.addr = addr,
	                                 .size = size,
	                                 .req_size = size,
	                                 .seq = seq,
	                                 .caller = caller,
	                                 .stack = stack};
}

/* The site whose caller (frames[0]) is caller; the test fails if there is none. */
static const struct callstack_site *site_of(const callstacks *c, uint64_t caller)
{
	for (size_t i = 0; i < callstacks_count(c); i++)
		if (callstacks_site(c, i)->frames[0] == caller)
			return callstacks_site(c, i);
	ASSERT_MSG(0, "no stack with caller 0x%llx", (unsigned long long)caller);
	return NULL;
}

TEST_CASE(peak_is_what_each_stack_held_at_the_latest_peak)
{
	callstacks *c = callstacks_create();
	ASSERT_NOT_NULL(c);
	struct heap_model_block a = alloc_ev(c, 1, 0x1000, 100, 0xa, 0);
	callstacks_peak(c); /* 100 */
	alloc_ev(c, 2, 0x2000, 50, 0xb, 0);
	callstacks_peak(c); /* 150: a 100, b 50 */
	ASSERT(callstacks_free(c, &a));
	alloc_ev(c, 3, 0x3000, 10, 0xa, 0); /* 60: no new peak */
	ASSERT(callstacks_finish(c, NULL, NULL));
	ASSERT_EQ(site_of(c, 0xa)->v[CS_PEAK], (uint64_t)100);
	ASSERT_EQ(site_of(c, 0xa)->v[CS_PEAK_BLOCKS], (uint64_t)1);
	ASSERT_EQ(site_of(c, 0xb)->v[CS_PEAK], (uint64_t)50);
	ASSERT_EQ(callstacks_total(c)[CS_PEAK], (uint64_t)150);
	callstacks_destroy(c);
}

TEST_CASE(a_later_higher_peak_replaces_every_stacks_contribution)
{
	callstacks *c = callstacks_create();
	struct heap_model_block a = alloc_ev(c, 1, 0x1000, 100, 0xa, 0);
	alloc_ev(c, 2, 0x2000, 50, 0xb, 0);
	callstacks_peak(c); /* 150 */
	ASSERT(callstacks_free(c, &a));
	alloc_ev(c, 3, 0x3000, 10, 0xa, 0);
	alloc_ev(c, 4, 0x4000, 500, 0xb, 0);
	callstacks_peak(c);                /* 560: a 10, b 550 */
	alloc_ev(c, 5, 0x5000, 1, 0xc, 0); /* a stack born after the peak held nothing then */
	ASSERT(callstacks_finish(c, NULL, NULL));
	ASSERT_EQ(site_of(c, 0xa)->v[CS_PEAK], (uint64_t)10);
	ASSERT_EQ(site_of(c, 0xb)->v[CS_PEAK], (uint64_t)550);
	ASSERT_EQ(site_of(c, 0xb)->v[CS_PEAK_BLOCKS], (uint64_t)2);
	ASSERT_EQ(site_of(c, 0xc)->v[CS_PEAK], (uint64_t)0);
	callstacks_destroy(c);
}

TEST_CASE(temporary_means_freed_before_any_other_allocation)
{
	callstacks *c = callstacks_create();
	struct heap_model_block x = alloc_ev(c, 1, 0x1000, 16, 0xa, 0);
	ASSERT(callstacks_free(c, &x)); /* nothing between: temporary */
	struct heap_model_block y = alloc_ev(c, 2, 0x1000, 16, 0xb, 0);
	struct heap_model_block z = alloc_ev(c, 3, 0x2000, 16, 0xc, 0);
	ASSERT(callstacks_free(c, &y)); /* z was allocated after it: not temporary */
	ASSERT(callstacks_free(c, &z)); /* a free between, but no allocation: temporary */
	ASSERT(callstacks_finish(c, NULL, NULL));
	ASSERT_EQ(site_of(c, 0xa)->v[CS_TEMPORARY], (uint64_t)1);
	ASSERT_EQ(site_of(c, 0xb)->v[CS_TEMPORARY], (uint64_t)0);
	ASSERT_EQ(site_of(c, 0xc)->v[CS_TEMPORARY], (uint64_t)1);
	ASSERT_EQ(site_of(c, 0xb)->v[CS_FREES], (uint64_t)1);
	callstacks_destroy(c);
}

TEST_CASE(a_skipped_alloc_counts_but_holds_nothing)
{
	callstacks *c = callstacks_create();
	struct heap_event ev = {
	    .kind = HEAP_EV_ALLOC, .seq = 1, .addr = 0x1000, .size = 64, .caller = 0xa};
	ASSERT(callstacks_alloc(c, &ev, false)); /* after a drop the model did not take it */
	callstacks_peak(c);
	ASSERT(callstacks_finish(c, NULL, NULL));
	ASSERT_EQ(site_of(c, 0xa)->v[CS_ALLOCS], (uint64_t)1);
	ASSERT_EQ(site_of(c, 0xa)->v[CS_BYTES], (uint64_t)64);
	ASSERT_EQ(site_of(c, 0xa)->v[CS_PEAK], (uint64_t)0);
	callstacks_destroy(c);
}

TEST_CASE(stacks_with_the_same_frames_are_one_stack)
{
	callstacks *c = callstacks_create();
	/* stack 7 is not defined (no reader): it is the one-frame stack of its caller, the same
	 * frames as the events without a stack */
	alloc_ev(c, 1, 0x1000, 10, 0xa, 7);
	alloc_ev(c, 2, 0x2000, 20, 0xa, 0);
	struct heap_event fail = {
	    .kind = HEAP_EV_ALLOC_FAIL, .seq = 3, .size = 1 << 20, .caller = 0xa, .stack = 7};
	ASSERT(callstacks_fail(c, &fail));
	ASSERT(callstacks_finish(c, NULL, NULL));
	ASSERT_EQ(callstacks_count(c), (size_t)1);
	const struct callstack_site *s = site_of(c, 0xa);
	ASSERT_EQ(s->depth, (uint32_t)1);
	ASSERT_EQ(s->v[CS_ALLOCS], (uint64_t)2);
	ASSERT_EQ(s->v[CS_BYTES], (uint64_t)30);
	ASSERT_EQ(s->v[CS_FAILED], (uint64_t)1);
	callstacks_destroy(c);
}

TEST_CASE(top_lists_the_nonzero_stacks_largest_first)
{
	callstacks *c = callstacks_create();
	alloc_ev(c, 1, 0x1000, 10, 0xa, 0);
	alloc_ev(c, 2, 0x2000, 30, 0xb, 0);
	alloc_ev(c, 3, 0x3000, 20, 0xc, 0);
	struct heap_event fail = {.kind = HEAP_EV_ALLOC_FAIL, .seq = 4, .size = 8, .caller = 0xd};
	ASSERT(callstacks_fail(c, &fail));
	ASSERT(callstacks_finish(c, NULL, NULL));
	size_t idx[8];
	ASSERT_EQ(callstacks_top(c, CS_BYTES, idx, 8), (size_t)3); /* 0xd allocated nothing */
	ASSERT_EQ(callstacks_site(c, idx[0])->frames[0], (uint64_t)0xb);
	ASSERT_EQ(callstacks_site(c, idx[1])->frames[0], (uint64_t)0xc);
	ASSERT_EQ(callstacks_site(c, idx[2])->frames[0], (uint64_t)0xa);
	ASSERT_EQ(callstacks_top(c, CS_BYTES, idx, 1), (size_t)1);
	ASSERT_EQ(callstacks_top(c, CS_FAILED, idx, 8), (size_t)1);
	ASSERT_EQ(callstacks_site(c, idx[0])->frames[0], (uint64_t)0xd);
	/* both trees: the root holds the totals, one child per caller */
	size_t n;
	const struct callstack_node *t = callstacks_tree(c, CS_BOTTOM_UP, &n);
	ASSERT_EQ(n, (size_t)5);
	ASSERT_EQ(t[0].incl[CS_BYTES], (uint64_t)60);
	uint32_t kids[8];
	ASSERT_EQ(callstacks_children(c, CS_TOP_DOWN, 0, CS_BYTES, kids, 8), (size_t)4);
	ASSERT_EQ(callstacks_tree(c, CS_TOP_DOWN, &n)[kids[0]].addr, (uint64_t)0xb);
	callstacks_destroy(c);
}

int main(void)
{
	return test_main();
}
