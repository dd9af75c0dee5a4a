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
#define WIRE_VERSION      1
#define WIRE_FLAG_INSTRET 0x1u /* header flag: events carry an instret delta */
#define WIRE_NAME_MAX     31   /* longest workload name in the header */
#define WIRE_HEADER_MAX   (4 + 1 + 1 + 10 + 1 + WIRE_NAME_MAX)
#define WIRE_EVENT_MAX    160   /* upper bound on one encoded event, bytes */
#define WIRE_CACHE_SIZE   64    /* caller cache entries (direct-mapped) */
#define WIRE_TAG_RAW      0x0fu /* kind nibble of the escape form: every field in full */

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

/* Fletcher-16 of buf, used by the UART framing to check each line. */
uint16_t wire_fletcher16(const uint8_t *buf, size_t len);

#endif /* TRACE_WIRE_H */
