/* fuzz_reader_line.c - libFuzzer target: event and symbol lines after a fixed,
 * valid header, through the streaming trace reader (trace/trace_reader.h).
 *
 * Properties, for any input: the reader never crashes; every event it returns
 * has a kind in range and a sequence number above the previous one; nothing
 * follows an end event; an error names "FILE:LINE: "; and every event it
 * accepts survives the formatter: written back with trace_format_event (after
 * the stack records it read, written by trace_write_stack) and read again, it
 * is the same event (fields its kind carries).
 */
#include <inttypes.h>

#include "fuzz_event.h"
#include "fuzz_util.h"
#include "trace_reader.h"

static const char header[] =
    "{\"format\":\"heapscope-trace\",\"version\":1,\"channel\":\"semihosting\","
    "\"workload\":\"churn\",\"heap_base\":\"0x80400000\",\"heap_size\":1048576,"
    "\"min_block\":16,\"min_align\":16,\"time_hz\":10000000,\"instret\":false,"
    "\"elf\":\"kernel.elf\"}\n";

#define EVENTS_MAX 4096 /* events checked by the round trip per input */

static struct fuzz_file input, again;
static struct heap_event events[EVENTS_MAX];
static char *buf;
static size_t cap;

static void put(size_t *len, const void *p, size_t n)
{
	if (*len + n > cap) {
		cap = (*len + n) * 2;
		buf = realloc(buf, cap);
		FUZZ_ASSERT(buf, "out of memory");
	}
	memcpy(buf + *len, p, n);
	*len += n;
}

/* An error message starts with "FILE:LINE: " (trace_reader.h). */
static void check_error(const trace_reader *r, const char *path)
{
	const char *e = trace_reader_error(r);
	size_t n = strlen(path);
	FUZZ_ASSERT(!strncmp(e, path, n) && e[n] == ':' && e[n + 1] >= '0' && e[n + 1] <= '9',
	            "error message without FILE:LINE: \"%s\"", e);
}

/* Appends stack record s (ctx: the length so far) to the round trip's input. */
static void put_stack(void *ctx, const struct trace_stack *s)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	FUZZ_ASSERT(f && trace_write_stack(f, s->id, s->depth, s->frames),
	            "stack %u (depth %u) not written", s->id, s->depth);
	fclose(f);
	put(ctx, text, n);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = 0;
	put(&len, header, sizeof header - 1);
	put(&len, data, size);
	put(&len, "\n", 1); /* the input's last line counts, complete or not */

	char err[600];
	const char *path = fuzz_file_set(&input, buf, len);
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	FUZZ_ASSERT(r, "the fixed header was rejected: %s", err);

	size_t n = 0;
	struct heap_event ev;
	enum trace_read_status st;
	bool ended = false;
	uint64_t prev_seq = 0;
	while ((st = trace_reader_next(r, &ev)) == TRACE_READ_EVENT) {
		FUZZ_ASSERT(!ended, "event %" PRIu64 " returned after the end event", ev.seq);
		FUZZ_ASSERT(ev.kind < HEAP_EV_COUNT, "kind %u out of range", ev.kind);
		FUZZ_ASSERT(n == 0 || ev.seq > prev_seq,
		            "sequence number %" PRIu64 " does not follow %" PRIu64, ev.seq, prev_seq);
		prev_seq = ev.seq;
		FUZZ_ASSERT(memchr(ev.name, 0, sizeof ev.name), "marker name not terminated");
		ended = ev.kind == HEAP_EV_END;
		if (n < EVENTS_MAX)
			events[n] = ev;
		n++;
	}
	FUZZ_ASSERT(trace_reader_events(r) == n, "event count %" PRIu64 " but %zu returned",
	            trace_reader_events(r), n);
	FUZZ_ASSERT(trace_reader_complete(r) == ended, "complete() disagrees with the events");
	size_t len_stacks = 0; /* the stack records, written back before the events */
	put(&len_stacks, header, sizeof header - 1);
	trace_reader_each_stack(r, put_stack, &len_stacks);
	if (st == TRACE_READ_ERROR) {
		check_error(r, path);
		FUZZ_ASSERT(trace_reader_next(r, &ev) == TRACE_READ_ERROR, "error not sticky");
	} else {
		FUZZ_ASSERT(st == TRACE_READ_EOF, "status %d on a whole file", (int)st);
	}
	trace_reader_close(r);

	/* the round trip: every accepted event, formatted and read again */
	if (n > EVENTS_MAX)
		n = EVENTS_MAX;
	len = len_stacks;
	for (size_t i = 0; i < n; i++) {
		char line[TRACE_EVENT_LINE_MAX];
		put(&len, line, trace_format_event(line, &events[i], false));
	}
	path = fuzz_file_set(&again, buf, len);
	r = trace_reader_open(path, err, sizeof err);
	FUZZ_ASSERT(r, "the fixed header was rejected: %s", err);
	for (size_t i = 0; i < n; i++) {
		st = trace_reader_next(r, &ev);
		char a[400], b[400];
		FUZZ_ASSERT(st == TRACE_READ_EVENT, "formatted event %zu not read back: %s (%s)", i,
		            trace_reader_error(r), fuzz_event_str(&events[i], a, sizeof a));
		struct heap_event want = events[i];
		fuzz_event_normalize(&want, false);
		fuzz_event_normalize(&ev, false);
		FUZZ_ASSERT(fuzz_event_equal(&want, &ev), "event %zu changed: %s became %s", i,
		            fuzz_event_str(&want, a, sizeof a), fuzz_event_str(&ev, b, sizeof b));
	}
	FUZZ_ASSERT(trace_reader_next(r, &ev) == TRACE_READ_EOF, "extra events read back");
	trace_reader_close(r);
	return 0;
}
