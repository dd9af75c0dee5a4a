/* trace_wire.h - compact binary encoding of heap events (kernel and host).
 *
 * Freestanding: includes only <stdint.h>, <stddef.h>, <stdbool.h>. The same
 * trace_wire.c is compiled into the kernel (encoder) and into heaptrace
 * (decoder); the decoder mirrors every piece of encoder state, so both must
 * see the same event sequence from the stream header on. Format: docs/trace-wire.md.
 *
 *   stream = header event*
 *   header = "HTRW" version:u8 flags:u8 time_hz:varint name_len:u8 name[name_len]
 *   event  = tag:u8 fields...      tag = kind (low nibble) | flags (high nibble)
 *
 * Fields a kind does not use (heap_event.h: "fields not listed are 0") are not
 * carried by the compact form and decode as 0; unusual values of the fields a
 * kind uses take the escape form, so such events round-trip exactly.
 *
 * Ownership: the codec never allocates; callers own every buffer and struct.
 */
#ifndef TRACE_WIRE_H
#define TRACE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"

#define WIRE_MAGIC        "HTRW"
#define WIRE_VERSION      3 /* 3: semihosting blocks checked; 2: fixed-width pair records */
#define WIRE_VERSION_UNBLOCKED 2 /* the last version whose semihosting stream had no blocks */
#define WIRE_BLOCK_HEAD   12 /* block = len:u32le check:u64le payload[len] (semihosting) */
#define WIRE_BLOCK_MAX    (1u << 20) /* longest block payload a decoder accepts */
#define WIRE_FLAG_INSTRET 0x1u /* header flag: events carry an instret delta */
#define WIRE_NAME_MAX     31   /* longest workload name in the header */
#define WIRE_HEADER_MAX   (4 + 1 + 1 + 10 + 1 + WIRE_NAME_MAX)
#define WIRE_EVENT_MAX    160   /* upper bound on one encoded event, bytes */
#define WIRE_CACHE_SIZE   64    /* caller cache entries (direct-mapped) */
#define WIRE_TAG_RAW      0x0fu /* kind nibble of the escape form: every field in full */
#define WIRE_TAG_SPLIT_ALLOC 0x0au /* pair record: SPLIT + ALLOC of the split block's start */
#define WIRE_TAG_FREE_MERGE  0x0bu /* FREE [+ COALESCE], the common shape */
#define WIRE_TAG_MISUSE      0x0cu /* MISUSE (its kind, 10, is the split+alloc tag's nibble) */

/* State shared, field for field, by encoder and decoder. */
struct wire_state {
	uint64_t next_seq;               /* sequence number the next event is expected to have */
	uint64_t time;                   /* time of the previous event */
	uint64_t instret;                /* instret of the previous event */
	uint64_t pred;                   /* predicted address of the next alloc/free/split */
	uint64_t last_free;              /* address of the last FREE */
	uint64_t last_block;             /* block size of the last FREE */
	uint64_t prev_caller;            /* last caller that missed the cache */
	uint32_t unit_log2;              /* log2 of the minimum alignment (from INIT; 4 before) */
	uint64_t min_block;              /* smallest block (from INIT; 16 before) */
	bool instret_on;                 /* stream carries instret */
	uint64_t cache[WIRE_CACHE_SIZE]; /* caller cache */
	/* decoder only: the second event of a pair record (tags 10, 11), handed
	 * out by the next wire_decode call without consuming input */
	bool has_pending;
	struct heap_event pending;
};

struct wire_stream_info {
	uint32_t version;             /* WIRE_VERSION */
	uint32_t flags;               /* WIRE_FLAG_* */
	uint64_t time_hz;             /* ticks per second of event times */
	char name[WIRE_NAME_MAX + 1]; /* workload name, NUL-terminated */
};

/* Resets st for a new stream (instret: whether events carry it). */
void wire_state_init(struct wire_state *st, bool instret);

/* Writes the stream header into out (at least WIRE_HEADER_MAX bytes).
 * name is truncated to WIRE_NAME_MAX. Returns bytes written. */
size_t wire_encode_header(uint8_t *out, uint64_t time_hz, uint32_t flags, const char *name);

/* Encodes ev into out (at least WIRE_EVENT_MAX bytes) and advances st.
 * Any event round-trips exactly (unusual ones take the longer escape form).
 * Returns bytes written (1..WIRE_EVENT_MAX). */
size_t wire_encode(struct wire_state *st, const struct heap_event *ev, uint8_t *out);

enum wire_status {
	WIRE_OK = 0,    /* one event or header decoded */
	WIRE_NEED_MORE, /* the input ends inside it: give more bytes (or report truncation) */
	WIRE_CORRUPT,   /* bytes that no encoder writes; *why says what */
};

/* Decodes the stream header from in[0..len). On WIRE_OK *used is its size. */
enum wire_status wire_decode_header(const uint8_t *in, size_t len, struct wire_stream_info *info,
                                    size_t *used, const char **why);

/* Decodes one event from in[0..len) into *ev and advances st (only on
 * WIRE_OK; st is untouched otherwise). On WIRE_OK *used is the event's size;
 * on WIRE_CORRUPT *why is a static description. */
enum wire_status wire_decode(struct wire_state *st, const uint8_t *in, size_t len,
                             struct heap_event *ev, size_t *used, const char **why);

/* Whether a pair record left its second event to hand out: decode loops run
 * while there is input OR a pending event (wire_decode then uses no bytes). */
static inline bool wire_pending(const struct wire_state *st)
{
	return st->has_pending;
}

/* ---- semihosting blocks (version 3) ------------------------------------------
 *
 * On the semihosting channel each flushed buffer is one block: a 12-byte head
 * (payload length, u32 little-endian; check, u64 little-endian) and the
 * payload, the wire bytes as they were buffered (the first block's start with
 * the stream header). The UART channel has its own framing (no blocks).
 *
 * check = a + (b << 32) (mod 2^64) over the 64-bit little-endian words w_1..w_n
 * of (len as a u64, then the payload zero-padded to 8 bytes): a = sum of w_i,
 * b = sum of the running a after each word. A single-bit error anywhere in
 * the length or payload changes it by 2^k times an odd number: it is never
 * missed. About 5 instructions per 8 bytes, at flush time only. */

/* The check of a block of len payload bytes at payload. Fast when payload is
 * 8-byte aligned (the kernel's buffer is). */
uint64_t wire_block_check(const uint8_t *payload, size_t len);

/* Writes the head of a block of len payload bytes at payload into out
 * (WIRE_BLOCK_HEAD bytes). */
void wire_block_head(uint8_t *out, const uint8_t *payload, size_t len);

/* Reads the block head at in[0..avail): WIRE_NEED_MORE until the head and
 * the whole payload are there; WIRE_CORRUPT (*why) if the check disagrees;
 * WIRE_OK with the payload's length in *len (it starts at in + WIRE_BLOCK_HEAD).
 * max: the longest payload to accept (a larger length is corrupt). */
enum wire_status wire_block_open(const uint8_t *in, size_t avail, size_t max, size_t *len,
                                 const char **why);

/* Fletcher-16 of buf, used by the UART framing to check each line. */
uint16_t wire_fletcher16(const uint8_t *buf, size_t len);

/* ---- fast encoders (the kernel's hot path) ---------------------------------
 *
 * Straight-line encoders of the four frequent kinds that take the fields as
 * arguments instead of a struct heap_event. They write exactly the bytes
 * wire_encode would write for the same events (compact form) and advance st
 * the same way, so the decoder needs nothing new. Preconditions (the caller,
 * kernel/trace.c's bound sink, checks them once or they hold by the allocator's
 * invariants): st->instret_on is false; each event's seq is st->next_seq;
 * addresses and sizes are multiples of (1 << u) where u == st->unit_log2 and
 * min_block == st->min_block (passed as constants so they fold); a split's
 * remainder lies inside the block; merge flags <= 3. dt is the time delta from
 * st->time, which the caller advances itself (one rdtime per pair).
 * Each returns the end of what it wrote; WIRE_FAST_MAX bounds a pair. */

#define WIRE_F0       0x10u
#define WIRE_F1       0x20u
#define WIRE_F2       0x40u
#define WIRE_F3       0x80u
#define WIRE_FAST_MAX 96 /* bytes the fast path writes per allocator call, at most */

static inline __attribute__((always_inline)) uint8_t *wire_put_varint(uint8_t *p, uint64_t v)
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

static inline uint64_t wire_zigzag(int64_t d)
{
	return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

static inline unsigned wire_cache_slot(uint64_t caller)
{
	return (unsigned)((caller >> 1) ^ (caller >> 7)) & (WIRE_CACHE_SIZE - 1);
}

/* The caller field: a cache slot (sets F2 in *f) or a zigzag delta; updates the cache. */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_caller(struct wire_state *st, uint8_t *p, uint64_t caller, unsigned *f)
{
	unsigned s = wire_cache_slot(caller);
	if (__builtin_expect(st->cache[s] == caller, 1)) {
		*f |= WIRE_F2;
		*p = (uint8_t)s;
		return p + 1;
	}
	p = wire_put_varint(p, wire_zigzag((int64_t)(caller - st->prev_caller)));
	st->cache[s] = caller;
	st->prev_caller = caller;
	return p;
}

/* SPLIT of [addr, addr + size); remainder (rem_addr, rem_size), both 0 if none. */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_split(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u, uint64_t addr,
                uint64_t size, uint64_t rem_addr, uint64_t rem_size)
{
	uint8_t *tag = p++;
	unsigned f = 0;
	p = wire_put_varint(p, dt);
	uint64_t da = addr - st->pred;
	if (da == 0)
		f |= WIRE_F3;
	else
		p = wire_put_varint(p, wire_zigzag((int64_t)da >> u));
	p = wire_put_varint(p, size >> u);
	if (rem_size == 0 && rem_addr == 0) {
		f |= WIRE_F1;
	} else {
		uint64_t off = rem_addr - addr;
		p = wire_put_varint(p, off >> u);
		if (rem_size == size - off)
			f |= WIRE_F0;
		else
			p = wire_put_varint(p, rem_size >> u);
	}
	*tag = (uint8_t)(HEAP_EV_SPLIT | f);
	st->next_seq++;
	st->pred = addr;
	return p;
}

/* The block size the decoder infers for a request of size when a record
 * leaves it out: size rounded up to the unit, at least min_block. A wire rule,
 * not the allocator's: records that leave the block out are used only when
 * the block is this (so an allocator that rounds otherwise still traces true). */
static inline uint64_t wire_expected_block(uint64_t size, unsigned u, uint64_t min_block)
{
	uint64_t mask = ((uint64_t)1 << u) - 1, exp = (size + mask) & ~mask;
	return exp < min_block ? min_block : exp;
}

/* ALLOC or FREE (kind) of block [addr, addr + block) for a request of size
 * aligned to align (a power of two, in bytes). */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_block(struct wire_state *st, uint8_t *p, unsigned kind, uint64_t dt, unsigned u,
                uint64_t min_block, uint64_t addr, uint64_t size, uint64_t block, uint64_t align,
                uint64_t caller, uint32_t examined)
{
	uint8_t *tag = p++;
	unsigned f = 0;
	p = wire_put_varint(p, dt);
	if (align == (uint64_t)1 << u) {
		f |= WIRE_F0;
	} else {
		unsigned l = 0;
		while (align > 1)
			align >>= 1, l++;
		*p++ = (uint8_t)l;
	}
	uint64_t da = addr - st->pred;
	if (da == 0)
		f |= WIRE_F3;
	else
		p = wire_put_varint(p, wire_zigzag((int64_t)da >> u));
	p = wire_put_varint(p, size);
	uint64_t db = block - wire_expected_block(size, u, min_block);
	if (db == 0)
		f |= WIRE_F1;
	else
		p = wire_put_varint(p, wire_zigzag((int64_t)db >> u));
	p = wire_fast_caller(st, p, caller, &f);
	if (kind == HEAP_EV_ALLOC) {
		p = wire_put_varint(p, examined);
		st->pred = addr + block;
	} else {
		st->pred = addr;
		st->last_free = addr;
		st->last_block = block;
	}
	*tag = (uint8_t)(kind | f);
	st->next_seq++;
	return p;
}

/* COALESCE right after the FREE of (st->last_free, st->last_block): the merged
 * block [addr, addr + size), merged = HEAP_MERGED_* (<= 3). */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_coalesce_after_free(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u,
                              unsigned merged, uint64_t addr, uint64_t size)
{
	uint8_t *tag = p++;
	unsigned f = merged << 4 | WIRE_F2;
	p = wire_put_varint(p, dt);
	uint64_t back = st->last_free - addr;
	if (back == 0)
		f |= WIRE_F3;
	else
		p = wire_put_varint(p, back >> u);
	p = wire_put_varint(p, (size - back - st->last_block) >> u);
	*tag = (uint8_t)(HEAP_EV_COALESCE | f);
	st->next_seq++;
	st->pred = addr;
	return p;
}

/* log2 of a power of two (de Bruijn multiply, no loop). */
static inline unsigned wire_log2_pow2(uint64_t x)
{
	static const uint8_t tab[64] = {
	    0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
	    22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
	    23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
	return tab[(x * 0x022fdd63cc95386dull) >> 58];
}

/* Little-endian fixed-width fields of the pair records. */
static inline __attribute__((always_inline)) uint8_t *wire_put_u16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline __attribute__((always_inline)) uint8_t *wire_put_u24(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	return p + 3;
}

/* Nonzero unless d fits a signed 16-bit field. */
static inline uint64_t wire_s16_over(int64_t d)
{
	return (uint64_t)((d >> 15) + 1) >> 1;
}

/* SPLIT (if old_size != block) of the free block (s, old_size) and ALLOC of
 * [addr, addr + block) inside it for (size, align): the allocator's cut, as
 * one WIRE_TAG_SPLIT_ALLOC record of fixed-width fields (no varint branches).
 * Declines (below) when block is not wire_expected_block(size): the record
 * leaves the block out. Preconditions beyond the fast encoders' (true of
 * every heap.c call by its invariants): s <= addr and addr + block <= s +
 * old_size; s, addr, old_size and st->pred are multiples of the unit. When a
 * field does not fit its width or the caller is not cached, returns NULL
 * having changed nothing but bytes at p (use wire_fast_alloc_events);
 * else returns the record's end. */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_alloc_pair(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u,
                     uint64_t min_block, uint64_t s, uint64_t old_size, uint64_t addr,
                     uint64_t size, uint64_t block, uint64_t align, uint64_t caller,
                     uint32_t examined)
{
	/* every check first, so that a decline needs nothing undone */
	unsigned slot = wire_cache_slot(caller);
	int64_t ds = (int64_t)(s - st->pred) >> u;
	uint64_t old = old_size >> u, pad = addr - s;
	if ((dt >> 8) | (size >> 16) | (old >> 24) | (examined >> 8) | (pad >> u >> 16) |
	        wire_s16_over(ds) | (block ^ wire_expected_block(size, u, min_block)) ||
	    st->cache[slot] != caller)
		return 0;
	uint8_t *q = p + 2;
	unsigned tag = WIRE_TAG_SPLIT_ALLOC;
	if (__builtin_expect(align != (uint64_t)1 << u || pad, 0)) {
		tag |= WIRE_F0;
		q[0] = (uint8_t)wire_log2_pow2(align);
		q = wire_put_u16(q + 1, pad >> u);
	}
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)dt;
	q = wire_put_u16(q, (uint64_t)ds);
	q = wire_put_u16(q, size);
	q = wire_put_u24(q, old);
	q[0] = (uint8_t)slot;
	q[1] = (uint8_t)examined;
	st->next_seq += 1 + (old_size != block);
	st->pred = addr + block;
	return q + 2;
}

/* The same events as two compact records (any shape). */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_alloc_events(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u,
                       uint64_t min_block, uint64_t s, uint64_t old_size, uint64_t addr,
                       uint64_t size, uint64_t block, uint64_t align, uint64_t caller,
                       uint32_t examined)
{
	if (old_size != block) {
		uint64_t rem = addr + block, rest = s + old_size - rem;
		p = wire_fast_split(st, p, dt, u, s, old_size, rest ? rem : 0, rest);
		dt = 0;
	}
	return wire_fast_block(st, p, HEAP_EV_ALLOC, dt, u, min_block, addr, size, block, align,
	                       caller, examined);
}

/* FREE of [addr, addr + block) for (size, align), then, if merged (HEAP_MERGED_*),
 * the COALESCE into [merged_addr, merged_addr + merged_size): one
 * WIRE_TAG_FREE_MERGE record of fixed-width fields; declines when block is not
 * wire_expected_block(size) (the record leaves it out). Preconditions beyond
 * the fast encoders' (true of every heap.c call): merged_addr <= addr, and back = addr - merged_addr is nonzero exactly when
 * merged has HEAP_MERGED_PREV, rest = merged_size - back - block exactly
 * when it has HEAP_MERGED_NEXT (so without a merge, merged_addr == addr and
 * merged_size == block); addresses, st->pred and merged_size are
 * multiples of the unit. Returns NULL having changed nothing but bytes at p
 * when a field does not fit or the caller is not cached (use
 * wire_fast_free_events), else the record's end. */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_free_pair(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u,
                    uint64_t min_block, uint64_t addr, uint64_t size, uint64_t block,
                    uint64_t align, uint64_t caller, unsigned merged, uint64_t merged_addr,
                    uint64_t merged_size)
{
	/* every check first, so that a decline needs nothing undone; without a
	 * merge back and rest are 0 (merged_addr == addr, merged_size == block) */
	unsigned slot = wire_cache_slot(caller);
	int64_t da = (int64_t)(addr - st->pred) >> u;
	uint64_t back = addr - merged_addr, rest = merged_size - back - block;
	if ((dt >> 8) | (size >> 16) | ((back | rest) >> u >> 24) | wire_s16_over(da) |
	        (block ^ wire_expected_block(size, u, min_block)) ||
	    st->cache[slot] != caller)
		return 0;
	uint8_t *q = p + 2;
	unsigned tag = WIRE_TAG_FREE_MERGE | merged << 4;
	if (__builtin_expect(align != (uint64_t)1 << u, 0)) {
		tag |= WIRE_F2;
		*q++ = (uint8_t)wire_log2_pow2(align);
	}
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)dt;
	q = wire_put_u16(q, (uint64_t)da);
	q = wire_put_u16(q, size);
	*q++ = (uint8_t)slot;
	if (merged & HEAP_MERGED_PREV)
		q = wire_put_u24(q, back >> u);
	if (merged & HEAP_MERGED_NEXT)
		q = wire_put_u24(q, rest >> u);
	st->next_seq += 1 + (merged != 0);
	st->last_free = addr;
	st->last_block = block;
	st->pred = merged_addr;
	return q;
}

/* The same events as compact records (any shape). */
static inline __attribute__((always_inline)) uint8_t *
wire_fast_free_events(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u,
                      uint64_t min_block, uint64_t addr, uint64_t size, uint64_t block,
                      uint64_t align, uint64_t caller, unsigned merged, uint64_t merged_addr,
                      uint64_t merged_size)
{
	p = wire_fast_block(st, p, HEAP_EV_FREE, dt, u, min_block, addr, size, block, align, caller, 0);
	if (merged)
		p = wire_fast_coalesce_after_free(st, p, 0, u, merged, merged_addr, merged_size);
	return p;
}

#endif /* TRACE_WIRE_H */
