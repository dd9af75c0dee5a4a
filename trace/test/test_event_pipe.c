/* test_event_pipe.c - the threaded event pipe gives exactly the reader's
 * events, in order, across batch boundaries; passes errors and the end on;
 * can be stopped mid-trace. Traces come from the real allocator (tracegen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_pipe.h"
#include "test/test.h"
#include "tracegen.h"

#define ASSERT_ST(a, b) ASSERT_EQ((int)(a), (int)(b))

static char path[256];

/* Writes a churn trace of about `ops` operations; returns its path. */
static const char *make_trace(uint64_t ops)
{
	snprintf(path, sizeof path, "%s/pipetestXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	FILE *f = fdopen(fd, "w");
	ASSERT_NOT_NULL(f);
	struct tracegen g;
	struct tracegen_opts o = {.heap_size = 65536, .out = f, .workload = "pipe"};
	ASSERT(tracegen_open(&g, &o));
	struct tracegen_churn c = {.ops = ops, .seed = 3};
	tracegen_churn(&g, &c);
	ASSERT(tracegen_close(&g, false));
	ASSERT_EQ(fclose(f), 0);
	return path;
}

static trace_reader *open_or_fail(const char *p)
{
	char err[256];
	trace_reader *r = trace_reader_open(p, err, sizeof err);
	ASSERT_MSG(r != NULL, "open %s: %s", p, err);
	return r;
}

TEST_CASE(pipe_yields_the_readers_events_in_order_across_batches)
{
	const char *p = make_trace(5000); /* several EVENT_PIPE_BATCH batches */
	trace_reader *direct = open_or_fail(p), *piped = open_or_fail(p);
	event_pipe *pipe = event_pipe_start(piped);
	ASSERT_NOT_NULL(pipe);
	struct heap_event a, b;
	uint64_t n = 0;
	enum trace_read_status sa, sb;
	do {
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		sa = trace_reader_next(direct, &a);
		sb = event_pipe_next(pipe, &b);
		ASSERT_ST(sb, sa);
		if (sa == TRACE_READ_EVENT) {
			ASSERT_MEM_EQ(&a, &b, sizeof a);
			n++;
		}
	} while (sa == TRACE_READ_EVENT);
	ASSERT_ST(sa, TRACE_READ_EOF);
	ASSERT_GT(n, (uint64_t)3 * EVENT_PIPE_BATCH);
	ASSERT_ST(event_pipe_next(pipe, &b), TRACE_READ_EOF); /* the end is sticky */
	event_pipe_stop(pipe);
	ASSERT(trace_reader_complete(piped));
	trace_reader_close(direct);
	trace_reader_close(piped);
	unlink(p);
}

TEST_CASE(pipe_passes_a_bad_line_on_as_an_error_after_the_good_events)
{
	const char *p = make_trace(3000);
	/* damage line 2000 (an event line) */
	FILE *f = fopen(p, "r+");
	ASSERT_NOT_NULL(f);
	char line[512];
	for (int i = 1; i < 2000; i++)
		ASSERT_NOT_NULL(fgets(line, sizeof line, f));
	ASSERT_EQ(fseek(f, ftell(f), SEEK_SET), 0);
	ASSERT(fputs("{\"i\":x", f) >= 0);
	ASSERT_EQ(fclose(f), 0);

	trace_reader *r = open_or_fail(p);
	event_pipe *pipe = event_pipe_start(r);
	ASSERT_NOT_NULL(pipe);
	struct heap_event ev;
	enum trace_read_status st;
	uint64_t n = 0;
	while ((st = event_pipe_next(pipe, &ev)) == TRACE_READ_EVENT)
		n++;
	ASSERT_ST(st, TRACE_READ_ERROR);
	ASSERT_GT(n, 1000u);
	event_pipe_stop(pipe);
	ASSERT_MSG(strstr(trace_reader_error(r), ":2000:") != NULL, "error: %s", trace_reader_error(r));
	trace_reader_close(r);
	unlink(p);
}

TEST_CASE(pipe_can_be_stopped_mid_trace)
{
	const char *p = make_trace(5000);
	trace_reader *r = open_or_fail(p);
	event_pipe *pipe = event_pipe_start(r);
	ASSERT_NOT_NULL(pipe);
	struct heap_event ev;
	for (int i = 0; i < 10; i++)
		ASSERT_ST(event_pipe_next(pipe, &ev), TRACE_READ_EVENT);
	event_pipe_stop(pipe); /* the producer may be blocked on a full ring */
	trace_reader_close(r);
	unlink(p);
}

int main(void)
{
	return test_main();
}
