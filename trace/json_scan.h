/* json_scan.h - a scanner of flat JSON objects, for the millions of event lines of a trace.
 *
 * A cJSON parse allocates one node per field and converts every number
 * through a double, which costs several times the whole budget of `heaptrace
 * stats` (about 0.2 s per million events); this scanner works in place on the
 * line, allocates nothing, parses integers and hex addresses exactly as
 * 64-bit values, and still accepts any valid JSON value for fields it does
 * not know (skipped, as the format's compatibility rule asks).
 *
 * The fields it knows are a dictionary (struct json_keys) built once from the
 * event schema (trace/trace_schema.c): each key has a slot and a JSON type,
 * and a scanned line leaves each known field's value in its slot.
 */
#ifndef JSON_SCAN_H
#define JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_KEYS_MAX 64 /* keys in a dictionary: each has a bit in json_scan.seen */

enum json_type {
	JSON_T_UINT, /* a non-negative integer below 2^53 */
	JSON_T_HEX,  /* a string "0x..." of 1 to 16 hex digits */
	JSON_T_STR,  /* a string (its raw body is kept) */
	JSON_T_BOOL, /* true or false */
	JSON_T_RAW,  /* any JSON value (an array): its text is kept, for a full parser */
};

struct json_keys {
	unsigned count;                     /* keys */
	const char *name[JSON_KEYS_MAX];    /* by slot */
	uint8_t len[JSON_KEYS_MAX];         /* strlen(name) */
	uint8_t type[JSON_KEYS_MAX];        /* enum json_type */
	uint8_t index[256];                 /* open-addressing hash of names: slot + 1, 0 empty */
};

/* The slot of key `name` ([name, name + len)), adding it with `type` if it
 * is new. Returns -1 if the dictionary is full or already has the key with
 * another type. `name` must outlive the dictionary. */
int json_keys_add(struct json_keys *d, const char *name, size_t len, enum json_type type);

/* Where a key starts its search in json_keys.index (the constants give the
 * format's field names and kind names a slot each: one probe a key). */
static inline unsigned json_key_hash(const char *k, size_t n)
{
	return ((unsigned)n + (unsigned char)k[0] * 9u + (unsigned char)k[n - 1] * 7u) & 255u;
}

/* Whether the n bytes at a and b are equal: compares of constant length
 * (inlined) for the short names of the format. */
static inline __attribute__((always_inline)) bool json_key_eq(const char *a, const char *b, size_t n)
{
	switch (n) {
#define KEY_EQ_CASE(k) \
	case k:        \
		return memcmp(a, b, k) == 0;
		KEY_EQ_CASE(1)
		KEY_EQ_CASE(2)
		KEY_EQ_CASE(3)
		KEY_EQ_CASE(4)
		KEY_EQ_CASE(5)
		KEY_EQ_CASE(6)
		KEY_EQ_CASE(7)
		KEY_EQ_CASE(8)
		KEY_EQ_CASE(9)
		KEY_EQ_CASE(10)
#undef KEY_EQ_CASE
	}
	return memcmp(a, b, n) == 0;
}

/* The slot of key [name, name + len), or -1 if it is not in the dictionary. */
static inline __attribute__((always_inline)) int json_keys_find(const struct json_keys *d,
                                                                const char *name, size_t len)
{
	if (len == 0)
		return -1;
	for (unsigned i = json_key_hash(name, len);; i = (i + 1) & 255u) {
		unsigned x = d->index[i];
		if (!x)
			return -1;
		x--;
		if (d->len[x] == len && json_key_eq(d->name[x], name, len))
			return (int)x;
	}
}

struct json_scan {
	const char *b;                /* start of the line (for columns in messages) */
	const char *p, *e;            /* cursor and end of the line */
	uint64_t seen;                /* bit (1 << slot) for each known field present */
	uint64_t u[JSON_KEYS_MAX];    /* JSON_T_UINT, _HEX, _BOOL values by slot */
	const char *s[JSON_KEYS_MAX]; /* JSON_T_STR: raw bodies (between the quotes);
	                                 JSON_T_RAW: the value's text */
	size_t slen[JSON_KEYS_MAX];
	bool sesc[JSON_KEYS_MAX]; /* the raw body contains escapes */
};

/* Scans [line, line + len) as one flat JSON object into *s. The byte after
 * the line must be a control byte (its '\n' in the read buffer: strings are
 * scanned without a bounds test). Returns false with what is wrong in err
 * ("field 'size': expected a non-negative integer"). */
bool json_scan_object(struct json_scan *s, const struct json_keys *d, const char *line,
                      size_t len, char *err, size_t errlen);

/* Decodes a JSON string body [b, b + len) into dst (NUL-terminated, cut to
 * n - 1 bytes): escapes become their characters in UTF-8 (a surrogate pair
 * one 4-byte sequence, a lone surrogate U+FFFD; \u0000 ends dst). esc false:
 * the body has no escapes (a copy). The body must have been scanned. */
void json_unescape(const char *b, size_t len, bool esc, char *dst, size_t n);

/* Parses "0x" followed by 1 to 16 hex digits ([s, s + n), no quotes). */
bool json_hex_parse(const char *s, size_t n, uint64_t *out);

#endif /* JSON_SCAN_H */
