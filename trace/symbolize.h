/* symbolize.h - resolves kernel addresses to function and file:line (and the
 * functions inlined there) with the cross binutils' addr2line
 * (riscv64-unknown-elf-addr2line; $ADDR2LINE overrides). */
#ifndef SYMBOLIZE_H
#define SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "trace_reader.h"

/* A function the code at an address was inlined into. */
struct symbol_inline {
	char fn[128];  /* function name, "??" if unknown */
	char src[160]; /* "file:line" of the inlined call in it */
};

struct symbol_info {
	char fn[128];  /* function name, "??" if unknown: the innermost one when inlined */
	char src[160]; /* "file:line" relative to the project when possible, "??:0" if unknown */
	uint32_t n_inlined;            /* functions fn was inlined into (addr2line -i) */
	struct symbol_inline *inlined; /* ... innermost first; owned, NULL if none */
};

/* Resolves addrs[0..n) against elf with as few addr2line runs as the command
 * line length allows; out[i] receives the answer for addrs[i], with the
 * functions inlined there (addr2line -i). Source paths are made relative to
 * the current directory. Returns 0, or -1 with a message in err if addr2line
 * could not be run or answered short (out[] then holds nothing to free). The
 * addresses are return addresses: each is looked up at addr - 1, the call
 * instruction. The caller frees each answer with symbol_info_free. */
int symbolize_batch(const char *elf, const uint64_t *addrs, size_t n, struct symbol_info *out,
                    char *err, size_t errlen);

/* Frees what info holds (its inlined list); info is then without one. */
void symbol_info_free(struct symbol_info *info);

#endif /* SYMBOLIZE_H */
