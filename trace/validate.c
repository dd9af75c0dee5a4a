/* validate.c - one self-consistency verdict for every tool: sequence numbers,
 * init, alignment and end counts here, the heap's own state in heap_model.c.
 */
#include "validate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h" /* HEAP_MAX_ALIGN */

struct trace_validator {
	heap_model *m;         /* the heap, event by event (no heap until INIT) */
	struct trace_header h; /* the trace's header */
	char *path;            /* for messages */
	uint64_t events;       /* events accepted */
	uint64_t next_seq;     /* the sequence number the next event should have */
	uint64_t dropped;      /* the sum of the drop counts so far */
	bool init_seen;        /* an INIT event was accepted */
	bool applied;          /* the last event accepted changed the model */
	uint64_t tolerated;    /* model contradictions after drops, skipped */
	char first_tolerated[160];
};

trace_validator *trace_validator_create(const char *path, const struct trace_header *h)
{
	trace_validator *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->m = heap_model_create(NULL); /* the INIT event sets the heap up */
	v->path = strdup(path ? path : "-");
	if (!v->m || !v->path) {
		trace_validator_destroy(v);
		return NULL;
	}
	if (h)
		v->h = *h;
	return v;
}

void trace_validator_destroy(trace_validator *v)
{
	if (!v)
		return;
	heap_model_destroy(v->m);
	free(v->path);
	free(v);
}

const heap_model *trace_validator_model(const trace_validator *v)
{
	return v->m;
}
uint64_t trace_validator_tolerated(const trace_validator *v)
{
	return v->tolerated;
}
const char *trace_validator_first_tolerated(const trace_validator *v)
{
	return v->first_tolerated;
}
bool trace_validator_applied(const trace_validator *v)
{
	return v->applied;
}

/* "FILE:LINE: event N: what" into err; returns false. */
__attribute__((format(printf, 6, 7))) static bool bad(const trace_validator *v, uint64_t line,
                                                      const struct heap_event *ev, char *err,
                                                      size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return false;
	int n = ev ? snprintf(err, errlen, "%s:%" PRIu64 ": event %" PRIu64 ": ", v->path, line,
	                      ev->seq)
	           : snprintf(err, errlen, "%s:%" PRIu64 ": ", v->path, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* The checks the heap model does not make; false with err set. */
static bool check_event(trace_validator *v, const struct heap_event *ev, uint64_t line, char *err,
                        size_t errlen)
{
	uint64_t want = v->next_seq;
	if (ev->kind == HEAP_EV_DROP && __builtin_add_overflow(want, ev->size, &want))
		return bad(v, line, ev, err, errlen, "drop of %" PRIu64 " events passes 2^64",
		           ev->size);
	if (ev->seq != want) {
		if (ev->kind == HEAP_EV_DROP)
			return bad(v, line, ev, err, errlen,
			           "a drop of %" PRIu64 " events after event %" PRIu64
			           " must have sequence number %" PRIu64,
			           ev->size, v->next_seq - 1, want);
		return bad(v, line, ev, err, errlen,
		           "sequence number %" PRIu64 " where %" PRIu64 " was expected: %" PRIu64
		           " missing with no drop event to account for them",
		           ev->seq, want, ev->seq - want);
	}
	if (ev->kind == HEAP_EV_DROP && __builtin_add_overflow(v->dropped, ev->size, &v->dropped))
		return bad(v, line, ev, err, errlen, "dropped events add up to more than 2^64-1");
	uint64_t align = ev->align_log2 < 64 ? (uint64_t)1 << ev->align_log2 : 0;
	switch (ev->kind) {
	case HEAP_EV_INIT:
		if (ev->addr + ev->size < ev->addr)
			return bad(v, line, ev, err, errlen,
			           "init of a heap at 0x%" PRIx64 " of %" PRIu64
			           " bytes runs past the end of memory",
			           ev->addr, ev->size);
		if (v->h.heap_size && (ev->addr != v->h.heap_base || ev->size != v->h.heap_size))
			return bad(v, line, ev, err, errlen,
			           "init of heap 0x%" PRIx64 "+%" PRIu64
			           " but the header says 0x%" PRIx64 "+%" PRIu64,
			           ev->addr, ev->size, v->h.heap_base, v->h.heap_size);
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
	case HEAP_EV_ALLOC_FAIL:
		if (align > HEAP_MAX_ALIGN)
			return bad(v, line, ev, err, errlen,
			           "%s with alignment %" PRIu64
			           ", above the allocator's maximum %d",
			           heap_event_kind_name(ev->kind), align, HEAP_MAX_ALIGN);
		if (ev->kind != HEAP_EV_ALLOC_FAIL && align && ev->addr % align)
			return bad(v, line, ev, err, errlen,
			           "%s of 0x%" PRIx64 " with alignment %" PRIu64
			           ": the address is not aligned",
			           heap_event_kind_name(ev->kind), ev->addr, align);
		break;
	case HEAP_EV_END:
		if (ev->size != ev->seq + 1)
			return bad(v, line, ev, err, errlen,
			           "end says %" PRIu64 " events were emitted; its sequence number "
			           "makes %" PRIu64,
			           ev->size, ev->seq + 1);
		if (ev->size2 != v->dropped)
			return bad(v, line, ev, err, errlen,
			           "end says %" PRIu64
			           " events were dropped; the drop events count %" PRIu64,
			           ev->size2, v->dropped);
		break;
	default:
		break;
	}
	return true;
}

bool trace_validator_add(trace_validator *v, const struct heap_event *ev, uint64_t line, char *err,
                         size_t errlen)
{
	v->applied = false;
	if (!check_event(v, ev, line, err, errlen))
		return false;
	v->next_seq = ev->seq + 1;
	char why[sizeof v->first_tolerated];
	if (!heap_model_apply(v->m, ev, why, sizeof why)) {
		if (!heap_model_lossy(v->m)) {
			/* why is "event N: what" */
			const char *what = strchr(why, ':');
			return bad(v, line, ev, err, errlen, "%s", what ? what + 2 : why);
		}
		if (v->tolerated++ == 0)
			memcpy(v->first_tolerated, why, sizeof why);
	} else {
		v->applied = true;
	}
	v->events++;
	if (ev->kind == HEAP_EV_INIT)
		v->init_seen = true;
	return true;
}

bool trace_validator_finish(trace_validator *v, uint64_t line, char *err, size_t errlen)
{
	if (!v->events)
		return bad(v, line, NULL, err, errlen, "the trace has no events (only its header)");
	if (!v->init_seen)
		return bad(v, line, NULL, err, errlen, "the trace has no init event");
	return true;
}
