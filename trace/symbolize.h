/* symbolize.h - resolves kernel addresses to function and file:line with the
 * cross binutils' addr2line (riscv64-unknown-elf-addr2line; $ADDR2LINE overrides). */
#ifndef SYMBOLIZE_H
#define SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct symbol_info {
	char fn[128];  /* function name, "??" if unknown */
	char src[160]; /* "file:line" relative to the project when possible, "??:0" if unknown */
};

/* Resolves addrs[0..n) against elf with as few addr2line runs as the command
 * line length allows; out[i] receives the answer for addrs[i]. Source paths are
 * made relative to the current directory. Returns 0, or -1 with a message in
 * err if addr2line could not be run or answered short. The addresses are
 * return addresses: each is looked up at addr - 1, the call instruction. */
int symbolize_batch(const char *elf, const uint64_t *addrs, size_t n, struct symbol_info *out,
                    char *err, size_t errlen);

#endif /* SYMBOLIZE_H */
