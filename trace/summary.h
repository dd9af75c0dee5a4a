/* summary.h - one pass over a trace: everything `heaptrace stats` prints and
 * `heaptrace diff` compares.
 *
 * Either all at once (trace_summary_compute on a path) or event by event
 * (summary_acc_create / summary_add_event / summary_acc_finish) when the
 * caller is streaming the trace itself, as diff does.
 *
 * struct trace_summary is plain data but for its call stacks (trace/callstack.h),
 * which it owns: trace_summary_release frees them (a copy shares them).
 */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callstack.h"
#include "heap_event.h"
#include "trace_reader.h"
#include "validate.h"

#define SUMMARY_HIST_BUCKETS                                                                       \
	64 /* free-block histogram: bucket b counts sizes in [2^b, 2^(b+1))                        \
	    */

struct trace_summary {
	struct trace_header header;      /* the trace's header */
	uint64_t events;                 /* events read */
	uint64_t by_kind[HEAP_EV_COUNT]; /* events per kind (enum heap_event_kind) */
	uint64_t first_seq, last_seq;    /* sequence numbers of the first and last events */
	uint64_t first_time, last_time;  /* their timestamps (ticks of header.time_hz) */
	uint64_t first_instret,
	    last_instret; /* their retired-instruction counts (header.has_instret) */

	/* completeness */
	bool complete;       /* the last event is END */
	bool panic;          /* END says the run ended in a panic */
	bool truncated;      /* an incomplete last line was ignored */
	uint64_t dropped;    /* events lost: the sum of DROP counts (or END's, if larger) */
	uint64_t end_events; /* END: events the kernel emitted */
	uint64_t end_used;   /* END: bytes in use at the end, by the kernel's count */
	uint64_t impossible; /* events that contradicted the heap model after drops (skipped) */
	uint64_t first_impossible_seq;
	char first_impossible[160]; /* the first such problem, "" if none */

	/* the misuse the run panicked on: its first MISUSE event, if any */
	bool misused;
	struct heap_event misuse;
	char misuse_fn[64];  /* its caller's function from the sym records, "" if none */
	char misuse_src[96]; /* and "file:line", "" if none */

	/* memory over time */
	uint64_t allocs, frees, reallocs, markers;
	uint64_t alloc_failures;
	uint64_t first_failure_seq; /* event number of the first ALLOC_FAIL */
	uint64_t requested_total;   /* bytes requested by successful allocations */
	uint64_t peak_used;         /* largest bytes in use */
	uint64_t peak_used_seq;     /* first event at which it was reached */
	uint64_t peak_used_time;
	uint64_t peak_live_blocks; /* most live blocks at once */
	uint64_t peak_live_seq;
	double frag_at_peak; /* fragmentation when peak_used was reached */
	double frag_end;     /* at the last event */
	double frag_max;     /* highest over the run */
	uint64_t frag_max_seq;
	double frag_sq_end;          /* the sum-of-squares figure at the end */
	double frag_sq_max;          /* and its highest */
	uint64_t used_end, free_end; /* bytes at the end */
	uint64_t live_blocks_end, free_blocks_end;
	uint64_t largest_free_end; /* largest free block at the end */
	uint64_t largest_free_min; /* its smallest value after INIT */
	uint64_t largest_free_min_seq;
	uint64_t free_hist_peak[SUMMARY_HIST_BUCKETS]; /* free blocks by log2 size when peak_used
	                                                  was reached */
	uint64_t free_hist_end[SUMMARY_HIST_BUCKETS];  /* and after the last event */

	/* search cost: free blocks examined per allocation attempt (alloc + alloc_fail) */
	uint64_t examined_total;
	uint64_t examined_worst;
	uint64_t examined_worst_seq;
	double examined_avg; /* examined_total / attempts, 0 if none */

	/* leaks: blocks still live at the end (a trace cut short counts what is live) */
	uint64_t leaked_blocks;
	uint64_t leaked_bytes; /* requested bytes */
	uint64_t sites;        /* distinct call stacks seen (a caller alone in a depth-0 trace) */
	uint64_t leak_sites;   /* of those, stacks with leaks */
	callstacks *stacks;    /* every allocation by call stack, named: owned, NULL if none */
};

typedef struct summary_acc summary_acc;

/* Starts a summary of the trace at path (named in messages) with header h
 * (copied). NULL when out of memory. */
summary_acc *summary_acc_create(const char *path, const struct trace_header *h);

/* Optional: name call sites from r's sym records at finish (r must outlive
 * summary_acc_finish). */
void summary_acc_set_symbols(summary_acc *a, const trace_reader *r);

/* Feeds the next event of the trace, read from line. Every event goes through
 * the shared validator (trace/validate.h): returns false, with
 * "FILE:LINE: event N: what" in err, for an event that makes the trace
 * contradict itself (bad input), and also when out of memory or when a total
 * (requested bytes, dropped events, blocks examined) would pass 2^64-1:
 * totals never wrap. Contradictions after dropped events are expected, and
 * only counted (impossible, first_impossible). */
bool summary_add_event(summary_acc *a, const struct heap_event *ev, uint64_t line, char *err,
                       size_t errlen);

/* Completes *out from what was fed (its stacks move to *out: release it with
 * trace_summary_release) (reader flags like truncation are set by
 * the caller or by trace_summary_compute); line is the last line read.
 * Returns false when the trace as a whole is bad input (no event, no init:
 * trace_validator_finish) or when out of memory, with the reason in err. */
bool summary_acc_finish(summary_acc *a, uint64_t line, struct trace_summary *out, char *err,
                        size_t errlen);

void summary_acc_destroy(summary_acc *a);

/* The validator every event fed goes through: its verdicts so far (trace_validator_tolerated)
 * and its heap model (trace_validator_model), for callers that follow the heap themselves. */
const trace_validator *summary_acc_validator(const summary_acc *a);

/* Reads the trace at path ("-" = stdin) and summarises it. Returns 0, or
 * HT_EXIT_BAD_INPUT (2) with "file:line: what" in err. Release *out after. */
int trace_summary_compute(const char *path, struct trace_summary *out, char *err, size_t errlen);

/* Frees what *s owns (its call stacks); s->stacks is NULL after. */
void trace_summary_release(struct trace_summary *s);

/* The fragmentation figure used throughout: 1 - largest / free (0 if free is 0). */
double summary_frag(uint64_t largest, uint64_t free_bytes);

#endif /* SUMMARY_H */
