/* test_trace_schema.c - the schema table of kernel/heap_event.h is the format:
 * docs/trace-format.md lists the same fields in the same order, the committed
 * sample traces read and written back are byte for byte the same, and the
 * tools that walk the table name and compare fields by it. Run from the
 * project root (make test does). */
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "test/test.h"
#include "trace_reader.h"
#include "trace_schema.h"

#define DOC "docs/trace-format.md"

/* The names between backticks in s (a table cell), space-separated, into out. */
static void backticked(const char *s, char *out, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (const char *p = strchr(s, '`'); p; p = strchr(p, '`')) {
		const char *e = strchr(p + 1, '`');
		if (!e)
			break;
		ASSERT(o + (size_t)(e - p) + 1 < n);
		o += (size_t)snprintf(out + o, n - o, "%s%.*s", o ? " " : "", (int)(e - p - 1), p + 1);
		p = e + 1;
	}
}

/* The names of a field list, space-separated ("addr size min_block min_align"). */
static void schema_names(const struct heap_field *f, char *out, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (; f->name; f++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", o ? " " : "", f->name);
}

/* Cell `col` (from 0, the text before the first '|' not counted) of a table
 * row, trimmed, into out. */
static void cell(const char *row, int col, char *out, size_t n)
{
	const char *p = strchr(row, '|');
	for (int i = 0; i < col && p; i++)
		p = strchr(p + 1, '|');
	ASSERT_NOT_NULL(p);
	const char *e = strchr(p + 1, '|');
	ASSERT_NOT_NULL(e);
	while (p + 1 < e && p[1] == ' ')
		p++;
	while (e > p + 1 && e[-1] == ' ')
		e--;
	snprintf(out, n, "%.*s", (int)(e - p - 1), p + 1);
}

/* Reads the rows of the table whose header line starts with `head` (after
 * the line `after`, if given) into rows; returns how many. */
static int doc_table(const char *after, const char *head, char rows[][1024], int max)
{
	FILE *f = fopen(DOC, "r");
	ASSERT_MSG(f != NULL, "cannot open %s (run from the project root)", DOC);
	char line[1024];
	bool seen_after = after == NULL, in = false;
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		if (!seen_after) {
			seen_after = strncmp(line, after, strlen(after)) == 0;
			continue;
		}
		if (!in) {
			if (strncmp(line, head, strlen(head)) == 0) {
				in = true;
				ASSERT(fgets(line, sizeof line, f) != NULL); /* |---|---| */
			}
			continue;
		}
		if (line[0] != '|')
			break;
		ASSERT(n < max);
		snprintf(rows[n++], sizeof rows[0], "%s", line);
	}
	fclose(f);
	ASSERT_MSG(in, "%s has no table '%s'", DOC, head);
	return n;
}

TEST_CASE(the_format_doc_lists_each_kinds_fields_in_the_order_written)
{
	static char rows[32][1024];
	int n = doc_table(NULL, "| k | fields, in the order written |", rows, 32);
	ASSERT_EQ(n, HEAP_EV_COUNT);
	bool listed[HEAP_EV_COUNT] = {false};
	for (int i = 0; i < n; i++) {
		char k[32], doc[256], want[256], fields[512];
		cell(rows[i], 0, k, sizeof k);
		int kind = heap_event_kind_from_name(k);
		ASSERT_MSG(kind >= 0, "%s lists a kind '%s' the schema does not have", DOC, k);
		ASSERT_MSG(!listed[kind], "%s lists kind '%s' twice", DOC, k);
		listed[kind] = true;
		cell(rows[i], 1, fields, sizeof fields);
		backticked(fields, doc, sizeof doc);
		schema_names(heap_event_fields((unsigned)kind), want, sizeof want);
		ASSERT_STR_EQ(doc, want);
	}
}

TEST_CASE(the_format_doc_lists_the_misuse_fields_in_the_order_written)
{
	static char rows[16][1024];
	int n = doc_table("### misuse", "| field | meaning |", rows, 16);
	char doc[256] = "", want[256], name[64];
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		cell(rows[i], 0, name, sizeof name);
		ASSERT(o + strlen(name) + 2 < sizeof doc);
		o += (size_t)snprintf(doc + o, sizeof doc - o, "%s%s", o ? " " : "", name);
	}
	schema_names(heap_event_fields(HEAP_EV_MISUSE), want, sizeof want);
	ASSERT_STR_EQ(doc, want);
}

TEST_CASE(every_field_name_has_one_json_type_and_fits_the_scanner)
{
	ASSERT_NOT_NULL(trace_schema_keys());
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		const struct heap_field *f = heap_event_fields(k);
		ASSERT(f[0].name != NULL); /* every kind has a field */
		for (int i = 0; f[i].name; i++) {
			ASSERT_EQ(f[i].len, strlen(f[i].name));
			ASSERT(i < HEAP_FIELDS_MAX - 1);
		}
	}
}

/* Reads path with the reader and writes it back with the writer: the header,
 * each event, and each symbol and stack record where it stood; returns the bytes. */
static char *read_then_write(const char *path, size_t *len)
{
	char err[512];
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	ASSERT_MSG(r != NULL, "%s", err);
	const struct trace_header *h = trace_reader_header(r);
	/* every event, in order (the symbols are known once all is read) */
	size_t cap = 1024, count = 0;
	struct heap_event *evs = malloc(cap * sizeof *evs);
	ASSERT_NOT_NULL(evs);
	enum trace_read_status st;
	while ((st = trace_reader_next(r, &evs[count])) == TRACE_READ_EVENT)
		if (++count == cap) {
			evs = realloc(evs, (cap *= 2) * sizeof *evs);
			ASSERT_NOT_NULL(evs);
		}
	ASSERT_MSG(st == TRACE_READ_EOF, "%s", trace_reader_error(r));
	/* the file's lines say where the symbol records stood */
	FILE *in = fopen(path, "r");
	ASSERT_NOT_NULL(in);
	char *out = NULL;
	FILE *o = open_memstream(&out, len);
	ASSERT_NOT_NULL(o);
	static char line[TRACE_LINE_MAX];
	size_t next = 0;
	for (int n = 0; fgets(line, sizeof line, in); n++) {
		uint64_t addr;
		uint32_t id;
		if (n == 0) {
			trace_write_header(o, h);
		} else if (sscanf(line, "{\"k\":\"sym\",\"addr\":\"0x%" SCNx64, &addr) == 1) {
			const struct trace_symbol *s = trace_reader_symbol(r, addr);
			ASSERT_NOT_NULL(s);
			trace_write_symbol_record(o, s);
		} else if (sscanf(line, "{\"k\":\"stack\",\"id\":%" SCNu32, &id) == 1) {
			const struct trace_stack *s = trace_reader_stack(r, id);
			ASSERT_NOT_NULL(s);
			trace_write_stack(o, s->id, s->depth, s->frames);
		} else {
			ASSERT(next < count);
			trace_write_event(o, &evs[next++], h->has_instret);
		}
	}
	ASSERT_EQ(next, count);
	fclose(in);
	fclose(o);
	free(evs);
	trace_reader_close(r);
	return out;
}

/* The bytes of the file at path. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ASSERT_NOT_NULL(f);
	char *buf = NULL;
	FILE *o = open_memstream(&buf, len);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, o);
	fclose(o);
	fclose(f);
	return buf;
}

TEST_CASE(committed_sample_traces_read_then_written_are_byte_identical)
{
	glob_t g;
	ASSERT_EQ(glob("samples/*.jsonl", 0, NULL, &g), 0);
	ASSERT_EQ(glob("samples/baseline/*.jsonl", GLOB_APPEND, NULL, &g), 0);
	ASSERT(g.gl_pathc >= 8); /* the samples and the baselines are there */
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t want_len, got_len;
		char *want = slurp(g.gl_pathv[i], &want_len);
		char *got = read_then_write(g.gl_pathv[i], &got_len);
		size_t at = 0;
		while (at < want_len && at < got_len && want[at] == got[at])
			at++;
		ASSERT_MSG(at == want_len && at == got_len, "%s: written back differs at byte %zu",
		           g.gl_pathv[i], at);
		free(want);
		free(got);
	}
	globfree(&g);
}

TEST_CASE(fields_of_other_kinds_on_a_line_are_ignored)
{
	const char *text =
	    "{\"format\":\"heapscope-trace\",\"version\":1,\"heap_base\":\"0x1000\",\"heap_size\":4096}\n"
	    "{\"i\":0,\"k\":\"split\",\"t\":1,\"addr\":\"0x1000\",\"size\":64,\"rem_addr\":\"0x1020\","
	    "\"rem_size\":32,\"caller\":\"0x99\",\"align\":3,\"ex\":7,\"name\":\"x\"}\n";
	char path[] = "/tmp/trschemaXXXXXX", err[256];
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	ASSERT_EQ((size_t)write(fd, text, strlen(text)), strlen(text));
	close(fd);
	trace_reader *r = trace_reader_open(path, err, sizeof err);
	unlink(path);
	ASSERT_MSG(r != NULL, "%s", err);
	struct heap_event ev;
	ASSERT_EQ((int)trace_reader_next(r, &ev), (int)TRACE_READ_EVENT);
	ASSERT_EQ(ev.kind, HEAP_EV_SPLIT);
	ASSERT_EQ(ev.addr2, 0x1020u);
	ASSERT_EQ(ev.size2, 32u);
	ASSERT_EQ(ev.caller, 0u);
	ASSERT_EQ(ev.align_log2, 0u);
	ASSERT_EQ(ev.examined, 0u);
	ASSERT_STR_EQ(ev.name, "");
	trace_reader_close(r);
}

TEST_CASE(diff_names_a_members_fields_as_the_schema_does)
{
	ASSERT_STR_EQ(diff_field_name(HEAP_EV_COALESCE, DIFF_F_SIZE2), "freed_size");
	ASSERT_STR_EQ(diff_field_name(HEAP_EV_INIT, DIFF_F_ALIGN), "min_align");
	ASSERT_STR_EQ(diff_field_name(HEAP_EV_MISUSE, DIFF_F_FLAGS), "op/error");
	ASSERT_STR_EQ(diff_field_name(HEAP_EV_END, DIFF_F_BLOCK), "used");
	ASSERT_STR_EQ(diff_field_name(HEAP_EV_ALLOC, DIFF_F_SEQ), "i");
	ASSERT_NULL(diff_field_name(HEAP_EV_FREE, DIFF_F_EXAMINED));
	ASSERT_NULL(diff_field_name(HEAP_EV_MARKER, DIFF_F_ADDR));
}

TEST_CASE(an_events_fields_in_words_follow_the_schema)
{
	struct heap_event ev = {.kind = HEAP_EV_ALLOC_FAIL, .size = 100, .align_log2 = 4,
	                        .caller = 0x80201000, .examined = 3, .block = 4000, .size2 = 64};
	char buf[256];
	ASSERT_STR_EQ(trace_event_fields_text(&ev, buf, sizeof buf),
	              "size 100, align 16, ex (free blocks examined) 3, free 4000, largest 64");
	struct heap_event co = {.kind = HEAP_EV_COALESCE, .addr = 0x10, .size = 32, .addr2 = 0x20,
	                        .size2 = 16, .flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT};
	ASSERT_STR_EQ(trace_event_fields_text(&co, buf, sizeof buf),
	              "addr 0x10, size 32, freed_addr 0x20, freed_size 16, merged \"both\"");
}

int main(void)
{
	return test_main();
}
