/* test_trace_reader.c - the JSON trace reader: good lines, every error with its
 * line number, truncated last lines, following a growing file, exact addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heap.h"
#include "test/test.h"
#include "trace_reader.h"

#define HDR                                                                                        \
	"{\"format\":\"heapscope-trace\",\"version\":1,\"channel\":\"uart\",\"workload\":\"w\","   \
	"\"heap_base\":\"0x80400000\",\"heap_size\":1048576,\"min_block\":16,\"min_align\":16,"    \
	"\"time_hz\":10000000,\"instret\":false,\"elf\":\"k.elf\"}\n"
#define INIT                                                                                       \
	"{\"i\":0,\"k\":\"init\",\"t\":5,\"addr\":\"0x80400000\",\"size\":1048576,\"min_block\":"  \
	"16,\"min_align\":16}\n"

/* Compares read statuses (enums) as ints. */
#define ASSERT_ST(a, b) ASSERT_EQ((int)(a), (int)(b))

static char tmp_path[256];

/* Writes text to a fresh temporary file and returns its path. */
static const char *temp_file(const char *text)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmp_path, sizeof tmp_path, "%s/trtestXXXXXX", dir);
	int fd = mkstemp(tmp_path);
	ASSERT(fd >= 0);
	size_t n = strlen(text);
	ASSERT_EQ((size_t)write(fd, text, n), n);
	close(fd);
	return tmp_path;
}

/* Opens a trace of text; NULL with err filled on failure. */
static trace_reader *open_text(const char *text, char *err, size_t errlen)
{
	const char *p = temp_file(text);
	trace_reader *r = trace_reader_open(p, err, errlen);
	unlink(p);
	return r;
}

/* Reads events until something else; returns that status and the error text. */
static enum trace_read_status read_all(trace_reader *r, int *events)
{
	struct heap_event ev;
	enum trace_read_status st;
	*events = 0;
	while ((st = trace_reader_next(r, &ev)) == TRACE_READ_EVENT)
		(*events)++;
	return st;
}

/* Asserts that text fails on line `line` with a message containing `what`. */
static void expect_error(const char *text, int line, const char *what)
{
	char err[512] = "";
	trace_reader *r = open_text(text, err, sizeof err);
	const char *msg = err;
	if (r) {
		int n;
		ASSERT_ST(read_all(r, &n), TRACE_READ_ERROR);
		msg = trace_reader_error(r);
	}
	char want[64];
	snprintf(want, sizeof want, ":%d: ", line);
	ASSERT_MSG(strstr(msg, want) != NULL, "error '%s' lacks line '%s'", msg, want);
	ASSERT_MSG(strstr(msg, what) != NULL, "error '%s' lacks '%s'", msg, what);
	trace_reader_close(r);
}

TEST_CASE(header_fields_are_read)
{
	char err[256];
	trace_reader *r = open_text(HDR, err, sizeof err);
	ASSERT_NOT_NULL(r);
	const struct trace_header *h = trace_reader_header(r);
	ASSERT_EQ(h->version, 1);
	ASSERT_STR_EQ(h->channel, "uart");
	ASSERT_STR_EQ(h->workload, "w");
	ASSERT_STR_EQ(h->elf, "k.elf");
	ASSERT_EQ(h->heap_base, 0x80400000ull);
	ASSERT_EQ(h->heap_size, 1048576ull);
	ASSERT_EQ(h->time_hz, 10000000ull);
	ASSERT(!h->has_instret);
	int n;
	ASSERT_ST(read_all(r, &n), TRACE_READ_EOF);
	ASSERT_EQ(n, 0);
	ASSERT(!trace_reader_complete(r));
	trace_reader_close(r);
}

TEST_CASE(every_kind_round_trips_through_writer_and_reader)
{
	struct heap_event evs[HEAP_EV_COUNT];
	memset(evs, 0, sizeof evs);
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		struct heap_event *e = &evs[k];
		e->kind = (uint8_t)k;
		e->seq = k * 2;
		e->time = 1000 + k;
		e->instret = 77 + k;
		switch (k) {
		case HEAP_EV_INIT:
			e->addr = 0x80400000;
			e->size = 1 << 20;
			e->block = 16;
			e->align_log2 = 4;
			break;
		case HEAP_EV_ALLOC:
			e->addr = 0x80400040;
			e->size = 20;
			e->block = 32;
			e->align_log2 = 6;
			e->caller = 0x80201a3c;
			e->examined = 3;
			break;
		case HEAP_EV_FREE:
			e->addr = 0x80400040;
			e->size = 20;
			e->block = 32;
			e->align_log2 = 6;
			e->caller = 0x80201a40;
			break;
		case HEAP_EV_SPLIT:
			e->addr = 0x80400000;
			e->size = 4096;
			e->addr2 = 0x80400060;
			e->size2 = 3998;
			break;
		case HEAP_EV_COALESCE:
			e->addr = 0x80400000;
			e->size = 512;
			e->addr2 = 0x80400100;
			e->size2 = 64;
			e->flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
			break;
		case HEAP_EV_ALLOC_FAIL:
			e->size = 9000;
			e->align_log2 = 4;
			e->caller = 0x1234;
			e->examined = 9;
			e->block = 8000;
			e->size2 = 4000;
			break;
		case HEAP_EV_REALLOC:
			e->addr = 0x80400200;
			e->size = 99;
			e->addr2 = 0x80400040;
			e->size2 = 20;
			e->caller = 0x55;
			break;
		case HEAP_EV_MARKER:
			strcpy(e->name, "phase \"2\"\\x");
			break;
		case HEAP_EV_DROP:
			e->size = 12;
			break;
		case HEAP_EV_END: /* it comes last (below), numbered HEAP_EV_MISUSE * 2 */
			e->size = HEAP_EV_MISUSE * 2 + 1;
			e->block = 456;
			e->size2 = 12;
			e->flags = HEAP_END_PANIC;
			break;
		case HEAP_EV_MISUSE: /* the panic workload's double free */
			e->flags = HEAP_MISUSE_FLAGS(HEAP_OP_DEALLOC, HEAP_ERR_DOUBLE_FREE);
			e->addr = 0x80400040;
			e->size = 64;
			e->align_log2 = 4;
			e->caller = 0x80206070;
			break;
		}
	}
	/* the end event comes last: swap it with the one kind after it */
	_Static_assert(HEAP_EV_MISUSE == HEAP_EV_COUNT - 1 && HEAP_EV_END == HEAP_EV_MISUSE - 1,
	               "end and misuse are the last two kinds");
	struct heap_event end = evs[HEAP_EV_END];
	evs[HEAP_EV_END] = evs[HEAP_EV_MISUSE];
	evs[HEAP_EV_MISUSE] = end;
	evs[HEAP_EV_END].seq = HEAP_EV_END * 2, evs[HEAP_EV_MISUSE].seq = HEAP_EV_MISUSE * 2;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[256];
	snprintf(path, sizeof path, "%s/trtestXXXXXX", dir);
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct trace_header h = {.version = 1,
	                         .heap_base = 0x80400000,
	                         .heap_size = 1 << 20,
	                         .min_block = 16,
	                         .min_align = 16,
	                         .time_hz = 10000000,
	                         .has_instret = true};
	strcpy(h.channel, "semihosting");
	ASSERT(trace_write_header(f, &h));
	ASSERT(trace_write_symbol(f, 0x80201a3c, "vec_grow", "kernel/vec.c:57"));
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++)
		ASSERT(trace_write_event(f, &evs[k], true));
	fclose(f);
	char err[256];
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	unlink(path);
	ASSERT_MSG(r != NULL, "%s", err);
	ASSERT(trace_reader_header(r)->has_instret);
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		struct heap_event ev;
		ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
		ASSERT_MEM_EQ(&ev, &evs[k], sizeof ev);
	}
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EOF);
	ASSERT(trace_reader_complete(r));
	ASSERT_EQ(trace_reader_events(r), (uint64_t)HEAP_EV_COUNT);
	const struct trace_symbol *s = trace_reader_symbol(r, 0x80201a3c);
	ASSERT_NOT_NULL(s);
	ASSERT_STR_EQ(s->fn, "vec_grow");
	ASSERT_STR_EQ(s->src, "kernel/vec.c:57");
	ASSERT_NULL(trace_reader_symbol(r, 0x80201a40));
	trace_reader_close(r);
}

/* ---- call stacks: stack records, the events' stack, inlined symbols -------------------- */

#define STACK_HDR                                                                                  \
	"{\"format\":\"heapscope-trace\",\"version\":1,\"channel\":\"uart\",\"workload\":\"w\","   \
	"\"heap_base\":\"0x80400000\",\"heap_size\":1048576,\"min_block\":16,\"min_align\":16,"    \
	"\"time_hz\":10000000,\"instret\":false,\"elf\":\"k.elf\",\"stack_depth\":4}\n"
#define STACK_REC(id, frames) "{\"k\":\"stack\",\"id\":" id ",\"frames\":[" frames "]}\n"
/* an alloc of 64 bytes at 0x80400000 from caller, naming stack */
#define STACK_ALLOC(caller, stack)                                                                 \
	"{\"i\":1,\"k\":\"alloc\",\"t\":6,\"addr\":\"0x80400000\",\"size\":64,\"align\":16,"       \
	"\"block\":64,\"caller\":\"" caller "\",\"stack\":" stack ",\"ex\":1}\n"

TEST_CASE(stack_and_inlined_symbol_records_round_trip_through_writer_and_reader)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[256];
	snprintf(path, sizeof path, "%s/trtestXXXXXX", dir);
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct trace_header h = {.version = 1, .heap_base = 0x80400000, .heap_size = 1 << 20,
	                         .min_block = 16, .min_align = 16, .stack_depth = 8};
	ASSERT(trace_write_header(f, &h));
	const struct trace_inline inl[2] = {{"vec_push", "kernel/vec.c:80"},
	                                    {"run_vector", "samples/vector.c:40"}};
	struct trace_symbol sym = {.addr = 0x80200f10, .fn = "vec_grow", .src = "kernel/vec.c:57",
	                           .n_inlined = 2, .inlined = inl};
	ASSERT(trace_write_symbol_record(f, &sym));
	const uint64_t deep[3] = {0x80201a3c, 0x80200f10, 0xffffffffffffffffull};
	const uint64_t one[1] = {0x80201a3c};
	ASSERT(trace_write_stack(f, 7, 3, deep));
	ASSERT(trace_write_stack(f, 4294967295u, 1, one));
	ASSERT(!trace_write_stack(f, 0, 1, one));                         /* id 0: none */
	ASSERT(!trace_write_stack(f, 1, 0, one));                         /* no frame */
	ASSERT(!trace_write_stack(f, 1, TRACE_STACK_DEPTH_MAX + 1, deep)); /* too deep */
	struct heap_event init = {.kind = HEAP_EV_INIT, .addr = 0x80400000, .size = 1 << 20,
	                          .block = 16, .align_log2 = 4};
	struct heap_event a = {.kind = HEAP_EV_ALLOC, .seq = 1, .addr = 0x80400000, .size = 64,
	                       .block = 64, .align_log2 = 4, .caller = 0x80201a3c, .stack = 7};
	struct heap_event fr = {.kind = HEAP_EV_FREE, .seq = 2, .addr = 0x80400000, .size = 64,
	                        .block = 64, .align_log2 = 4, .caller = 0x80201a3c,
	                        .stack = 4294967295u};
	ASSERT(trace_write_event(f, &init, false));
	ASSERT(trace_write_event(f, &a, false));
	ASSERT(trace_write_event(f, &fr, false));
	fclose(f);

	char err[256];
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	unlink(path);
	ASSERT_MSG(r != NULL, "%s", err);
	ASSERT_EQ(trace_reader_header(r)->stack_depth, 8u);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_MEM_EQ(&ev, &init, sizeof ev);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_MEM_EQ(&ev, &a, sizeof ev);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_MEM_EQ(&ev, &fr, sizeof ev);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EOF);

	const struct trace_stack *st = trace_reader_stack(r, 7);
	ASSERT_NOT_NULL(st);
	ASSERT_EQ(st->id, 7u);
	ASSERT_EQ(st->depth, 3u);
	ASSERT_MEM_EQ(st->frames, deep, sizeof deep);
	ASSERT_EQ(trace_reader_stack(r, 4294967295u)->depth, 1u);
	ASSERT_NULL(trace_reader_stack(r, 1));
	ASSERT_NULL(trace_reader_stack(r, 0));

	const struct trace_symbol *s = trace_reader_symbol(r, 0x80200f10);
	ASSERT_NOT_NULL(s);
	ASSERT_STR_EQ(s->fn, "vec_grow");
	ASSERT_STR_EQ(s->src, "kernel/vec.c:57");
	ASSERT_EQ(s->n_inlined, 2u);
	ASSERT_STR_EQ(s->inlined[0].fn, "vec_push");
	ASSERT_STR_EQ(s->inlined[0].src, "kernel/vec.c:80");
	ASSERT_STR_EQ(s->inlined[1].fn, "run_vector");
	ASSERT_STR_EQ(s->inlined[1].src, "samples/vector.c:40");
	trace_reader_close(r);
}

/* Counts the stacks trace_reader_each_stack gives, checking they come in order. */
static void count_stack(void *ctx, const struct trace_stack *s)
{
	uint32_t *n = ctx;
	ASSERT_EQ(s->id, *n + 1); /* the test defines ids 1, 2, ... in order */
	(*n)++;
}

TEST_CASE(stack_records_are_listed_once_each_and_an_identical_redefinition_is_no_error)
{
	char err[256];
	trace_reader *r = open_text(STACK_HDR INIT STACK_REC("1", "\"0x10\",\"0x20\"")
	                                STACK_REC("2", "\"0x10\"") STACK_REC("1", "\"0x10\",\"0x20\"")
	                                    STACK_ALLOC("0x10", "1"),
	                            err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	int n;
	ASSERT_ST(read_all(r, &n), TRACE_READ_EOF);
	ASSERT_EQ(n, 2);
	uint32_t count = 0;
	trace_reader_each_stack(r, count_stack, &count);
	ASSERT_EQ(count, 2u);
	trace_reader_close(r);
}

TEST_CASE(a_symbol_without_inlined_functions_has_none)
{
	char err[256];
	trace_reader *r = open_text(HDR "{\"k\":\"sym\",\"addr\":\"0x10\",\"fn\":\"f\",\"src\":\"a.c:1\"}\n" INIT,
	                            err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	int n;
	ASSERT_ST(read_all(r, &n), TRACE_READ_EOF);
	ASSERT_EQ(trace_reader_symbol(r, 0x10)->n_inlined, 0u);
	trace_reader_close(r);
}

TEST_CASE(an_event_without_stack_in_a_trace_with_stacks_has_stack_0)
{
	char err[256];
	trace_reader *r = open_text(STACK_HDR INIT
	                            "{\"i\":1,\"k\":\"alloc\",\"t\":6,\"addr\":\"0x80400000\",\"size\":64,"
	                            "\"align\":16,\"block\":64,\"caller\":\"0x0\",\"ex\":1}\n",
	                            err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.stack, 0u);
	trace_reader_close(r);
}

TEST_CASE(bad_stacks_are_errors_with_their_line)
{
	/* events naming stacks */
	expect_error(STACK_HDR INIT STACK_ALLOC("0x10", "3"), 3,
	             "event 1: stack 3 is not defined (no stack record with that id before it)");
	expect_error(STACK_HDR INIT STACK_ALLOC("0x10", "3") STACK_REC("3", "\"0x10\""), 3,
	             "stack 3 is not defined");
	expect_error(STACK_HDR INIT STACK_REC("3", "\"0x10\",\"0x20\"") STACK_ALLOC("0x20", "3"), 4,
	             "event 1: caller 0x20 is not the first frame of stack 3 (0x10)");
	expect_error(STACK_HDR INIT STACK_ALLOC("0x10", "4294967296"), 3, "field 'stack' out of range");
	expect_error(STACK_HDR INIT STACK_ALLOC("0x10", "\"3\""), 3,
	             "field 'stack': expected a non-negative integer");
	/* the records themselves */
	expect_error(STACK_HDR INIT STACK_REC("1", "\"0x10\"") STACK_REC("1", "\"0x10\",\"0x20\""), 4,
	             "stack record 1 redefines stack 1 with other frames");
	expect_error(STACK_HDR INIT STACK_REC("0", "\"0x10\""), 3,
	             "stack record: 'id' 0 is not 1 to 4294967295");
	expect_error(STACK_HDR INIT STACK_REC("4294967296", "\"0x10\""), 3,
	             "stack record: 'id' 4294967296 is not 1 to 4294967295");
	expect_error(STACK_HDR INIT STACK_REC("-1", "\"0x10\""), 3,
	             "field 'id': expected a non-negative integer");
	expect_error(STACK_HDR INIT "{\"k\":\"stack\",\"frames\":[\"0x10\"]}\n", 3,
	             "stack record lacks field 'id'");
	expect_error(STACK_HDR INIT "{\"k\":\"stack\",\"id\":1}\n", 3,
	             "stack record lacks field 'frames'");
	expect_error(STACK_HDR INIT STACK_REC("2", ""), 3,
	             "stack record 2: 'frames' has 0 frames (1 to 32 allowed)");
	expect_error(STACK_HDR INIT STACK_REC("2", "\"0x10\",16"), 3,
	             "stack record 2: 'frames' is not a list of hex addresses like \"0x80201a3c\"");
	expect_error(STACK_HDR INIT STACK_REC("2", "\"0x10\",\"0xfg\""), 3,
	             "stack record 2: 'frames' is not a list of hex addresses");
	expect_error(STACK_HDR INIT "{\"k\":\"stack\",\"id\":2,\"frames\":\"0x10\"}\n", 3,
	             "stack record 2: 'frames' is not a list of hex addresses");
	expect_error(STACK_HDR INIT "{\"k\":\"stack\",\"id\":2,\"frames\":[\"0x10\"}\n", 3,
	             "field 'frames': expected a JSON value");
	expect_error(STACK_HDR INIT STACK_REC("2", "\"0x1\",\"0x2\",\"0x3\",\"0x4\",\"0x5\""), 3,
	             "stack record 2 has 5 frames, more than the header's stack_depth 4");
	char deep[1024] = STACK_HDR INIT "{\"k\":\"stack\",\"id\":2,\"frames\":[";
	char text[sizeof deep + 16];
	for (int i = 0; i < 33; i++)
		strcat(deep, i ? ",\"0x10\"" : "\"0x10\"");
	snprintf(text, sizeof text, "%s]}\n", deep);
	char *depth = strstr(text, ",\"stack_depth\":4");
	ASSERT_NOT_NULL(depth);
	memmove(depth, depth + 16, strlen(depth + 16) + 1); /* the header without stack_depth */
	expect_error(text, 3, "stack record 2: 'frames' has 33 frames (1 to 32 allowed)");
	/* the header */
	expect_error("{\"format\":\"heapscope-trace\",\"version\":1,\"heap_base\":\"0x0\","
	             "\"heap_size\":1,\"stack_depth\":33}\n",
	             1, "header: 'stack_depth' 33 is above 32");
	expect_error("{\"format\":\"heapscope-trace\",\"version\":1,\"heap_base\":\"0x0\","
	             "\"heap_size\":1,\"stack_depth\":\"8\"}\n",
	             1, "header: field 'stack_depth' is not a non-negative integer");
	/* inlined functions of a symbol */
	expect_error(HDR INIT "{\"k\":\"sym\",\"addr\":\"0x10\",\"inlined\":[]}\n", 3,
	             "sym record: 'inlined' is not a list of 1 to 32 objects with \"fn\" and \"src\" strings");
	expect_error(HDR INIT "{\"k\":\"sym\",\"addr\":\"0x10\",\"inlined\":{\"fn\":\"f\"}}\n", 3,
	             "sym record: 'inlined' is not a list");
	expect_error(HDR INIT "{\"k\":\"sym\",\"addr\":\"0x10\",\"inlined\":[{\"fn\":\"f\"},{\"fn\":3}]}\n",
	             3, "sym record: inlined function 2 is not an object with \"fn\" and \"src\" strings");
	expect_error(HDR INIT "{\"k\":\"sym\",\"addr\":\"0x10\",\"inlined\":[\"f\"]}\n", 3,
	             "sym record: inlined function 1 is not an object");
}

/* The misuse line of docs/trace-format.md: the panic workload's double free. */
#define MISUSE_LINE(op, error, align)                                                              \
	"{\"i\":1,\"k\":\"misuse\",\"t\":9,\"op\":\"" op "\",\"error\":\"" error                 \
	"\",\"addr\":\"0x80400040\",\"size\":64,\"align\":" align                                 \
	",\"caller\":\"0x80206070\",\"len\":0}\n"

TEST_CASE(misuse_line_names_the_operation_the_error_and_the_caller)
{
	char err[256];
	trace_reader *r = open_text(HDR INIT MISUSE_LINE("dealloc", "double free", "16"), err,
	                            sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.kind, HEAP_EV_MISUSE);
	ASSERT_EQ(HEAP_MISUSE_OP(ev.flags), (unsigned)HEAP_OP_DEALLOC);
	ASSERT_EQ(HEAP_MISUSE_ERROR(ev.flags), (unsigned)HEAP_ERR_DOUBLE_FREE);
	ASSERT_EQ(ev.addr, 0x80400040ull);
	ASSERT_EQ(ev.size, 64u);
	ASSERT_EQ(ev.align_log2, 4);
	ASSERT_EQ(ev.caller, 0x80206070ull);
	trace_reader_close(r);
}

TEST_CASE(misuse_error_names_are_the_allocators)
{
	for (unsigned e = 1; e < 16; e++) {
		const char *name = heap_misuse_error_name(e);
		if (name)
			ASSERT_STR_EQ(name, heap_error_name((enum heap_error)e));
	}
	ASSERT_EQ(heap_misuse_error_from_name("double free"), (int)HEAP_ERR_DOUBLE_FREE);
	ASSERT_EQ(heap_misuse_error_from_name("outside the heap"), (int)HEAP_ERR_OUTSIDE);
	ASSERT_EQ(heap_misuse_error_from_name("misaligned"), (int)HEAP_ERR_MISALIGNED);
	ASSERT_EQ(heap_misuse_error_from_name("bad layout"), (int)HEAP_ERR_BAD_LAYOUT);
}

TEST_CASE(misuse_with_an_alignment_that_is_no_power_of_two_reads_as_align_0)
{
	char err[256];
	trace_reader *r =
	    open_text(HDR INIT MISUSE_LINE("dealloc", "bad layout", "0"), err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.align_log2, HEAP_MISUSE_ALIGN_BAD);
	char line[TRACE_EVENT_LINE_MAX];
	line[trace_format_event(line, &ev, false)] = 0;
	ASSERT_MSG(strstr(line, "\"align\":0,") != NULL, "%s", line);
	trace_reader_close(r);
}

TEST_CASE(misuse_with_an_unknown_op_or_error_is_an_error)
{
	expect_error(HDR INIT MISUSE_LINE("unmap", "double free", "16"), 3, "field 'op'");
	expect_error(HDR INIT MISUSE_LINE("free", "use after free", "16"), 3, "field 'error'");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"misuse\",\"t\":9,\"op\":\"free\"}\n", 3,
	             "misuse event lacks field");
}

TEST_CASE(addresses_keep_all_64_bits)
{
	char err[256];
	trace_reader *r = open_text(
	    HDR INIT "{\"i\":1,\"k\":\"alloc\",\"t\":6,\"addr\":\"0xfffffffffffffff0\",\"size\":1,"
	             "\"align\":16,\"block\":16,\"caller\":\"0x8000000000000001\",\"ex\":0}\n",
	    err, sizeof err);
	ASSERT_NOT_NULL(r);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.addr, 0xfffffffffffffff0ull);
	ASSERT_EQ(ev.caller, 0x8000000000000001ull);
	ASSERT_EQ(ev.size, 1ull);
	ASSERT_EQ(ev.align_log2, 4);
	trace_reader_close(r);
}

TEST_CASE(unknown_fields_of_any_type_are_skipped)
{
	char err[256];
	trace_reader *r = open_text(
	    HDR
	    "{\"x\":{\"a\":[1,2,{\"b\":\"}\"}],\"c\":null},\"i\":0,\"y\":-1.5e3,\"k\":\"marker\","
	    "\"z\":true,\"t\":1,\"name\":\"a\\u00e9b\" , \"w\" : \"\\\"\" }\n",
	    err, sizeof err);
	ASSERT_NOT_NULL(r);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.kind, HEAP_EV_MARKER);
	ASSERT_STR_EQ(ev.name, "a\xc3\xa9"
	                       "b");
	trace_reader_close(r);
}

TEST_CASE(truncated_last_line_is_ignored_at_eof)
{
	char err[256];
	trace_reader *r =
	    open_text(HDR INIT "{\"i\":1,\"k\":\"marker\",\"t\":7,\"na", err, sizeof err);
	ASSERT_NOT_NULL(r);
	int n;
	ASSERT_ST(read_all(r, &n), TRACE_READ_EOF);
	ASSERT_EQ(n, 1);
	ASSERT(trace_reader_truncated(r));
	ASSERT(!trace_reader_complete(r));
	trace_reader_close(r);
}

TEST_CASE(errors_name_the_file_line_and_problem)
{
	expect_error("", 1, "no trace header");
	expect_error("{\"format\":\"other\"}\n", 1, "not a heapscope trace");
	expect_error("[1]\n", 1, "not a JSON object");
	expect_error("{\"format\":\"heapscope-trace\",\"version\":2,\"heap_base\":\"0x0\",\"heap_"
	             "size\":1}\n",
	             1, "unsupported trace version 2");
	expect_error("{\"format\":\"heapscope-trace\",\"version\":1,\"heap_size\":1}\n", 1,
	             "heap_base");
	expect_error(HDR INIT "nonsense\n", 3, "not a JSON object");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"x\"\n", 3,
	             "expected ',' or '}'");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"x\"} x\n", 3,
	             "text after");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"bogus\",\"t\":1}\n", 3,
	             "unknown event kind \"bogus\"");
	expect_error(HDR INIT "{\"i\":1,\"t\":1}\n", 3, "no kind");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":1}\n", 3, "lacks field 'count'");
	expect_error(HDR INIT "{\"k\":\"drop\",\"t\":1,\"count\":1}\n", 3, "lacks field 'i'");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":1,\"count\":-1}\n", 3,
	             "'count': expected a non-negative");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":1,\"count\":1.5}\n", 3,
	             "'count': expected a non-negative");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":1,\"count\":99999999999999999999}\n",
	             3, "below 2^53");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"free\",\"t\":1,\"addr\":12,\"size\":1,\"align\":16,"
	                      "\"block\":16,\"caller\":\"0x0\"}\n",
	             3, "'addr': expected a hex address");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"free\",\"t\":1,\"addr\":\"0xzz\",\"size\":1,"
	                      "\"align\":16,\"block\":16,\"caller\":\"0x0\"}\n",
	             3, "'addr': expected a hex address");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"free\",\"t\":1,\"addr\":\"0x10\",\"size\":1,"
	                      "\"align\":24,\"block\":16,\"caller\":\"0x0\"}\n",
	             3, "not a power of two");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"coalesce\",\"t\":1,\"addr\":\"0x10\",\"size\":1,"
	                      "\"freed_addr\":\"0x10\",\"freed_size\":1,\"merged\":\"up\"}\n",
	             3, "'merged'");
	expect_error(HDR INIT "{\"i\":0,\"k\":\"marker\",\"t\":1,\"name\":\"x\"}\n", 3,
	             "sequence number 0 does not follow 0");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"end\",\"t\":1,\"events\":2,\"dropped\":0,\"used\":"
	                      "0,\"panic\":false}\n"
	                      "{\"i\":2,\"k\":\"marker\",\"t\":1,\"name\":\"x\"}\n",
	             4, "after the end event");
	expect_error(
	    HDR INIT
	    "{\"i\":1,\"k\":\"end\",\"t\":1,\"events\":2,\"dropped\":0,\"used\":0,\"panic\":1}\n",
	    3, "'panic': expected true or false");
	expect_error(HDR INIT "{\"k\":\"sym\",\"fn\":\"f\"}\n", 3, "lacks field 'addr'");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"a\tb\"}\n", 3,
	             "'name': expected a string");
}

TEST_CASE(errors_stay_sticky)
{
	char err[256];
	trace_reader *r = open_text(HDR "oops\n" INIT, err, sizeof err);
	ASSERT_NOT_NULL(r);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_ERROR);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_ERROR);
	ASSERT_EQ(trace_reader_line(r), 2ull);
	trace_reader_close(r);
}

TEST_CASE(missing_file_is_reported)
{
	char err[256];
	trace_reader *r = trace_reader_open("no/such/trace.jsonl", err, sizeof err);
	ASSERT_NULL(r);
	ASSERT(strstr(err, "no/such/trace.jsonl") != NULL);
	ASSERT(strstr(err, "No such file") != NULL);
}

TEST_CASE(a_growing_file_can_be_followed)
{
	const char *p = temp_file(HDR "{\"i\":0,\"k\":\"init\",\"t\":5,\"addr\":\"0x8040");
	char path[256];
	strcpy(path, p);
	char err[256];
	trace_reader *r = trace_reader_open_follow(path, 100, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_AGAIN);
	FILE *f = fopen(path, "a");
	ASSERT_NOT_NULL(f);
	fputs("0000\",\"size\":1048576,\"min_block\":16,\"min_align\":16}\n{\"i\":1,", f);
	fflush(f);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.kind, HEAP_EV_INIT);
	ASSERT_EQ(ev.addr, 0x80400000ull);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_AGAIN);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_AGAIN);
	fputs("\"k\":\"end\",\"t\":9,\"events\":2,\"dropped\":0,\"used\":0,\"panic\":false}\n", f);
	fclose(f);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.kind, HEAP_EV_END);
	ASSERT_EQ(trace_reader_line(r), 3ull);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EOF);
	trace_reader_close(r);
	unlink(path);
}

TEST_CASE(following_a_file_another_process_creates_and_writes)
{
	char path[256];
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(path, sizeof path, "%s/trfollow.%ld.jsonl", dir, (long)getpid());
	unlink(path);
	fflush(stdout);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) { /* the writer: creates the file late, then writes in pieces */
		struct timespec ts = {0, 30 * 1000000L};
		nanosleep(&ts, NULL);
		FILE *f = fopen(path, "w");
		if (!f)
			_exit(1);
		const char *pieces[] = {HDR, INIT "{\"i\":1,\"k\":\"mar",
		                        "ker\",\"t\":6,\"name\":\"x\"}\n",
		                        "{\"i\":2,\"k\":\"end\",\"t\":7,\"events\":3,\"dropped\":0,"
		                        "\"used\":0,\"panic\":false}\n"};
		for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
			fputs(pieces[i], f);
			fflush(f);
			nanosleep(&ts, NULL);
		}
		fclose(f);
		_exit(0);
	}
	char err[256];
	trace_reader *r = trace_reader_open_follow(path, 3000, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	int kinds[3], n = 0, again = 0;
	for (int spins = 0; n < 3 && spins < 1000; spins++) {
		struct heap_event ev;
		enum trace_read_status st = trace_reader_next(r, &ev);
		if (st == TRACE_READ_EVENT) {
			kinds[n++] = ev.kind;
		} else {
			ASSERT_ST(st, TRACE_READ_AGAIN);
			again++;
			struct timespec ts = {0, 5 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	ASSERT_EQ(n, 3);
	ASSERT_EQ(kinds[0], HEAP_EV_INIT);
	ASSERT_EQ(kinds[1], HEAP_EV_MARKER);
	ASSERT_EQ(kinds[2], HEAP_EV_END);
	ASSERT_GT(again, 0);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EOF);
	trace_reader_close(r);
	int status;
	waitpid(pid, &status, 0);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
}

TEST_CASE(following_waits_for_the_header)
{
	const char *p = temp_file("{\"format\":\"heapscope-trace\",");
	char path[256], err[256];
	strcpy(path, p);
	trace_reader *r = trace_reader_open_follow(path, 30, err, sizeof err);
	ASSERT_NULL(r);
	ASSERT(strstr(err, "no complete header") != NULL);
	unlink(path);
}

/* A valid trace of every kind, as text (the writer's output). */
static size_t sample_text(char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");
	struct trace_header h = {.version = 1,
	                         .heap_base = 0x80400000,
	                         .heap_size = 1 << 20,
	                         .min_block = 16,
	                         .min_align = 16,
	                         .time_hz = 10000000};
	trace_write_header(f, &h);
	trace_write_symbol(f, 0x80201a3c, "vec_grow", "kernel/vec.c:57");
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		struct heap_event e;
		memset(&e, 0, sizeof e);
		e.kind = (uint8_t)k;
		e.seq = k;
		e.addr = 0x80400000 + 16 * k;
		e.size = 100 + k;
		e.align_log2 = 4;
		e.flags = 1;
		strcpy(e.name, "m\"x");
		trace_write_event(f, &e, false);
	}
	size_t n = (size_t)ftell(f);
	fclose(f);
	return n;
}

TEST_CASE(random_corruption_is_reported_never_crashed_on)
{
	static char good[8192], bad[8192];
	size_t n = sample_text(good, sizeof good);
	ASSERT_GT(n, (size_t)100);
	uint32_t seed = 2463534242u;
	const char alphabet[] = "{}[]\",:0123456789abcdefxu\\ \n-.etrfnl\t";
	int errors = 0;
	for (int iter = 0; iter < 1500; iter++) {
		memcpy(bad, good, n);
		size_t len = n;
		int flips = 1 + iter % 4;
		for (int j = 0; j < flips; j++) {
			seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
			size_t at = seed % len;
			if (seed & 0x100000)
				bad[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
			else
				bad[at] = (char)(seed >> 24);
		}
		if (iter % 5 == 0) {
			seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
			len = seed % len; /* and cut it short */
		}
		bad[len] = 0;
		char err[512];
		const char *p = temp_file(bad);
		trace_reader *r = trace_reader_open(p, err, sizeof err);
		unlink(p);
		if (!r) {
			ASSERT(strchr(err, ':') != NULL);
			errors++;
			continue;
		}
		int k;
		if (read_all(r, &k) == TRACE_READ_ERROR) {
			ASSERT(strstr(trace_reader_error(r), ":") != NULL);
			errors++;
		}
		trace_reader_close(r);
	}
	ASSERT_GT(errors, 500); /* most corruptions are caught, none crashes */
}

/* ---- one language: what the writer writes, the reader reads back exactly ---- */

/* Formats ev after HDR and INIT, reads it back into *back; returns the status. */
static enum trace_read_status format_and_read(const struct heap_event *ev, struct heap_event *back,
                                              char *line)
{
	char text[2048];
	size_t n = trace_format_event(line, ev, false);
	line[n] = 0;
	snprintf(text, sizeof text, "%s%s%s", HDR, INIT, line);
	char err[512];
	trace_reader *r = open_text(text, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event init;
	ASSERT_ST(trace_reader_next(r, &init), TRACE_READ_EVENT);
	enum trace_read_status st = trace_reader_next(r, back);
	trace_reader_close(r);
	return st;
}

static struct heap_event marker(const char *name)
{
	struct heap_event ev = {.kind = HEAP_EV_MARKER, .seq = 1, .time = 7};
	snprintf(ev.name, sizeof ev.name, "%s", name);
	return ev;
}

TEST_CASE(utf8_marker_names_are_written_unchanged_and_read_back_exactly)
{
	static const char *const names[] = {"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
	                                    "emoji \xf0\x9f\x98\x80", "tab\tquote\"back\\"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct heap_event ev = marker(names[i]), back;
		char line[TRACE_EVENT_LINE_MAX + 1];
		ASSERT_ST(format_and_read(&ev, &back, line), TRACE_READ_EVENT);
		ASSERT_STR_EQ(back.name, names[i]);
		if (i < 3) /* valid UTF-8 goes through as it is, not as \u escapes */
			ASSERT_MSG(strstr(line, names[i]) != NULL, "%s lacks %s", line, names[i]);
	}
}

TEST_CASE(bytes_that_are_not_utf8_are_written_as_the_replacement_character)
{
	struct heap_event ev = marker("a\xff" "b\xc3"), back;
	char line[TRACE_EVENT_LINE_MAX + 1];
	trace_format_event(line, &ev, false);
	ASSERT_MSG(strstr(line, "\"a\\ufffdb\\ufffd\"") != NULL, "%s", line);
	/* such a name is no event the format can say: the check refuses it */
	ASSERT_NOT_NULL(trace_event_check(&ev, false));
	(void)back;
}

TEST_CASE(escaped_names_decode_as_utf8_and_surrogate_pairs_as_one_character)
{
	char err[512];
	trace_reader *r = open_text(HDR INIT "{\"i\":1,\"k\":\"marker\",\"t\":1,"
	                                     "\"name\":\"caf\\u00e9 \\ud83d\\ude00\"}\n",
	                            err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_STR_EQ(ev.name, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	trace_reader_close(r);
}

/* Reads one marker line after HDR and INIT; returns its name in name. */
static void read_marker_name(const char *line, char *name)
{
	char text[1024], err[512];
	snprintf(text, sizeof text, "%s%s%s", HDR, INIT, line);
	trace_reader *r = open_text(text, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_NULL(trace_event_check(&ev, false)); /* written back, it reads as itself */
	strcpy(name, ev.name);
	trace_reader_close(r);
}

TEST_CASE(any_name_is_read_as_a_name_that_writes_back_unchanged)
{
	char name[HEAP_MARKER_NAME_MAX + 1];
	read_marker_name("{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"\\ud800x\"}\n", name);
	ASSERT_STR_EQ(name, "\xef\xbf\xbdx"); /* a lone surrogate: U+FFFD */
	read_marker_name("{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"a\\u0000b\"}\n", name);
	ASSERT_STR_EQ(name, "a");
	read_marker_name("{\"i\":1,\"k\":\"marker\",\"t\":1,\"name\":\"a\xff\"}\n", name);
	ASSERT_STR_EQ(name, "a?"); /* bytes that are not UTF-8 */
	read_marker_name("{\"i\":1,\"k\":\"marker\",\"t\":1,"
	                 "\"name\":\"012345678901234567890123456789\xc3\xa9\"}\n",
	                 name);
	ASSERT_STR_EQ(name, "012345678901234567890123456789?"); /* 31 bytes, é cut in half */
}

TEST_CASE(integers_of_2_53_or_more_are_errors_and_just_below_is_read)
{
	expect_error(HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":1,\"count\":9007199254740992}\n", 3,
	             "'count': expected an integer below 2^53");
	expect_error(HDR INIT "{\"i\":9007199254740992,\"k\":\"drop\",\"t\":1,\"count\":1}\n", 3,
	             "'i': expected an integer below 2^53");
	expect_error(HDR INIT "{\"i\":1,\"k\":\"free\",\"t\":1,\"addr\":\"0x10\",\"size\":1,"
	                      "\"align\":9007199254740992,\"block\":16,\"caller\":\"0x0\"}\n",
	             3, "'align': expected an integer below 2^53");
	char err[512];
	trace_reader *r = open_text(
	    HDR INIT "{\"i\":1,\"k\":\"drop\",\"t\":9007199254740991,\"count\":9007199254740991}\n",
	    err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_ST(trace_reader_next(r, &ev), TRACE_READ_EVENT);
	ASSERT_EQ(ev.size, 9007199254740991ull);
	ASSERT_EQ(ev.time, 9007199254740991ull);
	trace_reader_close(r);
}

TEST_CASE(a_coalesce_that_merged_nothing_is_no_event)
{
	expect_error(HDR INIT "{\"i\":1,\"k\":\"coalesce\",\"t\":1,\"addr\":\"0x10\",\"size\":1,"
	                      "\"freed_addr\":\"0x10\",\"freed_size\":1,\"merged\":\"none\"}\n",
	             3, "'merged'");
	struct heap_event ev = {.kind = HEAP_EV_COALESCE, .seq = 3, .addr = 16, .size = 32,
	                        .addr2 = 16, .size2 = 32, .flags = 0};
	ASSERT_NOT_NULL(trace_event_check(&ev, false));
	ev.flags = HEAP_MERGED_NEXT;
	ASSERT_NULL(trace_event_check(&ev, false));
}

TEST_CASE(event_check_refuses_what_the_format_cannot_say)
{
	struct heap_event ok = {.kind = HEAP_EV_ALLOC, .seq = 1, .addr = 0x80400000, .size = 20,
	                        .block = 32, .align_log2 = 52};
	ASSERT_NULL(trace_event_check(&ok, false));
	struct heap_event e = ok;
	e.align_log2 = 53; /* "align":2^53 */
	ASSERT_NOT_NULL(trace_event_check(&e, false));
	e = ok, e.size = 1ull << 53;
	ASSERT_NOT_NULL(trace_event_check(&e, false));
	e = ok, e.instret = 1ull << 53;
	ASSERT_NULL(trace_event_check(&e, false)); /* not written without instret */
	ASSERT_NOT_NULL(trace_event_check(&e, true));
	e = ok, e.kind = HEAP_EV_COUNT;
	ASSERT_NOT_NULL(trace_event_check(&e, false));
	struct heap_event end = {.kind = HEAP_EV_END, .seq = 4, .size = 5, .flags = 2};
	ASSERT_NOT_NULL(trace_event_check(&end, false));
	struct heap_event mis = {.kind = HEAP_EV_MISUSE, .seq = 4, .align_log2 = HEAP_MISUSE_ALIGN_BAD,
	                         .flags = HEAP_MISUSE_FLAGS(HEAP_OP_DEALLOC, HEAP_ERR_BAD_LAYOUT)};
	ASSERT_NULL(trace_event_check(&mis, false)); /* written "align":0 */
	mis.align_log2 = 64;
	ASSERT_NOT_NULL(trace_event_check(&mis, false)); /* also "align":0: not itself again */
	mis.align_log2 = 4, mis.flags = HEAP_MISUSE_FLAGS(HEAP_OP_COUNT, 0);
	ASSERT_NOT_NULL(trace_event_check(&mis, false));
}

TEST_CASE(an_end_event_must_count_the_events_and_drops_before_it)
{
	expect_error(HDR INIT "{\"i\":1,\"k\":\"end\",\"t\":1,\"events\":5,\"dropped\":0,\"used\":"
	                      "0,\"panic\":false}\n",
	             3, "counts 5 events");
	expect_error(HDR INIT "{\"i\":3,\"k\":\"drop\",\"t\":1,\"count\":2}\n"
	                      "{\"i\":4,\"k\":\"end\",\"t\":1,\"events\":5,\"dropped\":0,\"used\":"
	                      "0,\"panic\":false}\n",
	             4, "counts 0 dropped events, the drop events 2");
	char err[512];
	trace_reader *r = open_text(HDR INIT "{\"i\":3,\"k\":\"drop\",\"t\":1,\"count\":2}\n"
	                                     "{\"i\":4,\"k\":\"end\",\"t\":1,\"events\":5,"
	                                     "\"dropped\":2,\"used\":0,\"panic\":false}\n",
	                            err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	int n;
	ASSERT_ST(read_all(r, &n), TRACE_READ_EOF);
	ASSERT_EQ(n, 3);
	ASSERT(trace_reader_complete(r));
	trace_reader_close(r);
}

int main(void)
{
	return test_main();
}
