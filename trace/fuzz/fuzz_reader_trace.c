/* fuzz_reader_trace.c - libFuzzer target: a whole trace file, header included,
 * through the streaming trace reader (trace/trace_reader.h).
 *
 * Properties, for any input: opening either succeeds with a version-1 header
 * whose strings are terminated, or fails with "FILE:LINE: what"; reading
 * never crashes, returns kinds in range and increasing sequence numbers,
 * nothing after an end event, and an error that names FILE:LINE and stays;
 * every symbol record read can be looked up by its address.
 */
#include <inttypes.h>

#include "fuzz_util.h"
#include "trace_reader.h"

static struct fuzz_file input;

static void check_located(const char *e, const char *path)
{
	size_t n = strlen(path);
	FUZZ_ASSERT(!strncmp(e, path, n) && e[n] == ':' && e[n + 1] >= '0' && e[n + 1] <= '9',
	            "error message without FILE:LINE: \"%s\"", e);
}

struct sym_walk {
	const trace_reader *r;
	size_t n;
};

static void check_symbol(void *ctx, const struct trace_symbol *sym)
{
	struct sym_walk *w = ctx;
	FUZZ_ASSERT(sym->fn && sym->src, "symbol %#" PRIx64 " without fn or src", sym->addr);
	FUZZ_ASSERT(trace_reader_symbol(w->r, sym->addr) == sym,
	            "symbol %#" PRIx64 " listed but not found", sym->addr);
	w->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[600];
	const char *path = fuzz_file_set(&input, data, size);
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	if (!r) {
		check_located(err, path);
		return 0;
	}
	const struct trace_header *h = trace_reader_header(r);
	FUZZ_ASSERT(h->version == TRACE_FORMAT_VERSION, "header version %d accepted", h->version);
	FUZZ_ASSERT(memchr(h->channel, 0, sizeof h->channel) && memchr(h->workload, 0,
	                                                               sizeof h->workload) &&
	                memchr(h->elf, 0, sizeof h->elf),
	            "a header string is not terminated");

	struct heap_event ev;
	enum trace_read_status st;
	uint64_t n = 0, prev_seq = 0;
	bool ended = false;
	while ((st = trace_reader_next(r, &ev)) == TRACE_READ_EVENT) {
		FUZZ_ASSERT(!ended, "event %" PRIu64 " returned after the end event", ev.seq);
		FUZZ_ASSERT(ev.kind < HEAP_EV_COUNT, "kind %u out of range", ev.kind);
		FUZZ_ASSERT(n == 0 || ev.seq > prev_seq,
		            "sequence number %" PRIu64 " does not follow %" PRIu64, ev.seq, prev_seq);
		FUZZ_ASSERT(memchr(ev.name, 0, sizeof ev.name), "marker name not terminated");
		prev_seq = ev.seq;
		ended = ev.kind == HEAP_EV_END;
		n++;
	}
	FUZZ_ASSERT(trace_reader_events(r) == n, "event count %" PRIu64 " but %" PRIu64 " returned",
	            trace_reader_events(r), n);
	FUZZ_ASSERT(trace_reader_complete(r) == ended, "complete() disagrees with the events");
	if (st == TRACE_READ_ERROR) {
		check_located(trace_reader_error(r), path);
		FUZZ_ASSERT(trace_reader_next(r, &ev) == TRACE_READ_ERROR, "error not sticky");
	} else {
		FUZZ_ASSERT(st == TRACE_READ_EOF, "status %d on a whole file", (int)st);
		FUZZ_ASSERT(trace_reader_truncated(r) == (size > 0 && data[size - 1] != '\n'),
		            "truncated() wrong for a file %s in a newline",
		            size && data[size - 1] == '\n' ? "ending" : "not ending");
	}
	struct sym_walk w = {r, 0};
	trace_reader_each_symbol(r, check_symbol, &w);
	trace_reader_close(r);
	return 0;
}
