/* gentrace.c - writes a JSON trace (docs/trace-format.md, through trace_reader.h's
 * writers) of a random workload run on the real allocator core: test and bench
 * input for heapviz.
 *
 *   viz-gentrace [--no-end] [--heap BYTES] [--seed N] EVENTS > trace.jsonl
 *
 * Exit status: 0 ok, 2 bad usage, 3 I/O error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_reader.h"
#include "workload.h"

struct gen {
	FILE *out;
	bool sym_done[WL_CALLERS];
};

static void put_caller(struct gen *g, uint64_t caller)
{
	for (unsigned k = 0; k < WL_CALLERS; k++) {
		if (caller == WL_CALLER(k) && !g->sym_done[k]) {
			char fn[16], src[32];
			g->sym_done[k] = true;
			snprintf(fn, sizeof fn, "work_%u", k);
			snprintf(src, sizeof src, "kernel/work.c:%u", 10 + 7 * k);
			trace_write_symbol(g->out, caller, fn, src);
		}
	}
}

static void gen_event(void *ctx, const struct heap_event *ev)
{
	struct gen *g = ctx;
	if (ev->caller)
		put_caller(g, ev->caller);
	trace_write_event(g->out, ev, false);
}

static void usage(FILE *f)
{
	fputs("usage: viz-gentrace [--no-end] [--heap BYTES] [--seed N] EVENTS\n"
	      "Writes to stdout a JSON trace of a random workload on the real allocator core,\n"
	      "with at least EVENTS events. Exit: 0 ok, 2 bad usage, 3 I/O error.\n",
	      f);
}

int main(int argc, char **argv)
{
	unsigned long long heap = 1 << 20, seed = 1, events = 0;
	bool end = true;
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-end")) {
			end = false;
		} else if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			heap = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else {
			break;
		}
	}
	if (i + 1 != argc || (events = strtoull(argv[i], NULL, 0)) == 0 || heap < 4096) {
		usage(stderr);
		return 2;
	}
	struct gen g = {.out = stdout};
	struct trace_header h = {
	    .version = 1,
	    .channel = "semihosting",
	    .workload = "random",
	    .heap_base = WL_BASE,
	    .heap_size = heap,
	    .min_block = HEAP_MIN_BLOCK,
	    .min_align = HEAP_MIN_ALIGN,
	    .time_hz = 10000000,
	};
	trace_write_header(stdout, &h);
	struct workload w;
	if (!wl_init(&w, heap, seed, gen_event, &g)) {
		fprintf(stderr, "viz-gentrace: heap: %s\n", strerror(ENOMEM));
		return 3;
	}
	while (w.seq < events)
		wl_step(&w);
	if (end)
		wl_finish(&w);
	else {
		free(w.mem);
		free(w.live);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "viz-gentrace: stdout: %s\n", strerror(errno));
		return 3;
	}
	return 0;
}
