/* uart_frames.h - separates the trace frames from ordinary console output.
 *
 * On the UART channel the kernel writes its binary trace stream as lines
 *     @@HT <chunk> <base64 payload> <fletcher16 of the payload, 4 hex digits>
 * numbered from 0 (docs/capture.md). Anything else is console text. */
#ifndef UART_FRAMES_H
#define UART_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define UART_FRAME_PREFIX "@@HT "

/* A growable byte buffer; the owner frees p. */
struct bytebuf {
	uint8_t *p;
	size_t len, cap;
};

/* Appends n bytes; returns 0, or -1 if out of memory. */
int bytebuf_append(struct bytebuf *b, const void *data, size_t n);

struct uart_frames {
	uint64_t next_chunk; /* number the next frame must carry */
	uint64_t frames;     /* frames accepted */
};

enum uart_line_kind {
	UART_LINE_CONSOLE, /* not a frame (*text_len: the whole line) */
	UART_LINE_FRAME,   /* a frame: payload appended to out; *text_len: console text before it */
	UART_LINE_ERROR,   /* a damaged or out-of-order frame: err says what */
};

void uart_frames_init(struct uart_frames *u);

/* Classifies one console line (without its newline; a trailing '\r' is
 * ignored). A frame may follow console text on the same line. */
enum uart_line_kind uart_frames_line(struct uart_frames *u, const char *line, size_t len,
                                     struct bytebuf *out, size_t *text_len, char *err,
                                     size_t errlen);

#endif /* UART_FRAMES_H */
