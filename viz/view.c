/* view.c - heapviz's screen: layout, heap map, panel, timeline, help, keys.
 *
 * The heap map unrolls the shown address range [lo, hi) onto rows of cells:
 * every block and free gap becomes a span [u0, u1) of "map pixels", laid out
 * row after row. Linear scale: span length is proportional to bytes.
 * Compressed scale: span length grows with the square root of the size, so a
 * 16-byte block next to a 64 KiB one gets 1/64 of its room, not 1/4096.
 */
#include "view.h"

#include "panel.h"
#include "text.h"
#include "timeline.h"
#include "trace_reader.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_W 320
#define STRIP_H       38 /* timeline strip height, pixels */
#define STRIP_H_SMALL 26 /* ...in a window under 640 pixels high */

static const struct rcolor caller_palette[] = {
    {230, 120, 60, 255},  {80, 170, 240, 255},  {120, 200, 80, 255},  {220, 90, 170, 255},
    {240, 200, 70, 255},  {90, 210, 200, 255},  {170, 130, 240, 255}, {200, 160, 110, 255},
    {250, 140, 140, 255}, {140, 220, 140, 255}, {120, 140, 250, 255}, {210, 210, 120, 255},
};

void view_init(struct view *v, viz_model *m, const char *name)
{
	memset(v, 0, sizeof *v);
	v->m = m;
	v->name = name;
	v->speed = 200;
	v->site_pick = VIZ_NO_SITE;
	v->site_header_y = -1;
	v->divergence = SIZE_MAX;
	v->mx = v->my = -1;
}

void view_fini(struct view *v)
{
	free(v->segs);
	free(v->osegs);
	free(v->markers);
	site_names_free(&v->site_names);
}

static void set_message(struct view *v, uint32_t now, const char *msg)
{
	snprintf(v->message, sizeof v->message, "%s", msg);
	v->message_until = now + 2500;
}

void view_seek(struct view *v, size_t pos)
{
	pos = viz_model_seek(v->m, pos);
	if (v->other)
		viz_model_seek(v->other, pos);
}

static bool status_third_line(const struct view *v);

/* ---- the shown range ---------------------------------------------------------- */

#define VIEW_ROW_MIN 12 /* map row height, pixels: the rows shrink to this, */
#define VIEW_ROW_MAX 40 /* ...and stretch to this to fill the map's height */

/* The heap offsets the maps should show: the zoomed range, the whole heap, or
 * (by default) the part the traces ever used, [0, highest block end). */
static void wanted_range(const struct view *v, uint64_t *lo, uint64_t *hi)
{
	uint64_t size = viz_model_heap_size(v->m);
	*lo = 0;
	*hi = size;
	if (v->zoomed) {
		*lo = v->lo;
		*hi = v->hi;
		return;
	}
	if (v->whole)
		return;
	uint64_t ext = viz_model_extent(v->m);
	if (v->other && viz_model_extent(v->other) > ext)
		ext = viz_model_extent(v->other);
	if (ext && ext < size)
		*hi = ext;
}

/* The rows of map area a: on the linear scale every row holds row_bytes, the
 * smallest power of two that fits the wanted range into the rows there are,
 * rows start at multiples of it (round addresses; equal holes line up in
 * columns), and the rows stretch to fill the area's height. The compressed
 * scale spreads the wanted range over every row. */
static void fit_rows(struct view *v, const struct view_rect *a)
{
	uint64_t lo, hi, size = viz_model_heap_size(v->m);
	wanted_range(v, &lo, &hi);
	uint64_t rows_max = a->h / VIEW_ROW_MIN > 1 ? (uint64_t)(a->h / VIEW_ROW_MIN) : 1;
	if (v->compressed) {
		v->map_lo = lo;
		v->map_hi = hi;
		v->row_bytes = 0;
		v->rows = (int)rows_max;
		v->row_h = VIEW_ROW_MIN;
		v->cell_h = VIEW_ROW_MIN - 2;
		return;
	}
	uint64_t rb = 1, rows;
	for (;;) {
		v->map_lo = lo & ~(rb - 1);
		rows = (hi - v->map_lo + rb - 1) / rb;
		if (rows <= rows_max)
			break;
		rb *= 2;
	}
	v->row_bytes = rb;
	v->rows = rows ? (int)rows : 1;
	v->map_hi = v->map_lo + (uint64_t)v->rows * rb < size ? v->map_lo + (uint64_t)v->rows * rb
	                                                       : size;
	int rh = a->h / v->rows;
	v->row_h = rh < VIEW_ROW_MIN ? VIEW_ROW_MIN : rh > VIEW_ROW_MAX ? VIEW_ROW_MAX : rh;
	v->cell_h = v->row_h - (v->row_h / 6 > 2 ? v->row_h / 6 : 2);
}

void view_zoom_to(struct view *v, uint64_t lo, uint64_t hi)
{
	uint64_t size = viz_model_heap_size(v->m), gran = viz_model_gran(v->m);
	if (hi > size)
		hi = size;
	if (lo >= hi || (lo == 0 && hi == size)) {
		view_whole(v);
		return;
	}
	if (hi - lo < gran * 16) { /* the narrowest view: 16 granules */
		hi = lo + gran * 16 < size ? lo + gran * 16 : size;
		lo = hi - gran * 16 < hi ? hi - gran * 16 : 0;
	}
	v->zoomed = true;
	v->lo = lo;
	v->hi = hi;
}

void view_fit(struct view *v)
{
	v->zoomed = false;
	v->whole = false;
}

void view_whole(struct view *v)
{
	v->zoomed = false;
	v->whole = true;
}

/* One number of a range: hex or decimal, the whole text. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[32], *end;
	if (len == 0 || len >= sizeof buf || s[0] == '-' || s[0] == '+')
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoull(buf, &end, 0);
	return !errno && *end == 0;
}

bool view_parse_range(const struct view *v, const char *text, uint64_t *lo, uint64_t *hi,
                      char *err, size_t errlen)
{
	uint64_t base = viz_model_heap_base(v->m), size = viz_model_heap_size(v->m);
	const char *sep = strpbrk(text, ":+");
	uint64_t a, b;
	if (!sep || !parse_u64(text, (size_t)(sep - text), &a) ||
	    !parse_u64(sep + 1, strlen(sep + 1), &b)) {
		snprintf(err, errlen, "%s: want LO:HI or LO+LEN (hex or decimal)", text);
		return false;
	}
	if (*sep == '+')
		b = a + b < a ? UINT64_MAX : a + b;
	if (a >= base && a - base <= size) { /* absolute addresses, as the screen shows them */
		a -= base;
		b = b >= base ? b - base : 0;
	}
	if (b <= a) {
		snprintf(err, errlen, "%s: empty range (LO must be below HI)", text);
		return false;
	}
	if (a >= size || b > size) {
		snprintf(err, errlen,
		         "%s: outside the heap (0x%" PRIx64 "..0x%" PRIx64 ", or offsets 0..0x%" PRIx64
		         ")",
		         text, base, base + size, size);
		return false;
	}
	*lo = a;
	*hi = b;
	return true;
}

/* ---- layout ---------------------------------------------------------------- */

void view_layout(struct view *v, int w, int h, int th)
{
	int status_h = status_third_line(v) ? 3 * th + 10 : 2 * th + 8;
	v->strip_h = h >= 640 ? STRIP_H : STRIP_H_SMALL;
	int tl_h = timeline_height(v->strip_h, th);
	int panel_w = w >= 960 ? PANEL_W : w / 3;
	v->status = (struct view_rect){0, 0, w, status_h};
	v->timeline = (struct view_rect){6, h - tl_h, w - 12, tl_h - 4};
	v->panel = (struct view_rect){w - panel_w, status_h, panel_w - 6, h - tl_h - status_h - 6};
	struct view_rect map = {6, status_h, w - panel_w - 12, h - tl_h - status_h - 6};
	v->side_by_side = v->other && w * 4 >= h * 5; /* a wide window: the maps side by side */
	int map_w = v->side_by_side ? (map.w - 10) / 2 : map.w;
	v->gutter =
	    (!v->compressed && map_w > 300) ? 11 * (th * 6 / 10 > 0 ? th * 6 / 10 : 7) + 8 : 0;
	if (v->side_by_side) {
		v->map = (struct view_rect){map.x, map.y + th + 2, map_w, map.h - th - 2};
		v->other_map = (struct view_rect){map.x + map_w + 10, map.y + th + 2, map_w,
		                                  map.h - th - 2};
	} else if (v->other) { /* a tall one: stacked */
		int half = (map.h - th - 4) / 2;
		v->map = (struct view_rect){map.x, map.y + th + 2, map.w, half - th - 2};
		v->other_map =
		    (struct view_rect){map.x, map.y + half + th + 4, map.w, half - th - 4};
	} else {
		v->map = (struct view_rect){map.x, map.y + th + 2, map.w, map.h - th - 2};
		v->other_map = (struct view_rect){0, 0, 0, 0};
	}
	fit_rows(v, &v->map);
}

static int map_cols(const struct view *v, const struct view_rect *a)
{
	int c = a->w - v->gutter;
	return c > 1 ? c : 1;
}

static int map_rows(const struct view *v, const struct view_rect *a)
{
	(void)a; /* every map area has the same rows (view_layout) */
	return v->rows;
}

/* Map pixels of area a: the shown range's bytes on the linear scale, every
 * cell of every row on the compressed one. */
static double map_total_u(const struct view *v, const struct view_rect *a)
{
	if (v->row_bytes)
		return (double)(v->map_hi - v->map_lo) * map_cols(v, a) / (double)v->row_bytes;
	return (double)map_cols(v, a) * map_rows(v, a);
}

static bool push_seg(struct view_seg **segs, size_t *n, size_t *cap, struct view_seg s)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct view_seg *p = realloc(*segs, c * sizeof *p);
		if (!p)
			return false;
		*segs = p;
		*cap = c;
	}
	(*segs)[(*n)++] = s;
	return true;
}

/* Lays out the blocks of m in [v->map_lo, v->map_hi) onto total_u map pixels. */
static void build_segs(struct view *v, viz_model *m, struct view_seg **segs, size_t *n, size_t *cap,
                       double total_u)
{
	*n = 0;
	size_t nb;
	const struct viz_block *b = viz_model_blocks(m, &nb);
	uint64_t lo = v->map_lo, hi = v->map_hi, at = lo;
	/* first block that ends after lo */
	size_t first = 0, top = nb;
	while (first < top) {
		size_t mid = (first + top) / 2;
		if ((uint64_t)b[mid].off + b[mid].bytes <= lo)
			first = mid + 1;
		else
			top = mid;
	}
	for (size_t i = first; i <= nb; i++) {
		uint64_t s = i < nb ? b[i].off : hi,
		         e = i < nb ? (uint64_t)b[i].off + b[i].bytes : hi;
		if (s >= hi) {
			s = hi;
			e = hi;
		}
		if (s > at &&
		    !push_seg(segs, n, cap,
		              (struct view_seg){(uint32_t)at, (uint32_t)(s - at), 0, 0, -1}))
			return;
		if (s >= hi)
			break;
		uint64_t s2 = s < lo ? lo : s, e2 = e > hi ? hi : e;
		if (!push_seg(
		        segs, n, cap,
		        (struct view_seg){(uint32_t)s2, (uint32_t)(e2 - s2), 0, 0, (int32_t)i}))
			return;
		at = e2;
	}
	/* place them */
	double gran = (double)viz_model_gran(m);
	double sum = 0;
	for (size_t i = 0; i < *n; i++) {
		struct view_seg *g = &(*segs)[i];
		double wgt = v->compressed ? sqrt(g->bytes / gran) : (double)g->bytes;
		g->u0 = sum;
		sum += wgt;
		g->u1 = sum;
	}
	double k = sum > 0 ? total_u / sum : 0;
	for (size_t i = 0; i < *n; i++) {
		(*segs)[i].u0 *= k;
		(*segs)[i].u1 *= k;
	}
}

/* Map pixel of heap offset off (clamped into the segments). */
static double off_to_u(const struct view_seg *segs, size_t n, uint64_t off, double total_u)
{
	if (n == 0 || off <= segs[0].off)
		return 0;
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (segs[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	const struct view_seg *g = &segs[lo];
	if (off >= (uint64_t)g->off + g->bytes)
		return lo + 1 < n ? segs[lo + 1].u0 : total_u;
	return g->u0 + (g->u1 - g->u0) * (double)(off - g->off) / (double)g->bytes;
}

/* Draws map pixels [u0, u1) of area a as row-wrapped rectangles. */
static void draw_span(render *r, const struct view *v, const struct view_rect *a, double u0,
                      double u1, struct rcolor c, bool separator, bool outline)
{
	int cols = map_cols(v, a), rows = map_rows(v, a);
	if (u1 - u0 < 1)
		u1 = u0 + 1; /* the smallest block stays visible */
	long r0 = (long)(u0 / cols), r1 = (long)((u1 - 1e-6) / cols);
	for (long row = r0; row <= r1 && row < rows; row++) {
		double x0 = u0 - (double)row * cols, x1 = u1 - (double)row * cols;
		if (x0 < 0)
			x0 = 0;
		if (x1 > cols)
			x1 = cols;
		int px0 = (int)x0, px1 = (int)(x1 + 0.5);
		if (px1 <= px0)
			px1 = px0 + 1;
		if (separator && row == r1 && px1 - px0 >= 3)
			px1--; /* one background pixel between neighbours */
		int x = a->x + v->gutter + px0, y = a->y + (int)row * v->row_h;
		if (outline)
			render_frame(r, x, y, px1 - px0, v->cell_h, c);
		else
			render_rect(r, x, y, px1 - px0, v->cell_h, c);
	}
}

static struct rcolor lerp(struct rcolor a, struct rcolor b, double t)
{
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	return (struct rcolor){(uint8_t)(a.r + (b.r - a.r) * t), (uint8_t)(a.g + (b.g - a.g) * t),
	                       (uint8_t)(a.b + (b.b - a.b) * t), 255};
}

struct rcolor view_scale_colour(enum view_colour mode, double t)
{
	if (mode == VIEW_COLOUR_COST) /* cheap: dark teal, costly: hot orange */
		return lerp((struct rcolor){40, 110, 120, 255}, (struct rcolor){255, 120, 40, 255}, t);
	return lerp((struct rcolor){255, 210, 90, 255}, (struct rcolor){50, 90, 210, 255}, t);
}

struct rcolor view_caller_colour(uint32_t caller)
{
	if (caller == VIZ_NO_CALLER)
		return (struct rcolor){150, 150, 150, 255};
	return caller_palette[caller % (sizeof caller_palette / sizeof caller_palette[0])];
}

double view_log_scale(uint64_t x, uint64_t max)
{
	return max ? log1p((double)x) / log1p((double)max) : 0;
}

static struct rcolor block_colour(const struct view *v, viz_model *m, const struct viz_block *b,
                                  size_t pos)
{
	switch (v->colour) {
	case VIEW_COLOUR_AGE:
		return view_scale_colour(v->colour, view_log_scale(pos > b->born ? pos - b->born : 0, pos));
	case VIEW_COLOUR_CALLER:
		return view_caller_colour(b->site);
	case VIEW_COLOUR_COST:
		return view_scale_colour(v->colour,
		                         view_log_scale(viz_model_event(m, b->born)->size2,
		                                        viz_model_max_examined(m)));
	default:
		return VIZ_COL_USED;
	}
}

/* Index of the segment under window pixel (x, y) of area a, or -1. */
static long seg_at(const struct view *v, const struct view_rect *a, const struct view_seg *segs,
                   size_t n, int x, int y)
{
	if (x < a->x + v->gutter || x >= a->x + a->w || y < a->y || y >= a->y + a->h || n == 0)
		return -1;
	int cols = map_cols(v, a);
	int row = (y - a->y) / v->row_h;
	if (row >= map_rows(v, a))
		return -1;
	double u = (double)row * cols + (x - a->x - v->gutter) + 0.5;
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (segs[mid].u0 <= u)
			lo = mid;
		else
			hi = mid;
	}
	return u < segs[lo].u1 ? (long)lo : -1;
}

bool view_locate(struct view *v, uint64_t off, int *x, int *y)
{
	if (off < v->map_lo || off >= v->map_hi)
		return false;
	double total = map_total_u(v, &v->map);
	build_segs(v, v->m, &v->segs, &v->nsegs, &v->capsegs, total);
	double u0 = off_to_u(v->segs, v->nsegs, off, total);
	double u1 = off_to_u(v->segs, v->nsegs, off + viz_model_gran(v->m), total);
	double u = (u0 + u1) / 2;
	int cols = map_cols(v, &v->map);
	int row = (int)(u / cols);
	*x = v->map.x + v->gutter + (int)(u - (double)row * cols);
	*y = v->map.y + row * v->row_h + v->cell_h / 2;
	return true;
}

/* ---- drawing ---------------------------------------------------------------- */

static void draw_map(struct view *v, render *r, viz_model *m, const struct view_rect *a,
                     struct view_seg **segs, size_t *n, size_t *cap, uint32_t now,
                     const char *label)
{
	int th = render_text_height(r);
	double total = map_total_u(v, a);
	if (m == v->m)
		v->total_u = total;
	build_segs(v, m, segs, n, cap, total);
	size_t pos = viz_model_pos(m);
	size_t nb;
	const struct viz_block *blocks = viz_model_blocks(m, &nb);
	char b1[TEXT_NUM], b2[TEXT_NUM], title[256], at[64] = "";
	uint64_t base = viz_model_heap_base(m);
	const char *slash = strrchr(label, '/');
	if (v->other) { /* each trace's own position: the shorter one stays at its end */
		size_t count = viz_model_count(m);
		snprintf(at, sizeof at, pos ? "  event %s of %s%s" : "  start of %s%s",
		         pos ? text_commas(b1, pos - 1) : text_commas(b2, count),
		         pos ? text_commas(b2, count) : "",
		         pos == count && viz_model_pos(v->m) > pos ? " (ended)" : "");
	}
	snprintf(title, sizeof title, "%s%s  0x%" PRIx64 "..0x%" PRIx64 ", %s%s",
	         slash ? slash + 1 : label, at, base + v->map_lo, base + v->map_hi,
	         v->row_bytes ? text_bytes(b1, v->row_bytes) : "compressed scale",
	         v->row_bytes ? " a row" : "");
	text_fit(r, a->x, a->y - th - 1, a->w, v->other ? VIZ_COL_TEXT : VIZ_COL_DIM, title);
	/* address gutter: every row's address, or every 2nd, 4th... where rows are
	 * lower than the text, so labels stay round */
	if (v->gutter && v->row_bytes) {
		int every = 1;
		while (every * v->row_h < 2 * th)
			every *= 2;
		for (int row = 0; row < v->rows; row += every)
			text_draw(r, a->x, a->y + row * v->row_h + (v->cell_h - th) / 2, VIZ_COL_DIM,
			      "0x%08" PRIx64, base + v->map_lo + (uint64_t)row * v->row_bytes);
	}
	struct view_seg *s = *segs;
	const struct viz_event *e = pos ? viz_model_event(m, pos - 1) : NULL;
	uint8_t alpha = !v->noflash && now < v->flash_until && (now / VIEW_FLASH_MS) % 2 ? 150 : 255;
	/* at a failed alloc every hole is too small: tinted, the largest ones red */
	bool failing = e && e->kind == HEAP_EV_ALLOC_FAIL;
	uint64_t largest = failing ? viz_model_stats(m)->largest_free : 0;
	long first_largest = -1;
	for (size_t i = 0; i < *n; i++) {
		if (s[i].block < 0) {
			struct rcolor c = failing ? VIZ_COL_TOO_SMALL : VIZ_COL_FREE;
			if (failing && s[i].bytes == largest) {
				c = VIZ_COL_FAIL;
				c.a = alpha;
				if (first_largest < 0)
					first_largest = (long)i;
			}
			draw_span(r, v, a, s[i].u0, s[i].u1, c, false, false);
		} else {
			struct rcolor c = block_colour(v, m, &blocks[s[i].block], pos);
			if (m == v->m && v->site_pick != VIZ_NO_SITE &&
			    blocks[s[i].block].site != v->site_pick) /* a picked site: the rest dimmed */
				c = lerp(VIZ_COL_BG, c, 0.3);
			draw_span(r, v, a, s[i].u0, s[i].u1, c, true, false);
		}
	}
	/* --compare: the blocks the other trace does not have at the aligned event */
	if (v->other) {
		viz_model *o = m == v->m ? v->other : v->m;
		size_t no, j = 0;
		const struct viz_block *ob = viz_model_blocks(o, &no);
		blocks = viz_model_blocks(m, &nb); /* o's list is another model's: m's stays valid */
		for (size_t i = 0; i < *n; i++) {
			if (s[i].block < 0)
				continue;
			const struct viz_block *b = &blocks[s[i].block];
			while (j < no && ob[j].off < b->off)
				j++;
			if (j < no && ob[j].off == b->off && ob[j].bytes == b->bytes)
				continue;
			draw_span(r, v, a, s[i].u0, s[i].u1, VIZ_COL_DIFF, true, true);
			if (s[i].u1 - s[i].u0 >= 3)
				draw_span(r, v, a, s[i].u0 + 1, s[i].u1 - 1, VIZ_COL_DIFF, true, true);
		}
	}
	/* the current event */
	if (e && !e->bad && e->addr != VIZ_NO_ADDR) {
		uint64_t lo = e->addr, hi = lo;
		struct rcolor c = VIZ_COL_NEW;
		bool outline = false;
		switch (e->kind) {
		case HEAP_EV_ALLOC:
			hi = lo + e->block;
			break;
		case HEAP_EV_FREE:
			hi = lo + e->block;
			c = VIZ_COL_FREED;
			break;
		case HEAP_EV_SPLIT:
			hi = lo + e->size;
			c = VIZ_COL_SPLIT;
			outline = true;
			break;
		case HEAP_EV_COALESCE:
			hi = lo + e->size;
			c = VIZ_COL_MERGE;
			break;
		case HEAP_EV_REALLOC:
			hi = lo + e->size;
			outline = true;
			break;
		case HEAP_EV_MISUSE: /* the bytes the refused call named, in red */
			if (HEAP_MISUSE_OP(e->flags) != HEAP_OP_VEC_INDEX)
				hi = lo + (e->size ? e->size : 1);
			c = VIZ_COL_FAIL;
			break;
		default:
			break;
		}
		if (hi > lo && hi > v->map_lo && lo < v->map_hi) {
			c.a = alpha;
			draw_span(r, v, a, off_to_u(s, *n, lo, total), off_to_u(s, *n, hi, total),
			          c, true, outline);
		}
	}
	/* the failed request to scale, outlined from the start of the first largest
	 * hole: how far past it the request reaches */
	if (failing && first_largest >= 0) {
		uint64_t lo = s[first_largest].off, hi = lo + e->size;
		double u1 = hi < v->map_hi ? off_to_u(s, *n, hi, total) : total;
		draw_span(r, v, a, s[first_largest].u0, u1, VIZ_COL_NEW, false, true);
		draw_span(r, v, a, s[first_largest].u0 + 1, u1 - 1,
		          (struct rcolor){255, 220, 60, 160}, false, true); /* two pixels thick */
	}
	/* hover outline */
	long h = seg_at(v, a, s, *n, v->mx, v->my);
	if (h >= 0)
		draw_span(r, v, a, s[h].u0, s[h].u1, (struct rcolor){255, 255, 255, 255}, false,
		          true);
}

/* e's fields as a heap_event for the shared event wording (trace_reader.h):
 * addresses absolute, 0 where e has none; the caller left out. */
static struct heap_event event_fields(const struct viz_event *e, uint64_t base)
{
	return (struct heap_event){.kind = e->kind, .flags = e->flags,
	                           .align_log2 = e->align_log2, .size = e->size,
	                           .block = e->block, .size2 = e->size2,
	                           .addr = e->addr == VIZ_NO_ADDR ? 0 : base + e->addr,
	                           .addr2 = e->addr2 == VIZ_NO_ADDR ? 0 : base + e->addr2};
}

static void describe_event(const viz_model *m, const struct viz_event *e, char *buf, size_t len)
{
	char b1[TEXT_NUM], b2[TEXT_NUM], b3[TEXT_NUM];
	uint64_t base = viz_model_heap_base(m);
	const struct viz_caller *c = viz_model_caller(m, e->aux);
	const char *fn = c ? c->fn : "?";
	switch (e->kind) {
	case HEAP_EV_ALLOC:
		snprintf(buf, len, "alloc %s B (block %s) at 0x%" PRIx64 " by %s",
		         text_commas(b1, e->size), text_commas(b2, e->block), base + e->addr, fn);
		break;
	case HEAP_EV_FREE:
		snprintf(buf, len, "free block %s at 0x%" PRIx64 " by %s", text_commas(b1, e->block),
		         base + e->addr, fn);
		break;
	case HEAP_EV_SPLIT:
		snprintf(buf, len, "split free block 0x%" PRIx64 " (%s B), %s B stay free",
		         base + e->addr, text_commas(b1, e->size), text_commas(b2, e->size2));
		break;
	case HEAP_EV_COALESCE:
		snprintf(buf, len, "coalesce (%s) into 0x%" PRIx64 ", %s B", heap_merged_name(e->flags),
		         base + e->addr, text_commas(b1, e->size));
		break;
	case HEAP_EV_ALLOC_FAIL:
		snprintf(buf, len, "ALLOC FAILED: %s B by %s; free %s B, largest %s B",
		         text_commas(b1, e->size), fn, text_commas(b2, e->block),
		         text_commas(b3, e->size2));
		break;
	case HEAP_EV_MARKER:
		snprintf(buf, len, "marker \"%s\"", viz_model_marker_name(m, e));
		break;
	case HEAP_EV_DROP:
		snprintf(buf, len, "%s events dropped", text_commas(b1, e->size));
		break;
	case HEAP_EV_MISUSE: {
		struct heap_event h = event_fields(e, base);
		char what[160];
		snprintf(buf, len, "MISUSE: %s by %s", trace_misuse_describe(&h, what, sizeof what),
		         fn);
		break;
	}
	default: { /* init, realloc, end: the fields the trace format gives them */
		struct heap_event h = event_fields(e, base);
		char what[200];
		snprintf(buf, len, "%s: %s%s%s", heap_event_kind_name(e->kind),
		         trace_event_fields_text(&h, what, sizeof what),
		         heap_event_has_caller(e->kind) ? " by " : "",
		         heap_event_has_caller(e->kind) ? fn : "");
		break;
	}
	}
	if (e->bad)
		strncat(buf, "  [does not fit the heap state: ignored]", len - strlen(buf) - 1);
}

bool view_panic_text(const struct view *v, char *buf, size_t n)
{
	size_t pos;
	const struct heap_event *ev = viz_model_misuse(v->m, &pos);
	if (n)
		buf[0] = 0;
	if (!ev)
		return false;
	char what[160], who[96];
	const struct viz_caller *c = viz_model_caller(v->m, viz_model_event(v->m, pos - 1)->aux);
	if (c && strcmp(c->fn, "??") != 0)
		snprintf(who, sizeof who, "%s", c->fn);
	else
		snprintf(who, sizeof who, "0x%" PRIx64, ev->caller);
	snprintf(buf, n, "PANIC: %s by %s", trace_misuse_describe(ev, what, sizeof what), who);
	return true;
}

const char *view_colour_name(enum view_colour c)
{
	static const char *names[VIEW_COLOUR_COUNT] = {"state", "age", "call site", "cost"};
	return c < VIEW_COLOUR_COUNT ? names[c] : "?";
}

size_t view_position_text(const struct view *v, char *buf, size_t n)
{
	size_t pos = viz_model_pos(v->m), count = viz_model_count(v->m);
	char b1[TEXT_NUM], b2[TEXT_NUM];
	if (pos == 0)
		return (size_t)snprintf(buf, n, "start, %s events", text_commas(b2, count));
	return (size_t)snprintf(buf, n, "event %s of %s", text_commas(b1, pos - 1),
	                        text_commas(b2, count));
}

/* Whether the status line has a third line: the panic's cause, or how the
 * compared traces differ. */
static bool status_third_line(const struct view *v)
{
	return viz_model_misuse(v->m, NULL) || (v->other && v->divergence_known);
}

/* The status line: where the replay is and what the current event did; how it
 * plays; the panic's cause and the divergence. Every line elided to the width. */
static void draw_status(struct view *v, render *r, uint32_t now)
{
	int th = render_text_height(r), w = v->status.w - 12;
	size_t pos = viz_model_pos(v->m);
	char at[64], ev[200] = "(no event applied yet)", line[300];
	if (pos)
		describe_event(v->m, viz_model_event(v->m, pos - 1), ev, sizeof ev);
	render_rect(r, 0, 0, v->status.w, v->status.h, (struct rcolor){36, 36, 44, 255});
	view_position_text(v, at, sizeof at);
	const char *slash = strrchr(v->name, '/');
	snprintf(line, sizeof line, "%s  %s   %s", slash ? slash + 1 : v->name, at, ev);
	text_fit(r, 6, 3, w, VIZ_COL_TEXT, line);
	const char *cm = view_colour_name(v->colour);
	snprintf(line, sizeof line, "%s x%.0f ev/s   colour: %s   %s%s%s   h: help",
	         v->playing ? "PLAYING" : "paused", v->speed, cm,
	         v->follow
	             ? (v->live ? "LIVE (following)" : "following (scrubbed back; End = live)")
	             : "",
	         v->follow && v->complete ? " - trace complete" : "",
	         !v->follow && !v->complete ? "INCOMPLETE trace (no end event)" : "");
	int mw = 0;
	if (v->message[0] && now < v->message_until) {
		mw = render_text_width(r, v->message);
		mw = mw > w / 2 ? w / 2 : mw;
		text_fit(r, 6 + w - mw, 5 + th, mw, VIZ_COL_NEW, v->message);
		mw += 16;
	}
	if (v->prompting) {
		snprintf(line, sizeof line, "zoom to LO:HI or LO+LEN (Enter; Esc: cancel): %s_",
		         v->prompt);
		text_fit(r, 6, 5 + th, w - mw, VIZ_COL_NEW, line);
	} else {
		text_fit(r, 6, 5 + th, w - mw, VIZ_COL_DIM, line);
	}
	if (!status_third_line(v))
		return;
	int x = 6, y = 7 + 2 * th;
	if (view_panic_text(v, line, sizeof line))
		x += text_fit(r, x, y, w, VIZ_COL_FAIL, line) + 16;
	if (v->other && v->divergence_known) {
		char b1[TEXT_NUM];
		if (v->divergence == SIZE_MAX)
			snprintf(line, sizeof line, "the traces agree event for event");
		else
			snprintf(line, sizeof line, "first divergence: event %s (v)",
			         text_commas(b1, v->divergence));
		if (x - 6 < w)
			text_fit(r, x, y, w - (x - 6), VIZ_COL_MERGE, line);
	}
}

static void draw_help(struct view *v, render *r)
{
	static const char *lines[] = {
	    "heapviz keys",
	    "space        play / pause",
	    "+ / -        faster / slower",
	    "right, left  step one event (shift: 100, ctrl: 10000)",
	    "pgdn, pgup   step 1% of the trace",
	    "home, end    start / end (end = live when following)",
	    "p            peak memory use",
	    "f / F        next / previous alloc failure",
	    "c / C        next / previous coalesce",
	    "m / M        next / previous marker",
	    "u            the misuse the run panicked on",
	    "v / V        next / previous divergence (--compare)",
	    "z / x        zoom in / out (mouse wheel: at the pointer)",
	    "0 / w        the part of the heap used / the whole heap",
	    "g            zoom to a typed range: LO:HI or LO+LEN (addresses or offsets)",
	    "s            compressed scale (small blocks get room)",
	    "a            colour by state / age / call site / cost (search length)",
	    "t            call-site table order: live bytes / peak / allocations",
	    "             (click a site: highlight its blocks; click the header: order)",
	    "d, F12       dump this frame to $HEAPVIZ_DUMP (or heapviz-frame.png)",
	    "h, ?, F1     this help;  q, esc  quit",
	    "mouse        hover: block details; timeline: click seeks, drag selects a range",
	    "esc          drop the selected range",
	};
	(void)v; /* the overlay covers the window, whatever the layout */
	int th = render_text_height(r), n = (int)(sizeof lines / sizeof lines[0]), ww, wh;
	render_size(r, &ww, &wh);
	int w = 0, lh = th + 1;
	for (int i = 0; i < n; i++)
		if (render_text_width(r, lines[i]) > w)
			w = render_text_width(r, lines[i]);
	w = w + 20 < ww ? w + 20 : ww; /* as wide as its longest line, else the window */
	int h = n * lh + 16 < wh ? n * lh + 16 : wh;
	int x = (ww - w) / 2, y = (wh - h) / 2; /* centred: it fits from 700x450 up */
	render_rect(r, x, y, w, h, (struct rcolor){10, 10, 14, 235});
	render_frame(r, x, y, w, h, VIZ_COL_TEXT);
	render_clip(r, x, y, w, h);
	for (int i = 0; i < n; i++)
		text_fit(r, x + 10, y + 8 + i * lh, w - 20, i ? VIZ_COL_TEXT : VIZ_COL_NEW, lines[i]);
	render_clip(r, 0, 0, 0, 0);
}

static void scan_markers(struct view *v)
{
	size_t count = viz_model_count(v->m);
	for (size_t i = v->markers_scanned; i < count; i++) {
		if (viz_model_event(v->m, i)->kind != HEAP_EV_MARKER)
			continue;
		if (v->nmarkers == v->capmarkers) {
			size_t c = v->capmarkers ? v->capmarkers * 2 : 64;
			uint32_t *p = realloc(v->markers, c * sizeof *p);
			if (!p)
				break;
			v->markers = p;
			v->capmarkers = c;
		}
		v->markers[v->nmarkers++] = (uint32_t)(i + 1);
	}
	v->markers_scanned = count;
}

/* The block under the pointer, on either map, into v->hover. */
static void find_hover(struct view *v)
{
	struct view_hover *h = &v->hover;
	h->valid = false;
	long i = seg_at(v, &v->map, v->segs, v->nsegs, v->mx, v->my);
	h->m = v->m;
	if (i < 0 && v->other) {
		i = seg_at(v, &v->other_map, v->osegs, v->nosegs, v->mx, v->my);
		h->m = v->other;
		if (i >= 0)
			h->valid = viz_model_hit(v->other, v->osegs[i].off, &h->b, &h->is_free);
		return;
	}
	if (i >= 0)
		h->valid = viz_model_hit(v->m, v->segs[i].off, &h->b, &h->is_free);
}

void view_draw(struct view *v, render *r, uint32_t now)
{
	int w, h;
	render_size(r, &w, &h);
	view_layout(v, w, h, render_text_height(r));
	scan_markers(v);
	render_clear(r, VIZ_COL_BG);
	draw_status(v, r, now);
	render_clip(r, v->map.x, v->map.y - render_text_height(r) - 2, v->map.w,
	            v->map.h + render_text_height(r) + 2);
	draw_map(v, r, v->m, &v->map, &v->segs, &v->nsegs, &v->capsegs, now, v->name);
	render_clip(r, 0, 0, 0, 0);
	if (v->other) {
		struct view_rect *o = &v->other_map;
		render_clip(r, o->x, o->y - render_text_height(r) - 2, o->w,
		            o->h + render_text_height(r) + 2);
		draw_map(v, r, v->other, o, &v->osegs, &v->nosegs, &v->caposegs, now,
		         v->other_name);
		render_clip(r, 0, 0, 0, 0);
	}
	find_hover(v);
	panel_draw(v, r);
	timeline_draw(v, r);
	if (v->help)
		draw_help(v, r);
}

/* ---- input ---------------------------------------------------------------- */

static void timeline_seek(struct view *v, int x)
{
	if (v->tl_sw < 2)
		return;
	view_seek(v, timeline_pos_at(v, x));
	v->live = v->follow && viz_model_pos(v->m) == viz_model_count(v->m);
	v->playing = false;
}

/* A press on the timeline that moved more than this many pixels selects. */
#define DRAG_SELECT_PX 4

static int by_bytes_then_caller(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b; /* {bytes, count, caller} */
	return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : (x[2] > y[2]) - (x[2] < y[2]);
}

/* Whether event i of the two traces is the same heap operation (the fields
 * the map shows: kind, addresses, sizes, flags); an event only one trace has
 * differs. */
static bool same_event(const struct view *v, size_t i)
{
	if (i >= viz_model_count(v->m) || i >= viz_model_count(v->other))
		return false;
	const struct viz_event *a = viz_model_event(v->m, i), *b = viz_model_event(v->other, i);
	return a->kind == b->kind && a->addr == b->addr && a->addr2 == b->addr2 &&
	       a->size == b->size && a->block == b->block && a->flags == b->flags &&
	       (a->kind == HEAP_EV_ALLOC || a->size2 == b->size2); /* an alloc's size2: its search */
}

size_t view_next_divergence(const struct view *v, size_t pos, int dir)
{
	size_t n = viz_model_count(v->m), no = v->other ? viz_model_count(v->other) : 0;
	size_t end = n > no ? n : no;
	if (!v->other)
		return SIZE_MAX;
	if (dir > 0) {
		for (size_t i = pos; i < end; i++) /* events from the one after the current */
			if (!same_event(v, i))
				return i;
	} else {
		for (size_t i = pos >= 2 ? pos - 1 : 0; i-- > 0;) /* before the current one */
			if (!same_event(v, i))
				return i;
	}
	return SIZE_MAX;
}

void view_select(struct view *v, size_t a, size_t b)
{
	viz_model *m = v->m;
	size_t count = viz_model_count(m);
	memset(&v->sel, 0, sizeof v->sel);
	if (b > count)
		b = count;
	if (b <= a)
		return;
	size_t keep = viz_model_pos(m);
	viz_model_seek(m, a);
	uint64_t used = viz_model_stats(m)->used_bytes;
	viz_model_seek(m, keep);
	struct view_range *s = &v->sel;
	s->a = a;
	s->b = b;
	s->used_start = used;
	s->peak_used = used;
	s->peak_pos = a;
	size_t nc = viz_model_callers(m);
	uint64_t(*site)[3] = calloc(nc + 1, sizeof *site); /* bytes, count, caller; [nc] unknown */
	for (size_t i = a; i < b; i++) {
		const struct viz_event *e = viz_model_event(m, i);
		if (e->bad)
			continue;
		if (e->kind == HEAP_EV_ALLOC) {
			s->allocs++;
			s->alloc_bytes += e->block;
			used += e->block;
			if (site) {
				size_t k = e->aux < nc ? e->aux : nc;
				site[k][0] += e->block;
				site[k][1]++;
			}
		} else if (e->kind == HEAP_EV_FREE) {
			s->frees++;
			s->freed_bytes += e->block;
			used -= e->block < used ? e->block : used;
		} else if (e->kind == HEAP_EV_ALLOC_FAIL) {
			s->fails++;
		}
		if (used > s->peak_used) {
			s->peak_used = used;
			s->peak_pos = i + 1;
		}
	}
	if (!site)
		return;
	for (size_t k = 0; k <= nc; k++)
		site[k][2] = k < nc ? k : VIZ_NO_CALLER;
	qsort(site, nc + 1, sizeof *site, by_bytes_then_caller);
	for (size_t k = 0; k <= nc && s->ntop < VIEW_RANGE_TOP && site[k][0]; k++) {
		s->top[s->ntop].caller = (uint32_t)site[k][2];
		s->top[s->ntop].bytes = site[k][0];
		s->top[s->ntop].count = site[k][1];
		s->ntop++;
	}
	free(site);
}

static bool in_rect(const struct view_rect *a, int x, int y)
{
	return x >= a->x && x < a->x + a->w && y >= a->y && y < a->y + a->h;
}

/* Zooms the shown range by factor (0.5: in), keeping centre where it is. */
static void zoom(struct view *v, double factor, uint64_t centre)
{
	uint64_t size = viz_model_heap_size(v->m), gran = viz_model_gran(v->m);
	uint64_t cur_lo, cur_hi;
	wanted_range(v, &cur_lo, &cur_hi);
	double span = (double)(cur_hi - cur_lo) * factor;
	if (span >= (double)size) {
		view_whole(v);
		return;
	}
	if (centre < cur_lo || centre > cur_hi)
		centre = (cur_lo + cur_hi) / 2;
	double frac = (double)(centre - cur_lo) / (double)(cur_hi - cur_lo);
	double lo = (double)centre - frac * span;
	if (lo < 0)
		lo = 0;
	if (lo + span > (double)size)
		lo = (double)size - span;
	uint64_t l = (uint64_t)lo & ~(gran - 1);
	view_zoom_to(v, l, l + (uint64_t)span);
}

/* Heap offset under the pointer, or the middle of the shown range. */
static uint64_t pointer_off(struct view *v)
{
	long h = seg_at(v, &v->map, v->segs, v->nsegs, v->mx, v->my);
	return h >= 0 ? v->segs[h].off + v->segs[h].bytes / 2 : (v->map_lo + v->map_hi) / 2;
}

static void jump_kind(struct view *v, unsigned kind, int dir, uint32_t now, const char *what)
{
	size_t pos = viz_model_pos(v->m);
	size_t i;
	if (dir > 0)
		i = viz_model_find(v->m, pos, 1, kind);
	else
		i = pos >= 2 ? viz_model_find(v->m, pos - 2, -1, kind) : SIZE_MAX;
	if (i == SIZE_MAX) {
		char msg[80];
		snprintf(msg, sizeof msg, "no %s %s", dir > 0 ? "next" : "previous", what);
		set_message(v, now, msg);
		return;
	}
	view_seek(v, i + 1);
}

/* A click at height y on the panel: on the call-site table's header, the next
 * order; on a site, highlight its blocks (again: stop). */
static void site_table_click(struct view *v, int y)
{
	if (v->site_header_y >= 0 && y >= v->site_header_y && y < v->site_header_y + v->line_h) {
		v->site_sort = (enum site_sort)((v->site_sort + 1) % SITE_SORTS);
		return;
	}
	for (int i = 0; i < v->nsite_rows; i++)
		if (y >= v->site_rows[i].y && y < v->site_rows[i].y + v->line_h) {
			uint32_t s = v->site_rows[i].site;
			v->site_pick = v->site_pick == s ? VIZ_NO_SITE : s;
			return;
		}
}

/* Mouse input: hover, dragging on the timeline, zooming the map with the wheel. */
static void pointer_input(struct view *v, const struct rinput *in)
{
	switch (in->type) {
	case RI_MOUSE_MOVE:
		v->mx = in->x;
		v->my = in->y;
		if (v->drag_timeline && in->button &&
		    (v->drag_selects || abs(in->x - v->drag_x0) > DRAG_SELECT_PX)) {
			v->drag_selects = true;
			size_t p0 = timeline_pos_at(v, v->drag_x0), p1 = timeline_pos_at(v, in->x);
			v->sel.a = p0 < p1 ? p0 : p1; /* shown while dragging; summarised on release */
			v->sel.b = p0 < p1 ? p1 : p0;
		}
		break;
	case RI_MOUSE_DOWN: /* a click on the timeline seeks there (and drops a selection) */
		v->mx = in->x;
		v->my = in->y;
		if (in->button == 1 && in_rect(&v->panel, in->x, in->y))
			site_table_click(v, in->y);
		if (in->button == 1 && in_rect(&v->timeline, in->x, in->y)) {
			v->drag_timeline = true;
			v->drag_selects = false;
			v->drag_x0 = in->x;
			memset(&v->sel, 0, sizeof v->sel);
			timeline_seek(v, in->x);
		}
		break;
	case RI_MOUSE_UP:
		if (v->drag_timeline && v->drag_selects)
			view_select(v, v->sel.a, v->sel.b);
		v->drag_timeline = false;
		v->drag_selects = false;
		break;
	case RI_WHEEL:
		v->mx = in->x;
		v->my = in->y;
		if (in_rect(&v->map, in->x, in->y) && in->wheel)
			zoom(v, in->wheel > 0 ? 0.5 : 2.0, pointer_off(v));
		break;
	default:
		break;
	}
}

/* Keys that change how the replay plays or what is shown, without pausing
 * it. Returns false for any other key. */
static bool key_play_or_show(struct view *v, int key, bool shift)
{
	switch (key) {
	case ' ':
		v->playing = !v->playing;
		if (v->playing && viz_model_pos(v->m) == viz_model_count(v->m) && !v->follow)
			view_seek(v, 0);
		v->live = false;
		return true;
	case '+':
	case '=':
		v->speed = v->speed * 2 > 1e7 ? 1e7 : v->speed * 2;
		return true;
	case '-':
		v->speed = v->speed / 2 < 1 ? 1 : v->speed / 2;
		return true;
	case 'z':
		zoom(v, 0.5, pointer_off(v));
		return true;
	case 'x':
		zoom(v, 2.0, pointer_off(v));
		return true;
	case '0':
		view_fit(v);
		return true;
	case 'w':
		if (v->whole && !v->zoomed)
			view_fit(v);
		else
			view_whole(v);
		return true;
	case 'g':
		v->prompting = true;
		v->prompt[0] = 0;
		return true;
	case 's':
		v->compressed = !v->compressed;
		return true;
	case 'a':
		v->colour = (enum view_colour)((v->colour + 1) % VIEW_COLOUR_COUNT);
		return true;
	case 't':
		v->site_sort = (enum site_sort)((v->site_sort + 1) % SITE_SORTS);
		return true;
	case '/':
		if (!shift)
			return true;          /* a key without a meaning: nothing happens */
		__attribute__((fallthrough)); /* "?" */
	case 'h':
	case RK_F1:
		v->help = !v->help;
		return true;
	default:
		return false;
	}
}

/* Keys that move the cursor: by events (Shift x100, Ctrl x10000), by 1% of
 * the trace, to either end, to the peak, or to the next (Shift: previous)
 * event of interest. Returns false for any other key. */
static bool key_seek(struct view *v, const struct rinput *in, uint32_t now)
{
	size_t pos = viz_model_pos(v->m), count = viz_model_count(v->m);
	bool shift = in->mod & RMOD_SHIFT, ctrl = in->mod & RMOD_CTRL;
	size_t step = ctrl ? 10000 : shift ? 100 : 1;
	size_t pct = count / 100 ? count / 100 : 1;
	switch (in->key) {
	case RK_RIGHT:
		view_seek(v, pos + step);
		return true;
	case RK_LEFT:
		view_seek(v, pos > step ? pos - step : 0);
		return true;
	case RK_PAGEDOWN:
		view_seek(v, pos + pct);
		return true;
	case RK_PAGEUP:
		view_seek(v, pos > pct ? pos - pct : 0);
		return true;
	case RK_HOME:
		view_seek(v, 0);
		return true;
	case 'p':
		view_seek(v, viz_model_peak_pos(v->m, NULL));
		return true;
	case 'f':
		jump_kind(v, HEAP_EV_ALLOC_FAIL, shift ? -1 : 1, now, "alloc failure");
		return true;
	case 'c':
		jump_kind(v, HEAP_EV_COALESCE, shift ? -1 : 1, now, "coalesce");
		return true;
	case 'm':
		jump_kind(v, HEAP_EV_MARKER, shift ? -1 : 1, now, "marker");
		return true;
	case 'u': {
		size_t mp;
		if (viz_model_misuse(v->m, &mp))
			view_seek(v, mp);
		else
			set_message(v, now, "no misuse: the run did not panic on one");
		return true;
	}
	case 'v': {
		size_t d = v->other ? view_next_divergence(v, pos, shift ? -1 : 1) : SIZE_MAX;
		if (d != SIZE_MAX)
			view_seek(v, d + 1);
		else
			set_message(v, now,
			            !v->other ? "no --compare trace"
			            : shift   ? "no earlier divergence"
			                      : "no further divergence");
		return true;
	}
	default:
		return false;
	}
}

/* g's prompt: typing a range (view_parse_range's forms); Enter zooms to it,
 * Esc gives up. */
static void prompt_key(struct view *v, const struct rinput *in, uint32_t now)
{
	int k = in->key;
	size_t len = strlen(v->prompt);
	if (k == RK_ESCAPE) {
		v->prompting = false;
	} else if (k == '\r' || k == '\n') {
		uint64_t lo, hi;
		char err[160];
		if (view_parse_range(v, v->prompt, &lo, &hi, err, sizeof err)) {
			view_zoom_to(v, lo, hi);
			v->prompting = false;
		} else {
			set_message(v, now, err);
		}
	} else if (k == '\b') {
		if (len)
			v->prompt[len - 1] = 0;
	} else if (k > 0 && k < 128 && len + 1 < sizeof v->prompt) {
		if (in->mod & RMOD_SHIFT)
			k = k == ';' ? ':' : k == '=' ? '+' : k;
		if (strchr("0123456789abcdefx:+", k)) {
			v->prompt[len] = (char)k;
			v->prompt[len + 1] = 0;
		}
	}
}

enum view_action view_input(struct view *v, const struct rinput *in, uint32_t now)
{
	if (in->type == RI_QUIT)
		return VIEW_QUIT;
	if (v->prompting && in->type == RI_KEY) {
		prompt_key(v, in, now);
		return VIEW_NONE;
	}
	if (in->type != RI_KEY) {
		pointer_input(v, in);
		return VIEW_NONE;
	}
	switch (in->key) {
	case 'q':
		return VIEW_QUIT;
	case RK_ESCAPE: /* closes the help, else drops the selection, else quits */
		if (v->help) {
			v->help = false;
			return VIEW_NONE;
		}
		if (v->sel.b > v->sel.a) {
			memset(&v->sel, 0, sizeof v->sel);
			return VIEW_NONE;
		}
		return VIEW_QUIT;
	case 'd':
	case RK_F12:
		return VIEW_DUMP;
	case RK_END: /* the end, and live following again if the trace grows */
		view_seek(v, viz_model_count(v->m));
		v->playing = false;
		v->live = v->follow;
		return VIEW_NONE;
	default:
		break;
	}
	if (!key_play_or_show(v, in->key, in->mod & RMOD_SHIFT) && key_seek(v, in, now)) {
		v->playing = false; /* a seek pauses playback and leaves live following */
		v->live = false;
	}
	return VIEW_NONE;
}

void view_tick(struct view *v, uint32_t dt_ms)
{
	size_t count = viz_model_count(v->m);
	if (v->follow && v->live) {
		view_seek(v, count);
		return;
	}
	if (!v->playing)
		return;
	v->acc += v->speed * dt_ms / 1000.0;
	size_t n = (size_t)v->acc;
	v->acc -= (double)n;
	size_t pos = viz_model_pos(v->m);
	if (pos + n >= count) {
		view_seek(v, count);
		if (v->follow)
			v->live = true;
		v->playing = false;
		return;
	}
	view_seek(v, pos + n);
}
