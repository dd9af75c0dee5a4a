/* heapviz.c - the heap map viewer: command line, load/follow loop, snapshots, frame dumps.
 *
 * Exit status: 0 ok; 1 --at first-fail on a trace without an alloc failure, or
 * --at panic on one without a misuse event (nothing written); 2 bad usage or bad
 * trace; 3 I/O, SDL or out-of-memory failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "load.h"
#include "png.h"
#include "render.h"
#include "view.h"

#define EXIT_NEGATIVE    1
#define EXIT_USAGE       2
#define EXIT_IO          3
#define FOLLOW_BUDGET_MS 8 /* reading time per frame when following */

static volatile sig_atomic_t dump_requested;

static void on_usr1(int sig)
{
	(void)sig;
	dump_requested = 1;
}

static void usage(FILE *f)
{
	fputs(
	    "usage: heapviz [options] TRACE\n"
	    "  heapviz TRACE                   replay a JSON trace as an animated heap map\n"
	    "  heapviz --follow TRACE          follow a trace that is still being written\n"
	    "  heapviz --compare OTHER TRACE   TRACE and OTHER side by side, in step by event "
	    "index\n"
	    "  heapviz --snapshot OUT.png --at N|peak|end|first-fail|panic[,...] TRACE\n"
	    "                                  render one frame with no display (after event N;\n"
	    "                                  panic: after the misuse the run panicked on;\n"
	    "                                  A,B,...: the first of them the trace has)\n"
	    "  a trace that panicked on a misuse opens paused at it (--at panic)\n"
	    "options:\n"
	    "  --size WxH          window / snapshot size (default 1280x800)\n"
	    "  --colour MODE       state (default), age, caller or cost\n"
	    "  --compressed        compressed map scale (small blocks get room)\n"
	    "  --zoom LO:HI        show only [LO, HI): addresses as the viewer shows them, or\n"
	    "                      offsets from the heap base; LO+LEN also (hex or decimal)\n"
	    "  --whole             show the whole heap (default: the part the trace used)\n"
	    "  --select A:B        select events A..B, as a drag on the timeline does\n"
	    "  --locate ADDR       with --snapshot: print \"locate ADDR X Y\", the pixel of ADDR\n"
	    "  --pointer ADDR      with --snapshot: the pointer over ADDR (its block described)\n"
	    "  --help              this text (keys: docs/heapviz.md, or h in the viewer)\n"
	    "environment: HEAPVIZ_DUMP=FILE.png  where d/F12/SIGUSR1 dump the current frame\n"
	    "             HEAPVIZ_NOFLASH=1      do not flash the current event (for tests)\n"
	    "exit status: 0 ok, 1 --at first-fail but the trace has no alloc failure, or\n"
	    "             --at panic but it has no misuse event, 2 bad usage or bad trace,\n"
	    "             3 I/O, SDL or memory failure\n",
	    f);
}

struct opts {
	const char *trace, *other, *snapshot, *at;
	bool follow, compressed;
	int w, h;
	enum view_colour colour;
	const char *zoom;   /* --zoom LO:HI, parsed once the heap is known */
	const char *select; /* --select A:B, events A..B, checked once loaded */
	const char *pointer; /* --pointer ADDR: with --snapshot, the pointer over ADDR */
	bool whole;
	const char *locate[16];
	int nlocate;
};

static bool parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->w = 1280;
	o->h = 800;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--follow")) {
			o->follow = true;
		} else if (!strcmp(a, "--compressed")) {
			o->compressed = true;
		} else if (!strcmp(a, "--compare") && has) {
			o->other = argv[++i];
		} else if (!strcmp(a, "--snapshot") && has) {
			o->snapshot = argv[++i];
		} else if (!strcmp(a, "--at") && has) {
			o->at = argv[++i];
		} else if (!strcmp(a, "--size") && has) {
			if (sscanf(argv[++i], "%dx%d", &o->w, &o->h) != 2 || o->w < 320 ||
			    o->h < 240 || o->w > 8192 || o->h > 8192) {
				fprintf(stderr,
				        "heapviz: --size %s: want WxH, at least 320x240, at most "
				        "8192x8192\n",
				        argv[i]);
				return false;
			}
		} else if (!strcmp(a, "--colour") && has) {
			const char *c = argv[++i];
			if (!strcmp(c, "state"))
				o->colour = VIEW_COLOUR_STATE;
			else if (!strcmp(c, "age"))
				o->colour = VIEW_COLOUR_AGE;
			else if (!strcmp(c, "caller"))
				o->colour = VIEW_COLOUR_CALLER;
			else if (!strcmp(c, "cost"))
				o->colour = VIEW_COLOUR_COST;
			else {
				fprintf(stderr,
				        "heapviz: --colour %s: want state, age, caller or cost\n", c);
				return false;
			}
		} else if (!strcmp(a, "--zoom") && has) {
			o->zoom = argv[++i];
		} else if (!strcmp(a, "--pointer") && has) {
			o->pointer = argv[++i];
		} else if (!strcmp(a, "--select") && has) {
			o->select = argv[++i];
		} else if (!strcmp(a, "--whole")) {
			o->whole = true;
		} else if (!strcmp(a, "--locate") && has) {
			if (o->nlocate == 16) {
				fprintf(stderr, "heapviz: --locate: at most 16\n");
				return false;
			}
			o->locate[o->nlocate++] = argv[++i];
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "heapviz: %s: unknown option or missing value\n", a);
			return false;
		} else if (!o->trace) {
			o->trace = a;
		} else {
			fprintf(stderr, "heapviz: %s: only one TRACE\n", a);
			return false;
		}
	}
	if (!o->trace) {
		fprintf(stderr, "heapviz: no TRACE given\n");
		return false;
	}
	if (!!o->snapshot != !!o->at) {
		fprintf(stderr, "heapviz: --snapshot and --at go together\n");
		return false;
	}
	if (o->follow && (o->snapshot || o->other)) {
		fprintf(stderr,
		        "heapviz: --follow does not combine with --snapshot or --compare\n");
		return false;
	}
	return true;
}

/* First event index where TRACE and OTHER differ, by heaptrace diff's lock-step
 * comparison (trace/diff.h); SIZE_MAX if they agree. Returns false with the
 * error printed if a trace cannot be read. */
static bool first_divergence(const char *other, const char *trace, size_t *index)
{
	struct diff_result res;
	struct diff_options opt = {.ignore_callers = false};
	char err[512];
	memset(&res, 0, sizeof res);
	if (diff_run(other, trace, &opt, &res, err, sizeof err) != 0) {
		fprintf(stderr, "heapviz: %s\n", err);
		diff_result_free(&res);
		return false;
	}
	*index = res.diverged ? (size_t)res.first_index : SIZE_MAX;
	diff_result_free(&res);
	return true;
}

static bool dump_frame(render *r, const char *path)
{
	int w, h;
	char err[512];
	uint8_t *rgb = render_read_rgb(r, &w, &h);
	if (!rgb)
		return false;
	bool ok = png_write_rgb(path, rgb, w, h, (size_t)w * 3, err, sizeof err);
	free(rgb);
	if (!ok)
		fprintf(stderr, "heapviz: %s\n", err);
	return ok;
}

/* Position for --at: "N" means just after event N. Returns false if there is none. */
static bool resolve_at(viz_model *m, const char *at, size_t *pos, int *status)
{
	size_t count = viz_model_count(m);
	if (!strcmp(at, "end")) {
		*pos = count;
	} else if (!strcmp(at, "peak")) {
		*pos = viz_model_peak_pos(m, NULL);
	} else if (!strcmp(at, "first-fail")) {
		size_t n;
		const uint32_t *f = viz_model_fails(m, &n);
		if (!n) {
			fprintf(stderr,
			        "heapviz: --at first-fail: the trace has no alloc failure\n");
			*status = EXIT_NEGATIVE;
			return false;
		}
		*pos = f[0];
	} else if (!strcmp(at, "panic")) {
		if (!viz_model_misuse(m, pos)) {
			fprintf(stderr, "heapviz: --at panic: the trace has no misuse event (the run "
			                "did not panic on a refused heap call)\n");
			*status = EXIT_NEGATIVE;
			return false;
		}
	} else {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(at, &end, 10);
		if (errno || *end || end == at || at[0] == '-') {
			fprintf(stderr,
			        "heapviz: --at %s: want an event number, peak, end, first-fail or "
			        "panic\n",
			        at);
			*status = EXIT_USAGE;
			return false;
		}
		if (n >= count) {
			fprintf(stderr, "heapviz: --at %s: the trace has only %zu events\n", at,
			        count);
			*status = EXIT_USAGE;
			return false;
		}
		*pos = (size_t)n + 1;
	}
	return true;
}

/* The options that set up the view; false (the reason printed) for a --zoom
 * range that is malformed or not inside the heap. */
static bool apply_opts(struct view *v, const struct opts *o)
{
	v->compressed = o->compressed;
	v->colour = o->colour;
	if (o->whole)
		view_whole(v);
	if (o->zoom) {
		uint64_t lo, hi;
		char err[200];
		if (!view_parse_range(v, o->zoom, &lo, &hi, err, sizeof err)) {
			fprintf(stderr, "heapviz: --zoom %s\n", err);
			return false;
		}
		view_zoom_to(v, lo, hi);
	}
	if (o->select) {
		char *end;
		size_t count = viz_model_count(v->m);
		errno = 0;
		unsigned long long a = strtoull(o->select, &end, 10), b = 0;
		bool ok = !errno && end != o->select && *end == ':' && o->select[0] != '-' &&
		          end[1] != '-';
		if (ok) {
			const char *bs = end + 1;
			b = strtoull(bs, &end, 10);
			ok = !errno && end != bs && !*end && a <= b;
		}
		if (!ok || b >= count) {
			fprintf(stderr,
			        "heapviz: --select %s: want A:B, event numbers with A <= B < %zu\n",
			        o->select, count);
			return false;
		}
		view_select(v, (size_t)a, (size_t)b + 1);
	}
	return true;
}

/* --at A,B,...: the first of the points the trace has (panic and first-fail
 * may be missing; a later point is tried then); *used names it. One list
 * saves `make trace` loading the trace once per point it tries. */
/* Whether the point at is one the trace can lack (panic, first-fail) and lacks. */
static bool at_missing(viz_model *m, const char *at)
{
	if (!strcmp(at, "panic"))
		return !viz_model_misuse(m, NULL);
	if (!strcmp(at, "first-fail")) {
		size_t fails;
		viz_model_fails(m, &fails);
		return fails == 0;
	}
	return false;
}

static bool resolve_at_list(viz_model *m, const char *list, size_t *pos, int *status,
                            char *used, size_t used_len)
{
	const char *item = list;
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);
		snprintf(used, used_len, "%.*s", (int)len, item);
		if (!comma || !at_missing(m, used))
			return resolve_at(m, used, pos, status);
		item = comma + 1;
	}
}

static int run_snapshot(const struct opts *o, struct view *v)
{
	int status = 0;
	size_t pos;
	char used[32];
	if (!resolve_at_list(v->m, o->at, &pos, &status, used, sizeof used))
		return status;
	view_seek(v, pos);
	v->playing = false;
	setenv("SDL_VIDEODRIVER", "offscreen", 0);
	char err[512];
	render *r = render_open("heapviz", o->w, o->h, true, err, sizeof err);
	if (!r) {
		fprintf(stderr, "heapviz: %s\n", err);
		return EXIT_IO;
	}
	view_draw(v, r, 0);
	if (o->pointer) { /* as if the pointer rested there: the panel describes the block */
		uint64_t addr = strtoull(o->pointer, NULL, 0), base = viz_model_heap_base(v->m);
		if (addr < base || !view_locate(v, addr - base, &v->mx, &v->my)) {
			fprintf(stderr, "heapviz: --pointer %s: not an address the map shows\n",
			        o->pointer);
			render_close(r);
			return EXIT_USAGE;
		}
		view_draw(v, r, 0);
	}
	for (int i = 0; i < o->nlocate; i++) {
		uint64_t addr = strtoull(o->locate[i], NULL, 0);
		uint64_t base = viz_model_heap_base(v->m);
		int x, y;
		if (addr >= base && view_locate(v, addr - base, &x, &y))
			printf("locate %s %d %d\n", o->locate[i], x, y);
		else
			printf("locate %s - -\n", o->locate[i]);
	}
	int rc = dump_frame(r, o->snapshot) ? 0 : EXIT_IO;
	if (rc == 0)
		printf("snapshot %s: at %s, position %zu of %zu\n", o->snapshot, used, pos,
		       viz_model_count(v->m));
	render_close(r);
	return rc;
}

static void set_title(render *r, const struct view *v, const char *path)
{
	char t[512], at[64];
	view_position_text(v, at, sizeof at);
	snprintf(t, sizeof t, "heapviz - %s - %s%s", path, at,
	         v->follow ? (v->complete ? " (complete)" : " (following)") : "");
	render_title(r, t);
}

/* How long a still picture may sleep before its next time-driven change: the
 * current event's blink (while it blinks), a status message expiring; at most
 * IDLE_WAIT_MAX_MS, so SIGUSR1 frame dumps are served. */
#define IDLE_WAIT_MAX_MS 250
static int idle_wait_ms(const struct view *v, uint32_t now)
{
	uint32_t wait = IDLE_WAIT_MAX_MS;
	if (!v->noflash && now < v->flash_until) {
		uint32_t to_phase = VIEW_FLASH_MS - now % VIEW_FLASH_MS;
		if (to_phase < wait)
			wait = to_phase;
	}
	if (v->message[0] && now < v->message_until && v->message_until - now < wait)
		wait = v->message_until - now;
	return (int)wait;
}

/* Whether the picture drawn at drawn_at is out of date at now with no input: the
 * blink changed phase (or stopped), or the status message expired. */
static bool timed_change(const struct view *v, uint32_t drawn_at, uint32_t now)
{
	bool blinking = !v->noflash && drawn_at < v->flash_until &&
	                (now / VIEW_FLASH_MS != drawn_at / VIEW_FLASH_MS || now >= v->flash_until);
	bool message_gone = v->message[0] && drawn_at < v->message_until && now >= v->message_until;
	return blinking || message_gone;
}

/* Whether the picture moves on its own: playing, or following a trace still growing. */
static bool moving_on_its_own(const struct view *v)
{
	return v->playing || (v->follow && !v->complete);
}

static int run_window(const struct opts *o, struct view *v, viz_source *follow_src)
{
	char err[512];
	render *r = render_open("heapviz", o->w, o->h, false, err, sizeof err);
	if (!r) {
		fprintf(stderr, "heapviz: %s\n", err);
		return EXIT_IO;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	const char *dump_path = getenv("HEAPVIZ_DUMP");
	if (!dump_path || !*dump_path)
		dump_path = "heapviz-frame.png";
	uint32_t last = render_ticks(), last_title = 0;
	int status = 0;
	bool quit = false, dump = false, dirty = true;
	size_t shown_pos = (size_t)-1, shown_count = (size_t)-1;
	uint32_t drawn_at = 0;
	while (!quit) {
		/* events: while the picture moves, poll; while it stands still, sleep until
		 * input or the next time-driven change (a blink, a message expiring) */
		bool moving = moving_on_its_own(v);
		int wait = moving ? 1 : idle_wait_ms(v, render_ticks());
		struct rinput in;
		while (render_poll(r, &in, wait)) {
			wait = 0;
			dirty = true; /* a key, a click, a hover, a resize or an expose */
			enum view_action a = view_input(v, &in, render_ticks());
			if (a == VIEW_QUIT)
				quit = true;
			else if (a == VIEW_DUMP)
				dump = true;
		}
		/* update */
		if (follow_src && !v->complete) {
			uint32_t t0 = render_ticks();
			for (;;) {
				enum viz_pump p = viz_source_pump(follow_src, 4096);
				if (p == VIZ_PUMP_ERROR) {
					fprintf(stderr, "heapviz: %s\n",
					        viz_source_error(follow_src));
					status = EXIT_USAGE;
					quit = true;
					break;
				}
				if (p == VIZ_PUMP_EOF || viz_source_complete(follow_src)) {
					v->complete = true;
					break;
				}
				if (p == VIZ_PUMP_AGAIN || render_ticks() - t0 > FOLLOW_BUDGET_MS)
					break;
			}
		}
		uint32_t now = render_ticks();
		view_tick(v, now - last);
		last = now;
		if (moving && !moving_on_its_own(v))
			dirty = true, moving = false; /* it just stopped: one last picture and title */
		if (viz_model_pos(v->m) != shown_pos || viz_model_count(v->m) != shown_count) {
			shown_pos = viz_model_pos(v->m);
			shown_count = viz_model_count(v->m);
			v->flash_until = now + VIEW_FLASH_SPAN; /* a new current event: blink for a while */
			dirty = true;
		}
		if (moving || dump || dump_requested || timed_change(v, drawn_at, now))
			dirty = true;
		/* draw, only when something changed */
		if (!dirty)
			continue;
		dirty = false;
		drawn_at = now;
		view_draw(v, r, now);
		if (dump || dump_requested) {
			dump = false;
			dump_requested = 0;
			if (dump_frame(r, dump_path))
				fprintf(stderr,
				        "heapviz: frame at event position %zu written to %s\n",
				        viz_model_pos(v->m), dump_path);
		}
		render_present(r);
		if (now - last_title > 250 || !moving) {
			set_title(r, v, o->trace);
			last_title = now;
		}
	}
	render_close(r);
	return status;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	}
	struct opts o;
	if (!parse_args(argc, argv, &o)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	char err[512];
	viz_source *src, *osrc = NULL;
	if (o.follow) {
		src = viz_source_open(o.trace, true, 10000, err, sizeof err);
	} else {
		src = viz_source_load(o.trace, !o.snapshot, err, sizeof err);
	}
	if (!src) {
		fprintf(stderr, "heapviz: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.other && !(osrc = viz_source_load(o.other, true, err, sizeof err))) {
		fprintf(stderr, "heapviz: %s\n", err);
		viz_source_close(src);
		return EXIT_USAGE;
	}
	struct view v;
	view_init(&v, viz_source_model(src), o.trace);
	if (!apply_opts(&v, &o)) {
		view_fini(&v);
		viz_source_close(src);
		viz_source_close(osrc);
		return EXIT_USAGE;
	}
	v.noflash = getenv("HEAPVIZ_NOFLASH") != NULL;
	v.time_hz = viz_source_header(src)->time_hz;
	v.follow = o.follow;
	v.live = o.follow;
	v.playing = !o.follow; /* a replay starts playing from event 0 */
	while (v.speed * 32 < (double)viz_model_count(v.m))
		v.speed *= 2; /* about half a minute for the whole trace */
	v.complete = viz_source_complete(src);
	size_t misuse_pos;
	if (!o.follow && viz_model_misuse(v.m, &misuse_pos)) {
		view_seek(&v, misuse_pos); /* a panicked run opens at its cause */
		v.playing = false;
	}
	if (osrc) {
		v.other = viz_source_model(osrc);
		v.other_name = o.other;
		if (!first_divergence(o.other, o.trace, &v.divergence)) {
			view_fini(&v);
			viz_source_close(src);
			viz_source_close(osrc);
			return EXIT_USAGE;
		}
		v.divergence_known = true;
		if (v.divergence == SIZE_MAX)
			fprintf(stderr, "heapviz: the traces are the same event for event\n");
		else
			fprintf(stderr, "heapviz: first divergence at event %zu\n", v.divergence);
	}
	if (!o.follow && !v.complete)
		fprintf(stderr, "heapviz: %s: warning: no end event, the trace was cut short\n",
		        o.trace);
	int rc;
	if (o.snapshot)
		rc = run_snapshot(&o, &v);
	else
		rc = run_window(&o, &v, o.follow ? src : NULL);
	view_fini(&v);
	viz_source_close(src);
	viz_source_close(osrc);
	return rc;
}
