/* json_scan.c - scanner of flat JSON objects, in place and allocation-free (json_scan.h). */
#include "json_scan.h"

#include "trace_reader.h"

#include <stdio.h>
#include <string.h>

/* Value of each hex digit character, 0xff for the others. */
/* clang-format off */
static const uint8_t hex_value[256] = {
	['0'] = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, [':' ... '@'] = 0xff,
	['A'] = 10, 11, 12, 13, 14, 15, ['G' ... '`'] = 0xff,
	['a'] = 10, 11, 12, 13, 14, 15, ['g' ... 0xff] = 0xff, [0 ... '/'] = 0xff,
};
/* clang-format on */

bool json_hex_parse(const char *s, size_t n, uint64_t *out)
{
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	uint64_t v = 0;
	unsigned bad = 0;
	for (size_t i = 2; i < n; i++) {
		unsigned d = hex_value[(unsigned char)s[i]];
		bad |= d;
		v = v << 4 | (d & 0xf);
	}
	if (bad & 0xf0)
		return false;
	*out = v;
	return true;
}


/* ---- the dictionary ------------------------------------------------------------ */

int json_keys_add(struct json_keys *d, const char *name, size_t len, enum json_type type)
{
	int x = json_keys_find(d, name, len);
	if (x >= 0)
		return d->type[x] == type ? x : -1;
	if (len == 0 || len > 255 || d->count == JSON_KEYS_MAX)
		return -1;
	unsigned i = json_key_hash(name, len);
	while (d->index[i])
		i = (i + 1) & 255u;
	x = (int)d->count++;
	d->index[i] = (uint8_t)(x + 1);
	d->name[x] = name;
	d->len[x] = (uint8_t)len;
	d->type[x] = (uint8_t)type;
	return x;
}

/* ---- the scanner ------------------------------------------------------------------ */


/* Skips blanks; one compare in the common case (the next byte is above ' '). */
static inline __attribute__((always_inline)) void skip_ws(struct json_scan *s)
{
	const char *p = s->p;
	if (p < s->e && (unsigned char)*p <= ' ') {
		while (p < s->e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		s->p = p;
	}
}

/* scan_string's slow path: the string has an escape at p (or is invalid). */
static __attribute__((noinline)) bool scan_string_slow(struct json_scan *s, const char *p,
                                                       const char **body, size_t *len, bool *esc)
{
	*esc = true;
	while (p < s->e && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++p >= s->e)
				return false;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++) {
					char h = p + i < s->e ? p[i] : 0;
					if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
					      (h >= 'A' && h <= 'F')))
						return false;
				}
				p += 4;
			} else if (*p == 0 || !strchr("\"\\/bfnrt", *p)) {
				return false;
			}
		}
		p++;
	}
	if (p >= s->e)
		return false;
	*body = s->p + 1;
	*len = (size_t)(p - *body);
	s->p = p + 1;
	return true;
}

/* Scans a JSON string at s->p (at the opening quote); returns its raw body.
 * The common case (no escapes) is one tight loop. */
/* Bytes that end the fast scan of a string: '"' (1), '\\' and control bytes (2). */
static const uint8_t str_stop[256] = {
    [0 ... 0x1f] = 2,
    ['"'] = 1,
    ['\\'] = 2,
};

/* Scans a JSON string at s->p (at the opening quote); returns its raw body.
 * The common case (no escapes) is one tight loop with no bounds test: every
 * line handed to the scanner is followed by its '\n' (a control byte) in the
 * read buffer, so the loop always stops by the line's end. */
static inline __attribute__((always_inline)) bool scan_string(struct json_scan *s, const char **body,
                                                              size_t *len, bool *esc)
{
	const char *p = s->p + 1;
	while (!str_stop[(unsigned char)*p])
		p++;
	if (p >= s->e)
		return false;
	if (*p != '"')
		return scan_string_slow(s, p, body, len, esc);
	*esc = false;
	*body = s->p + 1;
	*len = (size_t)(p - *body);
	s->p = p + 1;
	return true;
}

static bool scan_literal(struct json_scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->e - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* Skips any JSON value (an unknown field's). */
static bool skip_value(struct json_scan *s, int depth)
{
	if (depth > 64 || s->p >= s->e)
		return false;
	const char *b;
	size_t n;
	bool esc;
	switch (*s->p) {
	case '"':
		return scan_string(s, &b, &n, &esc);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	case '{':
	case '[': {
		char close = *s->p == '{' ? '}' : ']';
		bool obj = close == '}';
		s->p++;
		skip_ws(s);
		if (s->p < s->e && *s->p == close) {
			s->p++;
			return true;
		}
		for (;;) {
			skip_ws(s);
			if (obj) {
				if (s->p >= s->e || *s->p != '"' || !scan_string(s, &b, &n, &esc))
					return false;
				skip_ws(s);
				if (s->p >= s->e || *s->p != ':')
					return false;
				s->p++;
				skip_ws(s);
			}
			if (!skip_value(s, depth + 1))
				return false;
			skip_ws(s);
			if (s->p >= s->e)
				return false;
			if (*s->p == close) {
				s->p++;
				return true;
			}
			if (*s->p != ',')
				return false;
			s->p++;
		}
	}
	default: {
		const char *q = s->p;
		if (q < s->e && *q == '-')
			q++;
		const char *digits = q;
		while (q < s->e && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
		                    *q == 'E' || *q == '+' || *q == '-'))
			q++;
		if (q == digits || !(*digits >= '0' && *digits <= '9'))
			return false;
		s->p = q;
		return true;
	}
	}
}

/* The 4 hex digits at h (already checked by scan_string_slow). */
static unsigned hex4(const char *h)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 4 | (hex_value[(unsigned char)h[i]] & 0xf);
	return v;
}

void json_unescape(const char *b, size_t len, bool esc, char *dst, size_t n)
{
	size_t o = 0;
	if (!esc) {
		o = len < n - 1 ? len : n - 1;
		memcpy(dst, b, o);
		dst[o] = 0;
		return;
	}
	for (size_t i = 0; i < len && o + 1 < n; i++) {
		char c = b[i];
		if (c != '\\') {
			dst[o++] = c;
			continue;
		}
		c = b[++i];
		switch (c) {
		case 'b':
			dst[o++] = '\b';
			break;
		case 'f':
			dst[o++] = '\f';
			break;
		case 'n':
			dst[o++] = '\n';
			break;
		case 'r':
			dst[o++] = '\r';
			break;
		case 't':
			dst[o++] = '\t';
			break;
		case 'u': {
			unsigned cp = hex4(b + i + 1);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len && b[i + 1] == '\\' &&
			    b[i + 2] == 'u') {
				unsigned lo = hex4(b + i + 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd; /* a lone surrogate */
			char u8[4];
			size_t k;
			if (cp < 0x80) {
				u8[0] = (char)cp, k = 1;
			} else if (cp < 0x800) {
				u8[0] = (char)(0xc0 | cp >> 6), u8[1] = (char)(0x80 | (cp & 0x3f)),
				k = 2;
			} else if (cp < 0x10000) {
				u8[0] = (char)(0xe0 | cp >> 12),
				u8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u8[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
			} else {
				u8[0] = (char)(0xf0 | cp >> 18),
				u8[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u8[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u8[3] = (char)(0x80 | (cp & 0x3f)), k = 4;
			}
			if (o + k >= n)
				goto done;
			memcpy(dst + o, u8, k);
			o += k;
			break;
		}
		default:
			dst[o++] = c;
			break;
		}
	}
done:
	dst[o] = 0;
}

bool json_scan_object(struct json_scan *s, const struct json_keys *d, const char *line,
                      size_t len, char *err, size_t errlen)
{
#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), false)
	s->b = s->p = line;
	s->e = line + len;
	s->seen = 0;
	skip_ws(s);
	if (s->p >= s->e || *s->p != '{')
		return FAIL("not a JSON object");
	s->p++;
	skip_ws(s);
	if (s->p < s->e && *s->p == '}') {
		s->p++;
		goto tail;
	}
	for (;;) {
		skip_ws(s);
		const char *key;
		size_t klen;
		bool kesc;
		if (s->p >= s->e || *s->p != '"' || !scan_string(s, &key, &klen, &kesc)) {
			return FAIL("bad JSON: expected a field name in quotes at column %zu",
			            (size_t)(s->p - s->b) + 1);
		}
		skip_ws(s);
		if (s->p >= s->e || *s->p != ':') {
			return FAIL("bad JSON: expected ':' after \"%.*s\"",
			            (int)(klen > 40 ? 40 : klen), key);
		}
		s->p++;
		skip_ws(s);
		int f = kesc ? -1 : json_keys_find(d, key, klen);
		if (f < 0) {
			if (!skip_value(s, 0))
				return FAIL("bad JSON value for field \"%.*s\"",
				            (int)(klen > 40 ? 40 : klen), key);
		} else {
			const char *what = NULL;
			switch (d->type[f]) {
			case JSON_T_UINT: {
				uint64_t v = 0;
				const char *q = s->p;
				while (q < s->e && (unsigned)(*q - '0') < 10) {
					if (__builtin_mul_overflow(v, 10, &v) ||
					    __builtin_add_overflow(v, (uint64_t)(*q - '0'), &v)) {
						what = "an integer below 2^53 (docs/trace-format.md: numbers are exact)";
						break;
					}
					q++;
				}
				if (!what && (q == s->p ||
				              (q < s->e && (*q == '.' || *q == 'e' || *q == 'E'))))
					what = "a non-negative integer";
				else if (!what && v >= TRACE_INT_LIMIT)
					what = "an integer below 2^53 (docs/trace-format.md: numbers are exact)";
				s->p = q;
				s->u[f] = v;
				break;
			}
			case JSON_T_HEX: {
				const char *b;
				size_t n;
				bool esc;
				if (s->p >= s->e || *s->p != '"' || !scan_string(s, &b, &n, &esc) ||
				    esc || !json_hex_parse(b, n, &s->u[f]))
					what = "a hex address string like \"0x80400010\"";
				break;
			}
			case JSON_T_STR:
				if (s->p >= s->e || *s->p != '"' ||
				    !scan_string(s, &s->s[f], &s->slen[f], &s->sesc[f]))
					what = "a string";
				break;
			case JSON_T_RAW:
				s->s[f] = s->p;
				if (!skip_value(s, 0))
					what = "a JSON value";
				s->slen[f] = (size_t)(s->p - s->s[f]);
				s->sesc[f] = false;
				break;
			case JSON_T_BOOL:
				if (scan_literal(s, "true"))
					s->u[f] = 1;
				else if (scan_literal(s, "false"))
					s->u[f] = 0;
				else
					what = "true or false";
				break;
			}
			if (what)
				return FAIL("field '%s': expected %s", d->name[f], what);
			s->seen |= (uint64_t)1 << f;
		}
		skip_ws(s);
		if (s->p < s->e && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->e && *s->p == '}') {
			s->p++;
			break;
		}
		return FAIL("bad JSON: expected ',' or '}' at column %zu",
		            (size_t)(s->p - s->b) + 1);
	}
tail:
	skip_ws(s);
	if (s->p != s->e)
		return FAIL("bad JSON: text after the object");
	return true;
#undef FAIL
}
