/* bench_viz.c - heapviz model figures: bytes held per event, worst and average seek
 * time, and (with --json) the time to load a JSON trace through the loader.
 *
 *   viz-bench [--events N] [--heap BYTES] [--live N] [--seeks N] [--json TRACE]
 * Prints "name value unit" lines. Exit: 0 ok, 1 a target missed (bytes/event > 64,
 * worst seek > 16 ms of CPU time, 1M-event load > 10 s), 2 bad usage, 3 failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"
#include "model.h"
#include "test/tracegen.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread: a seek's own cost, without time the 2-core machine
 * gave to other processes */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

int main(int argc, char **argv)
{
	size_t events = 10000000, heap = 1 << 20, live = 600, seeks = 2000;
	const char *json = NULL;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--events"))
			events = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--heap"))
			heap = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--live"))
			live = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--seeks"))
			seeks = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--json"))
			json = argv[++i];
		else {
			fprintf(stderr, "usage: viz-bench [--events N] [--heap BYTES] [--live N] "
			                "[--seeks N] [--json TRACE]\n");
			return 2;
		}
	}
	int rc = 0;
	if (json) {
		char err[512];
		double t0 = now_s();
		viz_source *s = viz_source_load(json, false, err, sizeof err);
		if (!s) {
			fprintf(stderr, "viz-bench: %s\n", err);
			return 3;
		}
		double dt = now_s() - t0;
		size_t n = viz_model_count(viz_source_model(s));
		printf("json_load_events %zu events\n", n);
		printf("json_load_time %.2f s\n", dt);
		printf("json_load_rate %.0f events/s\n", n / dt);
		if (dt > 10.0 * (double)n / 1e6)
			rc = 1;
		viz_source_close(s);
	}
	if (!events)
		return rc;
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
		rc = 1;
	printf("build_rate %.0f events/s\n", n / build);
	double bpe = (double)viz_model_bytes(m) / n;
	printf("bytes_per_event %.1f B\n", bpe);
	printf("keyframes %zu\n", viz_model_keyframes(m));
	printf("max_replay %zu events\n", viz_model_max_replay(m));
	/* random seeks, then single steps backwards (the worst pattern: each one restores) */
	uint64_t rng = 7;
	double worst = 0, sum = 0, worst_cpu = 0;
	size_t total = 0;
	double *times = malloc(2 * seeks * sizeof *times);
	if (!times)
		return 3;
	for (size_t k = 0; k < seeks * 2; k++) {
		size_t pos;
		if (k < seeks) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			pos = (size_t)((rng >> 11) % (n + 1));
		} else {
			pos = viz_model_pos(m) ? viz_model_pos(m) - 1 : n;
		}
		double s0 = now_s(), c0 = cpu_s();
		viz_model_seek(m, pos);
		size_t nb;
		viz_model_blocks(m, &nb); /* what a frame needs */
		double dt = now_s() - s0, dc = cpu_s() - c0;
		if (dc > worst_cpu)
			worst_cpu = dc;
		if (dt > worst)
			worst = dt;
		sum += dt;
		times[total++] = dt;
	}
	qsort(times, total, sizeof *times, cmp_double);
	printf("seek_avg %.3f ms\n", sum / total * 1e3);
	printf("seek_p99 %.3f ms\n", times[total * 99 / 100] * 1e3);
	printf("seek_worst %.3f ms (wall clock)\n", worst * 1e3);
	printf("seek_worst_cpu %.3f ms (thread CPU time)\n", worst_cpu * 1e3);
	free(times);
	if (bpe > 64 || worst_cpu > 0.016)
		rc = 1;
	tracegen_churn_finish(&g, &run);
	tracegen_close(&g, false);
	viz_model_free(m);
	return rc;
}
