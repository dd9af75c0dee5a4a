/* trace_reader.h - streaming reader of JSON trace files (docs/trace-format.md).
 *
 * Reads one line at a time, never the whole file: memory is bounded by the
 * longest line plus the symbol table. Also follows a file that is still being
 * written (TRACE_READ_AGAIN at a partial last line; call again later).
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

#include "heap_event.h"

struct trace_header {
	int version;          /* format version (1) */
	char channel[16];     /* "semihosting" or "uart" */
	char workload[32];    /* workload name, "" if unknown */
	char elf[64];         /* kernel image name, "" if unknown */
	uint64_t heap_base;   /* first byte of the heap */
	uint64_t heap_size;   /* bytes */
	uint64_t min_block;   /* smallest block */
	uint64_t min_align;   /* alignment of every block */
	uint64_t time_hz;     /* ticks per second of event times */
	bool has_instret;     /* events carry instret */
};

struct trace_symbol {
	uint64_t addr;   /* caller address */
	const char *fn;  /* function name, "??" if unknown */
	const char *src; /* "file:line", "??:0" if unknown */
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

const struct trace_header *trace_reader_header(const trace_reader *r);

/* Reads the next event into *ev (symbol records are absorbed on the way). */
enum trace_read_status trace_reader_next(trace_reader *r, struct heap_event *ev);

/* "file:line: what" for the last TRACE_READ_ERROR. */
const char *trace_reader_error(const trace_reader *r);

/* Line number (from 1) of the line last read. */
uint64_t trace_reader_line(const trace_reader *r);

/* Whether an END event has been read (the trace is complete). */
bool trace_reader_complete(const trace_reader *r);

/* The symbol for a caller address, or NULL if none was recorded. */
const struct trace_symbol *trace_reader_symbol(const trace_reader *r, uint64_t addr);

void trace_reader_close(trace_reader *r);

#endif /* TRACE_READER_H */
