/* bench_viz.c - heapviz figures: bytes held per event, seek times (CPU and wall
 * clock, with or without drawing the frame), the time to load a JSON trace and
 * the time to its first frame. viz/bench/bench.sh runs it and reports the figures.
 *
 *   viz-bench [--events N] [--heap BYTES] [--live N] [--seeks N] [--rounds R] [--draw]
 *             [--json TRACE]
 * --events N: a model of N events of the churn workload on the real allocator
 * (0: none); --seeks N random seeks, then N single steps backwards (each restores
 * a keyframe: the worst pattern), R rounds on the same model (the seek lines are
 * printed once per round, so a script takes the median over rounds). --draw: each seek also draws the frame through
 * view_draw and presents it (1280x800, SDL_VIDEODRIVER=offscreen unless set), as
 * heapviz does; with --json, the first frame after the load is drawn and timed.
 * Prints "name value unit" lines. Exit: 0 measured (the goals are checked by
 * scripts/bench.sh), 2 bad usage, 3 failure (load, SDL, memory, or events the
 * heap model refused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"
#include "model.h"
#include "render.h"
#include "test/tracegen.h"
#include "view.h"

#define FRAME_W 1280 /* heapviz's default window */
#define FRAME_H 800

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process (all its threads, SDL's included): a seek's own cost,
 * without time the 2-core machine gave to other processes */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void sink(void *ctx, const struct heap_event *ev)
{
	if (!viz_model_append(ctx, ev)) {
		fprintf(stderr, "viz-bench: out of memory\n");
		exit(3);
	}
}

/* An offscreen renderer of heapviz's default size, or NULL (error printed). */
static render *open_render(void)
{
	char err[512];
	setenv("SDL_VIDEODRIVER", "offscreen", 0);
	render *r = render_open("viz-bench", FRAME_W, FRAME_H, true, err, sizeof err);
	if (!r)
		fprintf(stderr, "viz-bench: %s\n", err);
	return r;
}

/* Loads json and draws its first frame; prints the load and first-frame times.
 * Returns 0, or 3 on failure. */
static int bench_json(const char *json, bool draw)
{
	char err[512];
	double t0 = now_s();
	viz_source *s = viz_source_load(json, false, err, sizeof err);
	if (!s) {
		fprintf(stderr, "viz-bench: %s\n", err);
		return 3;
	}
	double loaded = now_s() - t0;
	size_t n = viz_model_count(viz_source_model(s));
	printf("json_load_events %zu events\n", n);
	printf("json_load_time %.3f s\n", loaded);
	printf("json_load_rate %.0f events/s\n", n / loaded);
	printf("json_load_bytes_per_event %.1f B\n",
	       (double)viz_model_bytes(viz_source_model(s)) / (n ? n : 1));
	int rc = 0;
	if (draw) {
		render *r = open_render();
		if (!r) {
			rc = 3;
		} else {
			struct view v;
			view_init(&v, viz_source_model(s), json);
			view_draw(&v, r, 0);
			rc = render_present(r) ? 0 : 3;
			printf("first_frame_time %.3f s (load + first frame drawn and presented)\n",
			       now_s() - t0);
			view_fini(&v);
			render_close(r);
		}
	}
	viz_source_close(s);
	return rc;
}

int main(int argc, char **argv)
{
	size_t events = 10000000, heap = 1 << 20, live = 600, seeks = 2000, rounds = 1;
	const char *json = NULL;
	bool draw = false;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--events"))
			events = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--heap"))
			heap = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--live"))
			live = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--seeks"))
			seeks = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--rounds"))
			rounds = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--json"))
			json = argv[++i];
		else if (!strcmp(argv[i], "--draw"))
			draw = true;
		else {
			fprintf(stderr, "usage: viz-bench [--events N] [--heap BYTES] [--live N] "
			                "[--seeks N] [--rounds R] [--draw] [--json TRACE]\n");
			return 2;
		}
	}
	if (json) {
		int rc = bench_json(json, draw);
		if (rc)
			return rc;
	}
	if (!events)
		return 0;
	/* the churn workload on the real allocator (trace/test/tracegen.h): about
	 * live / 2 blocks live, at most live */
	viz_model *m = viz_model_new(TRACEGEN_BASE, heap, 16);
	struct tracegen g;
	struct tracegen_churn_run run;
	struct tracegen_opts o = {.heap_size = heap, .on_event = sink, .ctx = m};
	if (!m || !tracegen_open(&g, &o) ||
	    !tracegen_churn_start(
	        &g, &run,
	        &(struct tracegen_churn){.ops = events, .seed = 42, .live_max = (unsigned)live})) {
		fprintf(stderr, "viz-bench: out of memory\n");
		return 3;
	}
	double t0 = now_s();
	/* every operation emits at least one event: events operations are enough */
	while (viz_model_count(m) < events && tracegen_churn_step(&g, &run))
		;
	double build = now_s() - t0;
	size_t n = viz_model_count(m);
	viz_model_seek(m, viz_model_peak_pos(m, NULL));
	printf("events %zu events (heap %zu B, %llu live blocks at peak)\n", n, heap,
	       (unsigned long long)viz_model_stats(m)->live_blocks);
	printf("bad_events %llu (events the heap model refused: must be 0)\n",
	       (unsigned long long)viz_model_bad_events(m));
	if (viz_model_bad_events(m))
		return 3;
	printf("build_rate %.0f events/s\n", n / build);
	printf("bytes_per_event %.1f B\n", (double)viz_model_bytes(m) / n);
	printf("keyframes %zu\n", viz_model_keyframes(m));
	printf("max_replay %zu events\n", viz_model_max_replay(m));

	render *r = NULL;
	struct view v;
	if (draw) {
		if (!(r = open_render()))
			return 3;
		view_init(&v, m, "viz-bench");
		v.playing = false;
	}
	double *wall = malloc(2 * seeks * sizeof *wall), *cpu = malloc(2 * seeks * sizeof *cpu);
	if (!wall || !cpu || !seeks)
		return 3;
	for (size_t round = 0; round < rounds; round++) {
		/* random seeks, then single steps backwards */
		uint64_t rng = 7 + round;
		double sum = 0;
		size_t total = 0;
		for (size_t k = 0; k < seeks * 2; k++) {
			size_t pos;
			if (k < seeks) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				pos = (size_t)((rng >> 11) % (n + 1));
			} else {
				pos = viz_model_pos(m) ? viz_model_pos(m) - 1 : n;
			}
			double s0 = now_s(), c0 = cpu_s();
			if (draw) {
				view_seek(&v, pos);
				view_draw(&v, r, 0);
				if (!render_present(r))
					return 3;
			} else {
				size_t nb;
				viz_model_seek(m, pos);
				viz_model_blocks(m, &nb); /* what a frame needs */
			}
			wall[total] = now_s() - s0;
			cpu[total] = cpu_s() - c0;
			sum += wall[total++];
		}
		qsort(wall, total, sizeof *wall, cmp_double);
		qsort(cpu, total, sizeof *cpu, cmp_double);
		const char *what = draw ? "seek + frame drawn" : "seek + block list";
		printf("seek_avg %.3f ms (%s, wall clock)\n", sum / total * 1e3, what);
		printf("seek_p99 %.3f ms (wall clock)\n", wall[total * 99 / 100] * 1e3);
		printf("seek_max %.3f ms (wall clock)\n", wall[total - 1] * 1e3);
		printf("seek_p99_cpu %.3f ms (process CPU time)\n", cpu[total * 99 / 100] * 1e3);
		printf("seek_max_cpu %.3f ms (process CPU time)\n", cpu[total - 1] * 1e3);
	}
	free(wall);
	free(cpu);
	if (draw) {
		view_fini(&v);
		render_close(r);
	}
	tracegen_churn_finish(&g, &run);
	tracegen_close(&g, false);
	viz_model_free(m);
	return 0;
}
