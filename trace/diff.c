/* diff.c - comparison of two heap traces: events in lockstep, metric table, thresholds (diff.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diff.h"

/* JSON name of field f for an event of kind k (docs/trace-format.md), or NULL
 * when the field does not belong to that kind. */
const char *diff_field_name(unsigned kind, unsigned field)
{
	switch (field) {
	case DIFF_F_KIND: return "k";
	case DIFF_F_SEQ: return "i";
	default: break;
	}
	switch (kind) {
	case HEAP_EV_INIT:
		switch (field) {
		case DIFF_F_ADDR: return "addr";
		case DIFF_F_SIZE: return "size";
		case DIFF_F_BLOCK: return "min_block";
		case DIFF_F_ALIGN: return "min_align";
		}
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		switch (field) {
		case DIFF_F_ADDR: return "addr";
		case DIFF_F_SIZE: return "size";
		case DIFF_F_ALIGN: return "align";
		case DIFF_F_BLOCK: return "block";
		case DIFF_F_CALLER: return "caller";
		case DIFF_F_EXAMINED: return kind == HEAP_EV_ALLOC ? "ex" : NULL;
		}
		break;
	case HEAP_EV_SPLIT:
		switch (field) {
		case DIFF_F_ADDR: return "addr";
		case DIFF_F_SIZE: return "size";
		case DIFF_F_ADDR2: return "rem_addr";
		case DIFF_F_SIZE2: return "rem_size";
		}
		break;
	case HEAP_EV_COALESCE:
		switch (field) {
		case DIFF_F_ADDR: return "addr";
		case DIFF_F_SIZE: return "size";
		case DIFF_F_ADDR2: return "freed_addr";
		case DIFF_F_SIZE2: return "freed_size";
		case DIFF_F_FLAGS: return "merged";
		}
		break;
	case HEAP_EV_ALLOC_FAIL:
		switch (field) {
		case DIFF_F_SIZE: return "size";
		case DIFF_F_ALIGN: return "align";
		case DIFF_F_CALLER: return "caller";
		case DIFF_F_EXAMINED: return "ex";
		case DIFF_F_BLOCK: return "free";
		case DIFF_F_SIZE2: return "largest";
		}
		break;
	case HEAP_EV_REALLOC:
		switch (field) {
		case DIFF_F_ADDR: return "addr";
		case DIFF_F_SIZE: return "size";
		case DIFF_F_ADDR2: return "old_addr";
		case DIFF_F_SIZE2: return "old_size";
		case DIFF_F_CALLER: return "caller";
		}
		break;
	case HEAP_EV_MARKER:
		if (field == DIFF_F_NAME)
			return "name";
		break;
	case HEAP_EV_DROP:
		if (field == DIFF_F_SIZE)
			return "count";
		break;
	case HEAP_EV_END:
		switch (field) {
		case DIFF_F_SIZE: return "events";
		case DIFF_F_BLOCK: return "used";
		case DIFF_F_SIZE2: return "dropped";
		case DIFF_F_FLAGS: return "panic";
		}
		break;
	}
	return NULL;
}

/* Whether two callers are the same code: equal addresses, or (unless
 * addresses are required) both resolved to the same function and source. */
static bool caller_same(uint64_t a, uint64_t b, const struct diff_event_ctx *ctx)
{
	if (a == b)
		return true;
	if (ctx->ignore_callers)
		return true;
	if (!ctx->base || !ctx->new)
		return false;
	const struct trace_symbol *sa = trace_reader_symbol(ctx->base, a);
	const struct trace_symbol *sb = trace_reader_symbol(ctx->new, b);
	if (!sa || !sb || !strcmp(sa->fn, "??") || !strcmp(sb->fn, "??"))
		return false;
	return !strcmp(sa->fn, sb->fn);
}

unsigned diff_event_compare(const struct heap_event *a, const struct heap_event *b,
			    const struct diff_event_ctx *ctx)
{
	unsigned m = 0;
	if (a->kind != b->kind)
		m |= DIFF_F_KIND;
	if (a->seq != b->seq)
		m |= DIFF_F_SEQ;
	if (a->addr != b->addr)
		m |= DIFF_F_ADDR;
	if (a->size != b->size)
		m |= DIFF_F_SIZE;
	if (a->block != b->block)
		m |= DIFF_F_BLOCK;
	if (a->align_log2 != b->align_log2)
		m |= DIFF_F_ALIGN;
	if (a->examined != b->examined)
		m |= DIFF_F_EXAMINED;
	if (a->addr2 != b->addr2)
		m |= DIFF_F_ADDR2;
	if (a->size2 != b->size2)
		m |= DIFF_F_SIZE2;
	if (a->flags != b->flags)
		m |= DIFF_F_FLAGS;
	if (!caller_same(a->caller, b->caller, ctx))
		m |= DIFF_F_CALLER;
	if (a->kind == HEAP_EV_MARKER && b->kind == HEAP_EV_MARKER &&
	    strncmp(a->name, b->name, sizeof a->name))
		m |= DIFF_F_NAME;
	/* a field that belongs to neither kind is not a difference the user can
	 * read; the kinds differing already says it all */
	if (!(m & DIFF_F_KIND))
		for (unsigned f = DIFF_F_ADDR; f <= DIFF_F_NAME; f <<= 1)
			if ((m & f) && !diff_field_name(a->kind, f))
				m &= ~f;
	return m;
}

int diff_fields_format(unsigned kind, unsigned mask, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = 0;
	for (unsigned f = 1; f <= DIFF_F_NAME; f <<= 1) {
		if (!(mask & f))
			continue;
		const char *name = diff_field_name(kind, f);
		int w = snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
				 name ? name : "?");
		if (w < 0)
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

/* Adds a hex-string member (addresses). */
static void add_hex(cJSON *o, const char *key, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof s, "0x%" PRIx64, v);
	cJSON_AddStringToObject(o, key, s);
}

cJSON *diff_event_json(const struct heap_event *ev, const trace_reader *r)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "i", (double)ev->seq);
	cJSON_AddStringToObject(o, "k", heap_event_kind_name(ev->kind));
	cJSON_AddNumberToObject(o, "t", (double)ev->time);
	uint64_t align = ev->align_log2 < 64 ? (uint64_t)1 << ev->align_log2 : 0;
	switch (ev->kind) {
	case HEAP_EV_INIT:
		add_hex(o, "addr", ev->addr);
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		cJSON_AddNumberToObject(o, "min_block", (double)ev->block);
		cJSON_AddNumberToObject(o, "min_align", (double)align);
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		add_hex(o, "addr", ev->addr);
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		cJSON_AddNumberToObject(o, "align", (double)align);
		cJSON_AddNumberToObject(o, "block", (double)ev->block);
		add_hex(o, "caller", ev->caller);
		if (ev->kind == HEAP_EV_ALLOC)
			cJSON_AddNumberToObject(o, "ex", ev->examined);
		break;
	case HEAP_EV_SPLIT:
		add_hex(o, "addr", ev->addr);
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		add_hex(o, "rem_addr", ev->addr2);
		cJSON_AddNumberToObject(o, "rem_size", (double)ev->size2);
		break;
	case HEAP_EV_COALESCE: {
		unsigned both = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
		add_hex(o, "addr", ev->addr);
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		add_hex(o, "freed_addr", ev->addr2);
		cJSON_AddNumberToObject(o, "freed_size", (double)ev->size2);
		cJSON_AddStringToObject(o, "merged",
					(ev->flags & both) == both ? "both"
					: (ev->flags & HEAP_MERGED_PREV) ? "prev"
					: (ev->flags & HEAP_MERGED_NEXT) ? "next" : "none");
		break;
	}
	case HEAP_EV_ALLOC_FAIL:
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		cJSON_AddNumberToObject(o, "align", (double)align);
		add_hex(o, "caller", ev->caller);
		cJSON_AddNumberToObject(o, "ex", ev->examined);
		cJSON_AddNumberToObject(o, "free", (double)ev->block);
		cJSON_AddNumberToObject(o, "largest", (double)ev->size2);
		break;
	case HEAP_EV_REALLOC:
		add_hex(o, "addr", ev->addr);
		cJSON_AddNumberToObject(o, "size", (double)ev->size);
		add_hex(o, "old_addr", ev->addr2);
		cJSON_AddNumberToObject(o, "old_size", (double)ev->size2);
		add_hex(o, "caller", ev->caller);
		break;
	case HEAP_EV_MARKER: {
		char name[sizeof ev->name];
		memcpy(name, ev->name, sizeof name);
		name[sizeof name - 1] = 0;
		cJSON_AddStringToObject(o, "name", name);
		break;
	}
	case HEAP_EV_DROP:
		cJSON_AddNumberToObject(o, "count", (double)ev->size);
		break;
	case HEAP_EV_END:
		cJSON_AddNumberToObject(o, "events", (double)ev->size);
		cJSON_AddNumberToObject(o, "dropped", (double)ev->size2);
		cJSON_AddNumberToObject(o, "used", (double)ev->block);
		cJSON_AddBoolToObject(o, "panic", (ev->flags & HEAP_END_PANIC) != 0);
		break;
	}
	/* the caller's symbol, when the trace has one: easier to read */
	if (r && ev->caller) {
		const struct trace_symbol *s = trace_reader_symbol(r, ev->caller);
		if (s)
			cJSON_AddStringToObject(o, "fn", s->fn);
	}
	return o;
}
