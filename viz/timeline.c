/* timeline.c - heapviz's timeline: used bytes, largest free block and
 * fragmentation across the whole trace, each strip's y axis scaled to its data
 * with its top labelled; above them a band of marks (alloc failures, the peak,
 * the panic, the divergence) that the playhead never covers; named markers; the
 * selected range of events; the playhead.
 */
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>

#include "text.h"

#define MARK_BAND 8 /* pixels above the strips for failure, peak and panic marks */
#define STRIPS    3

int timeline_height(int strip_h, int text_h)
{
	return MARK_BAND + STRIPS * strip_h + text_h + 10;
}

/* The smallest "round" value >= x: 1, 1.5 (as 3/2), 2, 3, 4, 6, 8, ... times
 * a power of two, so byte axes read 512 KiB, 768 KiB, 1 MiB. */
static uint64_t round_up_bytes(uint64_t x)
{
	uint64_t p = 1;
	while (p < x && p < (UINT64_C(1) << 62)) {
		if (p >= 2 && p + p / 2 >= x)
			return p + p / 2;
		p *= 2;
	}
	return p;
}

/* The axis top for a fragmentation (0..1) of at most x. */
static double round_up_frag(double x)
{
	static const double steps[] = {0.05, 0.1, 0.25, 0.5, 1.0};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (x <= steps[i])
			return steps[i];
	return 1.0;
}

/* Pixel column of position pos. */
static int pos_x(const struct view *v, size_t pos, size_t count)
{
	return v->tl_sx + (int)((double)pos * (v->tl_sw - 1) / (count ? count : 1));
}

int timeline_x(const struct view *v, size_t pos)
{
	return pos_x(v, pos, viz_model_count(v->m));
}

struct view_rect timeline_strip(const struct view *v, int k)
{
	int y_top = v->timeline.y + MARK_BAND + 2;
	return (struct view_rect){v->tl_sx, y_top + k * v->strip_h, v->tl_sw, v->strip_h - 2};
}

int timeline_mark_y(const struct view *v)
{
	return v->timeline.y + 1 + MARK_BAND / 2;
}

/* One strip's values per pixel column (the highest in the column; -1: none),
 * from the samples, scaled to the strip's height by the axis top. */
struct strip {
	const char *name;
	struct rcolor colour;
	double top;     /* axis top, in the strip's unit */
	char label[32]; /* the top's label */
	int32_t *col;   /* sw values */
};

static double sample_value(const struct viz_sample *s, int k)
{
	if (k == 0)
		return s->used_max;
	if (k == 1)
		return s->largest_free;
	return s->free_bytes ? 1.0 - (double)s->largest_free / s->free_bytes : 0;
}

static void strips_fill(struct view *v, struct strip st[STRIPS], const struct viz_sample *s,
                        size_t ns, size_t count, int hpix)
{
	double max[STRIPS] = {0, 0, 0};
	for (size_t i = 0; i < ns; i++)
		for (int k = 0; k < STRIPS; k++)
			if (sample_value(&s[i], k) > max[k])
				max[k] = sample_value(&s[i], k);
	char b1[TEXT_NUM];
	for (int k = 0; k < STRIPS; k++) {
		if (k < 2) {
			st[k].top = (double)round_up_bytes(max[k] > 1 ? (uint64_t)max[k] : 1);
			snprintf(st[k].label, sizeof st[k].label, "%s",
			         text_bytes(b1, (uint64_t)st[k].top));
		} else {
			st[k].top = round_up_frag(max[k]);
			snprintf(st[k].label, sizeof st[k].label, "%.0f%%", st[k].top * 100);
		}
		for (int c = 0; c < v->tl_sw; c++)
			st[k].col[c] = -1;
	}
	for (size_t i = 0; i < ns; i++) {
		int c = pos_x(v, s[i].pos, count) - v->tl_sx;
		for (int k = 0; k < STRIPS; k++) {
			int32_t val = (int32_t)(sample_value(&s[i], k) * hpix / st[k].top + 0.5);
			if (k == 1) /* the largest free block at the column's last sample */
				st[k].col[c] = val;
			else if (val > st[k].col[c])
				st[k].col[c] = val;
		}
	}
}

static void draw_strip(struct view *v, render *r, const struct strip *st, int y0, int h)
{
	const struct view_rect *t = &v->timeline;
	int th = render_text_height(r), sx = v->tl_sx, sw = v->tl_sw, base = y0 + h - 3;
	render_rect(r, sx, y0, sw, h - 2, (struct rcolor){40, 40, 48, 255});
	text_fit(r, t->x + 2, y0 + (h - 2 - th) / 2, sx - t->x - 4, st->colour, st->name);
	int32_t prev = 0;
	for (int c = 0; c < sw; c++) {
		int32_t val = st->col[c] >= 0 ? st->col[c] : prev;
		prev = val;
		if (val > 0)
			render_line(r, sx + c, base, sx + c, base - val, st->colour);
	}
	/* the axis: its top and middle as faint lines, the top labelled at the right */
	struct rcolor grid = {200, 200, 210, 60};
	render_line(r, sx, base - (h - 5), sx + sw - 1, base - (h - 5), grid);
	render_line(r, sx, base - (h - 5) / 2, sx + sw - 1, base - (h - 5) / 2, grid);
	int lw = render_text_width(r, st->label);
	if (lw + 4 < sw && th <= h - 2) {
		render_rect(r, sx + sw - lw - 4, y0, lw + 4, th, (struct rcolor){40, 40, 48, 200});
		render_text(r, sx + sw - lw - 2, y0, st->label, VIZ_COL_DIM);
	}
}

/* The markers' lines through the strips, their names at the top of the first
 * strip where there is room for them. */
static void draw_markers(struct view *v, render *r, int y_top, int y_bot, size_t count)
{
	int name_end = 0, th = render_text_height(r);
	for (size_t i = 0; i < v->nmarkers; i++) {
		int x = pos_x(v, v->markers[i], count);
		render_line(r, x, y_top, x, y_bot, (struct rcolor){150, 150, 160, 140});
		const char *name =
		    viz_model_marker_name(v->m, viz_model_event(v->m, v->markers[i] - 1));
		int w = render_text_width(r, name);
		if (x + 2 >= name_end && x + 2 + w <= v->tl_sx + v->tl_sw && th <= y_bot - y_top) {
			render_text(r, x + 2, y_top, name, (struct rcolor){190, 190, 200, 255});
			name_end = x + 2 + w + 6;
		}
	}
}

void timeline_draw(struct view *v, render *r)
{
	int th = render_text_height(r);
	const struct view_rect *t = &v->timeline;
	int lab = 9 * render_text_width(r, "M");
	v->tl_sx = t->x + lab;
	v->tl_sw = t->w - lab;
	size_t count = viz_model_count(v->m);
	render_rect(r, t->x, t->y, t->w, t->h, (struct rcolor){30, 30, 36, 255});
	if (v->tl_sw < 2 || count == 0)
		return;
	int sx = v->tl_sx, sw = v->tl_sw, h = v->strip_h;
	size_t ns;
	const struct viz_sample *s = viz_model_series(v->m, &ns);
	int32_t *cols = malloc(sizeof(int32_t) * STRIPS * (size_t)sw);
	if (!cols)
		return;
	struct strip st[STRIPS] = {
	    {"used", VIZ_COL_USED, 0, "", cols},
	    {"largest", VIZ_COL_LARGEST, 0, "", cols + sw},
	    {"frag", VIZ_COL_FRAG, 0, "", cols + 2 * sw},
	};
	strips_fill(v, st, s, ns, count, h - 5);
	int y_top = t->y + MARK_BAND + 2, y_bot = y_top + STRIPS * h;
	for (int k = 0; k < STRIPS; k++)
		draw_strip(v, r, &st[k], y_top + k * h, h);
	free(cols);
	/* the selected range */
	if (v->sel.b > v->sel.a) {
		int x0 = pos_x(v, v->sel.a, count), x1 = pos_x(v, v->sel.b, count);
		render_rect(r, x0, y_top, x1 - x0 + 1, y_bot - y_top,
		            (struct rcolor){120, 170, 255, 60});
		render_frame(r, x0, y_top, x1 - x0 + 1, y_bot - y_top,
		             (struct rcolor){120, 170, 255, 200});
	}
	draw_markers(v, r, y_top, y_bot, count);
	if (v->other && v->divergence != SIZE_MAX) {
		int x = pos_x(v, v->divergence, count);
		render_line(r, x, y_top, x, y_bot, VIZ_COL_MERGE);
		render_rect(r, x - 1, t->y + 1, 3, MARK_BAND, VIZ_COL_MERGE);
	}
	size_t mp;
	if (viz_model_misuse(v->m, &mp)) { /* the panic's cause: a red bar, full height */
		int x = pos_x(v, mp, count);
		render_rect(r, x - 1, t->y + 1, 3, y_bot - t->y - 1, VIZ_COL_FAIL);
	}
	/* the playhead, then the marks above it so it never hides them */
	int px = pos_x(v, viz_model_pos(v->m), count);
	render_line(r, px, y_top, px, y_bot + 2, (struct rcolor){255, 255, 255, 255});
	size_t nf;
	const uint32_t *f = viz_model_fails(v->m, &nf);
	for (size_t i = 0, last_x = (size_t)-1; i < nf; i++) { /* positions ascend */
		int x = pos_x(v, f[i], count);
		if ((size_t)x == last_x)
			continue; /* one mark a pixel column: thousands of failures cost no more */
		last_x = (size_t)x;
		render_rect(r, x - 1, t->y + 1, 3, MARK_BAND, VIZ_COL_FAIL);
	}
	size_t pp = viz_model_peak_pos(v->m, NULL);
	if (pp) {
		int x = pos_x(v, pp, count);
		render_rect(r, x - 3, t->y + 2, 7, MARK_BAND - 2, VIZ_COL_NEW);
	}
	char b1[TEXT_NUM], line[200];
	snprintf(line, sizeof line,
	         "0 .. %s events;  marks: yellow peak, red alloc failures (bar: panic);  click: "
	         "seek, drag: select a range",
	         text_commas(b1, count));
	text_fit(r, sx, y_bot + 2, sw, VIZ_COL_DIM, line);
	(void)th;
}

size_t timeline_pos_at(const struct view *v, int x)
{
	size_t count = viz_model_count(v->m);
	if (v->tl_sw < 2)
		return 0;
	double f = (double)(x - v->tl_sx) / (v->tl_sw - 1);
	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return (size_t)(f * count + 0.5);
}
