/* unwind.h - the kernel's call stacks: a bounded frame-pointer walk that never
 * faults, and the note an API entry point leaves so that a later walk starts
 * at the code that called the API (docs/capture.md, "Call stacks").
 *
 * The kernel is built with -fno-omit-frame-pointer. A function that makes a
 * call keeps s0 (fp) = its frame's top (the caller's sp at the call, 16-byte
 * aligned by the ABI) and stores its return address at fp - 8 and its
 * caller's fp at fp - 16:
 *
 *        higher addresses (outer frames)
 *   fp ──▶ ┌──────────────────────┐ ◀── caller's frame starts here
 *          │ return address (ra)  │ fp - 8
 *          │ caller's fp          │ fp - 16 ──▶ the next frame up
 *          │ locals ...           │
 *   sp ──▶ └──────────────────────┘
 *
 * A walk reads ra = *(fp - 8), fp = *(fp - 16) and stops, without reading,
 * as soon as fp is not a plausible frame of the stack it started on (the boot
 * or the trap stack, linker.ld): outside its bounds, not 16-byte aligned, not
 * above the previous fp; or when ra is not in the kernel's text. So a broken
 * chain (a leaf or a corrupted frame) ends the stack early but never faults
 * and never reads outside the stacks. Frames of functions inlined into their
 * caller, and of functions that ended in a tail call, are not on the chain.
 */
#ifndef UNWIND_H
#define UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_wire.h" /* WIRE_STACK_DEPTH_MAX */

/* Walks the frame chain from fp (a frame pointer as described above) and
 * writes up to max return addresses into out, innermost first: out[0] =
 * *(fp - 8). Returns how many it wrote (0 if fp is not a frame on a kernel
 * stack). */
unsigned unwind_walk(uintptr_t fp, uint64_t *out, unsigned max);

/* linker.ld: the kernel's text is [__kernel_start, __text_end) */
extern char __kernel_start[], __text_end[];

/* Whether addr lies in the kernel's text (where a return address points). */
static inline bool unwind_in_text(uintptr_t addr)
{
	return addr - (uintptr_t)__kernel_start < (uintptr_t)(__text_end - __kernel_start);
}

/* The frame the last kheap API call noted: fp is s0 at its entry (the frame
 * pointer of the code that called it: kheap.c compiles its entry points
 * without a frame of their own), caller the caller it records. The trace sink
 * walks from fp only for an event whose caller is this caller, so a note left
 * by an earlier call is never used for another. */
struct unwind_entry {
	uintptr_t fp;     /* the API caller's frame pointer */
	uintptr_t caller; /* the caller the API call's events carry */
};
extern struct unwind_entry unwind_entry;

/* Notes the entry of an API function compiled with UNWIND_ENTRY_FN (its s0 is
 * still its caller's frame pointer); caller: the caller its events carry.
 * Two stores. Must come first in the function, before anything that could
 * use s0 (kernel/test/suite_stacks.c checks every entry point). */
#define UNWIND_NOTE_ENTRY(c)                                                        \
	do {                                                                        \
		uintptr_t fp_;                                                      \
		__asm__ volatile("mv %0, s0" : "=r"(fp_));                          \
		unwind_entry.fp = fp_;                                              \
		unwind_entry.caller = (c);                                          \
	} while (0)

/* An API entry point: no frame pointer of its own, so s0 is its caller's. */
#define UNWIND_ENTRY_FN __attribute__((optimize("omit-frame-pointer"), noinline))

/* What a walk read: the frame pointers it followed and the return addresses
 * it found, so that a later check (unwind_trail_holds) can tell, by reading
 * the same words again, that a walk now would give the same stack without
 * validating anything anew. */
struct unwind_trail {
	uintptr_t caller; /* the stack's caller */
	bool noted;       /* the note was the caller's: the stack is a walk from fp */
	bool stop_ra;     /* the walk ended at a return address outside the text,
	                     at the last frame pointer read */
	uintptr_t reads;  /* frames read */
	uintptr_t fp;     /* the noted frame pointer the walk started from */
	struct {
		uintptr_t ra;   /* *(frame - 8) */
		uintptr_t next; /* *(frame - 16): the next frame pointer */
	} step[WIRE_STACK_DEPTH_MAX];
};

/* The call stack of an event with caller: stack[0] = caller, then, if the
 * note is this caller's, the walk from its frame (a first frame equal to
 * caller is skipped: a wrapper such as vec_regrow that passes its own return
 * address as the caller). At most max frames (1 <= max <=
 * WIRE_STACK_DEPTH_MAX); returns how many. trail (may be NULL) receives what
 * the walk read. */
unsigned unwind_stack(uintptr_t caller, uint64_t *stack, unsigned max, struct unwind_trail *trail);

/* Whether unwind_stack(caller, ..., max, ...) would now give the stack it
 * gave when it recorded t (with the same max): the note is the same and every
 * word the walk read still holds what it read. A handful of instructions a
 * frame, no bounds checks: the trail's frame pointers were checked when it
 * was recorded, and are used only when they still chain the same way. */
static inline __attribute__((always_inline)) bool unwind_trail_holds(const struct unwind_trail *t,
                                                                      uintptr_t caller)
{
	if (t->caller != caller || !t->noted || unwind_entry.caller != caller ||
	    unwind_entry.fp != t->fp)
		return false;
	uintptr_t fp = t->fp;
	for (const __typeof__(t->step[0]) *s = t->step, *end = s + t->reads; s < end; s++) {
		const uintptr_t *frame = (const uintptr_t *)fp;
		if (frame[-1] != s->ra)
			return false;
		fp = frame[-2];
		if (fp != s->next)
			return false;
	}
	return !t->stop_ra || !unwind_in_text(((const uintptr_t *)fp)[-1]);
}

#endif /* UNWIND_H */
