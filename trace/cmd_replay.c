/* cmd_replay.c - `heaptrace replay`: what another allocator policy would have done
 * with a trace's requests.
 *
 * The allocation requests of a trace (each alloc and failed alloc: size,
 * alignment, caller; each free; the markers; in their order) are run through
 * the host build of the allocator core under --policy, on a heap of the
 * trace's size (or --heap-size), and everything that heap emits (splits,
 * allocs, frees, coalesces, failures, markers) is written as a complete trace:
 * heaptrace check verifies it, heaptrace diff and heapviz --compare set it
 * beside the original. The new heap starts at the original's base address.
 * Times are the original events'; callers keep their symbol records, and the
 * events of a trace with call stacks their stack (records and ids as read).
 *
 * What a replay cannot redo: a free of a block the new policy could not
 * place (skipped, counted); events lost to drops (the replay says its answer
 * is uncertain and exits 4); the misuse a run panicked on (not replayed: the
 * replayed run ends where the original did, its end marked as a panic).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "heap.h"
#include "host_heap.h"
#include "out_file.h"
#include "trace_reader.h"
#include "u64_map.h"
#include "validate.h"

struct replay {
	const char *path;          /* the input trace */
	trace_reader *r;
	FILE *out;
	enum heap_policy policy;
	uint64_t heap_size;        /* 0: the trace's */
	struct host_heap hh;       /* the replayed heap; it starts at the original's base */
	bool started;
	uint64_t seq, time;        /* the next event number; the time of the event replayed */
	struct u64_map blocks;          /* original block address -> index into addr */
	uint64_t *addr;            /* the replayed address of each live block (0: not placed) */
	uint32_t naddr, capaddr;
	uint32_t *free_slots;      /* indices of addr to reuse */
	uint32_t nfree, capfree;
	struct u64_map syms;          /* code addresses whose symbol record has been written */
	struct u64_map stacks;        /* ids of the stacks whose record has been written */
	uint32_t stack;               /* the stack of the request being replayed (0: none) */
	uint64_t skipped_frees;    /* frees of blocks the new policy did not place */
	uint64_t fails;            /* allocations that failed under the new policy */
	bool write_error;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: heaptrace replay --policy first|next|best|segregated [--heap-size N] "
	           "-o OUT TRACE\n\n"
	           "Runs TRACE's allocation requests (sizes, alignments, callers, order, markers)\n"
	           "through the allocator core under another placement policy and writes the\n"
	           "complete trace of what it would have done: check verifies it, diff and\n"
	           "heapviz --compare set it beside TRACE.\n"
	           "  --policy P       the allocator policy to replay with (required)\n"
	           "  --heap-size N    heap bytes (default: TRACE's; decimal or 0x hex)\n"
	           "  -o OUT           where to write the replayed trace (- for stdout)\n"
	           "Exit status: 0 ok, 2 bad usage or bad input, 3 output failure, 4 TRACE lost\n"
	           "events to drops (the replay is written but is uncertain).\n");
}

/* Writes the symbol record of a code address (a caller, a frame) once,
 * before its first use. */
static void write_symbol_once(struct replay *x, uint64_t addr)
{
	if (!addr || u64_map_get(&x->syms, addr) != U64_MAP_NONE)
		return;
	const struct trace_symbol *s = trace_reader_symbol(x->r, addr);
	if (!s)
		return;
	if (!u64_map_put(&x->syms, addr, 0) || !trace_write_symbol_record(x->out, s))
		x->write_error = true;
}

/* Writes the record of stack id once (after its frames' symbols), before its first use. */
static void write_stack_once(struct replay *x, uint32_t id)
{
	if (!id || u64_map_get(&x->stacks, id) != U64_MAP_NONE)
		return;
	const struct trace_stack *st = trace_reader_stack(x->r, id);
	if (!st) /* the reader defined every stack an event names */
		return;
	for (uint32_t i = 0; i < st->depth; i++)
		write_symbol_once(x, st->frames[i]);
	if (!u64_map_put(&x->stacks, id, 0) ||
	    !trace_write_stack(x->out, st->id, st->depth, st->frames))
		x->write_error = true;
}

/* The replayed heap's hook: each event it emits, renumbered and re-addressed. */
static void replay_sink(void *ctx, struct heap_event *ev)
{
	struct replay *x = ctx;
	struct heap_event e = *ev;
	e.seq = x->seq++;
	e.time = x->time;
	e.instret = 0;
	host_heap_translate(&x->hh, &e);
	if (e.kind == HEAP_EV_ALLOC_FAIL)
		x->fails++;
	if (heap_event_has_caller(e.kind)) { /* made by the request being replayed */
		e.stack = x->stack;
		write_stack_once(x, e.stack);
		write_symbol_once(x, e.caller);
	}
	if (!trace_write_event(x->out, &e, false))
		x->write_error = true;
}

static bool replay_init(struct replay *x, const struct heap_event *t, char *err, size_t errlen)
{
	uint64_t size = x->heap_size ? x->heap_size : t->size;
	struct trace_header h = *trace_reader_header(x->r);
	h.heap_base = t->addr;
	h.heap_size = size;
	h.has_instret = false;
	h.policy = (uint8_t)x->policy;
	trace_write_header(x->out, &h);
	x->time = t->time;
	switch (host_heap_open(&x->hh, t->addr, size, x->policy, replay_sink, x)) {
	case HOST_HEAP_OK:
	case HOST_HEAP_OTHER_SIZE: /* not for a 16-byte multiple; the heap's own INIT says */
		x->started = true;
		return true;
	case HOST_HEAP_NO_MEMORY:
		snprintf(err, errlen, "no memory for a heap of %" PRIu64 " bytes", size);
		return false;
	case HOST_HEAP_REFUSED:
		snprintf(err, errlen, "the allocator core refuses a heap of %" PRIu64 " bytes", size);
		return false;
	default:
		snprintf(err, errlen, "a heap of %" PRIu64 " bytes is too large to replay", size);
		return false;
	}
}

/* Remembers that the original block at orig is at host address p (0: not placed). */
static bool block_add(struct replay *x, uint64_t orig, uint64_t p)
{
	uint32_t i;
	if (x->nfree) {
		i = x->free_slots[--x->nfree];
	} else {
		if (x->naddr == x->capaddr) {
			uint32_t cap = x->capaddr ? x->capaddr * 2 : 1024;
			uint64_t *a = realloc(x->addr, cap * sizeof *a);
			if (!a)
				return false;
			x->addr = a, x->capaddr = cap;
		}
		i = x->naddr++;
	}
	x->addr[i] = p;
	return u64_map_put(&x->blocks, orig, i);
}

static bool block_take(struct replay *x, uint64_t orig, uint64_t *p)
{
	uint32_t i = u64_map_get(&x->blocks, orig);
	if (i == U64_MAP_NONE)
		return false;
	*p = x->addr[i];
	u64_map_remove(&x->blocks, orig);
	if (x->nfree == x->capfree) {
		uint32_t cap = x->capfree ? x->capfree * 2 : 1024;
		uint32_t *s = realloc(x->free_slots, cap * sizeof *s);
		if (!s)
			return true; /* the slot is not reused; nothing is lost */
		x->free_slots = s, x->capfree = cap;
	}
	x->free_slots[x->nfree++] = i;
	return true;
}

/* Replays one event of the original trace; false with err on failure. */
static bool replay_event(struct replay *x, const struct heap_event *t, char *err, size_t errlen)
{
	x->time = t->time;
	x->stack = t->stack;
	size_t align = (size_t)1 << (t->align_log2 & 63);
	switch (t->kind) {
	case HEAP_EV_INIT:
		return x->started || replay_init(x, t, err, errlen);
	case HEAP_EV_ALLOC:
	case HEAP_EV_ALLOC_FAIL: {
		void *p = heap_alloc(&x->hh.heap, (size_t)t->size, align, (uintptr_t)t->caller);
		if (t->kind == HEAP_EV_ALLOC && !block_add(x, t->addr, (uint64_t)(uintptr_t)p)) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		return true; /* a failed request that fits now stays allocated, as it would */
	}
	case HEAP_EV_FREE: {
		uint64_t p = 0;
		if (!block_take(x, t->addr, &p) || !p) {
			x->skipped_frees++;
			return true;
		}
		enum heap_error e = heap_free(&x->hh.heap, (void *)(uintptr_t)p, (size_t)t->size, align,
		                              (uintptr_t)t->caller);
		if (e != HEAP_OK) {
			snprintf(err, errlen, "event %" PRIu64 ": the allocator core refuses the free: %s",
			         t->seq, heap_error_name(e));
			return false;
		}
		return true;
	}
	case HEAP_EV_MARKER:
		heap_mark(&x->hh.heap, t->name);
		return true;
	default: /* split, coalesce: the new heap makes its own; realloc: a summary of
		  * its alloc and free; drop, misuse, end: handled by the caller */
		return true;
	}
}

static int replay_run(struct replay *x)
{
	char err[512];
	trace_validator *v = trace_validator_create(x->path, trace_reader_header(x->r));
	if (!v) {
		fprintf(stderr, "heaptrace replay: out of memory\n");
		return HT_EXIT_IO;
	}
	struct heap_event ev;
	enum trace_read_status st;
	int rc = HT_EXIT_OK;
	bool panic = false;
	uint64_t dropped = 0;
	while (rc == HT_EXIT_OK && (st = trace_reader_next(x->r, &ev)) == TRACE_READ_EVENT) {
		if (!trace_validator_add(v, &ev, trace_reader_line(x->r), err, sizeof err)) {
			fprintf(stderr, "heaptrace replay: %s\n", err);
			rc = HT_EXIT_BAD_INPUT;
		} else if (ev.kind == HEAP_EV_DROP) {
			dropped += ev.size;
		} else if (ev.kind == HEAP_EV_END) {
			panic = (ev.flags & HEAP_END_PANIC) != 0;
		} else if (!replay_event(x, &ev, err, sizeof err)) {
			fprintf(stderr, "heaptrace replay: %s: %s\n", x->path, err);
			rc = HT_EXIT_BAD_INPUT;
		}
	}
	if (rc == HT_EXIT_OK && st == TRACE_READ_ERROR) {
		fprintf(stderr, "heaptrace replay: %s\n", trace_reader_error(x->r));
		rc = HT_EXIT_BAD_INPUT;
	}
	if (rc == HT_EXIT_OK && !trace_validator_finish(v, trace_reader_line(x->r), err, sizeof err)) {
		fprintf(stderr, "heaptrace replay: %s\n", err);
		rc = HT_EXIT_BAD_INPUT;
	}
	trace_validator_destroy(v);
	if (rc != HT_EXIT_OK)
		return rc;
	/* the end: the original's completeness, this heap's bytes in use */
	struct heap_event end = {.kind = HEAP_EV_END, .seq = x->seq, .time = x->time};
	end.size = x->seq + 1;
	end.block = x->hh.heap.used;
	end.flags = panic ? HEAP_END_PANIC : 0;
	if (trace_reader_complete(x->r) && !trace_write_event(x->out, &end, false))
		x->write_error = true;
	fprintf(stderr,
	        "heaptrace replay: %s under %s fit: %" PRIu64 " events, %" PRIu64
	        " failed allocations%s",
	        x->path, heap_policy_name(x->policy), x->seq + (trace_reader_complete(x->r) ? 1 : 0),
	        x->fails,
	        trace_reader_complete(x->r) ? "" : "; the trace has no end event: replayed as far as it goes");
	if (x->skipped_frees)
		fprintf(stderr, "; %" PRIu64 " frees of blocks it could not place skipped",
		        x->skipped_frees);
	fputc('\n', stderr);
	if (dropped) {
		fprintf(stderr, "heaptrace replay: warning: %s lost %" PRIu64
		                " events to drops: the requests replayed are not all the run made\n",
		        x->path, dropped);
		return HT_EXIT_UNCERTAIN;
	}
	return HT_EXIT_OK;
}

static int run_replay(int argc, char **argv)
{
	struct replay x;
	memset(&x, 0, sizeof x);
	const char *outpath = NULL;
	int policy = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(a, "--policy") && has) {
			policy = heap_policy_from_name(argv[++i]);
			if (policy < 0) {
				fprintf(stderr, "heaptrace replay: --policy %s: want first, next, best or "
				                "segregated\n",
				        argv[i]);
				return HT_EXIT_BAD_INPUT;
			}
		} else if (!strcmp(a, "--heap-size") && has) {
			char *end;
			x.heap_size = strtoull(argv[++i], &end, 0);
			if (*end || !*argv[i] || argv[i][0] == '-' || x.heap_size < 4096) {
				fprintf(stderr, "heaptrace replay: --heap-size %s: want a number of bytes "
				                "of at least 4096\n",
				        argv[i]);
				return HT_EXIT_BAD_INPUT;
			}
			x.heap_size &= ~(uint64_t)15;
		} else if (!strcmp(a, "-o") && has) {
			outpath = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "heaptrace replay: unknown option or missing value: '%s'\n", a);
			usage(stderr);
			return HT_EXIT_BAD_INPUT;
		} else if (!x.path) {
			x.path = a;
		} else {
			fprintf(stderr, "heaptrace replay: one trace only ('%s')\n", a);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (policy < 0 || !outpath || !x.path) {
		fprintf(stderr, "heaptrace replay: %s is required\n",
		        policy < 0 ? "--policy" : !outpath ? "-o OUT" : "a TRACE");
		usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	x.policy = (enum heap_policy)policy;
	char err[512];
	x.r = trace_reader_open(x.path, err, sizeof err);
	if (!x.r) {
		fprintf(stderr, "heaptrace replay: %s\n", err);
		return HT_EXIT_BAD_INPUT;
	}
	out_file *o = out_file_open(outpath, 0, err, sizeof err);
	if (!o) {
		fprintf(stderr, "heaptrace replay: %s\n", err);
		trace_reader_close(x.r);
		return HT_EXIT_IO;
	}
	x.out = out_file_stream(o);
	int rc = replay_run(&x);
	if (rc == HT_EXIT_OK || rc == HT_EXIT_UNCERTAIN) {
		if (x.write_error || !out_file_close(o, err, sizeof err)) {
			fprintf(stderr, "heaptrace replay: %s\n", x.write_error ? "write error" : err);
			rc = HT_EXIT_IO;
		}
	} else {
		out_file_discard(o);
	}
	host_heap_close(&x.hh);
	free(x.addr);
	free(x.free_slots);
	u64_map_free(&x.blocks);
	u64_map_free(&x.syms);
	u64_map_free(&x.stacks);
	trace_reader_close(x.r);
	return rc;
}

HEAPTRACE_COMMAND(replay, "--policy P [--heap-size N] -o OUT TRACE",
                  "what another allocator policy would do with TRACE's requests", run_replay);
