/* suite_stacks.c - in-QEMU tests of call stacks: the frame-pointer walk
 * (kernel/unwind.c) on real frames and on corrupted chains, the frame every
 * kheap API entry point notes, and the sink's stack table
 * (kernel/stack_intern.c): same stack same id, collisions and a full table
 * evict and re-send, never mis-attribute. */
#include <stdint.h>

#include "kheap.h"
#include "memlayout.h"
#include "stack_intern.h"
#include "test/test.h"
#include "unwind.h"

void kmain(unsigned long hartid, void *dtb);

void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	kheap_init(NULL, NULL);
	test_main();
}

/* ---- the walk on real frames ---------------------------------------------------- */

#define NOINLINE __attribute__((noinline, optimize("no-optimize-sibling-calls")))

static uint64_t walked[WIRE_STACK_DEPTH_MAX];
static unsigned walked_n;
static uintptr_t ra_inner, ra_middle, ra_outer; /* each level's return address */

static NOINLINE void inner(void)
{
	ra_inner = (uintptr_t)__builtin_return_address(0);
	walked_n = unwind_walk((uintptr_t)__builtin_frame_address(0), walked, WIRE_STACK_DEPTH_MAX);
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void middle(void)
{
	ra_middle = (uintptr_t)__builtin_return_address(0);
	inner();
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void outer(void)
{
	ra_outer = (uintptr_t)__builtin_return_address(0);
	middle();
	__asm__ volatile("" ::: "memory");
}

TEST_CASE(walk_from_a_frame_lists_its_callers_outward)
{
	outer();
	ASSERT_GE(walked_n, 4u); /* inner's, middle's, outer's, this test's return addresses */
	ASSERT_EQ(walked[0], ra_inner);
	ASSERT_EQ(walked[1], ra_middle);
	ASSERT_EQ(walked[2], ra_outer);
	ASSERT_EQ(walked[3], (uint64_t)(uintptr_t)__builtin_return_address(0));
	for (unsigned i = 0; i < walked_n; i++)
		ASSERT(unwind_in_text(walked[i]));
}

TEST_CASE(walk_stops_at_its_limit)
{
	walked_n = 0;
	uint64_t two[2] = {0, 0};
	ASSERT_EQ(unwind_walk((uintptr_t)__builtin_frame_address(0), two, 2), 2u);
	ASSERT_EQ(unwind_walk((uintptr_t)__builtin_frame_address(0), two, 0), 0u);
}

/* ---- the walk on made-up chains ---------------------------------------------------- */

/* A fake chain of frames on this (the boot) stack: frame k's fp is
 * &words[4 * k + 4] (16-byte aligned, increasing), its ra at fp - 8 and the
 * next fp at fp - 16. fake_chain links n frames; the last links to fp 0. */
struct fake {
	uint64_t words[4 * 8 + 4] __attribute__((aligned(16)));
};

static uintptr_t fake_fp(struct fake *f, unsigned k)
{
	return (uintptr_t)&f->words[4 * k + 4];
}

static void fake_set(struct fake *f, unsigned k, uint64_t ra, uint64_t next_fp)
{
	f->words[4 * k + 3] = ra;      /* fp - 8 */
	f->words[4 * k + 2] = next_fp; /* fp - 16 */
}

/* A return address in the kernel's text, distinct per k. */
static uint64_t text_addr(unsigned k)
{
	return (uint64_t)(uintptr_t)&outer + 2 * k;
}

static void fake_chain(struct fake *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		fake_set(f, k, text_addr(k), k + 1 < n ? fake_fp(f, k + 1) : 0);
}

TEST_CASE(walk_follows_a_well_formed_made_up_chain_to_its_end)
{
	struct fake f;
	fake_chain(&f, 6);
	uint64_t out[8];
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 6u);
	for (unsigned k = 0; k < 6; k++)
		ASSERT_EQ(out[k], text_addr(k));
}

TEST_CASE(walk_stops_at_a_frame_pointer_that_does_not_increase)
{
	struct fake f;
	uint64_t out[8];
	fake_chain(&f, 6);
	fake_set(&f, 2, text_addr(2), fake_fp(&f, 1)); /* points back down */
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 3u);
	fake_set(&f, 2, text_addr(2), fake_fp(&f, 2)); /* points at itself: a loop */
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 3u);
	fake_set(&f, 2, text_addr(2), fake_fp(&f, 2) + 8); /* above, but too close */
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 3u);
}

TEST_CASE(walk_stops_at_a_misaligned_frame_pointer)
{
	struct fake f;
	uint64_t out[8];
	fake_chain(&f, 6);
	fake_set(&f, 1, text_addr(1), fake_fp(&f, 2) + 8);
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 2u);
	fake_set(&f, 1, text_addr(1), fake_fp(&f, 2) + 3);
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 2u);
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0) + 8, out, 8), 0u);
}

TEST_CASE(walk_stops_at_a_frame_pointer_off_the_stack)
{
	struct fake f;
	uint64_t out[8];
	const uint64_t away[] = {0, (uintptr_t)__heap_start + 4096, (uintptr_t)__kernel_start,
	                         (uintptr_t)__boot_stack_bottom, ~(uint64_t)15};
	for (unsigned i = 0; i < sizeof away / sizeof away[0]; i++) {
		fake_chain(&f, 6);
		fake_set(&f, 3, text_addr(3), away[i]);
		ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 4u);
		ASSERT_EQ(unwind_walk((uintptr_t)away[i], out, 8), 0u); /* never read */
	}
	/* past the trap stack's top: off the stack the walk started on */
	fake_chain(&f, 6);
	fake_set(&f, 3, text_addr(3), (uintptr_t)__trap_stack_top + 16);
	ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 4u);
}

TEST_CASE(walk_stops_at_a_return_address_outside_the_text)
{
	struct fake f;
	uint64_t out[8];
	const uint64_t bad[] = {0, (uintptr_t)__heap_start, (uintptr_t)__kernel_start - 2,
	                        (uintptr_t)&walked, ~(uint64_t)0};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fake_chain(&f, 6);
		fake_set(&f, 4, bad[i], fake_fp(&f, 5));
		ASSERT_EQ(unwind_walk(fake_fp(&f, 0), out, 8), 4u);
	}
}

/* ---- what the kheap API notes --------------------------------------------------- */

/* The target of the call instruction that ends right before ret (jal ra, or
 * auipc + jalr ra: the two forms of `call`); 0 if there is none. */
static uintptr_t call_target(uintptr_t ret)
{
	const uint16_t *h = (const uint16_t *)(ret - 8);
	uint32_t a = h[0] | (uint32_t)h[1] << 16, w = h[2] | (uint32_t)h[3] << 16;
	if ((w & 0xfff) == 0x0ef) { /* jal ra, imm */
		int32_t imm = (int32_t)(((w >> 31) & 1) << 20 | ((w >> 12) & 0xff) << 12 |
		                        ((w >> 20) & 1) << 11 | ((w >> 21) & 0x3ff) << 1);
		imm = imm << 11 >> 11;
		return ret - 4 + (uintptr_t)(intptr_t)imm;
	}
	if ((w & 0x707f) == 0x67 && ((w >> 7) & 31) == 1 && (a & 0x7f) == 0x17 &&
	    ((a >> 7) & 31) == ((w >> 15) & 31)) /* auipc rs1, hi; jalr ra, lo(rs1) */
		return ret - 8 + (uintptr_t)(intptr_t)(int32_t)(a & 0xfffff000u) +
		       (uintptr_t)(intptr_t)((int32_t)w >> 20);
	return 0;
}

static uintptr_t my_fp, my_ra; /* the calling helper's frame and return address */
static struct unwind_entry my_note; /* the note its API call left */
static uint64_t my_stack[WIRE_STACK_DEPTH_MAX]; /* the stack the sink would walk */
static unsigned my_depth;

/* A helper that calls an API function, then, while its frame is still live
 * (as the sink's walk is, inside the call), records the note, the stack and
 * its own frame. */
#define CALLS(name, call)                                                           \
	static NOINLINE void name(void)                                             \
	{                                                                           \
		call;                                                               \
		my_note = unwind_entry;                                             \
		my_depth = unwind_stack(my_note.caller, my_stack, WIRE_STACK_DEPTH_MAX, 0); \
		my_fp = (uintptr_t)__builtin_frame_address(0);                      \
		my_ra = (uintptr_t)__builtin_return_address(0);                     \
		__asm__ volatile("" ::: "memory");                                  \
	}

static void *blk;
CALLS(call_kalloc, blk = kalloc(48, 16))
CALLS(call_kdealloc, kdealloc(blk, 48, 16))
CALLS(call_kalloc_from, blk = kalloc_from(48, 16, (uintptr_t)__builtin_return_address(0)))
CALLS(call_kdealloc_from, kdealloc_from(blk, 48, 16, (uintptr_t)__builtin_return_address(0)))
CALLS(call_kmalloc, blk = kmalloc(40))
CALLS(call_krealloc, blk = krealloc(blk, 400))
CALLS(call_kfree, kfree(blk))
CALLS(call_kcalloc, blk = kcalloc(3, 24))
CALLS(call_kmalloc_aligned, blk = kmalloc_aligned(64, 100))
CALLS(call_report_misuse, kheap_report_misuse(HEAP_OP_VEC_INDEX, HEAP_OK, blk, 9, 8, 3,
                                              (uintptr_t)__builtin_return_address(0)))

/* After helper called api: the note is helper's frame, the stack starts at
 * the return address into helper (a call of api), then helper's caller. */
static void check_note(void (*helper)(void), uintptr_t api)
{
	unwind_entry.fp = unwind_entry.caller = 0;
	helper();
	ASSERT_EQ(my_note.fp, my_fp);
	ASSERT_GE(my_depth, 3u); /* into helper, into this function, into the test */
	ASSERT_EQ(my_stack[0], (uint64_t)my_note.caller);
	ASSERT_EQ(call_target(my_stack[0]), api);
	ASSERT_EQ(my_stack[1], (uint64_t)my_ra);
}

TEST_CASE(every_kheap_entry_point_notes_the_frame_of_the_code_that_called_it)
{
	check_note(call_kalloc, (uintptr_t)kalloc);
	check_note(call_kdealloc, (uintptr_t)kdealloc);
	check_note(call_kmalloc, (uintptr_t)kmalloc);
	check_note(call_krealloc, (uintptr_t)krealloc);
	check_note(call_kfree, (uintptr_t)kfree);
	check_note(call_kcalloc, (uintptr_t)kcalloc);
	check_note(call_kfree, (uintptr_t)kfree);
	check_note(call_kmalloc_aligned, (uintptr_t)kmalloc_aligned);
	check_note(call_kfree, (uintptr_t)kfree);
}

/* A wrapper that passes its own return address as the caller (vec_regrow,
 * vec_index_panic): the stack starts there, once, then goes outward. */
static void check_wrapper_note(void (*helper)(void))
{
	unwind_entry.fp = unwind_entry.caller = 0;
	helper();
	ASSERT_EQ(my_note.fp, my_fp);
	ASSERT_GE(my_depth, 2u);
	ASSERT_EQ(my_stack[0], (uint64_t)my_ra);
	ASSERT_EQ(my_stack[1], (uint64_t)(uintptr_t)__builtin_return_address(0));
}

TEST_CASE(a_wrapper_passing_its_own_return_address_starts_the_stack_there)
{
	check_wrapper_note(call_kalloc_from);
	check_wrapper_note(call_kdealloc_from);
	check_wrapper_note(call_report_misuse);
}

TEST_CASE(a_stack_is_the_caller_alone_at_depth_1_or_when_the_note_is_another_callers)
{
	call_kalloc();
	uint64_t st[4];
	ASSERT_EQ(unwind_stack(unwind_entry.caller, st, 1, 0), 1u);
	ASSERT_EQ(st[0], (uint64_t)unwind_entry.caller);
	ASSERT_EQ(unwind_stack(0x80200000u, st, 4, 0), 1u); /* not the noted caller */
	ASSERT_EQ(st[0], 0x80200000u);
	call_kdealloc();
}

/* ---- the stack table ----------------------------------------------------------- */

static void make(uint64_t *f, unsigned n, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++)
		f[i] = 0x80200000u + ((seed * 2654435761u + i * 40503u) & 0xfffe);
}

static void assert_holds(uint32_t id, const uint64_t *f, unsigned n)
{
	struct wire_stack s;
	stack_intern_get(id, &s);
	ASSERT_EQ(s.id, id);
	ASSERT_EQ(s.depth, n);
	for (unsigned i = 0; i < n; i++)
		ASSERT_EQ(s.frames[i], f[i]);
}

TEST_CASE(the_same_stack_gets_the_same_id_and_is_sent_once)
{
	stack_intern_reset();
	uint64_t a[8], b[8];
	make(a, 8, 1);
	make(b, 8, 1);
	bool fresh;
	uint32_t id = stack_intern(a, 8, &fresh);
	ASSERT(fresh);
	ASSERT(id >= 1 && id <= WIRE_STACK_IDS);
	ASSERT_EQ(stack_intern(b, 8, &fresh), id);
	ASSERT(!fresh);
	assert_holds(id, a, 8);
}

TEST_CASE(stacks_that_differ_in_one_frame_or_in_depth_are_different_stacks)
{
	uint64_t a[8], b[8];
	make(a, 8, 2);
	make(b, 8, 2);
	b[7] += 2;
	bool fa, fb;
	stack_intern_reset();
	uint32_t ia = stack_intern(a, 8, &fa), ib = stack_intern(b, 8, &fb);
	ASSERT(fa && fb); /* b is new, whatever its slot */
	assert_holds(ib, b, 8);
	if (ia != ib)
		assert_holds(ia, a, 8);
	stack_intern_reset();
	ia = stack_intern(a, 8, &fa);
	uint32_t ic = stack_intern(a, 7, &fb); /* a prefix of a */
	ASSERT(fa && fb);
	assert_holds(ic, a, 7);
}

TEST_CASE(a_colliding_stack_evicts_the_slot_and_both_are_re_sent_when_they_return)
{
	stack_intern_reset();
	uint64_t a[4], b[4];
	make(a, 4, 3);
	bool fresh;
	uint32_t ia = stack_intern(a, 4, &fresh);
	/* find another stack that lands in the same slot */
	uint32_t ib = 0;
	for (uint64_t seed = 100; ib != ia; seed++) {
		make(b, 4, seed);
		stack_intern_reset();
		ib = stack_intern(b, 4, &fresh);
	}
	stack_intern_reset();
	ASSERT_EQ(stack_intern(a, 4, &fresh), ia);
	ASSERT(fresh);
	ASSERT_EQ(stack_intern(b, 4, &fresh), ia); /* same id, and must be sent */
	ASSERT(fresh);
	assert_holds(ia, b, 4);
	ASSERT_EQ(stack_intern(a, 4, &fresh), ia); /* a again: re-sent, never taken for b */
	ASSERT(fresh);
	assert_holds(ia, a, 4);
}

TEST_CASE(a_full_table_never_gives_a_stack_an_id_that_holds_another)
{
	stack_intern_reset();
	enum { N = 3 * WIRE_STACK_IDS };
	unsigned fresh_count = 0;
	for (unsigned round = 0; round < 2; round++)
		for (unsigned k = 0; k < N; k++) {
			uint64_t f[6];
			unsigned n = 1 + k % 6;
			make(f, n, k);
			bool fresh;
			uint32_t id = stack_intern(f, n, &fresh);
			fresh_count += fresh;
			assert_holds(id, f, n);
		}
	ASSERT_GT(fresh_count, (unsigned)N); /* the second round re-sends evicted stacks */
}

/* ---- the trail: when a stack may be reused without a walk ----------------------- */

TEST_CASE(a_trail_holds_while_every_word_the_walk_read_is_unchanged)
{
	struct fake f;
	fake_chain(&f, 6);
	static struct unwind_trail t;
	uint64_t st[8];
	uintptr_t caller = text_addr(40);
	unwind_entry.fp = fake_fp(&f, 0), unwind_entry.caller = caller;
	ASSERT_EQ(unwind_stack(caller, st, 8, &t), 7u); /* the caller and six frames */
	ASSERT(unwind_trail_holds(&t, caller));
	ASSERT(!unwind_trail_holds(&t, caller + 2)); /* another caller */
	fake_set(&f, 4, text_addr(9), fake_fp(&f, 5)); /* a return address changed */
	ASSERT(!unwind_trail_holds(&t, caller));
	fake_chain(&f, 6);
	ASSERT(unwind_trail_holds(&t, caller));
	fake_set(&f, 5, text_addr(5), fake_fp(&f, 6)); /* the chain now goes on */
	ASSERT(!unwind_trail_holds(&t, caller));
	fake_chain(&f, 6);
	unwind_entry.fp = fake_fp(&f, 1); /* the note moved */
	ASSERT(!unwind_trail_holds(&t, caller));
	unwind_entry.fp = fake_fp(&f, 0), unwind_entry.caller = caller + 2; /* another's note */
	ASSERT(!unwind_trail_holds(&t, caller));
}

TEST_CASE(a_trail_that_ended_at_a_bad_return_address_sees_it_become_good)
{
	struct fake f;
	fake_chain(&f, 6);
	fake_set(&f, 3, 0, fake_fp(&f, 4)); /* the walk stops here */
	static struct unwind_trail t;
	uint64_t st[8];
	uintptr_t caller = text_addr(40);
	unwind_entry.fp = fake_fp(&f, 0), unwind_entry.caller = caller;
	ASSERT_EQ(unwind_stack(caller, st, 8, &t), 4u);
	ASSERT(unwind_trail_holds(&t, caller));
	fake_set(&f, 3, text_addr(3), fake_fp(&f, 4)); /* now a walk would go on */
	ASSERT(!unwind_trail_holds(&t, caller));
}
