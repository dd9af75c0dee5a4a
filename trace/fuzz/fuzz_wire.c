/* fuzz_wire.c - libFuzzer target: the wire decoder (kernel/trace_wire.h) on a
 * raw semihosting stream: header, then events until the input ends or is
 * corrupt.
 *
 * Properties, for any input: no crash; each decoded event uses at most the
 * bytes given, and at least one unless it is a pair record's second event;
 * a kind in range; a marker name terminated; the state is untouched when
 * decoding fails (trace_wire.h); the same event cut one byte short is
 * WIRE_NEED_MORE, never another event; and every decoded event, encoded
 * again by an encoder that has seen the same events, decodes to itself. A
 * STACK record (WIRE_STACK) changes nothing but st->stack, has an id and a
 * depth in range, is WIRE_NEED_MORE one byte short, and re-encodes to a
 * record that decodes to the same stack.
 */
#include "fuzz_event.h"
#include "fuzz_util.h"
#include "trace_wire.h"

/* The properties of a STACK record decoded from in[0..len) in used bytes:
 * before is the state before, after the state it left. */
static void check_stack(const struct wire_state *before, const struct wire_state *after,
                        const uint8_t *in, size_t len, size_t used)
{
	const struct wire_stack *s = &after->stack;
	FUZZ_ASSERT(used > 0 && used <= len && used <= WIRE_STACK_MAX, "stack record of %zu bytes",
	            used);
	FUZZ_ASSERT(!memcmp(before, after, offsetof(struct wire_state, stack)),
	            "a stack record changed the event state");
	FUZZ_ASSERT(s->id >= 1 && s->id <= WIRE_STACK_IDS, "stack id %u", s->id);
	FUZZ_ASSERT(s->depth >= 1 && s->depth <= WIRE_STACK_DEPTH_MAX, "stack depth %u", s->depth);
	static struct wire_state cut, enc, dec;
	cut = *before;
	struct heap_event ev;
	size_t used2;
	const char *why;
	enum wire_status ws = wire_decode(&cut, in, used - 1, &ev, &used2, &why);
	FUZZ_ASSERT(ws == WIRE_NEED_MORE, "a %zu-byte stack record cut short gave status %d", used,
	            (int)ws);
	uint8_t buf[WIRE_STACK_MAX];
	size_t n = wire_encode_stack(&enc, s, buf);
	FUZZ_ASSERT(n >= 4 && n <= WIRE_STACK_MAX, "stack encoded in %zu bytes", n);
	ws = wire_decode(&dec, buf, n, &ev, &used2, &why);
	FUZZ_ASSERT(ws == WIRE_STACK && used2 == n, "re-encoded stack %u does not decode: %s",
	            s->id, why ? why : "");
	FUZZ_ASSERT(dec.stack.id == s->id && dec.stack.depth == s->depth &&
	                !memcmp(dec.stack.frames, s->frames, s->depth * sizeof s->frames[0]),
	            "re-encoded stack %u decodes to another stack", s->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_stream_info info;
	size_t used;
	const char *why = NULL;
	enum wire_status ws = wire_decode_header(data, size, &info, &used, &why);
	if (ws != WIRE_OK) {
		FUZZ_ASSERT(ws == WIRE_NEED_MORE || why, "corrupt header without a reason");
		return 0;
	}
	FUZZ_ASSERT(used <= size && used >= 8, "header of %zu bytes", used);
	FUZZ_ASSERT(memchr(info.name, 0, sizeof info.name), "workload name not terminated");

	bool instret = info.flags & WIRE_FLAG_INSTRET;
	static struct wire_state st, before, enc, dec;
	wire_state_init(&st, instret);
	wire_state_init(&enc, instret);
	wire_state_init(&dec, instret);
	size_t pos = used;
	for (;;) {
		if (pos >= size && !wire_pending(&st))
			break;
		struct heap_event ev;
		before = st;
		bool pending = wire_pending(&st);
		ws = wire_decode(&st, data + pos, size - pos, &ev, &used, &why);
		if (ws == WIRE_STACK) {
			check_stack(&before, &st, data + pos, size - pos, used);
			pos += used;
			continue;
		}
		if (ws != WIRE_OK) {
			FUZZ_ASSERT(!memcmp(&st, &before, sizeof st), "state changed by a failed decode");
			FUZZ_ASSERT(ws == WIRE_NEED_MORE || why, "corrupt event without a reason");
			break;
		}
		FUZZ_ASSERT(used <= size - pos, "used %zu of %zu bytes", used, size - pos);
		FUZZ_ASSERT(used > 0 || pending, "an event from no bytes");
		FUZZ_ASSERT(ev.kind < HEAP_EV_COUNT, "kind %u", ev.kind);
		FUZZ_ASSERT(memchr(ev.name, 0, sizeof ev.name), "marker name not terminated");

		if (used > 0) { /* the same record one byte short */
			struct wire_state cut = before;
			struct heap_event ev2;
			size_t used2;
			enum wire_status ws2 = wire_decode(&cut, data + pos, used - 1, &ev2, &used2, &why);
			FUZZ_ASSERT(ws2 == WIRE_NEED_MORE,
			            "a %zu-byte record cut to %zu bytes gave status %d", used, used - 1,
			            (int)ws2);
		}

		/* encode it again, decode that */
		uint8_t buf[WIRE_EVENT_MAX];
		size_t n = wire_encode(&enc, &ev, buf);
		FUZZ_ASSERT(n >= 1 && n <= WIRE_EVENT_MAX, "encoded in %zu bytes", n);
		struct heap_event back;
		size_t used3;
		ws = wire_decode(&dec, buf, n, &back, &used3, &why);
		char a[400], b[400];
		FUZZ_ASSERT(ws == WIRE_OK && used3 == n, "re-encoded %s does not decode: %s",
		            fuzz_event_str(&ev, a, sizeof a), why ? why : "");
		/* compared by the fields the kind uses: a raw record may carry a name
		 * for any kind, which the encoder writes for markers only */
		fuzz_event_normalize(&ev, instret);
		fuzz_event_normalize(&back, instret);
		FUZZ_ASSERT(fuzz_event_equal(&ev, &back), "re-encoded %s decodes as %s",
		            fuzz_event_str(&ev, a, sizeof a), fuzz_event_str(&back, b, sizeof b));
		pos += used;
		if (ev.kind == HEAP_EV_END)
			break;
	}
	return 0;
}
