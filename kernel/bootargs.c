/* bootargs.c - a tiny flattened-device-tree reader for /chosen/bootargs and
 * the key=value parser over it.
 *
 * FDT layout (big-endian words):
 *   header: magic 0xd00dfeed, totalsize, off_dt_struct, off_dt_strings, ...
 *   struct block tokens: BEGIN_NODE name\0 (padded to 4) | END_NODE |
 *     PROP len nameoff value[len] (padded) | NOP | END
 */
#include <stdint.h>

#include "bootargs.h"
#include "kstring.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

#define BOOTARGS_MAX   512 /* bytes of command line kept */
#define BOOTARGS_WORDS 32

static char line[BOOTARGS_MAX];  /* the command line as given */
static char words[BOOTARGS_MAX]; /* the same, cut into NUL-terminated keys and values */
static const char *keys[BOOTARGS_WORDS], *values[BOOTARGS_WORDS];
static int nwords;

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Whether the NUL-terminated string at base[off] (inside [0, total)) is name. */
static bool name_is(const uint8_t *base, uint32_t total, uint64_t off, const char *name)
{
	for (size_t i = 0;; i++) {
		if (off + i >= total)
			return false;
		if (base[off + i] != (uint8_t)name[i])
			return false;
		if (name[i] == 0)
			return true;
	}
}

/* Returns /chosen/bootargs (NUL-terminated inside the blob) or NULL. */
static const char *fdt_bootargs(const void *dtb)
{
	const uint8_t *base = dtb;
	if (!base || be32(base) != FDT_MAGIC)
		return 0;
	uint32_t total = be32(base + 4), off_struct = be32(base + 8), off_strings = be32(base + 12);
	if (total > (1u << 24) || off_struct >= total || off_strings >= total)
		return 0;
	const uint8_t *p = base + off_struct, *end = base + total;
	int depth = 0;
	bool in_chosen = false;
	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			size_t n = 0;
			while (p + n < end && p[n])
				n++;
			depth++;
			in_chosen = depth == 2 && n == 6 && !strncmp(name, "chosen", 6);
			p += (n + 1 + 3) & ~(size_t)3;
		} else if (tok == FDT_END_NODE) {
			if (in_chosen && depth == 2)
				in_chosen = false;
			depth--;
		} else if (tok == FDT_PROP) {
			if (p + 8 > end)
				return 0;
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			if (val + len > end)
				return 0;
			if (in_chosen &&
			    name_is(base, total, off_strings + (uint64_t)nameoff, "bootargs") &&
			    len && val[len - 1] == 0)
				return (const char *)val;
			p = val + ((len + 3) & ~(uint32_t)3);
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			break; /* FDT_END or garbage */
		}
	}
	return 0;
}

int bootargs_init(const void *dtb)
{
	const char *src = fdt_bootargs(dtb);
	size_t n = 0;
	while (src && src[n] && n < BOOTARGS_MAX - 1) {
		line[n] = src[n];
		words[n] = src[n];
		n++;
	}
	line[n] = words[n] = 0;
	nwords = 0;
	char *p = words;
	while (*p && nwords < BOOTARGS_WORDS) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		keys[nwords] = p;
		values[nwords] = "";
		bool has_value = false;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '=' && !has_value) {
				*p = 0;
				values[nwords] = p + 1;
				has_value = true;
			}
			p++;
		}
		nwords++;
	}
	return nwords;
}

const char *bootargs_line(void)
{
	return line;
}

const char *bootargs_get(const char *key)
{
	for (int i = nwords - 1; i >= 0; i--)
		if (!strcmp(keys[i], key))
			return values[i];
	return 0;
}

const char *bootargs_str(const char *key, const char *def)
{
	const char *v = bootargs_get(key);
	return v ? v : def;
}

unsigned long bootargs_ulong(const char *key, unsigned long def)
{
	const char *v = bootargs_get(key);
	if (!v || !*v)
		return def;
	unsigned long x = 0, base = 10;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		base = 16, v += 2;
	const char *start = v;
	for (;; v++) {
		unsigned d;
		if (*v >= '0' && *v <= '9')
			d = (unsigned)(*v - '0');
		else if (base == 16 && *v >= 'a' && *v <= 'f')
			d = (unsigned)(*v - 'a' + 10);
		else if (base == 16 && *v >= 'A' && *v <= 'F')
			d = (unsigned)(*v - 'A' + 10);
		else
			break;
		x = x * base + d;
	}
	if (v == start)
		return def;
	if (*v == 'k' || *v == 'K')
		x *= 1024, v++;
	else if (*v == 'm' || *v == 'M')
		x *= 1024 * 1024, v++;
	return *v ? def : x;
}

bool bootargs_bool(const char *key, bool def)
{
	const char *v = bootargs_get(key);
	if (!v)
		return def;
	if (!*v || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true"))
		return true;
	if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false"))
		return false;
	return def;
}
