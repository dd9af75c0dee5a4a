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
 * Both sides advance the shared state with advance() from the event
 * itself, whatever form it took, so encoder and decoder never drift apart.
 */
#include "trace_wire.h"

/* tag flag bits (high nibble) */
#define F0 WIRE_F0
#define F1 WIRE_F1
#define F2 WIRE_F2
#define F3 WIRE_F3

/* ---- primitives ----------------------------------------------------------- */

static inline __attribute__((always_inline)) uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	if (__builtin_expect(v < 0x80, 1)) {
		*p = (uint8_t)v;
		return p + 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)(v | 0x80);
		p[1] = (uint8_t)(v >> 7);
		return p + 2;
	}
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t zigzag(int64_t d)
{
	return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

static inline int64_t unzigzag(uint64_t z)
{
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
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

/* The state change an event causes; identical on both sides, whatever form
 * the event took. Always inlined: with a constant kind the encoder's copy
 * shrinks to the few stores that kind needs. */
static inline __attribute__((always_inline)) void advance(struct wire_state *st, const struct heap_event *ev)
{
	st->next_seq = ev->seq + 1;
	st->time = ev->time;
	st->instret = ev->instret;
	switch (ev->kind) {
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
	if (heap_event_has_caller(ev->kind)) {
		unsigned s = wire_cache_slot(ev->caller);
		if (st->cache[s] != ev->caller) {
			st->cache[s] = ev->caller;
			st->prev_caller = ev->caller;
		}
	}
}

size_t wire_encode_header(uint8_t *out, uint64_t time_hz, uint32_t flags, uint32_t stack_depth,
                          const char *name)
{
	uint8_t *p = out;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)WIRE_MAGIC[i];
	*p++ = WIRE_VERSION;
	flags &= ~WIRE_FLAG_STACKS;
	if (stack_depth)
		flags |= WIRE_FLAG_STACKS;
	*p++ = (uint8_t)flags;
	if (stack_depth)
		*p++ = (uint8_t)stack_depth;
	p = put_varint(p, time_hz);
	size_t n = 0;
	while (name && name[n] && n < WIRE_NAME_MAX)
		n++;
	*p++ = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		*p++ = (uint8_t)name[i];
	return (size_t)(p - out);
}

/* A STACK record: id, depth, the caller in full, then each frame as the
 * signed difference from the one before (return addresses of one kernel are
 * close together: two or three bytes a frame). */
size_t wire_encode_stack(struct wire_state *st, const struct wire_stack *s, uint8_t *out)
{
	(void)st; /* a STACK record is not an event: the state does not move */
	uint8_t *p = out;
	*p++ = WIRE_TAG_STACK;
	p = put_varint(p, s->id);
	*p++ = (uint8_t)s->depth;
	p = put_varint(p, s->frames[0]);
	for (uint32_t i = 1; i < s->depth; i++)
		p = put_varint(p, zigzag((int64_t)(s->frames[i] - s->frames[i - 1])));
	return (size_t)(p - out);
}

/* ---- encoder ---------------------------------------------------------------- *
 * Each put_* below writes the fields of one kind's compact form at p, ORs its
 * flags into *f and returns their end, or returns NULL (what it wrote is then
 * overwritten) when the compact form cannot say the event exactly: the
 * escape form takes it. */

/* Writes the caller: a cache index (sets F2) or a zigzag delta (advance()
 * updates the cache). */
static inline uint8_t *put_caller(const struct wire_state *st, uint8_t *p, uint64_t caller,
                                  unsigned *f)
{
	unsigned s = wire_cache_slot(caller);
	if (st->cache[s] == caller) {
		*f |= F2;
		*p++ = (uint8_t)s;
		return p;
	}
	return put_varint(p, zigzag((int64_t)(caller - st->prev_caller)));
}

static inline uint8_t *put_name(uint8_t *p, const char *name)
{
	size_t n = 0;
	while (n < HEAP_MARKER_NAME_MAX && name[n])
		n++;
	*p++ = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		*p++ = (uint8_t)name[i];
	return p;
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
	p = ev->kind == HEAP_EV_MARKER ? put_name(p, ev->name) : put_name(p, "");
	return (size_t)(p - out);
}

/* The stamps every compact event starts with: dt [dn]. Needs the next
 * sequence number (a DROP skips its count) and time and instret that never
 * go back. */
static inline uint8_t *put_stamps(const struct wire_state *st, const struct heap_event *ev,
                                  uint8_t *p)
{
	uint64_t skip = ev->kind == HEAP_EV_DROP ? ev->size : 0;
	if (ev->seq != st->next_seq + skip || ev->time < st->time)
		return 0;
	p = put_varint(p, ev->time - st->time);
	if (st->instret_on) {
		if (ev->instret < st->instret)
			return 0;
		return put_varint(p, ev->instret - st->instret);
	}
	return ev->instret == 0 ? p : 0;
}

/* ALLOC and FREE share one layout; an alloc adds its search count. */
static inline uint8_t *put_block(const struct wire_state *st, const struct heap_event *ev,
                                 uint8_t *p, unsigned *f)
{
	const unsigned u = st->unit_log2;
	uint64_t da = ev->addr - st->pred;
	uint64_t db = ev->block - expected_block(st, ev->size);
	if ((da | db) & (((uint64_t)1 << u) - 1))
		return 0;
	if (ev->align_log2 == u)
		*f |= F0;
	else
		*p++ = ev->align_log2;
	if (da == 0)
		*f |= F3;
	else
		p = put_varint(p, zigzag((int64_t)da >> u));
	p = put_varint(p, ev->size);
	if (db == 0)
		*f |= F1;
	else
		p = put_varint(p, zigzag((int64_t)db >> u));
	p = put_caller(st, p, ev->caller, f);
	if (ev->kind == HEAP_EV_ALLOC)
		p = put_varint(p, ev->examined);
	return p;
}

static inline uint8_t *put_split(const struct wire_state *st, const struct heap_event *ev,
                                 uint8_t *p, unsigned *f)
{
	const unsigned u = st->unit_log2;
	const uint64_t umask = ((uint64_t)1 << u) - 1;
	uint64_t da = ev->addr - st->pred;
	uint64_t off = ev->addr2 - ev->addr;
	bool none = (ev->addr2 | ev->size2) == 0; /* no remainder after the block */
	if ((da | ev->size) & umask ||
	    (!none && ((off | ev->size2) & umask || ev->addr2 < ev->addr)))
		return 0;
	if (da == 0)
		*f |= F3;
	else
		p = put_varint(p, zigzag((int64_t)da >> u));
	p = put_varint(p, ev->size >> u);
	if (none) {
		*f |= F1;
	} else {
		p = put_varint(p, off >> u);
		if (ev->size2 == ev->size - off)
			*f |= F0;
		else
			p = put_varint(p, ev->size2 >> u);
	}
	return p;
}

static inline uint8_t *put_coalesce(const struct wire_state *st, const struct heap_event *ev,
                                    uint8_t *p, unsigned *f)
{
	const unsigned u = st->unit_log2;
	const uint64_t umask = ((uint64_t)1 << u) - 1;
	uint64_t back = ev->addr2 - ev->addr;
	uint64_t rest = ev->size - back - ev->size2;
	/* merge flags 1..3 only: the decoder refuses a compact coalesce that
	 * merged nothing (no allocator emits one; the escape form says it) */
	if ((back | ev->size | ev->size2) & umask || ev->addr2 < ev->addr || ev->size < back ||
	    ev->size - back < ev->size2 || ev->flags - 1u > 2u)
		return 0;
	*f |= (unsigned)ev->flags << 4;
	if (ev->addr2 == st->last_free && ev->size2 == st->last_block) {
		*f |= F2;
	} else {
		uint64_t da = ev->addr2 - st->pred;
		if (da & umask)
			return 0;
		p = put_varint(p, zigzag((int64_t)da >> u));
		p = put_varint(p, ev->size2 >> u);
	}
	if (back == 0)
		*f |= F3;
	else
		p = put_varint(p, back >> u);
	return put_varint(p, rest >> u);
}

static inline uint8_t *put_alloc_fail(const struct wire_state *st, const struct heap_event *ev,
                                      uint8_t *p, unsigned *f)
{
	if (ev->align_log2 == st->unit_log2)
		*f |= F0;
	else
		*p++ = ev->align_log2;
	p = put_varint(p, ev->size);
	p = put_varint(p, ev->block);
	p = put_varint(p, ev->size2);
	p = put_caller(st, p, ev->caller, f);
	return put_varint(p, ev->examined);
}

static inline uint8_t *put_realloc(const struct wire_state *st, const struct heap_event *ev,
                                   uint8_t *p, unsigned *f)
{
	p = put_varint(p, zigzag((int64_t)(ev->addr - st->pred)));
	p = put_varint(p, ev->size);
	p = put_varint(p, zigzag((int64_t)(ev->addr2 - st->pred)));
	p = put_varint(p, ev->size2);
	return put_caller(st, p, ev->caller, f);
}

/* MISUSE has its own tag (kind 10's nibble is the split+alloc record's);
 * *f's low nibble becomes it. */
static inline uint8_t *put_misuse(const struct wire_state *st, const struct heap_event *ev,
                                  uint8_t *p, unsigned *f)
{
	*f = (*f & 0xf0u) | WIRE_TAG_MISUSE;
	*p++ = ev->flags;
	*p++ = ev->align_log2;
	p = put_varint(p, ev->addr);
	p = put_varint(p, ev->size);
	p = put_varint(p, ev->size2);
	return put_caller(st, p, ev->caller, f);
}

/* The fields of ev's compact form; *f: its tag (the kind, with flags). */
static inline __attribute__((always_inline)) uint8_t *put_fields(const struct wire_state *st, const struct heap_event *ev,
                                  uint8_t *p, unsigned *f)
{
	/* the four frequent kinds first, without the jump table */
	switch (ev->kind) {
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		return put_block(st, ev, p, f);
	case HEAP_EV_SPLIT:
		return put_split(st, ev, p, f);
	case HEAP_EV_COALESCE:
		return put_coalesce(st, ev, p, f);
	case HEAP_EV_INIT:
		p = put_varint(p, ev->addr);
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->block);
		*p++ = ev->align_log2;
		if (ev->flags) { /* the allocator policy, when not first fit (F0) */
			*f |= F0;
			*p++ = ev->flags;
		}
		return p;
	case HEAP_EV_ALLOC_FAIL:
		return put_alloc_fail(st, ev, p, f);
	case HEAP_EV_REALLOC:
		return put_realloc(st, ev, p, f);
	case HEAP_EV_MARKER:
		return put_name(p, ev->name);
	case HEAP_EV_DROP:
		return put_varint(p, ev->size);
	case HEAP_EV_END:
		if (ev->flags > 1)
			return 0;
		*f |= ev->flags ? F0 : 0;
		p = put_varint(p, ev->size);
		p = put_varint(p, ev->block);
		return put_varint(p, ev->size2);
	case HEAP_EV_MISUSE:
		return put_misuse(st, ev, p, f);
	default:
		return 0; /* an unknown kind: the escape form carries it */
	}
}

/* wire_encode, inlined where the kind is a constant (the shapes' per-event
 * forms), so that only that kind's code remains. */
static inline __attribute__((always_inline)) size_t
encode_event(struct wire_state *st, const struct heap_event *ev, uint8_t *out)
{
	unsigned tag = ev->kind;
	uint8_t *p = put_stamps(st, ev, out + 1);
	if (p)
		p = put_fields(st, ev, p, &tag);
	size_t len;
	if (p) {
		out[0] = (uint8_t)tag;
		len = (size_t)(p - out);
	} else {
		len = encode_raw(ev, out);
	}
	advance(st, ev);
	return len;
}

size_t wire_encode(struct wire_state *st, const struct heap_event *ev, uint8_t *out)
{
	return encode_event(st, ev, out);
}

void wire_encode_alloc_events(uint64_t s, uint64_t old_size, uint64_t addr, uint64_t size,
                              uint64_t block, uint64_t align, uint64_t caller, uint32_t examined,
                              struct wire_state *st, uint8_t **pos, uint64_t time)
{
	uint8_t *p = *pos;
	if (old_size != block) {
		uint64_t rest = s + old_size - addr - block;
		struct heap_event split = {.kind = HEAP_EV_SPLIT, .seq = st->next_seq, .time = time,
		                           .addr = s, .size = old_size,
		                           .addr2 = rest ? addr + block : 0, .size2 = rest};
		p += encode_event(st, &split, p);
	}
	struct heap_event alloc = {.kind = HEAP_EV_ALLOC, .seq = st->next_seq, .time = time,
	                           .addr = addr, .size = size, .block = block,
	                           .align_log2 = (uint8_t)wire_log2_pow2(align), .caller = caller,
	                           .examined = examined};
	*pos = p + encode_event(st, &alloc, p);
}

void wire_encode_free_events(uint64_t addr, uint64_t size, uint64_t block, uint64_t align,
                             uint64_t caller, unsigned merged, uint64_t merged_addr,
                             uint64_t merged_size, struct wire_state *st, uint8_t **pos,
                             uint64_t time)
{
	uint8_t *p = *pos;
	struct heap_event ev = {.kind = HEAP_EV_FREE, .seq = st->next_seq, .time = time,
	                        .addr = addr, .size = size, .block = block,
	                        .align_log2 = (uint8_t)wire_log2_pow2(align), .caller = caller};
	p += encode_event(st, &ev, p);
	*pos = p;
	if (!merged)
		return;
	struct heap_event co = {.kind = HEAP_EV_COALESCE, .seq = st->next_seq, .time = time,
	                        .flags = (uint8_t)merged, .addr = merged_addr,
	                        .size = merged_size, .addr2 = addr, .size2 = block};
	*pos = p + encode_event(st, &co, p);
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
	info->stack_depth = 0;
	if (info->flags & WIRE_FLAG_STACKS) {
		info->stack_depth = get_u8(&r);
		if (r.st == WIRE_OK &&
		    (info->stack_depth == 0 || info->stack_depth > WIRE_STACK_DEPTH_MAX))
			corrupt(&r, "stack depth in the header out of range (1..32)");
	}
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

/* The escape form: every field in full. */
static void get_raw(struct rd *r, struct heap_event *e, unsigned f)
{
	e->kind = get_u8(r);
	e->flags = get_u8(r);
	e->align_log2 = get_u8(r);
	uint64_t ex = get_varint(r);
	e->examined = (uint32_t)ex;
	e->seq = get_varint(r);
	e->time = get_varint(r);
	e->instret = get_varint(r);
	e->addr = get_varint(r);
	e->size = get_varint(r);
	e->block = get_varint(r);
	e->addr2 = get_varint(r);
	e->size2 = get_varint(r);
	e->caller = get_varint(r);
	get_name(r, e);
	if (f)
		corrupt(r, "flags on an escape tag");
	else if (e->name[0] && e->kind != HEAP_EV_MARKER)
		corrupt(r, "a name on an escape record that is not a marker");
	else if (e->kind >= HEAP_EV_COUNT)
		corrupt(r, "unknown event kind in an escape record");
	else if (ex > 0xffffffffu)
		corrupt(r, "examined count out of range");
}

/* A search count (alloc, alloc_fail): 32 bits. */
static uint32_t get_examined(struct rd *r)
{
	uint64_t ex = get_varint(r);
	if (ex > 0xffffffffu)
		corrupt(r, "examined count out of range");
	return (uint32_t)ex;
}

/* An address relative to the prediction: pred + (zz units), or pred itself. */
static uint64_t get_addr(const struct wire_state *st, struct rd *r, bool at_pred)
{
	return st->pred + (at_pred ? 0 : (uint64_t)unzigzag(get_varint(r)) << st->unit_log2);
}

/* Tag 10: SPLIT (unless an exact fit) + ALLOC. Returns whether e2 holds the
 * second event. */
static bool get_split_alloc(const struct wire_state *st, struct rd *r, unsigned f,
                            struct heap_event *e, struct heap_event *e2)
{
	const unsigned u = st->unit_log2;
	uint8_t al = (uint8_t)u;
	uint64_t pad = 0;
	if (f & (F1 | F2 | F3))
		corrupt(r, "unknown flags on a split+alloc record");
	if (f & F0) {
		al = get_u8(r);
		pad = get_u16(r) << u;
	}
	uint64_t s0 = st->pred + ((uint64_t)(int64_t)(int16_t)get_u16(r) << u);
	uint64_t size = get_u16(r), old = get_u24(r) << u;
	uint8_t slot = get_u8(r);
	uint32_t ex = get_u8(r);
	uint64_t block = expected_block(st, size);
	if (slot >= WIRE_CACHE_SIZE)
		corrupt(r, "caller cache index out of range");
	else if (old < block || old - block < pad)
		corrupt(r, "split block does not hold its allocation");
	else if (al > 63)
		corrupt(r, "alignment out of range");
	uint64_t rest = old - block - pad;
	struct heap_event a = {.kind = HEAP_EV_ALLOC, .seq = e->seq, .time = e->time,
	                       .instret = e->instret, .addr = s0 + pad, .size = size,
	                       .block = block, .align_log2 = al,
	                       .caller = st->cache[slot & (WIRE_CACHE_SIZE - 1)], .examined = ex};
	if (old == block) { /* an exact fit: no SPLIT */
		*e = a;
		return false;
	}
	e->kind = HEAP_EV_SPLIT;
	e->addr = s0;
	e->size = old;
	e->addr2 = rest ? s0 + pad + block : 0;
	e->size2 = rest;
	*e2 = a;
	e2->seq = e->seq + 1;
	return true;
}

/* Tag 11: FREE [+ COALESCE]. Returns whether e2 holds the second event. */
static bool get_free_merge(const struct wire_state *st, struct rd *r, unsigned f,
                           struct heap_event *e, struct heap_event *e2)
{
	const unsigned u = st->unit_log2;
	unsigned merged = (f >> 4) & 3;
	if (f & F3)
		corrupt(r, "unknown flags on a free record");
	uint8_t al = (f & F2) ? get_u8(r) : (uint8_t)u;
	uint64_t addr = st->pred + ((uint64_t)(int64_t)(int16_t)get_u16(r) << u);
	uint64_t size = get_u16(r);
	uint8_t slot = get_u8(r);
	uint64_t back = (merged & HEAP_MERGED_PREV) ? get_u24(r) << u : 0;
	uint64_t rest = (merged & HEAP_MERGED_NEXT) ? get_u24(r) << u : 0;
	if (slot >= WIRE_CACHE_SIZE)
		corrupt(r, "caller cache index out of range");
	else if (al > 63)
		corrupt(r, "alignment out of range");
	e->kind = HEAP_EV_FREE;
	e->addr = addr;
	e->size = size;
	e->block = expected_block(st, size);
	e->align_log2 = al;
	e->caller = st->cache[slot & (WIRE_CACHE_SIZE - 1)];
	if (!merged)
		return false;
	*e2 = (struct heap_event){.kind = HEAP_EV_COALESCE, .seq = e->seq + 1, .time = e->time,
	                          .instret = e->instret, .flags = (uint8_t)merged,
	                          .addr = addr - back, .size = back + e->block + rest,
	                          .addr2 = addr, .size2 = e->block};
	return true;
}

static void get_block(const struct wire_state *st, struct rd *r, unsigned f, struct heap_event *e)
{
	const unsigned u = st->unit_log2;
	e->align_log2 = (f & F0) ? (uint8_t)u : get_u8(r);
	e->addr = get_addr(st, r, f & F3);
	e->size = get_varint(r);
	e->block = expected_block(st, e->size) +
	           ((f & F1) ? 0 : (uint64_t)unzigzag(get_varint(r)) << u);
	e->caller = get_caller(st, r, f);
	if (e->kind == HEAP_EV_ALLOC)
		e->examined = get_examined(r);
}

static void get_split(const struct wire_state *st, struct rd *r, unsigned f, struct heap_event *e)
{
	const unsigned u = st->unit_log2;
	if ((f & F2) || (f & (F0 | F1)) == (F0 | F1))
		corrupt(r, "unknown flags on a split tag");
	e->addr = get_addr(st, r, f & F3);
	e->size = get_varint(r) << u;
	if (!(f & F1)) {
		e->addr2 = e->addr + (get_varint(r) << u);
		e->size2 = (f & F0) ? e->addr + e->size - e->addr2 : get_varint(r) << u;
	}
}

static void get_coalesce(const struct wire_state *st, struct rd *r, unsigned f,
                         struct heap_event *e)
{
	const unsigned u = st->unit_log2;
	e->flags = (uint8_t)((f >> 4) & 3);
	if (e->flags == 0)
		corrupt(r, "a coalesce that merged nothing");
	if (f & F2) {
		e->addr2 = st->last_free;
		e->size2 = st->last_block;
	} else {
		e->addr2 = get_addr(st, r, false);
		e->size2 = get_varint(r) << u;
	}
	uint64_t back = (f & F3) ? 0 : get_varint(r) << u;
	e->addr = e->addr2 - back;
	e->size = back + e->size2 + (get_varint(r) << u);
}

/* The rarer kinds' compact forms: every field but the flags' a varint. */
static void get_other(const struct wire_state *st, struct rd *r, unsigned kind, unsigned f,
                      struct heap_event *e)
{
	switch (kind) {
	case HEAP_EV_INIT:
		if (f & ~F0)
			corrupt(r, "unknown flags on an init tag");
		e->addr = get_varint(r);
		e->size = get_varint(r);
		e->block = get_varint(r);
		e->align_log2 = get_u8(r);
		if (f & F0) { /* the allocator policy; first fit (0) is never written */
			e->flags = get_u8(r);
			if (e->flags == 0)
				corrupt(r, "init names first fit explicitly");
		}
		break;
	case HEAP_EV_ALLOC_FAIL:
		if (f & (F1 | F3))
			corrupt(r, "unknown flags on an alloc_fail tag");
		e->align_log2 = (f & F0) ? (uint8_t)st->unit_log2 : get_u8(r);
		e->size = get_varint(r);
		e->block = get_varint(r);
		e->size2 = get_varint(r);
		e->caller = get_caller(st, r, f);
		e->examined = get_examined(r);
		break;
	case HEAP_EV_REALLOC:
		if (f & (F0 | F1 | F3))
			corrupt(r, "unknown flags on a realloc tag");
		e->addr = st->pred + (uint64_t)unzigzag(get_varint(r));
		e->size = get_varint(r);
		e->addr2 = st->pred + (uint64_t)unzigzag(get_varint(r));
		e->size2 = get_varint(r);
		e->caller = get_caller(st, r, f);
		break;
	case HEAP_EV_MARKER:
		if (f)
			corrupt(r, "flags on a marker tag");
		get_name(r, e);
		break;
	case HEAP_EV_DROP:
		if (f)
			corrupt(r, "flags on a drop tag");
		e->size = get_varint(r);
		e->seq = st->next_seq + e->size;
		break;
	case HEAP_EV_END:
		if (f & (F1 | F2 | F3))
			corrupt(r, "unknown flags on an end tag");
		e->flags = (f & F0) ? HEAP_END_PANIC : 0;
		e->size = get_varint(r);
		e->block = get_varint(r);
		e->size2 = get_varint(r);
		break;
	case WIRE_TAG_MISUSE:
		if (f & (F0 | F1 | F3))
			corrupt(r, "unknown flags on a misuse tag");
		e->flags = get_u8(r);
		e->align_log2 = get_u8(r);
		e->addr = get_varint(r);
		e->size = get_varint(r);
		e->size2 = get_varint(r);
		e->caller = get_caller(st, r, f);
		break;
	}
}

/* A compact record (any tag but the escape form's): its stamps, then its
 * kind's fields. Returns whether e2 holds a pair record's second event. */
static bool get_compact(const struct wire_state *st, struct rd *r, unsigned kind, unsigned f,
                        struct heap_event *e, struct heap_event *e2)
{
	if (kind > HEAP_EV_END && kind != WIRE_TAG_SPLIT_ALLOC && kind != WIRE_TAG_FREE_MERGE &&
	    kind != WIRE_TAG_MISUSE) {
		corrupt(r, "unknown event tag");
		return false;
	}
	e->kind = (uint8_t)(kind == WIRE_TAG_MISUSE ? HEAP_EV_MISUSE : kind);
	bool fixed = kind == WIRE_TAG_SPLIT_ALLOC || kind == WIRE_TAG_FREE_MERGE;
	e->time = st->time + (fixed ? get_u8(r) : get_varint(r));
	if (st->instret_on)
		e->instret = st->instret + get_varint(r);
	e->seq = st->next_seq;
	switch (kind) {
	case WIRE_TAG_SPLIT_ALLOC:
		return get_split_alloc(st, r, f, e, e2);
	case WIRE_TAG_FREE_MERGE:
		return get_free_merge(st, r, f, e, e2);
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		get_block(st, r, f, e);
		break;
	case HEAP_EV_SPLIT:
		get_split(st, r, f, e);
		break;
	case HEAP_EV_COALESCE:
		get_coalesce(st, r, f, e);
		break;
	default:
		get_other(st, r, kind, f, e);
		break;
	}
	return false;
}

/* A STACK record, after its tag (f: the tag's flags, none defined). */
static void get_stack(struct rd *r, unsigned f, struct wire_stack *s)
{
	if (f)
		corrupt(r, "flags on a stack record");
	uint64_t id = get_varint(r);
	s->depth = get_u8(r);
	if (id == 0 || id > WIRE_STACK_IDS)
		corrupt(r, "stack id out of range (1..1024)");
	else if (s->depth == 0 || s->depth > WIRE_STACK_DEPTH_MAX)
		corrupt(r, "stack depth out of range (1..32)");
	if (r->st != WIRE_OK)
		return;
	s->id = (uint32_t)id;
	s->frames[0] = get_varint(r);
	for (uint32_t i = 1; i < s->depth; i++)
		s->frames[i] = s->frames[i - 1] + (uint64_t)unzigzag(get_varint(r));
}

enum wire_status wire_decode(struct wire_state *st, const uint8_t *in, size_t len,
                             struct heap_event *ev, size_t *used, const char **why)
{
	if (st->has_pending) { /* the second event of a pair record */
		st->has_pending = false;
		*ev = st->pending;
		advance(st, ev);
		*used = 0;
		*why = 0;
		return WIRE_OK;
	}
	struct rd r = {in, len ? in + len : in, WIRE_OK, 0}; /* in may be NULL when len is 0 */
	struct heap_event e = {0}, e2 = {0};
	bool pair = false;
	uint8_t tag = get_u8(&r);
	if (r.st == WIRE_OK && (tag & 0x0f) == WIRE_TAG_STACK) {
		struct wire_stack s = {0};
		get_stack(&r, tag & 0xf0, &s);
		*why = r.why;
		if (r.st != WIRE_OK)
			return r.st;
		*used = (size_t)(r.p - in);
		st->stack = s;
		return WIRE_STACK;
	}
	if (r.st == WIRE_OK) {
		if ((tag & 0x0f) == WIRE_TAG_RAW)
			get_raw(&r, &e, tag & 0xf0);
		else
			pair = get_compact(st, &r, tag & 0x0f, tag & 0xf0, &e, &e2);
	}
	*why = r.why;
	if (r.st == WIRE_OK) {
		*used = (size_t)(r.p - in);
		*ev = e;
		advance(st, &e);
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
