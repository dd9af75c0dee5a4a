/* cmd_check.c - `heaptrace check`: replays a trace through the host build of the real allocator
 * core.
 *
 * The shadow heap is a host buffer of heap_size bytes (plus the front state
 * of INIT's allocator policy) placed at the same offset from a 4096-byte
 * boundary as the kernel's heap base, so every alignment decision of
 * kernel/heap.c comes out the same; it runs the trace's policy. Each alloc, free
 * and marker of the trace is performed on the shadow heap; the events the
 * shadow emits (split, alloc, free, coalesce, alloc_fail, marker) must equal
 * the trace's, field by field (addresses compared as offsets from the base).
 * The first difference is reported with its event number and both values.
 * A MISUSE event (the call the kernel panicked on) is replayed too: the
 * allocator core must refuse the same call with the same heap_error.
 *
 * Before its replay every event goes through the shared validator
 * (trace/validate.h): a trace that contradicts itself (a double free, an
 * alloc over live memory, a missing sequence number...) is bad input, exit 2,
 * with the message every other command gives; exit 1 is kept for a trace
 * that is consistent but that the allocator core does not reproduce.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "heap.h"
#include "heap_malloc.h"
#include "host_heap.h"
#include "trace_reader.h"
#include "trace_schema.h"
#include "validate.h"

#define QUEUE_MAX   8 /* events one allocator call can emit (split + alloc, free + coalesce) */
#define PENDING_MAX 4 /* trace events that may precede their driving event (a split) */

struct shadow {
	struct host_heap hh;            /* the real allocator core, laid out like the traced heap */
	bool started;                   /* INIT replayed */
	struct heap_event q[QUEUE_MAX]; /* events emitted by the shadow, not yet matched */
	unsigned qh, qn;                /* queue head and length */
	bool overflow;                  /* the shadow emitted more than QUEUE_MAX at once */
};

static void shadow_sink(void *ctx, struct heap_event *ev)
{
	struct shadow *s = ctx;
	if (s->qn == QUEUE_MAX) {
		s->overflow = true;
		return;
	}
	s->q[(s->qh + s->qn++) % QUEUE_MAX] = *ev;
}


/* Describes the first field (in the schema's order) in which the trace's
 * event t and the shadow's s differ into what; returns false if they are the
 * same. */
static bool event_differs(const struct heap_event *t, const struct heap_event *s, char *what,
                          size_t n)
{
	if (t->kind != s->kind) {
		snprintf(what, n, "the trace has %s where the allocator core emits %s",
		         heap_event_kind_name(t->kind), heap_event_kind_name(s->kind));
		return true;
	}
	for (const struct heap_field *f = heap_event_fields(t->kind); f->name; f++) {
		if (f->type == HEAP_FT_STACK)
			continue; /* the core knows no stacks; the reader held the stack to the caller */
		bool same = f->type == HEAP_FT_NAME ? !strncmp(t->name, s->name, sizeof t->name)
		                                    : heap_field_get(t, f) == heap_field_get(s, f);
		if (same)
			continue;
		char label[64], tv[TRACE_EVENT_LINE_MAX], sv[TRACE_EVENT_LINE_MAX];
		snprintf(what, n, "%s %s: trace %s, allocator core %s", heap_event_kind_name(t->kind),
		         trace_schema_field_label(f, label, sizeof label),
		         trace_schema_value_text(t, f, tv, sizeof tv),
		         trace_schema_value_text(s, f, sv, sizeof sv));
		return true;
	}
	return false;
}

struct checker {
	const char *path;
	trace_reader *r;
	struct shadow sh;
	struct heap_event pending[PENDING_MAX]; /* trace events waiting for their driver */
	unsigned npending;
	uint64_t replayed; /* allocator calls replayed */
	uint64_t matched;  /* trace events matched */
	const struct heap_event *misuse; /* a MISUSE the core refused alike, NULL if none */
	struct heap_event misuse_ev;     /* its storage */
	bool quiet;
};

/* Prints the verdict for a mismatch at trace event t (shadow's s, if any). */
static int mismatch(struct checker *c, const struct heap_event *t, const struct heap_event *s,
                    const char *what)
{
	if (t)
		printf("%s: MISMATCH at event %" PRIu64 ": %s\n", c->path, t->seq, what);
	else
		printf("%s: MISMATCH: %s\n", c->path, what);
	if (t) {
		printf("  trace:          ");
		trace_write_event(stdout, t, false);
	}
	if (s) {
		struct heap_event e = *s;
		e.seq = t ? t->seq : 0;
		e.time = t ? t->time : 0;
		printf("  allocator core: ");
		trace_write_event(stdout, &e, false);
	}
	printf("%s: not a faithful record (%" PRIu64 " events matched before it)\n", c->path,
	       c->matched);
	return HT_EXIT_VERDICT;
}

/* Matches trace event t against the head of the shadow's queue. */
static int match_one(struct checker *c, const struct heap_event *t)
{
	if (c->sh.qn == 0) {
		char what[160];
		snprintf(what, sizeof what,
		         "the trace has %s but the allocator core emitted nothing more",
		         heap_event_kind_name(t->kind));
		return mismatch(c, t, NULL, what);
	}
	struct heap_event s = c->sh.q[c->sh.qh];
	c->sh.qh = (c->sh.qh + 1) % QUEUE_MAX;
	c->sh.qn--;
	host_heap_translate(&c->sh.hh, &s);
	char what[200];
	if (event_differs(t, &s, what, sizeof what))
		return mismatch(c, t, &s, what);
	c->matched++;
	return HT_EXIT_OK;
}

/* After an allocator call: the pending events, then t, against the queue. */
static int match_call(struct checker *c, const struct heap_event *t)
{
	if (c->sh.overflow)
		return mismatch(c, t, NULL,
		                "the allocator core emitted too many events for one call");
	for (unsigned i = 0; i < c->npending; i++) {
		int rc = match_one(c, &c->pending[i]);
		if (rc)
			return rc;
	}
	c->npending = 0;
	return match_one(c, t);
}

static int replay_init(struct checker *c, const struct heap_event *t)
{
	struct shadow *sh = &c->sh;
	if (sh->started) {
		host_heap_close(&sh->hh);
		sh->started = false;
	}
	if (t->flags >= HEAP_POLICY_COUNT)
		return mismatch(c, t, NULL, "init names an allocator policy the core does not have");
	switch (host_heap_open(&sh->hh, t->addr, t->size, (enum heap_policy)t->flags, shadow_sink,
	                       sh)) {
	case HOST_HEAP_OK:
		break;
	case HOST_HEAP_TOO_LARGE:
		fprintf(stderr,
		        "heaptrace check: %s: event %" PRIu64 ": heap of %" PRIu64
		        " bytes is too large to shadow\n",
		        c->path, t->seq, t->size);
		return HT_EXIT_BAD_INPUT;
	case HOST_HEAP_NO_LAYOUT:
		return mismatch(c, t, NULL, "the allocator core cannot lay out a heap of this size");
	case HOST_HEAP_NO_MEMORY:
		fprintf(stderr,
		        "heaptrace check: %s: no memory for a shadow heap of %" PRIu64 " bytes\n",
		        c->path, t->size);
		return HT_EXIT_IO;
	case HOST_HEAP_REFUSED:
		return mismatch(c, t, NULL, "the allocator core refuses a heap of this size");
	case HOST_HEAP_OTHER_SIZE:
		sh->started = true;
		return mismatch(c, t, NULL, "the allocator core lays out a heap of another size");
	}
	sh->started = true;
	return match_call(c, t);
}

/* Replays the call a MISUSE event reports: the allocator core must refuse it
 * with the same error (and so leave the shadow unchanged). dealloc replays
 * heap_free; free and realloc replay heap_mvalidate, whose verdict on the
 * shadow comes from the block structure alone (the shadow holds no kmalloc
 * headers: a live block always looks headerless, "bad layout"); vec_index is
 * no allocator call and has nothing to replay. */
static int replay_misuse(struct checker *c, const struct heap_event *t)
{
	struct shadow *sh = &c->sh;
	if (c->npending)
		return mismatch(c, &c->pending[0], NULL, "split without the alloc that causes it");
	unsigned op = HEAP_MISUSE_OP(t->flags), want = HEAP_MISUSE_ERROR(t->flags);
	if (op == HEAP_OP_VEC_INDEX) {
		c->matched++;
		return HT_EXIT_OK;
	}
	void *p = (void *)(uintptr_t)host_heap_to_host(&sh->hh, t->addr);
	enum heap_error got;
	c->replayed++;
	if (op == HEAP_OP_DEALLOC) {
		size_t align = t->align_log2 < 64 ? (size_t)1 << t->align_log2 : 3; /* 3: no power of two */
		got = heap_free(&sh->hh.heap, p, (size_t)t->size, align, (uintptr_t)t->caller);
	} else {
		got = heap_mvalidate(&sh->hh.heap, p);
	}
	if (got == want && want != HEAP_OK) {
		c->misuse_ev = *t;
		c->misuse = &c->misuse_ev;
		c->matched++;
		return HT_EXIT_OK;
	}
	char what[400], desc[160];
	trace_misuse_describe(t, desc, sizeof desc);
	if (got == HEAP_OK)
		snprintf(what, sizeof what, "the trace has a refused call (%s) that the allocator core accepts",
		         desc);
	else
		snprintf(what, sizeof what, "misuse error: trace \"%s\", allocator core \"%s\" (%s)",
		         heap_misuse_error_name(want) ? heap_misuse_error_name(want) : "?",
		         heap_error_name(got), desc);
	return mismatch(c, t, NULL, what);
}

static int check_event(struct checker *c, const struct heap_event *t)
{
	struct shadow *sh = &c->sh;
	if (sh->qn > 0) /* the shadow already emitted it: a coalesce after a free */
		return match_one(c, t);
	if (!sh->started && t->kind != HEAP_EV_INIT && t->kind != HEAP_EV_MARKER &&
	    t->kind != HEAP_EV_END && t->kind != HEAP_EV_DROP)
		return mismatch(c, t, NULL, "event before the heap's init");
	size_t align = (size_t)1 << (t->align_log2 & 63);
	switch (t->kind) {
	case HEAP_EV_INIT:
		return replay_init(c, t);
	case HEAP_EV_SPLIT:
	case HEAP_EV_COALESCE:
		if (c->npending == PENDING_MAX) {
			char what[120];
			snprintf(what, sizeof what, "%s without the alloc or free that causes it",
			         heap_event_kind_name(t->kind));
			return mismatch(c, t, NULL, what);
		}
		c->pending[c->npending++] = *t;
		return HT_EXIT_OK;
	case HEAP_EV_ALLOC:
	case HEAP_EV_ALLOC_FAIL: {
		c->replayed++;
		void *p = heap_alloc(&sh->hh.heap, (size_t)t->size, align, (uintptr_t)t->caller);
		(void)p;
		return match_call(c, t);
	}
	case HEAP_EV_FREE: {
		c->replayed++;
		if (t->addr < sh->hh.trace_base || t->addr - sh->hh.trace_base >= sh->hh.heap.len)
			return mismatch(c, t, NULL, "free of an address outside the heap");
		enum heap_error e = heap_free(&sh->hh.heap, (void *)(uintptr_t)host_heap_to_host(&sh->hh, t->addr),
		                              (size_t)t->size, align, (uintptr_t)t->caller);
		if (e != HEAP_OK) {
			char what[120];
			snprintf(what, sizeof what, "the allocator core rejects this free: %s",
			         heap_error_name(e));
			return mismatch(c, t, NULL, what);
		}
		return match_call(c, t);
	}
	case HEAP_EV_MISUSE:
		return replay_misuse(c, t);
	case HEAP_EV_MARKER:
		if (!sh->started)
			return HT_EXIT_OK;
		heap_mark(&sh->hh.heap, t->name);
		return match_call(c, t);
	case HEAP_EV_DROP: {
		char what[160];
		snprintf(what, sizeof what,
		         "%" PRIu64 " events were dropped here: the trace cannot be "
		         "verified past this point",
		         t->size);
		return mismatch(c, t, NULL, what);
	}
	case HEAP_EV_END:
		if (c->npending)
			return mismatch(c, &c->pending[0], NULL,
			                "split without the alloc that causes it");
		if (sh->started && t->block != sh->hh.heap.used && (t->flags & HEAP_END_PANIC)) {
			/* the panic stopped an allocator call between its bookkeeping and
			 * its event (a stack overflow in the sink): nothing to replay */
			printf("%s: note: the end reports %" PRIu64 " bytes in use, the replay %zu: the "
			       "panic cut an allocator call short\n",
			       c->path, t->block, sh->hh.heap.used);
		} else if (sh->started && t->block != sh->hh.heap.used) {
			char what[160];
			snprintf(what, sizeof what,
			         "end used: trace %" PRIu64 ", allocator core %zu", t->block,
			         sh->hh.heap.used);
			return mismatch(c, t, NULL, what);
		}
		c->matched++;
		return HT_EXIT_OK;
	default: /* realloc: a summary of its own alloc and free, which were checked */
		if (c->npending)
			return mismatch(c, &c->pending[0], NULL,
			                "split without the alloc that causes it");
		c->matched++;
		return HT_EXIT_OK;
	}
}

static void check_usage(FILE *out)
{
	fprintf(out,
	        "usage: heaptrace check [--quiet] TRACE\n\n"
	        "Replays TRACE (\"-\" reads stdin) through the host build of the allocator core\n"
	        "(kernel/heap.c) on a shadow heap with the traced heap's size and alignment, and\n"
	        "verifies that every address, split, coalesce, failure and search count matches.\n"
	        "The first mismatch is reported by event number with both values.\n\n"
	        "  --quiet   print nothing when the trace is faithful\n\n"
	        "Exit status: 0 faithful (a trace cut short is checked as far as it goes, and\n"
	        "said so), 1 mismatch: the trace is consistent but the allocator core does\n"
	        "not reproduce it (or dropped events make it unverifiable), 2 bad usage or an\n"
	        "unreadable, malformed or self-contradicting trace (a double free, an alloc\n"
	        "over live memory, a missing event...), 3 no memory for the shadow heap.\n");
}

static int run_check(int argc, char **argv)
{
	struct checker c;
	memset(&c, 0, sizeof c);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			check_usage(stdout);
			return HT_EXIT_OK;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			c.quiet = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "heaptrace check: unknown option '%s'\n", argv[i]);
			check_usage(stderr);
			return HT_EXIT_BAD_INPUT;
		} else if (!c.path) {
			c.path = argv[i];
		} else {
			fprintf(stderr, "heaptrace check: one trace only ('%s')\n", argv[i]);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (!c.path) {
		check_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	char err[512];
	c.r = trace_reader_open(c.path, err, sizeof err);
	if (!c.r) {
		fprintf(stderr, "heaptrace check: %s\n", err);
		return HT_EXIT_BAD_INPUT;
	}
	trace_validator *v = trace_validator_create(c.path, trace_reader_header(c.r));
	if (!v) {
		fprintf(stderr, "heaptrace check: out of memory\n");
		trace_reader_close(c.r);
		return HT_EXIT_IO;
	}
	struct heap_event ev;
	enum trace_read_status st;
	int rc = HT_EXIT_OK;
	uint64_t events = 0, last_seq = 0;
	while (rc == HT_EXIT_OK && (st = trace_reader_next(c.r, &ev)) == TRACE_READ_EVENT) {
		events++;
		last_seq = ev.seq;
		if (!trace_validator_add(v, &ev, trace_reader_line(c.r), err, sizeof err)) {
			fprintf(stderr, "heaptrace check: %s\n", err);
			rc = HT_EXIT_BAD_INPUT;
			break;
		}
		rc = check_event(&c, &ev);
	}
	if (rc == HT_EXIT_OK && st == TRACE_READ_ERROR) {
		fprintf(stderr, "heaptrace check: %s\n", trace_reader_error(c.r));
		rc = HT_EXIT_BAD_INPUT;
	}
	if (rc == HT_EXIT_OK && !trace_validator_finish(v, trace_reader_line(c.r), err, sizeof err)) {
		fprintf(stderr, "heaptrace check: %s\n", err);
		rc = HT_EXIT_BAD_INPUT;
	}
	if (rc == HT_EXIT_OK && c.npending) {
		rc = mismatch(&c, &c.pending[0], NULL,
		              "the trace ends before the alloc this split belongs to");
	} else if (rc == HT_EXIT_OK && c.sh.qn) {
		struct heap_event s = c.sh.q[c.sh.qh];
		host_heap_translate(&c.sh.hh, &s);
		char what[160];
		snprintf(what, sizeof what,
		         "the trace ends after event %" PRIu64
		         " but the allocator core also emits %s",
		         last_seq, heap_event_kind_name(s.kind));
		ev.seq = last_seq;
		rc = mismatch(&c, NULL, &s, what);
	}
	if (rc == HT_EXIT_OK && c.sh.started) {
		uintptr_t bad = 0;
		enum heap_error e = heap_check(&c.sh.hh.heap, &bad);
		if (e != HEAP_OK) {
			printf(
			    "%s: the shadow heap fails its own check at the end: %s at 0x%" PRIx64
			    "\n",
			    c.path, heap_error_name(e), host_heap_to_trace(&c.sh.hh, (uint64_t)bad));
			rc = HT_EXIT_VERDICT;
		}
	}
	if (rc == HT_EXIT_OK && !c.quiet && c.misuse) {
		char desc[160];
		printf("%s: the call the run panicked on (event %" PRIu64 ", %s) is refused by the "
		       "allocator core alike\n",
		       c.path, c.misuse->seq, trace_misuse_describe(c.misuse, desc, sizeof desc));
	}
	if (rc == HT_EXIT_OK && !c.quiet) {
		bool complete = trace_reader_complete(c.r);
		printf("%s: faithful: %" PRIu64 " events, %" PRIu64
		       " allocator calls replayed through the "
		       "allocator core; every address, split and coalesce matches%s\n",
		       c.path, events, c.replayed,
		       complete ? ""
		                : " (but the trace has no end event: it was cut short, checked as "
		                  "far as it goes)");
	}
	host_heap_close(&c.sh.hh);
	trace_validator_destroy(v);
	trace_reader_close(c.r);
	return rc;
}

HEAPTRACE_COMMAND(check, "[--quiet] TRACE",
                  "replay through the allocator core; report the first mismatch", run_check);
