/* console.h - formatted output on the kernel console (UART 0). */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdarg.h>

/* printf subset: %d %i %u %x %X %o %c %s %p %% with l/ll/z length, width,
 * '-' and '0' flags. Returns the number of characters written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
void kputs(const char *s); /* s and a newline */

#endif /* CONSOLE_H */
