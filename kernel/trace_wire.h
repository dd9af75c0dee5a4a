/* trace_wire.h - compact binary encoding of heap events (kernel and host).
 *
 * Freestanding: includes only <stdint.h>, <stddef.h>, <stdbool.h>. The same
 * trace_wire.c is compiled into the kernel (encoder) and into heaptrace
 * (decoder); the decoder mirrors every piece of encoder state, so both must
 * see the same event sequence from the stream header on. Format: docs/trace-wire.md.
 *
 *   stream = header (event | stack)*
 *   header = "HTRW" version:u8 flags:u8 [depth:u8] time_hz:varint name_len:u8 name[name_len]
 *   event  = tag:u8 fields...      tag = kind (low nibble) | flags (high nibble)
 *   stack  = 0x0d id:varint depth:u8 frame0:varint (frame_i - frame_i-1):zz...
 *
 * With WIRE_FLAG_STACKS (depth byte present) every event's caller field holds
 * a wire stack id, defined by an earlier STACK record, instead of a return
 * address; without it streams are as they always were.
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
#define WIRE_FLAG_STACKS  0x2u /* header flag: a depth byte follows; callers are stack ids */
#define WIRE_NAME_MAX     31   /* longest workload name in the header */
#define WIRE_HEADER_MAX   (4 + 1 + 1 + 1 + 10 + 1 + WIRE_NAME_MAX)
#define WIRE_EVENT_MAX    160   /* upper bound on one encoded event, bytes */
#define WIRE_CACHE_SIZE   64    /* caller cache entries (direct-mapped) */
#define WIRE_TAG_RAW      0x0fu /* kind nibble of the escape form: every field in full */
#define WIRE_TAG_SPLIT_ALLOC 0x0au /* pair record: SPLIT + ALLOC of the split block's start */
#define WIRE_TAG_FREE_MERGE  0x0bu /* FREE [+ COALESCE], the common shape */
#define WIRE_TAG_MISUSE      0x0cu /* MISUSE (its kind, 10, is the split+alloc tag's nibble) */
#define WIRE_TAG_STACK       0x0du /* STACK record: defines a stack id (not an event) */

#define WIRE_STACK_DEPTH_MAX 32   /* most frames a stack carries (trace.depth=N, N <= this) */
#define WIRE_STACK_IDS       1024 /* stack ids are 1..WIRE_STACK_IDS; 0 = no stack */
#define WIRE_STACK_MAX       (1 + 2 + 1 + 10 * WIRE_STACK_DEPTH_MAX) /* longest STACK record */

/* One call stack: frames[0] is the caller (the return address into the code
 * that called the allocator API), frames[1..depth) its callers, outward. */
struct wire_stack {
	uint32_t id;                             /* 1..WIRE_STACK_IDS */
	uint32_t depth;                          /* frames used, 1..WIRE_STACK_DEPTH_MAX */
	uint64_t frames[WIRE_STACK_DEPTH_MAX];   /* return addresses, innermost first */
};

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
	/* decoder only: the last STACK record decoded (wire_decode returned
	 * WIRE_STACK for it); kept until the next one */
	struct wire_stack stack;
};

struct wire_stream_info {
	uint32_t version;             /* WIRE_VERSION */
	uint32_t flags;               /* WIRE_FLAG_* */
	uint32_t stack_depth;         /* frames per stack (WIRE_FLAG_STACKS), 0 = no stacks */
	uint64_t time_hz;             /* ticks per second of event times */
	char name[WIRE_NAME_MAX + 1]; /* workload name, NUL-terminated */
};

/* Resets st for a new stream (instret: whether events carry it). */
void wire_state_init(struct wire_state *st, bool instret);

/* Writes the stream header into out (at least WIRE_HEADER_MAX bytes).
 * stack_depth: 0 for a stream whose callers are return addresses (flags'
 * WIRE_FLAG_STACKS is then cleared), else 1..WIRE_STACK_DEPTH_MAX (the flag is
 * set and the depth byte written): callers are stack ids. name is truncated
 * to WIRE_NAME_MAX. Returns bytes written. */
size_t wire_encode_header(uint8_t *out, uint64_t time_hz, uint32_t flags, uint32_t stack_depth,
                          const char *name);

/* Encodes ev into out (at least WIRE_EVENT_MAX bytes) and advances st.
 * Any event round-trips exactly (unusual ones take the longer escape form).
 * Returns bytes written (1..WIRE_EVENT_MAX). */
size_t wire_encode(struct wire_state *st, const struct heap_event *ev, uint8_t *out);

/* Encodes the STACK record of s (id 1..WIRE_STACK_IDS, depth
 * 1..WIRE_STACK_DEPTH_MAX) into out (at least WIRE_STACK_MAX bytes). It
 * (re)defines s->id for the events after it; st does not change (a STACK
 * record is not an event: no sequence number, no time). Returns bytes written. */
size_t wire_encode_stack(struct wire_state *st, const struct wire_stack *s, uint8_t *out);

enum wire_status {
	WIRE_OK = 0,    /* one event or header decoded */
	WIRE_NEED_MORE, /* the input ends inside it: give more bytes (or report truncation) */
	WIRE_CORRUPT,   /* bytes that no encoder writes; *why says what */
	WIRE_STACK,     /* a STACK record decoded into st->stack; no event */
};

/* Decodes the stream header from in[0..len). On WIRE_OK *used is its size. */
enum wire_status wire_decode_header(const uint8_t *in, size_t len, struct wire_stream_info *info,
                                    size_t *used, const char **why);

/* Decodes one event from in[0..len) into *ev and advances st (only on
 * WIRE_OK; st is untouched otherwise). On WIRE_OK *used is the event's size;
 * on WIRE_STACK the record was a STACK record, now in st->stack (the only
 * part of st that changed), *used is its size and *ev is untouched; on
 * WIRE_CORRUPT *why is a static description (a STACK record with id 0 or
 * above WIRE_STACK_IDS, or depth 0 or above WIRE_STACK_DEPTH_MAX, is one). */
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

/* ---- record shapes of the allocator's calls (the kernel's hot path) --------
 *
 * One function per shape: the events of one allocation (SPLIT, unless an exact
 * fit, then ALLOC) and of one free (FREE, then COALESCE if a neighbour merged),
 * taking the fields as arguments instead of a struct heap_event. Each picks
 * the form itself: one pair record when it says the events exactly (the common
 * case, straight-line code inlined into the caller), else the per-event compact
 * or escape forms (wire_encode's choice, out of line: wire_encode_*_events).
 * They write at *pos and advance it, and advance st as the decoder will, for
 * events numbered from st->next_seq and stamped time (st->time becomes time).
 * events: whether to write a shape the pair record declines now (true, the
 * usual); false returns false having changed nothing, for a sink that calls
 * wire_encode_*_events itself out of line (kernel/trace.c: its hot functions
 * then stay leaves). Returns whether the events were written.
 * Preconditions (true of every call of the allocator core by its invariants;
 * kernel/trace.c's bound sink arms the fast path only when they hold): st is a
 * stream without instret; u == st->unit_log2 and min_block == st->min_block
 * (passed so that constants fold); addresses, sizes and st->pred are
 * multiples of 1 << u; align is a power of two; *pos has WIRE_FAST_MAX bytes
 * of room. */

#define WIRE_F0       0x10u /* tag flag bits (the high nibble) */
#define WIRE_F1       0x20u
#define WIRE_F2       0x40u
#define WIRE_F3       0x80u
#define WIRE_FAST_MAX 96 /* bytes one allocator call encodes to, at most */

/* The out-of-line half of the shapes below: the same events as compact (or
 * escape) records, one each, through wire_encode. The fields come first, in
 * the order of the allocator's bound sink (kernel/heap.h), so that in a sink
 * that calls a shape they can stay in the registers they arrived in. */
void wire_encode_alloc_events(uint64_t s, uint64_t old_size, uint64_t addr, uint64_t size,
                              uint64_t block, uint64_t align, uint64_t caller, uint32_t examined,
                              struct wire_state *st, uint8_t **pos, uint64_t time);
void wire_encode_free_events(uint64_t addr, uint64_t size, uint64_t block, uint64_t align,
                             uint64_t caller, unsigned merged, uint64_t merged_addr,
                             uint64_t merged_size, struct wire_state *st, uint8_t **pos,
                             uint64_t time);

/* The caller cache's slot of caller (direct-mapped, WIRE_CACHE_SIZE slots). */
static inline unsigned wire_cache_slot(uint64_t caller)
{
	return (unsigned)((caller >> 1) ^ (caller >> 7)) & (WIRE_CACHE_SIZE - 1);
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

/* The WIRE_TAG_SPLIT_ALLOC record of an allocation (shape: wire_encode_alloc),
 * fixed-width fields, no varint branches; dt: the time delta. NULL, having
 * changed nothing but bytes at p, when the record cannot say the events: a
 * field does not fit its width, the caller is not cached, or block is not
 * wire_expected_block(size) (the record leaves it out). */
static inline __attribute__((always_inline)) uint8_t *
wire_alloc_pair(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u, uint64_t min_block,
                uint64_t s, uint64_t old_size, uint64_t addr, uint64_t size, uint64_t block,
                uint64_t align, uint64_t caller, uint32_t examined)
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

/* The WIRE_TAG_FREE_MERGE record of a free (shape: wire_encode_free); NULL as
 * wire_alloc_pair's. Without a merge, back and rest are 0 (merged_addr ==
 * addr, merged_size == block). */
static inline __attribute__((always_inline)) uint8_t *
wire_free_pair(struct wire_state *st, uint8_t *p, uint64_t dt, unsigned u, uint64_t min_block,
               uint64_t addr, uint64_t size, uint64_t block, uint64_t align, uint64_t caller,
               unsigned merged, uint64_t merged_addr, uint64_t merged_size)
{
	/* every check first, so that a decline needs nothing undone */
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

/* An allocation: [addr, addr + block) for (size, align) cut from the free
 * block (s, old_size), s <= addr and addr + block <= s + old_size; old_size ==
 * block is an exact fit (no SPLIT). The split's remainder is what follows the
 * allocation (s + old_size - addr - block bytes at addr + block). */
static inline __attribute__((always_inline)) bool
wire_encode_alloc(struct wire_state *st, uint8_t **pos, uint64_t time, unsigned u,
                  uint64_t min_block, uint64_t s, uint64_t old_size, uint64_t addr, uint64_t size,
                  uint64_t block, uint64_t align, uint64_t caller, uint32_t examined, bool events)
{
	uint8_t *q = wire_alloc_pair(st, *pos, time - st->time, u, min_block, s, old_size, addr,
	                             size, block, align, caller, examined);
	if (__builtin_expect(!q, 0)) {
		if (events)
			wire_encode_alloc_events(s, old_size, addr, size, block, align, caller,
			                         examined, st, pos, time);
		return events;
	}
	st->time = time;
	*pos = q;
	return true;
}

/* A free of [addr, addr + block) for (size, align), then, if merged
 * (HEAP_MERGED_*), the COALESCE into [merged_addr, merged_addr + merged_size):
 * merged_addr <= addr, back = addr - merged_addr nonzero exactly with
 * HEAP_MERGED_PREV, rest = merged_size - back - block nonzero exactly with
 * HEAP_MERGED_NEXT (no merge: merged_addr == addr, merged_size == block). */
static inline __attribute__((always_inline)) bool
wire_encode_free(struct wire_state *st, uint8_t **pos, uint64_t time, unsigned u,
                 uint64_t min_block, uint64_t addr, uint64_t size, uint64_t block, uint64_t align,
                 uint64_t caller, unsigned merged, uint64_t merged_addr, uint64_t merged_size,
                 bool events)
{
	uint8_t *q = wire_free_pair(st, *pos, time - st->time, u, min_block, addr, size, block,
	                            align, caller, merged, merged_addr, merged_size);
	if (__builtin_expect(!q, 0)) {
		if (events)
			wire_encode_free_events(addr, size, block, align, caller, merged,
			                        merged_addr, merged_size, st, pos, time);
		return events;
	}
	st->time = time;
	*pos = q;
	return true;
}

#endif /* TRACE_WIRE_H */
