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

#endif /* PANIC_H */
