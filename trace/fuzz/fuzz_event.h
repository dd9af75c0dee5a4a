/* fuzz_event.h - the properties of decoded events the fuzz targets share: what
 * a well-formed struct heap_event looks like, and equality of two events as
 * the JSON trace carries them (fields a kind does not use are not compared).
 *
 * Included by one target source each; everything here is static.
 */
#ifndef FUZZ_EVENT_H
#define FUZZ_EVENT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "heap_event.h"

/* Clears the fields the JSON line of ev's kind does not carry
 * (docs/trace-format.md), so that two events compare by what a trace says. */
static inline void fuzz_event_normalize(struct heap_event *ev, bool with_instret)
{
	struct heap_event n;
	memset(&n, 0, sizeof n);
	n.kind = ev->kind;
	n.seq = ev->seq;
	n.time = ev->time;
	n.instret = with_instret ? ev->instret : 0;
	switch (ev->kind) {
	case HEAP_EV_INIT:
		n.addr = ev->addr, n.size = ev->size, n.block = ev->block;
		n.align_log2 = ev->align_log2;
		break;
	case HEAP_EV_ALLOC:
		n.examined = ev->examined;
		/* fall through */
	case HEAP_EV_FREE:
		n.addr = ev->addr, n.size = ev->size, n.block = ev->block;
		n.align_log2 = ev->align_log2, n.caller = ev->caller;
		break;
	case HEAP_EV_SPLIT:
		n.addr = ev->addr, n.size = ev->size, n.addr2 = ev->addr2, n.size2 = ev->size2;
		break;
	case HEAP_EV_COALESCE:
		n.addr = ev->addr, n.size = ev->size, n.addr2 = ev->addr2, n.size2 = ev->size2;
		n.flags = ev->flags;
		break;
	case HEAP_EV_ALLOC_FAIL:
		n.size = ev->size, n.block = ev->block, n.size2 = ev->size2;
		n.align_log2 = ev->align_log2, n.caller = ev->caller, n.examined = ev->examined;
		break;
	case HEAP_EV_REALLOC:
		n.addr = ev->addr, n.size = ev->size, n.addr2 = ev->addr2, n.size2 = ev->size2;
		n.caller = ev->caller;
		break;
	case HEAP_EV_MARKER:
		strncpy(n.name, ev->name, HEAP_MARKER_NAME_MAX);
		break;
	case HEAP_EV_DROP:
		n.size = ev->size;
		break;
	case HEAP_EV_END:
		n.size = ev->size, n.block = ev->block, n.size2 = ev->size2;
		n.flags = ev->flags;
		break;
	case HEAP_EV_MISUSE:
		n.addr = ev->addr, n.size = ev->size, n.size2 = ev->size2, n.flags = ev->flags;
		n.align_log2 = ev->align_log2, n.caller = ev->caller;
		break;
	}
	if (heap_event_has_caller(ev->kind))
		n.stack = ev->stack;
	*ev = n;
}

/* Whether a and b are the same event, field by field (memcmp would compare
 * padding and the bytes after a marker name's NUL). */
static inline bool fuzz_event_equal(const struct heap_event *a, const struct heap_event *b)
{
	return a->kind == b->kind && a->flags == b->flags && a->align_log2 == b->align_log2 &&
	       a->examined == b->examined && a->seq == b->seq && a->time == b->time &&
	       a->instret == b->instret && a->addr == b->addr && a->size == b->size &&
	       a->block == b->block && a->addr2 == b->addr2 && a->size2 == b->size2 &&
	       a->caller == b->caller && a->stack == b->stack &&
	       strncmp(a->name, b->name, sizeof a->name) == 0;
}

/* One line describing ev, for failure messages. */
static inline const char *fuzz_event_str(const struct heap_event *e, char *buf, size_t n)
{
	snprintf(buf, n,
	         "{kind %u flags %u align_log2 %u ex %u seq %llu t %llu n %llu addr %#llx "
	         "size %llu block %llu addr2 %#llx size2 %llu caller %#llx stack %u name \"%.32s\"}",
	         e->kind, e->flags, e->align_log2, e->examined, (unsigned long long)e->seq,
	         (unsigned long long)e->time, (unsigned long long)e->instret,
	         (unsigned long long)e->addr, (unsigned long long)e->size,
	         (unsigned long long)e->block, (unsigned long long)e->addr2,
	         (unsigned long long)e->size2, (unsigned long long)e->caller, e->stack, e->name);
	return buf;
}

#endif /* FUZZ_EVENT_H */
