/* test_layout.c - heapviz's screen drawn for real (SDL's offscreen driver, the
 * software renderer) on the recorded sample traces: at the small window sizes a
 * laptop gives (800x500, 700x450) and the default one, in every colour mode,
 * with and without a block under the pointer, nothing drawn is cut off
 * (render_texts_cut) and the legend is on screen. Run from the source tree
 * (the samples are read from samples/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"
#include "panel.h"
#include "render.h"
#include "test/test.h"
#include "timeline.h"
#include "view.h"

/* SDL's video back ends are dlopen'ed and unloaded; what they leak at exit has
 * no module left to suppress by (as in the window tests). Leaks in heapviz's
 * own code: viz-test-model and viz-test-view, which draw nothing. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static const int sizes[][2] = {{800, 500}, {700, 450}, {1280, 800}};

struct scene {
	viz_source *src, *osrc;
	struct view v;
};

static void scene_open(struct scene *s, const char *path, const char *other)
{
	char err[512];
	memset(s, 0, sizeof *s);
	s->src = viz_source_load(path, false, err, sizeof err);
	ASSERT_MSG(s->src != NULL, "%s", err);
	view_init(&s->v, viz_source_model(s->src), path);
	s->v.time_hz = viz_source_header(s->src)->time_hz;
	s->v.noflash = true;
	if (other) {
		s->osrc = viz_source_load(other, false, err, sizeof err);
		ASSERT_MSG(s->osrc != NULL, "%s", err);
		s->v.other = viz_source_model(s->osrc);
		s->v.other_name = other;
	}
}

static void scene_close(struct scene *s)
{
	view_fini(&s->v);
	viz_source_close(s->src);
	viz_source_close(s->osrc);
}

static render *offscreen(int w, int h)
{
	char err[512];
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	render *r = render_open("heapviz-test", w, h, true, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	return r;
}

/* Draws v and checks no text overran its box; with hover, again with the
 * pointer on the largest live block, which the panel must then describe. */
static void draw_uncut(struct view *v, render *r, const char *what, bool hover)
{
	int w, h;
	render_size(r, &w, &h);
	v->mx = v->my = -1;
	view_draw(v, r, 0);
	ASSERT_MSG(render_texts_cut(r) == 0, "%s at %dx%d, %s colours: %u texts cut off", what, w,
	           h, view_colour_name(v->colour), render_texts_cut(r));
	size_t nb;
	const struct viz_block *b = viz_model_blocks(v->m, &nb);
	if (!hover || nb == 0)
		return;
	size_t big = 0; /* the largest block: wider than a pixel at any scale here */
	for (size_t i = 1; i < nb; i++)
		if (b[i].bytes > b[big].bytes)
			big = i;
	uint32_t off = b[big].off;
	ASSERT(view_locate(v, off + b[big].bytes / 2 / 16 * 16, &v->mx, &v->my)); /* its middle */
	view_draw(v, r, 0);
	ASSERT_MSG(v->hover.valid && !v->hover.is_free && v->hover.b.off == off,
	           "%s at %dx%d: the block under the pointer is found", what, w, h);
	ASSERT_MSG(render_texts_cut(r) == 0, "%s at %dx%d, %s colours, hovering: %u texts cut off",
	           what, w, h, view_colour_name(v->colour), render_texts_cut(r));
}

TEST_CASE(the_help_fits_from_700x450_up)
{
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		render *r = offscreen(sizes[k][0], sizes[k][1]);
		struct scene s;
		scene_open(&s, "samples/frag.jsonl", NULL);
		s.v.help = true;
		draw_uncut(&s.v, r, "the help", false);
		scene_close(&s);
		render_close(r);
	}
}

TEST_CASE(a_text_past_its_clip_box_counts_as_cut_off)
{
	render *r = offscreen(320, 240);
	render_clear(r, VIZ_COL_BG);
	render_text(r, 10, 10, "fits", VIZ_COL_TEXT);
	ASSERT_EQ(render_texts_cut(r), 0u);
	render_text(r, 300, 10, "past the window's right edge", VIZ_COL_TEXT);
	ASSERT_EQ(render_texts_cut(r), 1u);
	render_clip(r, 0, 0, 100, 100);
	render_text(r, 10, 95, "below the clip", VIZ_COL_TEXT);
	ASSERT_EQ(render_texts_cut(r), 2u);
	render_clip(r, 0, 0, 0, 0);
	render_clear(r, VIZ_COL_BG); /* a new frame counts afresh */
	ASSERT_EQ(render_texts_cut(r), 0u);
	render_close(r);
}

TEST_CASE(nothing_is_cut_off_from_700x450_up_in_any_colour_mode_or_hover)
{
	static const char *traces[] = {"samples/frag.jsonl",    "samples/lifetimes-small.jsonl",
	                               "samples/panic.jsonl",   "samples/churn-small.jsonl",
	                               "samples/instret.jsonl", "samples/vector.jsonl"};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		render *r = offscreen(sizes[k][0], sizes[k][1]);
		for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
			struct scene s;
			scene_open(&s, traces[t], NULL);
			size_t nf;
			const uint32_t *f = viz_model_fails(s.v.m, &nf);
			size_t at[] = {0, viz_model_peak_pos(s.v.m, NULL),
			               nf ? f[0] : viz_model_count(s.v.m)};
			for (size_t a = 0; a < 3; a++) {
				view_seek(&s.v, at[a]);
				for (int c = 0; c < VIEW_COLOUR_COUNT; c++) {
					s.v.colour = (enum view_colour)c;
					draw_uncut(&s.v, r, traces[t], true);
				}
			}
			scene_close(&s);
		}
		render_close(r);
	}
}

/* Whether colour c is drawn anywhere in the panel of the last frame. */
static bool panel_shows(struct view *v, render *r, struct rcolor c)
{
	int w, h;
	uint8_t *rgb = render_read_rgb(r, &w, &h);
	ASSERT_NOT_NULL(rgb);
	bool found = false;
	for (int y = v->panel.y; y < v->panel.y + v->panel.h && !found; y++)
		for (int x = v->panel.x; x < v->panel.x + v->panel.w && !found; x++) {
			const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
			found = p[0] == c.r && p[1] == c.g && p[2] == c.b;
		}
	free(rgb);
	return found;
}

TEST_CASE(every_colour_mode_has_its_legend_on_screen_at_700x450)
{
	render *r = offscreen(700, 450);
	struct scene s;
	scene_open(&s, "samples/frag.jsonl", NULL);
	view_seek(&s.v, viz_model_peak_pos(s.v.m, NULL));
	s.v.colour = VIEW_COLOUR_STATE;
	view_draw(&s.v, r, 0);
	ASSERT(panel_shows(&s.v, r, VIZ_COL_SPLIT)); /* the split swatch: only in the legend */
	ASSERT(panel_shows(&s.v, r, VIZ_COL_FAIL));
	s.v.colour = VIEW_COLOUR_CALLER;
	view_draw(&s.v, r, 0);
	size_t nb;
	const struct viz_block *b = viz_model_blocks(s.v.m, &nb);
	ASSERT(nb > 0);
	ASSERT(panel_shows(&s.v, r, view_caller_colour(b[0].site))); /* the site's swatch */
	s.v.colour = VIEW_COLOUR_AGE;
	view_draw(&s.v, r, 0);
	ASSERT(panel_shows(&s.v, r, view_scale_colour(VIEW_COLOUR_AGE, 0))); /* both ends */
	ASSERT(panel_shows(&s.v, r, view_scale_colour(VIEW_COLOUR_AGE, 1)));
	s.v.colour = VIEW_COLOUR_COST;
	view_draw(&s.v, r, 0);
	ASSERT(panel_shows(&s.v, r, view_scale_colour(VIEW_COLOUR_COST, 0)));
	ASSERT(panel_shows(&s.v, r, view_scale_colour(VIEW_COLOUR_COST, 1)));
	scene_close(&s);
	render_close(r);
}

/* The colour of pixel (x, y) of the last frame. */
static struct rcolor pixel(render *r, int x, int y)
{
	int w, h;
	uint8_t *rgb = render_read_rgb(r, &w, &h);
	ASSERT_NOT_NULL(rgb);
	ASSERT(x >= 0 && x < w && y >= 0 && y < h);
	const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
	struct rcolor c = {p[0], p[1], p[2], 255};
	free(rgb);
	return c;
}

static bool same(struct rcolor a, struct rcolor b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

TEST_CASE(a_failure_mark_stays_visible_above_the_playhead_standing_on_it)
{
	render *r = offscreen(800, 500);
	struct scene s;
	scene_open(&s, "samples/frag.jsonl", NULL);
	size_t nf;
	const uint32_t *f = viz_model_fails(s.v.m, &nf);
	ASSERT(nf > 0);
	view_seek(&s.v, f[0]);
	view_draw(&s.v, r, 0);
	int x = timeline_x(&s.v, f[0]);
	ASSERT_EQ(timeline_x(&s.v, viz_model_pos(s.v.m)), x); /* the playhead is on it */
	ASSERT(same(pixel(r, x, timeline_mark_y(&s.v)), VIZ_COL_FAIL));
	scene_close(&s);
	render_close(r);
}

TEST_CASE(the_used_axis_scales_to_the_data_not_the_heap)
{
	/* lifetimes uses under 1% of its 1 MiB heap: its peak still fills most of the strip */
	render *r = offscreen(800, 500);
	struct scene s;
	scene_open(&s, "samples/lifetimes-small.jsonl", NULL);
	uint64_t peak;
	size_t pp = viz_model_peak_pos(s.v.m, &peak);
	ASSERT(peak * 100 < viz_model_heap_size(s.v.m));
	view_draw(&s.v, r, 0);
	struct view_rect used = timeline_strip(&s.v, 0);
	int base = used.y + used.h - 1, x = timeline_x(&s.v, pp);
	ASSERT(same(pixel(r, x, base - used.h / 2 - 1), VIZ_COL_USED)); /* above half height */
	scene_close(&s);
	render_close(r);
}

/* Pixels of colour c inside area a of the last frame. */
static size_t count_colour(render *r, struct view_rect a, struct rcolor c)
{
	int w, h;
	uint8_t *rgb = render_read_rgb(r, &w, &h);
	ASSERT_NOT_NULL(rgb);
	size_t n = 0;
	for (int y = a.y; y < a.y + a.h && y < h; y++)
		for (int x = a.x; x < a.x + a.w && x < w; x++) {
			const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
			n += p[0] == c.r && p[1] == c.g && p[2] == c.b;
		}
	free(rgb);
	return n;
}

/* churn-small against its first 198 events (the head of the same file):
 * identical up to event 197, then the short one has ended. */
static const char *short_trace(void)
{
	static char path[512];
	static bool made;
	if (made)
		return path;
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/heapviz-test-short-XXXXXX", dir && *dir ? dir : P_tmpdir);
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	FILE *in = fopen("samples/churn-small.jsonl", "r"), *out = fdopen(fd, "w");
	ASSERT(in && out);
	char line[4096];
	for (int i = 0; i < 200 && fgets(line, sizeof line, in); i++)
		fputs(line, out);
	fclose(in);
	fclose(out);
	made = true;
	return path;
}

TEST_CASE(compare_shows_both_traces_and_outlines_the_blocks_that_differ)
{
	const char *shorter = short_trace();
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		render *r = offscreen(sizes[k][0], sizes[k][1]);
		struct scene s;
		scene_open(&s, "samples/churn-small.jsonl", shorter);
		s.v.divergence_known = true;
		s.v.divergence = view_next_divergence(&s.v, 0, 1);
		view_seek(&s.v, 150); /* both alike */
		draw_uncut(&s.v, r, "compare at 150", true);
		ASSERT(s.v.side_by_side); /* every size tried is wider than tall */
		ASSERT_EQ(count_colour(r, s.v.map, VIZ_COL_DIFF), (size_t)0);
		ASSERT_EQ(count_colour(r, s.v.other_map, VIZ_COL_DIFF), (size_t)0);
		/* hovering the other map describes its block */
		s.v.mx = s.v.other_map.x + s.v.gutter + 1;
		s.v.my = s.v.other_map.y + 1;
		view_draw(&s.v, r, 0);
		ASSERT(s.v.hover.valid && s.v.hover.m == s.v.other);
		view_seek(&s.v, 250); /* the short trace ended at 198: it keeps its last state */
		draw_uncut(&s.v, r, "compare at 250", false);
		size_t nb;
		viz_model_blocks(s.v.other, &nb);
		ASSERT_EQ(viz_model_pos(s.v.other), viz_model_count(s.v.other));
		ASSERT(nb > 0);
		ASSERT(count_colour(r, s.v.map, VIZ_COL_DIFF) > 0); /* churn's newer blocks */
		view_seek(&s.v, viz_model_count(s.v.m)); /* churn freed everything at its end */
		draw_uncut(&s.v, r, "compare at the end", false);
		ASSERT(count_colour(r, s.v.other_map, VIZ_COL_DIFF) > 0);
		scene_close(&s);
		render_close(r);
	}
	unlink(shorter);
}

TEST_CASE(compare_stacks_the_maps_in_a_tall_window)
{
	render *r = offscreen(700, 900);
	struct scene s;
	scene_open(&s, "samples/churn-small.jsonl", "samples/churn-small.jsonl");
	view_draw(&s.v, r, 0);
	ASSERT(!s.v.side_by_side);
	ASSERT(s.v.other_map.y > s.v.map.y + s.v.map.h);
	ASSERT_EQ(s.v.other_map.x, s.v.map.x);
	scene_close(&s);
	render_close(r);
}

static void click(struct view *v, int x, int y)
{
	struct rinput in = {.type = RI_MOUSE_DOWN, .x = x, .y = y, .button = 1};
	view_input(v, &in, 0);
	in.type = RI_MOUSE_UP;
	view_input(v, &in, 0);
}

TEST_CASE(the_call_site_table_sorts_on_a_header_click_and_a_site_click_highlights_its_blocks)
{
	render *r = offscreen(1000, 650);
	struct scene s;
	scene_open(&s, "samples/vector.jsonl", NULL);
	view_seek(&s.v, viz_model_peak_pos(s.v.m, NULL));
	s.v.colour = VIEW_COLOUR_CALLER;
	view_draw(&s.v, r, 0);
	ASSERT(s.v.site_header_y >= 0);
	ASSERT(s.v.nsite_rows >= 6); /* vector's sites that allocated */
	/* the rows are in the order of live bytes at the cursor, most first */
	struct site_row *rows;
	size_t n = site_rows(s.v.m, SITE_BY_LIVE, &rows);
	for (int i = 0; i < s.v.nsite_rows; i++)
		ASSERT_EQ(s.v.site_rows[i].site, rows[i].site);
	free(rows);
	click(&s.v, s.v.panel.x + 20, s.v.site_header_y + 2);
	ASSERT_EQ((int)s.v.site_sort, (int)SITE_BY_PEAK);
	view_draw(&s.v, r, 0);
	n = site_rows(s.v.m, SITE_BY_PEAK, &rows);
	ASSERT_EQ(s.v.site_rows[0].site, rows[0].site);
	free(rows);
	/* a click on a site: its blocks keep their colour, every other site's dim */
	uint32_t pick = s.v.site_rows[1].site;
	click(&s.v, s.v.panel.x + 20, s.v.site_rows[1].y + 2);
	ASSERT_EQ(s.v.site_pick, pick);
	view_draw(&s.v, r, 0);
	size_t nb;
	const struct viz_block *b = viz_model_blocks(s.v.m, &nb);
	uint32_t other = VIZ_NO_SITE;
	for (size_t i = 0; i < nb; i++) /* not the block just allocated: it is highlighted */
		if (b[i].site != pick && b[i].bytes >= 512 && b[i].born + 1 != viz_model_pos(s.v.m))
			other = b[i].site;
	ASSERT(other != VIZ_NO_SITE);
	ASSERT(count_colour(r, s.v.map, view_caller_colour(pick)) > 0);
	ASSERT_EQ(count_colour(r, s.v.map, view_caller_colour(other)), (size_t)0);
	click(&s.v, s.v.panel.x + 20, s.v.site_rows[1].y + 2); /* again: none picked */
	ASSERT_EQ(s.v.site_pick, VIZ_NO_SITE);
	view_draw(&s.v, r, 0);
	ASSERT(count_colour(r, s.v.map, view_caller_colour(other)) > 0);
	(void)n;
	scene_close(&s);
	render_close(r);
}

TEST_CASE(the_position_reads_the_same_in_title_and_status_with_thousands_separators)
{
	struct scene s;
	scene_open(&s, "samples/churn-small.jsonl", NULL);
	char buf[64];
	view_seek(&s.v, 0);
	view_position_text(&s.v, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "start, 1,517 events");
	view_seek(&s.v, 1085);
	view_position_text(&s.v, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "event 1,084 of 1,517"); /* the index --at and the trace's "i" use */
	scene_close(&s);
}

int main(void)
{
	return test_main();
}
