/* stack_intern.h - the trace sink's table of call stacks it has sent
 * (docs/trace-wire.md, "Stacks"): each distinct stack is sent once as a STACK
 * record and events carry its id.
 *
 * Fixed size, direct-mapped: WIRE_STACK_IDS slots, a stack's slot chosen by a
 * hash of its frames, its id = slot + 1. A stack is compared with the slot's
 * frame by frame, never by hash alone: a different stack in the slot (a hash
 * collision, or the table is full) evicts it, takes the same id and must be
 * sent (again) before the event that uses it. So an id always means the
 * stack most recently sent for it, which is what the decoder keeps: a full
 * table costs records, never attribution. Single hart, no locking (the sink's).
 */
#ifndef STACK_INTERN_H
#define STACK_INTERN_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_wire.h"

/* Counts the stacks evicted so far: an id obtained when it had another value
 * may since have been given to another stack. */
extern uint32_t stack_intern_epoch;

/* Empties the table (every slot: no stack). */
void stack_intern_reset(void);

/* The id (1..WIRE_STACK_IDS) of the stack frames[0..n) (1 <= n <=
 * WIRE_STACK_DEPTH_MAX). *fresh: the slot did not hold this stack (it does
 * now), so the caller must send its STACK record before using the id. */
uint32_t stack_intern(const uint64_t *frames, unsigned n, bool *fresh);

/* The stack the table holds under id (1..WIRE_STACK_IDS): copies it into *out
 * (id, depth, frames) for a STACK record; depth 0 if the slot is empty. */
void stack_intern_get(uint32_t id, struct wire_stack *out);

#endif /* STACK_INTERN_H */
