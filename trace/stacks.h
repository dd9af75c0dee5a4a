/* stacks.h - the table of a trace's stack records: id -> frames.
 *
 * Filled by the reader from the trace's {"k":"stack"} lines (stacks_define)
 * and by `heaptrace decode`, which gives each distinct frame list the next
 * id (stacks_intern). Memory grows with the distinct stacks only.
 *
 * Ownership: the table owns its stacks; a struct trace_stack it returns stays
 * where it is (valid) until stacks_free. A zeroed struct stacks is an empty
 * table.
 */
#ifndef STACKS_H
#define STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_reader.h"
#include "u64_map.h"

struct stacks {
	struct trace_stack **s; /* the stacks, in the order defined; each one allocation */
	size_t count, cap;      /* stacks held, room for */
	struct u64_map by_id;   /* id -> index in s */
	struct u64_map by_hash; /* stacks_intern: hash of the frames (probed on) -> index in s */
};

enum stacks_define_result {
	STACKS_NEW,      /* defined now */
	STACKS_SAME,     /* already defined with the same frames: nothing changed */
	STACKS_CONFLICT, /* already defined with other frames: nothing changed */
	STACKS_NO_MEMORY,
};

/* Defines stack id (>= 1) as frames[0 .. depth) (1 <= depth <=
 * TRACE_STACK_DEPTH_MAX), unless it is defined already. */
enum stacks_define_result stacks_define(struct stacks *t, uint32_t id, uint32_t depth,
                                        const uint64_t *frames);

/* The stack with id, or NULL. */
const struct trace_stack *stacks_get(const struct stacks *t, uint32_t id);

/* The stack whose frames are frames[0 .. depth), defined with the next id
 * (count + 1) if there is none yet (*fresh then says so). Do not mix with
 * stacks_define in one table. NULL if out of memory. */
const struct trace_stack *stacks_intern(struct stacks *t, uint32_t depth, const uint64_t *frames,
                                        bool *fresh);

/* Calls fn for every stack, in the order defined. */
void stacks_each(const struct stacks *t, void (*fn)(void *ctx, const struct trace_stack *s),
                 void *ctx);

/* Frees every stack and the table; t is empty again. */
void stacks_free(struct stacks *t);

#endif /* STACKS_H */
