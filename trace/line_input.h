/* line_input.h - lines of a file read with read(2), for a streaming reader:
 * one buffer, never the whole file, and a file still being written followed.
 *
 * A line handed out lives until the next line_input_next; in the buffer it
 * is followed by its '\n' (the scanner relies on that: trace/json_scan.h).
 * Memory is bounded by the longest line: more than TRACE_LINE_MAX bytes
 * without a '\n' is an error.
 */
#ifndef LINE_INPUT_H
#define LINE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct line_input {
	int fd;            /* input, -1 if none */
	bool own_fd;       /* close fd at the end (not stdin) */
	bool follow;       /* a live file: AGAIN instead of EOF at its end */
	char *buf;         /* read buffer */
	size_t cap;        /* its size */
	size_t start, end; /* unconsumed bytes are buf[start, end) */
	bool truncated;    /* an incomplete last line was ignored at EOF */
	uint64_t line;     /* number of the line last read (from 1) */
	char err[128];     /* what went wrong at the last LINE_ERROR */
};

enum line_status {
	LINE_OK,    /* a complete line */
	LINE_EOF,   /* end of file (an incomplete last line is ignored: truncated) */
	LINE_AGAIN, /* following: no complete line yet */
	LINE_ERROR, /* read error, out of memory or a line too long: err says which */
};

/* Prepares in (its buffer); false if out of memory. */
bool line_input_init(struct line_input *in);

/* Opens path ("-" is stdin). False with errno set if it cannot be opened. */
bool line_input_attach(struct line_input *in, const char *path);

/* Makes the next complete line available as [*p, *p + *len), without its
 * '\n' (or "\r\n"). */
enum line_status line_input_next(struct line_input *in, char **p, size_t *len);

/* Closes the file (if opened here) and frees the buffer. */
void line_input_fini(struct line_input *in);

/* Whether [p, p + len) holds only blanks (spaces, tabs). */
bool line_is_blank(const char *p, size_t len);

#endif /* LINE_INPUT_H */
