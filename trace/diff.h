/* diff.h - comparison of two heap traces (BASE and NEW): the events in
 * lockstep, a table of metrics with deltas, and regression thresholds.
 *
 * Workloads are deterministic, so the traces are aligned by event index: the
 * n-th event of BASE is compared with the n-th event of NEW, every field but
 * the timestamps (t, n). Both traces are streamed side by side, one event of
 * each in memory at a time, so memory does not grow with trace length. Used by
 * `heaptrace diff` (trace/cmd_diff.c) and reusable by the viewer's --compare.
 *
 * Ownership: diff_run fills a caller-owned struct diff_result; nothing in it
 * needs freeing. cJSON objects returned here belong to the caller.
 */
#ifndef DIFF_H
#define DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "heap_event.h"
#include "summary.h"
#include "trace_reader.h"

/* Fields of struct heap_event that can differ (a bit mask). */
enum diff_field {
	DIFF_F_KIND = 1u << 0,     /* k */
	DIFF_F_SEQ = 1u << 1,      /* i (differs after a drop) */
	DIFF_F_ADDR = 1u << 2,     /* addr */
	DIFF_F_SIZE = 1u << 3,     /* size (and its per-kind aliases) */
	DIFF_F_BLOCK = 1u << 4,    /* block, min_block, free, used */
	DIFF_F_ALIGN = 1u << 5,    /* align, min_align */
	DIFF_F_EXAMINED = 1u << 6, /* ex */
	DIFF_F_ADDR2 = 1u << 7,    /* rem_addr, freed_addr, old_addr */
	DIFF_F_SIZE2 = 1u << 8,    /* rem_size, freed_size, old_size, largest, dropped */
	DIFF_F_FLAGS = 1u << 9,    /* merged, panic */
	DIFF_F_CALLER = 1u << 10,  /* caller */
	DIFF_F_NAME = 1u << 11,    /* marker name */
};

/* How events are compared, so that a rebuilt kernel whose code or heap moved
 * still runs in step: heap addresses are compared as offsets from each
 * trace's heap base, and callers are equal if their addresses are, or if both
 * traces resolve them (sym records) to the same function. */
struct diff_event_ctx {
	const trace_reader *base; /* for symbols; may be NULL */
	const trace_reader *new;
	bool ignore_callers; /* never report caller differences */
	uint64_t base_heap;  /* heap base of each trace (header heap_base); */
	uint64_t new_heap;   /* 0 and 0 compare addresses as they are */
};

/* The fields in which a and b differ (DIFF_F_* mask, 0 = same event).
 * Timestamps are not compared; fields not used by the kind are ignored. */
unsigned diff_event_compare(const struct heap_event *a, const struct heap_event *b,
                            const struct diff_event_ctx *ctx);

/* JSON name of a DIFF_F_* field for an event of `kind` ("rem_addr" for
 * DIFF_F_ADDR2 of a split), or NULL if that kind has no such field. */
const char *diff_field_name(unsigned kind, unsigned field);

/* Writes the names of the fields in mask, comma-separated ("addr,block").
 * Returns the length it needed (snprintf-like), -1 on error. */
int diff_fields_format(unsigned kind, unsigned mask, char *buf, size_t len);

/* ev as a JSON object in the trace format (with "fn" if r has a symbol for
 * its caller). Returns NULL if out of memory. */
cJSON *diff_event_json(const struct heap_event *ev, const trace_reader *r);

/* One side of the comparison. */
struct diff_side {
	struct trace_header header;   /* its header */
	struct trace_summary summary; /* metrics (summary.h) */
	uint64_t events;              /* events read */
	bool complete;                /* ended with an END event */
};

struct diff_result {
	struct diff_side base, new;
	uint64_t in_step;     /* leading events that are the same in both */
	uint64_t compared;    /* events compared pairwise (the shorter trace's length) */
	uint64_t differing;   /* of those, how many differ at the same index */
	bool diverged;        /* some event differs, or one trace is longer */
	uint64_t first_index; /* index (from 0) of the first divergence */
	bool base_has_event;  /* BASE has an event at first_index (else it ended) */
	bool new_has_event;
	struct heap_event base_event; /* the events at first_index */
	struct heap_event new_event;
	unsigned fields;        /* DIFF_F_* differing at first_index (0 if one ended) */
	cJSON *base_event_json; /* first divergent events as JSON (with fn), or NULL; */
	cJSON *new_event_json;  /* freed by diff_result_free */
};

struct diff_options {
	bool ignore_callers; /* compare callers not at all */
};

/* Streams both traces side by side and fills *out. Returns 0, or
 * HT_EXIT_BAD_INPUT (2) with "file:line: what" in err when a trace cannot be
 * opened or read (a truncated last line is not an error; a trace without END
 * is read as far as it goes, and reported incomplete). */
int diff_run(const char *base_path, const char *new_path, const struct diff_options *opt,
             struct diff_result *out, char *err, size_t errlen);

/* Frees what diff_run allocated inside r (safe on a zeroed result). */
void diff_result_free(struct diff_result *r);

/* ---- metric table --------------------------------------------------------- */

enum diff_better {
	DIFF_LOWER_BETTER,  /* e.g. peak bytes, fragmentation, failures */
	DIFF_HIGHER_BETTER, /* e.g. largest free block */
	DIFF_NEUTRAL,       /* e.g. event counts: informative only */
};

struct diff_metric {
	const char *key;   /* JSON key: "peak_used" */
	const char *label; /* table label: "peak used bytes" */
	double base, new;  /* values */
	bool ratio;        /* a fraction 0..1 (shown with 3 decimals), not a count */
	enum diff_better better;
};

#define DIFF_METRICS_MAX 40

/* Fills m (room for DIFF_METRICS_MAX) with BASE vs NEW values from the two
 * summaries; returns how many. */
size_t diff_metrics(const struct diff_result *r, struct diff_metric *m);

/* Relative change of NEW against BASE as a fraction (0.05 = +5%); 0 when both
 * are 0, +inf when only BASE is 0. */
double diff_relative(double base, double new);

/* ---- call stacks that changed --------------------------------------------- */

/* One call stack whose figures differ between BASE and NEW. Stacks are matched by the
 * functions on them (frames named by their sym records, inlined functions included; an
 * unnamed frame by its address), not by address: a rebuilt kernel's code moves. Stacks of
 * one trace that name the same functions are counted together. */
struct diff_site {
	const callstacks *stacks;          /* where site is: NEW's, or BASE's if gone from NEW */
	const struct callstack_site *site; /* one stack of that name, for its frames */
	bool in_base, in_new;              /* the trace has such a stack */
	uint64_t base[CS_FIELDS], new[CS_FIELDS]; /* its figures in each (0 if absent) */
};

/* The stacks whose allocations, bytes, peak or leaked bytes differ, the largest change first
 * (of bytes, then peak, then allocations): up to max into out. Returns how many differ, or
 * SIZE_MAX when out of memory. The entries point into r (valid until diff_result_free). */
size_t diff_sites(const struct diff_result *r, struct diff_site *out, size_t max);

/* ---- thresholds ----------------------------------------------------------- */

#define DIFF_OFF (-1.0) /* a numeric limit that is not checked */

struct diff_thresholds {
	double max_peak_growth;     /* largest allowed relative growth of peak used bytes, as a
	                               fraction (0.05 = 5%); DIFF_OFF = off */
	double max_frag_growth;     /* largest allowed absolute growth of maximum fragmentation,
	                               0..1 (0.05 = 5 percentage points); DIFF_OFF = off */
	double max_examined_growth; /* largest allowed relative growth of the average free blocks
	                               examined per alloc, as a fraction; DIFF_OFF = off */
	bool fail_on_new_failures;  /* NEW has more alloc failures than BASE */
	bool fail_on_new_leaks;     /* NEW leaks more blocks or bytes than BASE */
	bool fail_on_divergence;    /* any event differs */
	bool fail_on_incomplete;    /* NEW cut short (no END) or panicked, and BASE was not */
};

/* The defaults of `heaptrace diff`: what a CI user calls a regression. */
#define DIFF_DEFAULT_PEAK_GROWTH     0.05 /* peak used bytes +5% */
#define DIFF_DEFAULT_FRAG_GROWTH     0.05 /* maximum fragmentation +0.05 (absolute) */
#define DIFF_DEFAULT_EXAMINED_GROWTH 0.25 /* free blocks examined per alloc +25% */

/* Every rule off: diff_check finds nothing (a report only). */
void diff_thresholds_init(struct diff_thresholds *t);

/* The defaults: the three limits above, and fail on new alloc failures, new
 * leaks and an incomplete NEW; divergence alone is not a regression. */
void diff_thresholds_default(struct diff_thresholds *t);

/* Whether t is the defaults. */
bool diff_thresholds_are_default(const struct diff_thresholds *t);

/* How a limit is written on the command line. */
enum diff_limit_unit {
	DIFF_UNIT_PERCENT,  /* relative growth: "5" and "5%" both mean 5% (0.05) */
	DIFF_UNIT_FRACTION, /* a fraction 0..1: "0.05" or "5%" (both 0.05) */
};

/* Parses a limit: a plain decimal number ("5", "0.5", ".5"), optionally
 * followed by one "%", or "off". Returns true with *out as a fraction
 * (DIFF_OFF for "off"), or false with why in err (negative, malformed, nan or
 * inf, above 1 for a fraction). */
bool diff_limit_parse(const char *s, enum diff_limit_unit unit, double *out, char *err,
                      size_t errlen);

/* Writes t as the options that select it, every rule included
 * ("--max-peak-growth 5% --max-frag-growth 0.05 ... --no-fail-on-divergence").
 * Returns the length it needed (snprintf-like). */
int diff_thresholds_format(const struct diff_thresholds *t, char *buf, size_t len);

#define DIFF_VIOLATIONS_MAX 8

struct diff_violation {
	const char *rule; /* the option that failed: "max-peak-growth" */
	char what[160];   /* "peak used grew 12.5% (limit 5%): 4096 -> 4608" */
};

/* Applies t to r; writes up to DIFF_VIOLATIONS_MAX violations to v and
 * returns how many (0 = NEW is within the thresholds). */
size_t diff_check(const struct diff_result *r, const struct diff_thresholds *t,
                  struct diff_violation *v);

#endif /* DIFF_H */
