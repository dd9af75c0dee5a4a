/* cmd_export.c - `heaptrace export`: a trace as a valgrind massif file with its allocation tree,
 * Chrome Trace Event JSON, a folded-stacks file for flame graphs, or a pprof profile. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callstack.h"
#include "commands.h"
#include "heap_model.h"
#include "out_file.h"
#include "pprof.h"
#include "summary.h"
#include "trace_reader.h"
#include "utf8.h"
#include "validate.h"

#define EXPORT_ARGS                                                                                \
	"--format massif|chrome|folded|pprof [-o OUT] [--max-samples N] [--weight W] TRACE"

#define MASSIF_DEFAULT_SAMPLES 200   /* snapshots: massif itself keeps 100 */
#define CHROME_DEFAULT_SAMPLES 20000 /* counter samples per track */
#define CHROME_MAX_INSTANTS    10000 /* alloc_fail / marker instants written at most */
#define MASSIF_TREE_MAX        24    /* callers shown per node of a detailed snapshot's tree */

static void export_usage(FILE *out)
{
	fprintf(out,
	        "usage: heaptrace export " EXPORT_ARGS "\n\n"
	        "Converts a trace for other tools:\n"
	        "  massif  heap usage over time in valgrind massif's format (ms_print,\n"
	        "          massif-visualizer): useful bytes = requested sizes, extra = block\n"
	        "          overhead; detailed snapshots at the peak and at the end with the\n"
	        "          allocation tree (callers of the allocator, then their callers)\n"
	        "  chrome  Chrome Trace Event JSON (Perfetto, chrome://tracing): counter tracks\n"
	        "          for used bytes, free blocks and fragmentation, instant events for\n"
	        "          alloc failures and markers\n"
	        "  folded  one line per call stack, 'root;...;caller WEIGHT', for flame graphs\n"
	        "          (flamegraph.pl, inferno, speedscope)\n"
	        "  pprof   a gzipped pprof profile (go tool pprof): allocations, bytes, what\n"
	        "          each stack held at the peak and at the end, temporary and failed\n"
	        "          allocations\n\n"
	        "options:\n"
	        "  --format F        massif, chrome, folded or pprof (required)\n"
	        "  --weight W        folded: what a stack weighs: bytes (requested, default),\n"
	        "                    count (allocations), peak (bytes held at the peak),\n"
	        "                    leaked (at the end), temporary or failed\n"
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

/* ---- reading the trace ---------------------------------------------------- */

struct exporter {
	trace_reader *r;
	summary_acc *acc;         /* every event goes through it: the shared verdict
	                             (trace/validate.h), the heap, the call stacks */
	const trace_validator *v; /* the summary's validator */
	const heap_model *model;  /* and its heap */
	const struct trace_header *h;
	const char *path;
	FILE *out;
	struct trace_summary summary; /* after exporter_finish: the figures and call stacks */
	/* massif: the exact peak (the first event with the most bytes used) */
	struct sample peak;
	bool have_peak;
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

/* Reads the next event into *ev and applies it (summary_add_event: heap model, call stacks).
 * Returns 1 for an event, 0 at the end of the trace, -1 on bad input with "FILE:LINE: what" in
 * err: a malformed line, or an event that makes the trace contradict itself (the export stops;
 * after a DROP such an event is expected, and counted and skipped instead). */
static int exporter_next(struct exporter *x, struct heap_event *ev, char *err, size_t errlen)
{
	enum trace_read_status st = trace_reader_next(x->r, ev);
	if (st == TRACE_READ_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(x->r));
		return -1;
	}
	if (st != TRACE_READ_EVENT)
		return 0;
	if (!summary_add_event(x->acc, ev, trace_reader_line(x->r), err, errlen))
		return -1;
	if (ev->kind == HEAP_EV_END)
		x->panic = ev->flags & HEAP_END_PANIC;
	return 1;
}

/* After the last event: the whole-trace verdict and x->summary (with the call stacks). False
 * with why in err (bad input: no init, no event; or out of memory). */
static bool exporter_finish(struct exporter *x, char *err, size_t errlen)
{
	if (!summary_acc_finish(x->acc, trace_reader_line(x->r), &x->summary, err, errlen))
		return false;
	x->summary.truncated = trace_reader_truncated(x->r);
	return true;
}

/* Reads the whole trace (for the exports that need only the summary). */
static int exporter_run(struct exporter *x, char *err, size_t errlen)
{
	struct heap_event ev;
	int got;
	while ((got = exporter_next(x, &ev, err, errlen)) > 0)
		;
	return got < 0 || !exporter_finish(x, err, errlen) ? HT_EXIT_BAD_INPUT : HT_EXIT_OK;
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

/* Text for a frame in a heap tree: "0xADDR: fn (file:line)", massif's form. */
static void massif_frame(const callstacks *c, uint64_t addr, char *buf, size_t len)
{
	const struct callstack_frame *f = callstacks_frame(c, addr);
	if (!addr) {
		snprintf(buf, len, "0x0: ??? (unknown caller)");
	} else if (strcmp(f->fn, "??")) {
		char name[400];
		callstacks_frame_text(c, addr, name, sizeof name);
		snprintf(buf, len, "0x%" PRIx64 ": %s", addr, name);
	} else {
		snprintf(buf, len, "0x%" PRIx64 ": ???", addr);
	}
	massif_clean(buf);
}

/* One node of a detailed snapshot's tree (bottom-up: the callers of the allocator, then
 * theirs), by field f, then its children: those of at least 1% of total (massif's threshold),
 * at most MASSIF_TREE_MAX; the rest, and what no deeper frame was recorded for, lumped on one
 * line. */
static void massif_node(struct exporter *x, const callstacks *c, uint32_t node, enum cs_field f,
                        uint64_t total)
{
	size_t n;
	const struct callstack_node *nodes = callstacks_tree(c, CS_BOTTOM_UP, &n);
	uint32_t kids[MASSIF_TREE_MAX];
	size_t nk = callstacks_children(c, CS_BOTTOM_UP, node, f, kids, MASSIF_TREE_MAX);
	size_t shown = 0;
	uint64_t below = nk ? nodes[node].incl[f] : 0; /* a node without children is a leaf */
	while (shown < nk && shown < MASSIF_TREE_MAX && nodes[kids[shown]].incl[f] > 0 &&
	       nodes[kids[shown]].incl[f] * 100 >= total) {
		below -= nodes[kids[shown]].incl[f];
		shown++;
	}
	size_t places = nk - shown + (nodes[node].excl[f] ? 1 : 0);
	char text[512];
	int indent = (int)nodes[node].level;
	if (node == 0) {
		fprintf(x->out,
		        "n%zu: %" PRIu64 " (heap allocation functions) kalloc, heap_alloc\n",
		        shown + (below ? 1 : 0), nodes[0].incl[f]);
	} else {
		massif_frame(c, nodes[node].addr, text, sizeof text);
		fprintf(x->out, "%*sn%zu: %" PRIu64 " %s\n", indent, "", shown + (below ? 1 : 0),
		        nodes[node].incl[f], text);
	}
	for (size_t i = 0; i < shown; i++)
		massif_node(x, c, kids[i], f, total);
	if (below)
		fprintf(x->out, "%*sn0: %" PRIu64 " in %zu place%s, %s\n", indent + 1, "", below,
		        places, places == 1 ? "" : "s",
		        nk > shown ? "below massif's threshold (1.00%)"
		                   : "no deeper frame recorded");
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

/* A snapshot; tree_kind "empty", "peak" (the tree of what each stack held at the peak) or
 * "detailed" (the end's: what each stack still holds). */
static void massif_snapshot(struct exporter *x, unsigned num, const struct sample *s,
                            const char *tree_kind)
{
	char t[32];
	massif_time(x, s, t, sizeof t);
	fprintf(x->out, "#-----------\nsnapshot=%u\n#-----------\n", num);
	fprintf(x->out,
	        "time=%s\nmem_heap_B=%" PRIu64 "\nmem_heap_extra_B=%" PRIu64
	        "\nmem_stacks_B=0\nheap_tree=%s\n",
	        t, s->useful, s->used - s->useful, tree_kind);
	if (strcmp(tree_kind, "empty"))
		massif_node(x, x->summary.stacks, 0,
		            strcmp(tree_kind, "peak") ? CS_LEAKED : CS_PEAK, s->useful);
}

static int export_massif(struct exporter *x, size_t max_samples, char *err, size_t errlen)
{
	struct sampler sp;
	if (!sampler_init(&sp, max_samples > 2 ? max_samples - 2 : 2, false)) {
		snprintf(err, errlen, "out of memory");
		return HT_EXIT_IO;
	}
	struct sample last = {0};
	struct heap_event ev;
	int got;
	while ((got = exporter_next(x, &ev, err, errlen)) > 0) {
		struct sample s;
		sample_take(x, &ev, &s);
		if (!x->have_peak || s.used > x->peak.used) { /* the summary's peak too */
			x->peak = s;
			x->have_peak = true;
		}
		sampler_add(&sp, &s);
		last = s;
	}
	int rc = got < 0 || !exporter_finish(x, err, errlen) ? HT_EXIT_BAD_INPUT : 0;
	if (!rc) {
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
				massif_snapshot(x, num++, &x->peak, "peak");
				peak_done = true;
				if (x->peak.index == s->index)
					continue;
			}
			/* the end: what is still live, by call stack (the leaks) */
			massif_snapshot(x, num++, s, s->index == last.index ? "detailed" : "empty");
		}
	}
	free(sp.s);
	return rc;
}

/* ---- folded stacks -------------------------------------------------------- */

/* Appends one frame name to a folded line, cleaned so that it cannot split the line (';'
 * becomes ':', blanks and control characters '_'). */
static void folded_name(char *line, size_t *len, size_t cap, const char *name)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", name);
	utf8_sanitize(buf);
	for (char *p = buf; *p; p++)
		if (*p == ';')
			*p = ':';
		else if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '_';
	int w = snprintf(line + *len, *len < cap ? cap - *len : 0, "%s%s", *len ? ";" : "", buf);
	if (w > 0)
		*len += (size_t)w;
}

/* The stack of site as a folded line, root first, named by function ("0xADDR" without a
 * name), inlined functions as frames of their own (the real frame's function first, the
 * innermost last); a first frame says so when the trace is not the whole run. */
static void folded_stack(const struct exporter *x, const callstacks *c,
                         const struct callstack_site *site, char *line, size_t cap)
{
	size_t len = 0;
	line[0] = 0;
	if (!x->summary.complete)
		folded_name(line, &len, cap, "[INCOMPLETE:_no_end_event,_the_run_was_cut_short]");
	else if (x->summary.panic)
		folded_name(line, &len, cap, "[PANIC:_the_run_ended_in_a_panic]");
	for (uint32_t d = site->depth; d-- > 0;) {
		const struct callstack_frame *f = callstacks_frame(c, site->frames[d]);
		char addr[24];
		if (!site->frames[d]) {
			folded_name(line, &len, cap, "[unknown_caller]");
			continue;
		}
		snprintf(addr, sizeof addr, "0x%" PRIx64, site->frames[d]);
		for (uint32_t k = f->n_inlined; k-- > 0;)
			folded_name(line, &len, cap, f->inlined[k].fn);
		folded_name(line, &len, cap, strcmp(f->fn, "??") ? f->fn : addr);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per distinct folded stack with a nonzero weight, sorted; stacks that name the
 * same functions are summed (flame graphs merge by name). */
static int export_folded(struct exporter *x, enum cs_field weight, char *err, size_t errlen)
{
	int rc = exporter_run(x, err, errlen);
	if (rc)
		return rc;
	const callstacks *c = x->summary.stacks;
	size_t n = callstacks_count(c), k = 0;
	char **lines = calloc(n ? n : 1, sizeof *lines);
	if (!lines) {
		snprintf(err, errlen, "out of memory");
		return HT_EXIT_IO;
	}
	enum { LINE_CAP = 16384, WEIGHT_LEN = 24 };
	char line[LINE_CAP];
	for (size_t i = 0; i < n; i++) {
		const struct callstack_site *site = callstacks_site(c, i);
		if (!site->v[weight])
			continue;
		folded_stack(x, c, site, line, LINE_CAP - WEIGHT_LEN);
		size_t len = strlen(line);
		/* the weight in a fixed-width field, so that sorting keeps equal stacks together */
		snprintf(line + len, WEIGHT_LEN, " %020" PRIu64, site->v[weight]);
		if (!(lines[k++] = strdup(line))) {
			snprintf(err, errlen, "out of memory");
			rc = HT_EXIT_IO;
			break;
		}
	}
	if (!rc) {
		qsort(lines, k, sizeof *lines, cmp_str);
		for (size_t i = 0; i < k;) {
			size_t stack_len = (size_t)(strrchr(lines[i], ' ') - lines[i]);
			uint64_t sum = 0;
			size_t j = i;
			for (; j < k && !strncmp(lines[j], lines[i], stack_len + 1); j++)
				sum += strtoull(strrchr(lines[j], ' ') + 1, NULL, 10);
			fprintf(x->out, "%.*s %" PRIu64 "\n", (int)stack_len, lines[i], sum);
			i = j;
		}
	}
	for (size_t i = 0; i < k; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

/* ---- pprof ---------------------------------------------------------------- */

static int export_pprof(struct exporter *x, char *err, size_t errlen)
{
	int rc = exporter_run(x, err, errlen);
	if (rc)
		return rc;
	return pprof_write(x->out, &x->summary, err, errlen) ? HT_EXIT_OK : HT_EXIT_IO;
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
	uint64_t events = 0, failures = 0, markers = 0;
	int got;
	while ((got = exporter_next(x, &ev, err, errlen)) > 0) {
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
	int rc = got < 0 || !exporter_finish(x, err, errlen) ? HT_EXIT_BAD_INPUT : 0;
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

enum export_format { FORMAT_MASSIF, FORMAT_CHROME, FORMAT_FOLDED, FORMAT_PPROF, FORMATS };
static const char *const format_names[FORMATS] = {"massif", "chrome", "folded", "pprof"};

struct export_options {
	const char *out_path;      /* -o, NULL: stdout */
	const char *in_path;       /* TRACE, "-": stdin */
	enum export_format format; /* --format */
	size_t max_samples;        /* --max-samples, or the format's default */
	enum cs_field weight;      /* --weight (folded) */
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
	const char *format = NULL, *weight = NULL;
	long max_samples = 0;
	*o = (struct export_options){0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			export_usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(a, "--format") || !strcmp(a, "-o") ||
		           !strcmp(a, "--max-samples") || !strcmp(a, "--weight")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "heaptrace export: %s: needs a value\n", a);
				return HT_EXIT_BAD_INPUT;
			}
			const char *v = argv[++i];
			if (!strcmp(a, "--format"))
				format = v;
			else if (!strcmp(a, "-o"))
				o->out_path = v;
			else if (!strcmp(a, "--weight"))
				weight = v;
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
		fprintf(stderr,
		        "heaptrace export: --format is required (massif|chrome|folded|pprof)\n");
		return HT_EXIT_BAD_INPUT;
	}
	if (!o->in_path) {
		fprintf(stderr, "heaptrace export: no TRACE given (\"-\" reads stdin)\n");
		export_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	for (o->format = 0; o->format < FORMATS && strcmp(format, format_names[o->format]);)
		o->format++;
	if (o->format == FORMATS) {
		fprintf(stderr,
		        "heaptrace export: --format: '%s' is not massif, chrome, folded or pprof\n",
		        format);
		return HT_EXIT_BAD_INPUT;
	}
	o->weight = CS_BYTES;
	if (weight && (o->format != FORMAT_FOLDED || !cs_field_parse(weight, &o->weight) ||
	               o->weight == CS_FREES || o->weight == CS_PEAK_BLOCKS ||
	               o->weight == CS_LEAKED_BLOCKS)) {
		fprintf(stderr,
		        o->format != FORMAT_FOLDED
		            ? "heaptrace export: --weight: only for --format folded\n"
		            : "heaptrace export: --weight: '%s' is not bytes, count, peak, leaked, "
		              "temporary or failed\n",
		        weight);
		return HT_EXIT_BAD_INPUT;
	}
	if (!max_samples)
		max_samples =
		    o->format == FORMAT_MASSIF ? MASSIF_DEFAULT_SAMPLES : CHROME_DEFAULT_SAMPLES;
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
	x->acc = summary_acc_create(path, x->h);
	if (!x->acc) {
		fprintf(stderr, "heaptrace export: out of memory\n");
		trace_reader_close(x->r);
		return HT_EXIT_IO;
	}
	summary_acc_set_symbols(x->acc, x->r);
	x->v = summary_acc_validator(x->acc);
	x->model = trace_validator_model(x->v);
	return HT_EXIT_OK;
}

static void exporter_close(struct exporter *x)
{
	trace_summary_release(&x->summary);
	summary_acc_destroy(x->acc);
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

	switch (o.format) {
	case FORMAT_MASSIF:
		rc = export_massif(&x, o.max_samples, err, sizeof err);
		break;
	case FORMAT_CHROME:
		rc = export_chrome(&x, o.max_samples, err, sizeof err);
		break;
	case FORMAT_FOLDED:
		rc = export_folded(&x, o.weight, err, sizeof err);
		break;
	default:
		rc = export_pprof(&x, err, sizeof err);
		break;
	}
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

HEAPTRACE_COMMAND(export, "--format massif|chrome|folded|pprof TRACE",
                  "convert a trace: massif, Chrome Trace Event JSON, flame graph, pprof",
                  cmd_export);
