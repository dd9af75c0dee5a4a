/* trace_reader.h - streaming reader of JSON trace files (docs/trace-format.md),
 * and the writer of the same lines.
 *
 * Reads one line at a time, never the whole file: memory is bounded by the
 * longest line plus the symbol table. Also follows a file that is still being
 * written (TRACE_READ_AGAIN at a partial last line; call again later).
 *
 * Event lines map onto struct heap_event through the schema table of
 * kernel/heap_event.h (heap_event_fields: each kind's JSON fields, their
 * members and types); fields of other kinds on a line are ignored.
 * Implemented by trace_reader.c (the reader), trace/line_input.c,
 * trace/json_scan.c, trace/trace_schema.c (mapping and the format's rules),
 * trace/symbols.c, trace/trace_writer.c (writing) and trace/event_text.c.
 *
 * Ownership: trace_reader_open returns a handle the caller frees with
 * trace_reader_close. Strings returned by the reader belong to it and live
 * until trace_reader_close.
 */
#ifndef TRACE_READER_H
#define TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heap_event.h"

#define TRACE_FORMAT_NAME    "heapscope-trace"
#define TRACE_FORMAT_VERSION 1          /* the version this reader understands */
#define TRACE_LINE_MAX       (1u << 20) /* longest line accepted, bytes */
#define TRACE_INT_LIMIT      (1ull << 53) /* every integer in a trace is below it */
#define TRACE_STACK_DEPTH_MAX 32          /* most frames in a stack record (the kernel's most) */
#define TRACE_INLINED_MAX     32          /* most inlined functions in a symbol record */

struct trace_header {
	int version;        /* format version (1) */
	char channel[16];   /* "semihosting" or "uart" */
	char workload[32];  /* workload name, "" if unknown */
	char elf[64];       /* kernel image name, "" if unknown */
	uint64_t heap_base; /* first byte of the heap */
	uint64_t heap_size; /* bytes */
	uint64_t min_block; /* smallest block */
	uint64_t min_align; /* alignment of every block */
	uint64_t time_hz;   /* ticks per second of event times */
	bool has_instret;   /* events carry instret */
	uint8_t policy;     /* enum heap_policy of the allocator (its "policy"; absent: first fit) */
	uint32_t stack_depth; /* most frames the kernel unwound ("stack_depth"; absent: 0, no stacks) */
};

/* A function inlined at a symbol's address (addr2line -i). */
struct trace_inline {
	const char *fn;  /* function name, "??" if unknown */
	const char *src; /* "file:line", "??:0" if unknown */
};

struct trace_symbol {
	uint64_t addr;   /* code address (a caller, a stack frame) */
	const char *fn;  /* function name, "??" if unknown: the innermost one when inlined */
	const char *src; /* "file:line", "??:0" if unknown */
	uint32_t n_inlined; /* functions fn was inlined into, 0 if none */
	const struct trace_inline *inlined; /* ... innermost first: the last is the real frame's */
};

/* A stack record: the call stack an event was made from. */
struct trace_stack {
	uint32_t id;           /* the trace's id for it, 1 .. 2^32 - 1 */
	uint32_t depth;        /* frames, 1 .. TRACE_STACK_DEPTH_MAX */
	const uint64_t *frames; /* return addresses, frames[0] = the event's caller, then outward */
};

typedef struct trace_reader trace_reader;

enum trace_read_status {
	TRACE_READ_EVENT = 0, /* *ev holds the next event */
	TRACE_READ_EOF,       /* clean end of file */
	TRACE_READ_AGAIN,     /* only a partial line so far (a file being written); call again */
	TRACE_READ_ERROR,     /* bad input; trace_reader_error says what and where */
};

/* Opens path ("-" for stdin) and reads the header. Returns NULL on failure,
 * with "file:line: what" written to err. */
trace_reader *trace_reader_open(const char *path, char *err, size_t errlen);

/* Like trace_reader_open, for a file that is still being written: waits up to
 * timeout_ms for the header line to be complete (the file may not even exist
 * yet), and afterwards trace_reader_next returns TRACE_READ_AGAIN instead of
 * TRACE_READ_EOF while no END event has been read. */
trace_reader *trace_reader_open_follow(const char *path, int timeout_ms, char *err, size_t errlen);

const struct trace_header *trace_reader_header(const trace_reader *r);

/* Reads the next event into *ev (symbol and stack records are absorbed on
 * the way; an event's stack is defined by then and its caller is the
 * stack's frames[0]).
 * After TRACE_READ_ERROR the reader stays in error: every further call
 * returns TRACE_READ_ERROR again. */
enum trace_read_status trace_reader_next(trace_reader *r, struct heap_event *ev);

/* "file:line: what" for the last TRACE_READ_ERROR. */
const char *trace_reader_error(const trace_reader *r);

/* Line number (from 1) of the line last read. */
uint64_t trace_reader_line(const trace_reader *r);

/* Whether an END event has been read (the trace is complete). */
bool trace_reader_complete(const trace_reader *r);

/* Whether an incomplete last line (no '\n') was ignored at end of file. */
bool trace_reader_truncated(const trace_reader *r);

/* Number of events returned so far. */
uint64_t trace_reader_events(const trace_reader *r);

/* The symbol for a caller address, or NULL if none was recorded. */
const struct trace_symbol *trace_reader_symbol(const trace_reader *r, uint64_t addr);

/* Calls fn for every symbol record read so far (in no particular order). */
void trace_reader_each_symbol(const trace_reader *r,
                              void (*fn)(void *ctx, const struct trace_symbol *sym), void *ctx);

/* The stack record with this id, or NULL if none was read (yet). Valid
 * until trace_reader_close. */
const struct trace_stack *trace_reader_stack(const trace_reader *r, uint32_t id);

/* Calls fn for every stack record read so far, in the order read. */
void trace_reader_each_stack(const trace_reader *r,
                             void (*fn)(void *ctx, const struct trace_stack *s), void *ctx);

void trace_reader_close(trace_reader *r);

/* ---- the language both sides share ------------------------------------------ */

/* Whether ev can be written as an event line that reads back as ev (the
 * fields its kind carries): kind in range; every integer written below
 * TRACE_INT_LIMIT (an alignment: align_log2 <= 52); a coalesce merged
 * something (flags 1..3); an end's flags are 0 or HEAP_END_PANIC; a marker
 * name is well-formed UTF-8 of at most HEAP_MARKER_NAME_MAX bytes; a misuse
 * names a known op and error (align_log2 HEAP_MISUSE_ALIGN_BAD allowed).
 * The reader applies it to every event it builds, `heaptrace decode` to
 * every event it decodes, so decode writes nothing the reader rejects.
 * Returns NULL if so, else a static description of what is wrong. */
const char *trace_event_check(const struct heap_event *ev, bool with_instret);

/* Whether the end event's counts agree with the events before it: `events`
 * = its seq + 1 and `dropped` = dropped (the sum of the drop counts before
 * it). Returns NULL if so, else a description written to buf (n bytes). */
const char *trace_end_check(const struct heap_event *end, uint64_t dropped, char *buf, size_t n);

/* The order the reader requires of consecutive events (the decoder too):
 * increasing sequence numbers, and an end event that counts the events and
 * drops before it (trace_end_check). A zeroed struct: no event yet. */
struct trace_order {
	bool any;          /* an event was accepted: prev_seq is its */
	uint64_t prev_seq; /* sequence number of the last event accepted */
	uint64_t dropped;  /* sum of the accepted drop events' counts */
};

/* Whether ev follows the events accepted so far. NULL if so (ev is then
 * accepted), else a description written to buf (n bytes). */
const char *trace_order_check(struct trace_order *o, const struct heap_event *ev, char *buf,
                              size_t n);

/* ---- writing (tests, generators, converters) ------------------------------ */

/* Writes the header line of h (format, version 1 and every field). Returns
 * false if the stream reported an error. */
bool trace_write_header(FILE *out, const struct trace_header *h);

/* Writes ev as one event line in the format above; "n" only if with_instret.
 * Returns false on a stream error or an event kind out of range. */
bool trace_write_event(FILE *out, const struct heap_event *ev, bool with_instret);

/* Formats the value of field f (a row of heap_event_fields) of ev as JSON
 * ("0x80400010", 64, "both", true) into buf (at least TRACE_EVENT_LINE_MAX
 * bytes). Returns its length. */
size_t trace_format_field(char *buf, const struct heap_event *ev, const struct heap_field *f);

/* The longest line trace_format_event writes (fields, escaped marker name). */
#define TRACE_EVENT_LINE_MAX 512

/* Formats ev as one event line, '\n' included, into buf (at least
 * TRACE_EVENT_LINE_MAX bytes); "n" only if with_instret. Returns its length.
 * The one formatter of event lines: the decoder's hot loop and
 * trace_write_event use it. ev->kind must be in range. */
size_t trace_format_event(char *buf, const struct heap_event *ev, bool with_instret);

/* The words for a MISUSE event, without its caller, into buf (n bytes; 120
 * suffice): "double free of 0x80234000 (size 64, align 16)", "free of 0x10:
 * outside the heap", "realloc of 0x80234010 (new size 9): bad layout",
 * "vector index 7 out of range (len 3, elements at 0x80234100)". Returns buf. */
const char *trace_misuse_describe(const struct heap_event *ev, char *buf, size_t n);

/* The fields of ev in words, in the schema's order, its caller left out:
 * "addr 0x80400000, size 1048576, min_block 16, min_align 16" (a terse
 * name glossed: "ex (free blocks examined) 3"), into buf (n bytes). Returns buf. */
const char *trace_event_fields_text(const struct heap_event *ev, char *buf, size_t n);

/* Writes s as a quoted JSON string: '"' and '\\' escaped, control bytes as
 * \u00XX, well-formed UTF-8 unchanged, any other byte as \ufffd. */
void trace_write_json_string(FILE *out, const char *s);

/* Writes a symbol record line. fn/src NULL write "??" / "??:0". */
bool trace_write_symbol(FILE *out, uint64_t addr, const char *fn, const char *src);

/* Writes the symbol record of sym, its "inlined" list included (when
 * n_inlined > 0; at most TRACE_INLINED_MAX are written). */
bool trace_write_symbol_record(FILE *out, const struct trace_symbol *sym);

/* Writes a stack record line: {"k":"stack","id":ID,"frames":["0x...",...]}.
 * Returns false on a stream error, or (nothing written) for a stack the
 * reader would refuse: id 0, depth 0 or above TRACE_STACK_DEPTH_MAX. */
bool trace_write_stack(FILE *out, uint32_t id, uint32_t depth, const uint64_t *frames);

#endif /* TRACE_READER_H */
