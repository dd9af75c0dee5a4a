/* summary.c - one pass over a trace: counts, peaks, fragmentation, failures, leaks, and the
 * allocations by call stack (trace/callstack.c does the grouping). */
#include "summary.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "event_pipe.h"
#include "heap_model.h"
#include "utf8.h"
#include "validate.h"

_Static_assert(SUMMARY_HIST_BUCKETS == HEAP_MODEL_HIST_BUCKETS, "histograms must match");

struct summary_acc {
	struct trace_summary s;   /* being filled */
	trace_validator *v;       /* the verdict, and the heap event by event */
	const heap_model *m;      /* the validator's heap */
	char *path;               /* the trace, for messages */
	uint64_t line;            /* line of the event being added */
	const trace_reader *syms; /* stack and sym records for call sites, or NULL */
	callstacks *stacks;       /* allocations by call stack */
	bool any;                 /* an event has been fed */
	bool lf_started;          /* largest_free_min is being tracked (INIT seen) */
};

double summary_frag(uint64_t largest, uint64_t free_bytes)
{
	return free_bytes ? 1.0 - (double)largest / (double)free_bytes : 0.0;
}

/* ---- accumulation ------------------------------------------------------------- */

summary_acc *summary_acc_create(const char *path, const struct trace_header *h)
{
	summary_acc *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->v = trace_validator_create(path, h);
	a->path = strdup(path ? path : "-");
	a->stacks = callstacks_create();
	if (!a->v || !a->path || !a->stacks) {
		summary_acc_destroy(a);
		return NULL;
	}
	a->m = trace_validator_model(a->v);
	if (h) {
		/* the summary's text goes into JSON: only well-formed UTF-8 */
		a->s.header = *h;
		utf8_sanitize(a->s.header.channel);
		utf8_sanitize(a->s.header.workload);
		utf8_sanitize(a->s.header.elf);
	}
	return a;
}

void summary_acc_set_symbols(summary_acc *a, const trace_reader *r)
{
	a->syms = r;
}

void summary_acc_destroy(summary_acc *a)
{
	if (!a)
		return;
	trace_validator_destroy(a->v);
	free(a->path);
	callstacks_destroy(a->stacks);
	free(a);
}

const trace_validator *summary_acc_validator(const summary_acc *a)
{
	return a->v;
}

static bool oom(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	return false;
}

/* *total += v, unless that passes 2^64-1: then false, with "FILE:LINE: event N:
 * what add up to more than 2^64-1" in err. A total never wraps silently. */
static bool add_total(const summary_acc *a, uint64_t *total, uint64_t v, const char *what,
                      const struct heap_event *ev, char *err, size_t errlen)
{
	if (*total + v >= *total) {
		*total += v;
		return true;
	}
	if (err && errlen)
		snprintf(err, errlen,
		         "%s:%" PRIu64 ": event %" PRIu64
		         ": %s add up to more than 2^64-1 (this one: %" PRIu64 ")",
		         a->path, a->line, ev->seq, what, v);
	return false;
}

static bool note_examined(summary_acc *a, const struct heap_event *ev, char *err, size_t errlen)
{
	struct trace_summary *s = &a->s;
	if (!add_total(a, &s->examined_total, ev->examined, "free blocks examined", ev, err,
	               errlen))
		return false;
	if (ev->examined > s->examined_worst) {
		s->examined_worst = ev->examined;
		s->examined_worst_seq = ev->seq;
	}
	return true;
}

bool summary_add_event(summary_acc *a, const struct heap_event *ev, uint64_t line, char *err,
                       size_t errlen)
{
	struct trace_summary *s = &a->s;
	struct heap_model_block freed; /* the block a free releases, while it still exists */
	bool free_known = false;
	if (ev->kind == HEAP_EV_FREE) {
		const struct heap_model_block *b = heap_model_find(a->m, ev->addr);
		if (b) {
			freed = *b;
			free_known = true;
		}
	}
	a->line = line;
	uint64_t tolerated = trace_validator_tolerated(a->v);
	if (!trace_validator_add(a->v, ev, line, err, errlen))
		return false;
	if (trace_validator_tolerated(a->v) != tolerated && tolerated == 0) {
		s->first_impossible_seq = ev->seq;
		snprintf(s->first_impossible, sizeof s->first_impossible, "%s",
		         trace_validator_first_tolerated(a->v));
	}
	s->impossible = trace_validator_tolerated(a->v);
	if (!a->any) {
		a->any = true;
		s->first_seq = ev->seq;
		s->first_time = ev->time;
		s->first_instret = ev->instret;
	}
	s->events++;
	if (ev->kind < HEAP_EV_COUNT)
		s->by_kind[ev->kind]++;
	s->last_seq = ev->seq;
	s->last_time = ev->time;
	s->last_instret = ev->instret;

	bool applied = trace_validator_applied(a->v);
	switch (ev->kind) {
	case HEAP_EV_INIT:
		a->lf_started = true;
		s->largest_free_min = UINT64_MAX;
		break;
	case HEAP_EV_ALLOC:
		s->allocs++;
		if (!add_total(a, &s->requested_total, ev->size, "requested bytes", ev, err,
		               errlen) ||
		    !note_examined(a, ev, err, errlen))
			return false;
		if (!callstacks_alloc(a->stacks, ev, applied))
			return oom(err, errlen);
		break;
	case HEAP_EV_FREE:
		s->frees++;
		if (free_known && applied && !callstacks_free(a->stacks, &freed))
			return oom(err, errlen);
		break;
	case HEAP_EV_ALLOC_FAIL:
		if (s->alloc_failures++ == 0)
			s->first_failure_seq = ev->seq;
		if (!note_examined(a, ev, err, errlen))
			return false;
		if (!callstacks_fail(a->stacks, ev))
			return oom(err, errlen);
		break;
	case HEAP_EV_REALLOC:
		s->reallocs++;
		break;
	case HEAP_EV_MARKER:
		s->markers++;
		break;
	case HEAP_EV_DROP:
		if (!add_total(a, &s->dropped, ev->size, "dropped events", ev, err, errlen))
			return false;
		break;
	case HEAP_EV_MISUSE:
		if (!s->misused) {
			s->misused = true;
			s->misuse = *ev;
		}
		break;
	case HEAP_EV_END:
		s->complete = true;
		s->panic = ev->flags & HEAP_END_PANIC;
		s->end_events = ev->size;
		s->end_used = ev->block;
		if (ev->size2 > s->dropped)
			s->dropped = ev->size2;
		break;
	}

	const struct heap_model_stats *st = heap_model_peek(a->m);
	if (st->used_bytes > s->peak_used) {
		s->peak_used = st->used_bytes;
		s->peak_used_seq = ev->seq;
		s->peak_used_time = ev->time;
		callstacks_peak(a->stacks);
		s->frag_at_peak = st->frag;
		memcpy(s->free_hist_peak, st->hist, sizeof s->free_hist_peak);
	}
	if (st->live_blocks > s->peak_live_blocks) {
		s->peak_live_blocks = st->live_blocks;
		s->peak_live_seq = ev->seq;
	}
	if (st->frag > s->frag_max) {
		s->frag_max = st->frag;
		s->frag_max_seq = ev->seq;
	}
	if (st->frag_sq > s->frag_sq_max)
		s->frag_sq_max = st->frag_sq;
	if (a->lf_started && st->largest_free < s->largest_free_min) {
		s->largest_free_min = st->largest_free;
		s->largest_free_min_seq = ev->seq;
	}
	return true;
}

/* The caller's function and source from the sym records, "" if none (clean UTF-8). */
static void name_caller(const summary_acc *a, uint64_t caller, char *fn, size_t fnlen, char *src,
                        size_t srclen)
{
	const struct trace_symbol *sym = a->syms ? trace_reader_symbol(a->syms, caller) : NULL;
	snprintf(fn, fnlen, "%s", sym ? sym->fn : "");
	snprintf(src, srclen, "%s", sym ? sym->src : "");
	utf8_sanitize(fn); /* also a sequence the copy cut short */
	utf8_sanitize(src);
}

bool summary_acc_finish(summary_acc *a, uint64_t line, struct trace_summary *out, char *err,
                        size_t errlen)
{
	struct trace_summary *s = &a->s;
	if (!trace_validator_finish(a->v, line, err, errlen))
		return false;
	if (s->misused)
		name_caller(a, s->misuse.caller, s->misuse_fn, sizeof s->misuse_fn, s->misuse_src,
		            sizeof s->misuse_src);
	if (!callstacks_finish(a->stacks, a->m, a->syms))
		return oom(err, errlen);
	const uint64_t *total = callstacks_total(a->stacks);
	s->leaked_blocks = total[CS_LEAKED_BLOCKS];
	s->leaked_bytes = total[CS_LEAKED];
	if (s->leaked_blocks != heap_model_peek(a->m)->live_blocks)
		return oom(err, errlen);
	s->sites = callstacks_count(a->stacks);
	s->leak_sites = callstacks_nonzero(a->stacks, CS_LEAKED_BLOCKS);

	const struct heap_model_stats *st = heap_model_peek(a->m);
	s->frag_end = st->frag;
	s->frag_sq_end = st->frag_sq;
	s->used_end = st->used_bytes;
	s->free_end = st->free_bytes;
	s->live_blocks_end = st->live_blocks;
	s->free_blocks_end = st->free_blocks;
	s->largest_free_end = st->largest_free;
	memcpy(s->free_hist_end, st->hist, sizeof s->free_hist_end);
	if (!a->lf_started)
		s->largest_free_min = 0;
	uint64_t attempts = s->allocs + s->alloc_failures;
	s->examined_avg = attempts ? (double)s->examined_total / (double)attempts : 0.0;

	s->stacks = a->stacks; /* moves to *out */
	a->stacks = NULL;
	*out = *s;
	return true;
}

void trace_summary_release(struct trace_summary *s)
{
	callstacks_destroy(s->stacks);
	s->stacks = NULL;
}

int trace_summary_compute(const char *path, struct trace_summary *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	trace_reader *r = trace_reader_open(path, err, errlen);
	if (!r)
		return HT_EXIT_BAD_INPUT;
	int rc = HT_EXIT_BAD_INPUT;
	event_pipe *pipe = NULL;
	summary_acc *a = summary_acc_create(path, trace_reader_header(r));
	if (!a) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	summary_acc_set_symbols(a, r);
	/* Parse on a second thread while this one runs the heap model (falls back
	 * to reading here if no thread can be had). Symbols are looked up only in
	 * summary_acc_finish, after the pipe has ended. */
	pipe = event_pipe_start(r);
	struct heap_event ev;
	enum trace_read_status st;
	while ((st = pipe ? event_pipe_next(pipe, &ev) : trace_reader_next(r, &ev)) ==
	       TRACE_READ_EVENT)
		if (!summary_add_event(a, &ev, pipe ? event_pipe_line(pipe) : trace_reader_line(r),
		                       err, errlen))
			goto out;
	event_pipe_stop(pipe);
	pipe = NULL;
	if (st == TRACE_READ_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(r));
		goto out;
	}
	if (!summary_acc_finish(a, trace_reader_line(r), out, err, errlen))
		goto out;
	out->truncated = trace_reader_truncated(r);
	rc = HT_EXIT_OK;
out:
	event_pipe_stop(pipe); /* before the reader goes: the thread may still use it */
	summary_acc_destroy(a);
	trace_reader_close(r);
	return rc;
}
