/* event_text.c - events in words, for people: the misuse a run panicked on, any
 * event's fields (through the schema table). */
#include "trace_reader.h"

#include "heap.h"
#include "trace_schema.h"

#include <inttypes.h>
#include <stdio.h>

const char *trace_misuse_describe(const struct heap_event *ev, char *buf, size_t n)
{
	unsigned op = HEAP_MISUSE_OP(ev->flags), err = HEAP_MISUSE_ERROR(ev->flags);
	const char *err_name = heap_misuse_error_name(err);
	if (op == HEAP_OP_VEC_INDEX) {
		snprintf(buf, n,
		         "vector index %" PRIu64 " out of range (len %" PRIu64
		         ", elements at 0x%" PRIx64 ")",
		         ev->size, ev->size2, ev->addr);
		return buf;
	}
	char detail[64] = "";
	if (op == HEAP_OP_DEALLOC && ev->align_log2 < 64)
		snprintf(detail, sizeof detail, " (size %" PRIu64 ", align %llu)", ev->size,
		         1ull << ev->align_log2);
	else if (op == HEAP_OP_DEALLOC)
		snprintf(detail, sizeof detail, " (size %" PRIu64 ", align not a power of two)",
		         ev->size);
	else if (op == HEAP_OP_REALLOC)
		snprintf(detail, sizeof detail, " (new size %" PRIu64 ")", ev->size);
	if (err == HEAP_ERR_DOUBLE_FREE)
		snprintf(buf, n, "double free of 0x%" PRIx64 "%s", ev->addr, detail);
	else
		snprintf(buf, n, "%s of 0x%" PRIx64 "%s: %s", heap_misuse_op_name(op), ev->addr,
		         detail, err_name && err_name[0] ? err_name : "refused");
	return buf;
}

const char *trace_event_fields_text(const struct heap_event *ev, char *buf, size_t n)
{
	size_t o = 0;
	if (n)
		buf[0] = 0;
	for (const struct heap_field *f = heap_event_fields(ev->kind); f->name && o < n; f++) {
		if (f->type == HEAP_FT_CODE || f->type == HEAP_FT_STACK)
			continue; /* the caller and its stack are named by the one who asks */
		char label[64], v[TRACE_EVENT_LINE_MAX];
		o += (size_t)snprintf(buf + o, n - o, "%s%s %s", o ? ", " : "",
		                      trace_schema_field_label(f, label, sizeof label),
		                      trace_schema_value_text(ev, f, v, sizeof v));
	}
	return buf;
}
