/* test_view.c - host tests of heapviz's key handling and playback (view.c), driven
 * with synthetic input on a model of known events; nothing is drawn. */
#include <string.h>

#include "heap.h"
#include "model.h"
#include "test/test.h"
#include "view.h"

#define BASE 0x80400000ull

static struct heap_event ev(unsigned kind, uint64_t off, uint64_t block)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = (uint8_t)kind;
	if (kind != HEAP_EV_ALLOC_FAIL && kind != HEAP_EV_MARKER && kind != HEAP_EV_END)
		e.addr = BASE + off;
	e.size = block;
	e.block = block;
	if (kind == HEAP_EV_MARKER)
		strcpy(e.name, "phase");
	return e;
}

/* The split of free block [off, off+size) that leaves [rem, off+size) free. */
static struct heap_event split(uint64_t off, uint64_t size, uint64_t rem)
{
	struct heap_event e = ev(HEAP_EV_SPLIT, off, 0);
	e.size = size;
	e.addr2 = BASE + rem;
	e.size2 = off + size - rem;
	return e;
}

/* An alloc_fail with the heap's free bytes and largest free block then. */
static struct heap_event fail(uint64_t size, uint64_t free_bytes, uint64_t largest)
{
	struct heap_event e = ev(HEAP_EV_ALLOC_FAIL, 0, free_bytes);
	e.size = size;
	e.size2 = largest;
	return e;
}

/* Appends evs[0..n) to m, evs[0] the init of a 4 KiB heap; none may be refused. */
static void append_all(viz_model *m, struct heap_event *evs, size_t n)
{
	evs[0].size = 4096;
	for (size_t i = 0; i < n; i++)
		ASSERT(viz_model_append(m, &evs[i]));
	ASSERT_EQ(viz_model_bad_events(m), (uint64_t)0);
}

/* 0 init, 1 split, 2 alloc A, 3 split, 4 alloc B, 5 marker, 6 free A, 7 alloc_fail,
 * 8 free B, 9 coalesce, 10 split, 11 alloc C, 12 alloc_fail, 13 end */
static viz_model *model(void)
{
	viz_model *m = viz_model_new(BASE, 4096, 16);
	ASSERT_NOT_NULL(m);
	struct heap_event coalesce = ev(HEAP_EV_COALESCE, 0, 0);
	coalesce.size = 4096;
	coalesce.addr2 = BASE + 1024;
	coalesce.size2 = 2048;
	coalesce.flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
	struct heap_event evs[] = {
	    ev(HEAP_EV_INIT, 0, 0),
	    split(0, 4096, 1024),
	    ev(HEAP_EV_ALLOC, 0, 1024),
	    split(1024, 3072, 3072),
	    ev(HEAP_EV_ALLOC, 1024, 2048),
	    ev(HEAP_EV_MARKER, 0, 0),
	    ev(HEAP_EV_FREE, 0, 1024),
	    fail(3000, 2048, 1024),
	    ev(HEAP_EV_FREE, 1024, 2048),
	    coalesce,
	    split(0, 4096, 64),
	    ev(HEAP_EV_ALLOC, 0, 64),
	    fail(5000, 4032, 4032),
	    ev(HEAP_EV_END, 0, 64),
	};
	append_all(m, evs, sizeof evs / sizeof evs[0]);
	return m;
}

static void key(struct view *v, int k, unsigned mod)
{
	struct rinput in = {.type = RI_KEY, .key = k, .mod = mod};
	ASSERT_EQ((int)view_input(v, &in, 0), (int)VIEW_NONE);
}

TEST_CASE(arrows_step_and_home_end_jump)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	key(&v, RK_END, 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)14);
	key(&v, RK_LEFT, 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)13);
	key(&v, RK_HOME, 0);
	key(&v, RK_RIGHT, 0);
	key(&v, RK_RIGHT, 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)2);
	key(&v, RK_RIGHT, RMOD_SHIFT);
	ASSERT_EQ(viz_model_pos(m), (size_t)14); /* clamped at the end */
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(f_and_shift_f_visit_alloc_failures_in_order)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	key(&v, 'f', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)8); /* just after event 7 */
	key(&v, 'f', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)13);
	key(&v, 'f', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)13); /* no further one: stays, says so */
	ASSERT(v.message[0] != 0);
	key(&v, 'f', RMOD_SHIFT);
	ASSERT_EQ(viz_model_pos(m), (size_t)8);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(p_c_and_m_jump_to_peak_coalesce_and_marker)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	key(&v, 'c', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)10);
	key(&v, 'm', RMOD_SHIFT);
	ASSERT_EQ(viz_model_pos(m), (size_t)6);
	key(&v, 'p', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)5); /* A and B live: 3072 bytes */
	ASSERT_EQ(viz_model_stats(m)->used_bytes, (uint64_t)3072);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(space_plays_at_the_set_speed_and_pauses)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	v.speed = 4;
	key(&v, ' ', 0);
	ASSERT(v.playing);
	view_tick(&v, 500); /* 2 events */
	ASSERT_EQ(viz_model_pos(m), (size_t)2);
	key(&v, '+', 0); /* 8 events/s */
	view_tick(&v, 250);
	ASSERT_EQ(viz_model_pos(m), (size_t)4);
	key(&v, ' ', 0);
	view_tick(&v, 1000);
	ASSERT_EQ(viz_model_pos(m), (size_t)4);
	key(&v, ' ', 0);
	view_tick(&v, 10000); /* runs into the end and stops */
	ASSERT_EQ(viz_model_pos(m), (size_t)14);
	ASSERT(!v.playing);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(following_stays_live_until_the_user_scrubs_back)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	v.follow = v.live = true;
	view_tick(&v, 16);
	ASSERT_EQ(viz_model_pos(m), (size_t)14);
	key(&v, RK_HOME, 0);
	ASSERT(!v.live);
	struct heap_event more = ev(HEAP_EV_MARKER, 0, 0);
	ASSERT(viz_model_append(m, &more));
	view_tick(&v, 16);
	ASSERT_EQ(viz_model_pos(m), (size_t)0);
	key(&v, RK_END, 0);
	ASSERT(v.live);
	ASSERT(viz_model_append(m, &more));
	view_tick(&v, 16);
	ASSERT_EQ(viz_model_pos(m), (size_t)16);
	view_fini(&v);
	viz_model_free(m);
}

/* The model's blocks reach offset 3072 (B) of the 4 KiB heap. */
TEST_CASE(the_map_fits_the_part_of_the_heap_the_trace_used_in_power_of_two_rows)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	ASSERT_EQ(viz_model_extent(m), (uint64_t)3072);
	view_layout(&v, 800, 600, 14);
	ASSERT_EQ(v.map_lo, (uint64_t)0);
	ASSERT_GE(v.map_hi, (uint64_t)3072);
	ASSERT(v.map_hi < 4096); /* not the whole heap */
	ASSERT_EQ(v.row_bytes & (v.row_bytes - 1), (uint64_t)0); /* a power of two */
	ASSERT_GE((uint64_t)v.rows * v.row_bytes, (uint64_t)3072);
	ASSERT((uint64_t)(v.rows - 1) * v.row_bytes < 3072); /* no empty row */
	ASSERT_GE(v.rows * v.row_h, v.map.h * 3 / 4);           /* rows fill the map */
	key(&v, 'w', 0); /* the whole heap */
	view_layout(&v, 800, 600, 14);
	ASSERT_EQ(v.map_hi, (uint64_t)4096);
	key(&v, '0', 0); /* back to the part used */
	view_layout(&v, 800, 600, 14);
	ASSERT(v.map_hi < 4096);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(zoom_narrows_the_range_and_zero_fits_again)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	view_layout(&v, 800, 600, 14);
	key(&v, 'z', 0);
	ASSERT(v.zoomed);
	ASSERT_EQ(v.hi - v.lo, (uint64_t)1536); /* half of the 3072 shown */
	ASSERT_EQ(v.lo, (uint64_t)768);         /* around the middle */
	view_layout(&v, 800, 600, 14);
	ASSERT_EQ(v.map_lo % v.row_bytes, (uint64_t)0); /* rows start at round offsets */
	ASSERT(v.map_lo <= 768 && v.map_hi >= 2304);
	for (int i = 0; i < 5; i++)
		key(&v, 'z', 0);
	ASSERT_GE(v.hi - v.lo, (uint64_t)256); /* never below 16 granules */
	key(&v, '0', 0);
	ASSERT(!v.zoomed);
	view_layout(&v, 800, 600, 14);
	ASSERT_EQ(v.map_lo, (uint64_t)0);
	ASSERT_GE(v.map_hi, (uint64_t)3072);
	key(&v, 's', 0);
	ASSERT(v.compressed);
	key(&v, 'a', 0);
	ASSERT_EQ((int)v.colour, (int)VIEW_COLOUR_AGE);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(ranges_take_absolute_addresses_and_offsets_and_refuse_the_rest)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	uint64_t lo = 1, hi = 1;
	char err[200];
	ASSERT(view_parse_range(&v, "0x80400400:0x80400800", &lo, &hi, err, sizeof err));
	ASSERT_EQ(lo, (uint64_t)1024);
	ASSERT_EQ(hi, (uint64_t)2048);
	ASSERT(view_parse_range(&v, "1024:2048", &lo, &hi, err, sizeof err));
	ASSERT_EQ(lo, (uint64_t)1024);
	ASSERT_EQ(hi, (uint64_t)2048);
	ASSERT(view_parse_range(&v, "0x80400400+0x400", &lo, &hi, err, sizeof err));
	ASSERT_EQ(lo, (uint64_t)1024);
	ASSERT_EQ(hi, (uint64_t)2048);
	ASSERT(view_parse_range(&v, "0:0x1000", &lo, &hi, err, sizeof err));
	ASSERT_EQ(hi, (uint64_t)4096);
	const char *bad[] = {"0x80400800:0x80400400", "0x90000000:0x90001000", "5000:6000",
	                     "1024", "x:y", "1024:", ":2048", "-1:5", "0x80400000:0x80402000"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		ASSERT(!view_parse_range(&v, bad[i], &lo, &hi, err, sizeof err));
		ASSERT(strstr(err, bad[i]) == err); /* the message names what was given */
	}
	view_fini(&v);
	viz_model_free(m);
}

static void type(struct view *v, const char *s)
{
	for (; *s; s++)
		key(v, *s == ':' ? ';' : *s, *s == ':' ? RMOD_SHIFT : 0);
}

TEST_CASE(g_zooms_to_a_typed_range_and_says_what_is_wrong_with_a_bad_one)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	key(&v, 'g', 0);
	ASSERT(v.prompting);
	type(&v, "0x80400400:0x80400800");
	ASSERT_STR_EQ(v.prompt, "0x80400400:0x80400800");
	key(&v, '\r', 0);
	ASSERT(!v.prompting);
	ASSERT(v.zoomed);
	ASSERT_EQ(v.lo, (uint64_t)1024);
	ASSERT_EQ(v.hi, (uint64_t)2048);
	key(&v, 'g', 0);
	type(&v, "5000:6000");
	key(&v, '\r', 0);
	ASSERT(v.prompting); /* still asking */
	ASSERT(strstr(v.message, "outside the heap") != NULL);
	key(&v, RK_ESCAPE, 0);
	ASSERT(!v.prompting);
	ASSERT_EQ(v.lo, (uint64_t)1024); /* unchanged */
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(the_holes_at_a_failure_are_ranked_largest_first)
{
	viz_model *m = model();
	viz_model_seek(m, 8); /* just after the failed 3,000 B request (event 7) */
	uint32_t holes[4] = {0};
	ASSERT_EQ(viz_model_holes(m, holes, 4), (size_t)2); /* A's place, and past B */
	ASSERT_EQ(holes[0], 1024u);
	ASSERT_EQ(holes[1], 1024u);
	viz_model_seek(m, 12); /* C (64 B) at 0: one hole of 4,032 B */
	ASSERT_EQ(viz_model_holes(m, holes, 1), (size_t)1);
	ASSERT_EQ(holes[0], 4032u);
	viz_model_seek(m, 5); /* A, B live: the tail only */
	ASSERT_EQ(viz_model_holes(m, holes, 0), (size_t)1); /* counted even with no room */
	viz_model_free(m);
}

static void mouse(struct view *v, enum rinput_type type, int x, int button)
{
	struct rinput in = {.type = type, .x = x, .y = 550, .button = button};
	ASSERT_EQ((int)view_input(v, &in, 0), (int)VIEW_NONE);
}

/* A timeline 1,000 pixels wide at y 500..600 whose strips start at x 100:
 * pixel 100 + 900 * p / 14 is position p of the 14. */
static void timeline_at(struct view *v)
{
	v->timeline = (struct view_rect){0, 500, 1000, 100};
	v->tl_sx = 100;
	v->tl_sw = 901;
}

TEST_CASE(a_drag_on_the_timeline_selects_a_range_and_summarises_it)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	timeline_at(&v);
	mouse(&v, RI_MOUSE_DOWN, 100, 1);
	mouse(&v, RI_MOUSE_MOVE, 600, 1);
	mouse(&v, RI_MOUSE_MOVE, 1000, 1);
	mouse(&v, RI_MOUSE_UP, 1000, 1);
	ASSERT_EQ(viz_model_pos(m), (size_t)0); /* the press seeked; the drag did not */
	ASSERT_EQ(v.sel.a, (size_t)0);
	ASSERT_EQ(v.sel.b, (size_t)14);
	ASSERT_EQ(v.sel.allocs, (uint64_t)3); /* A, B, C */
	ASSERT_EQ(v.sel.alloc_bytes, (uint64_t)1024 + 2048 + 64);
	ASSERT_EQ(v.sel.frees, (uint64_t)2);
	ASSERT_EQ(v.sel.freed_bytes, (uint64_t)3072);
	ASSERT_EQ(v.sel.fails, (uint64_t)2);
	uint64_t peak;
	ASSERT_EQ(v.sel.peak_pos, viz_model_peak_pos(m, &peak)); /* the whole trace's peak */
	ASSERT_EQ(v.sel.peak_used, peak);
	ASSERT_EQ(v.sel.ntop, (size_t)1); /* the events name no caller */
	ASSERT_EQ(v.sel.top[0].caller, VIZ_NO_CALLER);
	ASSERT_EQ(v.sel.top[0].count, (uint64_t)3);
	/* a range after the peak: it starts at its own highest use */
	view_select(&v, 6, 14);
	ASSERT_EQ(v.sel.used_start, (uint64_t)3072);
	ASSERT_EQ(v.sel.peak_used, (uint64_t)3072);
	ASSERT_EQ(v.sel.peak_pos, (size_t)6);
	ASSERT_EQ(v.sel.allocs, (uint64_t)1);
	ASSERT_EQ(viz_model_pos(m), (size_t)0); /* summarising did not move the cursor */
	/* a click (no drag) seeks and drops the selection; so does Esc */
	mouse(&v, RI_MOUSE_DOWN, 550, 1);
	mouse(&v, RI_MOUSE_UP, 550, 1);
	ASSERT_EQ(v.sel.b, (size_t)0);
	ASSERT_EQ(viz_model_pos(m), (size_t)7);
	view_select(&v, 2, 5);
	key(&v, RK_ESCAPE, 0);
	ASSERT_EQ(v.sel.b, (size_t)0);
	view_fini(&v);
	viz_model_free(m);
}

/* model() with C's alloc (event 11) at another offset: same up to event 9 */
static viz_model *model_c_elsewhere(void)
{
	viz_model *m = viz_model_new(BASE, 4096, 16);
	ASSERT_NOT_NULL(m);
	struct heap_event coalesce = ev(HEAP_EV_COALESCE, 0, 0);
	coalesce.size = 4096;
	coalesce.addr2 = BASE + 1024;
	coalesce.size2 = 2048;
	coalesce.flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
	struct heap_event evs[] = {
	    ev(HEAP_EV_INIT, 0, 0),       split(0, 4096, 1024),   ev(HEAP_EV_ALLOC, 0, 1024),
	    split(1024, 3072, 3072),      ev(HEAP_EV_ALLOC, 1024, 2048), ev(HEAP_EV_MARKER, 0, 0),
	    ev(HEAP_EV_FREE, 0, 1024),    fail(3000, 2048, 1024), ev(HEAP_EV_FREE, 1024, 2048),
	    coalesce,                     split(0, 4096, 128),    ev(HEAP_EV_ALLOC, 0, 128),
	};
	append_all(m, evs, sizeof evs / sizeof evs[0]);
	return m;
}

TEST_CASE(v_visits_the_events_where_compared_traces_differ_and_the_shorter_holds_its_end)
{
	viz_model *m = model(), *o = model_c_elsewhere();
	struct view v;
	view_init(&v, m, "t");
	v.other = o;
	v.other_name = "o";
	ASSERT_EQ(view_next_divergence(&v, 0, 1), (size_t)10); /* the splits differ */
	key(&v, 'v', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)11);
	key(&v, 'v', 0); /* the allocs of C differ too */
	ASSERT_EQ(viz_model_pos(m), (size_t)12);
	key(&v, 'v', 0); /* event 12: the other trace has ended */
	ASSERT_EQ(viz_model_pos(m), (size_t)13);
	key(&v, 'v', RMOD_SHIFT);
	ASSERT_EQ(viz_model_pos(m), (size_t)12);
	key(&v, RK_END, 0);
	ASSERT_EQ(viz_model_pos(o), (size_t)12); /* the shorter one at its end, */
	size_t n;
	const struct viz_block *b = viz_model_blocks(o, &n);
	ASSERT_EQ(n, (size_t)1); /* ...with its last state: C */
	ASSERT_EQ(b[0].bytes, 128u);
	key(&v, 'v', 0);
	ASSERT(strstr(v.message, "no further divergence") != NULL);
	v.other = NULL;
	view_fini(&v);
	viz_model_free(m);
	viz_model_free(o);
}

TEST_CASE(q_and_escape_quit_and_d_dumps)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	struct rinput in = {.type = RI_KEY, .key = 'q'};
	ASSERT_EQ((int)view_input(&v, &in, 0), (int)VIEW_QUIT);
	in.key = 'h';
	ASSERT_EQ((int)view_input(&v, &in, 0), (int)VIEW_NONE);
	ASSERT(v.help);
	in.key = RK_ESCAPE; /* closes the help first */
	ASSERT_EQ((int)view_input(&v, &in, 0), (int)VIEW_NONE);
	ASSERT_EQ((int)view_input(&v, &in, 0), (int)VIEW_QUIT);
	in.key = 'd';
	ASSERT_EQ((int)view_input(&v, &in, 0), (int)VIEW_DUMP);
	view_fini(&v);
	viz_model_free(m);
}

/* A run that panicked: A allocated and freed, then freed again (the MISUSE
 * kheap reports), then the end flagged panic. 0 init, 1 split, 2 alloc A,
 * 3 free A, 4 coalesce, 5 misuse, 6 end. */
static viz_model *panicked_model(void)
{
	viz_model *m = viz_model_new(BASE, 4096, 16);
	ASSERT_NOT_NULL(m);
	ASSERT(viz_model_add_caller(m, 0x80206070, "workload_panic", "samples/panic.c:16") !=
	       VIZ_NO_CALLER);
	struct heap_event coalesce = ev(HEAP_EV_COALESCE, 0, 0);
	coalesce.size = 4096;
	coalesce.addr2 = BASE;
	coalesce.size2 = 64;
	coalesce.flags = HEAP_MERGED_NEXT;
	struct heap_event misuse = ev(HEAP_EV_MISUSE, 0, 0);
	misuse.flags = HEAP_MISUSE_FLAGS(HEAP_OP_DEALLOC, HEAP_ERR_DOUBLE_FREE);
	misuse.size = 64;
	misuse.align_log2 = 4;
	misuse.caller = 0x80206070;
	struct heap_event end = ev(HEAP_EV_END, 0, 0);
	end.flags = HEAP_END_PANIC;
	struct heap_event evs[] = {
	    ev(HEAP_EV_INIT, 0, 0), split(0, 4096, 64), ev(HEAP_EV_ALLOC, 0, 64),
	    ev(HEAP_EV_FREE, 0, 64), coalesce, misuse, end,
	};
	append_all(m, evs, sizeof evs / sizeof evs[0]);
	return m;
}

TEST_CASE(a_panicked_trace_names_its_cause_and_u_jumps_to_it)
{
	viz_model *m = panicked_model();
	struct view v;
	view_init(&v, m, "t");
	size_t pos;
	ASSERT_NOT_NULL(viz_model_misuse(m, &pos));
	ASSERT_EQ(pos, (size_t)6); /* just after event 5 */
	char text[200];
	ASSERT(view_panic_text(&v, text, sizeof text));
	ASSERT_STR_EQ(text, "PANIC: double free of 0x80400000 (size 64, align 16) by workload_panic");
	key(&v, RK_HOME, 0);
	key(&v, 'u', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)6);
	view_fini(&v);
	viz_model_free(m);
}

TEST_CASE(a_trace_without_misuse_has_no_panic_text_and_u_says_so)
{
	viz_model *m = model();
	struct view v;
	view_init(&v, m, "t");
	char text[200];
	ASSERT(!view_panic_text(&v, text, sizeof text));
	ASSERT_STR_EQ(text, "");
	ASSERT_NULL(viz_model_misuse(m, NULL));
	key(&v, RK_HOME, 0);
	key(&v, 'u', 0);
	ASSERT_EQ(viz_model_pos(m), (size_t)0);
	ASSERT(v.message[0] != 0);
	view_fini(&v);
	viz_model_free(m);
}

int main(void)
{
	return test_main();
}
