/* text.h - heapviz's text: one number format (thousands separators everywhere),
 * round sizes, and text that fits the box it is drawn in (elided, never cut off).
 * Draws through render.h.
 */
#ifndef VIZ_TEXT_H
#define VIZ_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "render.h"

#define TEXT_NUM 32 /* room for any number text_commas or text_bytes writes */

/* 1234567 -> "1,234,567" into buf (TEXT_NUM bytes); returns buf. */
const char *text_commas(char *buf, uint64_t n);

/* A size as people write round ones: "16 KiB", "1 MiB", else "3,000 B". */
const char *text_bytes(char *buf, uint64_t n);

/* A number in at most 5 characters, for tables: 9999, 12K, 1.5M (powers of 1,024). */
const char *text_compact(char *buf, uint64_t n);

/* printf-style text with its top left at x,y. */
void text_draw(render *r, int x, int y, struct rcolor c, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* s at x,y in at most maxw pixels: a longer text ends in ".." where it is cut.
 * Returns the width drawn. */
int text_fit(render *r, int x, int y, int maxw, struct rcolor c, const char *s);

/* A column of lines in the box [x, x+w) x [y, bottom): each line is drawn only
 * if it fits below the last one, elided to the width. */
struct text_col {
	render *r;
	int x, y, w, bottom;
};

/* The next line; false (nothing drawn) once the column is full. */
bool text_line(struct text_col *t, struct rcolor c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The next line as label on the left and value right-aligned; false once full. */
bool text_pair(struct text_col *t, struct rcolor c, const char *label, const char *value);

/* Pixels a line takes (the text's height and one pixel). */
int text_line_h(render *r);

#endif /* VIZ_TEXT_H */
