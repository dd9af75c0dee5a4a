/* symbols.h - the table of a trace's symbol records: code address -> function and source
 * (and the functions inlined there).
 *
 * Filled by the reader from the trace's {"k":"sym"} lines; looked up by every
 * tool that names a call site. Ownership: the table owns copies of the
 * strings it is given; symbols_free releases them and the table. A zeroed
 * struct symbols is an empty table.
 */
#ifndef SYMBOLS_H
#define SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_reader.h"
#include "u64_map.h"

struct symbols {
	struct trace_symbol *sym; /* the symbols, in the order first recorded; strings and
	                             inlined owned (one allocation each, symbol_copy) */
	size_t count, cap;        /* symbols held, room for */
	struct u64_map index;     /* address -> its index in sym */
};

/* Records (or replaces) the symbol sym->addr with a copy of *sym (its
 * strings and inlined functions). Returns false if out of memory (the table
 * unchanged). */
bool symbols_put(struct symbols *t, const struct trace_symbol *sym);

/* The symbol of addr, or NULL if none was recorded. Valid until the next
 * symbols_put or symbols_free. */
const struct trace_symbol *symbols_get(const struct symbols *t, uint64_t addr);

/* Calls fn for every symbol, in the order first recorded. */
void symbols_each(const struct symbols *t, void (*fn)(void *ctx, const struct trace_symbol *sym),
                  void *ctx);

/* Frees every symbol and the table; t is empty again. */
void symbols_free(struct symbols *t);

#endif /* SYMBOLS_H */
