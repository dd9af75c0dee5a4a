/* trace_reader.c - streaming reader (and writer) of JSON-lines heap traces.
 *
 * The header line is parsed with cJSON. Event and symbol lines, millions of
 * them, go through a dedicated scanner of flat JSON objects instead: a
 * cJSON parse allocates one node per field and converts every number through
 * a double, which costs several times the whole budget of `heaptrace stats`
 * (about 0.2 s per million events); the scanner works in place on the read
 * buffer, allocates nothing, parses integers and hex addresses exactly as
 * 64-bit values, and still accepts any valid JSON value for unknown fields
 * (skipped, as the format's compatibility rule asks).
 *
 * Input is read with read(2) into one buffer; a line never outlives the
 * buffer refill, and the buffer grows only up to TRACE_LINE_MAX.
 */
#include "trace_reader.h"

#include "heap.h"
#include "utf8.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef READ_CHUNK /* the fuzz build (trace/fuzz/fuzz.mk) makes it small */
#define READ_CHUNK (256u * 1024u) /* bytes asked of read(2) at a time */
#endif

struct sym_entry {
	struct trace_symbol sym; /* fn/src are owned (malloc) */
	bool used;               /* slot holds a symbol */
};

struct trace_reader {
	int fd;            /* input, -1 once closed */
	bool own_fd;       /* close fd at the end (not stdin) */
	bool follow;       /* a live file: AGAIN instead of EOF until END */
	char *name;        /* file name for messages ("stdin" for "-") */
	char *buf;         /* read buffer */
	size_t cap;        /* its size */
	size_t start, end; /* unconsumed bytes are buf[start, end) */
	bool at_eof;       /* read(2) returned 0 at the last attempt */
	bool truncated;    /* an incomplete last line was ignored */
	bool failed;       /* a TRACE_READ_ERROR was returned */
	bool complete;     /* END has been read */
	bool have_seq;     /* prev_seq is valid */
	uint64_t prev_seq; /* sequence number of the last event */
	uint64_t line;     /* line number of the line last read */
	uint64_t events;   /* events returned */
	uint64_t dropped;  /* sum of the drop events' counts */
	struct trace_header hdr;
	struct sym_entry *syms; /* open-addressing hash table by address */
	size_t sym_cap;         /* slots, a power of two */
	size_t sym_count;       /* used slots */
	char err[512];          /* last error, "file:line: what" */
};

/* ---- errors ---------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void set_error(trace_reader *r, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof r->err, "%s:%" PRIu64 ": ", r->name, r->line);
	if (n < 0 || (size_t)n >= sizeof r->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- symbols --------------------------------------------------------------- */

static size_t sym_hash(uint64_t addr, size_t cap)
{
	addr ^= addr >> 33;
	addr *= 0xff51afd7ed558ccdull;
	addr ^= addr >> 33;
	return (size_t)addr & (cap - 1);
}

static struct sym_entry *sym_slot(struct sym_entry *tab, size_t cap, uint64_t addr)
{
	size_t i = sym_hash(addr, cap);
	while (tab[i].used && tab[i].sym.addr != addr)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Records (or replaces) the symbol of addr; false on out of memory. */
static bool sym_put(trace_reader *r, uint64_t addr, const char *fn, const char *src)
{
	if ((r->sym_count + 1) * 2 > r->sym_cap) {
		size_t ncap = r->sym_cap ? r->sym_cap * 2 : 64;
		struct sym_entry *nt = calloc(ncap, sizeof *nt);
		if (!nt)
			return false;
		for (size_t i = 0; i < r->sym_cap; i++)
			if (r->syms[i].used)
				*sym_slot(nt, ncap, r->syms[i].sym.addr) = r->syms[i];
		free(r->syms);
		r->syms = nt;
		r->sym_cap = ncap;
	}
	char *f = strdup(fn), *s = strdup(src);
	if (!f || !s) {
		free(f);
		free(s);
		return false;
	}
	struct sym_entry *e = sym_slot(r->syms, r->sym_cap, addr);
	if (e->used) {
		free((char *)e->sym.fn);
		free((char *)e->sym.src);
	} else {
		r->sym_count++;
	}
	e->used = true;
	e->sym.addr = addr;
	e->sym.fn = f;
	e->sym.src = s;
	return true;
}

const struct trace_symbol *trace_reader_symbol(const trace_reader *r, uint64_t addr)
{
	if (!r || !r->sym_cap)
		return NULL;
	struct sym_entry *e = sym_slot(r->syms, r->sym_cap, addr);
	return e->used ? &e->sym : NULL;
}

void trace_reader_each_symbol(const trace_reader *r,
                              void (*fn)(void *ctx, const struct trace_symbol *sym), void *ctx)
{
	for (size_t i = 0; i < r->sym_cap; i++)
		if (r->syms[i].used)
			fn(ctx, &r->syms[i].sym);
}

/* ---- line input -------------------------------------------------------------- */

enum line_status { LINE_OK, LINE_EOF, LINE_AGAIN, LINE_ERROR };

/* Makes the next complete line available as [*p, *p + *len) (without '\n'). */
static enum line_status next_line(trace_reader *r, char **p, size_t *len)
{
	size_t scanned = r->start;
	for (;;) {
		char *nl = memchr(r->buf + scanned, '\n', r->end - scanned);
		if (nl) {
			*p = r->buf + r->start;
			*len = (size_t)(nl - *p);
			r->start = (size_t)(nl - r->buf) + 1;
			r->line++;
			if (*len && (*p)[*len - 1] == '\r')
				(*len)--;
			return LINE_OK;
		}
		size_t have = r->end - r->start;
		if (have > TRACE_LINE_MAX) {
			r->line++;
			set_error(r, "line longer than %u bytes", TRACE_LINE_MAX);
			return LINE_ERROR;
		}
		/* make room: slide the partial line to the front, grow if needed */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, have);
			r->start = 0;
			r->end = have;
		}
		scanned = r->end;
		if (r->cap - r->end < READ_CHUNK / 2) {
			size_t ncap = r->cap * 2;
			char *nb = realloc(r->buf, ncap);
			if (!nb) {
				set_error(r, "out of memory");
				return LINE_ERROR;
			}
			r->buf = nb;
			r->cap = ncap;
		}
		ssize_t n;
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			set_error(r, "read error: %s", strerror(errno));
			return LINE_ERROR;
		}
		if (n == 0) {
			r->at_eof = true;
			if (r->follow)
				return LINE_AGAIN;
			if (r->end > r->start) { /* an incomplete last line: ignore it */
				r->truncated = true;
				r->start = r->end;
			}
			return LINE_EOF;
		}
		r->at_eof = false;
		r->end += (size_t)n;
	}
}

static bool is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* ---- header ---------------------------------------------------------------- */

/* Value of each hex digit character, 0xff for the others. */
/* clang-format off */
static const uint8_t hex_value[256] = {
	['0'] = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, [':' ... '@'] = 0xff,
	['A'] = 10, 11, 12, 13, 14, 15, ['G' ... '`'] = 0xff,
	['a'] = 10, 11, 12, 13, 14, 15, ['g' ... 0xff] = 0xff, [0 ... '/'] = 0xff,
};
/* clang-format on */

static bool hex_parse(const char *s, size_t n, uint64_t *out)
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

/* A non-negative integral JSON number below 2^53 (exact in a double). */
static bool header_uint(trace_reader *r, const cJSON *o, const char *key, bool required,
                        uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		if (required)
			set_error(r, "header: missing field '%s'", key);
		return !required;
	}
	double d = v->valuedouble;
	if (!cJSON_IsNumber(v) || d < 0 || d >= 9007199254740992.0 || d != (double)(uint64_t)d) {
		set_error(r, "header: field '%s' is not a non-negative integer", key);
		return false;
	}
	*out = (uint64_t)d;
	return true;
}

static bool header_str(trace_reader *r, const cJSON *o, const char *key, char *dst, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return true;
	if (!cJSON_IsString(v)) {
		set_error(r, "header: field '%s' is not a string", key);
		return false;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return true;
}

static bool parse_header(trace_reader *r, const char *p, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(p, len);
	bool ok = false;
	if (!o || !cJSON_IsObject(o)) {
		set_error(r, "header: not a JSON object");
		goto out;
	}
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TRACE_FORMAT_NAME) != 0) {
		set_error(r, "header: not a heapscope trace (\"format\" is not \"%s\")",
		          TRACE_FORMAT_NAME);
		goto out;
	}
	uint64_t version = 0;
	if (!header_uint(r, o, "version", true, &version))
		goto out;
	if (version != TRACE_FORMAT_VERSION) {
		set_error(r, "header: unsupported trace version %" PRIu64 " (this reader knows %d)",
		          version, TRACE_FORMAT_VERSION);
		goto out;
	}
	struct trace_header *h = &r->hdr;
	h->version = (int)version;
	h->min_block = 16;
	h->min_align = 16;
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "heap_base");
	if (!base) {
		set_error(r, "header: missing field 'heap_base'");
		goto out;
	}
	if (!cJSON_IsString(base) ||
	    !hex_parse(base->valuestring, strlen(base->valuestring), &h->heap_base)) {
		set_error(r, "header: 'heap_base' is not a hex string like \"0x80400000\"");
		goto out;
	}
	if (!header_uint(r, o, "heap_size", true, &h->heap_size) ||
	    !header_uint(r, o, "min_block", false, &h->min_block) ||
	    !header_uint(r, o, "min_align", false, &h->min_align) ||
	    !header_uint(r, o, "time_hz", false, &h->time_hz))
		goto out;
	if (!header_str(r, o, "channel", h->channel, sizeof h->channel) ||
	    !header_str(r, o, "workload", h->workload, sizeof h->workload) ||
	    !header_str(r, o, "elf", h->elf, sizeof h->elf))
		goto out;
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(o, "instret");
	if (ins && !cJSON_IsBool(ins)) {
		set_error(r, "header: 'instret' is not true/false");
		goto out;
	}
	h->has_instret = cJSON_IsTrue(ins);
	ok = true;
out:
	cJSON_Delete(o);
	return ok;
}

/* ---- open / close ---------------------------------------------------------- */

static trace_reader *reader_new(const char *path)
{
	trace_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = -1;
	r->name = strdup(strcmp(path, "-") == 0 ? "stdin" : path);
	r->cap = READ_CHUNK * 2;
	r->buf = malloc(r->cap);
	if (!r->name || !r->buf) {
		free(r->name);
		free(r->buf);
		free(r);
		return NULL;
	}
	return r;
}

static bool reader_attach(trace_reader *r, const char *path)
{
	if (strcmp(path, "-") == 0) {
		r->fd = 0;
		return true;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return false;
	r->own_fd = true;
	return true;
}

/* Reads the header line; false with r->err set on failure. In follow mode,
 * *again says the line is not complete yet. */
static bool reader_header(trace_reader *r, bool *again)
{
	char *p;
	size_t len;
	*again = false;
	for (;;) {
		enum line_status st = next_line(r, &p, &len);
		if (st == LINE_AGAIN) {
			*again = true;
			return false;
		}
		if (st == LINE_ERROR)
			return false;
		if (st == LINE_EOF) {
			r->line = r->line ? r->line : 1;
			set_error(r, r->truncated ? "header: incomplete first line"
			                          : "empty file: no trace header");
			return false;
		}
		if (!is_blank(p, len))
			return parse_header(r, p, len);
	}
}

static void copy_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

trace_reader *trace_reader_open(const char *path, char *err, size_t errlen)
{
	trace_reader *r = reader_new(path);
	if (!r) {
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	if (!reader_attach(r, path)) {
		snprintf(r->err, sizeof r->err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	bool again;
	if (!reader_header(r, &again))
		goto fail;
	return r;
fail:
	copy_err(err, errlen, r->err);
	trace_reader_close(r);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

trace_reader *trace_reader_open_follow(const char *path, int timeout_ms, char *err, size_t errlen)
{
	trace_reader *r = reader_new(path);
	if (!r) {
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	r->follow = true;
	int waited = 0;
	const int step = 10;
	while (!reader_attach(r, path)) {
		if (errno != ENOENT || waited >= timeout_ms) {
			snprintf(r->err, sizeof r->err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		sleep_ms(step);
		waited += step;
	}
	for (;;) {
		bool again;
		if (reader_header(r, &again))
			return r;
		if (!again)
			goto fail;
		if (waited >= timeout_ms) {
			snprintf(r->err, sizeof r->err, "%s:1: no complete header line after %d ms",
			         r->name, timeout_ms);
			goto fail;
		}
		sleep_ms(step);
		waited += step;
	}
fail:
	copy_err(err, errlen, r->err);
	trace_reader_close(r);
	return NULL;
}

void trace_reader_close(trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->sym_cap; i++) {
		if (r->syms[i].used) {
			free((char *)r->syms[i].sym.fn);
			free((char *)r->syms[i].sym.src);
		}
	}
	free(r->syms);
	free(r->buf);
	free(r->name);
	free(r);
}

const struct trace_header *trace_reader_header(const trace_reader *r)
{
	return &r->hdr;
}
const char *trace_reader_error(const trace_reader *r)
{
	return r->err;
}
uint64_t trace_reader_line(const trace_reader *r)
{
	return r->line;
}
bool trace_reader_complete(const trace_reader *r)
{
	return r->complete;
}
bool trace_reader_truncated(const trace_reader *r)
{
	return r->truncated;
}
uint64_t trace_reader_events(const trace_reader *r)
{
	return r->events;
}

/* ---- the event line scanner -------------------------------------------------- */

/* Fields an event or symbol line may carry; the bit of each in `seen`. */
enum field {
	F_I,
	F_K,
	F_T,
	F_N,
	F_ADDR,
	F_SIZE,
	F_ALIGN,
	F_BLOCK,
	F_CALLER,
	F_EX,
	F_REM_ADDR,
	F_REM_SIZE,
	F_FREED_ADDR,
	F_FREED_SIZE,
	F_MERGED,
	F_FREE,
	F_LARGEST,
	F_OLD_ADDR,
	F_OLD_SIZE,
	F_NAME,
	F_COUNT,
	F_EVENTS,
	F_DROPPED,
	F_USED,
	F_PANIC,
	F_MIN_BLOCK,
	F_MIN_ALIGN,
	F_FN,
	F_SRC,
	F_OP,
	F_ERROR,
	F_LEN,
	F_COUNT_, /* at most 32: `seen` is a uint32_t */
	F_UNKNOWN = F_COUNT_
};

enum ftype { T_UINT, T_HEX, T_STR, T_BOOL };

static const struct {
	const char *name;
	enum ftype type;
} fields[F_COUNT_] = {
    [F_I] = {"i", T_UINT},
    [F_K] = {"k", T_STR},
    [F_T] = {"t", T_UINT},
    [F_N] = {"n", T_UINT},
    [F_ADDR] = {"addr", T_HEX},
    [F_SIZE] = {"size", T_UINT},
    [F_ALIGN] = {"align", T_UINT},
    [F_BLOCK] = {"block", T_UINT},
    [F_CALLER] = {"caller", T_HEX},
    [F_EX] = {"ex", T_UINT},
    [F_REM_ADDR] = {"rem_addr", T_HEX},
    [F_REM_SIZE] = {"rem_size", T_UINT},
    [F_FREED_ADDR] = {"freed_addr", T_HEX},
    [F_FREED_SIZE] = {"freed_size", T_UINT},
    [F_MERGED] = {"merged", T_STR},
    [F_FREE] = {"free", T_UINT},
    [F_LARGEST] = {"largest", T_UINT},
    [F_OLD_ADDR] = {"old_addr", T_HEX},
    [F_OLD_SIZE] = {"old_size", T_UINT},
    [F_NAME] = {"name", T_STR},
    [F_COUNT] = {"count", T_UINT},
    [F_EVENTS] = {"events", T_UINT},
    [F_DROPPED] = {"dropped", T_UINT},
    [F_USED] = {"used", T_UINT},
    [F_PANIC] = {"panic", T_BOOL},
    [F_MIN_BLOCK] = {"min_block", T_UINT},
    [F_MIN_ALIGN] = {"min_align", T_UINT},
    [F_FN] = {"fn", T_STR},
    [F_SRC] = {"src", T_STR},
    [F_OP] = {"op", T_STR},
    [F_ERROR] = {"error", T_STR},
    [F_LEN] = {"len", T_UINT},
};
_Static_assert(F_COUNT_ <= 32, "every field needs a bit in scan.seen");

#define BIT(f) (1u << (f))

/* Fields each kind requires besides i, k, t (docs/trace-format.md). */
static const uint32_t kind_required[HEAP_EV_COUNT] = {
    [HEAP_EV_INIT] = BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_MIN_BLOCK) | BIT(F_MIN_ALIGN),
    [HEAP_EV_ALLOC] =
        BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_ALIGN) | BIT(F_BLOCK) | BIT(F_CALLER) | BIT(F_EX),
    [HEAP_EV_FREE] = BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_ALIGN) | BIT(F_BLOCK) | BIT(F_CALLER),
    [HEAP_EV_SPLIT] = BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_REM_ADDR) | BIT(F_REM_SIZE),
    [HEAP_EV_COALESCE] =
        BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_FREED_ADDR) | BIT(F_FREED_SIZE) | BIT(F_MERGED),
    [HEAP_EV_ALLOC_FAIL] =
        BIT(F_SIZE) | BIT(F_ALIGN) | BIT(F_CALLER) | BIT(F_EX) | BIT(F_FREE) | BIT(F_LARGEST),
    [HEAP_EV_REALLOC] =
        BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_OLD_ADDR) | BIT(F_OLD_SIZE) | BIT(F_CALLER),
    [HEAP_EV_MARKER] = BIT(F_NAME),
    [HEAP_EV_DROP] = BIT(F_COUNT),
    [HEAP_EV_END] = BIT(F_EVENTS) | BIT(F_DROPPED) | BIT(F_USED) | BIT(F_PANIC),
    [HEAP_EV_MISUSE] = BIT(F_OP) | BIT(F_ERROR) | BIT(F_ADDR) | BIT(F_SIZE) | BIT(F_ALIGN) |
                       BIT(F_CALLER) | BIT(F_LEN),
};

static enum field field_lookup(const char *k, size_t n)
{
#define KEY_IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)
	/* by first letter, then exact compares of constant length (inlined) */
	switch (k[0]) {
	case 'i':
		return n == 1 ? F_I : F_UNKNOWN;
	case 'k':
		return n == 1 ? F_K : F_UNKNOWN;
	case 't':
		return n == 1 ? F_T : F_UNKNOWN;
	case 'n':
		return n == 1 ? F_N : KEY_IS("name") ? F_NAME : F_UNKNOWN;
	case 'a':
		return KEY_IS("addr") ? F_ADDR : KEY_IS("align") ? F_ALIGN : F_UNKNOWN;
	case 'b':
		return KEY_IS("block") ? F_BLOCK : F_UNKNOWN;
	case 'c':
		return KEY_IS("caller") ? F_CALLER : KEY_IS("count") ? F_COUNT : F_UNKNOWN;
	case 'd':
		return KEY_IS("dropped") ? F_DROPPED : F_UNKNOWN;
	case 'e':
		return KEY_IS("ex")       ? F_EX
		       : KEY_IS("events") ? F_EVENTS
		       : KEY_IS("error")  ? F_ERROR
		                          : F_UNKNOWN;
	case 'f':
		return KEY_IS("free")         ? F_FREE
		       : KEY_IS("freed_addr") ? F_FREED_ADDR
		       : KEY_IS("freed_size") ? F_FREED_SIZE
		       : KEY_IS("fn")         ? F_FN
		                              : F_UNKNOWN;
	case 'l':
		return KEY_IS("largest") ? F_LARGEST : KEY_IS("len") ? F_LEN : F_UNKNOWN;
	case 'm':
		return KEY_IS("merged")      ? F_MERGED
		       : KEY_IS("min_block") ? F_MIN_BLOCK
		       : KEY_IS("min_align") ? F_MIN_ALIGN
		                             : F_UNKNOWN;
	case 'o':
		return KEY_IS("old_addr")   ? F_OLD_ADDR
		       : KEY_IS("old_size") ? F_OLD_SIZE
		       : KEY_IS("op")       ? F_OP
		                            : F_UNKNOWN;
	case 'p':
		return KEY_IS("panic") ? F_PANIC : F_UNKNOWN;
	case 'r':
		return KEY_IS("rem_addr")   ? F_REM_ADDR
		       : KEY_IS("rem_size") ? F_REM_SIZE
		                            : F_UNKNOWN;
	case 's':
		return KEY_IS("size") ? F_SIZE : KEY_IS("src") ? F_SRC : F_UNKNOWN;
	case 'u':
		return KEY_IS("used") ? F_USED : F_UNKNOWN;
	}
	return F_UNKNOWN;
}

/* The kind named by a raw (unescaped) string: an enum heap_event_kind,
 * KIND_SYM for a symbol record, or -1. */
#define KIND_SYM (-2)
static int kind_lookup(const char *k, size_t n)
{
	switch (n) {
	case 3:
		return KEY_IS("sym") ? KIND_SYM : KEY_IS("end") ? HEAP_EV_END : -1;
	case 4:
		return KEY_IS("free")   ? HEAP_EV_FREE
		       : KEY_IS("init") ? HEAP_EV_INIT
		       : KEY_IS("drop") ? HEAP_EV_DROP
		                        : -1;
	case 5:
		return KEY_IS("alloc") ? HEAP_EV_ALLOC : KEY_IS("split") ? HEAP_EV_SPLIT : -1;
	case 6:
		return KEY_IS("marker") ? HEAP_EV_MARKER : KEY_IS("misuse") ? HEAP_EV_MISUSE : -1;
	case 7:
		return KEY_IS("realloc") ? HEAP_EV_REALLOC : -1;
	case 8:
		return KEY_IS("coalesce") ? HEAP_EV_COALESCE : -1;
	case 10:
		return KEY_IS("alloc_fail") ? HEAP_EV_ALLOC_FAIL : -1;
	}
	return -1;
#undef KEY_IS
}

struct scan {
	const char *b;           /* start of the line (for columns in messages) */
	const char *p, *e;       /* cursor and end of the line */
	uint32_t seen;           /* BIT(field) for each field present */
	uint64_t u[F_COUNT_];    /* T_UINT, T_HEX, T_BOOL values */
	const char *s[F_COUNT_]; /* T_STR: raw contents (between the quotes) */
	size_t slen[F_COUNT_];
	bool sesc[F_COUNT_]; /* the raw string contains escapes */
};

/* Skips blanks; one compare in the common case (the next byte is above ' '). */
static inline __attribute__((always_inline)) void skip_ws(struct scan *s)
{
	const char *p = s->p;
	if (p < s->e && (unsigned char)*p <= ' ') {
		while (p < s->e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		s->p = p;
	}
}

/* scan_string's slow path: the string has an escape at p (or is invalid). */
static __attribute__((noinline)) bool scan_string_slow(struct scan *s, const char *p,
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
static inline __attribute__((always_inline)) bool scan_string(struct scan *s, const char **body,
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

static bool scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->e - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* Skips any JSON value (an unknown field's). */
static bool skip_value(struct scan *s, int depth)
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

/* Decodes a JSON string body into dst (NUL-terminated, truncated to n - 1):
 * escapes become their characters in UTF-8 (a surrogate pair one 4-byte
 * sequence, a lone surrogate U+FFFD; \u0000 ends dst). */
static void unescape(const char *b, size_t len, bool esc, char *dst, size_t n)
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

/* Parses one flat object; on failure sets r->err and returns false. */
static bool scan_object(trace_reader *r, struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->e || *s->p != '{') {
		set_error(r, "not a JSON object");
		return false;
	}
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
			set_error(r, "bad JSON: expected a field name in quotes at column %zu",
			          (size_t)(s->p - s->b) + 1);
			return false;
		}
		skip_ws(s);
		if (s->p >= s->e || *s->p != ':') {
			set_error(r, "bad JSON: expected ':' after \"%.*s\"",
			          (int)(klen > 40 ? 40 : klen), key);
			return false;
		}
		s->p++;
		skip_ws(s);
		enum field f = kesc ? F_UNKNOWN : field_lookup(key, klen);
		if (f == F_UNKNOWN) {
			if (!skip_value(s, 0)) {
				set_error(r, "bad JSON value for field \"%.*s\"",
				          (int)(klen > 40 ? 40 : klen), key);
				return false;
			}
		} else {
			const char *what = NULL;
			switch (fields[f].type) {
			case T_UINT: {
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
			case T_HEX: {
				const char *b;
				size_t n;
				bool esc;
				if (s->p >= s->e || *s->p != '"' || !scan_string(s, &b, &n, &esc) ||
				    esc || !hex_parse(b, n, &s->u[f]))
					what = "a hex address string like \"0x80400010\"";
				break;
			}
			case T_STR:
				if (s->p >= s->e || *s->p != '"' ||
				    !scan_string(s, &s->s[f], &s->slen[f], &s->sesc[f]))
					what = "a string";
				break;
			case T_BOOL:
				if (scan_literal(s, "true"))
					s->u[f] = 1;
				else if (scan_literal(s, "false"))
					s->u[f] = 0;
				else
					what = "true or false";
				break;
			}
			if (what) {
				set_error(r, "field '%s': expected %s", fields[f].name, what);
				return false;
			}
			s->seen |= BIT(f);
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
		set_error(r, "bad JSON: expected ',' or '}' at column %zu",
		          (size_t)(s->p - s->b) + 1);
		return false;
	}
tail:
	skip_ws(s);
	if (s->p != s->e) {
		set_error(r, "bad JSON: text after the object");
		return false;
	}
	return true;
}

static int log2_exact(uint64_t v)
{
	if (v == 0 || (v & (v - 1)))
		return -1;
	return __builtin_ctzll(v);
}

static const char *missing_field(uint32_t missing)
{
	for (int f = 0; f < F_COUNT_; f++)
		if (missing & BIT(f))
			return fields[f].name;
	return "?";
}

/* Turns a scanned event line into *ev; false with r->err set. */
static bool build_event(trace_reader *r, struct scan *s, int kind, struct heap_event *ev)
{
	uint32_t need = BIT(F_I) | BIT(F_T) | kind_required[kind];
	if (r->hdr.has_instret)
		need |= BIT(F_N);
	if ((s->seen & need) != need) {
		set_error(r, "%s event lacks field '%s'", heap_event_kind_name((unsigned)kind),
		          missing_field(need & ~s->seen));
		return false;
	}
	memset(ev, 0, sizeof *ev);
#define OPT(f) ((s->seen & BIT(f)) ? s->u[f] : 0) /* an optional field, 0 if absent */
	ev->kind = (uint8_t)kind;
	ev->seq = s->u[F_I];
	ev->time = s->u[F_T];
	ev->instret = OPT(F_N);
	ev->caller = OPT(F_CALLER);
	ev->examined = (uint32_t)OPT(F_EX);
	if (OPT(F_EX) > UINT32_MAX) {
		set_error(r, "field 'ex' out of range");
		return false;
	}
	if (kind == HEAP_EV_MISUSE && s->u[F_ALIGN] == 0) {
		ev->align_log2 = HEAP_MISUSE_ALIGN_BAD; /* the align given was not a power of two */
	} else if (s->seen & BIT(F_ALIGN)) {
		int l = log2_exact(s->u[F_ALIGN]);
		if (l < 0) {
			set_error(r, "field 'align': %" PRIu64 " is not a power of two",
			          s->u[F_ALIGN]);
			return false;
		}
		ev->align_log2 = (uint8_t)l;
	}
	switch (kind) {
	case HEAP_EV_INIT: {
		int l = log2_exact(s->u[F_MIN_ALIGN]);
		if (l < 0) {
			set_error(r, "field 'min_align': %" PRIu64 " is not a power of two",
			          s->u[F_MIN_ALIGN]);
			return false;
		}
		ev->align_log2 = (uint8_t)l;
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->block = s->u[F_MIN_BLOCK];
		break;
	}
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->block = s->u[F_BLOCK];
		break;
	case HEAP_EV_SPLIT:
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->addr2 = s->u[F_REM_ADDR];
		ev->size2 = s->u[F_REM_SIZE];
		break;
	case HEAP_EV_COALESCE: {
		const char *m = s->s[F_MERGED];
		size_t n = s->slen[F_MERGED];
		if (n == 4 && !memcmp(m, "prev", 4))
			ev->flags = HEAP_MERGED_PREV;
		else if (n == 4 && !memcmp(m, "next", 4))
			ev->flags = HEAP_MERGED_NEXT;
		else if (n == 4 && !memcmp(m, "both", 4))
			ev->flags = HEAP_MERGED_PREV | HEAP_MERGED_NEXT;
		else {
			set_error(r, "field 'merged': expected \"prev\", \"next\" or \"both\"");
			return false;
		}
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->addr2 = s->u[F_FREED_ADDR];
		ev->size2 = s->u[F_FREED_SIZE];
		break;
	}
	case HEAP_EV_ALLOC_FAIL:
		ev->size = s->u[F_SIZE];
		ev->block = s->u[F_FREE];
		ev->size2 = s->u[F_LARGEST];
		break;
	case HEAP_EV_REALLOC:
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->addr2 = s->u[F_OLD_ADDR];
		ev->size2 = s->u[F_OLD_SIZE];
		break;
	case HEAP_EV_MARKER:
		/* any bytes are read (hardening), as a name the writer writes back
		 * unchanged: cut to 31 bytes, then what is not UTF-8 made '?' */
		unescape(s->s[F_NAME], s->slen[F_NAME], s->sesc[F_NAME], ev->name, sizeof ev->name);
		utf8_sanitize(ev->name);
		break;
	case HEAP_EV_DROP:
		ev->size = s->u[F_COUNT];
		break;
	case HEAP_EV_END:
		ev->size = s->u[F_EVENTS];
		ev->block = s->u[F_USED];
		ev->size2 = s->u[F_DROPPED];
		ev->flags = s->u[F_PANIC] ? HEAP_END_PANIC : 0;
		break;
	case HEAP_EV_MISUSE: {
		char op[16], err[40];
		unescape(s->s[F_OP], s->slen[F_OP], s->sesc[F_OP], op, sizeof op);
		unescape(s->s[F_ERROR], s->slen[F_ERROR], s->sesc[F_ERROR], err, sizeof err);
		int o = s->slen[F_OP] < sizeof op ? heap_misuse_op_from_name(op) : -1;
		int e = s->slen[F_ERROR] < sizeof err ? heap_misuse_error_from_name(err) : -1;
		if (o < 0) {
			set_error(r, "field 'op': expected \"dealloc\", \"free\", \"realloc\" or "
			             "\"vec_index\"");
			return false;
		}
		if (e < 0) {
			set_error(r, "field 'error': expected \"double free\", \"outside the heap\", "
			             "\"misaligned\", \"bad layout\" or \"\"");
			return false;
		}
		ev->flags = HEAP_MISUSE_FLAGS(o, e);
		ev->addr = s->u[F_ADDR];
		ev->size = s->u[F_SIZE];
		ev->size2 = s->u[F_LEN];
		break;
	}
	}
	const char *bad = trace_event_check(ev, r->hdr.has_instret);
	if (bad) {
		set_error(r, "%s event: %s", heap_event_kind_name((unsigned)kind), bad);
		return false;
	}
	return true;
}

static bool absorb_symbol(trace_reader *r, struct scan *s)
{
	if (!(s->seen & BIT(F_ADDR))) {
		set_error(r, "sym record lacks field 'addr'");
		return false;
	}
	char fn[256] = "??", src[512] = "??:0";
	if (s->seen & BIT(F_FN))
		unescape(s->s[F_FN], s->slen[F_FN], s->sesc[F_FN], fn, sizeof fn);
	if (s->seen & BIT(F_SRC))
		unescape(s->s[F_SRC], s->slen[F_SRC], s->sesc[F_SRC], src, sizeof src);
	if (!sym_put(r, s->u[F_ADDR], fn, src)) {
		set_error(r, "out of memory");
		return false;
	}
	return true;
}

enum trace_read_status trace_reader_next(trace_reader *r, struct heap_event *ev)
{
	if (r->failed)
		return TRACE_READ_ERROR;
	for (;;) {
		char *p;
		size_t len;
		enum line_status st = next_line(r, &p, &len);
		if (st == LINE_AGAIN)
			return r->complete ? TRACE_READ_EOF : TRACE_READ_AGAIN;
		if (st == LINE_EOF)
			return TRACE_READ_EOF;
		if (st == LINE_ERROR)
			goto fail;
		if (is_blank(p, len))
			continue;
		struct scan s;
		s.b = s.p = p;
		s.e = p + len;
		s.seen = 0;
		if (!scan_object(r, &s))
			goto fail;
		if (!(s.seen & BIT(F_K))) {
			set_error(r, "line has no kind field 'k'");
			goto fail;
		}
		const char *k = s.s[F_K];
		size_t klen = s.slen[F_K];
		int kind;
		if (!s.sesc[F_K]) {
			kind = kind_lookup(k, klen);
		} else { /* an escaped kind name: decode it first */
			char kname[24];
			unescape(k, klen, true, kname, sizeof kname);
			kind = strlen(kname) < sizeof kname - 1 ? kind_lookup(kname, strlen(kname))
			                                        : -1;
		}
		if (kind == KIND_SYM) {
			if (!absorb_symbol(r, &s))
				goto fail;
			continue;
		}
		if (kind < 0) {
			set_error(r, "unknown event kind \"%.*s\"", (int)(klen > 32 ? 32 : klen),
			          k);
			goto fail;
		}
		if (!build_event(r, &s, kind, ev))
			goto fail;
		if (r->complete) {
			set_error(r, "event %" PRIu64 " after the end event", ev->seq);
			goto fail;
		}
		if (r->have_seq && ev->seq <= r->prev_seq) {
			set_error(r, "sequence number %" PRIu64 " does not follow %" PRIu64,
			          ev->seq, r->prev_seq);
			goto fail;
		}
		if (kind == HEAP_EV_DROP)
			r->dropped += ev->size;
		char why[160];
		if (kind == HEAP_EV_END && trace_end_check(ev, r->dropped, why, sizeof why)) {
			set_error(r, "%s", why);
			goto fail;
		}
		r->have_seq = true;
		r->prev_seq = ev->seq;
		r->events++;
		if (kind == HEAP_EV_END)
			r->complete = true;
		return TRACE_READ_EVENT;
	}
fail:
	r->failed = true;
	return TRACE_READ_ERROR;
}

/* ---- the language both sides share ------------------------------------------ */

const char *trace_event_check(const struct heap_event *ev, bool with_instret)
{
#define BIG(v) ((v) >= TRACE_INT_LIMIT)
	if (ev->kind >= HEAP_EV_COUNT)
		return "unknown event kind";
	if (BIG(ev->seq))
		return "sequence number of 2^53 or more";
	if (BIG(ev->time) || (with_instret && BIG(ev->instret)))
		return "time or instret of 2^53 or more";
	bool big = false, align = false;
	switch (ev->kind) {
	case HEAP_EV_INIT:
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		big = BIG(ev->size) || BIG(ev->block);
		align = true;
		break;
	case HEAP_EV_SPLIT:
	case HEAP_EV_REALLOC:
		big = BIG(ev->size) || BIG(ev->size2);
		break;
	case HEAP_EV_COALESCE:
		big = BIG(ev->size) || BIG(ev->size2);
		if (ev->flags < 1 || ev->flags > 3)
			return "coalesce that merged no neighbour (or unknown merge flags)";
		break;
	case HEAP_EV_ALLOC_FAIL:
		big = BIG(ev->size) || BIG(ev->block) || BIG(ev->size2);
		align = true;
		break;
	case HEAP_EV_MARKER: {
		const unsigned char *q = (const unsigned char *)ev->name;
		size_t i = 0;
		while (i < HEAP_MARKER_NAME_MAX && q[i]) {
			size_t k = utf8_sequence(q + i);
			if (k == 0 || i + k > HEAP_MARKER_NAME_MAX)
				return "marker name that is not well-formed UTF-8";
			i += k;
		}
		if (q[i])
			return "marker name longer than 31 bytes";
		break;
	}
	case HEAP_EV_DROP:
		big = BIG(ev->size);
		break;
	case HEAP_EV_END:
		big = BIG(ev->size) || BIG(ev->block) || BIG(ev->size2);
		if (ev->flags & ~HEAP_END_PANIC)
			return "unknown flags on an end event";
		break;
	case HEAP_EV_MISUSE:
		big = BIG(ev->size) || BIG(ev->size2);
		align = ev->align_log2 != HEAP_MISUSE_ALIGN_BAD;
		if (HEAP_MISUSE_OP(ev->flags) >= HEAP_OP_COUNT ||
		    !heap_misuse_error_name(HEAP_MISUSE_ERROR(ev->flags)))
			return "misuse of an unknown operation or error";
		break;
	}
	if (big)
		return "a size or count of 2^53 or more";
	if (align && ev->align_log2 > 52)
		return "an alignment of 2^53 or more";
	return NULL;
#undef BIG
}

const char *trace_end_check(const struct heap_event *end, uint64_t dropped, char *buf, size_t n)
{
	if (end->size != end->seq + 1)
		snprintf(buf, n,
		         "the end event counts %" PRIu64 " events, but its sequence number %" PRIu64
		         " says %" PRIu64,
		         end->size, end->seq, end->seq + 1);
	else if (end->size2 != dropped)
		snprintf(buf, n,
		         "the end event counts %" PRIu64 " dropped events, the drop events %" PRIu64,
		         end->size2, dropped);
	else
		return NULL;
	return buf;
}

/* ---- writing ----------------------------------------------------------------- */

/* Appends the UTF-8 text s (NUL-terminated) as the body of a JSON string:
 * '"' and '\\' escaped, control bytes and DEL as \u00XX, well-formed UTF-8
 * sequences copied unchanged (so the reader gets back the same bytes), and
 * each byte that is not part of one as \ufffd (U+FFFD, the replacement
 * character). At most 6 bytes per byte of s. Returns the end. */
static char *put_json_body(char *p, const char *s)
{
	const unsigned char *q = (const unsigned char *)s;
	while (*q) {
		unsigned char c = *q;
		size_t n = c >= 0x80 ? utf8_sequence(q) : 1;
		if (c == '"' || c == '\\') {
			*p++ = '\\', *p++ = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			*p++ = '\\', *p++ = 'u', *p++ = '0', *p++ = '0';
			*p++ = "0123456789abcdef"[c >> 4], *p++ = "0123456789abcdef"[c & 15];
		} else if (n == 0) {
			memcpy(p, "\\ufffd", 6);
			p += 6;
			n = 1;
		} else {
			memcpy(p, q, n);
			p += n;
		}
		q += n;
	}
	return p;
}

/* Appends at most max bytes of s as a quoted JSON string (at most 6 * max + 2 bytes). */
static char *put_json_string(char *p, const char *s, size_t max)
{
	char tmp[64];
	size_t n = 0;
	while (n < max && n < sizeof tmp - 1 && s[n])
		n++;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	*p++ = '"';
	p = put_json_body(p, tmp);
	*p++ = '"';
	return p;
}

void trace_write_json_string(FILE *out, const char *s)
{
	char buf[6 * 256];
	fputc('"', out);
	while (*s) { /* in pieces that end on a NUL or between sequences */
		char piece[257];
		size_t n = 0;
		while (n < 252 && s[n])
			n++;
		while (s[n] && n < 256 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n++; /* the rest of a sequence cut at the piece's end */
		memcpy(piece, s, n);
		piece[n] = 0;
		fwrite(buf, 1, (size_t)(put_json_body(buf, piece) - buf), out);
		s += n;
	}
	fputc('"', out);
}

static char *put_lit(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "0x..." in lowercase hex without leading zeros, in quotes. */
static char *put_hex(char *p, uint64_t v)
{
	*p++ = '"', *p++ = '0', *p++ = 'x';
	int shift = 60;
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = "0123456789abcdef"[v >> shift & 15];
	*p++ = '"';
	return p;
}

#define FIELD_U(p, name, v) put_u64(put_lit((p), ",\"" name "\":"), (v))
#define FIELD_X(p, name, v) put_hex(put_lit((p), ",\"" name "\":"), (v))

size_t trace_format_event(char *buf, const struct heap_event *ev, bool with_instret)
{
	char *p = buf;
	uint64_t align = ev->align_log2 < 64 ? (uint64_t)1 << ev->align_log2 : 0;
	p = put_u64(put_lit(p, "{\"i\":"), ev->seq);
	p = put_lit(put_lit(put_lit(p, ",\"k\":\""), heap_event_kind_name(ev->kind)), "\"");
	p = FIELD_U(p, "t", ev->time);
	if (with_instret)
		p = FIELD_U(p, "n", ev->instret);
	switch (ev->kind) {
	case HEAP_EV_INIT:
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_U(p, "min_block", ev->block);
		p = FIELD_U(p, "min_align", align);
		break;
	case HEAP_EV_ALLOC:
	case HEAP_EV_FREE:
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_U(p, "align", align);
		p = FIELD_U(p, "block", ev->block);
		p = FIELD_X(p, "caller", ev->caller);
		if (ev->kind == HEAP_EV_ALLOC)
			p = FIELD_U(p, "ex", ev->examined);
		break;
	case HEAP_EV_SPLIT:
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_X(p, "rem_addr", ev->addr2);
		p = FIELD_U(p, "rem_size", ev->size2);
		break;
	case HEAP_EV_COALESCE: {
		static const char *const merged[] = {"none", "prev", "next", "both"};
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_X(p, "freed_addr", ev->addr2);
		p = FIELD_U(p, "freed_size", ev->size2);
		p = put_lit(put_lit(put_lit(p, ",\"merged\":\""), merged[ev->flags & 3]), "\"");
		break;
	}
	case HEAP_EV_ALLOC_FAIL:
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_U(p, "align", align);
		p = FIELD_X(p, "caller", ev->caller);
		p = FIELD_U(p, "ex", ev->examined);
		p = FIELD_U(p, "free", ev->block);
		p = FIELD_U(p, "largest", ev->size2);
		break;
	case HEAP_EV_REALLOC:
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_X(p, "old_addr", ev->addr2);
		p = FIELD_U(p, "old_size", ev->size2);
		p = FIELD_X(p, "caller", ev->caller);
		break;
	case HEAP_EV_MARKER:
		p = put_json_string(put_lit(p, ",\"name\":"), ev->name, HEAP_MARKER_NAME_MAX);
		break;
	case HEAP_EV_DROP:
		p = FIELD_U(p, "count", ev->size);
		break;
	case HEAP_EV_END:
		p = FIELD_U(p, "events", ev->size);
		p = FIELD_U(p, "dropped", ev->size2);
		p = FIELD_U(p, "used", ev->block);
		p = put_lit(p, (ev->flags & HEAP_END_PANIC) ? ",\"panic\":true" : ",\"panic\":false");
		break;
	case HEAP_EV_MISUSE: {
		const char *err = heap_misuse_error_name(HEAP_MISUSE_ERROR(ev->flags));
		p = put_json_string(put_lit(p, ",\"op\":"), heap_misuse_op_name(HEAP_MISUSE_OP(ev->flags)),
		                    16);
		p = put_json_string(put_lit(p, ",\"error\":"), err ? err : "?", 40);
		p = FIELD_X(p, "addr", ev->addr);
		p = FIELD_U(p, "size", ev->size);
		p = FIELD_U(p, "align", align);
		p = FIELD_X(p, "caller", ev->caller);
		p = FIELD_U(p, "len", ev->size2);
		break;
	}
	}
	*p++ = '}', *p++ = '\n';
	return (size_t)(p - buf);
}

const char *trace_misuse_describe(const struct heap_event *ev, char *buf, size_t n)
{
	unsigned op = HEAP_MISUSE_OP(ev->flags), err = HEAP_MISUSE_ERROR(ev->flags);
	const char *err_name = heap_misuse_error_name(err);
	if (op == HEAP_OP_VEC_INDEX) {
		snprintf(buf, n,
		         "vector index %" PRIu64 " out of range (len %" PRIu64
		         ", elements at 0x%" PRIx64 ")",
		         ev->size, ev->size2, ev->addr);
		return buf;
	}
	char detail[64] = "";
	if (op == HEAP_OP_DEALLOC && ev->align_log2 < 64)
		snprintf(detail, sizeof detail, " (size %" PRIu64 ", align %llu)", ev->size,
		         1ull << ev->align_log2);
	else if (op == HEAP_OP_DEALLOC)
		snprintf(detail, sizeof detail, " (size %" PRIu64 ", align not a power of two)",
		         ev->size);
	else if (op == HEAP_OP_REALLOC)
		snprintf(detail, sizeof detail, " (new size %" PRIu64 ")", ev->size);
	if (err == HEAP_ERR_DOUBLE_FREE)
		snprintf(buf, n, "double free of 0x%" PRIx64 "%s", ev->addr, detail);
	else
		snprintf(buf, n, "%s of 0x%" PRIx64 "%s: %s", heap_misuse_op_name(op), ev->addr,
		         detail, err_name && err_name[0] ? err_name : "refused");
	return buf;
}

bool trace_write_header(FILE *out, const struct trace_header *h)
{
	fprintf(out, "{\"format\":\"%s\",\"version\":%d,\"channel\":", TRACE_FORMAT_NAME,
	        TRACE_FORMAT_VERSION);
	trace_write_json_string(out, h->channel);
	fputs(",\"workload\":", out);
	trace_write_json_string(out, h->workload);
	fprintf(out,
	        ",\"heap_base\":\"0x%" PRIx64 "\",\"heap_size\":%" PRIu64 ",\"min_block\":%" PRIu64
	        ",\"min_align\":%" PRIu64 ",\"time_hz\":%" PRIu64 ",\"instret\":%s,\"elf\":",
	        h->heap_base, h->heap_size, h->min_block, h->min_align, h->time_hz,
	        h->has_instret ? "true" : "false");
	trace_write_json_string(out, h->elf);
	fputs("}\n", out);
	return !ferror(out);
}

bool trace_write_event(FILE *out, const struct heap_event *ev, bool with_instret)
{
	if (ev->kind >= HEAP_EV_COUNT)
		return false;
	char line[TRACE_EVENT_LINE_MAX];
	fwrite(line, 1, trace_format_event(line, ev, with_instret), out);
	return !ferror(out);
}

bool trace_write_symbol(FILE *out, uint64_t addr, const char *fn, const char *src)
{
	fprintf(out, "{\"k\":\"sym\",\"addr\":\"0x%" PRIx64 "\",\"fn\":", addr);
	trace_write_json_string(out, fn ? fn : "??");
	fputs(",\"src\":", out);
	trace_write_json_string(out, src ? src : "??:0");
	fputs("}\n", out);
	return !ferror(out);
}
