/* trace_wire.c - compact binary encoder and decoder of heap events (docs/trace-wire.md).
 *
 * Every event is a tag byte (kind in the low nibble, four kind-specific flags
 * in the high nibble) followed by varint fields. Times are deltas from the
 * previous event; addresses are zigzag deltas, in units of the minimum
 * alignment, from a predicted address; block sizes are deltas from the size
 * the request rounds to; callers go through a direct-mapped cache. Anything
 * these shortcuts cannot express exactly takes the escape form (tag 0x0f,
 * every field in full), so every event round-trips.
 *
 * Both sides advance the shared state with wire_advance() from the event
 * itself, whatever form it took, so encoder and decoder never drift apart.
 */
#include "trace_wire.h"

/* tag flag bits (high nibble) */
#define F0 0x10u
#define F1 0x20u
#define F2 0x40u
#define F3 0x80u

/* ---- primitives ----------------------------------------------------------- */

/* put_varint and zigzag are the header's wire_put_varint and wire_zigzag (one
 * definition, shared with the kernel's inline fast path). */
#define put_varint wire_put_varint
#define zigzag wire_zigzag

static inline int64_t unzigzag(uint64_t z)
{
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static inline unsigned cache_slot(uint64_t caller)
{
	return (unsigned)((caller >> 1) ^ (caller >> 7)) & (WIRE_CACHE_SIZE - 1);
}

static inline uint64_t expected_block(const struct wire_state *st, uint64_t size)
{
	return wire_expected_block(size, st->unit_log2, st->min_block);
}


void wire_state_init(struct wire_state *st, bool instret)
{
	st->next_seq = 0;
	st->time = 0;
	st->instret = 0;
	st->pred = 0;
	st->last_free = 0;
	st->last_block = 0;
	st->prev_caller = 0;
	st->unit_log2 = 4;
	st->min_block = 16;
	st->instret_on = instret;
	for (unsigned i = 0; i < WIRE_CACHE_SIZE; i++)
		st->cache[i] = 0;
	st->has_pending = false;
}

/* The state change an event of kind `kind` causes; identical on both sides.
 * Always inlined: with a constant kind the encoder's copy shrinks to the few
 * stores that kind needs. */
static inline __attribute__((always_inline)) void
advance(struct wire_state *st, const struct heap_event *ev, unsigned kind)
{
	st->next_seq = ev->seq + 1;
	st->time = ev->time;
	st->instret = ev->instret;
	switch (kind) {
	case HEAP_EV_INIT:
		st->pred = ev->addr;
		st->unit_log2 = ev->align_log2 <= 20 ? ev->align_log2 : 4;
		st->min_block = ev->block;
		break;
	case HEAP_EV_ALLOC:
		st->pred = ev->addr + ev->block;
		break;
	case HEAP_EV_FREE:
		st->pred = ev->addr;
		st->last_free = ev->addr;
		st->last_block = ev->block;
		break;
	case HEAP_EV_SPLIT:
	case HEAP_EV_COALESCE:
		st->pred = ev->addr;
		break;
	default:
		break;
	}
	if (heap_event_has_caller(kind)) {
		unsigned s = cache_slot(ev->caller);
		if (st->cache[s] != ev->caller) {
			st->cache[s] = ev->caller;
			st->prev_caller = ev->caller;
		}
	}
}

static void wire_advance(struct wire_state *st, const struct heap_event *ev)
{
	advance(st, ev, ev->kind);
}

size_t wire_encode_header(uint8_t *out, uint64_t time_hz, uint32_t flags, const char *name)
{
	uint8_t *p = out;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)WIRE_MAGIC[i];
	*p++ = WIRE_VERSION;
	*p++ = (uint8_t)flags;
	p = put_varint(p, time_hz);
	size_t n = 0;
	while (name && name[n] && n < WIRE_NAME_MAX)
		n++;
	*p++ = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		*p++ = (uint8_t)name[i];
	return (size_t)(p - out);
}

/* ---- encoder ---------------------------------------------------------------- */

/* Writes the caller: a cache index (sets F2) or a zigzag delta. */
static inline uint8_t *put_caller(const struct wire_state *st, uint8_t *p, uint64_t caller,
                                  unsigned *f)
{
	unsigned s = cache_slot(caller);
	if (st->cache[s] == caller) {
		*f |= F2;
		*p++ = (uint8_t)s;
		return p;
	}
	return put_varint(p, zigzag((int64_t)(caller - st->prev_caller)));
}

static size_t encode_raw(const struct heap_event *ev, uint8_t *out)
{
	uint8_t *p = out;
	*p++ = WIRE_TAG_RAW;
	*p++ = ev->kind;
	*p++ = ev->flags;
	*p++ = ev->align_log2;
	p = put_varint(p, ev->examined);
	p = put_varint(p, ev->seq);
	p = put_varint(p, ev->time);
	p = put_varint(p, ev->instret);
	p = put_varint(p, ev->addr);
	p = put_varint(p, ev->size);
	p = put_varint(p, ev->block);
	p = put_varint(p, ev->addr2);
	p = put_varint(p, ev->size2);
	p = put_varint(p, ev->caller);
	size_t n = 0;
	if (ev->kind == HEAP_EV_MARKER)
		while (n < HEAP_MARKER_NAME_MAX && ev->name[n])
			n++;
	*p++ = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		*p++ = (uint8_t)ev->name[i];
	return (size_t)(p - out);
}

/* Finishes a compact event: tag byte, state advance, length. */
#define COMPACT_DONE(KIND)                                                                         \
	do {                                                                                       \
		out[0] = (uint8_t)((KIND) | f);                                                    \
		advance(st, ev, (KIND));                                                           \
		return (size_t)(p - out);                                                          \
	} while (0)

size_t wire_encode(struct wire_state *st, const struct heap_event *ev, uint8_t *out)
{
	const unsigned u = st->unit_log2;
	const uint64_t umask = ((uint64_t)1 << u) - 1;
	uint8_t *p = out + 1;
	unsigned f = 0;

	/* the stream stamps: consecutive seq (DROP skips its count), time and
	 * instret never going back; anything else takes the escape form */
	const unsigned kind = ev->kind;
	if (ev->seq != st->next_seq + (kind == HEAP_EV_DROP ? ev->size : 0) || ev->time < st->time)
		goto raw;
	p = put_varint(p, ev->time - st->time);
	if (st->instret_on) {
		if (ev->instret < st->instret)
			goto raw;
		p = put_varint(p, ev->instret - st->instret);
	} else if (ev->instret != 0) {
		goto raw;
	}

	/* the four frequent kinds first, without the jump table */
	if (kind == HEAP_EV_SPLIT)
		goto do_split;
	if (kind == HEAP_EV_ALLOC)
		goto do_alloc;
	if (kind == HEAP_EV_FREE)
		goto do_free;
	if (kind == HEAP_EV_COALESCE)
		goto do_coalesce;
	switch (kind) {
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
	do_alloc:
	do_free : {
		/* alloc and free share one layout; an alloc adds its search count */
		uint64_t da = ev->addr - st->pred;
		uint64_t db = ev->block - expected_block(st, ev->size);
		if ((da | db) & umask)
			goto raw;
		if (ev->align_log2 == u)
			f |= F0;
		else
			*p++ = ev->align_log2;
		if (da == 0)
			f |= F3;
		else
			p = put_varint(p, zigzag((int64_t)da >> u));
		p = put_varint(p, ev->size);
		if (db == 0)
			f |= F1;
		else
			p = put_varint(p, zigzag((int64_t)db >> u));
		p = put_caller(st, p, ev->caller, &f);
		if (kind == HEAP_EV_ALLOC)
			p = put_varint(p, ev->examined);
		COMPACT_DONE(kind);
	}
	case HEAP_EV_SPLIT:
	do_split : {
		uint64_t da = ev->addr - st->pred;
		uint64_t off = ev->addr2 - ev->addr;
		bool none = (ev->addr2 | ev->size2) == 0; /* no remainder after the block */
		if ((da | ev->size) & umask ||
		    (!none && ((off | ev->size2) & umask || ev->addr2 < ev->addr)))
			goto raw;
		if (da == 0)
			f |= F3;
		else
			p = put_varint(p, zigzag((int64_t)da >> u));
		p = put_varint(p, ev->size >> u);
		if (none) {
			f |= F1;
		} else {
			p = put_varint(p, off >> u);
			if (ev->size2 == ev->size - off)
				f |= F0;
			else
				p = put_varint(p, ev->size2 >> u);
		}
		COMPACT_DONE(HEAP_EV_SPLIT);
	}
	case HEAP_EV_COALESCE:
	do_coalesce : {
		uint64_t back = ev->addr2 - ev->addr;
		uint64_t rest = ev->size - back - ev->size2;
		/* merge flags 1..3 only: the decoder refuses a compact coalesce that
		 * merged nothing (no allocator emits one; the escape form says it) */
		if ((back | ev->size | ev->size2) & umask || ev->addr2 < ev->addr ||
		    ev->size < back || ev->size - back < ev->size2 || ev->flags - 1u > 2u)
			goto raw;
		f |= (unsigned)ev->flags << 4;
		if (ev->addr2 == st->last_free && ev->size2 == st->last_block) {
			f |= F2;
		} else {
			uint64_t da = ev->addr2 - st->pred;
			if (da & umask)
				goto raw;
			p = put_varint(p, zigzag((int64_t)da >> u));
			p = put_varint(p, ev->size2 >> u);
		}
		if (back == 0)
			f |= F3;
		else
			p = put_varint(p, back >> u);
		p = put_varint(p, rest >> u);
		COMPACT_DONE(HEAP_EV_COALESCE);
	}
	case HEAP_EV_INIT:
		p = put_varint(p, ev->addr);
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->block);
		*p++ = ev->align_log2;
		COMPACT_DONE(HEAP_EV_INIT);
	case HEAP_EV_ALLOC_FAIL:
		if (ev->align_log2 == u)
			f |= F0;
		else
			*p++ = ev->align_log2;
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->block);
		p = put_varint(p, ev->size2);
		p = put_caller(st, p, ev->caller, &f);
		p = put_varint(p, ev->examined);
		COMPACT_DONE(HEAP_EV_ALLOC_FAIL);
	case HEAP_EV_REALLOC:
		p = put_varint(p, zigzag((int64_t)(ev->addr - st->pred)));
		p = put_varint(p, ev->size);
		p = put_varint(p, zigzag((int64_t)(ev->addr2 - st->pred)));
		p = put_varint(p, ev->size2);
		p = put_caller(st, p, ev->caller, &f);
		COMPACT_DONE(HEAP_EV_REALLOC);
	case HEAP_EV_MARKER: {
		size_t n = 0;
		while (n < HEAP_MARKER_NAME_MAX && ev->name[n])
			n++;
		*p++ = (uint8_t)n;
		for (size_t i = 0; i < n; i++)
			*p++ = (uint8_t)ev->name[i];
		COMPACT_DONE(HEAP_EV_MARKER);
	}
	case HEAP_EV_DROP:
		p = put_varint(p, ev->size);
		COMPACT_DONE(HEAP_EV_DROP);
	case HEAP_EV_END:
		if (ev->flags > 1)
			goto raw;
		if (ev->flags)
			f |= F0;
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->block);
		p = put_varint(p, ev->size2);
		COMPACT_DONE(HEAP_EV_END);
	case HEAP_EV_MISUSE:
		/* its own tag: kind 10's nibble is the split+alloc record's */
		*p++ = ev->flags;
		*p++ = ev->align_log2;
		p = put_varint(p, ev->addr);
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->size2);
		p = put_caller(st, p, ev->caller, &f);
		out[0] = (uint8_t)(WIRE_TAG_MISUSE | f);
		advance(st, ev, HEAP_EV_MISUSE);
		return (size_t)(p - out);
	default:
		break;
	}
raw:;
	size_t len = encode_raw(ev, out);
	wire_advance(st, ev);
	return len;
}

/* ---- decoder ---------------------------------------------------------------- */

struct rd {
	const uint8_t *p, *end;
	enum wire_status st; /* first problem met, WIRE_OK if none */
	const char *why;
};

static uint8_t get_u8(struct rd *r)
{
	if (r->p >= r->end) {
		if (r->st == WIRE_OK)
			r->st = WIRE_NEED_MORE;
		return 0;
	}
	return *r->p++;
}

static uint64_t get_varint(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (r->p >= r->end) {
			if (r->st == WIRE_OK)
				r->st = WIRE_NEED_MORE;
			return 0;
		}
		uint8_t b = *r->p++;
		if (shift == 63 && b > 1)
			break;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	if (r->st == WIRE_OK) {
		r->st = WIRE_CORRUPT;
		r->why = "varint longer than 64 bits";
	}
	return 0;
}

/* Little-endian fixed-width fields (the pair records). */
static uint64_t get_u16(struct rd *r)
{
	uint64_t lo = get_u8(r);
	return lo | (uint64_t)get_u8(r) << 8;
}

static uint64_t get_u24(struct rd *r)
{
	uint64_t lo = get_u16(r);
	return lo | (uint64_t)get_u8(r) << 16;
}

static void corrupt(struct rd *r, const char *why)
{
	if (r->st == WIRE_OK) {
		r->st = WIRE_CORRUPT;
		r->why = why;
	}
}

static uint64_t get_caller(const struct wire_state *st, struct rd *r, unsigned f)
{
	if (f & F2) {
		uint8_t s = get_u8(r);
		if (s >= WIRE_CACHE_SIZE)
			corrupt(r, "caller cache index out of range");
		return st->cache[s & (WIRE_CACHE_SIZE - 1)];
	}
	return st->prev_caller + (uint64_t)unzigzag(get_varint(r));
}

static void get_name(struct rd *r, struct heap_event *ev)
{
	uint8_t n = get_u8(r);
	if (n > HEAP_MARKER_NAME_MAX) {
		corrupt(r, "marker name longer than 31 bytes");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		ev->name[i] = (char)get_u8(r);
		if (ev->name[i] == 0)
			corrupt(r, "NUL inside a marker name");
	}
	ev->name[n] = 0;
}

enum wire_status wire_decode_header(const uint8_t *in, size_t len, struct wire_stream_info *info,
                                    size_t *used, const char **why)
{
	struct rd r = {in, len ? in + len : in, WIRE_OK, 0}; /* in may be NULL when len is 0 */
	for (int i = 0; i < 4; i++)
		if (get_u8(&r) != (uint8_t)WIRE_MAGIC[i] && r.st == WIRE_OK)
			corrupt(&r, "not a heapscope wire stream (bad magic)");
	info->version = get_u8(&r);
	if (r.st == WIRE_OK && info->version != WIRE_VERSION &&
	    info->version != WIRE_VERSION_UNBLOCKED)
		corrupt(&r, "unknown wire format version");
	info->flags = get_u8(&r);
	info->time_hz = get_varint(&r);
	uint8_t n = get_u8(&r);
	if (n > WIRE_NAME_MAX)
		corrupt(&r, "workload name too long");
	for (unsigned i = 0; i < n && i < WIRE_NAME_MAX; i++)
		info->name[i] = (char)get_u8(&r);
	info->name[n <= WIRE_NAME_MAX ? n : 0] = 0;
	*why = r.why;
	if (r.st == WIRE_OK)
		*used = (size_t)(r.p - in);
	return r.st;
}

enum wire_status wire_decode(struct wire_state *st, const uint8_t *in, size_t len,
                             struct heap_event *ev, size_t *used, const char **why)
{
	if (st->has_pending) { /* the second event of a pair record */
		st->has_pending = false;
		*ev = st->pending;
		wire_advance(st, ev);
		*used = 0;
		*why = 0;
		return WIRE_OK;
	}
	struct rd r = {in, len ? in + len : in, WIRE_OK, 0}; /* in may be NULL when len is 0 */
	const unsigned u = st->unit_log2;
	struct heap_event e = {0}, e2 = {0};
	bool pair = false;
	uint8_t tag = get_u8(&r);
	unsigned kind = tag & 0x0f, f = tag & 0xf0;

	if (r.st != WIRE_OK)
		goto out;
	if (kind == WIRE_TAG_RAW) {
		e.kind = get_u8(&r);
		e.flags = get_u8(&r);
		e.align_log2 = get_u8(&r);
		uint64_t ex = get_varint(&r);
		e.examined = (uint32_t)ex;
		e.seq = get_varint(&r);
		e.time = get_varint(&r);
		e.instret = get_varint(&r);
		e.addr = get_varint(&r);
		e.size = get_varint(&r);
		e.block = get_varint(&r);
		e.addr2 = get_varint(&r);
		e.size2 = get_varint(&r);
		e.caller = get_varint(&r);
		get_name(&r, &e);
		if (f)
			corrupt(&r, "flags on an escape tag");
		else if (e.name[0] && e.kind != HEAP_EV_MARKER)
			corrupt(&r, "a name on an escape record that is not a marker");
		else if (e.kind >= HEAP_EV_COUNT)
			corrupt(&r, "unknown event kind in an escape record");
		else if (ex > 0xffffffffu)
			corrupt(&r, "examined count out of range");
		goto out;
	}
	if (kind > HEAP_EV_END && kind != WIRE_TAG_SPLIT_ALLOC && kind != WIRE_TAG_FREE_MERGE &&
	    kind != WIRE_TAG_MISUSE) {
		corrupt(&r, "unknown event tag");
		goto out;
	}
	e.kind = (uint8_t)(kind == WIRE_TAG_MISUSE ? HEAP_EV_MISUSE : kind);
	bool fixed = kind == WIRE_TAG_SPLIT_ALLOC || kind == WIRE_TAG_FREE_MERGE;
	e.time = st->time + (fixed ? get_u8(&r) : get_varint(&r));
	if (st->instret_on)
		e.instret = st->instret + get_varint(&r);
	e.seq = st->next_seq;

	if (kind == WIRE_TAG_SPLIT_ALLOC) {
		uint8_t al = (uint8_t)u;
		uint64_t pad = 0;
		if (f & (F1 | F2 | F3))
			corrupt(&r, "unknown flags on a split+alloc record");
		if (f & F0) {
			al = get_u8(&r);
			pad = get_u16(&r) << u;
		}
		uint64_t s0 = st->pred + ((uint64_t)(int64_t)(int16_t)get_u16(&r) << u);
		uint64_t size = get_u16(&r), old = get_u24(&r) << u;
		uint8_t slot = get_u8(&r);
		uint32_t ex = get_u8(&r);
		uint64_t block = expected_block(st, size);
		if (slot >= WIRE_CACHE_SIZE)
			corrupt(&r, "caller cache index out of range");
		else if (old < block || old - block < pad)
			corrupt(&r, "split block does not hold its allocation");
		else if (al > 63)
			corrupt(&r, "alignment out of range");
		uint64_t rest = old - block - pad;
		struct heap_event a = {.kind = HEAP_EV_ALLOC, .seq = e.seq, .time = e.time,
		                       .instret = e.instret, .addr = s0 + pad, .size = size,
		                       .block = block, .align_log2 = al,
		                       .caller = st->cache[slot & (WIRE_CACHE_SIZE - 1)],
		                       .examined = ex};
		if (old == block) { /* an exact fit: no SPLIT */
			e = a;
			goto out;
		}
		e.kind = HEAP_EV_SPLIT;
		e.addr = s0;
		e.size = old;
		e.addr2 = rest ? s0 + pad + block : 0;
		e.size2 = rest;
		e2 = a;
		e2.seq = e.seq + 1;
		pair = true;
		goto out;
	}
	if (kind == WIRE_TAG_FREE_MERGE) {
		unsigned merged = (f >> 4) & 3;
		if (f & F3)
			corrupt(&r, "unknown flags on a free record");
		uint8_t al = (f & F2) ? get_u8(&r) : (uint8_t)u;
		uint64_t addr = st->pred + ((uint64_t)(int64_t)(int16_t)get_u16(&r) << u);
		uint64_t size = get_u16(&r);
		uint8_t slot = get_u8(&r);
		uint64_t back = (merged & HEAP_MERGED_PREV) ? get_u24(&r) << u : 0;
		uint64_t rest = (merged & HEAP_MERGED_NEXT) ? get_u24(&r) << u : 0;
		if (slot >= WIRE_CACHE_SIZE)
			corrupt(&r, "caller cache index out of range");
		else if (al > 63)
			corrupt(&r, "alignment out of range");
		e.kind = HEAP_EV_FREE;
		e.addr = addr;
		e.size = size;
		e.block = expected_block(st, size);
		e.align_log2 = al;
		e.caller = st->cache[slot & (WIRE_CACHE_SIZE - 1)];
		if (merged) {
			e2 = (struct heap_event){.kind = HEAP_EV_COALESCE, .seq = e.seq + 1,
			                         .time = e.time, .instret = e.instret,
			                         .flags = (uint8_t)merged, .addr = addr - back,
			                         .size = back + e.block + rest, .addr2 = addr,
			                         .size2 = e.block};
			pair = true;
		}
		goto out;
	}

	switch (kind) {
	case HEAP_EV_INIT:
		if (f)
			corrupt(&r, "flags on an init tag");
		e.addr = get_varint(&r);
		e.size = get_varint(&r);
		e.block = get_varint(&r);
		e.align_log2 = get_u8(&r);
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		e.align_log2 = (f & F0) ? (uint8_t)u : get_u8(&r);
		e.addr = st->pred + ((f & F3) ? 0 : (uint64_t)unzigzag(get_varint(&r)) << u);
		e.size = get_varint(&r);
		e.block = expected_block(st, e.size) +
		          ((f & F1) ? 0 : (uint64_t)unzigzag(get_varint(&r)) << u);
		e.caller = get_caller(st, &r, f);
		if (kind == HEAP_EV_ALLOC) {
			uint64_t ex = get_varint(&r);
			if (ex > 0xffffffffu)
				corrupt(&r, "examined count out of range");
			e.examined = (uint32_t)ex;
		}
		break;
	case HEAP_EV_SPLIT:
		if ((f & F2) || (f & (F0 | F1)) == (F0 | F1))
			corrupt(&r, "unknown flags on a split tag");
		e.addr = st->pred + ((f & F3) ? 0 : (uint64_t)unzigzag(get_varint(&r)) << u);
		e.size = get_varint(&r) << u;
		if (!(f & F1)) {
			e.addr2 = e.addr + (get_varint(&r) << u);
			e.size2 = (f & F0) ? e.addr + e.size - e.addr2 : get_varint(&r) << u;
		}
		break;
	case HEAP_EV_COALESCE: {
		e.flags = (uint8_t)((f >> 4) & 3);
		if (e.flags == 0)
			corrupt(&r, "a coalesce that merged nothing");
		if (f & F2) {
			e.addr2 = st->last_free;
			e.size2 = st->last_block;
		} else {
			e.addr2 = st->pred + ((uint64_t)unzigzag(get_varint(&r)) << u);
			e.size2 = get_varint(&r) << u;
		}
		uint64_t back = (f & F3) ? 0 : get_varint(&r) << u;
		e.addr = e.addr2 - back;
		e.size = back + e.size2 + (get_varint(&r) << u);
		break;
	}
	case HEAP_EV_ALLOC_FAIL:
		if (f & (F1 | F3))
			corrupt(&r, "unknown flags on an alloc_fail tag");
		e.align_log2 = (f & F0) ? (uint8_t)u : get_u8(&r);
		e.size = get_varint(&r);
		e.block = get_varint(&r);
		e.size2 = get_varint(&r);
		e.caller = get_caller(st, &r, f);
		{
			uint64_t ex = get_varint(&r);
			if (ex > 0xffffffffu)
				corrupt(&r, "examined count out of range");
			e.examined = (uint32_t)ex;
		}
		break;
	case HEAP_EV_REALLOC:
		if (f & (F0 | F1 | F3))
			corrupt(&r, "unknown flags on a realloc tag");
		e.addr = st->pred + (uint64_t)unzigzag(get_varint(&r));
		e.size = get_varint(&r);
		e.addr2 = st->pred + (uint64_t)unzigzag(get_varint(&r));
		e.size2 = get_varint(&r);
		e.caller = get_caller(st, &r, f);
		break;
	case HEAP_EV_MARKER:
		if (f)
			corrupt(&r, "flags on a marker tag");
		get_name(&r, &e);
		break;
	case HEAP_EV_DROP:
		if (f)
			corrupt(&r, "flags on a drop tag");
		e.size = get_varint(&r);
		e.seq = st->next_seq + e.size;
		break;
	case HEAP_EV_END:
		if (f & (F1 | F2 | F3))
			corrupt(&r, "unknown flags on an end tag");
		e.flags = (f & F0) ? HEAP_END_PANIC : 0;
		e.size = get_varint(&r);
		e.block = get_varint(&r);
		e.size2 = get_varint(&r);
		break;
	case WIRE_TAG_MISUSE:
		if (f & (F0 | F1 | F3))
			corrupt(&r, "unknown flags on a misuse tag");
		e.flags = get_u8(&r);
		e.align_log2 = get_u8(&r);
		e.addr = get_varint(&r);
		e.size = get_varint(&r);
		e.size2 = get_varint(&r);
		e.caller = get_caller(st, &r, f);
		break;
	}
out:
	*why = r.why;
	if (r.st == WIRE_OK) {
		*used = (size_t)(r.p - in);
		*ev = e;
		wire_advance(st, &e);
		if (pair) {
			st->pending = e2;
			st->has_pending = true;
		}
	}
	return r.st;
}

/* ---- semihosting blocks ------------------------------------------------------ */

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t wire_block_check(const uint8_t *payload, size_t len)
{
	uint64_t a = (uint64_t)len, b = a;
	size_t i = 0, whole = len & ~(size_t)7;
	if (((uintptr_t)payload & 7) == 0) {
		typedef uint64_t __attribute__((may_alias)) word;
		const word *w = (const word *)(const void *)payload;
		/* the kernel and host are little-endian (RISC-V, x86-64, arm64) */
		for (; i < whole; i += 8) {
			a += *w++;
			b += a;
		}
	} else {
		for (; i < whole; i += 8) {
			a += load_le64(payload + i);
			b += a;
		}
	}
	if (i < len) {
		uint8_t last[8] = {0};
		for (size_t k = 0; i + k < len; k++)
			last[k] = payload[i + k];
		a += load_le64(last);
		b += a;
	}
	return a + (b << 32);
}

void wire_block_head(uint8_t *out, const uint8_t *payload, size_t len)
{
	uint64_t c = wire_block_check(payload, len);
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(len >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(c >> (8 * i));
}

enum wire_status wire_block_open(const uint8_t *in, size_t avail, size_t max, size_t *len,
                                 const char **why)
{
	*why = 0;
	if (avail < WIRE_BLOCK_HEAD)
		return WIRE_NEED_MORE;
	size_t n = (size_t)(in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
	                    (uint32_t)in[3] << 24);
	if (n == 0 || n > max) {
		*why = "block length out of range (damaged block head)";
		return WIRE_CORRUPT;
	}
	if (avail - WIRE_BLOCK_HEAD < n)
		return WIRE_NEED_MORE;
	if (wire_block_check(in + WIRE_BLOCK_HEAD, n) != load_le64(in + 4)) {
		*why = "block check mismatch (damaged block)";
		return WIRE_CORRUPT;
	}
	*len = n;
	return WIRE_OK;
}

uint16_t wire_fletcher16(const uint8_t *buf, size_t len)
{
	uint32_t a = 0, b = 0;
	for (size_t i = 0; i < len; i++) {
		a = (a + buf[i]) % 255;
		b = (b + a) % 255;
	}
	return (uint16_t)(b << 8 | a);
}
