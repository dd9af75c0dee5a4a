/* text.c - heapviz's text: numbers, sizes, text that fits its box (text.h). */
#include "text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *text_commas(char *buf, uint64_t n)
{
	char tmp[TEXT_NUM];
	int len = snprintf(tmp, sizeof tmp, "%" PRIu64, n);
	int o = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

const char *text_bytes(char *buf, uint64_t n)
{
	char tmp[TEXT_NUM];
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, TEXT_NUM, "%s MiB", text_commas(tmp, n >> 20));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, TEXT_NUM, "%s KiB", text_commas(tmp, n >> 10));
	else
		snprintf(buf, TEXT_NUM, "%s B", text_commas(tmp, n));
	return buf;
}

const char *text_compact(char *buf, uint64_t n)
{
	static const char units[] = "KMGT";
	if (n < 10000) {
		snprintf(buf, TEXT_NUM, "%llu", (unsigned long long)n);
		return buf;
	}
	double x = (double)n;
	int u = -1;
	while (x >= 1000 && u < 3) {
		x /= 1024;
		u++;
	}
	snprintf(buf, TEXT_NUM, x < 10 ? "%.1f%c" : "%.0f%c", x, units[u]);
	return buf;
}

void text_draw(render *r, int x, int y, struct rcolor c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	render_text(r, x, y, buf, c);
}

int text_fit(render *r, int x, int y, int maxw, struct rcolor c, const char *s)
{
	if (render_text_width(r, s) <= maxw)
		return render_text(r, x, y, s, c);
	int cw = render_text_width(r, "M");
	int keep = cw > 0 ? maxw / cw - 2 : 0;
	if (keep <= 0)
		return 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%.*s..", keep < 250 ? keep : 250, s);
	return render_text(r, x, y, buf, c);
}

int text_line_h(render *r)
{
	return render_text_height(r) + 1;
}

/* Room for one more line in t: then moves t past it. */
static bool take_line(struct text_col *t, int *y)
{
	int lh = text_line_h(t->r);
	if (t->y + render_text_height(t->r) > t->bottom)
		return false;
	*y = t->y;
	t->y += lh;
	return true;
}

bool text_line(struct text_col *t, struct rcolor c, const char *fmt, ...)
{
	int y;
	if (!take_line(t, &y))
		return false;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	text_fit(t->r, t->x, y, t->w, c, buf);
	return true;
}

bool text_pair(struct text_col *t, struct rcolor c, const char *label, const char *value)
{
	int y;
	if (!take_line(t, &y))
		return false;
	int vw = render_text_width(t->r, value);
	if (vw > t->w)
		return text_fit(t->r, t->x, y, t->w, c, value), true;
	text_fit(t->r, t->x, y, t->w - vw - render_text_width(t->r, " "), c, label);
	render_text(t->r, t->x + t->w - vw, y, value, c);
	return true;
}
