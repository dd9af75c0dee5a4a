/* trace_reader.c - streaming reader of JSON-lines heap traces (trace_reader.h).
 *
 * The reader ties the pieces together: lines from trace/line_input.c, the
 * header parsed with cJSON, every other line scanned by trace/json_scan.c and
 * mapped onto an event through the schema table (trace/trace_schema.c), the
 * symbol records kept in trace/symbols.c, the stack records in trace/stacks.c;
 * here are the rules between lines (sequence numbers, nothing after the end,
 * the end's counts, stacks defined before use and starting at the caller).
 */
#include "trace_reader.h"

#include "json_scan.h"
#include "line_input.h"
#include "stacks.h"
#include "symbols.h"
#include "trace_schema.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct trace_reader {
	struct line_input in; /* the file, a line at a time */
	char *name;           /* file name for messages ("stdin" for "-") */
	bool failed;          /* a TRACE_READ_ERROR was returned */
	bool complete;        /* END has been read */
	struct trace_order order; /* sequence numbers and drops so far */
	uint64_t events;      /* events returned */
	struct trace_header hdr;
	const struct json_keys *keys; /* the scanner's dictionary (trace_schema_keys) */
	struct symbols syms;          /* symbol records read */
	struct stacks stacks;         /* stack records read */
	char err[512];                /* last error, "file:line: what" */
};

/* ---- errors ---------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void set_error(trace_reader *r, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof r->err, "%s:%" PRIu64 ": ", r->name, r->in.line);
	if (n < 0 || (size_t)n >= sizeof r->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- symbols --------------------------------------------------------------- */

const struct trace_symbol *trace_reader_symbol(const trace_reader *r, uint64_t addr)
{
	return r ? symbols_get(&r->syms, addr) : NULL;
}

void trace_reader_each_symbol(const trace_reader *r,
                              void (*fn)(void *ctx, const struct trace_symbol *sym), void *ctx)
{
	symbols_each(&r->syms, fn, ctx);
}

/* ---- stacks ---------------------------------------------------------------- */

const struct trace_stack *trace_reader_stack(const trace_reader *r, uint32_t id)
{
	return r ? stacks_get(&r->stacks, id) : NULL;
}

void trace_reader_each_stack(const trace_reader *r,
                             void (*fn)(void *ctx, const struct trace_stack *s), void *ctx)
{
	stacks_each(&r->stacks, fn, ctx);
}

/* ---- header ---------------------------------------------------------------- */

/* A non-negative integral JSON number below 2^53 (exact in a double). */
static bool header_uint(trace_reader *r, const cJSON *o, const char *key, bool required,
                        uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		if (required)
			set_error(r, "header: missing field '%s'", key);
		return !required;
	}
	double d = v->valuedouble;
	if (!cJSON_IsNumber(v) || d < 0 || d >= 9007199254740992.0 || d != (double)(uint64_t)d) {
		set_error(r, "header: field '%s' is not a non-negative integer", key);
		return false;
	}
	*out = (uint64_t)d;
	return true;
}

static bool header_str(trace_reader *r, const cJSON *o, const char *key, char *dst, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return true;
	if (!cJSON_IsString(v)) {
		set_error(r, "header: field '%s' is not a string", key);
		return false;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return true;
}

static bool parse_header(trace_reader *r, const char *p, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(p, len);
	bool ok = false;
	if (!o || !cJSON_IsObject(o)) {
		set_error(r, "header: not a JSON object");
		goto out;
	}
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TRACE_FORMAT_NAME) != 0) {
		set_error(r, "header: not a heapscope trace (\"format\" is not \"%s\")",
		          TRACE_FORMAT_NAME);
		goto out;
	}
	uint64_t version = 0;
	if (!header_uint(r, o, "version", true, &version))
		goto out;
	if (version != TRACE_FORMAT_VERSION) {
		set_error(r, "header: unsupported trace version %" PRIu64 " (this reader knows %d)",
		          version, TRACE_FORMAT_VERSION);
		goto out;
	}
	struct trace_header *h = &r->hdr;
	h->version = (int)version;
	h->min_block = 16;
	h->min_align = 16;
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "heap_base");
	if (!base) {
		set_error(r, "header: missing field 'heap_base'");
		goto out;
	}
	if (!cJSON_IsString(base) ||
	    !json_hex_parse(base->valuestring, strlen(base->valuestring), &h->heap_base)) {
		set_error(r, "header: 'heap_base' is not a hex string like \"0x80400000\"");
		goto out;
	}
	if (!header_uint(r, o, "heap_size", true, &h->heap_size) ||
	    !header_uint(r, o, "min_block", false, &h->min_block) ||
	    !header_uint(r, o, "min_align", false, &h->min_align) ||
	    !header_uint(r, o, "time_hz", false, &h->time_hz))
		goto out;
	if (!header_str(r, o, "channel", h->channel, sizeof h->channel) ||
	    !header_str(r, o, "workload", h->workload, sizeof h->workload) ||
	    !header_str(r, o, "elf", h->elf, sizeof h->elf))
		goto out;
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(o, "instret");
	if (ins && !cJSON_IsBool(ins)) {
		set_error(r, "header: 'instret' is not true/false");
		goto out;
	}
	h->has_instret = cJSON_IsTrue(ins);
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
	int policy = pol && cJSON_IsString(pol) ? heap_policy_from_name(pol->valuestring) : 0;
	if (pol && policy < 0) {
		set_error(r, "header: 'policy' is not an allocator policy (first, next, best, segregated)");
		goto out;
	}
	h->policy = (uint8_t)policy;
	uint64_t depth = 0;
	if (!header_uint(r, o, "stack_depth", false, &depth))
		goto out;
	if (depth > TRACE_STACK_DEPTH_MAX) {
		set_error(r, "header: 'stack_depth' %" PRIu64 " is above %d", depth,
		          TRACE_STACK_DEPTH_MAX);
		goto out;
	}
	h->stack_depth = (uint32_t)depth;
	ok = true;
out:
	cJSON_Delete(o);
	return ok;
}

/* ---- open / close ---------------------------------------------------------- */

static trace_reader *reader_new(const char *path)
{
	trace_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	bool in_ok = line_input_init(&r->in);
	r->name = strdup(strcmp(path, "-") == 0 ? "stdin" : path);
	r->keys = trace_schema_keys();
	if (!in_ok || !r->name || !r->keys) {
		line_input_fini(&r->in);
		free(r->name);
		free(r);
		return NULL;
	}
	return r;
}

/* Reads the header line; false with r->err set on failure. In follow mode,
 * *again says the line is not complete yet. */
static bool reader_header(trace_reader *r, bool *again)
{
	char *p;
	size_t len;
	*again = false;
	for (;;) {
		enum line_status st = line_input_next(&r->in, &p, &len);
		if (st == LINE_AGAIN) {
			*again = true;
			return false;
		}
		if (st == LINE_ERROR) {
			set_error(r, "%s", r->in.err);
			return false;
		}
		if (st == LINE_EOF) {
			r->in.line = r->in.line ? r->in.line : 1;
			set_error(r, r->in.truncated ? "header: incomplete first line"
			                             : "empty file: no trace header");
			return false;
		}
		if (!line_is_blank(p, len))
			return parse_header(r, p, len);
	}
}

static void copy_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

trace_reader *trace_reader_open(const char *path, char *err, size_t errlen)
{
	trace_reader *r = reader_new(path);
	if (!r) {
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	if (!line_input_attach(&r->in, path)) {
		snprintf(r->err, sizeof r->err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	bool again;
	if (!reader_header(r, &again))
		goto fail;
	return r;
fail:
	copy_err(err, errlen, r->err);
	trace_reader_close(r);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

trace_reader *trace_reader_open_follow(const char *path, int timeout_ms, char *err, size_t errlen)
{
	trace_reader *r = reader_new(path);
	if (!r) {
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	r->in.follow = true;
	int waited = 0;
	const int step = 10;
	while (!line_input_attach(&r->in, path)) {
		if (errno != ENOENT || waited >= timeout_ms) {
			snprintf(r->err, sizeof r->err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		sleep_ms(step);
		waited += step;
	}
	for (;;) {
		bool again;
		if (reader_header(r, &again))
			return r;
		if (!again)
			goto fail;
		if (waited >= timeout_ms) {
			snprintf(r->err, sizeof r->err, "%s:1: no complete header line after %d ms",
			         r->name, timeout_ms);
			goto fail;
		}
		sleep_ms(step);
		waited += step;
	}
fail:
	copy_err(err, errlen, r->err);
	trace_reader_close(r);
	return NULL;
}

void trace_reader_close(trace_reader *r)
{
	if (!r)
		return;
	line_input_fini(&r->in);
	symbols_free(&r->syms);
	stacks_free(&r->stacks);
	free(r->name);
	free(r);
}

const struct trace_header *trace_reader_header(const trace_reader *r)
{
	return &r->hdr;
}
const char *trace_reader_error(const trace_reader *r)
{
	return r->err;
}
uint64_t trace_reader_line(const trace_reader *r)
{
	return r->in.line;
}
bool trace_reader_complete(const trace_reader *r)
{
	return r->complete;
}
bool trace_reader_truncated(const trace_reader *r)
{
	return r->in.truncated;
}
uint64_t trace_reader_events(const trace_reader *r)
{
	return r->events;
}

/* ---- events ---------------------------------------------------------------- */

static bool absorb_symbol(trace_reader *r, const struct json_scan *s)
{
	struct trace_schema_sym rec;
	char why[200];
	if (!trace_schema_symbol(s, &rec, why, sizeof why)) {
		set_error(r, "%s", why);
		return false;
	}
	bool ok = symbols_put(&r->syms, &rec.sym);
	trace_schema_symbol_done(&rec);
	if (!ok)
		set_error(r, "out of memory");
	return ok;
}

/* A stack record: defines its id once (the same frames again are allowed). */
static bool absorb_stack(trace_reader *r, const struct json_scan *s)
{
	uint64_t frames[TRACE_STACK_DEPTH_MAX];
	uint32_t id, depth;
	char why[200];
	if (!trace_schema_stack(s, &id, &depth, frames, why, sizeof why)) {
		set_error(r, "%s", why);
		return false;
	}
	if (r->hdr.stack_depth && depth > r->hdr.stack_depth) {
		set_error(r, "stack record %" PRIu32 " has %" PRIu32
		             " frames, more than the header's stack_depth %" PRIu32,
		          id, depth, r->hdr.stack_depth);
		return false;
	}
	switch (stacks_define(&r->stacks, id, depth, frames)) {
	case STACKS_NEW:
	case STACKS_SAME:
		return true;
	case STACKS_CONFLICT:
		set_error(r, "stack record %" PRIu32 " redefines stack %" PRIu32
		             " with other frames (a stack id names one frame list)",
		          id, id);
		return false;
	case STACKS_NO_MEMORY:
		break;
	}
	set_error(r, "out of memory");
	return false;
}

/* Whether ev's stack (if any) was defined and starts at ev's caller. */
static bool event_stack_ok(trace_reader *r, const struct heap_event *ev)
{
	if (!ev->stack)
		return true;
	const struct trace_stack *st = stacks_get(&r->stacks, ev->stack);
	if (!st) {
		set_error(r, "event %" PRIu64 ": stack %" PRIu32
		             " is not defined (no stack record with that id before it)",
		          ev->seq, ev->stack);
		return false;
	}
	if (st->frames[0] != ev->caller) {
		set_error(r, "event %" PRIu64 ": caller 0x%" PRIx64 " is not the first frame of stack %" PRIu32
		             " (0x%" PRIx64 ")",
		          ev->seq, ev->caller, ev->stack, st->frames[0]);
		return false;
	}
	return true;
}

enum trace_read_status trace_reader_next(trace_reader *r, struct heap_event *ev)
{
	if (r->failed)
		return TRACE_READ_ERROR;
	char why[200];
	for (;;) {
		char *p;
		size_t len;
		enum line_status st = line_input_next(&r->in, &p, &len);
		if (st == LINE_AGAIN)
			return r->complete ? TRACE_READ_EOF : TRACE_READ_AGAIN;
		if (st == LINE_EOF)
			return TRACE_READ_EOF;
		if (st == LINE_ERROR) {
			set_error(r, "%s", r->in.err);
			goto fail;
		}
		if (line_is_blank(p, len))
			continue;
		struct json_scan s;
		if (!json_scan_object(&s, r->keys, p, len, why, sizeof why))
			goto fail_why;
		int kind = trace_schema_kind(&s, why, sizeof why);
		if (kind == TRACE_KIND_SYM || kind == TRACE_KIND_STACK) {
			if (!(kind == TRACE_KIND_SYM ? absorb_symbol(r, &s) : absorb_stack(r, &s)))
				goto fail;
			continue;
		}
		if (kind < 0)
			goto fail_why;
		if (!trace_schema_event(&s, kind, r->hdr.has_instret, ev, why, sizeof why))
			goto fail_why;
		if (r->complete) {
			set_error(r, "event %" PRIu64 " after the end event", ev->seq);
			goto fail;
		}
		if (!event_stack_ok(r, ev))
			goto fail;
		if (trace_order_check(&r->order, ev, why, sizeof why))
			goto fail_why;
		r->events++;
		if (kind == HEAP_EV_END)
			r->complete = true;
		return TRACE_READ_EVENT;
	}
fail_why:
	set_error(r, "%s", why);
fail:
	r->failed = true;
	return TRACE_READ_ERROR;
}
