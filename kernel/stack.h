/* stack.h - stack overflow detection: canary words at the bottom of the boot
 * and trap stacks (an overflow is reported at every trap, timer tick, panic
 * and test end, not silent), and an unmapped guard megapage below the boot
 * stack (linker.ld), so a runaway recursion faults before it reaches .bss,
 * where the trace buffer lives. */
#ifndef STACK_H
#define STACK_H

#include <stdbool.h>
#include <stdint.h>

#define STACK_CANARY 0x5ca1ab1edeadc0deull /* pattern planted at each stack's bottom */
#define STACK_CANARY_WORDS 8               /* words of it per stack */

void stack_canaries_plant(void); /* called from entry.S before anything else */

/* Returns true if both canaries are intact; otherwise prints which stack
 * overflowed and returns false. */
bool stack_canaries_check(void);

/* The same test, silent: for the trap handler, which calls it on every trap. */
bool stack_canaries_intact(void);

/* Turns on Sv39 paging with an identity map of everything but the stack guard
 * (__stack_guard_start..__stack_guard_end, linker.ld), which is left unmapped.
 * Called from entry.S after .bss is cleared; the page tables live in .bss. */
void stack_guard_init(void);

/* Whether a trap (scause, stval) is an access to the stack guard: the boot
 * stack overflowed. */
bool stack_guard_hit(uint64_t scause, uint64_t stval);

#endif /* STACK_H */
