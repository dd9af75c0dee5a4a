/* fuzz_roundtrip.c - libFuzzer property target: for every valid event,
 * event -> wire -> event and event -> JSON line -> event are identities.
 *
 * The fuzz bytes are read as a sequence of events; each is clamped to what
 * the trace format allows (heap_event.h, docs/trace-format.md): a kind in
 * range, only the fields its kind uses, sequence numbers that increase,
 * integers below 2^53 (alignments too), a coalesce that merged something,
 * an end's flag 0 or 1 and counts that agree with the events before it, a
 * marker name of well-formed UTF-8 (trace_event_check, trace_end_check). Most values are small steps from the
 * previous event's (times, sequence numbers, addresses near the heap), so the
 * encoder's compact forms are reached, not only its escape form. The whole
 * sequence goes through one encoder and one decoder, as in a capture, and
 * through one JSON trace, as heaptrace decode writes it. When the first byte's
 * bit 1 is set, STACK records (any id and depth in range, frames near the
 * kernel's text) come between the events, as in a capture with trace.depth;
 * each must decode (WIRE_STACK) to itself and leave the event state alone.
 */
#include "fuzz_event.h"
#include "fuzz_util.h"
#include "trace_reader.h"
#include "trace_wire.h"
#include "utf8.h"

#define EVENTS_MAX 256

struct bytes {
	const uint8_t *p, *end;
};

static uint8_t take8(struct bytes *b)
{
	return b->p < b->end ? *b->p++ : 0;
}

/* A value: mostly small (one byte), sometimes 16 or 64 bits. */
static uint64_t take(struct bytes *b)
{
	uint8_t sel = take8(b);
	if (sel < 0xc0)
		return sel;
	uint64_t v = 0;
	int n = sel < 0xf0 ? 2 : 8;
	for (int i = 0; i < n; i++)
		v = v << 8 | take8(b);
	return v;
}

/* An address: near the heap, in 16-byte units, or anything. */
static uint64_t take_addr(struct bytes *b, uint64_t near)
{
	uint8_t sel = take8(b);
	if (sel < 0x80)
		return near + (uint64_t)sel * 16;
	if (sel < 0xf0)
		return 0x80400000u + take(b) * 16;
	return take(b);
}

/* A JSON integer: below 2^53 even times 16. */
static uint64_t take_int(struct bytes *b)
{
	return take(b) & ((TRACE_INT_LIMIT >> 4) - 1);
}

/* Builds the next event from the fuzz bytes; false if the sequence has run out
 * of sequence numbers (the trace ends there). *dropped: the drop counts so far. */
static bool make_event(struct bytes *b, struct heap_event *ev, const struct heap_event *prev,
                       bool instret, uint64_t *dropped)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = take8(b) % HEAP_EV_COUNT;
	uint8_t step = take8(b);
	uint64_t jump = step < 0xe0 ? 0 : take(b);
	if (!prev)
		ev->seq = jump;
	else if (__builtin_add_overflow(prev->seq, jump, &ev->seq) ||
	         __builtin_add_overflow(ev->seq, 1, &ev->seq))
		return false; /* no sequence number is left for this event */
	if (ev->seq >= TRACE_INT_LIMIT)
		return false;
	ev->time = ((prev ? prev->time : 0) + take(b)) & (TRACE_INT_LIMIT - 1);
	ev->instret = instret ? ((prev ? prev->instret : 0) + take(b)) & (TRACE_INT_LIMIT - 1) : 0;
	uint64_t near = prev ? prev->addr : 0x80400000u;
	switch (ev->kind) {
	case HEAP_EV_INIT:
		ev->addr = take_addr(b, near), ev->size = take_int(b) * 16, ev->block = take_int(b);
		ev->align_log2 = take8(b) % 53;
		break;
	case HEAP_EV_ALLOC:
		ev->examined = (uint32_t)take(b);
		/* fall through */
	case HEAP_EV_FREE:
		ev->addr = take_addr(b, near), ev->size = take_int(b), ev->block = take_int(b) * 16;
		ev->align_log2 = take8(b) % 53, ev->caller = take_addr(b, 0x80200000u);
		break;
	case HEAP_EV_SPLIT:
	case HEAP_EV_COALESCE:
	case HEAP_EV_REALLOC:
		ev->addr = take_addr(b, near), ev->size = take_int(b) * 16;
		ev->addr2 = take_addr(b, ev->addr), ev->size2 = take_int(b) * 16;
		if (ev->kind == HEAP_EV_COALESCE)
			ev->flags = 1 + take8(b) % 3;
		if (ev->kind == HEAP_EV_REALLOC)
			ev->caller = take_addr(b, 0x80200000u);
		break;
	case HEAP_EV_ALLOC_FAIL:
		ev->size = take_int(b), ev->block = take_int(b) * 16, ev->size2 = take_int(b) * 16;
		ev->align_log2 = take8(b) % 53, ev->caller = take_addr(b, 0x80200000u);
		ev->examined = (uint32_t)take(b);
		break;
	case HEAP_EV_MARKER: {
		size_t n = take8(b) % (HEAP_MARKER_NAME_MAX + 1);
		for (size_t i = 0; i < n; i++)
			ev->name[i] = (char)take8(b);
		utf8_sanitize(ev->name); /* a NUL taken ends it */
		break;
	}
	case HEAP_EV_DROP:
		ev->size = take(b) & ((1ull << 44) - 1); /* EVENTS_MAX of them stay below 2^53 */
		*dropped += ev->size;
		break;
	case HEAP_EV_END:
		ev->size = ev->seq + 1, ev->block = take_int(b), ev->size2 = *dropped;
		ev->flags = take8(b) & 1;
		break;
	case HEAP_EV_MISUSE: {
		unsigned op = take8(b) % HEAP_OP_COUNT, err = take8(b);
		while (!heap_misuse_error_name(err)) /* a value the format names */
			err >>= 1;
		ev->flags = HEAP_MISUSE_FLAGS(op, err);
		ev->addr = take_addr(b, near), ev->size = take_int(b), ev->size2 = take_int(b);
		uint8_t l = take8(b);
		ev->align_log2 = l == 0xff ? HEAP_MISUSE_ALIGN_BAD : l % 53;
		ev->caller = take_addr(b, 0x80200000u);
		break;
	}
	}
	return true;
}

/* A STACK record from the fuzz bytes: any id and depth in range. */
static void make_stack(struct bytes *b, struct wire_stack *s)
{
	memset(s, 0, sizeof *s);
	s->id = 1 + (uint32_t)(take(b) % WIRE_STACK_IDS);
	s->depth = 1 + take8(b) % WIRE_STACK_DEPTH_MAX;
	for (uint32_t i = 0; i < s->depth; i++)
		s->frames[i] = take_addr(b, i ? s->frames[i - 1] : 0x80200000u);
}

/* Sends s through enc and dec: it must come back whole, as WIRE_STACK, and
 * leave the event state of dec as it was. */
static void stack_round_trip(struct wire_state *enc, struct wire_state *dec,
                             const struct wire_stack *s)
{
	uint8_t buf[WIRE_STACK_MAX];
	size_t len = wire_encode_stack(enc, s, buf);
	FUZZ_ASSERT(len >= 4 && len <= WIRE_STACK_MAX, "stack %u encoded in %zu bytes", s->id, len);
	static struct wire_state before;
	before = *dec;
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	enum wire_status ws = wire_decode(dec, buf, len, &ev, &used, &why);
	FUZZ_ASSERT(ws == WIRE_STACK && used == len, "stack %u (depth %u): status %d, %zu of %zu "
	            "bytes: %s", s->id, s->depth, (int)ws, used, len, why ? why : "");
	FUZZ_ASSERT(!memcmp(&before, dec, offsetof(struct wire_state, stack)),
	            "stack %u changed the event state", s->id);
	FUZZ_ASSERT(dec->stack.id == s->id && dec->stack.depth == s->depth &&
	                !memcmp(dec->stack.frames, s->frames, sizeof s->frames),
	            "stack %u (depth %u) came back changed", s->id, s->depth);
}

static struct heap_event events[EVENTS_MAX];
static struct wire_stack stacks_before[EVENTS_MAX]; /* the STACK record before events[i] */
static bool has_stack[EVENTS_MAX];                  /* whether there is one */
static struct fuzz_file json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes b = {data, data + size};
	uint8_t mode = take8(&b);
	bool instret = mode & 1, stacks = mode & 2;
	size_t n = 0;
	uint64_t dropped = 0;
	while (b.p < b.end && n < EVENTS_MAX) {
		has_stack[n] = stacks && take8(&b) & 1;
		if (has_stack[n])
			make_stack(&b, &stacks_before[n]);
		if (!make_event(&b, &events[n], n ? &events[n - 1] : NULL, instret, &dropped))
			break;
		char sa[400];
		const char *bad = trace_event_check(&events[n], instret);
		FUZZ_ASSERT(!bad, "generated %s: %s", fuzz_event_str(&events[n], sa, sizeof sa), bad);
		n++;
		if (events[n - 1].kind == HEAP_EV_END)
			break; /* nothing follows an end */
	}

	/* event -> wire -> event, the whole sequence through one state each */
	static struct wire_state enc, dec;
	wire_state_init(&enc, instret);
	wire_state_init(&dec, instret);
	char sa[400], sb[400];
	for (size_t i = 0; i < n; i++) {
		if (has_stack[i])
			stack_round_trip(&enc, &dec, &stacks_before[i]);
		uint8_t buf[WIRE_EVENT_MAX + 1];
		size_t len = wire_encode(&enc, &events[i], buf);
		FUZZ_ASSERT(len >= 1 && len <= WIRE_EVENT_MAX, "event %zu encoded in %zu bytes", i,
		            len);
		struct heap_event back;
		size_t used;
		const char *why = NULL;
		enum wire_status ws = wire_decode(&dec, buf, len, &back, &used, &why);
		FUZZ_ASSERT(ws == WIRE_OK && used == len, "event %zu %s: status %d, %zu of %zu bytes: %s",
		            i, fuzz_event_str(&events[i], sa, sizeof sa), (int)ws, used, len,
		            why ? why : "");
		FUZZ_ASSERT(fuzz_event_equal(&events[i], &back), "wire changed event %zu: %s became %s",
		            i, fuzz_event_str(&events[i], sa, sizeof sa),
		            fuzz_event_str(&back, sb, sizeof sb));
	}

	/* event -> JSON -> event, as one trace */
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	FUZZ_ASSERT(f, "open_memstream failed");
	struct trace_header h = {.version = 1, .heap_base = 0x80400000u, .heap_size = 1u << 20,
	                         .min_block = 16, .min_align = 16, .time_hz = 10000000,
	                         .has_instret = instret};
	strcpy(h.channel, "semihosting");
	FUZZ_ASSERT(trace_write_header(f, &h), "header not written");
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(trace_write_event(f, &events[i], instret), "event %zu not written", i);
	fclose(f);
	char err[600];
	trace_reader *r = trace_reader_open(fuzz_file_set(&json, text, text_len), err, sizeof err);
	FUZZ_ASSERT(r, "written header not read back: %s", err);
	for (size_t i = 0; i < n; i++) {
		struct heap_event back;
		enum trace_read_status st = trace_reader_next(r, &back);
		FUZZ_ASSERT(st == TRACE_READ_EVENT, "event %zu %s not read back: %s", i,
		            fuzz_event_str(&events[i], sa, sizeof sa), trace_reader_error(r));
		FUZZ_ASSERT(fuzz_event_equal(&events[i], &back), "JSON changed event %zu: %s became %s",
		            i, fuzz_event_str(&events[i], sa, sizeof sa),
		            fuzz_event_str(&back, sb, sizeof sb));
	}
	FUZZ_ASSERT(trace_reader_next(&*r, &(struct heap_event){0}) == TRACE_READ_EOF,
	            "more events read than written");
	trace_reader_close(r);
	free(text);
	return 0;
}
