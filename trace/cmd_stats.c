/* cmd_stats.c - `heaptrace stats` (summary of a trace, top call stacks, call tree) and
 * `heaptrace leaks` (leak report by call stack). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "summary.h"
#include "utf8.h"

#define TOP_DEFAULT  5
#define TOP_MAX      1000 /* --top's largest value */
#define LEAKS_LISTED 16   /* call stacks `leaks` lists (the rest are counted) */

#define STATS_ARGS "[--json] [--top N] [--by F] [--tree] TRACE"
#define LEAKS_ARGS "[--json] [--fail] TRACE"

static void stats_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: heaptrace stats " STATS_ARGS "\n\n"
	    "Summarises a JSON trace (\"-\" reads stdin): events by kind, peak bytes in use and\n"
	    "when, fragmentation at the peak, at the end and at worst, the largest free block,\n"
	    "allocation failures, free blocks examined per allocation, leaks grouped by call\n"
	    "stack and the top call stacks (a caller alone in a trace without stacks),\n"
	    "symbolised from the trace's sym records: per stack its allocations, bytes, frees,\n"
	    "temporary allocations (freed before any other allocation), failures, the bytes it\n"
	    "held at the peak and at the end (leaked).\n\n"
	    "  --json     print one JSON object instead of the readable summary\n"
	    "  --top N    call stacks to list, and children per call-tree node (1..%d,\n"
	    "             default %d)\n"
	    "  --by F     order stacks and the tree by F: allocs (default), bytes, peak,\n"
	    "             leaked, temporary or failed\n"
	    "  --tree     also print the call tree, root first, inclusive and exclusive\n\n"
	    "Exit status: 0 summarised (also for an incomplete trace, which is flagged),\n"
	    "2 bad usage, an unreadable/malformed trace, or one whose events contradict\n"
	    "each other (nothing printed; the first such event on stderr; contradictions\n"
	    "after dropped events are expected and only counted), 3 output could not be\n"
	    "written.\n",
	    TOP_MAX, TOP_DEFAULT);
}

static void leaks_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: heaptrace leaks " LEAKS_ARGS "\n\n"
	    "Lists the allocations never freed, grouped by call stack (blocks and bytes\n"
	    "requested), largest first, each with its whole stack. A trace without an end\n"
	    "event was cut short: what was live at the cut is reported, and flagged as such.\n\n"
	    "  --json    print one JSON object instead of the table\n"
	    "  --fail    exit 1 if anything leaked (for CI)\n\n"
	    "Exit status: 0 done (no leaks, or leaks without --fail), 1 leaks found with\n"
	    "--fail, 2 bad usage or an unreadable, malformed or self-contradicting trace,\n"
	    "3 output could not be written,\n"
	    "4 events were dropped: the report is printed but uncertain (a lost free shows a\n"
	    "block as leaked, a lost alloc hides one), with a warning on stderr.\n");
}

/* The plural ending for a count: "s" unless n is 1. */
static const char *pl(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Ticks as a readable duration. */
static void fmt_time(uint64_t ticks, uint64_t hz, char *buf, size_t n)
{
	if (!hz) {
		snprintf(buf, n, "%" PRIu64 " ticks", ticks);
		return;
	}
	double s = (double)ticks / (double)hz;
	if (s >= 1)
		snprintf(buf, n, "%.3f s", s);
	else if (s >= 1e-3)
		snprintf(buf, n, "%.3f ms", s * 1e3);
	else
		snprintf(buf, n, "%.1f us", s * 1e6);
}

static void print_completeness(FILE *out, const struct trace_summary *s)
{
	if (s->complete && !s->panic)
		fprintf(out,
		        "complete: yes (end event: %" PRIu64 " events emitted, %" PRIu64
		        " dropped)\n",
		        s->end_events, s->dropped);
	else if (s->complete)
		fprintf(out,
		        "complete: NO - the run ended in a PANIC; the trace is the prefix up to it "
		        "(%" PRIu64 " dropped)\n",
		        s->dropped);
	else
		fprintf(out, "complete: NO - no end event: the run was cut short (hung or killed); "
		             "figures cover the events present\n");
	if (s->misused) {
		char what[160], who[200];
		trace_misuse_describe(&s->misuse, what, sizeof what);
		if (s->misuse_fn[0] && strcmp(s->misuse_fn, "??") != 0)
			snprintf(who, sizeof who, "%s %s", s->misuse_fn, s->misuse_src);
		else
			snprintf(who, sizeof who, "0x%" PRIx64, s->misuse.caller);
		fprintf(out, "panic: %s by %s at event %" PRIu64 "\n", what, who, s->misuse.seq);
	}
	if (s->dropped)
		fprintf(out,
		        "WARNING: %" PRIu64 " events were dropped by the kernel (%" PRIu64
		        " drop markers): figures are approximate\n",
		        s->dropped, s->by_kind[HEAP_EV_DROP]);
	if (s->truncated)
		fprintf(out, "note: an incomplete last line was ignored\n");
}

/* A call stack on one or more lines: its caller "fn (src) 0xaddr" after the figures, then
 * each outer frame on a line of its own, "<- fn (src)", under it (indent: the figures'
 * width). */
static void print_stack(FILE *out, const callstacks *c, const struct callstack_site *site,
                        int indent)
{
	char name[512];
	callstacks_frame_text(c, site->frames[0], name, sizeof name);
	if (site->frames[0] && strcmp(callstacks_frame(c, site->frames[0])->fn, "??"))
		fprintf(out, "%s 0x%" PRIx64 "\n", name, site->frames[0]);
	else
		fprintf(out, "%s\n", name);
	for (uint32_t d = 1; d < site->depth; d++)
		fprintf(out, "%*s<- %s\n", indent, "",
		        callstacks_frame_text(c, site->frames[d], name, sizeof name));
}

/* The top n call stacks by field f: a table, one stack per row (its outer frames below it). */
static void print_sites_table(FILE *out, const callstacks *c, enum cs_field f, size_t n, bool leaks)
{
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	if (!idx)
		return;
	n = callstacks_top(c, f, idx, n);
	if (leaks)
		fprintf(out, "  %8s %10s  %s\n", "blocks", "bytes", "call stack");
	else
		fprintf(out, "  %8s %10s %7s %6s %6s %8s %8s  %s\n", "allocs", "bytes", "frees",
		        "temp", "failed", "peak", "leaked", "call stack");
	for (size_t i = 0; i < n; i++) {
		const struct callstack_site *site = callstacks_site(c, idx[i]);
		const uint64_t *v = site->v;
		int w;
		if (leaks)
			w = fprintf(out, "  %8" PRIu64 " %10" PRIu64 "  ", v[CS_LEAKED_BLOCKS],
			            v[CS_LEAKED]);
		else
			w = fprintf(out,
			            "  %8" PRIu64 " %10" PRIu64 " %7" PRIu64 " %6" PRIu64
			            " %6" PRIu64 " %8" PRIu64 " %8" PRIu64 "  ",
			            v[CS_ALLOCS], v[CS_BYTES], v[CS_FREES], v[CS_TEMPORARY],
			            v[CS_FAILED], v[CS_PEAK], v[CS_LEAKED]);
		print_stack(out, c, site, w > 0 ? w : 0);
	}
	free(idx);
}

/* The call tree under node, children ordered by f, at most top per node (the rest counted on
 * one line). One line per node: inclusive and exclusive f, then the frame, indented by level. */
static void print_tree_node(FILE *out, const callstacks *c, uint32_t node, enum cs_field f,
                            size_t top, uint64_t total)
{
	size_t n_nodes;
	const struct callstack_node *nodes = callstacks_tree(c, CS_TOP_DOWN, &n_nodes);
	uint32_t kids[TOP_MAX];
	size_t nk = callstacks_children(c, CS_TOP_DOWN, node, f, kids, top);
	size_t listed = nk < top ? nk : top;
	uint64_t rest = nodes[node].incl[f] - nodes[node].excl[f]; /* what the children hold */
	for (size_t i = 0; i < listed; i++) {
		const struct callstack_node *k = &nodes[kids[i]];
		rest -= k->incl[f];
		if (!k->incl[f])
			continue;
		char name[512];
		fprintf(out, "  %6.1f%% %10" PRIu64 " %10" PRIu64 "  %*s%s\n",
		        total ? 100.0 * (double)k->incl[f] / (double)total : 0.0, k->incl[f],
		        k->excl[f], (int)(2 * (k->level - 1)), "",
		        callstacks_frame_text(c, k->addr, name, sizeof name));
		print_tree_node(out, c, kids[i], f, top, total);
	}
	if (rest)
		fprintf(out, "  %6.1f%% %10" PRIu64 " %10s  %*s... %zu more\n",
		        total ? 100.0 * (double)rest / (double)total : 0.0, rest, "",
		        (int)(2 * nodes[node].level), "", nk - listed);
}

static void print_tree(FILE *out, const callstacks *c, enum cs_field f, size_t top)
{
	size_t n;
	const struct callstack_node *nodes = callstacks_tree(c, CS_TOP_DOWN, &n);
	uint64_t total = n ? nodes[0].incl[f] : 0;
	fprintf(out, "call tree by %s (root first; %zu distinct stacks):\n", cs_field_name(f),
	        callstacks_count(c));
	fprintf(out, "  %7s %10s %10s  %s\n", "incl%", "inclusive", "exclusive", "frame");
	if (n)
		print_tree_node(out, c, 0, f, top, total);
}

/* A log2 histogram on one line: "16-31:3 32-63:5 1K-2K:1" (sizes from-to, the upper
 * bound excluded for K/M ranges; empty buckets left out). */
static void print_hist(FILE *out, const char *label, const uint64_t *hist)
{
	fprintf(out, "  %s", label);
	bool any = false;
	for (unsigned b = 0; b < SUMMARY_HIST_BUCKETS; b++) {
		if (!hist[b])
			continue;
		any = true;
		uint64_t lo = (uint64_t)1 << b;
		char range[48];
		if (lo >= 1024 * 1024)
			snprintf(range, sizeof range, "%lluM-%lluM", (unsigned long long)(lo >> 20),
			         (unsigned long long)(lo >> 19));
		else if (lo >= 1024)
			snprintf(range, sizeof range, "%lluK-%lluK", (unsigned long long)(lo >> 10),
			         (unsigned long long)(lo >> 9));
		else
			snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)lo,
			         (unsigned long long)(2 * lo - 1));
		fprintf(out, " %s:%" PRIu64, range, hist[b]);
	}
	fprintf(out, "%s\n", any ? "" : " none");
}

static cJSON *json_hist(const uint64_t *hist)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned b = 0; a && b < SUMMARY_HIST_BUCKETS; b++) {
		if (!hist[b])
			continue;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddNumberToObject(o, "min", (double)((uint64_t)1 << b));
		cJSON_AddNumberToObject(o, "count", (double)hist[b]);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* What stats lists of the call stacks. */
struct stats_view {
	size_t top;       /* stacks listed, and children per tree node */
	enum cs_field by; /* their order */
	bool tree;        /* print the call tree */
};

static void print_text(FILE *out, const char *path, const struct trace_summary *s,
                       const struct stats_view *view)
{
	const struct trace_header *h = &s->header;
	char t1[32], t2[32];
	fprintf(out, "%s: workload %s, channel %s, heap 0x%" PRIx64 " + %" PRIu64 " bytes\n", path,
	        h->workload[0] ? h->workload : "(unknown)",
	        h->channel[0] ? h->channel : "(unknown)", h->heap_base, h->heap_size);
	print_completeness(out, s);
	fmt_time(s->last_time - s->first_time, h->time_hz, t1, sizeof t1);
	fprintf(out, "events: %" PRIu64 " over %s", s->events, t1);
	if (h->has_instret)
		fprintf(out, " (%" PRIu64 " instructions)", s->last_instret - s->first_instret);
	fprintf(out, "\n ");
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++)
		fprintf(out, " %s %" PRIu64, heap_event_kind_name(k), s->by_kind[k]);
	fprintf(out, "\n");

	double pct = h->heap_size ? 100.0 * (double)s->peak_used / (double)h->heap_size : 0;
	fmt_time(s->peak_used_time - s->first_time, h->time_hz, t2, sizeof t2);
	fprintf(out, "memory:\n");
	fprintf(out,
	        "  peak used         %" PRIu64 " bytes (%.1f%% of the heap) at event %" PRIu64
	        " (+%s)\n",
	        s->peak_used, pct, s->peak_used_seq, t2);
	fprintf(out, "  peak live blocks  %" PRIu64 " at event %" PRIu64 "\n", s->peak_live_blocks,
	        s->peak_live_seq);
	fprintf(out,
	        "  requested         %" PRIu64 " bytes in %" PRIu64 " allocations, %" PRIu64
	        " frees, %" PRIu64 " reallocs\n",
	        s->requested_total, s->allocs, s->frees, s->reallocs);
	fprintf(out,
	        "  at end            %" PRIu64 " bytes used in %" PRIu64 " block%s; %" PRIu64
	        " bytes free in %" PRIu64 " block%s\n",
	        s->used_end, s->live_blocks_end, pl(s->live_blocks_end), s->free_end,
	        s->free_blocks_end, pl(s->free_blocks_end));
	fprintf(out, "fragmentation (1 - largest free / total free):\n");
	fprintf(out, "  at peak %.3f   at end %.3f   max %.3f at event %" PRIu64 "\n",
	        s->frag_at_peak, s->frag_end, s->frag_max, s->frag_max_seq);
	fprintf(out, "  sum of squares (1 - sum free_i^2 / free^2): at end %.3f, max %.3f\n",
	        s->frag_sq_end, s->frag_sq_max);
	fprintf(out,
	        "  largest free block: %" PRIu64 " bytes at end, smallest %" PRIu64
	        " at event %" PRIu64 "\n",
	        s->largest_free_end, s->largest_free_min, s->largest_free_min_seq);
	print_hist(out, "free blocks by size at peak:", s->free_hist_peak);
	print_hist(out, "free blocks by size at end: ", s->free_hist_end);
	fprintf(out,
	        "allocation search: %.2f free blocks examined per allocation, worst %" PRIu64
	        " at event %" PRIu64 "\n",
	        s->examined_avg, s->examined_worst, s->examined_worst_seq);
	if (s->alloc_failures)
		fprintf(out, "alloc failures: %" PRIu64 " (first at event %" PRIu64 ")\n",
		        s->alloc_failures, s->first_failure_seq);
	else
		fprintf(out, "alloc failures: 0\n");
	fprintf(out,
	        "leaks: %" PRIu64 " block%s, %" PRIu64 " bytes never freed%s, from %" PRIu64
	        " call stack%s\n",
	        s->leaked_blocks, pl(s->leaked_blocks), s->leaked_bytes,
	        s->complete ? "" : " (live when the trace was cut)", s->leak_sites,
	        pl(s->leak_sites));
	if (s->leak_sites)
		print_sites_table(out, s->stacks, CS_LEAKED, view->top, true);
	const uint64_t *total = callstacks_total(s->stacks);
	fprintf(out,
	        "call stacks: %" PRIu64 " distinct (trace stack depth %" PRIu32 "%s); %" PRIu64
	        " temporary allocation%s (freed before any other allocation)\n",
	        s->sites, s->header.stack_depth, s->header.stack_depth ? "" : ": callers only",
	        total[CS_TEMPORARY], pl(total[CS_TEMPORARY]));
	fprintf(out, "top call stacks by %s (peak: bytes held at the peak; leaked: at the end):\n",
	        cs_field_name(view->by));
	print_sites_table(out, s->stacks, view->by, view->top, false);
	if (view->tree)
		print_tree(out, s->stacks, view->by, view->top);
	if (s->impossible)
		fprintf(out, "WARNING: %" PRIu64 " events contradict the heap state%s; first: %s\n",
		        s->impossible, s->dropped ? " (expected after dropped events)" : "",
		        s->first_impossible);
}

static void json_u64(cJSON *o, const char *key, uint64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)v); /* every count is below 2^53 */
}

/* Text from the trace as a JSON string member: clean UTF-8 whatever the trace held. */
static void json_str(cJSON *o, const char *key, const char *text)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", text);
	utf8_sanitize(buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void json_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "0x%" PRIx64, v);
	cJSON_AddStringToObject(o, key, buf);
}

/* A frame as JSON: {addr, fn, src} and, when inlined, "inlined": [{fn, src}, ...]. */
static cJSON *json_frame(const callstacks *c, uint64_t addr)
{
	const struct callstack_frame *f = callstacks_frame(c, addr);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	json_hex(o, "addr", addr);
	json_str(o, "fn", f->fn);
	json_str(o, "src", f->src);
	if (f->n_inlined) {
		cJSON *a = cJSON_AddArrayToObject(o, "inlined");
		for (uint32_t i = 0; a && i < f->n_inlined; i++) {
			cJSON *in = cJSON_CreateObject();
			if (!in)
				break;
			json_str(in, "fn", f->inlined[i].fn);
			json_str(in, "src", f->inlined[i].src);
			cJSON_AddItemToArray(a, in);
		}
	}
	return o;
}

/* The figures of a stack or tree node as members of o (cs_field_name's keys). */
static void json_fields(cJSON *o, const uint64_t *v)
{
	for (unsigned f = 0; f < CS_FIELDS; f++)
		json_u64(o, cs_field_name((enum cs_field)f), v[f]);
}

/* The top n call stacks by f: [{caller, fn, src, frames: [...], allocs, bytes, ...}]; the
 * caller's fn/src and the keys fails/leaked_bytes as before stacks existed. */
static cJSON *json_sites(const callstacks *c, enum cs_field f, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	if (!a || !idx) {
		free(idx);
		return a;
	}
	n = callstacks_top(c, f, idx, n);
	for (size_t i = 0; i < n; i++) {
		const struct callstack_site *site = callstacks_site(c, idx[i]);
		const struct callstack_frame *caller = callstacks_frame(c, site->frames[0]);
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		json_hex(o, "caller", site->frames[0]);
		json_str(o, "fn", caller->fn);
		json_str(o, "src", caller->src);
		cJSON *frames = cJSON_AddArrayToObject(o, "frames");
		for (uint32_t d = 0; frames && d < site->depth; d++)
			cJSON_AddItemToArray(frames, json_frame(c, site->frames[d]));
		json_fields(o, site->v);
		json_u64(o, "fails", site->v[CS_FAILED]);
		json_u64(o, "leaked_bytes", site->v[CS_LEAKED]);
		cJSON_AddItemToArray(a, o);
	}
	free(idx);
	return a;
}

/* The call tree under node as nested objects {addr, fn, src, inclusive: {...}, exclusive:
 * {...}, children: [...]}, children ordered by f, at most top each. */
static cJSON *json_tree(const callstacks *c, uint32_t node, enum cs_field f, size_t top)
{
	size_t n;
	const struct callstack_node *nodes = callstacks_tree(c, CS_TOP_DOWN, &n);
	cJSON *o = node ? json_frame(c, nodes[node].addr) : cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON *incl = cJSON_AddObjectToObject(o, "inclusive");
	cJSON *excl = cJSON_AddObjectToObject(o, "exclusive");
	if (incl)
		json_fields(incl, nodes[node].incl);
	if (excl)
		json_fields(excl, nodes[node].excl);
	uint32_t kids[TOP_MAX];
	size_t nk = callstacks_children(c, CS_TOP_DOWN, node, f, kids, top);
	cJSON *ch = cJSON_AddArrayToObject(o, "children");
	for (size_t i = 0; ch && i < nk && i < top; i++)
		if (nodes[kids[i]].incl[f])
			cJSON_AddItemToArray(ch, json_tree(c, kids[i], f, top));
	return o;
}

/* The whole summary as JSON (docs/heaptrace.md lists the keys). */
static cJSON *summary_json(const char *path, const struct trace_summary *s,
                           const struct stats_view *view)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "trace", path);
	cJSON_AddStringToObject(o, "workload", s->header.workload);
	cJSON_AddStringToObject(o, "channel", s->header.channel);
	json_hex(o, "heap_base", s->header.heap_base);
	json_u64(o, "heap_size", s->header.heap_size);
	cJSON_AddBoolToObject(o, "complete", s->complete);
	cJSON_AddBoolToObject(o, "panic", s->panic);
	if (s->misused) { /* the misuse it panicked on (docs/heaptrace.md) */
		char what[160];
		cJSON *m = cJSON_AddObjectToObject(o, "misuse");
		if (m) {
			cJSON_AddStringToObject(m, "what",
			                        trace_misuse_describe(&s->misuse, what, sizeof what));
			/* the event's own fields, as the trace writes them (the schema's) */
			for (const struct heap_field *f = heap_event_fields(HEAP_EV_MISUSE); f->name;
			     f++) {
				char v[TRACE_EVENT_LINE_MAX];
				size_t n = trace_format_field(v, &s->misuse, f);
				cJSON *item = cJSON_ParseWithLength(v, n);
				if (item)
					cJSON_AddItemToObject(m, f->name, item);
			}
			cJSON_AddStringToObject(m, "fn", s->misuse_fn[0] ? s->misuse_fn : "??");
			cJSON_AddStringToObject(m, "src", s->misuse_src[0] ? s->misuse_src : "??:0");
			json_u64(m, "event", s->misuse.seq);
		}
	}
	cJSON_AddBoolToObject(o, "truncated", s->truncated);
	json_u64(o, "dropped", s->dropped);
	json_u64(o, "events", s->events);
	cJSON *k = cJSON_AddObjectToObject(o, "by_kind");
	for (unsigned i = 0; k && i < HEAP_EV_COUNT; i++)
		json_u64(k, heap_event_kind_name(i), s->by_kind[i]);
	json_u64(o, "duration_ticks", s->last_time - s->first_time);
	json_u64(o, "time_hz", s->header.time_hz);
	if (s->header.has_instret)
		json_u64(o, "instructions", s->last_instret - s->first_instret);
	json_u64(o, "allocs", s->allocs);
	json_u64(o, "frees", s->frees);
	json_u64(o, "reallocs", s->reallocs);
	json_u64(o, "requested_bytes", s->requested_total);
	json_u64(o, "peak_used", s->peak_used);
	json_u64(o, "peak_used_event", s->peak_used_seq);
	json_u64(o, "peak_used_time", s->peak_used_time);
	json_u64(o, "peak_live_blocks", s->peak_live_blocks);
	json_u64(o, "peak_live_event", s->peak_live_seq);
	cJSON_AddNumberToObject(o, "frag_at_peak", s->frag_at_peak);
	cJSON_AddNumberToObject(o, "frag_end", s->frag_end);
	cJSON_AddNumberToObject(o, "frag_max", s->frag_max);
	json_u64(o, "frag_max_event", s->frag_max_seq);
	cJSON_AddNumberToObject(o, "frag_sq_end", s->frag_sq_end);
	cJSON_AddNumberToObject(o, "frag_sq_max", s->frag_sq_max);
	json_u64(o, "used_end", s->used_end);
	json_u64(o, "free_end", s->free_end);
	json_u64(o, "live_blocks_end", s->live_blocks_end);
	json_u64(o, "free_blocks_end", s->free_blocks_end);
	json_u64(o, "largest_free_end", s->largest_free_end);
	json_u64(o, "largest_free_min", s->largest_free_min);
	json_u64(o, "largest_free_min_event", s->largest_free_min_seq);
	cJSON_AddItemToObject(o, "free_hist_peak", json_hist(s->free_hist_peak));
	cJSON_AddItemToObject(o, "free_hist_end", json_hist(s->free_hist_end));
	json_u64(o, "alloc_failures", s->alloc_failures);
	if (s->alloc_failures)
		json_u64(o, "first_failure_event", s->first_failure_seq);
	cJSON_AddNumberToObject(o, "examined_avg", s->examined_avg);
	json_u64(o, "examined_worst", s->examined_worst);
	json_u64(o, "examined_worst_event", s->examined_worst_seq);
	json_u64(o, "leaked_blocks", s->leaked_blocks);
	json_u64(o, "leaked_bytes", s->leaked_bytes);
	json_u64(o, "sites", s->sites);
	json_u64(o, "leak_sites", s->leak_sites);
	json_u64(o, "stack_depth", s->header.stack_depth);
	cJSON *totals = cJSON_AddObjectToObject(o, "stack_totals");
	if (totals)
		json_fields(totals, callstacks_total(s->stacks));
	cJSON_AddItemToObject(o, "leaks", json_sites(s->stacks, CS_LEAKED, view->top));
	cJSON_AddStringToObject(o, "top_by", cs_field_name(view->by));
	cJSON_AddItemToObject(o, "top_sites", json_sites(s->stacks, view->by, view->top));
	/* the top stacks for each figure the issue asks about */
	static const enum cs_field tops[] = {CS_BYTES,  CS_ALLOCS,    CS_PEAK,
	                                     CS_LEAKED, CS_TEMPORARY, CS_FAILED};
	cJSON *top = cJSON_AddObjectToObject(o, "top");
	for (size_t i = 0; top && i < sizeof tops / sizeof tops[0]; i++)
		cJSON_AddItemToObject(top, cs_field_name(tops[i]),
		                      json_sites(s->stacks, tops[i], view->top));
	if (view->tree)
		cJSON_AddItemToObject(o, "tree", json_tree(s->stacks, 0, view->by, view->top));
	json_u64(o, "impossible_events", s->impossible);
	if (s->impossible)
		cJSON_AddStringToObject(o, "first_impossible", s->first_impossible);
	return o;
}

/* Prints o (and frees it); a failure is said on stderr as "heaptrace CMD: ...". */
static int print_json(const char *cmd, cJSON *o)
{
	char *text = o ? cJSON_Print(o) : NULL;
	cJSON_Delete(o);
	if (!text) {
		fprintf(stderr, "heaptrace %s: out of memory\n", cmd);
		return HT_EXIT_IO;
	}
	int ok = puts(text) >= 0;
	free(text);
	if (!ok)
		fprintf(stderr, "heaptrace %s: writing the output failed\n", cmd);
	return ok ? HT_EXIT_OK : HT_EXIT_IO;
}

static int finish_output(const char *cmd)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "heaptrace %s: writing the output failed\n", cmd);
		return HT_EXIT_IO;
	}
	return HT_EXIT_OK;
}

static int run_stats(int argc, char **argv)
{
	bool json = false;
	struct stats_view view = {TOP_DEFAULT, CS_ALLOCS, false};
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			stats_usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--tree")) {
			view.tree = true;
		} else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
			char *end;
			long top = strtol(argv[++i], &end, 10);
			if (*end || top < 1 || top > TOP_MAX) {
				fprintf(
				    stderr,
				    "heaptrace stats: --top: '%s' is not a number from 1 to %d\n",
				    argv[i], TOP_MAX);
				return HT_EXIT_BAD_INPUT;
			}
			view.top = (size_t)top;
		} else if (!strcmp(argv[i], "--by") && i + 1 < argc) {
			if (!cs_field_parse(argv[++i], &view.by)) {
				fprintf(stderr,
				        "heaptrace stats: --by: '%s' is not allocs, bytes, peak, "
				        "leaked, temporary or failed\n",
				        argv[i]);
				return HT_EXIT_BAD_INPUT;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "heaptrace stats: unknown option or missing value '%s'\n",
			        argv[i]);
			stats_usage(stderr);
			return HT_EXIT_BAD_INPUT;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "heaptrace stats: one trace only ('%s')\n", argv[i]);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (!path) {
		stats_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	static struct trace_summary s;
	char err[512];
	int rc = trace_summary_compute(path, &s, err, sizeof err);
	if (rc) {
		fprintf(stderr, "heaptrace stats: %s\n", err);
		return rc;
	}
	if (json)
		rc = print_json("stats", summary_json(path, &s, &view));
	else
		print_text(stdout, path, &s, &view);
	trace_summary_release(&s);
	return rc ? rc : finish_output("stats");
}

static int run_leaks(int argc, char **argv)
{
	bool json = false, fail = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			leaks_usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--fail")) {
			fail = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "heaptrace leaks: unknown option '%s'\n", argv[i]);
			leaks_usage(stderr);
			return HT_EXIT_BAD_INPUT;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "heaptrace leaks: one trace only ('%s')\n", argv[i]);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (!path) {
		leaks_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	static struct trace_summary s;
	char err[512];
	int rc = trace_summary_compute(path, &s, err, sizeof err);
	if (rc) {
		fprintf(stderr, "heaptrace leaks: %s\n", err);
		return rc;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		if (o) {
			cJSON_AddStringToObject(o, "trace", path);
			cJSON_AddBoolToObject(o, "complete", s.complete);
			cJSON_AddBoolToObject(o, "panic", s.panic);
			json_u64(o, "leaked_blocks", s.leaked_blocks);
			json_u64(o, "leaked_bytes", s.leaked_bytes);
			json_u64(o, "leak_sites", s.leak_sites);
			json_u64(o, "dropped", s.dropped);
			cJSON_AddBoolToObject(o, "uncertain", s.dropped != 0);
			cJSON_AddItemToObject(o, "sites",
			                      json_sites(s.stacks, CS_LEAKED, LEAKS_LISTED));
		}
		rc = print_json("leaks", o);
		if (rc) {
			trace_summary_release(&s);
			return rc;
		}
	} else {
		printf("%s: %" PRIu64 " block%s, %" PRIu64 " bytes never freed, from %" PRIu64
		       " call stack%s%s\n",
		       path, s.leaked_blocks, pl(s.leaked_blocks), s.leaked_bytes, s.leak_sites,
		       pl(s.leak_sites),
		       !s.complete ? " (no end event: what was live when the trace was cut)"
		       : s.panic   ? " (the run ended in a PANIC: what was live at the panic)"
		                   : "");
		if (s.leak_sites)
			print_sites_table(stdout, s.stacks, CS_LEAKED, LEAKS_LISTED, true);
		if (s.leak_sites > LEAKS_LISTED)
			printf("  ... and %" PRIu64 " more call stack%s\n",
			       s.leak_sites - LEAKS_LISTED, pl(s.leak_sites - LEAKS_LISTED));
	}
	trace_summary_release(&s);
	rc = finish_output("leaks");
	if (rc)
		return rc;
	/* lost events: a lost free makes a block look leaked, a lost alloc hides one */
	if (s.dropped) {
		fprintf(stderr,
		        "heaptrace leaks: %s: WARNING: %" PRIu64 " events were dropped (%" PRIu64
		        " drop marker%s): the leak report is uncertain (a lost free makes a block "
		        "look leaked, a lost alloc hides a leak)\n",
		        path, s.dropped, s.by_kind[HEAP_EV_DROP], pl(s.by_kind[HEAP_EV_DROP]));
		return HT_EXIT_UNCERTAIN;
	}
	return fail && s.leaked_blocks ? HT_EXIT_VERDICT : HT_EXIT_OK;
}

HEAPTRACE_COMMAND(stats, STATS_ARGS,
                  "summary: peaks, fragmentation, failures, leaks, call stacks and tree",
                  run_stats);
HEAPTRACE_COMMAND(leaks, LEAKS_ARGS, "allocations never freed, by call stack", run_leaks);
