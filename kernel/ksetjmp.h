/* ksetjmp.h - non-local return for the kernel (kernel/ksetjmp.S). */
#ifndef KSETJMP_H
#define KSETJMP_H

#include <stdint.h>

typedef uint64_t kjmp_buf[14]; /* ra, sp, s0..s11 */

/* Returns 0 when called, then val (never 0) when klongjmp jumps back. */
int ksetjmp(kjmp_buf env) __attribute__((returns_twice));
void klongjmp(kjmp_buf env, int val) __attribute__((noreturn));

#endif /* KSETJMP_H */
