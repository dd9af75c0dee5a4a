/* panic.h - fatal errors: print what and where, flush the trace, leave QEMU failing. */
#ifndef PANIC_H
#define PANIC_H

/* Prints "panic: <message>" with file:line, runs the exit hook (trace flush)
 * and leaves QEMU with EXIT_PANIC. Inside a test marked as expected to panic,
 * control returns to the test runner instead. Convention: the message starts
 * with the name of the function that found the problem. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#include <stdint.h>

#include "ksetjmp.h"

struct trap_frame;

/* Reports an unexpected trap (decoded scause, sepc, stval, ra, sp) and ends
 * like panic, with EXIT_TRAP; a page fault in the stack guard (kernel/stack.h)
 * is reported as a stack overflow, EXIT_STACK_OVERFLOW. Called by the trap
 * handler. */
void panic_trap(const struct trap_frame *frame, uint64_t scause, uint64_t stval)
	__attribute__((noreturn));

/* For the test runner: while a catcher is set, panic() and unexpected traps
 * klongjmp to it with the exit status (EXIT_PANIC, EXIT_TRAP) instead of
 * leaving QEMU. The catcher is cleared when used. NULL clears it. */
void panic_set_catcher(kjmp_buf *env);

#endif /* PANIC_H */
