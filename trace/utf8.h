/* utf8.h - making text from a trace safe to copy into UTF-8 outputs (JSON,
 * massif files): a trace may hold any bytes in its strings. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/* Replaces, in place, every byte of s (NUL-terminated) that is not part of a
 * well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF, no sequence cut short) with '?'. Returns how many
 * bytes were replaced. */
size_t utf8_sanitize(char *s);

/* Length (1..4) of the well-formed UTF-8 sequence at s, or 0 if there is
 * none; reads no further than a NUL, which ends a sequence cut short. */
size_t utf8_sequence(const unsigned char *s);

#endif /* UTF8_H */
