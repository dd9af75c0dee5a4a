/* event_pipe.h - reads a trace's events on a second thread, in batches, so
 * that parsing JSON (the reader) overlaps with what the caller does with each
 * event (the summary's heap model). Memory stays bounded: EVENT_PIPE_SLOTS
 * batches of EVENT_PIPE_BATCH events.
 *
 * Ownership: while a pipe runs, the reader belongs to the pipe's thread; the
 * caller may use the reader again (trace_reader_error, symbols, truncation)
 * once event_pipe_next has returned something other than TRACE_READ_EVENT,
 * or after event_pipe_stop. Not for followed files (TRACE_READ_AGAIN ends the
 * stream like an error would).
 */
#ifndef EVENT_PIPE_H
#define EVENT_PIPE_H

#include "trace_reader.h"

#define EVENT_PIPE_BATCH 1024 /* events per batch */
#define EVENT_PIPE_SLOTS 4    /* batches in flight */

typedef struct event_pipe event_pipe;

/* Starts reading r on a new thread. Returns NULL if no thread or memory could
 * be had: the caller then simply reads r itself. */
event_pipe *event_pipe_start(trace_reader *r);

/* The next event, in trace order; statuses as trace_reader_next. After the
 * first non-EVENT status the same status is returned again. */
enum trace_read_status event_pipe_next(event_pipe *p, struct heap_event *ev);

/* The line (from 1) of the event event_pipe_next last returned, as
 * trace_reader_line said when the producer read it. */
uint64_t event_pipe_line(const event_pipe *p);

/* Stops the thread (at once, even mid-trace), joins it and frees the pipe. */
void event_pipe_stop(event_pipe *p);

#endif /* EVENT_PIPE_H */
