/* trace_writer.c - writing JSON-lines heap traces: the header, event lines
 * (through the schema table of kernel/heap_event.h), symbol and stack records. */
#include "trace_reader.h"

#include "trace_schema.h"
#include "utf8.h"

#include <inttypes.h>
#include <string.h>

/* Appends the UTF-8 text s (NUL-terminated) as the body of a JSON string:
 * '"' and '\\' escaped, control bytes and DEL as \u00XX, well-formed UTF-8
 * sequences copied unchanged (so the reader gets back the same bytes), and
 * each byte that is not part of one as \ufffd (U+FFFD, the replacement
 * character). At most 6 bytes per byte of s. Returns the end. */
static char *put_json_body(char *p, const char *s)
{
	const unsigned char *q = (const unsigned char *)s;
	while (*q) {
		unsigned char c = *q;
		size_t n = c >= 0x80 ? utf8_sequence(q) : 1;
		if (c == '"' || c == '\\') {
			*p++ = '\\', *p++ = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			*p++ = '\\', *p++ = 'u', *p++ = '0', *p++ = '0';
			*p++ = "0123456789abcdef"[c >> 4], *p++ = "0123456789abcdef"[c & 15];
		} else if (n == 0) {
			memcpy(p, "\\ufffd", 6);
			p += 6;
			n = 1;
		} else {
			memcpy(p, q, n);
			p += n;
		}
		q += n;
	}
	return p;
}

/* Appends at most max bytes of s as a quoted JSON string (at most 6 * max + 2 bytes). */
static char *put_json_string(char *p, const char *s, size_t max)
{
	char tmp[64];
	size_t n = 0;
	while (n < max && n < sizeof tmp - 1 && s[n])
		n++;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	*p++ = '"';
	p = put_json_body(p, tmp);
	*p++ = '"';
	return p;
}

void trace_write_json_string(FILE *out, const char *s)
{
	char buf[6 * 256];
	fputc('"', out);
	while (*s) { /* in pieces that end on a NUL or between sequences */
		char piece[257];
		size_t n = 0;
		while (n < 252 && s[n])
			n++;
		while (s[n] && n < 256 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n++; /* the rest of a sequence cut at the piece's end */
		memcpy(piece, s, n);
		piece[n] = 0;
		fwrite(buf, 1, (size_t)(put_json_body(buf, piece) - buf), out);
		s += n;
	}
	fputc('"', out);
}

static char *put_lit(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "0x..." in lowercase hex without leading zeros, in quotes. */
static char *put_hex(char *p, uint64_t v)
{
	*p++ = '"', *p++ = '0', *p++ = 'x';
	int shift = 60;
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = "0123456789abcdef"[v >> shift & 15];
	*p++ = '"';
	return p;
}

/* Appends the value of field f of ev as JSON. */
static char *put_value(char *p, const struct heap_event *ev, const struct heap_field *f)
{
	switch (f->type) {
	case HEAP_FT_KIND:
		*p++ = '"';
		p = put_lit(p, heap_event_kind_name(ev->kind));
		*p++ = '"';
		return p;
	case HEAP_FT_UINT:
	case HEAP_FT_INSTRET:
	case HEAP_FT_STACK:
		return put_u64(p, heap_field_get(ev, f));
	case HEAP_FT_ADDR:
	case HEAP_FT_CODE:
		return put_hex(p, heap_field_get(ev, f));
	case HEAP_FT_ALIGN:
	case HEAP_FT_ALIGN_ANY:
		return put_u64(p, ev->align_log2 < 64 ? (uint64_t)1 << ev->align_log2 : 0);
	case HEAP_FT_MERGED:
		*p++ = '"';
		p = put_lit(p, heap_merged_name(ev->flags));
		*p++ = '"';
		return p;
	case HEAP_FT_PANIC:
		return put_lit(p, (ev->flags & HEAP_END_PANIC) ? "true" : "false");
	case HEAP_FT_OP:
		return put_json_string(p, heap_misuse_op_name(HEAP_MISUSE_OP(ev->flags)), 16);
	case HEAP_FT_ERROR: {
		const char *err = heap_misuse_error_name(HEAP_MISUSE_ERROR(ev->flags));
		return put_json_string(p, err ? err : "?", 40);
	}
	case HEAP_FT_NAME:
		return put_json_string(p, ev->name, HEAP_MARKER_NAME_MAX);
	case HEAP_FT_POLICY:
		*p++ = '"';
		p = put_lit(p, heap_policy_name(ev->flags));
		*p++ = '"';
		return p;
	}
	return p;
}

size_t trace_format_field(char *buf, const struct heap_event *ev, const struct heap_field *f)
{
	return (size_t)(put_value(buf, ev, f) - buf);
}

/* Appends ,"name":value for each field of list (the first without the comma). */
static char *put_fields(char *p, const struct heap_event *ev, const struct heap_field *f,
                        bool with_instret, bool first)
{
	for (; f->name; f++) {
		if (f->type == HEAP_FT_INSTRET && !with_instret)
			continue;
		if (heap_field_optional(f) && heap_field_get(ev, f) == 0)
			continue; /* optional: 0 (first fit, no stack) is not written */
		if (!first)
			*p++ = ',';
		first = false;
		*p++ = '"';
		memcpy(p, f->name, f->len);
		p += f->len;
		*p++ = '"', *p++ = ':';
		p = put_value(p, ev, f);
	}
	return p;
}

size_t trace_format_event(char *buf, const struct heap_event *ev, bool with_instret)
{
	char *p = buf;
	*p++ = '{';
	p = put_fields(p, ev, heap_event_common_fields(), with_instret, true);
	p = put_fields(p, ev, heap_event_fields(ev->kind), with_instret, false);
	*p++ = '}', *p++ = '\n';
	return (size_t)(p - buf);
}

bool trace_write_header(FILE *out, const struct trace_header *h)
{
	fprintf(out, "{\"format\":\"%s\",\"version\":%d,\"channel\":", TRACE_FORMAT_NAME,
	        TRACE_FORMAT_VERSION);
	trace_write_json_string(out, h->channel);
	fputs(",\"workload\":", out);
	trace_write_json_string(out, h->workload);
	fprintf(out,
	        ",\"heap_base\":\"0x%" PRIx64 "\",\"heap_size\":%" PRIu64 ",\"min_block\":%" PRIu64
	        ",\"min_align\":%" PRIu64 ",\"time_hz\":%" PRIu64 ",\"instret\":%s,\"elf\":",
	        h->heap_base, h->heap_size, h->min_block, h->min_align, h->time_hz,
	        h->has_instret ? "true" : "false");
	trace_write_json_string(out, h->elf);
	if (h->policy != HEAP_POLICY_FIRST) /* optional, as in INIT: first fit is not written */
		fprintf(out, ",\"policy\":\"%s\"", heap_policy_name(h->policy));
	if (h->stack_depth) /* optional: a trace without stacks is unchanged */
		fprintf(out, ",\"stack_depth\":%" PRIu32, h->stack_depth);
	fputs("}\n", out);
	return !ferror(out);
}

bool trace_write_event(FILE *out, const struct heap_event *ev, bool with_instret)
{
	if (ev->kind >= HEAP_EV_COUNT)
		return false;
	char line[TRACE_EVENT_LINE_MAX];
	fwrite(line, 1, trace_format_event(line, ev, with_instret), out);
	return !ferror(out);
}

/* Writes "fn":FN,"src":SRC (NULL: "??" and "??:0"). */
static void put_fn_src(FILE *out, const char *fn, const char *src)
{
	fputs("\"" TRACE_SYM_FN "\":", out);
	trace_write_json_string(out, fn ? fn : "??");
	fputs(",\"" TRACE_SYM_SRC "\":", out);
	trace_write_json_string(out, src ? src : "??:0");
}

bool trace_write_symbol_record(FILE *out, const struct trace_symbol *sym)
{
	fprintf(out, "{\"%s\":\"" TRACE_SYM_KIND "\",\"" TRACE_SYM_ADDR "\":\"0x%" PRIx64 "\",",
	        trace_schema_kind_key(), sym->addr);
	put_fn_src(out, sym->fn, sym->src);
	uint32_t n = sym->n_inlined < TRACE_INLINED_MAX ? sym->n_inlined : TRACE_INLINED_MAX;
	if (n) {
		fputs(",\"" TRACE_SYM_INLINED "\":[", out);
		for (uint32_t i = 0; i < n; i++) {
			fputs(i ? ",{" : "{", out);
			put_fn_src(out, sym->inlined[i].fn, sym->inlined[i].src);
			fputc('}', out);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
	return !ferror(out);
}

bool trace_write_symbol(FILE *out, uint64_t addr, const char *fn, const char *src)
{
	struct trace_symbol sym = {.addr = addr, .fn = fn, .src = src};
	return trace_write_symbol_record(out, &sym);
}

bool trace_write_stack(FILE *out, uint32_t id, uint32_t depth, const uint64_t *frames)
{
	if (id == 0 || depth == 0 || depth > TRACE_STACK_DEPTH_MAX)
		return false;
	char line[64 + TRACE_STACK_DEPTH_MAX * 22], *p = line;
	*p++ = '{';
	p = put_lit(p, "\"");
	p = put_lit(p, trace_schema_kind_key());
	p = put_lit(p, "\":\"" TRACE_STACK_KIND "\",\"" TRACE_STACK_ID "\":");
	p = put_u64(p, id);
	p = put_lit(p, ",\"" TRACE_STACK_FRAMES "\":[");
	for (uint32_t i = 0; i < depth; i++) {
		if (i)
			*p++ = ',';
		p = put_hex(p, frames[i]);
	}
	p = put_lit(p, "]}\n");
	fwrite(line, 1, (size_t)(p - line), out);
	return !ferror(out);
}
