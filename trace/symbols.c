/* symbols.c - the table of a trace's symbol records (symbols.h): the symbols
 * in an array, found by address through a u64_map (trace/u64_map.h). */
#include "symbols.h"

#include <stdlib.h>
#include <string.h>

/* Copies s to p; returns the byte after its NUL. */
static char *put_str(char *p, const char *s, const char **where)
{
	size_t n = strlen(s) + 1;
	memcpy(p, s, n);
	*where = p;
	return p + n;
}

/* A copy of sym in one allocation (freed with free(copy->inlined)):
 *   [ inlined[n_inlined] | fn\0 | src\0 | inlined fn\0 src\0 ... ]
 * false if out of memory. */
static bool symbol_copy(const struct trace_symbol *sym, struct trace_symbol *copy)
{
	const char *fn = sym->fn ? sym->fn : "??", *src = sym->src ? sym->src : "??:0";
	size_t bytes = sym->n_inlined * sizeof *sym->inlined + strlen(fn) + strlen(src) + 2;
	for (uint32_t i = 0; i < sym->n_inlined; i++)
		bytes += strlen(sym->inlined[i].fn) + strlen(sym->inlined[i].src) + 2;
	struct trace_inline *inl = malloc(bytes);
	if (!inl)
		return false;
	char *p = (char *)(inl + sym->n_inlined);
	*copy = (struct trace_symbol){.addr = sym->addr, .n_inlined = sym->n_inlined, .inlined = inl};
	p = put_str(p, fn, &copy->fn);
	p = put_str(p, src, &copy->src);
	for (uint32_t i = 0; i < sym->n_inlined; i++) {
		p = put_str(p, sym->inlined[i].fn, &inl[i].fn);
		p = put_str(p, sym->inlined[i].src, &inl[i].src);
	}
	return true;
}

bool symbols_put(struct symbols *t, const struct trace_symbol *sym)
{
	uint32_t i = u64_map_get(&t->index, sym->addr);
	if (i == U64_MAP_NONE && t->count == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct trace_symbol *ns = ncap < U64_MAP_NONE ? realloc(t->sym, ncap * sizeof *ns) : NULL;
		if (!ns)
			return false;
		t->sym = ns;
		t->cap = ncap;
	}
	struct trace_symbol copy;
	if (!symbol_copy(sym, &copy))
		return false;
	if (i == U64_MAP_NONE && !u64_map_put(&t->index, sym->addr, (uint32_t)t->count)) {
		free((void *)copy.inlined);
		return false;
	}
	if (i == U64_MAP_NONE)
		i = (uint32_t)t->count++;
	else
		free((void *)t->sym[i].inlined);
	t->sym[i] = copy;
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
	for (size_t i = 0; i < t->count; i++)
		free((void *)t->sym[i].inlined);
	free(t->sym);
	u64_map_free(&t->index);
	memset(t, 0, sizeof *t);
}
