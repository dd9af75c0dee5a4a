/* stacks.c - the table of a trace's stack records (stacks.h): each stack one
 * allocation (its frames after it), found by id, or by content through a hash
 * of its frames, in u64_maps (trace/u64_map.h). */
#include "stacks.h"

#include <stdlib.h>
#include <string.h>

/* A stack and its frames in one block, so that pointers to it stay valid. */
struct stack_block {
	struct trace_stack s;
	uint64_t frames[]; /* s.frames points here */
};

static bool same_frames(const struct trace_stack *s, uint32_t depth, const uint64_t *frames)
{
	return s->depth == depth && !memcmp(s->frames, frames, depth * sizeof *frames);
}

/* Appends a copy of the stack to t->s (not to the maps); NULL if out of memory. */
static struct trace_stack *append(struct stacks *t, uint32_t id, uint32_t depth,
                                  const uint64_t *frames)
{
	if (t->count == t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 64;
		struct trace_stack **ns =
		    ncap < U64_MAP_NONE ? realloc(t->s, ncap * sizeof *ns) : NULL;
		if (!ns)
			return NULL;
		t->s = ns;
		t->cap = ncap;
	}
	struct stack_block *b = malloc(sizeof *b + depth * sizeof *frames);
	if (!b)
		return NULL;
	memcpy(b->frames, frames, depth * sizeof *frames);
	b->s = (struct trace_stack){id, depth, b->frames};
	t->s[t->count] = &b->s;
	return &b->s;
}

enum stacks_define_result stacks_define(struct stacks *t, uint32_t id, uint32_t depth,
                                        const uint64_t *frames)
{
	const struct trace_stack *old = stacks_get(t, id);
	if (old)
		return same_frames(old, depth, frames) ? STACKS_SAME : STACKS_CONFLICT;
	struct trace_stack *s = append(t, id, depth, frames);
	if (!s)
		return STACKS_NO_MEMORY;
	if (!u64_map_put(&t->by_id, id, (uint32_t)t->count)) {
		free(s);
		return STACKS_NO_MEMORY;
	}
	t->count++;
	return STACKS_NEW;
}

const struct trace_stack *stacks_get(const struct stacks *t, uint32_t id)
{
	uint32_t i = u64_map_get(&t->by_id, id);
	return i == U64_MAP_NONE ? NULL : t->s[i];
}

/* FNV-1a over the frames' bytes: the key a frame list is looked up by. */
static uint64_t frames_hash(uint32_t depth, const uint64_t *frames)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < depth; i++)
		for (int b = 0; b < 64; b += 8)
			h = (h ^ (frames[i] >> b & 0xff)) * 0x100000001b3ull;
	return h;
}

const struct trace_stack *stacks_intern(struct stacks *t, uint32_t depth, const uint64_t *frames,
                                        bool *fresh)
{
	uint64_t key = frames_hash(depth, frames);
	uint32_t i;
	/* two frame lists with one hash: the second is kept under the next key */
	while ((i = u64_map_get(&t->by_hash, key)) != U64_MAP_NONE) {
		if (same_frames(t->s[i], depth, frames)) {
			*fresh = false;
			return t->s[i];
		}
		key++;
	}
	uint32_t id = (uint32_t)t->count + 1;
	if (id == 0 || !u64_map_reserve(&t->by_id, 1) || !u64_map_reserve(&t->by_hash, 1))
		return NULL;
	struct trace_stack *s = append(t, id, depth, frames);
	if (!s)
		return NULL;
	u64_map_put(&t->by_id, id, (uint32_t)t->count); /* reserved: cannot fail */
	u64_map_put(&t->by_hash, key, (uint32_t)t->count);
	t->count++;
	*fresh = true;
	return s;
}

void stacks_each(const struct stacks *t, void (*fn)(void *ctx, const struct trace_stack *s),
                 void *ctx)
{
	for (size_t i = 0; i < t->count; i++)
		fn(ctx, t->s[i]);
}

void stacks_free(struct stacks *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->s[i]); /* the block starts with the stack */
	free(t->s);
	u64_map_free(&t->by_id);
	u64_map_free(&t->by_hash);
	memset(t, 0, sizeof *t);
}
