/* uart_frames.c - parses "@@HT" trace frame lines out of a console log. */
#include "uart_frames.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_wire.h"

int bytebuf_append(struct bytebuf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void uart_frames_init(struct uart_frames *u)
{
	u->next_chunk = 0;
	u->frames = 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 s[0..n) into out; returns bytes or -1 if malformed. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
	if (n % 4)
		return -1;
	long o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_value(s[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	return o;
}

enum uart_line_kind uart_frames_line(struct uart_frames *u, const char *line, size_t len,
                                     struct bytebuf *out, size_t *text_len, char *err,
                                     size_t errlen)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	*text_len = len;
	if (len == 0) /* an empty line; line may be NULL then */
		return UART_LINE_CONSOLE;
	const char *f = memmem(line, len, UART_FRAME_PREFIX, strlen(UART_FRAME_PREFIX));
	const char *p = f ? f + strlen(UART_FRAME_PREFIX) : NULL, *end = line + len;
	if (!f || p >= end || *p < '0' || *p > '9')
		return UART_LINE_CONSOLE; /* "@@HT " not followed by a chunk number: text */
	*text_len = (size_t)(f - line);

	/* chunk number */
	uint64_t chunk = 0;
	const char *q = p;
	while (q < end && *q >= '0' && *q <= '9' && q - p < 19)
		chunk = chunk * 10 + (uint64_t)(*q++ - '0');
	if (q == p || q >= end || *q != ' ') {
		snprintf(err, errlen, "damaged frame: bad chunk number");
		return UART_LINE_ERROR;
	}
	const char *b64 = q + 1;
	const char *sp = memchr(b64, ' ', (size_t)(end - b64));
	if (!sp || end - sp != 5) {
		snprintf(err, errlen, "damaged frame %" PRIu64 ": no checksum (line cut short?)",
		         chunk);
		return UART_LINE_ERROR;
	}
	unsigned sum = 0;
	for (const char *h = sp + 1; h < end; h++) {
		int d = (*h >= '0' && *h <= '9')   ? *h - '0'
		        : (*h >= 'a' && *h <= 'f') ? *h - 'a' + 10
		                                   : -1;
		if (d < 0) {
			snprintf(err, errlen, "damaged frame %" PRIu64 ": bad checksum digits",
			         chunk);
			return UART_LINE_ERROR;
		}
		sum = sum << 4 | (unsigned)d;
	}
	size_t n = (size_t)(sp - b64);
	uint8_t *bytes = malloc(n / 4 * 3 + 3);
	if (!bytes) {
		snprintf(err, errlen, "out of memory");
		return UART_LINE_ERROR;
	}
	long got = b64_decode(b64, n, bytes);
	if (got < 0) {
		free(bytes);
		snprintf(err, errlen, "damaged frame %" PRIu64 ": bad base64", chunk);
		return UART_LINE_ERROR;
	}
	if (wire_fletcher16(bytes, (size_t)got) != sum) {
		free(bytes);
		snprintf(err, errlen, "damaged frame %" PRIu64 ": checksum mismatch", chunk);
		return UART_LINE_ERROR;
	}
	if (chunk != u->next_chunk) {
		free(bytes);
		snprintf(err, errlen,
		         "frame %" PRIu64 " where frame %" PRIu64 " was due (frames lost)", chunk,
		         u->next_chunk);
		return UART_LINE_ERROR;
	}
	int rc = bytebuf_append(out, bytes, (size_t)got);
	free(bytes);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return UART_LINE_ERROR;
	}
	u->next_chunk++;
	u->frames++;
	return UART_LINE_FRAME;
}
