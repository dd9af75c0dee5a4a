/* panel.c - heapviz's side panel: the heap's figures at the cursor, then what the
 * user points at or asks about (the block under the pointer, else the free
 * blocks by size), and at the bottom the legend of the colour mode shown.
 * Every line goes through text.h's column, so nothing is cut off: what does
 * not fit the panel's height is left out, lowest priority first.
 */
#include "panel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"
#include "text.h"

#define SWATCH_W 10 /* legend colour swatch, pixels */

/* ---- figures ---------------------------------------------------------------- */

/* The figures of m at its cursor, one per line. */
static void figures(struct text_col *t, viz_model *m)
{
	const struct heap_model_stats st = *viz_model_stats(m);
	uint64_t size = viz_model_heap_size(m), peak;
	size_t pp = viz_model_peak_pos(m, &peak);
	char b1[TEXT_NUM], b2[TEXT_NUM], val[96];
	snprintf(val, sizeof val, "%s B %5.1f%%", text_commas(b1, st.used_bytes),
	         100.0 * st.used_bytes / size);
	text_pair(t, VIZ_COL_USED, "used", val);
	snprintf(val, sizeof val, "%s B %5.1f%%", text_commas(b1, st.free_bytes),
	         100.0 * st.free_bytes / size);
	text_pair(t, VIZ_COL_DIM, "free", val);
	snprintf(val, sizeof val, "%s B", text_commas(b1, st.largest_free));
	text_pair(t, VIZ_COL_LARGEST, "largest free", val);
	snprintf(val, sizeof val, "%s free, %s live", text_commas(b1, st.free_blocks),
	         text_commas(b2, st.live_blocks));
	text_pair(t, VIZ_COL_TEXT, "blocks", val);
	snprintf(val, sizeof val, "%.1f%%", st.frag * 100);
	text_pair(t, VIZ_COL_FRAG, "frag 1-largest/free", val);
	snprintf(val, sizeof val, "%.1f%%", st.frag_sq * 100);
	text_pair(t, VIZ_COL_FRAG, "frag 1-sum(f^2)/F^2", val);
	snprintf(val, sizeof val, "%s B at event %s", text_commas(b1, peak),
	         text_commas(b2, pp ? pp - 1 : 0));
	text_pair(t, VIZ_COL_DIM, "peak", val);
	if (viz_model_bad_events(m))
		text_line(t, VIZ_COL_FAIL, "%s events did not fit (ignored)",
		          text_commas(b1, viz_model_bad_events(m)));
	if (viz_model_dropped(m))
		text_line(t, VIZ_COL_FAIL, "%s events dropped: state may be inexact",
		          text_commas(b1, viz_model_dropped(m)));
}

/* --compare: each trace's own figures, compactly, under its name. */
static void figures_compared(struct text_col *t, viz_model *m, const char *name)
{
	const struct heap_model_stats *st = viz_model_stats(m);
	const char *slash = strrchr(name, '/');
	char b1[TEXT_NUM], b2[TEXT_NUM], val[96];
	uint64_t peak;
	viz_model_peak_pos(m, &peak);
	text_line(t, VIZ_COL_TEXT, "%s", slash ? slash + 1 : name);
	snprintf(val, sizeof val, "%s B %5.1f%%", text_commas(b1, st->used_bytes),
	         100.0 * st->used_bytes / viz_model_heap_size(m));
	text_pair(t, VIZ_COL_USED, "  used", val);
	snprintf(val, sizeof val, "%s B", text_commas(b1, st->largest_free));
	text_pair(t, VIZ_COL_LARGEST, "  largest free", val);
	snprintf(val, sizeof val, "%.1f%%, %s free, %s live", st->frag * 100,
	         text_commas(b1, st->free_blocks), text_commas(b2, st->live_blocks));
	text_pair(t, VIZ_COL_FRAG, "  frag", val);
	snprintf(val, sizeof val, "%s B", text_commas(b1, peak));
	text_pair(t, VIZ_COL_DIM, "  peak", val);
}

/* ---- the free blocks by size ---------------------------------------------------- */

/* Row b counts free blocks of [16 << b, 32 << b), the first row everything
 * smaller, the last everything bigger (the heap model counts by log2 of the size). */
#define HIST_ROWS 24
static void hist_rows(const struct heap_model_stats *st, uint32_t rows[HIST_ROWS])
{
	memset(rows, 0, HIST_ROWS * sizeof rows[0]);
	for (int k = 0; k < HEAP_MODEL_HIST_BUCKETS; k++) {
		int b = k - 4 < 0 ? 0 : k - 4 >= HIST_ROWS ? HIST_ROWS - 1 : k - 4;
		rows[b] += (uint32_t)(st->hist[k] > UINT32_MAX ? UINT32_MAX : st->hist[k]);
	}
}

/* One bar a row, from the smallest size class present to the biggest. */
static void histogram(struct text_col *t, viz_model *m)
{
	uint32_t hist[HIST_ROWS], maxh = 1;
	hist_rows(viz_model_stats(m), hist);
	int first = -1, last = -1;
	for (int b = 0; b < HIST_ROWS; b++) {
		if (hist[b] > maxh)
			maxh = hist[b];
		if (hist[b] && first < 0)
			first = b;
		if (hist[b])
			last = b;
	}
	if (!text_line(t, VIZ_COL_TEXT, "Free blocks by size") || first < 0)
		return;
	render *r = t->r;
	int th = render_text_height(r), cw = render_text_width(r, "M");
	int barx = t->x + 10 * cw, barw = t->w - 10 * cw - 7 * cw;
	for (int b = first; b <= last; b++) {
		int y = t->y;
		char b1[TEXT_NUM];
		if (!text_line(t, VIZ_COL_DIM, ">=%s", text_bytes(b1, 16ull << b)))
			return;
		int w = hist[b] ? (int)((double)barw * hist[b] / maxh) : 0;
		if (hist[b] && w < 1)
			w = 1;
		render_rect(r, barx, y + 2, w, th - 4, VIZ_COL_LARGEST);
		if (hist[b])
			text_draw(r, barx + w + 4, y, VIZ_COL_DIM, "%s", text_commas(b1, hist[b]));
	}
}

/* ---- a failed alloc ----------------------------------------------------------------- */

/* A bar of bytes on the scale where full pixels hold `scale` bytes, outlined or
 * filled, with its label after it; one line of t. */
static void bar_line(struct text_col *t, uint64_t bytes, uint64_t scale, int full, struct rcolor c,
                     bool outline, const char *label)
{
	int y = t->y, th = render_text_height(t->r);
	if (!text_line(t, VIZ_COL_DIM, "%s", ""))
		return;
	int w = scale ? (int)((double)full * bytes / scale) : 0;
	if (w < 1)
		w = 1;
	if (outline)
		render_frame(t->r, t->x, y + 2, w, th - 4, c);
	else
		render_rect(t->r, t->x, y + 2, w, th - 4, c);
	int lw = render_text_width(t->r, label);
	int lx = t->x + w + 4 + lw <= t->x + t->w ? t->x + w + 4 : t->x + t->w - lw;
	if (lx >= t->x)
		render_text(t->r, lx, y, label, VIZ_COL_TEXT);
}

#define FAIL_HOLES 256 /* largest holes ranked at a failure */

/* At a failed alloc: the request against the holes, to scale: the request, the
 * largest hole and its shortfall, then the holes ranked by size. */
static void failure(struct view *v, struct text_col *t, const struct viz_event *e)
{
	viz_model *m = v->m;
	const struct viz_caller *c = viz_model_caller(m, e->aux);
	const struct heap_model_stats *st = viz_model_stats(m);
	char b1[TEXT_NUM], b2[TEXT_NUM], line[96];
	text_line(t, VIZ_COL_FAIL, "Failed: %s B by %s", text_commas(b1, e->size),
	          c ? c->fn : "unknown caller");
	uint64_t largest = st->largest_free, scale = e->size > largest ? e->size : largest;
	int full = t->w / 2;
	snprintf(line, sizeof line, "request %s", text_bytes(b1, e->size));
	bar_line(t, e->size, scale, full, VIZ_COL_NEW, true, line);
	snprintf(line, sizeof line, "largest hole %s", text_bytes(b1, largest));
	bar_line(t, largest, scale, full, VIZ_COL_FAIL, false, line);
	if (e->size > largest)
		text_line(t, VIZ_COL_FAIL, "  %s B short", text_commas(b1, e->size - largest));
	else /* big enough by size: the alignment or the search refused it */
		text_line(t, VIZ_COL_DIM, "  big enough by size; align %s",
		          text_commas(b1, 1ull << e->align_log2));
	uint32_t *holes = malloc(FAIL_HOLES * sizeof *holes);
	if (!holes)
		return;
	size_t n = viz_model_holes(m, holes, FAIL_HOLES);
	text_line(t, VIZ_COL_DIM, "free %s B in %s holes", text_commas(b1, st->free_bytes),
	          text_commas(b2, n));
	if (st->free_bytes >= e->size)
		text_line(t, VIZ_COL_DIM, "  %.0fx the request in all, none big enough",
		          (double)st->free_bytes / (double)e->size);
	text_line(t, VIZ_COL_TEXT, "Holes by size (to scale)");
	size_t kept = n < FAIL_HOLES ? n : FAIL_HOLES;
	for (size_t i = 0; i < kept;) {
		size_t j = i;
		while (j < kept && holes[j] == holes[i])
			j++;
		snprintf(line, sizeof line, "%s x%s%s", text_bytes(b1, holes[i]),
		         text_commas(b2, j - i), j == kept && n > kept ? "+" : "");
		if (t->y + render_text_height(t->r) > t->bottom)
			break;
		bar_line(t, holes[i], scale, full,
		         holes[i] == largest ? VIZ_COL_FAIL : VIZ_COL_TOO_SMALL, false, line);
		i = j;
	}
	free(holes);
}

/* ---- a selected range of events --------------------------------------------------------- */

static void range_summary(struct view *v, struct text_col *t)
{
	const struct view_range *s = &v->sel;
	char b1[TEXT_NUM], b2[TEXT_NUM], b3[TEXT_NUM], val[96];
	text_line(t, VIZ_COL_TEXT, "Events %s..%s (%s)", text_commas(b1, s->a),
	          text_commas(b2, s->b - 1), text_commas(b3, s->b - s->a));
	snprintf(val, sizeof val, "%s, %s B", text_commas(b1, s->allocs),
	         text_commas(b2, s->alloc_bytes));
	text_pair(t, VIZ_COL_USED, "allocations", val);
	snprintf(val, sizeof val, "%s, %s B", text_commas(b1, s->frees),
	         text_commas(b2, s->freed_bytes));
	text_pair(t, VIZ_COL_DIM, "frees", val);
	if (s->fails) {
		snprintf(val, sizeof val, "%s", text_commas(b1, s->fails));
		text_pair(t, VIZ_COL_FAIL, "failed allocs", val);
	}
	snprintf(val, sizeof val, "%s B at event %s", text_commas(b1, s->peak_used),
	         s->peak_pos > s->a ? text_commas(b2, s->peak_pos - 1) : "(start)");
	text_pair(t, VIZ_COL_NEW, "peak in range", val);
	snprintf(val, sizeof val, "%s B", text_commas(b1, s->used_start));
	text_pair(t, VIZ_COL_DIM, "used before", val);
	if (s->ntop)
		text_line(t, VIZ_COL_TEXT, "Top call sites (bytes allocated)");
	for (size_t i = 0; i < s->ntop; i++) {
		const struct viz_caller *c = viz_model_caller(v->m, s->top[i].caller);
		snprintf(val, sizeof val, "%s x%s", text_bytes(b1, s->top[i].bytes),
		         text_commas(b2, s->top[i].count));
		text_pair(t, view_caller_colour(s->top[i].caller), c ? c->fn : "unknown caller",
		          val);
	}
	text_line(t, VIZ_COL_DIM, "(Esc drops the selection)");
}

/* ---- the call-site table --------------------------------------------------------------- */

#define STACK_FNS 64 /* functions of a stack the hover shows at most */

/* The call sites that allocated, in the chosen order, each with its colour,
 * name, live bytes at the cursor, peak and allocations; rows are recorded in
 * v for clicks. */
static void site_table(struct view *v, struct text_col *t)
{
	render *r = t->r;
	site_names_update(&v->site_names, v->m);
	struct site_row *rows;
	size_t n = site_rows(v->m, v->site_sort, &rows);
	int cw = render_text_width(r, "M"), col = 6 * cw, th = render_text_height(r);
	int xc = t->x + t->w - col, xp = xc - col, xl = xp - col; /* count, peak, live columns */
	v->line_h = text_line_h(r);
	v->site_header_y = t->y;
	static const char *heads[SITE_SORTS] = {"live", "peak", "count"};
	const int hx[SITE_SORTS] = {xl, xp, xc};
	int y = t->y;
	if (!text_line(t, VIZ_COL_TEXT, "Call sites"))
		goto done;
	for (int k = 0; k < SITE_SORTS; k++) {
		char h[16];
		snprintf(h, sizeof h, "%s", heads[k]); /* the order's column in yellow */
		render_text(r, hx[k] + col - render_text_width(r, h) - cw / 2, y, h,
		            k == (int)v->site_sort ? VIZ_COL_NEW : VIZ_COL_DIM);
	}
	v->nsite_rows = 0;
	for (size_t i = 0;
	     i < n && v->nsite_rows < (int)(sizeof v->site_rows / sizeof v->site_rows[0]); i++) {
		y = t->y;
		bool picked = v->site_pick == rows[i].site;
		if (!text_line(t, VIZ_COL_DIM, "%s", ""))
			break;
		v->site_rows[v->nsite_rows].y = y;
		v->site_rows[v->nsite_rows++].site = rows[i].site;
		if (picked)
			render_rect(r, t->x - 2, y, t->w + 4, th, (struct rcolor){70, 70, 90, 255});
		render_rect(r, t->x, y + 3, SWATCH_W, th - 6, view_caller_colour(rows[i].site));
		text_fit(r, t->x + SWATCH_W + 3, y, xl - t->x - SWATCH_W - 3,
		         picked ? VIZ_COL_TEXT : VIZ_COL_DIM,
		         site_name(&v->site_names, rows[i].site));
		const uint64_t val[SITE_SORTS] = {rows[i].live, rows[i].peak, rows[i].allocs};
		for (int k = 0; k < SITE_SORTS; k++) {
			char b1[TEXT_NUM];
			text_compact(b1, val[k]);
			render_text(r, hx[k] + col - render_text_width(r, b1) - cw / 2, y, b1,
			            VIZ_COL_TEXT);
		}
	}
	if (n > (size_t)v->nsite_rows)
		text_line(t, VIZ_COL_DIM, "and %zu more", n - (size_t)v->nsite_rows);
done:
	free(rows);
}

/* The call stack of site s, innermost function first: each frame's own
 * function numbered (#0 the allocator's caller), the ones inlined into it
 * before it. */
static void stack_lines(struct view *v, struct text_col *t, viz_model *m, uint32_t s)
{
	struct site_fn fns[STACK_FNS];
	size_t n = site_functions(m, s, fns, STACK_FNS);
	const struct viz_site *site = viz_model_site(m, s);
	text_line(t, VIZ_COL_TEXT, "Call stack, %u frames (indented: inlined)",
	          site ? site->depth : 0);
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(fns[i].src, '/');
		if (fns[i].inlined)
			text_line(t, VIZ_COL_DIM, "    %s %s", fns[i].fn,
			          slash ? slash + 1 : fns[i].src);
		else
			text_line(t, VIZ_COL_DIM, "#%-2u %s %s", fns[i].frame, fns[i].fn,
			          slash ? slash + 1 : fns[i].src);
	}
	(void)v;
}

/* ---- the block under the pointer ------------------------------------------------ */

static void hover_block(struct view *v, struct text_col *t)
{
	const struct view_hover *h = &v->hover;
	viz_model *m = h->m;
	const struct viz_block *b = &h->b;
	char b1[TEXT_NUM], b2[TEXT_NUM];
	uint64_t addr = viz_model_heap_base(m) + b->off;
	if (v->other)
		text_line(t, VIZ_COL_MERGE, "in %s", m == v->m ? v->name : v->other_name);
	text_line(t, VIZ_COL_TEXT, "%s 0x%" PRIx64 ", %s B", h->is_free ? "Free" : "Block", addr,
	          text_commas(b1, b->bytes));
	if (h->is_free)
		return;
	text_line(t, VIZ_COL_DIM, "requested %s B, align %s", text_commas(b1, b->req),
	          text_commas(b2, 1ull << b->align_log2));
	size_t pos = viz_model_pos(m);
	const struct viz_event *be = viz_model_event(m, b->born);
	text_line(t, VIZ_COL_DIM, "allocated at event %s, %s ago", text_commas(b1, b->born),
	          text_commas(b2, pos - 1 - b->born));
	const struct viz_event *ce = pos ? viz_model_event(m, pos - 1) : NULL;
	if (be && ce && v->time_hz)
		text_line(t, VIZ_COL_DIM, "  t = %.6f s, %.3f ms ago",
		          (double)be->time / v->time_hz,
		          (double)(ce->time - be->time) * 1e3 / v->time_hz);
	else if (be)
		text_line(t, VIZ_COL_DIM, "  t = %s ticks", text_commas(b1, be->time));
	if (be && viz_model_max_examined(m))
		text_line(t, VIZ_COL_DIM, "  search: %s free blocks", text_commas(b1, be->size2));
	const struct viz_caller *c = viz_model_caller(m, b->caller);
	const struct viz_site *site = viz_model_site(m, b->site);
	if (site && (site->depth > 1 || (c && c->n_inlined))) { /* the whole stack */
		stack_lines(v, t, m, b->site);
		return;
	}
	if (!c) {
		text_line(t, VIZ_COL_DIM, "caller unknown");
		return;
	}
	text_line(t, VIZ_COL_DIM, "by %s (0x%" PRIx64 ")", c->fn, c->addr);
	text_line(t, VIZ_COL_DIM, "  %s", c->src);
}

/* ---- legend ----------------------------------------------------------------------- */

/* The state mode's colours, wrapped to the width; measure only (draw false)
 * or draw from y. Returns the height. */
static int legend_state(struct view *v, render *r, int x, int y, int w, bool draw)
{
	static const char *names[] = {"used", "free", "new", "freed", "split", "merged", "fail"};
	const struct rcolor cols[] = {VIZ_COL_USED,  VIZ_COL_FREE,  VIZ_COL_NEW, VIZ_COL_FREED,
	                              VIZ_COL_SPLIT, VIZ_COL_MERGE, VIZ_COL_FAIL};
	(void)v;
	int th = render_text_height(r), lh = text_line_h(r), lx = x, ly = y;
	for (int i = 0; i < 7; i++) {
		int tw = render_text_width(r, names[i]) + SWATCH_W + 8;
		if (lx + tw > x + w && lx > x) {
			lx = x;
			ly += lh;
		}
		if (draw) {
			render_rect(r, lx, ly + 3, SWATCH_W, th - 6, cols[i]);
			render_text(r, lx + SWATCH_W + 3, ly, names[i], VIZ_COL_DIM);
		}
		lx += tw;
	}
	return ly + lh - y;
}

/* A log scale bar from 0 to max with its two ends labelled. */
static int legend_scale(struct view *v, render *r, int x, int y, int w, bool draw,
                        const char *title, uint64_t max, const char *lo_name, const char *hi_name)
{
	int th = render_text_height(r), lh = text_line_h(r);
	if (!draw)
		return 3 * lh;
	text_fit(r, x, y, w, VIZ_COL_TEXT, title);
	for (int i = 0; i < w; i++)
		render_rect(r, x + i, y + lh + 2, 1, th - 4,
		            view_scale_colour(v->colour, w > 1 ? (double)i / (w - 1) : 0));
	char b1[TEXT_NUM], lo[48], hi[64];
	snprintf(lo, sizeof lo, "0 %s", lo_name);
	snprintf(hi, sizeof hi, "%s %s", text_commas(b1, max), hi_name);
	text_fit(r, x, y + 2 * lh, w / 2, VIZ_COL_DIM, lo);
	int hw = render_text_width(r, hi) < w / 2 ? render_text_width(r, hi) : w / 2;
	text_fit(r, x + w - hw, y + 2 * lh, hw, VIZ_COL_DIM, hi);
	return 3 * lh;
}

/* The legend of the colour mode shown; measure (draw false) or draw from y.
 * Returns its height. */
static int legend(struct view *v, render *r, int x, int y, int w, bool draw)
{
	switch (v->colour) {
	case VIEW_COLOUR_AGE:
		return legend_scale(v, r, x, y, w, draw, "Age: events since alloc (log)",
		                    viz_model_pos(v->m), "new", "old");
	case VIEW_COLOUR_CALLER: /* the call-site table above has the colours */
		if (draw)
			text_fit(r, x, y, w, VIZ_COL_DIM, "click a site: its blocks; t: order");
		return text_line_h(r);
	case VIEW_COLOUR_COST:
		return legend_scale(v, r, x, y, w, draw, "Cost: free blocks the alloc examined",
		                    viz_model_max_examined(v->m), "", "");
	default:
		return legend_state(v, r, x, y, w, draw);
	}
}

/* ---- the panel ----------------------------------------------------------------------- */

void panel_draw(struct view *v, render *r)
{
	const struct view_rect *p = &v->panel;
	render_rect(r, p->x, p->y, p->w, p->h, (struct rcolor){32, 32, 38, 255});
	v->site_header_y = -1; /* the call-site table records itself if drawn */
	v->nsite_rows = 0;
	render_clip(r, p->x, p->y, p->w, p->h);
	int x = p->x + 8, w = p->w - 16, bottom = p->y + p->h - 4;
	int lg_h = legend(v, r, x, 0, w, false);
	int lg_y = bottom - lg_h;
	struct text_col t = {r, x, p->y + 6, w, lg_y - 6};
	if (v->other) {
		figures_compared(&t, v->m, v->name);
		figures_compared(&t, v->other, v->other_name);
		text_line(&t, VIZ_COL_DIFF, "pink outline: not in the other trace");
	} else {
		figures(&t, v->m);
	}
	t.y += 4;
	size_t pos = viz_model_pos(v->m);
	const struct viz_event *e = pos ? viz_model_event(v->m, pos - 1) : NULL;
	if (v->hover.valid)
		hover_block(v, &t);
	else if (v->sel.b > v->sel.a)
		range_summary(v, &t);
	else if (e && e->kind == HEAP_EV_ALLOC_FAIL)
		failure(v, &t, e);
	else if (v->colour == VIEW_COLOUR_CALLER)
		site_table(v, &t);
	else
		histogram(&t, v->m);
	if (lg_y > p->y + 6)
		legend(v, r, x, lg_y, w, true);
	render_clip(r, 0, 0, 0, 0);
}
