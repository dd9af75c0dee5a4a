/* symbols.c - the table of a trace's symbol records (symbols.h): the symbols
 * in an array, found by address through a u64_map (trace/u64_map.h). */
#include "symbols.h"

#include <stdlib.h>
#include <string.h>

bool symbols_put(struct symbols *t, uint64_t addr, const char *fn, const char *src)
{
	uint32_t i = u64_map_get(&t->index, addr);
	if (i == U64_MAP_NONE && t->count == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct trace_symbol *ns = ncap < U64_MAP_NONE ? realloc(t->sym, ncap * sizeof *ns) : NULL;
		if (!ns)
			return false;
		t->sym = ns;
		t->cap = ncap;
	}
	char *f = strdup(fn), *s = strdup(src);
	if (!f || !s || (i == U64_MAP_NONE && !u64_map_put(&t->index, addr, (uint32_t)t->count))) {
		free(f);
		free(s);
		return false;
	}
	if (i == U64_MAP_NONE) {
		i = (uint32_t)t->count++;
	} else {
		free((char *)t->sym[i].fn);
		free((char *)t->sym[i].src);
	}
	t->sym[i] = (struct trace_symbol){addr, f, s};
	return true;
}

const struct trace_symbol *symbols_get(const struct symbols *t, uint64_t addr)
{
	uint32_t i = u64_map_get(&t->index, addr);
	return i == U64_MAP_NONE ? NULL : &t->sym[i];
}

void symbols_each(const struct symbols *t, void (*fn)(void *ctx, const struct trace_symbol *sym),
                  void *ctx)
{
	for (size_t i = 0; i < t->count; i++)
		fn(ctx, &t->sym[i]);
}

void symbols_free(struct symbols *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free((char *)t->sym[i].fn);
		free((char *)t->sym[i].src);
	}
	free(t->sym);
	u64_map_free(&t->index);
	memset(t, 0, sizeof *t);
}
