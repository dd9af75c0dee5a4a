/* unwind.c - bounded, fault-free frame-pointer walks of the kernel stacks (unwind.h). */
#include "unwind.h"

#include "memlayout.h"

struct unwind_entry unwind_entry;

/* The walk: as unwind_walk, but a first return address equal to skip is
 * passed over (not written, not counted); t (may be NULL) records what it
 * read (unwind_trail). */
static unsigned walk(uintptr_t fp, uintptr_t skip, uint64_t *out, unsigned max,
                     struct unwind_trail *t)
{
	unsigned n = 0, reads = 0;
	bool stop_ra = false;
	/* the stack fp is on: its frames stay within [lo, hi] */
	uintptr_t lo = 0, hi = 0;
	if (fp > (uintptr_t)__boot_stack_bottom && fp <= (uintptr_t)__boot_stack_top)
		lo = (uintptr_t)__boot_stack_bottom, hi = (uintptr_t)__boot_stack_top;
	else if (fp > (uintptr_t)__trap_stack_bottom && fp <= (uintptr_t)__trap_stack_top)
		lo = (uintptr_t)__trap_stack_bottom, hi = (uintptr_t)__trap_stack_top;
	uintptr_t prev = lo; /* each fp must be above the last, with room for its two words */
	if (t)
		t->fp = fp;
	while (n < max && hi && fp >= prev + 16 && fp <= hi && (fp & 15) == 0) {
		const uintptr_t *frame = (const uintptr_t *)fp;
		uintptr_t ra = frame[-1];
		if (!unwind_in_text(ra)) {
			stop_ra = true;
			break;
		}
		if (ra != skip)
			out[n++] = ra;
		skip = 0; /* only the first */
		prev = fp;
		fp = frame[-2];
		if (t) {
			t->step[reads].ra = ra;
			t->step[reads].next = fp;
		}
		reads++;
	}
	if (t) {
		t->reads = reads;
		t->stop_ra = stop_ra;
	}
	return n;
}

unsigned unwind_walk(uintptr_t fp, uint64_t *out, unsigned max)
{
	return walk(fp, 0, out, max, 0);
}

unsigned unwind_stack(uintptr_t caller, uint64_t *stack, unsigned max, struct unwind_trail *trail)
{
	stack[0] = caller;
	bool noted = unwind_entry.caller == caller;
	if (trail) {
		trail->caller = caller;
		trail->noted = noted;
		trail->reads = 0;
		trail->stop_ra = false;
		trail->fp = unwind_entry.fp;
	}
	if (!noted || max <= 1)
		return 1;
	return 1 + walk(unwind_entry.fp, caller, stack + 1, max - 1, trail);
}
