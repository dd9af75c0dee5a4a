/* cmd_export.c - `heaptrace export`: a trace as a valgrind massif file or Chrome Trace Event JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "heap_model.h"
#include "out_file.h"
#include "trace_reader.h"
#include "u64_map.h"
#include "utf8.h"
#include "validate.h"

#define EXPORT_ARGS "--format massif|chrome [-o OUT] [--max-samples N] TRACE"

#define MASSIF_DEFAULT_SAMPLES 200   /* snapshots: massif itself keeps 100 */
#define CHROME_DEFAULT_SAMPLES 20000 /* counter samples per track */
#define CHROME_MAX_INSTANTS    10000 /* alloc_fail / marker instants written at most */
#define MASSIF_TREE_MAX        24    /* call sites shown per detailed snapshot */

static void export_usage(FILE *out)
{
	fprintf(out,
	        "usage: heaptrace export " EXPORT_ARGS "\n\n"
	        "Converts a trace for other tools:\n"
	        "  massif  heap usage over time in valgrind massif's format (ms_print,\n"
	        "          massif-visualizer): useful bytes = requested sizes, extra = block\n"
	        "          overhead; detailed snapshots at the peak and at the end, by call site\n"
	        "  chrome  Chrome Trace Event JSON (Perfetto, chrome://tracing): counter tracks\n"
	        "          for used bytes, free blocks and fragmentation, instant events for\n"
	        "          alloc failures and markers\n\n"
	        "options:\n"
	        "  --format F        massif or chrome (required)\n"
	        "  -o OUT            output file (written to a temp file, then renamed);\n"
	        "                    default standard output\n"
	        "  --max-samples N   downsample to at most N snapshots / counter samples\n"
	        "                    (default %d for massif, %d for chrome); peaks are kept\n"
	        "  -h, --help        this text\n\n"
	        "Exit status: 0 ok, 2 bad usage or an unreadable, malformed or\n"
	        "self-contradicting trace (nothing written), 3 output could not be written.\n"
	        "Details: docs/diff-and-export.md.\n",
	        MASSIF_DEFAULT_SAMPLES, CHROME_DEFAULT_SAMPLES);
}

/* ---- state over time, and downsampling ------------------------------------ */

/* The heap after one event. */
struct sample {
	uint64_t index;        /* event number (from 0) */
	uint64_t t;            /* event time, ticks */
	uint64_t n;            /* retired instructions, if the trace has them */
	uint64_t used;         /* bytes in allocated blocks */
	uint64_t useful;       /* bytes requested by the live allocations */
	uint64_t free_bytes;   /* bytes in free blocks */
	uint64_t free_blocks;  /* number of free blocks */
	uint64_t live_blocks;  /* number of allocated blocks */
	uint64_t largest_free; /* biggest free block */
	double frag;           /* 1 - largest_free / free_bytes */
};

/* Keeps at most cap samples over a stream of unknown length: each sample
 * stands for `stride` events (the one with most bytes used when keep_max,
 * else the bucket's last); when full, pairs are merged and stride doubles. */
struct sampler {
	struct sample *s;
	size_t n, cap;
	uint64_t stride, in_bucket;
	struct sample cand;
	bool have_cand;
	bool keep_max;
};

static bool sampler_init(struct sampler *sp, size_t cap, bool keep_max)
{
	memset(sp, 0, sizeof *sp);
	sp->cap = cap < 2 ? 2 : cap;
	sp->stride = 1;
	sp->keep_max = keep_max;
	sp->s = malloc(sp->cap * sizeof *sp->s);
	return sp->s != NULL;
}

static void sampler_push(struct sampler *sp, const struct sample *x)
{
	if (sp->n == sp->cap) {
		size_t k = 0;
		for (size_t i = 0; i + 1 < sp->n; i += 2) {
			const struct sample *a = &sp->s[i], *b = &sp->s[i + 1];
			sp->s[k++] = (sp->keep_max && a->used > b->used) ? *a : *b;
		}
		if (sp->n % 2)
			sp->s[k++] = sp->s[sp->n - 1];
		sp->n = k;
		sp->stride *= 2;
	}
	sp->s[sp->n++] = *x;
}

static void sampler_add(struct sampler *sp, const struct sample *x)
{
	if (!sp->have_cand || !sp->keep_max || x->used > sp->cand.used)
		sp->cand = *x;
	sp->have_cand = true;
	if (++sp->in_bucket >= sp->stride) {
		sampler_push(sp, &sp->cand);
		sp->in_bucket = 0;
		sp->have_cand = false;
	}
}

static void sampler_finish(struct sampler *sp)
{
	if (sp->have_cand)
		sampler_push(sp, &sp->cand);
	sp->have_cand = false;
}

/* ---- bytes live per call site (massif's heap tree) ------------------------ */

struct caller_bytes {
	uint64_t caller; /* allocating call site, 0 = unknown or "other" */
	uint64_t bytes;  /* requested bytes still live */
};

/* The call sites seen, in order of first sight, indexed by caller. */
struct caller_table {
	struct caller_bytes *c; /* n entries, room for cap */
	size_t n, cap;
	struct u64_map index; /* caller -> index into c */
};

static void callers_free(struct caller_table *t)
{
	free(t->c);
	u64_map_free(&t->index);
	t->c = NULL;
	t->n = t->cap = 0;
}

/* The entry for caller (created at 0 bytes); NULL when out of memory. */
static struct caller_bytes *callers_get(struct caller_table *t, uint64_t caller)
{
	uint32_t i = u64_map_get(&t->index, caller);
	if (i != U64_MAP_NONE)
		return &t->c[i];
	struct caller_bytes *c = u64_map_append(&t->index, caller, t->c, &t->n, &t->cap, sizeof *c);
	if (!c)
		return NULL;
	t->c = c;
	c[t->n - 1].caller = caller;
	return &c[t->n - 1];
}

/* ---- reading the trace ---------------------------------------------------- */

struct exporter {
	trace_reader *r;
	trace_validator *v;      /* the shared verdict (trace/validate.h), and the heap */
	const heap_model *model; /* the validator's */
	const struct trace_header *h;
	const char *path;
	FILE *out;
	struct caller_table *callers; /* massif only */
	bool out_of_memory;           /* a table could not grow: the export fails */
	/* massif: the exact peak, with its heap tree */
	struct sample peak;
	bool peak_pending;              /* the current state is a new peak not yet recorded */
	struct caller_bytes *peak_tree; /* also the end's tree, once the peak's is written */
	size_t peak_tree_n, peak_tree_cap;
	/* times are written relative to the first event's */
	uint64_t t0, n0;
	bool have_t0;
	/* chrome */
	uint64_t instants, instants_dropped;
	bool panic; /* the END event says the run ended in a panic */
};

/* Fills *s from the model after event ev. */
static void sample_take(struct exporter *x, const struct heap_event *ev, struct sample *s)
{
	const struct heap_model_stats *st = heap_model_peek(x->model);
	s->index = trace_reader_events(x->r) - 1;
	if (!x->have_t0) {
		x->t0 = ev->time;
		x->n0 = ev->instret;
		x->have_t0 = true;
	}
	s->t = ev->time - x->t0;
	s->n = ev->instret - x->n0;
	s->used = st->used_bytes;
	s->useful = st->requested_bytes <= st->used_bytes ? st->requested_bytes : st->used_bytes;
	s->free_bytes = st->free_bytes;
	s->free_blocks = st->free_blocks;
	s->live_blocks = st->live_blocks;
	s->largest_free = st->largest_free;
	s->frag = st->frag;
}

/* Applies ev to the model and the call-site table. Returns false, with the
 * validator's "FILE:LINE: event N: what" in err, when ev makes the trace
 * contradict itself: bad input, the export stops. After a DROP such an event
 * is expected (the events it refers to were lost): the validator counts and
 * skips it, and the export goes on. */
static bool exporter_apply(struct exporter *x, const struct heap_event *ev, char *err,
                           size_t errlen)
{
	uint64_t freed_size = 0, freed_caller = 0;
	bool is_free = ev->kind == HEAP_EV_FREE;
	if (is_free) {
		const struct heap_model_block *b = heap_model_find(x->model, ev->addr);
		if (b) {
			freed_size = b->req_size;
			freed_caller = b->caller;
		}
	}
	if (!trace_validator_add(x->v, ev, trace_reader_line(x->r), err, errlen))
		return false;
	if (ev->kind == HEAP_EV_END)
		x->panic = ev->flags & HEAP_END_PANIC;
	if (!trace_validator_applied(x->v) || !x->callers ||
	    (ev->kind != HEAP_EV_ALLOC && !is_free))
		return true;
	struct caller_bytes *c = callers_get(x->callers, is_free ? freed_caller : ev->caller);
	if (!c)
		x->out_of_memory = true;
	else if (is_free)
		c->bytes -= freed_size <= c->bytes ? freed_size : c->bytes;
	else
		c->bytes += ev->size;
	return true;
}

/* Copies the call sites with live bytes into x->peak_tree (grown to fit);
 * false when out of memory. */
static bool tree_take(struct exporter *x)
{
	if (x->peak_tree_cap < x->callers->n) {
		struct caller_bytes *t = realloc(x->peak_tree, x->callers->cap * sizeof *t);
		if (!t)
			return false;
		x->peak_tree = t;
		x->peak_tree_cap = x->callers->cap;
	}
	x->peak_tree_n = 0;
	for (size_t i = 0; i < x->callers->n; i++)
		if (x->callers->c[i].bytes)
			x->peak_tree[x->peak_tree_n++] = x->callers->c[i];
	return true;
}

/* Records the peak's heap tree. */
static void peak_record(struct exporter *x)
{
	if (!tree_take(x))
		x->out_of_memory = true;
	x->peak_pending = false;
}

/* ---- JSON string output --------------------------------------------------- */

/* Writes text from the trace (at most 511 bytes of it) as a JSON string:
 * well-formed UTF-8 whatever bytes the trace held (trace/utf8.h: each byte
 * that is not becomes '?'), escaped by trace_write_json_string. */
static void put_json_string(FILE *f, const char *text)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", text);
	utf8_sanitize(buf);
	trace_write_json_string(f, buf);
}

/* ---- massif --------------------------------------------------------------- */

static int cmp_bytes_desc(const void *a, const void *b)
{
	const struct caller_bytes *x = a, *y = b;
	return x->bytes < y->bytes     ? 1
	       : x->bytes > y->bytes   ? -1
	       : x->caller < y->caller ? -1
	                               : x->caller > y->caller;
}

/* Makes buf fit on one line of a massif file: well-formed UTF-8, no control
 * characters (a newline would end the line), no '#' (starts a comment for
 * ms_print); each becomes '?' or '_'. Returns buf. */
static char *massif_clean(char *buf)
{
	utf8_sanitize(buf);
	for (char *p = buf; *p; p++)
		if (*p == '#' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	return buf;
}

/* Text for a call site in a heap tree. */
static void massif_site(const struct exporter *x, uint64_t caller, char *buf, size_t len)
{
	const struct trace_symbol *s = caller ? trace_reader_symbol(x->r, caller) : NULL;
	if (!caller)
		snprintf(buf, len, "0x0: ??? (unknown or other call sites)");
	else if (s)
		snprintf(buf, len, "0x%" PRIx64 ": %s (%s)", caller, s->fn, s->src);
	else
		snprintf(buf, len, "0x%" PRIx64 ": ???", caller);
	massif_clean(buf);
}

static void massif_tree(const struct exporter *x, struct caller_bytes *c, size_t n, uint64_t total)
{
	if (n)
		qsort(c, n, sizeof *c, cmp_bytes_desc);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += c[i].bytes;
	if (sum > total) /* cannot happen with a consistent trace; ms_print insists */
		total = sum;
	/* massif's rule: call sites under 1% of the total are lumped together */
	size_t shown = 0;
	while (shown < n && shown < MASSIF_TREE_MAX && c[shown].bytes * 100 >= total &&
	       c[shown].bytes > 0)
		shown++;
	uint64_t rest = 0;
	for (size_t i = shown; i < n; i++)
		rest += c[i].bytes;
	size_t lumped = n - shown;
	fprintf(x->out, "n%zu: %" PRIu64 " (heap allocation functions) kalloc, heap_alloc\n",
	        shown + (lumped ? 1 : 0), sum);
	for (size_t i = 0; i < shown; i++) {
		char site[256];
		massif_site(x, c[i].caller, site, sizeof site);
		fprintf(x->out, " n0: %" PRIu64 " %s\n", c[i].bytes, site);
	}
	if (lumped)
		fprintf(x->out,
		        " n0: %" PRIu64 " in %zu place%s, below massif's threshold (1.00%%)\n",
		        rest, lumped, lumped == 1 ? "" : "s");
}

/* The time of a snapshot in the file's unit. */
static void massif_time(const struct exporter *x, const struct sample *s, char *buf, size_t len)
{
	if (x->h->has_instret)
		snprintf(buf, len, "%" PRIu64, s->n);
	else if (x->h->time_hz)
		snprintf(buf, len, "%.3f", (double)s->t * 1000.0 / (double)x->h->time_hz);
	else
		snprintf(buf, len, "%" PRIu64, s->t);
}

static void massif_snapshot(struct exporter *x, unsigned num, const struct sample *s,
                            const char *tree_kind, struct caller_bytes *tree, size_t tree_n)
{
	char t[32];
	massif_time(x, s, t, sizeof t);
	fprintf(x->out, "#-----------\nsnapshot=%u\n#-----------\n", num);
	fprintf(x->out,
	        "time=%s\nmem_heap_B=%" PRIu64 "\nmem_heap_extra_B=%" PRIu64
	        "\nmem_stacks_B=0\nheap_tree=%s\n",
	        t, s->useful, s->used - s->useful, tree_kind);
	if (strcmp(tree_kind, "empty"))
		massif_tree(x, tree, tree_n, s->useful);
}

static int export_massif(struct exporter *x, size_t max_samples, char *err, size_t errlen)
{
	struct sampler sp;
	struct caller_table callers = {0};
	x->callers = &callers;
	if (!sampler_init(&sp, max_samples > 2 ? max_samples - 2 : 2, false)) {
		snprintf(err, errlen, "out of memory");
		return HT_EXIT_IO;
	}
	bool have_peak = false;
	struct sample last = {0};
	struct heap_event ev;
	enum trace_read_status st;
	int rc = 0;
	while ((st = trace_reader_next(x->r, &ev)) == TRACE_READ_EVENT) {
		/* like massif, take the peak's tree lazily: just before memory first
		 * drops after a new maximum (only a free, or a new init, lowers it) */
		if (x->peak_pending && (ev.kind == HEAP_EV_FREE || ev.kind == HEAP_EV_INIT))
			peak_record(x);
		if (!exporter_apply(x, &ev, err, errlen)) {
			rc = HT_EXIT_BAD_INPUT;
			break;
		}
		struct sample s;
		sample_take(x, &ev, &s);
		if (!have_peak || s.used > x->peak.used) {
			x->peak = s;
			x->peak_pending = true;
			have_peak = true;
		}
		sampler_add(&sp, &s);
		last = s;
	}
	if (!rc && st == TRACE_READ_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(x->r));
		rc = HT_EXIT_BAD_INPUT;
	}
	if (!rc && !trace_validator_finish(x->v, trace_reader_line(x->r), err, errlen))
		rc = HT_EXIT_BAD_INPUT;
	if (!rc) {
		if (x->peak_pending)
			peak_record(x);
		sampler_finish(&sp);
		struct trace_header h = *x->h; /* its strings cleaned for massif's lines */
		/* desc is the one free-text line ms_print shows: say if the run did not end */
		fprintf(x->out,
		        "desc: heaptrace export --format massif (heapscope trace, %s channel)%s\n",
		        massif_clean(h.channel),
		        !trace_reader_complete(x->r)
		            ? " INCOMPLETE: no end event, the run was cut short"
		        : x->panic ? " PANIC: the run ended in a panic, the trace stops there"
		                   : " complete");
		fprintf(x->out, "cmd: %s workload=%s\n", h.elf[0] ? massif_clean(h.elf) : "kernel",
		        h.workload[0] ? massif_clean(h.workload) : "?");
		fprintf(x->out, "time_unit: %s\n", x->h->has_instret ? "i" : "ms");
		unsigned num = 0;
		bool peak_done = false;
		for (size_t i = 0; i < sp.n; i++) {
			const struct sample *s = &sp.s[i];
			if (!peak_done && x->peak.index <= s->index) {
				massif_snapshot(x, num++, &x->peak, "peak", x->peak_tree,
				                x->peak_tree_n);
				peak_done = true;
				if (x->peak.index == s->index)
					continue;
			}
			if (s->index == last.index) {
				/* the end: what is still live, by call site (the leaks) */
				if (!tree_take(x)) {
					x->out_of_memory = true;
					break;
				}
				massif_snapshot(x, num++, s, "detailed", x->peak_tree,
				                x->peak_tree_n);
			} else {
				massif_snapshot(x, num++, s, "empty", NULL, 0);
			}
		}
	}
	free(sp.s);
	if (!rc && x->out_of_memory) {
		snprintf(err, errlen, "out of memory (%zu call sites)", callers.n);
		rc = HT_EXIT_IO;
	}
	callers_free(&callers);
	free(x->peak_tree);
	x->callers = NULL;
	x->peak_tree = NULL;
	return rc;
}

/* ---- chrome --------------------------------------------------------------- */

/* Event time in microseconds (the unit of "ts"). */
static double chrome_ts(const struct exporter *x, uint64_t t)
{
	return x->h->time_hz ? (double)t * 1e6 / (double)x->h->time_hz : (double)t;
}

/* An event's time relative to the first event. */
static uint64_t rel_time(const struct exporter *x, uint64_t t)
{
	return t >= x->t0 ? t - x->t0 : 0;
}

static void chrome_sep(struct exporter *x, bool *first)
{
	fputs(*first ? "\n" : ",\n", x->out);
	*first = false;
}

static void chrome_instant(struct exporter *x, const struct heap_event *ev, bool *first)
{
	if (x->instants >= CHROME_MAX_INSTANTS) {
		x->instants_dropped++;
		return;
	}
	x->instants++;
	chrome_sep(x, first);
	uint64_t index = trace_reader_events(x->r) - 1;
	if (ev->kind == HEAP_EV_MARKER) {
		char name[sizeof ev->name];
		memcpy(name, ev->name, sizeof name);
		name[sizeof name - 1] = 0;
		fprintf(x->out, "{\"name\":");
		put_json_string(x->out, name);
		fprintf(x->out,
		        ",\"cat\":\"marker\",\"ph\":\"i\",\"s\":\"g\",\"ts\":%.3f,\"pid\":1,"
		        "\"tid\":1,\"args\":{\"event\":%" PRIu64 "}}",
		        chrome_ts(x, rel_time(x, ev->time)), index);
		return;
	}
	const struct trace_symbol *s = ev->caller ? trace_reader_symbol(x->r, ev->caller) : NULL;
	fprintf(x->out,
	        "{\"name\":\"alloc_fail\",\"cat\":\"heap\",\"ph\":\"i\",\"s\":\"p\",\"ts\":%.3f,"
	        "\"pid\":1,\"tid\":1,\"args\":{\"event\":%" PRIu64 ",\"size\":%" PRIu64
	        ",\"align\":%" PRIu64 ",\"free\":%" PRIu64 ",\"largest\":%" PRIu64
	        ",\"caller\":\"0x%" PRIx64 "\",\"fn\":",
	        chrome_ts(x, rel_time(x, ev->time)), index, ev->size,
	        ev->align_log2 < 64 ? (uint64_t)1 << ev->align_log2 : 0, ev->block, ev->size2,
	        ev->caller);
	put_json_string(x->out, s ? s->fn : "??");
	fputs("}}", x->out);
}

static int export_chrome(struct exporter *x, size_t max_samples, char *err, size_t errlen)
{
	struct sampler sp;
	if (!sampler_init(&sp, max_samples, true)) {
		snprintf(err, errlen, "out of memory");
		return HT_EXIT_IO;
	}
	bool first = true;
	fprintf(x->out, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
	chrome_sep(x, &first);
	fprintf(x->out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,"
	                "\"args\":{\"name\":");
	char pname[64];
	snprintf(pname, sizeof pname, "heapscope %s", x->h->workload[0] ? x->h->workload : "trace");
	put_json_string(x->out, pname);
	fputs("}}", x->out);
	chrome_sep(x, &first);
	fputs("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":"
	      "\"heap\"}}",
	      x->out);

	struct heap_event ev;
	enum trace_read_status st;
	uint64_t events = 0, failures = 0, markers = 0;
	int rc = 0;
	while ((st = trace_reader_next(x->r, &ev)) == TRACE_READ_EVENT) {
		if (!exporter_apply(x, &ev, err, errlen)) {
			rc = HT_EXIT_BAD_INPUT;
			break;
		}
		events++;
		struct sample s;
		sample_take(x, &ev, &s);
		sampler_add(&sp, &s);
		if (ev.kind == HEAP_EV_ALLOC_FAIL || ev.kind == HEAP_EV_MARKER) {
			failures += ev.kind == HEAP_EV_ALLOC_FAIL;
			markers += ev.kind == HEAP_EV_MARKER;
			chrome_instant(x, &ev, &first);
		}
	}
	if (!rc && st == TRACE_READ_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(x->r));
		rc = HT_EXIT_BAD_INPUT;
	}
	if (!rc && !trace_validator_finish(x->v, trace_reader_line(x->r), err, errlen))
		rc = HT_EXIT_BAD_INPUT;
	if (!rc) {
		sampler_finish(&sp);
		for (size_t i = 0; i < sp.n; i++) {
			const struct sample *s = &sp.s[i];
			double ts = chrome_ts(x, s->t);
			chrome_sep(x, &first);
			fprintf(
			    x->out,
			    "{\"name\":\"used bytes\",\"cat\":\"heap\",\"ph\":\"C\",\"ts\":%.3f,"
			    "\"pid\":1,\"tid\":1,\"args\":{\"used\":%" PRIu64
			    ",\"requested\":%" PRIu64 "}}",
			    ts, s->used, s->useful);
			chrome_sep(x, &first);
			fprintf(
			    x->out,
			    "{\"name\":\"free blocks\",\"cat\":\"heap\",\"ph\":\"C\",\"ts\":%.3f,"
			    "\"pid\":1,\"tid\":1,\"args\":{\"free blocks\":%" PRIu64
			    ",\"live blocks\":%" PRIu64 "}}",
			    ts, s->free_blocks, s->live_blocks);
			chrome_sep(x, &first);
			fprintf(
			    x->out,
			    "{\"name\":\"fragmentation\",\"cat\":\"heap\",\"ph\":\"C\",\"ts\":%.3f,"
			    "\"pid\":1,\"tid\":1,\"args\":{\"fragmentation\":%.4f}}",
			    ts, s->frag);
			chrome_sep(x, &first);
			fprintf(
			    x->out,
			    "{\"name\":\"largest free\",\"cat\":\"heap\",\"ph\":\"C\",\"ts\":%.3f,"
			    "\"pid\":1,\"tid\":1,\"args\":{\"largest free\":%" PRIu64 "}}",
			    ts, s->largest_free);
		}
		fprintf(x->out,
		        "\n],\"otherData\":{\"format\":\"heapscope chrome export\",\"workload\":");
		put_json_string(x->out, x->h->workload);
		fprintf(x->out,
		        ",\"events\":%" PRIu64 ",\"samples\":%zu,\"events_per_sample\":%" PRIu64
		        ",\"heap_size\":%" PRIu64 ",\"alloc_failures\":%" PRIu64
		        ",\"markers\":%" PRIu64 ",\"instants_omitted\":%" PRIu64
		        ",\"complete\":%s,\"panic\":%s}}\n",
		        events, sp.n, sp.stride, x->h->heap_size, failures, markers,
		        x->instants_dropped, trace_reader_complete(x->r) ? "true" : "false",
		        x->panic ? "true" : "false");
	}
	free(sp.s);
	return rc;
}

/* ---- command -------------------------------------------------------------- */

#define EXPORT_RUN (-1) /* export_parse_args: the arguments are fine, export */

struct export_options {
	const char *out_path; /* -o, NULL: stdout */
	const char *in_path;  /* TRACE, "-": stdin */
	bool massif;          /* --format massif (else chrome) */
	size_t max_samples;   /* --max-samples, or the format's default */
};

/* --max-samples' value: a number from 4 to 10000000; false (said why) if not. */
static bool parse_max_samples(const char *v, long *out)
{
	char *end;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (end == v || *end || errno || *out < 4 || *out > 10000000) {
		fprintf(stderr,
		        "heaptrace export: --max-samples: '%s' is not a "
		        "number from 4 to 10000000\n",
		        v);
		return false;
	}
	return true;
}

/* Reads the command line into *o. Returns EXPORT_RUN, or the exit status to
 * end with at once (--help printed, or a usage error said). */
static int export_parse_args(int argc, char **argv, struct export_options *o)
{
	const char *format = NULL;
	long max_samples = 0;
	*o = (struct export_options){0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			export_usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(a, "--format") || !strcmp(a, "-o") ||
		           !strcmp(a, "--max-samples")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "heaptrace export: %s: needs a value\n", a);
				return HT_EXIT_BAD_INPUT;
			}
			const char *v = argv[++i];
			if (!strcmp(a, "--format"))
				format = v;
			else if (!strcmp(a, "-o"))
				o->out_path = v;
			else if (!parse_max_samples(v, &max_samples))
				return HT_EXIT_BAD_INPUT;
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "heaptrace export: unknown option '%s' (try --help)\n", a);
			return HT_EXIT_BAD_INPUT;
		} else if (!o->in_path) {
			o->in_path = a;
		} else {
			fprintf(stderr, "heaptrace export: too many arguments: '%s'\n", a);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (!format) {
		fprintf(stderr, "heaptrace export: --format is required (massif|chrome)\n");
		return HT_EXIT_BAD_INPUT;
	}
	if (!o->in_path) {
		fprintf(stderr, "heaptrace export: no TRACE given (\"-\" reads stdin)\n");
		export_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	o->massif = !strcmp(format, "massif");
	if (!o->massif && strcmp(format, "chrome")) {
		fprintf(stderr, "heaptrace export: --format: '%s' is not massif or chrome\n",
		        format);
		return HT_EXIT_BAD_INPUT;
	}
	if (!max_samples)
		max_samples = o->massif ? MASSIF_DEFAULT_SAMPLES : CHROME_DEFAULT_SAMPLES;
	o->max_samples = (size_t)max_samples;
	return EXPORT_RUN;
}

/* Opens the trace at path and its validator (with the heap model) into *x.
 * Returns HT_EXIT_OK, or the exit status with the reason said on stderr. */
static int exporter_open(struct exporter *x, const char *path)
{
	char err[512];
	*x = (struct exporter){.path = path};
	x->r = trace_reader_open(path, err, sizeof err);
	if (!x->r) {
		fprintf(stderr, "heaptrace export: %s\n", err);
		return HT_EXIT_BAD_INPUT;
	}
	x->h = trace_reader_header(x->r);
	x->v = trace_validator_create(path, x->h);
	if (!x->v) {
		fprintf(stderr, "heaptrace export: out of memory\n");
		trace_reader_close(x->r);
		return HT_EXIT_IO;
	}
	x->model = trace_validator_model(x->v);
	return HT_EXIT_OK;
}

static void exporter_close(struct exporter *x)
{
	trace_validator_destroy(x->v);
	trace_reader_close(x->r);
}

/* Warns on stderr when a successful export is of less than the whole run:
 * events skipped after drops, or a trace cut short. */
static void warn_if_partial(const struct exporter *x)
{
	uint64_t skipped = trace_validator_tolerated(x->v);
	if (skipped)
		fprintf(stderr,
		        "heaptrace export: %s: warning: %" PRIu64 " event%s contradicted the heap "
		        "model after dropped events and %s skipped (first: %s)\n",
		        x->path, skipped, skipped == 1 ? "" : "s", skipped == 1 ? "was" : "were",
		        trace_validator_first_tolerated(x->v));
	if (!trace_reader_complete(x->r))
		fprintf(stderr,
		        "heaptrace export: %s: warning: the trace has no end event "
		        "(cut short); exported as far as it goes\n",
		        x->path);
}

static int cmd_export(int argc, char **argv)
{
	struct export_options o;
	int rc = export_parse_args(argc, argv, &o);
	if (rc != EXPORT_RUN)
		return rc;
	struct exporter x;
	if ((rc = exporter_open(&x, o.in_path)) != HT_EXIT_OK)
		return rc;

	/* output: a temp file beside OUT, renamed over it only when complete
	 * (trace/out_file.h) */
	char err[512];
	out_file *out = out_file_open(o.out_path ? o.out_path : "-", 0, err, sizeof err);
	if (!out) {
		fprintf(stderr, "heaptrace export: %s\n", err);
		exporter_close(&x);
		return HT_EXIT_IO;
	}
	x.out = out_file_stream(out);

	rc = o.massif ? export_massif(&x, o.max_samples, err, sizeof err)
	              : export_chrome(&x, o.max_samples, err, sizeof err);
	if (rc) {
		fprintf(stderr, "heaptrace export: %s\n", err);
		out_file_discard(out);
	} else {
		warn_if_partial(&x);
		if (!out_file_close(out, err, sizeof err)) {
			fprintf(stderr, "heaptrace export: %s\n", err);
			rc = HT_EXIT_IO;
		}
	}
	exporter_close(&x);
	return rc;
}

HEAPTRACE_COMMAND(export, "--format massif|chrome TRACE",
                  "convert a trace to massif or Chrome Trace Event JSON", cmd_export);
