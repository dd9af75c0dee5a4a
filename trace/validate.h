/* validate.h - the one verdict on whether a trace is self-consistent, shared by
 * every tool (stats, leaks, check, diff, export, heapviz).
 *
 * The reader (trace_reader.h) refuses lines it cannot parse; the validator
 * refuses events that parse but contradict the trace around them, so that
 * every tool gives the same verdict, the same message and the same exit
 * status (2, bad input) for the same trace:
 *
 *   - a sequence number that skips numbers no drop event accounts for, or a
 *     first event other than 0 (drop: its own i = the expected one + count)
 *   - an event touching the heap before the init event; an init that is not
 *     the header's heap, or whose end passes 2^64
 *   - an alignment above the allocator's maximum (HEAP_MAX_ALIGN, 4096), or
 *     an alloc whose address does not honour its alignment
 *   - whatever the heap model refuses (heap_model.h): a free of an unknown
 *     block (double free), an alloc over live memory or outside the heap, a
 *     size that overflows its block, a split or coalesce that does not
 *     describe the free blocks, an alloc_fail or end whose totals disagree
 *   - an end whose counts disagree with the events (events = end's i + 1,
 *     dropped = the sum of the drop counts)
 *   - at the end of the file: no event at all, or no init event
 *
 * After a drop event the heap model's contradictions are expected (the lost
 * events explain them): they are counted (trace_validator_tolerated) and the
 * event is skipped, but they are not errors. The other checks hold always.
 *
 * Messages read "FILE:LINE: event N: what" (the caller passes the line the
 * event came from), the form of the reader's own errors.
 *
 * Ownership: trace_validator_create returns a validator freed with
 * trace_validator_destroy. The model it returns lives as long as it.
 */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"
#include "heap_model.h"
#include "trace_reader.h"

typedef struct trace_validator trace_validator;

/* A validator of the trace at path (used in messages) with header h (copied).
 * NULL when out of memory. */
trace_validator *trace_validator_create(const char *path, const struct trace_header *h);
void trace_validator_destroy(trace_validator *v);

/* Checks ev (read from line) and applies it to the validator's heap model.
 * Returns false when ev makes the trace contradict itself, with
 * "FILE:LINE: event N: what" in err: bad input, stop reading. A contradiction
 * of the heap model after a drop returns true (counted, the event skipped). */
bool trace_validator_add(trace_validator *v, const struct heap_event *ev, uint64_t line, char *err,
                         size_t errlen);

/* At the end of the file (or of what a cut-short trace has): false when the
 * trace has no event or no init event, with "FILE:LINE: what" in err. */
bool trace_validator_finish(trace_validator *v, uint64_t line, char *err, size_t errlen);

/* The heap after the last event applied (read-only use: callers look blocks
 * up, take figures, walk blocks). */
const heap_model *trace_validator_model(const trace_validator *v);

/* Heap-model contradictions tolerated after drops, and the first one
 * ("event N: what", "" if none). */
uint64_t trace_validator_tolerated(const trace_validator *v);
const char *trace_validator_first_tolerated(const trace_validator *v);

/* Whether the last event trace_validator_add accepted changed the heap model
 * (false when it was a tolerated contradiction, skipped). */
bool trace_validator_applied(const trace_validator *v);

#endif /* VALIDATE_H */
