/* strbuf.c - the string builder and ksnprintf, both formatting through format_v. */
#include "strbuf.h"

#include <stdint.h>

#include "format.h"
#include "kheap.h"
#include "kstring.h"

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->failed = false;
}

void strbuf_free(struct strbuf *sb)
{
	if (sb->cap)
		kdealloc(sb->buf, sb->cap, 1);
	strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->cap)
		sb->buf[0] = 0;
}

bool strbuf_reserve(struct strbuf *sb, size_t n)
{
	if (sb->failed)
		return false;
	if (sb->cap && n < sb->cap - sb->len) /* len + n + 1 <= cap */
		return true;
	if (n > SIZE_MAX - sb->len - 1) {
		sb->failed = true;
		return false;
	}
	size_t need = sb->len + n + 1, cap = sb->cap ? sb->cap : 32;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	char *nb = kalloc(cap, 1);
	if (!nb) {
		sb->failed = true;
		return false;
	}
	if (sb->cap) {
		memcpy(nb, sb->buf, sb->len + 1);
		kdealloc(sb->buf, sb->cap, 1);
	} else {
		nb[0] = 0;
	}
	sb->buf = nb;
	sb->cap = cap;
	return true;
}

bool strbuf_append_n(struct strbuf *sb, const char *s, size_t n)
{
	if (!strbuf_reserve(sb, n))
		return false;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
	return true;
}

bool strbuf_append(struct strbuf *sb, const char *s)
{
	return strbuf_append_n(sb, s, strlen(s));
}

bool strbuf_putc(struct strbuf *sb, char c)
{
	return strbuf_append_n(sb, &c, 1);
}

static void strbuf_put(void *ctx, char c)
{
	strbuf_putc(ctx, c);
}

bool strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
{
	format_v(strbuf_put, sb, fmt, ap);
	return !sb->failed;
}

bool strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = strbuf_vappendf(sb, fmt, ap);
	va_end(ap);
	return ok;
}

const char *strbuf_cstr(const struct strbuf *sb)
{
	return sb->cap ? sb->buf : "";
}

/* ---- ksnprintf ---------------------------------------------------------- */

struct fixed_out {
	char *buf;
	size_t n, len; /* capacity with the NUL, characters produced */
};

static void fixed_put(void *ctx, char c)
{
	struct fixed_out *o = ctx;
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct fixed_out o = {buf, n, 0};
	int total = format_v(fixed_put, &o, fmt, ap);
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return total;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
