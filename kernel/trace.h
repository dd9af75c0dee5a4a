/* trace.h - the kernel's heap-event sink: stamps events, encodes them
 * (kernel/trace_wire.h) into a buffer and ships the buffer to the host over
 * semihosting (a host file, written in large blocks) or the UART (framed
 * "@@HT" lines between ordinary console output). docs/capture.md.
 *
 * Usage: trace_start(&cfg) once; kheap_init(trace_hook, trace_ctx()); the
 * exit hook it installs flushes and writes END at kexit and at panic.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"

enum trace_channel {
	TRACE_OFF = 0,     /* no tracing: the heap gets no hook */
	TRACE_SEMIHOSTING, /* host file via SYS_OPEN/SYS_WRITE (default) */
	TRACE_UART,        /* @@HT frame lines on the console */
	TRACE_NULL,        /* hook installed, events ignored: measures the allocator's share */
};

#define TRACE_BUF_MIN     512   /* smallest buffer accepted (bytes) */
#define TRACE_BUF_MAX     65536 /* largest buffer (static storage) */
#define TRACE_BUF_DEFAULT 32768

struct trace_config {
	enum trace_channel channel; /* wanted channel; semihosting falls back to UART */
	size_t buf_size;            /* buffer bytes, clamped to [TRACE_BUF_MIN, TRACE_BUF_MAX] */
	bool deferred;              /* flush only at trace_flush()/exit; a full buffer drops */
	bool instret;               /* events carry rdinstret */
	unsigned stack_depth;       /* frames per call stack (0..WIRE_STACK_DEPTH_MAX); 0: the
	                               caller's return address alone, as before stacks */
	unsigned flush_ms;          /* normal mode: ship the buffer every flush_ms (0: only when full) */
	const char *file;           /* semihosting: host file name (relative to QEMU's cwd) */
	const char *workload;       /* name recorded in the stream header */
};

/* Totals since trace_start. */
struct trace_stats {
	uint64_t events;  /* sequence numbers handed out (written + dropped) */
	uint64_t dropped; /* events lost to a full buffer (deferred mode) */
	uint64_t bytes;   /* encoded bytes shipped or buffered */
	uint64_t flushes; /* buffer flushes */
};

#define TRACE_DEPTH_DEFAULT 0 /* trace.depth: frames per call stack (docs/capture.md) */
#define TRACE_FLUSH_MS_DEFAULT 50 /* a hang or a kill loses at most this much of the trace */

/* Chooses the channel (UART if semihosting is absent or the file cannot be
 * opened), writes the stream header, installs the exit hook and (normal mode,
 * flush_ms > 0) starts the timer tick that ships the buffer periodically.
 * Prints one line saying where the trace goes. Returns the channel in use.
 * If the host later fails to write the trace file (SYS_WRITE leaves bytes
 * unwritten: disk full), the kernel says so and exits with EXIT_TRACE_LOST. */
enum trace_channel trace_start(const struct trace_config *cfg);

/* The ctx to pass with trace_hook (NULL when tracing is off). */
void *trace_ctx(void);

/* heap_trace_fn: stamps seq/time/instret, encodes, flushes when the buffer is
 * full (or drops and counts, in deferred mode). */
void trace_hook(void *ctx, struct heap_event *ev);

/* Tells the sink which heap END reports "bytes in use" of. */
void trace_set_heap(const struct heap *h);

/* An explicit flush point. In deferred mode it ships the buffer and writes a
 * DROP event for the events lost since the last one; otherwise (the buffer
 * ships itself when full) and when tracing is off it does nothing. */
void trace_flush(void);

/* Flushes, writes END (totals; HEAP_END_PANIC if panicking) and closes the
 * channel. Called by the exit hook; later events are ignored. */
void trace_finish(bool panicking);

void trace_get_stats(struct trace_stats *out);

const char *trace_channel_name(enum trace_channel ch);

#endif /* TRACE_H */
