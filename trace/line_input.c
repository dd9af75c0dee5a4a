/* line_input.c - lines of a file read with read(2), followed while written (line_input.h). */
#include "line_input.h"

#include "trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef READ_CHUNK /* the fuzz build (trace/fuzz/fuzz.mk) makes it small */
#define READ_CHUNK (256u * 1024u) /* bytes asked of read(2) at a time */
#endif

bool line_input_init(struct line_input *in)
{
	memset(in, 0, sizeof *in);
	in->fd = -1;
	in->cap = READ_CHUNK * 2;
	in->buf = malloc(in->cap);
	return in->buf != NULL;
}

bool line_input_attach(struct line_input *in, const char *path)
{
	if (strcmp(path, "-") == 0) {
		in->fd = 0;
		return true;
	}
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return false;
	in->own_fd = true;
	return true;
}

enum line_status line_input_next(struct line_input *in, char **p, size_t *len)
{
	size_t scanned = in->start;
	for (;;) {
		char *nl = memchr(in->buf + scanned, '\n', in->end - scanned);
		if (nl) {
			*p = in->buf + in->start;
			*len = (size_t)(nl - *p);
			in->start = (size_t)(nl - in->buf) + 1;
			in->line++;
			if (*len && (*p)[*len - 1] == '\r')
				(*len)--;
			return LINE_OK;
		}
		size_t have = in->end - in->start;
		if (have > TRACE_LINE_MAX) {
			in->line++;
			snprintf(in->err, sizeof in->err, "line longer than %u bytes", TRACE_LINE_MAX);
			return LINE_ERROR;
		}
		/* make room: slide the partial line to the front, grow if needed */
		if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, have);
			in->start = 0;
			in->end = have;
		}
		scanned = in->end;
		if (in->cap - in->end < READ_CHUNK / 2) {
			size_t ncap = in->cap * 2;
			char *nb = realloc(in->buf, ncap);
			if (!nb) {
				snprintf(in->err, sizeof in->err, "out of memory");
				return LINE_ERROR;
			}
			in->buf = nb;
			in->cap = ncap;
		}
		ssize_t n;
		do
			n = read(in->fd, in->buf + in->end, in->cap - in->end);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(in->err, sizeof in->err, "read error: %s", strerror(errno));
			return LINE_ERROR;
		}
		if (n == 0) {
			if (in->follow)
				return LINE_AGAIN;
			if (in->end > in->start) { /* an incomplete last line: ignore it */
				in->truncated = true;
				in->start = in->end;
			}
			return LINE_EOF;
		}
		in->end += (size_t)n;
	}
}

void line_input_fini(struct line_input *in)
{
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	free(in->buf);
	in->buf = NULL;
}

bool line_is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}
