/* stack.h - canary words at the bottom of the boot and trap stacks, so an
 * overflow is reported (at panic and at the end of every test), not silent. */
#ifndef STACK_H
#define STACK_H

#include <stdbool.h>

#define STACK_CANARY 0x5ca1ab1edeadc0deull /* pattern planted at each stack's bottom */
#define STACK_CANARY_WORDS 8               /* words of it per stack */

void stack_canaries_plant(void); /* called from entry.S before anything else */

/* Returns true if both canaries are intact; otherwise prints which stack
 * overflowed and returns false. */
bool stack_canaries_check(void);

#endif /* STACK_H */
