/* stack_intern.c - the sink's direct-mapped table of sent call stacks (stack_intern.h). */
#include "stack_intern.h"

/* One slot per id; depth 0 = empty. 264 bytes a slot, 264 KiB in all (.bss). */
static struct slot {
	uint32_t depth;
	uint64_t frames[WIRE_STACK_DEPTH_MAX];
} table[WIRE_STACK_IDS];

uint32_t stack_intern_epoch;

_Static_assert((WIRE_STACK_IDS & (WIRE_STACK_IDS - 1)) == 0, "the slot is a hash's top bits");

void stack_intern_reset(void)
{
	for (unsigned i = 0; i < WIRE_STACK_IDS; i++)
		table[i].depth = 0;
}

/* The slot of a stack: a multiplicative hash of its frames (the top bits of
 * the product mix every frame's bits). */
static unsigned slot_of(const uint64_t *frames, unsigned n)
{
	uint64_t h = n;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ frames[i]) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 54) & (WIRE_STACK_IDS - 1);
}

uint32_t stack_intern(const uint64_t *frames, unsigned n, bool *fresh)
{
	unsigned s = slot_of(frames, n);
	struct slot *t = &table[s];
	bool same = t->depth == n;
	for (unsigned i = 0; same && i < n; i++)
		same = t->frames[i] == frames[i];
	*fresh = !same;
	if (!same) {
		if (t->depth)
			stack_intern_epoch++; /* an eviction */
		t->depth = n;
		for (unsigned i = 0; i < n; i++)
			t->frames[i] = frames[i];
	}
	return s + 1;
}

void stack_intern_get(uint32_t id, struct wire_stack *out)
{
	const struct slot *t = &table[(id - 1) & (WIRE_STACK_IDS - 1)];
	out->id = id;
	out->depth = t->depth;
	for (unsigned i = 0; i < t->depth; i++)
		out->frames[i] = t->frames[i];
}
