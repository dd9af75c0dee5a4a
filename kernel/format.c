/* format.c - the kernel's printf engine: %d %i %u %x %X %o %c %s %p %% with
 * the h/hh/l/ll/z/t/j length modifiers, a field width (or *), the '-', '0',
 * '+', ' ' and '#' flags, and a precision for strings. Used by kprintf and
 * the string builder through format_v. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct out {
	format_put_fn put;
	void *ctx;
	int count; /* characters produced so far */
};

static void out_char(struct out *o, char c)
{
	o->put(o->ctx, c);
	o->count++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

/* Writes digits of v in base with sign/prefix, honouring width and flags. */
static void out_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
		       int width, bool left, bool zero, char sign_char, const char *prefix)
{
	char digits[24];
	int n = 0;
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		digits[n++] = set[v % base];
		v /= base;
	} while (v);

	int plen = 0;
	while (prefix[plen])
		plen++;
	char sign = negative ? '-' : sign_char;
	int len = n + plen + (sign ? 1 : 0);
	if (!left && !zero)
		out_pad(o, ' ', width - len);
	if (sign)
		out_char(o, sign);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	if (!left && zero)
		out_pad(o, '0', width - len);
	while (n)
		out_char(o, digits[--n]);
	if (left)
		out_pad(o, ' ', width - len);
}

int format_v(format_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	struct out o = {put, ctx, 0};
	va_list args;
	va_copy(args, ap);

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		p++;
		bool left = false, zero = false, alt = false;
		char sign_char = 0;
		for (;; p++) {
			if (*p == '-')
				left = true;
			else if (*p == '0')
				zero = true;
			else if (*p == '#')
				alt = true;
			else if (*p == '+')
				sign_char = '+';
			else if (*p == ' ')
				sign_char = sign_char ? sign_char : ' ';
			else
				break;
		}
		int width = 0;
		if (*p == '*') {
			width = va_arg(args, int);
			if (width < 0)
				left = true, width = -width;
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		int precision = -1;
		if (*p == '.') {
			p++;
			precision = 0;
			if (*p == '*') {
				precision = va_arg(args, int);
				p++;
			}
			while (*p >= '0' && *p <= '9')
				precision = precision * 10 + (*p++ - '0');
		}
		int size = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char */
		for (;; p++) {
			if (*p == 'l')
				size++;
			else if (*p == 'h')
				size--;
			else if (*p == 'z' || *p == 't' || *p == 'j')
				size = 1; /* size_t, ptrdiff_t, intmax_t: 64-bit on lp64 */
			else
				break;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = size >= 1 ? va_arg(args, long) : va_arg(args, int);
			if (size == -1)
				v = (short)v;
			else if (size <= -2)
				v = (signed char)v;
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			out_number(&o, mag, v < 0, 10, false, width, left, zero, sign_char, "");
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v = size >= 1 ? va_arg(args, unsigned long) : va_arg(args, unsigned);
			if (size == -1)
				v = (unsigned short)v;
			else if (size <= -2)
				v = (unsigned char)v;
			unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
			const char *prefix = "";
			if (alt && v && base == 16)
				prefix = *p == 'X' ? "0X" : "0x";
			else if (alt && base == 8)
				prefix = "0";
			out_number(&o, v, false, base, *p == 'X', width, left, zero, 0, prefix);
			break;
		}
		case 'p':
			out_number(&o, (uintptr_t)va_arg(args, void *), false, 16, false, width, left,
				   zero, 0, "0x");
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			if (!left)
				out_pad(&o, ' ', width - 1);
			out_char(&o, c);
			if (left)
				out_pad(&o, ' ', width - 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			if (!s)
				s = "(null)";
			int len = 0;
			while (s[len] && (precision < 0 || len < precision))
				len++;
			if (!left)
				out_pad(&o, ' ', width - len);
			for (int i = 0; i < len; i++)
				out_char(&o, s[i]);
			if (left)
				out_pad(&o, ' ', width - len);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			p--; /* a lone '%' at the end: print it, stop */
			out_char(&o, '%');
			break;
		default: /* unknown directive: show it as written */
			out_char(&o, '%');
			out_char(&o, *p);
			break;
		}
	}
	va_end(args);
	return o.count;
}
