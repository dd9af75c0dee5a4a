/* strbuf.h - a growable string builder on the kernel heap, with printf-style appends.
 *
 *   struct strbuf sb = STRBUF_INIT;
 *   strbuf_appendf(&sb, "%d blocks, %zu bytes", n, bytes);
 *   kputs(strbuf_cstr(&sb));
 *   strbuf_free(&sb);
 *
 * The text is always NUL-terminated. Out of memory makes the builder keep
 * what fits, set `failed`, and return false from that and every later append
 * until strbuf_reset. The builder owns buf (kalloc'd, cap bytes); free it
 * with strbuf_free. Formatting is format_v's (kernel/console.h lists it).
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;   /* the text, NUL-terminated; NULL while cap == 0 */
	size_t len;  /* characters, without the NUL */
	size_t cap;  /* bytes allocated for buf */
	bool failed; /* an append ran out of memory: the text is truncated */
};

#define STRBUF_INIT {NULL, 0, 0, false}

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);               /* gives the memory back; sb is empty */
void strbuf_reset(struct strbuf *sb);              /* empty text, memory kept, failed cleared */
bool strbuf_reserve(struct strbuf *sb, size_t n);  /* room for n more characters */
bool strbuf_append(struct strbuf *sb, const char *s);
bool strbuf_append_n(struct strbuf *sb, const char *s, size_t n);
bool strbuf_putc(struct strbuf *sb, char c);
bool strbuf_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap);
const char *strbuf_cstr(const struct strbuf *sb);  /* the text; "" when nothing was allocated */

/* snprintf into a fixed buffer: writes at most n bytes, NUL included (if
 * n > 0), and returns the length the whole text would have. */
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

#endif /* STRBUF_H */
