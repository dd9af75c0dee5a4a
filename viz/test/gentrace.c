/* gentrace.c - writes a JSON trace (docs/trace-format.md) of a random workload run on
 * the real allocator core: test and bench input for heapviz.
 *
 *   viz-gentrace [--no-end] [--heap BYTES] [--seed N] EVENTS > trace.jsonl
 *
 * Exit status: 0 ok, 2 bad usage, 3 I/O error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

struct gen {
	FILE *out;
	bool sym_done[WL_CALLERS];
};

static void put_caller(struct gen *g, uint64_t caller)
{
	for (unsigned k = 0; k < WL_CALLERS; k++) {
		if (caller == WL_CALLER(k) && !g->sym_done[k]) {
			g->sym_done[k] = true;
			fprintf(g->out, "{\"k\":\"sym\",\"addr\":\"0x%" PRIx64 "\",\"fn\":\"work_%u\",\"src\":\"kernel/work.c:%u\"}\n",
				caller, k, 10 + 7 * k);
		}
	}
}

static void gen_event(void *ctx, const struct heap_event *ev)
{
	struct gen *g = ctx;
	FILE *o = g->out;
	if (ev->caller)
		put_caller(g, ev->caller);
	fprintf(o, "{\"i\":%" PRIu64 ",\"k\":\"%s\",\"t\":%" PRIu64, ev->seq, heap_event_kind_name(ev->kind), ev->time);
	switch (ev->kind) {
	case HEAP_EV_INIT:
		fprintf(o, ",\"addr\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"min_block\":%" PRIu64 ",\"min_align\":%u",
			ev->addr, ev->size, ev->block, 1u << ev->align_log2);
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		fprintf(o, ",\"addr\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"align\":%u,\"block\":%" PRIu64 ",\"caller\":\"0x%" PRIx64 "\"",
			ev->addr, ev->size, 1u << ev->align_log2, ev->block, ev->caller);
		if (ev->kind == HEAP_EV_ALLOC)
			fprintf(o, ",\"ex\":%u", ev->examined);
		break;
	case HEAP_EV_SPLIT:
		fprintf(o, ",\"addr\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"rem_addr\":\"0x%" PRIx64 "\",\"rem_size\":%" PRIu64,
			ev->addr, ev->size, ev->addr2, ev->size2);
		break;
	case HEAP_EV_COALESCE:
		fprintf(o, ",\"addr\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"freed_addr\":\"0x%" PRIx64 "\",\"freed_size\":%" PRIu64 ",\"merged\":\"%s\"",
			ev->addr, ev->size, ev->addr2, ev->size2,
			ev->flags == (HEAP_MERGED_PREV | HEAP_MERGED_NEXT) ? "both" : ev->flags == HEAP_MERGED_PREV ? "prev" : "next");
		break;
	case HEAP_EV_ALLOC_FAIL:
		fprintf(o, ",\"size\":%" PRIu64 ",\"align\":%u,\"caller\":\"0x%" PRIx64 "\",\"ex\":%u,\"free\":%" PRIu64 ",\"largest\":%" PRIu64,
			ev->size, 1u << ev->align_log2, ev->caller, ev->examined, ev->block, ev->size2);
		break;
	case HEAP_EV_MARKER:
		fprintf(o, ",\"name\":\"%s\"", ev->name);
		break;
	case HEAP_EV_END:
		fprintf(o, ",\"events\":%" PRIu64 ",\"dropped\":0,\"used\":%" PRIu64 ",\"panic\":false", ev->size, ev->block);
		break;
	default:
		break;
	}
	fputs("}\n", o);
}

static void usage(FILE *f)
{
	fputs("usage: viz-gentrace [--no-end] [--heap BYTES] [--seed N] EVENTS\n"
	      "Writes to stdout a JSON trace of a random workload on the real allocator core,\n"
	      "with at least EVENTS events. Exit: 0 ok, 2 bad usage, 3 I/O error.\n", f);
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
	printf("{\"format\":\"heapscope-trace\",\"version\":1,\"channel\":\"semihosting\",\"workload\":\"random\","
	       "\"heap_base\":\"0x%llx\",\"heap_size\":%llu,\"min_block\":%d,\"min_align\":%d,"
	       "\"time_hz\":10000000,\"instret\":false,\"elf\":\"\"}\n",
	       WL_BASE, heap, HEAP_MIN_BLOCK, HEAP_MIN_ALIGN);
	struct workload w;
	if (!wl_init(&w, heap, seed, gen_event, &g)) {
		fprintf(stderr, "viz-gentrace: heap: %s\n", strerror(ENOMEM));
		return 3;
	}
	while (w.seq < events)
		wl_step(&w);
	if (end)
		wl_finish(&w);
	else
		free(w.mem), free(w.live);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "viz-gentrace: stdout: %s\n", strerror(errno));
		return 3;
	}
	return 0;
}
