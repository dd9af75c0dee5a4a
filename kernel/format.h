/* format.h - the one printf engine, shared by the console and the string builder. */
#ifndef FORMAT_H
#define FORMAT_H

#include <stdarg.h>

/* Receives every output character. */
typedef void (*format_put_fn)(void *ctx, char c);

/* Formats fmt (see console.h for the directives) through put.
 * Returns the number of characters produced. */
int format_v(format_put_fn put, void *ctx, const char *fmt, va_list ap);

#endif /* FORMAT_H */
