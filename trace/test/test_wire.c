/* test_wire.c - host unit tests of the binary trace encoder/decoder (kernel/trace_wire.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "test/test.h"
#include "trace_wire.h"

#define BASE 0x80400000ull

static void assert_same_event(const struct heap_event *a, const struct heap_event *b)
{
	ASSERT_EQ(a->kind, b->kind);
	ASSERT_EQ(a->flags, b->flags);
	ASSERT_EQ(a->align_log2, b->align_log2);
	ASSERT_EQ(a->examined, b->examined);
	ASSERT_EQ(a->seq, b->seq);
	ASSERT_EQ(a->time, b->time);
	ASSERT_EQ(a->instret, b->instret);
	ASSERT_EQ(a->addr, b->addr);
	ASSERT_EQ(a->size, b->size);
	ASSERT_EQ(a->block, b->block);
	ASSERT_EQ(a->addr2, b->addr2);
	ASSERT_EQ(a->size2, b->size2);
	ASSERT_EQ(a->caller, b->caller);
	if (a->kind == HEAP_EV_MARKER)
		ASSERT_STR_EQ(a->name, b->name);
}

/* A plausible allocator session: init, split+alloc pairs, frees that merge, a marker, a drop, end.
 */
static size_t make_session(struct heap_event *evs, size_t max, bool instret)
{
	size_t n = 0;
	uint64_t seq = 0, t = 100, ins = 5000;
	struct heap_event e;
#define PUSH()                                                                                     \
	do {                                                                                       \
		e.seq = seq++;                                                                     \
		e.time = (t += 3);                                                                 \
		e.instret = instret ? (ins += 250) : 0;                                            \
		if (n < max)                                                                       \
			evs[n++] = e;                                                              \
	} while (0)
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_INIT, e.addr = BASE, e.size = 1 << 20, e.block = 16, e.align_log2 = 4;
	PUSH();
	uint64_t top = BASE, free_size = 1 << 20;
	for (int i = 0; i < 40; i++) {
		uint64_t req = 8 + (uint64_t)(i * 37 % 300), blk = (req + 15) & ~15ull;
		memset(&e, 0, sizeof e);
		e.kind = HEAP_EV_SPLIT, e.addr = top, e.size = free_size, e.addr2 = top + blk,
		e.size2 = free_size - blk;
		PUSH();
		memset(&e, 0, sizeof e);
		e.kind = HEAP_EV_ALLOC, e.addr = top, e.size = req, e.block = blk, e.align_log2 = 4,
		e.caller = 0x80201000 + (i % 5) * 0x40, e.examined = 1;
		PUSH();
		top += blk, free_size -= blk;
	}
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_MARKER;
	strcpy(e.name, "phase two");
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_FREE, e.addr = top - 48, e.size = 40, e.block = 48, e.align_log2 = 4,
	e.caller = 0x80201000;
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_COALESCE, e.addr = top - 48, e.size = 48 + free_size, e.addr2 = top - 48,
	e.size2 = 48, e.flags = HEAP_MERGED_NEXT;
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_ALLOC, e.addr = BASE + 4096, e.size = 100, e.block = 112,
	e.align_log2 = 12, e.caller = 0x80203456, e.examined = 3;
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_ALLOC_FAIL, e.size = 1 << 21, e.align_log2 = 4, e.block = 900000,
	e.size2 = 800000, e.caller = 0x80201000, e.examined = 7;
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_REALLOC, e.addr = BASE + 64, e.size = 200, e.addr2 = BASE + 16,
	e.size2 = 100, e.caller = 0x80201040;
	PUSH();
	seq += 17; /* 17 events dropped */
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_DROP, e.size = 17;
	PUSH();
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_END, e.size = seq + 1, e.block = 4096, e.size2 = 17,
	e.flags = HEAP_END_PANIC;
	PUSH();
#undef PUSH
	return n;
}

static size_t encode_all(const struct heap_event *evs, size_t n, bool instret, uint8_t *buf)
{
	struct wire_state st;
	wire_state_init(&st, instret);
	size_t len = wire_encode_header(buf, 10000000, instret ? WIRE_FLAG_INSTRET : 0, 0, "churn");
	for (size_t i = 0; i < n; i++)
		len += wire_encode(&st, &evs[i], buf + len);
	return len;
}

/* Decodes buf fully; returns the number of events or -1 on a problem. */
static long decode_all(const uint8_t *buf, size_t len, struct heap_event *out, size_t max)
{
	struct wire_stream_info info;
	size_t used;
	const char *why;
	if (wire_decode_header(buf, len, &info, &used, &why) != WIRE_OK)
		return -1;
	struct wire_state st;
	wire_state_init(&st, info.flags & WIRE_FLAG_INSTRET);
	size_t pos = used, n = 0;
	while (pos < len || wire_pending(&st)) {
		struct heap_event ev;
		if (wire_decode(&st, buf + pos, len - pos, &ev, &used, &why) != WIRE_OK)
			return -1;
		if (n < max)
			out[n] = ev;
		n++;
		pos += used;
	}
	return (long)n;
}

TEST_CASE(header_round_trips_with_name_and_flags)
{
	uint8_t buf[WIRE_HEADER_MAX];
	size_t len = wire_encode_header(buf, 10000000, WIRE_FLAG_INSTRET, 0, "vector");
	struct wire_stream_info info;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode_header(buf, len, &info, &used, &why), (int)WIRE_OK);
	ASSERT_EQ(used, len);
	ASSERT_EQ(info.time_hz, 10000000u);
	ASSERT_EQ(info.flags, (uint32_t)WIRE_FLAG_INSTRET);
	ASSERT_STR_EQ(info.name, "vector");
	for (size_t cut = 0; cut < len; cut++)
		ASSERT_EQ((int)wire_decode_header(buf, cut, &info, &used, &why),
		          (int)WIRE_NEED_MORE);
}

TEST_CASE(header_with_bad_magic_is_corrupt)
{
	const uint8_t junk[] = "heapscope kernel: hart 0";
	struct wire_stream_info info;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode_header(junk, sizeof junk, &info, &used, &why),
	          (int)WIRE_CORRUPT);
	ASSERT_NOT_NULL(why);
}

static void check_session_round_trips(bool instret)
{
	static struct heap_event evs[200], got[200];
	static uint8_t buf[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 200, instret);
	size_t len = encode_all(evs, n, instret, buf);
	ASSERT_EQ(decode_all(buf, len, got, 200), (long)n);
	for (size_t i = 0; i < n; i++)
		assert_same_event(&evs[i], &got[i]);
}

TEST_CASE(session_round_trips_exactly_without_instret)
{
	check_session_round_trips(false);
}

TEST_CASE(session_round_trips_exactly_with_instret)
{
	check_session_round_trips(true);
}

TEST_CASE(split_then_alloc_pairs_take_few_bytes)
{
	static struct heap_event evs[200];
	static uint8_t buf[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 200, false);
	struct wire_state st;
	wire_state_init(&st, false);
	size_t bytes = 0, pairs = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = wire_encode(&st, &evs[i], buf);
		if (evs[i].kind == HEAP_EV_SPLIT ||
		    (evs[i].kind == HEAP_EV_ALLOC && evs[i].align_log2 == 4))
			bytes += len, pairs++;
	}
	ASSERT_GT(pairs, 0u);
	ASSERT_LE(bytes,
	          pairs * 6); /* split: tag, dt, size, offset; alloc: tag, dt, size, caller, ex */
}

/* Zeroes the fields a kind does not use (heap_event.h: "fields not listed are 0";
 * the compact form does not carry them). */
static void normalize(struct heap_event *e)
{
	struct heap_event z;
	memset(&z, 0, sizeof z);
	z.kind = e->kind, z.seq = e->seq, z.time = e->time, z.instret = e->instret;
	switch (e->kind) {
	case HEAP_EV_INIT:
		z.addr = e->addr, z.size = e->size, z.block = e->block,
		z.align_log2 = e->align_log2;
		break;
	case HEAP_EV_ALLOC:
		z.examined = e->examined; /* fall through */
	case HEAP_EV_FREE:
		z.addr = e->addr, z.size = e->size, z.block = e->block,
		z.align_log2 = e->align_log2, z.caller = e->caller;
		break;
	case HEAP_EV_SPLIT:
		z.addr = e->addr, z.size = e->size, z.addr2 = e->addr2, z.size2 = e->size2;
		break;
	case HEAP_EV_COALESCE:
		z.addr = e->addr, z.size = e->size, z.addr2 = e->addr2, z.size2 = e->size2,
		z.flags = e->flags;
		break;
	case HEAP_EV_ALLOC_FAIL:
		z.size = e->size, z.block = e->block, z.size2 = e->size2,
		z.align_log2 = e->align_log2;
		z.caller = e->caller, z.examined = e->examined;
		break;
	case HEAP_EV_REALLOC:
		z.addr = e->addr, z.size = e->size, z.addr2 = e->addr2, z.size2 = e->size2,
		z.caller = e->caller;
		break;
	case HEAP_EV_MARKER:
		memcpy(z.name, e->name, sizeof z.name);
		break;
	case HEAP_EV_DROP:
		z.size = e->size;
		break;
	case HEAP_EV_END:
		z.size = e->size, z.block = e->block, z.size2 = e->size2, z.flags = e->flags;
		break;
	case HEAP_EV_MISUSE:
		z.addr = e->addr, z.size = e->size, z.size2 = e->size2, z.flags = e->flags,
		z.align_log2 = e->align_log2, z.caller = e->caller;
		break;
	}
	*e = z;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t rnd_value(void)
{
	switch (rnd() % 5) {
	case 0:
		return 0;
	case 1:
		return rnd() % 64 * 16;
	case 2:
		return BASE + rnd() % 4096 * 16;
	case 3:
		return rnd() % 1000;
	default:
		return rnd();
	}
}

TEST_CASE(random_events_round_trip_exactly)
{
	enum { N = 5000 };
	static struct heap_event evs[N], got[N];
	static uint8_t buf[N * WIRE_EVENT_MAX + 64];
	uint64_t seq = 0, t = 0;
	for (int i = 0; i < N; i++) {
		struct heap_event *e = &evs[i];
		memset(e, 0, sizeof *e);
		e->kind = (uint8_t)(rnd() % HEAP_EV_COUNT);
		if (rnd() % 4 == 0)
			e->flags = (uint8_t)(rnd() % 5);
		if (rnd() % 3 == 0)
			e->align_log2 = (uint8_t)(rnd() % 14);
		if (rnd() % 3 == 0)
			e->examined = (uint32_t)rnd();
		seq += rnd() % 8 == 0 ? rnd() % 100 : 1;
		e->seq = seq;
		t += rnd() % 8 == 0 ? (uint64_t) - (int64_t)(rnd() % 5) : rnd() % 300;
		e->time = t;
		e->instret = rnd() % 2 ? rnd_value() : 0;
		e->addr = rnd_value(), e->size = rnd_value(), e->block = rnd_value();
		e->addr2 = rnd_value(), e->size2 = rnd_value(), e->caller = rnd_value();
		if (e->kind == HEAP_EV_MARKER)
			snprintf(e->name, sizeof e->name, "m%llu",
			         (unsigned long long)(rnd() % 100000));
		normalize(e);
	}
	size_t len = encode_all(evs, N, true, buf);
	ASSERT_EQ(decode_all(buf, len, got, N), N);
	for (int i = 0; i < N; i++)
		assert_same_event(&evs[i], &got[i]);
}

TEST_CASE(every_truncation_needs_more_and_leaves_state_alone)
{
	static struct heap_event evs[200];
	static uint8_t buf[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 200, true);
	struct wire_state enc, dec;
	wire_state_init(&enc, true);
	wire_state_init(&dec, true);
	for (size_t i = 0; i < n; i++) {
		size_t len = wire_encode(&enc, &evs[i], buf);
		for (size_t cut = 0; cut < len; cut++) {
			struct wire_state before = dec;
			struct heap_event ev;
			size_t used;
			const char *why;
			ASSERT_EQ((int)wire_decode(&dec, buf, cut, &ev, &used, &why),
			          (int)WIRE_NEED_MORE);
			ASSERT_MEM_EQ(&before, &dec, sizeof dec);
		}
		struct heap_event ev;
		size_t used;
		const char *why;
		ASSERT_EQ((int)wire_decode(&dec, buf, len, &ev, &used, &why), (int)WIRE_OK);
		ASSERT_EQ(used, len);
		assert_same_event(&evs[i], &ev);
	}
}

TEST_CASE(unknown_tag_is_reported_as_corrupt)
{
	struct wire_state st;
	wire_state_init(&st, false);
	const uint8_t bad[] = {0x0e, 1, 2, 3};
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode(&st, bad, sizeof bad, &ev, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_STR_EQ(why, "unknown event tag");
}

/* The double free of the panic workload, as kernel/kheap.c reports it. */
static struct heap_event misuse_event(uint64_t seq, uint64_t time)
{
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_MISUSE, e.seq = seq, e.time = time;
	e.flags = HEAP_MISUSE_FLAGS(HEAP_OP_DEALLOC, HEAP_ERR_DOUBLE_FREE);
	e.addr = BASE + 0x40, e.size = 64, e.align_log2 = 4, e.caller = 0x80206070;
	return e;
}

TEST_CASE(misuse_after_a_session_round_trips_in_its_own_compact_record)
{
	static struct heap_event evs[200], got[200];
	static uint8_t buf[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 199, false) - 1; /* without the end */
	size_t before = encode_all(evs, n, false, buf);
	evs[n] = misuse_event(evs[n - 1].seq + 1, evs[n - 1].time + 5);
	n++;
	size_t len = encode_all(evs, n, false, buf);
	ASSERT_EQ(buf[before] & 0x0fu, WIRE_TAG_MISUSE); /* not the escape form */
	ASSERT_LE(len - before, 16u); /* the escape form takes over 30 */
	ASSERT_EQ(decode_all(buf, len, got, 200), (long)n);
	assert_same_event(&evs[n - 1], &got[n - 1]);
	ASSERT_EQ(HEAP_MISUSE_OP(got[n - 1].flags), (unsigned)HEAP_OP_DEALLOC);
	ASSERT_EQ(HEAP_MISUSE_ERROR(got[n - 1].flags), (unsigned)HEAP_ERR_DOUBLE_FREE);
}

TEST_CASE(misuse_out_of_sequence_takes_the_escape_form_and_round_trips)
{
	struct heap_event e = misuse_event(7, 100); /* the stream expects seq 0 */
	uint8_t buf[WIRE_HEADER_MAX + WIRE_EVENT_MAX];
	size_t len = encode_all(&e, 1, false, buf);
	struct heap_event got;
	ASSERT_EQ(decode_all(buf, len, &got, 1), 1);
	assert_same_event(&e, &got);
}

TEST_CASE(every_truncation_of_a_misuse_record_needs_more)
{
	struct heap_event e = misuse_event(0, 3);
	uint8_t buf[WIRE_EVENT_MAX];
	struct wire_state enc, dec;
	wire_state_init(&enc, false);
	wire_state_init(&dec, false);
	size_t len = wire_encode(&enc, &e, buf);
	for (size_t cut = 0; cut < len; cut++) {
		struct heap_event ev;
		size_t used;
		const char *why;
		ASSERT_EQ((int)wire_decode(&dec, buf, cut, &ev, &used, &why), (int)WIRE_NEED_MORE);
	}
}

TEST_CASE(misuse_tag_with_unknown_flags_is_corrupt)
{
	struct wire_state st;
	wire_state_init(&st, false);
	const uint8_t bad[] = {WIRE_TAG_MISUSE | 0x10, 0, 0x33, 4, 0, 0, 0, 0};
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode(&st, bad, sizeof bad, &ev, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_STR_EQ(why, "unknown flags on a misuse tag");
}

TEST_CASE(overlong_varint_is_reported_as_corrupt)
{
	struct wire_state st;
	wire_state_init(&st, false);
	uint8_t bad[16];
	bad[0] = HEAP_EV_DROP;
	for (int i = 1; i < 16; i++)
		bad[i] = 0xff;
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode(&st, bad, sizeof bad, &ev, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_NOT_NULL(why);
}

TEST_CASE(compact_coalesce_that_merged_nothing_is_corrupt)
{
	struct wire_state st;
	wire_state_init(&st, false);
	/* tag coalesce with F2 (the last free's block) and no merge flags, dt 0, back 0, rest 0 */
	const uint8_t bad[] = {HEAP_EV_COALESCE | 0x40 | 0x80, 0, 0};
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode(&st, bad, sizeof bad, &ev, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_STR_EQ(why, "a coalesce that merged nothing");
}

TEST_CASE(coalesce_that_merged_nothing_is_encoded_in_the_escape_form_and_round_trips)
{
	struct wire_state enc, dec;
	wire_state_init(&enc, false);
	wire_state_init(&dec, false);
	struct heap_event e = {.kind = HEAP_EV_COALESCE, .addr = 0x1000, .size = 64,
	                       .addr2 = 0x1000, .size2 = 64, .flags = 0};
	uint8_t buf[WIRE_EVENT_MAX];
	size_t len = wire_encode(&enc, &e, buf);
	ASSERT_EQ(buf[0], WIRE_TAG_RAW);
	struct heap_event got;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode(&dec, buf, len, &got, &used, &why), (int)WIRE_OK);
	assert_same_event(&e, &got);
}

TEST_CASE(escape_record_with_a_name_is_corrupt_unless_a_marker)
{
	struct heap_event e = {.kind = HEAP_EV_MARKER, .seq = 5}; /* seq 5: the escape form */
	strcpy(e.name, "ab");
	struct wire_state enc, dec;
	wire_state_init(&enc, false);
	uint8_t buf[WIRE_EVENT_MAX];
	size_t len = wire_encode(&enc, &e, buf);
	ASSERT_EQ(buf[0], WIRE_TAG_RAW);
	ASSERT_EQ(buf[1], HEAP_EV_MARKER);
	struct heap_event got;
	size_t used;
	const char *why = NULL;
	wire_state_init(&dec, false);
	ASSERT_EQ((int)wire_decode(&dec, buf, len, &got, &used, &why), (int)WIRE_OK);
	ASSERT_STR_EQ(got.name, "ab");
	buf[1] = HEAP_EV_DROP; /* the same bytes, another kind: no encoder writes its name */
	wire_state_init(&dec, false);
	ASSERT_EQ((int)wire_decode(&dec, buf, len, &got, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_STR_EQ(why, "a name on an escape record that is not a marker");
}

TEST_CASE(a_block_opens_to_its_payload_and_every_single_bit_flip_is_caught)
{
	static uint8_t blk[WIRE_BLOCK_HEAD + 301];
	for (size_t i = 0; i < 301; i++)
		blk[WIRE_BLOCK_HEAD + i] = (uint8_t)(i * 37 + 11);
	wire_block_head(blk, blk + WIRE_BLOCK_HEAD, 301);
	size_t len;
	const char *why;
	ASSERT_EQ((int)wire_block_open(blk, sizeof blk, WIRE_BLOCK_MAX, &len, &why), (int)WIRE_OK);
	ASSERT_EQ(len, 301u);
	for (size_t cut = 0; cut < sizeof blk; cut++)
		ASSERT_EQ((int)wire_block_open(blk, cut, WIRE_BLOCK_MAX, &len, &why),
		          (int)WIRE_NEED_MORE);
	for (size_t bit = 0; bit < 8 * sizeof blk; bit++) {
		blk[bit / 8] ^= (uint8_t)(1u << bit % 8);
		enum wire_status st = wire_block_open(blk, sizeof blk, WIRE_BLOCK_MAX, &len, &why);
		blk[bit / 8] ^= (uint8_t)(1u << bit % 8);
		/* a longer length needs more bytes; anything else is corrupt */
		ASSERT_MSG(st == WIRE_CORRUPT || (st == WIRE_NEED_MORE && bit < 32),
		           "bit %zu: status %d", bit, (int)st);
	}
}

TEST_CASE(block_check_is_the_same_at_any_alignment)
{
	static uint64_t words[40];
	uint8_t *b = (uint8_t *)words;
	for (size_t i = 0; i < 300; i++)
		b[i] = (uint8_t)(i * 7);
	uint64_t aligned = wire_block_check(b, 290);
	memmove(b + 3, b, 290);
	ASSERT_EQ(wire_block_check(b + 3, 290), aligned);
}

TEST_CASE(flipped_bytes_never_crash_the_decoder)
{
	static struct heap_event evs[200], got[400];
	static uint8_t buf[200 * WIRE_EVENT_MAX], copy[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 200, false);
	size_t len = encode_all(evs, n, false, buf);
	int corrupt = 0;
	for (int round = 0; round < 2000; round++) {
		memcpy(copy, buf, len);
		for (int k = 0; k < 3; k++)
			copy[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
		if (decode_all(copy, len, got, 400) < 0)
			corrupt++;
	}
	ASSERT_GT(corrupt, 0); /* many flips are caught; none may crash (ASan watches) */
}

TEST_CASE(split_without_remainder_takes_the_compact_form)
{
	struct wire_state st;
	wire_state_init(&st, false);
	uint8_t buf[WIRE_EVENT_MAX];
	struct heap_event e;
	memset(&e, 0, sizeof e);
	e.kind = HEAP_EV_SPLIT, e.addr = 0x1000, e.size = 112;
	size_t len = wire_encode(&st, &e, buf);
	ASSERT_LE(len, 6u);
	ASSERT_NE(buf[0] & 0x0fu, WIRE_TAG_RAW);
	struct wire_state dec;
	wire_state_init(&dec, false);
	struct heap_event got;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode(&dec, buf, len, &got, &used, &why), (int)WIRE_OK);
	assert_same_event(&e, &got);
}

TEST_CASE(fletcher16_detects_a_swapped_pair)
{
	const uint8_t a[] = {1, 2, 3, 4}, b[] = {1, 3, 2, 4};
	ASSERT_NE(wire_fletcher16(a, 4), wire_fletcher16(b, 4));
	ASSERT_EQ(wire_fletcher16((const uint8_t *)"abcde", 5), 0xC8F0);
}

/* ---- the record shapes: pair records, fed from a real allocator run ----------
 *
 * This program's bound sink (kernel/heap.h) is the one below, as the kernel's
 * is kernel/trace.c's: the allocator hands each allocation and free to
 * heap_sink_alloc/free, which encode it with the shape functions; every other
 * event reaches heap_sink_hook and wire_encode. Each also records the events
 * the call stands for (heap_events_alloc/free), stamped as the decoder must
 * give them back. */

#define FAST_MAX_EVENTS 20000
static struct heap_event fast_evs[FAST_MAX_EVENTS];
static size_t fast_n;
static uint64_t fast_time;     /* the time of the current call */
static struct wire_state fast_st;
static uint8_t *fast_pos;      /* the encoder's write position */
static size_t fast_pairs;      /* calls that took a pair record */

static void fast_record(void *ctx, struct heap_event *ev)
{
	(void)ctx;
	ev->seq = fast_n;
	ev->time = fast_time;
	if (fast_n < FAST_MAX_EVENTS)
		fast_evs[fast_n++] = *ev;
}

void heap_sink_hook(void *ctx, struct heap_event *ev)
{
	fast_time += 7;
	fast_record(ctx, ev);
	fast_pos += wire_encode(&fast_st, ev, fast_pos);
}

/* Whether the call's events took one pair record (its tag). */
static void count_pair(const uint8_t *start)
{
	unsigned tag = start[0] & 15;
	fast_pairs += fast_pos > start && (tag == WIRE_TAG_SPLIT_ALLOC || tag == WIRE_TAG_FREE_MERGE);
}

void *heap_sink_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize,
                      size_t align, uintptr_t caller, uint32_t examined)
{
	fast_time += 7;
	size_t rest = s + old_size - p - bsize;
	heap_events_alloc(fast_record, NULL, s, old_size, rest ? p + bsize : 0, rest, p, size,
	                  bsize, align, caller, examined);
	uint8_t *start = fast_pos;
	ASSERT(wire_encode_alloc(&fast_st, &fast_pos, fast_time, 4, 16, s, old_size, p, size,
	                         bsize, align, caller, examined, true));
	count_pair(start);
	return (void *)p;
}

enum heap_error heap_sink_free(uintptr_t p, size_t size, size_t bsize, size_t align,
                               uintptr_t caller, unsigned merged, uintptr_t merged_addr,
                               size_t merged_size)
{
	fast_time += 7;
	heap_events_free(fast_record, NULL, p, size, bsize, align, caller, merged, merged_addr,
	                 merged_size);
	uint8_t *start = fast_pos;
	ASSERT(wire_encode_free(&fast_st, &fast_pos, fast_time, 4, 16, p, size, bsize, align,
	                        caller, merged, merged_addr, merged_size, true));
	count_pair(start);
	return HEAP_OK;
}

/* Runs seeded churn (mixed sizes and alignments) through heap.c, whose bound
 * sink above encodes it into buf. Decoding must give back every event
 * exactly. Returns the encoded length; *pairs: calls that took a pair record. */
static size_t fast_roundtrip(unsigned seed, uint8_t *buf, size_t *pairs)
{
	static uint8_t arena[1 << 18] __attribute__((aligned(4096)));
	struct heap h;
	fast_n = 0;
	fast_time = 1000;
	fast_pairs = 0;
	wire_state_init(&fast_st, false);
	fast_pos = buf + wire_encode_header(buf, 10000000, 0, 0, "fast");
	ASSERT(heap_init(&h, arena, sizeof arena, heap_sink_hook, NULL));
	struct {
		void *p;
		size_t size, align;
	} slot[64] = {{0}};
	uint32_t r = seed;
	for (int i = 0; i < 3000; i++) {
		r = r * 1103515245u + 12345u;
		unsigned k = (r >> 8) % 64;
		if (slot[k].p) {
			ASSERT_EQ((int)heap_free(&h, slot[k].p, slot[k].size, slot[k].align,
			                         0x80200000 + (r >> 20) % 8 * 4),
			          (int)HEAP_OK);
			slot[k].p = NULL;
		} else {
			slot[k].size = (r >> 14) % 3 ? (r >> 16) % 300 : (r >> 16) % 5000;
			slot[k].align = (size_t)1 << ((r >> 24) % 4 ? 4 : 3 + (r >> 26) % 8);
			slot[k].p = heap_alloc(&h, slot[k].size, slot[k].align,
			                       0x80200000 + (r >> 12) % 8 * 4);
		}
	}
	ASSERT(fast_n < FAST_MAX_EVENTS);
	size_t len = (size_t)(fast_pos - buf);
	static struct heap_event back[FAST_MAX_EVENTS];
	long got = decode_all(buf, len, back, FAST_MAX_EVENTS);
	ASSERT_EQ(got, (long)fast_n);
	for (size_t i = 0; i < fast_n; i++)
		assert_same_event(&fast_evs[i], &back[i]);
	*pairs = fast_pairs;
	return len;
}

/* A shape the pair records cannot take (here: a caller not yet cached) is
 * written as the per-event records wire_encode writes for its events. */
TEST_CASE(a_shape_the_pair_record_declines_takes_the_per_event_records)
{
	struct wire_state a, b;
	memset(&a, 0, sizeof a); /* the bytes wire_state_init leaves (pending) compare equal */
	memset(&b, 0, sizeof b);
	wire_state_init(&a, false);
	wire_state_init(&b, false);
	uint8_t shape[2 * WIRE_EVENT_MAX], events[2 * WIRE_EVENT_MAX], *pos = shape;
	ASSERT(wire_encode_alloc(&a, &pos, 40, 4, 16, 0x1000, 256, 0x1000, 100, 112, 16, 0x8020,
	                         2, true));
	struct heap_event split = {.kind = HEAP_EV_SPLIT, .seq = 0, .time = 40, .addr = 0x1000,
	                           .size = 256, .addr2 = 0x1070, .size2 = 144};
	struct heap_event alloc = {.kind = HEAP_EV_ALLOC, .seq = 1, .time = 40, .addr = 0x1000,
	                           .size = 100, .block = 112, .align_log2 = 4, .caller = 0x8020,
	                           .examined = 2};
	size_t len = wire_encode(&b, &split, events);
	len += wire_encode(&b, &alloc, events + len);
	ASSERT_EQ((size_t)(pos - shape), len);
	ASSERT_MEM_EQ(shape, events, len);
	ASSERT_MEM_EQ(&a, &b, sizeof a);
}

/* The sink of a kernel passes events = false and takes a declined shape out
 * of line itself: nothing is written and st is left alone. */
TEST_CASE(a_declined_shape_without_events_writes_nothing)
{
	struct wire_state st, before;
	memset(&st, 0, sizeof st);
	wire_state_init(&st, false);
	before = st;
	uint8_t buf[WIRE_FAST_MAX], *pos = buf;
	ASSERT(!wire_encode_free(&st, &pos, 40, 4, 16, 0x1000, 100, 112, 16, 0x8020, 0, 0x1000,
	                         112, false));
	ASSERT(pos == buf);
	ASSERT_MEM_EQ(&before, &st, sizeof st);
}

TEST_CASE(fast_pair_records_round_trip_a_real_allocator_run)
{
	static uint8_t buf[FAST_MAX_EVENTS * 24];
	for (unsigned seed = 1; seed <= 5; seed++) {
		size_t pairs;
		size_t len = fast_roundtrip(seed, buf, &pairs);
		ASSERT(pairs > fast_n / 4); /* the common shapes do take the pair records */
		ASSERT(len < fast_n * 8);
	}
}

TEST_CASE(every_truncation_of_a_pair_record_needs_more)
{
	static uint8_t buf[FAST_MAX_EVENTS * 24];
	size_t pairs;
	size_t len = fast_roundtrip(9, buf, &pairs);
	struct wire_stream_info info;
	size_t used, pos;
	const char *why;
	ASSERT_EQ((int)wire_decode_header(buf, len, &info, &used, &why), (int)WIRE_OK);
	struct wire_state st;
	wire_state_init(&st, false);
	pos = used;
	int checked = 0;
	while (pos < len && checked < 200) {
		struct heap_event ev;
		uint8_t tag = buf[pos] & 15;
		if (!wire_pending(&st) &&
		    (tag == WIRE_TAG_SPLIT_ALLOC || tag == WIRE_TAG_FREE_MERGE)) {
			struct wire_state copy = st;
			ASSERT_EQ((int)wire_decode(&copy, buf + pos, len - pos, &ev, &used, &why),
			          (int)WIRE_OK);
			for (size_t cut = 0; cut < used; cut++) {
				struct wire_state c2 = st;
				ASSERT_EQ((int)wire_decode(&c2, buf + pos, cut, &ev, &used, &why),
				          (int)WIRE_NEED_MORE);
				ASSERT(!memcmp(&c2, &st, sizeof st));
			}
			checked++;
		}
		ASSERT_EQ((int)wire_decode(&st, buf + pos, len - pos, &ev, &used, &why), (int)WIRE_OK);
		pos += used;
	}
	ASSERT(checked > 50);
}


/* ---- the allocator policy in INIT (issue 12) ---- */

TEST_CASE(init_with_a_policy_round_trips_and_first_fit_stays_byte_identical)
{
	static struct heap_event evs[200], got[200];
	static uint8_t buf[200 * WIRE_EVENT_MAX], first[200 * WIRE_EVENT_MAX];
	size_t n = make_session(evs, 199, false);
	ASSERT_EQ(evs[0].kind, (uint8_t)HEAP_EV_INIT);
	size_t len_first = encode_all(evs, n, false, first);
	evs[0].flags = HEAP_POLICY_SEGREGATED;
	size_t len = encode_all(evs, n, false, buf);
	ASSERT_EQ(len, len_first + 1); /* one byte names the policy; first fit writes none */
	ASSERT_EQ(decode_all(buf, len, got, 200), (long)n);
	assert_same_event(&evs[0], &got[0]);
	ASSERT_EQ(got[0].flags, (uint8_t)HEAP_POLICY_SEGREGATED);
	ASSERT_EQ(decode_all(first, len_first, got, 200), (long)n);
	ASSERT_EQ(got[0].flags, 0);
}

/* ---- call stacks (issue 11): the depth in the header, STACK records ---- */

TEST_CASE(header_with_stacks_carries_the_depth_and_depth_0_is_todays_header)
{
	uint8_t buf[WIRE_HEADER_MAX], plain[WIRE_HEADER_MAX];
	size_t len = wire_encode_header(buf, 10000000, WIRE_FLAG_INSTRET, 8, "vector");
	struct wire_stream_info info;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode_header(buf, len, &info, &used, &why), (int)WIRE_OK);
	ASSERT_EQ(used, len);
	ASSERT_EQ(info.flags, (uint32_t)(WIRE_FLAG_INSTRET | WIRE_FLAG_STACKS));
	ASSERT_EQ(info.stack_depth, 8u);
	ASSERT_STR_EQ(info.name, "vector");
	for (size_t cut = 0; cut < len; cut++)
		ASSERT_EQ((int)wire_decode_header(buf, cut, &info, &used, &why),
		          (int)WIRE_NEED_MORE);
	/* depth 0: no flag, no depth byte, whatever flags said */
	size_t len0 = wire_encode_header(buf, 10000000, WIRE_FLAG_STACKS, 0, "vector");
	size_t lenp = wire_encode_header(plain, 10000000, 0, 0, "vector");
	ASSERT_EQ(len0, lenp);
	ASSERT_MEM_EQ(buf, plain, lenp);
	ASSERT_EQ(len, lenp + 1);
	ASSERT_EQ((int)wire_decode_header(plain, lenp, &info, &used, &why), (int)WIRE_OK);
	ASSERT_EQ(info.stack_depth, 0u);
}

TEST_CASE(header_with_a_stack_depth_of_0_or_over_32_is_corrupt)
{
	const unsigned bad[] = {0, WIRE_STACK_DEPTH_MAX + 1, 255};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t buf[WIRE_HEADER_MAX];
		size_t len = wire_encode_header(buf, 10000000, 0, 4, "churn");
		buf[6] = (uint8_t)bad[i]; /* "HTRW" version flags depth */
		struct wire_stream_info info;
		size_t used;
		const char *why = NULL;
		ASSERT_EQ((int)wire_decode_header(buf, len, &info, &used, &why), (int)WIRE_CORRUPT);
		ASSERT_STR_EQ(why, "stack depth in the header out of range (1..32)");
	}
}

static void assert_same_stack(const struct wire_stack *a, const struct wire_stack *b)
{
	ASSERT_EQ(a->id, b->id);
	ASSERT_EQ(a->depth, b->depth);
	for (uint32_t i = 0; i < a->depth; i++)
		ASSERT_EQ(a->frames[i], b->frames[i]);
}

/* A stack of depth frames, id id, innermost at caller, each outer frame a
 * plausible distance further. */
static struct wire_stack make_stack(uint32_t id, uint32_t depth, uint64_t caller)
{
	struct wire_stack s;
	memset(&s, 0, sizeof s);
	s.id = id, s.depth = depth;
	for (uint32_t i = 0; i < depth; i++)
		s.frames[i] = i == 0 ? caller : s.frames[i - 1] + 0x100 - (i * 0x2e % 0x3c0);
	return s;
}

/* The decoder's view of a stream with stacks: events, and for each event the
 * latest definition of its caller's id when it was decoded. */
struct stack_stream {
	struct heap_event ev[300];
	struct wire_stack def[300]; /* def[i]: the stack ev[i].caller named */
	size_t n, stacks;
	struct wire_stack table[WIRE_STACK_IDS + 1]; /* latest definitions, by id */
};

static void decode_stacks(const uint8_t *buf, size_t len, struct stack_stream *out)
{
	struct wire_stream_info info;
	size_t used;
	const char *why;
	memset(out, 0, sizeof *out);
	ASSERT_EQ((int)wire_decode_header(buf, len, &info, &used, &why), (int)WIRE_OK);
	ASSERT(info.stack_depth > 0);
	static struct wire_state st;
	wire_state_init(&st, false);
	size_t pos = used;
	while (pos < len || wire_pending(&st)) {
		struct heap_event ev;
		enum wire_status ws = wire_decode(&st, buf + pos, len - pos, &ev, &used, &why);
		pos += used;
		if (ws == WIRE_STACK) {
			ASSERT_LE(st.stack.depth, info.stack_depth);
			out->table[st.stack.id] = st.stack;
			out->stacks++;
			continue;
		}
		ASSERT_EQ((int)ws, (int)WIRE_OK);
		ASSERT_LT(out->n, 300u);
		out->def[out->n] = out->table[ev.caller <= WIRE_STACK_IDS ? ev.caller : 0];
		out->ev[out->n++] = ev;
	}
}

TEST_CASE(stack_records_round_trip_between_events_and_redefine_their_id)
{
	static struct heap_event evs[200];
	static uint8_t buf[200 * (WIRE_EVENT_MAX + WIRE_STACK_MAX)];
	static struct stack_stream got;
	size_t n = make_session(evs, 200, false);
	/* the session's callers become ids 1..3; id 2 is redefined halfway */
	struct wire_stack s1 = make_stack(1, 8, 0x80201000), s2 = make_stack(2, 3, 0x80201040),
	                  s2b = make_stack(2, 5, 0x80203456), s3 = make_stack(3, 1, 0x80201080);
	struct wire_stack want[200];
	struct wire_state st;
	wire_state_init(&st, false);
	size_t len = wire_encode_header(buf, 10000000, 0, 8, "vector");
	len += wire_encode_stack(&st, &s1, buf + len);
	len += wire_encode_stack(&st, &s2, buf + len);
	len += wire_encode_stack(&st, &s3, buf + len);
	for (size_t i = 0; i < n; i++) {
		if (i == n / 2)
			len += wire_encode_stack(&st, &s2b, buf + len);
		if (heap_event_has_caller(evs[i].kind)) {
			evs[i].caller = 1 + i % 3;
			want[i] = evs[i].caller == 1   ? s1
			          : evs[i].caller == 3 ? s3
			          : i < n / 2          ? s2
			                               : s2b;
		}
		len += wire_encode(&st, &evs[i], buf + len);
	}
	decode_stacks(buf, len, &got);
	ASSERT_EQ(got.n, n);
	ASSERT_EQ(got.stacks, 4u);
	for (size_t i = 0; i < n; i++) {
		assert_same_event(&evs[i], &got.ev[i]);
		if (heap_event_has_caller(evs[i].kind))
			assert_same_stack(&want[i], &got.def[i]);
	}
}

TEST_CASE(stack_of_the_deepest_depth_with_extreme_frames_round_trips)
{
	struct wire_stack s = make_stack(WIRE_STACK_IDS, WIRE_STACK_DEPTH_MAX, 0);
	for (uint32_t i = 0; i < WIRE_STACK_DEPTH_MAX; i++) /* the largest jumps a frame can make */
		s.frames[i] = i % 2 ? UINT64_MAX : (i % 4 ? 0 : 0x8000000000000000ull);
	uint8_t buf[WIRE_STACK_MAX];
	struct wire_state enc, dec;
	wire_state_init(&enc, false);
	wire_state_init(&dec, false);
	size_t len = wire_encode_stack(&enc, &s, buf);
	ASSERT_LE(len, (size_t)WIRE_STACK_MAX);
	struct heap_event ev;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode(&dec, buf, len, &ev, &used, &why), (int)WIRE_STACK);
	ASSERT_EQ(used, len);
	assert_same_stack(&s, &dec.stack);
}

TEST_CASE(a_stack_of_kernel_return_addresses_takes_about_two_bytes_a_frame)
{
	struct wire_stack s = make_stack(37, 8, 0x80201a3c);
	uint8_t buf[WIRE_STACK_MAX];
	struct wire_state st;
	wire_state_init(&st, false);
	ASSERT_LE(wire_encode_stack(&st, &s, buf), 1 + 1 + 1 + 5 + 7 * 2u);
}

TEST_CASE(every_truncation_of_a_stack_record_needs_more_and_leaves_state_alone)
{
	struct wire_stack s = make_stack(700, 16, 0x80201a3c);
	uint8_t buf[WIRE_STACK_MAX];
	static struct wire_state enc, dec, before;
	wire_state_init(&enc, false);
	wire_state_init(&dec, false);
	size_t len = wire_encode_stack(&enc, &s, buf);
	before = dec;
	for (size_t cut = 0; cut < len; cut++) {
		struct heap_event ev;
		size_t used;
		const char *why;
		ASSERT_EQ((int)wire_decode(&dec, buf, cut, &ev, &used, &why), (int)WIRE_NEED_MORE);
		ASSERT_MEM_EQ(&before, &dec, sizeof dec);
	}
}

/* Decodes bad as one record: it must be corrupt for why, the state untouched. */
static void assert_corrupt_record(const uint8_t *bad, size_t len, const char *want)
{
	static struct wire_state st, before;
	wire_state_init(&st, false);
	before = st;
	struct heap_event ev;
	size_t used;
	const char *why = NULL;
	ASSERT_EQ((int)wire_decode(&st, bad, len, &ev, &used, &why), (int)WIRE_CORRUPT);
	ASSERT_STR_EQ(why, want);
	ASSERT_MEM_EQ(&before, &st, sizeof st);
}

TEST_CASE(stack_records_with_id_or_depth_out_of_range_are_corrupt)
{
	const uint8_t id0[] = {WIRE_TAG_STACK, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x08};
	const uint8_t id1025[] = {WIRE_TAG_STACK, 0x81, 0x08, 1, 0x10};
	const uint8_t depth0[] = {WIRE_TAG_STACK, 5, 0, 0x10};
	const uint8_t depth33[] = {WIRE_TAG_STACK, 5, 33, 0x10};
	const uint8_t flagged[] = {WIRE_TAG_STACK | 0x10, 5, 1, 0x10};
	assert_corrupt_record(id0, sizeof id0, "stack id out of range (1..1024)");
	assert_corrupt_record(id1025, sizeof id1025, "stack id out of range (1..1024)");
	assert_corrupt_record(depth0, sizeof depth0, "stack depth out of range (1..32)");
	assert_corrupt_record(depth33, sizeof depth33, "stack depth out of range (1..32)");
	assert_corrupt_record(flagged, sizeof flagged, "flags on a stack record");
	/* the largest id and depth are fine */
	const uint8_t top[] = {WIRE_TAG_STACK, 0x80, 0x08, 1, 0x10};
	struct wire_state st;
	wire_state_init(&st, false);
	struct heap_event ev;
	size_t used;
	const char *why;
	ASSERT_EQ((int)wire_decode(&st, top, sizeof top, &ev, &used, &why), (int)WIRE_STACK);
	ASSERT_EQ(st.stack.id, (uint32_t)WIRE_STACK_IDS);
	ASSERT_EQ(st.stack.frames[0], 0x10u);
}

int main(void)
{
	return test_main();
}
