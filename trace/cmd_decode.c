/* cmd_decode.c - `heaptrace decode`: the kernel's raw trace (semihosting file
 * or UART console log) to the JSON trace of docs/trace-format.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "heap_event.h"
#include "out_file.h"
#include "stacks.h"
#include "symbolize.h"
#include "trace_reader.h"
#include "trace_wire.h"
#include "u64_map.h"
#include "uart_frames.h"

#define PROG "heaptrace decode"

_Static_assert(WIRE_STACK_DEPTH_MAX <= TRACE_STACK_DEPTH_MAX,
               "every stack the wire carries fits a stack record");

struct options {
	const char *channel; /* NULL: detect */
	const char *elf;     /* NULL: no symbols */
	const char *out;     /* "-": stdout */
	const char *raw;     /* input, "-": stdin */
	bool follow;
	bool console; /* echo console text (UART) to stderr */
	bool quiet;
	double idle; /* --follow: give up after this many seconds without input */
};

/* ---- symbol table: code address -> resolved name, emitted yet? ----------- */

struct sym_entry {
	uint64_t addr;
	bool emitted; /* "sym" record written */
	struct symbol_info info;
};

struct symtab {
	struct sym_entry *e; /* in order of first sight */
	size_t cap, n;
	struct u64_map index; /* addr -> entry */
};

/* Finds addr's entry, inserting a fresh one; NULL if out of memory. */
static struct sym_entry *sym_get(struct symtab *t, uint64_t addr, bool *fresh)
{
	uint32_t i = u64_map_get(&t->index, addr);
	*fresh = i == U64_MAP_NONE;
	if (!*fresh)
		return &t->e[i];
	struct sym_entry *e = u64_map_append(&t->index, addr, t->e, &t->n, &t->cap, sizeof *e);
	if (!e)
		return NULL;
	t->e = e;
	e[t->n - 1].addr = addr;
	return &e[t->n - 1];
}

static void symtab_free(struct symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		symbol_info_free(&t->e[i].info);
	free(t->e);
	u64_map_free(&t->index);
}

/* ---- decoding a byte stream that may still grow -------------------------- */

struct stream {
	struct bytebuf b; /* undecoded bytes start at pos */
	size_t pos;
	uint64_t base_off; /* stream offset of b.p[0] */
	bool have_header;
	struct wire_stream_info info;
	struct wire_state st;
	uint64_t nevents;
	bool ended;
	const char *why;  /* WIRE_CORRUPT: what */
	uint64_t bad_off; /* WIRE_CORRUPT: stream offset of the record at fault */
	uint64_t rec_off; /* stream offset of the record the last event came from */
	struct trace_order order; /* sequence numbers and drops so far */
	bool semihosting;  /* the semihosting channel (else UART frames' payload) */
	bool blocked;      /* semihosting in checked blocks (version 3) */
	uint64_t *map;     /* blocked: payload offset, file offset of each block's start */
	size_t nmap, capmap;
	struct wire_stack *wire_stacks; /* with stacks: the latest STACK record of each wire
	                                   id, [WIRE_STACK_IDS + 1]; depth 0: none yet */
	struct stacks stacks;           /* the JSON trace's stacks: each distinct frame list once */
	uint64_t trailing; /* payload bytes after the end event, counted and dropped */
	char whybuf[200]; /* a why with numbers in it */
};

/* Stream offset of the end of the payload so far (dropped bytes included). */
static uint64_t stream_payload_end(const struct stream *s)
{
	return s->base_off + s->b.len + s->trailing;
}

static void stream_free(struct stream *s)
{
	free(s->b.p);
	free(s->map);
	free(s->wire_stacks);
	stacks_free(&s->stacks);
}

/* Whether ev, just decoded, is an event the JSON trace can say and that
 * follows the ones before it (trace_event_check, increasing sequence
 * numbers, an end that counts what came before): what the trace reader
 * accepts. NULL if so, else what is wrong. */
static const char *stream_check(struct stream *s, const struct heap_event *ev)
{
	const char *bad = trace_event_check(ev, s->info.flags & WIRE_FLAG_INSTRET);
	if (bad)
		return bad;
	return trace_order_check(&s->order, ev, s->whybuf, sizeof s->whybuf);
}

/* Called for each event decoded; fresh: the stack ev names, if the JSON
 * trace has not had it before (its record goes before ev), else NULL. */
typedef int (*event_fn)(void *ctx, const struct heap_event *ev, const struct trace_stack *fresh);

/* A STACK record just decoded (in s->st.stack): the latest definition of its
 * wire id. False (s->why set) if it is deeper than the header said. */
static bool stream_stack(struct stream *s)
{
	const struct wire_stack *ws = &s->st.stack;
	if (ws->depth > s->info.stack_depth) {
		snprintf(s->whybuf, sizeof s->whybuf,
		         "a stack of %" PRIu32 " frames in a stream of depth %" PRIu32, ws->depth,
		         s->info.stack_depth);
		s->why = s->whybuf;
		return false;
	}
	s->wire_stacks[ws->id] = *ws;
	return true;
}

/* With stacks, ev's caller field is a wire stack id: makes it the stack's
 * JSON id (ev->stack) and its first frame (ev->caller), *fresh the stack if
 * it is new to the JSON trace. 0 on success, 1 (s->why set) for an id no
 * STACK record defined, -1 out of memory. */
static int stream_resolve_stack(struct stream *s, struct heap_event *ev,
                                const struct trace_stack **fresh)
{
	*fresh = NULL;
	uint64_t id = ev->caller;
	if (!s->info.stack_depth || !heap_event_has_caller(ev->kind) || id == 0)
		return 0; /* id 0: the caller is unknown */
	if (id > WIRE_STACK_IDS || s->wire_stacks[id].depth == 0) {
		snprintf(s->whybuf, sizeof s->whybuf,
		         "an event from stack id %" PRIu64 ", which no STACK record defined", id);
		s->why = s->whybuf;
		return 1;
	}
	const struct wire_stack *ws = &s->wire_stacks[id];
	bool is_new;
	const struct trace_stack *js = stacks_intern(&s->stacks, ws->depth, ws->frames, &is_new);
	if (!js)
		return -1;
	ev->stack = js->id;
	ev->caller = js->frames[0];
	*fresh = is_new ? js : NULL;
	return 0;
}

/* Decodes what the buffer holds, calling fn per event. Returns WIRE_OK when
 * everything was used (or END seen), WIRE_NEED_MORE when a partial event is
 * left, WIRE_CORRUPT; -1 if fn failed. */
static int stream_pump(struct stream *s, event_fn fn, void *ctx)
{
	size_t used;
	if (!s->have_header) {
		enum wire_status r = wire_decode_header(s->b.p, s->b.len, &s->info, &used, &s->why);
		s->bad_off = s->base_off;
		if (r != WIRE_OK)
			return r;
		if (s->info.time_hz >= TRACE_INT_LIMIT) {
			s->why = "a header time_hz of 2^53 or more";
			return WIRE_CORRUPT;
		}
		if (s->semihosting && s->blocked != (s->info.version == WIRE_VERSION)) {
			s->why = s->blocked ? "a version 2 stream in blocks"
			                    : "a version 3 stream without its block heads (the first "
			                      "one damaged?)";
			return WIRE_CORRUPT;
		}
		s->pos = used;
		s->have_header = true;
		wire_state_init(&s->st, s->info.flags & WIRE_FLAG_INSTRET);
		if (s->info.stack_depth &&
		    !(s->wire_stacks = calloc(WIRE_STACK_IDS + 1, sizeof *s->wire_stacks)))
			return -1;
	}
	while (!s->ended && (s->pos < s->b.len || wire_pending(&s->st))) {
		struct heap_event ev;
		bool second = wire_pending(&s->st); /* a pair record's second event */
		enum wire_status r =
		    wire_decode(&s->st, s->b.p + s->pos, s->b.len - s->pos, &ev, &used, &s->why);
		if (r == WIRE_STACK && !s->info.stack_depth) {
			r = WIRE_CORRUPT;
			s->why = "a STACK record in a stream without stacks";
		}
		if (r == WIRE_STACK && !stream_stack(s))
			r = WIRE_CORRUPT;
		if (r != WIRE_OK && r != WIRE_STACK) {
			s->bad_off = s->base_off + s->pos;
			return r;
		}
		if (!second)
			s->rec_off = s->base_off + s->pos;
		s->pos += used;
		if (r == WIRE_STACK)
			continue;
		const struct trace_stack *fresh;
		int sr = stream_resolve_stack(s, &ev, &fresh);
		if (sr < 0)
			return -1;
		if (sr > 0) {
			s->bad_off = s->rec_off;
			return WIRE_CORRUPT;
		}
		const char *bad = stream_check(s, &ev);
		if (bad) {
			s->why = bad;
			s->bad_off = s->rec_off;
			return WIRE_CORRUPT;
		}
		s->nevents++;
		if (ev.kind == HEAP_EV_END)
			s->ended = true;
		if (fn(ctx, &ev, fresh) < 0)
			return -1;
	}
	return WIRE_OK;
}

/* Drops decoded bytes from the front (follow mode keeps memory bounded). */
static void stream_compact(struct stream *s)
{
	if (s->pos < (1u << 20))
		return;
	memmove(s->b.p, s->b.p + s->pos, s->b.len - s->pos);
	s->b.len -= s->pos;
	s->base_off += s->pos;
	s->pos = 0;
}

/* ---- the JSON writer --------------------------------------------------------- */

struct writer {
	FILE *f;
	const struct options *o;
	const char *channel;
	const struct wire_stream_info *info;
	struct symtab syms;
	bool header_done;
	bool failed; /* addr2line failed: message printed */
	uint64_t counts[HEAP_EV_COUNT];
	uint64_t events, dropped, syms_written, stacks_written;
	bool panic;
};

static void write_header(struct writer *w, const struct heap_event *first)
{
	bool init = first && first->kind == HEAP_EV_INIT;
	unsigned al = init ? first->align_log2 : 0;
	struct trace_header h = {
	    .version = 1,
	    .heap_base = init ? first->addr : 0,
	    .heap_size = init ? first->size : 0,
	    .min_block = init ? first->block : 0,
	    .min_align = init && al < 64 ? (uint64_t)1 << al : 0,
	    .time_hz = w->info->time_hz,
	    .has_instret = (w->info->flags & WIRE_FLAG_INSTRET) != 0,
	    .policy = init ? first->flags : 0,
	    .stack_depth = w->info->stack_depth,
	};
	snprintf(h.channel, sizeof h.channel, "%s", w->channel);
	snprintf(h.workload, sizeof h.workload, "%s", w->info->name);
	if (w->o->elf) {
		char elfbuf[4096];
		snprintf(elfbuf, sizeof elfbuf, "%s", w->o->elf);
		snprintf(h.elf, sizeof h.elf, "%s", basename(elfbuf));
	}
	trace_write_header(w->f, &h);
	w->header_done = true;
}

/* Writes the "sym" record for a code address (a caller, a frame) before its
 * first use (resolving it now if pass 1 did not). Returns -1 if addr2line
 * failed. */
static int write_sym(struct writer *w, uint64_t addr)
{
	if (!w->o->elf || addr == 0)
		return 0;
	bool fresh;
	struct sym_entry *e = sym_get(&w->syms, addr, &fresh);
	if (!e)
		return -1;
	if (e->emitted)
		return 0;
	if (fresh) {
		char err[512];
		if (symbolize_batch(w->o->elf, &addr, 1, &e->info, err, sizeof err) < 0) {
			fprintf(stderr, PROG ": symbols: %s\n", err);
			w->failed = true;
			return -1;
		}
	}
	/* the functions inlined there: in traces with stacks (a depth-0 trace is
	 * written as before stacks existed) */
	uint32_t n_inlined = w->info->stack_depth ? e->info.n_inlined : 0;
	struct trace_inline inl[TRACE_INLINED_MAX];
	for (uint32_t i = 0; i < n_inlined; i++)
		inl[i] = (struct trace_inline){e->info.inlined[i].fn, e->info.inlined[i].src};
	struct trace_symbol sym = {addr, e->info.fn, e->info.src, n_inlined, inl};
	trace_write_symbol_record(w->f, &sym);
	e->emitted = true;
	w->syms_written++;
	return 0;
}

/* Writes a stack record new to the trace, after the symbols of its frames. */
static int write_stack(struct writer *w, const struct trace_stack *st)
{
	for (uint32_t i = 0; i < st->depth; i++)
		if (write_sym(w, st->frames[i]) < 0)
			return -1;
	trace_write_stack(w->f, st->id, st->depth, st->frames);
	w->stacks_written++;
	return 0;
}

static int write_event(void *ctx, const struct heap_event *ev, const struct trace_stack *fresh)
{
	struct writer *w = ctx;
	FILE *f = w->f;
	if (!w->header_done)
		write_header(w, ev);
	if (fresh && write_stack(w, fresh) < 0)
		return -1;
	bool has_caller = heap_event_has_caller(ev->kind);
	if (has_caller && write_sym(w, ev->caller) < 0)
		return -1;
	w->events++;
	if (ev->kind < HEAP_EV_COUNT)
		w->counts[ev->kind]++;
	if (ev->kind == HEAP_EV_DROP)
		w->dropped += ev->size;
	if (ev->kind == HEAP_EV_END)
		w->panic = ev->flags & HEAP_END_PANIC;
	char line[TRACE_EVENT_LINE_MAX]; /* formatted without printf: the decoder's hot loop */
	fwrite(line, 1, trace_format_event(line, ev, w->info->flags & WIRE_FLAG_INSTRET), f);
	return 0; /* --follow flushes whenever it has caught up with the input */
}

/* Pass 1: notes every distinct code address (callers, stack frames). */
static int collect_caller(void *ctx, const struct heap_event *ev, const struct trace_stack *fresh)
{
	struct symtab *t = ctx;
	bool has_caller = heap_event_has_caller(ev->kind);
	bool is_new;
	for (uint32_t i = 0; fresh && i < fresh->depth; i++)
		if (fresh->frames[i] && !sym_get(t, fresh->frames[i], &is_new))
			return -1;
	if (has_caller && ev->caller && !sym_get(t, ev->caller, &is_new))
		return -1;
	return 0;
}

/* ---- input ------------------------------------------------------------------ */

struct input {
	const struct options *o;
	bool uart;
	int blocked;         /* semihosting: -1 until the first 16 bytes say, then 0 or 1 */
	uint64_t file_off;   /* blocked: file offset of line.p[0] */
	uint64_t nblocks;    /* blocked: blocks accepted */
	struct uart_frames frames;
	struct bytebuf line; /* UART: the current partial line */
	char err[256];       /* UART framing problem */
	bool bad;            /* err is set */
};

/* The file offset of payload offset off: the same, unless blocked. An off
 * where a block's payload starts is that payload's first byte, or (after:
 * what follows the bytes before off) the end of the block before, where the
 * next block's head starts. */
static uint64_t file_offset_of(const struct stream *s, uint64_t off, bool after)
{
	size_t lo = 0, hi = s->nmap; /* the last block starting before (at) off */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->map[2 * mid] < off || (!after && s->map[2 * mid] == off))
			lo = mid;
		else
			hi = mid;
	}
	return s->nmap ? s->map[2 * lo + 1] + (off - s->map[2 * lo]) : off;
}

static uint64_t file_offset(const struct stream *s, uint64_t off)
{
	return file_offset_of(s, off, false);
}

/* Semihosting bytes: a version 2 stream is appended as it is; a version 3
 * one (it starts with a block head, not the magic) is checked block by
 * block and each block's payload appended. */
static void feed_semihosting(struct input *in, struct stream *s, const uint8_t *data, size_t n,
                             bool final)
{
	if (in->blocked == 0) {
		if (bytebuf_append(&s->b, data, n) < 0)
			goto oom;
		return;
	}
	if (bytebuf_append(&in->line, data, n) < 0)
		goto oom;
	if (in->blocked < 0) {
		if (in->line.len < 16 && !final)
			return;
		/* neither magic: unblocked, so that the header's bad magic is what is
		 * reported; too short to say: the start of a block cut short */
		bool magic0 = in->line.len >= 4 && !memcmp(in->line.p, WIRE_MAGIC, 4);
		in->blocked = !magic0 && (in->line.len < 16 ||
		                          !memcmp(in->line.p + 12, WIRE_MAGIC, 4));
		s->blocked = in->blocked;
		if (!in->blocked) {
			if (bytebuf_append(&s->b, in->line.p, in->line.len) < 0)
				goto oom;
			in->line.len = 0;
			return;
		}
	}
	size_t pos = 0;
	for (;;) {
		size_t len;
		const char *why;
		enum wire_status r = wire_block_open(in->line.p + pos, in->line.len - pos,
		                                     WIRE_BLOCK_MAX, &len, &why);
		if (r == WIRE_CORRUPT) {
			snprintf(in->err, sizeof in->err,
			         "corrupt stream at byte %" PRIu64 " (block #%" PRIu64 "): %s",
			         in->file_off + pos, in->nblocks, why);
			in->bad = true;
			return;
		}
		if (r == WIRE_NEED_MORE)
			break;
		if (s->nmap == s->capmap) {
			size_t cap = s->capmap ? 2 * s->capmap : 64;
			uint64_t *m = realloc(s->map, 2 * cap * sizeof *m);
			if (!m)
				goto oom;
			s->map = m;
			s->capmap = cap;
		}
		s->map[2 * s->nmap] = stream_payload_end(s);
		s->map[2 * s->nmap + 1] = in->file_off + pos + WIRE_BLOCK_HEAD;
		s->nmap++;
		if (bytebuf_append(&s->b, in->line.p + pos + WIRE_BLOCK_HEAD, len) < 0)
			goto oom;
		pos += WIRE_BLOCK_HEAD + len;
		in->nblocks++;
	}
	memmove(in->line.p, in->line.p + pos, in->line.len - pos);
	in->line.len -= pos;
	in->file_off += pos;
	if (final && in->line.len) {
		snprintf(in->err, sizeof in->err,
		         "truncated: the stream ends inside block #%" PRIu64 " (byte %" PRIu64
		         ", %zu bytes of it)",
		         in->nblocks, in->file_off, in->line.len);
		in->bad = true;
	}
	return;
oom:
	snprintf(in->err, sizeof in->err, "out of memory");
	in->bad = true;
}

/* Feeds raw input bytes: appended as they are (semihosting) or parsed as
 * console lines (UART). final: no more input follows. */
static void input_feed(struct input *in, struct stream *s, const uint8_t *data, size_t n,
                       bool final)
{
	if (in->bad)
		return;
	if (!in->uart) {
		feed_semihosting(in, s, data, n, final);
		return;
	}
	size_t start = 0;
	for (size_t i = 0; i <= n && !in->bad; i++) {
		bool eol = i < n && data[i] == '\n';
		if (!eol && !(i == n && final && (in->line.len || i > start)))
			continue;
		if (bytebuf_append(&in->line, data + start, i - start) < 0) {
			snprintf(in->err, sizeof in->err, "out of memory");
			in->bad = true;
			return;
		}
		size_t text;
		char err[200];
		enum uart_line_kind k =
		    uart_frames_line(&in->frames, (const char *)in->line.p, in->line.len, &s->b,
		                     &text, err, sizeof err);
		if (k == UART_LINE_ERROR) {
			snprintf(in->err, sizeof in->err, "%s", err);
			in->bad = true;
		}
		if (in->o->console && text)
			fprintf(stderr, "%.*s\n", (int)text, (const char *)in->line.p);
		in->line.len = 0;
		start = i + 1;
	}
	if (!in->bad && start < n && bytebuf_append(&in->line, data + start, n - start) < 0) {
		snprintf(in->err, sizeof in->err, "out of memory");
		in->bad = true;
	}
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: heaptrace decode [--channel semihosting|uart] [--elf KERNEL.elf] [--follow]\n"
	    "                        [--idle SECONDS] [--console] [--quiet] [-o OUT] RAW\n\n"
	    "Decodes the kernel's raw heap trace into the JSON trace (docs/trace-format.md).\n"
	    "RAW is the file the semihosting channel wrote, or a console log holding the UART\n"
	    "channel's @@HT frames ('-' reads stdin). The channel is detected if not given.\n"
	    "  --elf FILE     resolve callers and stack frames against this kernel image (addr2line)\n"
	    "  --follow       decode RAW while it is still being written; append to OUT,\n"
	    "                 flushed whenever decoding catches up with RAW; stop at the end\n"
	    "                 event, or after --idle seconds without new input (default 10)\n"
	    "  --console      copy the console text of a UART log to stderr\n"
	    "  -o OUT         output file (default: stdout); written to OUT.tmp, then renamed\n"
	    "Exit status: 0 complete trace, 2 bad usage or a truncated, corrupt or\n"
	    "unterminated input (the decoded prefix is still written), 3 I/O or addr2line "
	    "failure.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->out = "-";
	o->idle = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(HT_EXIT_OK);
		} else if (!strcmp(a, "--channel") && has_val) {
			o->channel = argv[++i];
			if (strcmp(o->channel, "semihosting") && strcmp(o->channel, "uart")) {
				fprintf(stderr,
				        PROG ": --channel: '%s' is not semihosting or uart\n",
				        o->channel);
				return -1;
			}
		} else if (!strcmp(a, "--elf") && has_val) {
			o->elf = argv[++i];
		} else if (!strcmp(a, "-o") && has_val) {
			o->out = argv[++i];
		} else if (!strcmp(a, "--idle") && has_val) {
			o->idle = atof(argv[++i]);
		} else if (!strcmp(a, "--follow")) {
			o->follow = true;
		} else if (!strcmp(a, "--console")) {
			o->console = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, PROG ": unknown option or missing value: %s\n", a);
			return -1;
		} else if (!o->raw) {
			o->raw = a;
		} else {
			fprintf(stderr, PROG ": more than one input: %s\n", a);
			return -1;
		}
	}
	if (!o->raw) {
		fprintf(stderr, PROG ": no input file (try --help)\n");
		return -1;
	}
	return 0;
}

/* Whether the first n (<= 16) bytes are a semihosting stream's: the magic,
 * or a block head (binary: a NUL in it) before it. A console log is text. */
static bool looks_semihosting(const uint8_t *p, size_t n)
{
	return (n >= 4 && !memcmp(p, WIRE_MAGIC, 4)) || (n >= 16 && !memcmp(p + 12, WIRE_MAGIC, 4)) ||
	       (n && memchr(p, 0, n < 16 ? n : 16) != NULL); /* p is NULL for an empty input */
}

/* Reports how the stream ended; returns the exit status it deserves. */
static int report_end(const struct options *o, const struct stream *s, const struct input *in,
                      int pump)
{
	uint64_t off = s->base_off + s->pos;
	if (pump == WIRE_CORRUPT) {
		fprintf(stderr,
		        PROG ": %s: corrupt stream at byte %" PRIu64 " (event #%" PRIu64 "): %s\n",
		        o->raw, file_offset(s, s->bad_off), s->nevents, s->why ? s->why : "?");
		return HT_EXIT_BAD_INPUT;
	}
	if (in->bad) {
		fprintf(stderr, PROG ": %s: %s%s (decoded %" PRIu64 " events before it)\n", o->raw,
		        in->uart ? "UART frames: " : "", in->err, s->nevents);
		return HT_EXIT_BAD_INPUT;
	}
	if (!s->have_header) {
		fprintf(stderr, PROG ": %s: truncated: no complete stream header (%zu bytes%s)\n",
		        o->raw, s->b.len, in->uart ? " of frame payload; no @@HT frames?" : "");
		return HT_EXIT_BAD_INPUT;
	}
	if (pump == WIRE_NEED_MORE) {
		fprintf(stderr,
		        PROG ": %s: truncated: the stream ends inside event #%" PRIu64
		             " (byte %" PRIu64 ")\n",
		        o->raw, s->nevents, file_offset(s, off));
		return HT_EXIT_BAD_INPUT;
	}
	if (!s->ended) {
		fprintf(stderr,
		        PROG ": %s: truncated: no end event after %" PRIu64
		             " events (the run was cut short)\n",
		        o->raw, s->nevents);
		return HT_EXIT_BAD_INPUT;
	}
	if (s->pos < s->b.len || s->trailing) {
		fprintf(stderr,
		        PROG ": %s: corrupt stream at byte %" PRIu64 ": %" PRIu64 " bytes after the end "
		             "event (damage, or a second trace appended: decode each on its own)\n",
		        o->raw, file_offset_of(s, off, true), s->b.len - s->pos + s->trailing);
		return HT_EXIT_BAD_INPUT;
	}
	return HT_EXIT_OK;
}

static void summary(const struct options *o, const struct writer *w, const struct stream *s,
                    uint64_t wire_bytes)
{
	if (o->quiet)
		return;
	fprintf(stderr, "decoded %" PRIu64 " events:", w->events);
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++)
		if (w->counts[k])
			fprintf(stderr, " %s %" PRIu64, heap_event_kind_name(k), w->counts[k]);
	char stacks[48] = "";
	if (s->info.stack_depth)
		snprintf(stacks, sizeof stacks, "%" PRIu64 " stacks (depth %" PRIu32 "); ",
		         w->stacks_written, s->info.stack_depth);
	fprintf(stderr,
	        "\nwire: %" PRIu64 " bytes, %.2f bytes/event; dropped %" PRIu64 "; %s%" PRIu64
	        " symbols; %s%s\n",
	        wire_bytes, w->events ? (double)wire_bytes / (double)w->events : 0.0, w->dropped,
	        stacks, w->syms_written, s->ended ? "complete" : "INCOMPLETE",
	        w->panic ? " (ended in a PANIC)" : "");
}

/* Opens the output (trace/out_file.h): stdout for "-"; with --follow, OUT
 * itself (read while it grows); else a temporary renamed over OUT by
 * close_out. NULL, with a message, if it cannot be opened. */
static out_file *open_out(const struct options *o)
{
	char err[512];
	out_file *out = out_file_open(o->out, o->follow ? OUT_FILE_IN_PLACE : 0, err, sizeof err);
	if (!out)
		fprintf(stderr, PROG ": %s\n", err);
	return out;
}

/* Finishes the output; -1, with a message, if any of it was not written. */
static int close_out(out_file *out)
{
	char err[512];
	if (out_file_close(out, err, sizeof err))
		return 0;
	fprintf(stderr, PROG ": %s\n", err);
	return -1;
}

/* One pass over the whole input f, in chunks: the first pass (detect) picks
 * the channel from the first bytes unless --channel said it; each chunk is
 * fed to the stream and pumped with fn, and what is decoded is dropped, so
 * memory stays bounded whatever the input's size. Bytes after the end event
 * are still read (a damaged block there is reported) but only counted
 * (s->trailing); stop_at_end: stop reading at the end event instead. spool:
 * a file each chunk is copied to (stdin, for the second pass), or NULL.
 * Returns the last pump's status (WIRE_*), or -1 (message printed) when out
 * of memory or the input or spool failed. */
static int decode_pass(const struct options *o, FILE *f, struct input *in, struct stream *s,
                       event_fn fn, void *ctx, bool detect, bool stop_at_end, FILE *spool)
{
	static uint8_t chunk[65536];
	int pump = WIRE_NEED_MORE;
	for (bool first = true;; first = false) {
		size_t n = fread(chunk, 1, sizeof chunk, f);
		bool final = n < sizeof chunk; /* fread is short only at the end or on an error */
		if (spool && n && fwrite(chunk, 1, n, spool) != n) {
			fprintf(stderr, PROG ": %s: cannot keep a copy of stdin for the second pass: %s\n",
			        o->raw, strerror(errno));
			return -1;
		}
		if (first && detect) {
			in->uart = o->channel ? !strcmp(o->channel, "uart") : !looks_semihosting(chunk, n);
			s->semihosting = !in->uart;
		}
		input_feed(in, s, chunk, n, final);
		if (!s->ended) {
			pump = stream_pump(s, fn, ctx);
			if (pump < 0) {
				if (fn == collect_caller)
					fprintf(stderr, PROG ": out of memory\n");
				return -1;
			}
		}
		if (s->ended) { /* what follows the end is only counted */
			s->trailing += s->b.len - s->pos;
			s->b.len = s->pos;
		}
		stream_compact(s);
		if (final || pump == WIRE_CORRUPT || in->bad || (s->ended && stop_at_end))
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, PROG ": %s: read error\n", o->raw);
		return -1;
	}
	return pump;
}

/* Resolves every address pass 1 collected, in batches (symbolize_batch).
 * Returns 0, or -1 with a message printed. */
static int resolve_symbols(const struct options *o, struct symtab *t)
{
	size_t k = t->n;
	uint64_t *addrs = malloc(k * sizeof *addrs);
	struct symbol_info *infos = malloc(k * sizeof *infos);
	char err[512];
	for (size_t i = 0; addrs && infos && i < k; i++)
		addrs[i] = t->e[i].addr;
	int r = addrs && infos ? symbolize_batch(o->elf, addrs, k, infos, err, sizeof err) : -1;
	for (size_t i = 0; r == 0 && i < k; i++)
		t->e[i].info = infos[i]; /* the entry owns the answer now */
	if (r < 0)
		fprintf(stderr, PROG ": symbols: %s\n", addrs && infos ? err : "out of memory");
	free(addrs);
	free(infos);
	return r;
}

/* Decodes a whole file (or stdin) in two passes over it, in bounded memory:
 * pass 1 validates the stream and collects every code address, which are
 * then resolved in batches; pass 2 decodes again and writes the JSON trace
 * (the decoded prefix if the input is bad). An input that cannot be read
 * twice (stdin, a pipe) is copied to a temporary file during pass 1. */
static int decode_whole(const struct options *o)
{
	struct stream s = {0}, s2 = {0}; /* pass 1's, pass 2's */
	struct input in = {.o = o, .blocked = -1}, in2 = {.blocked = -1};
	struct options quiet_console = *o; /* pass 2 does not echo the console again */
	quiet_console.console = false;
	in2.o = &quiet_console;
	struct writer w = {.o = o, .info = &s.info};
	int rc = HT_EXIT_BAD_INPUT;
	out_file *outf = NULL;
	FILE *f = strcmp(o->raw, "-") ? fopen(o->raw, "rb") : stdin, *spool = NULL;
	struct stat st;
	if (f && (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) && !(spool = tmpfile())) {
		fprintf(stderr, PROG ": %s: a temporary copy of it: %s\n", o->raw, strerror(errno));
		goto out;
	}
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", o->raw, strerror(errno));
		goto out;
	}
	uart_frames_init(&in.frames);
	uart_frames_init(&in2.frames);

	/* pass 1: validate, collect the code addresses, resolve them in batches */
	int pump = decode_pass(o, f, &in, &s, collect_caller, &w.syms, true, false, spool);
	if (pump < 0)
		goto out;
	w.channel = in.uart ? "uart" : "semihosting";
	if (o->elf && w.syms.n && resolve_symbols(o, &w.syms) < 0) {
		rc = HT_EXIT_IO;
		goto out;
	}
	int status = report_end(o, &s, &in, pump);

	/* pass 2: write the JSON trace (the decoded prefix if the input is bad) */
	outf = open_out(o);
	if (!outf) {
		rc = HT_EXIT_IO;
		goto out;
	}
	w.f = out_file_stream(outf);
	w.info = &s2.info;
	if (s.have_header) {
		if (spool) { /* read again from the copy */
			if (f != stdin)
				fclose(f);
			f = spool;
		}
		in2.uart = in.uart;
		s2.semihosting = s.semihosting;
		if (fseek(f, 0, SEEK_SET) != 0 ||
		    decode_pass(o, f, &in2, &s2, write_event, &w, false, true, NULL) < 0 ||
		    s2.nevents != s.nevents) {
			if (!w.failed)
				fprintf(stderr, PROG ": %s: the input changed while it was read (pass 2 "
				                "disagrees with pass 1)\n", o->raw);
			rc = HT_EXIT_IO;
			goto out;
		}
	}
	if (!w.header_done)
		write_header(&w, NULL);
	int closed = close_out(outf);
	outf = NULL;
	if (closed < 0) {
		rc = HT_EXIT_IO;
		goto out;
	}
	summary(o, &w, &s2, stream_payload_end(&s));
	rc = status;
out:
	if (outf)
		out_file_discard(outf);
	if (f && f != stdin)
		fclose(f);
	if (spool && spool != f)
		fclose(spool);
	stream_free(&s2);
	stream_free(&s);
	free(in.line.p);
	free(in2.line.p);
	symtab_free(&w.syms);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int decode_follow(const struct options *o)
{
	struct stream s = {0};
	struct input in = {.o = o, .blocked = -1};
	struct writer w = {.o = o, .info = &s.info};
	int rc = HT_EXIT_BAD_INPUT, fd = -1, pump = WIRE_NEED_MORE;
	uint64_t wire_bytes = 0;
	double last = now_s();
	bool decided = o->channel != NULL, eof = false;
	uint8_t head[16];
	size_t headn = 0;
	out_file *outf = NULL;

	in.uart = o->channel && !strcmp(o->channel, "uart");
	s.semihosting = !in.uart;
	uart_frames_init(&in.frames);
	while ((fd = strcmp(o->raw, "-") ? open(o->raw, O_RDONLY) : 0) < 0) {
		if (errno != ENOENT || now_s() - last > o->idle) {
			fprintf(stderr, PROG ": %s: %s\n", o->raw, strerror(errno));
			return HT_EXIT_BAD_INPUT;
		}
		usleep(50000);
	}
	struct stat stt;
	bool pipe_like = fstat(fd, &stt) == 0 &&
	                 (S_ISFIFO(stt.st_mode) || S_ISSOCK(stt.st_mode) || S_ISCHR(stt.st_mode));
	outf = open_out(o);
	if (!outf) {
		close(fd);
		return HT_EXIT_IO;
	}
	w.f = out_file_stream(outf);
	while (!s.ended && !in.bad && pump != WIRE_CORRUPT && pump >= 0) {
		uint8_t chunk[65536];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, PROG ": %s: %s\n", o->raw, strerror(errno));
			rc = HT_EXIT_IO;
			goto out;
		}
		if (n == 0) {
			fflush(w.f); /* caught up: what is decoded so far is readable */
			if (pipe_like || now_s() - last > o->idle) {
				eof = true;
				break;
			}
			usleep(20000);
			continue;
		}
		last = now_s();
		size_t off = 0;
		if (!decided) { /* the first bytes say which channel this is */
			while (headn < sizeof head && off < (size_t)n)
				head[headn++] = chunk[off++];
			if (headn < sizeof head)
				continue;
			in.uart = !looks_semihosting(head, headn);
			s.semihosting = !in.uart;
			decided = true;
			input_feed(&in, &s, head, headn, false);
		}
		w.channel = in.uart ? "uart" : "semihosting";
		size_t before = s.b.len;
		input_feed(&in, &s, chunk + off, (size_t)n - off, false);
		wire_bytes += s.b.len - before;
		pump = stream_pump(&s, write_event, &w);
		stream_compact(&s);
	}
	if (eof && in.uart && !in.bad) { /* a last frame line without its newline */
		size_t before = s.b.len;
		input_feed(&in, &s, NULL, 0, true);
		wire_bytes += s.b.len - before;
		pump = stream_pump(&s, write_event, &w);
	}
	if (!decided && headn) {
		in.uart = o->channel ? in.uart : !looks_semihosting(head, headn);
		s.semihosting = !in.uart;
		w.channel = in.uart ? "uart" : "semihosting";
		input_feed(&in, &s, head, headn, true);
		pump = stream_pump(&s, write_event, &w);
	}
	if (w.failed || pump < 0) {
		rc = HT_EXIT_IO;
		goto out;
	}
	if (!w.channel)
		w.channel = in.uart ? "uart" : "semihosting";
	if (!w.header_done)
		write_header(&w, NULL);
	rc = report_end(o, &s, &in, pump);
	summary(o, &w, &s, wire_bytes);
out:
	if (outf && close_out(outf) < 0)
		rc = HT_EXIT_IO;
	if (fd > 0)
		close(fd);
	stream_free(&s);
	free(in.line.p);
	symtab_free(&w.syms);
	return rc;
}

static int cmd_decode(int argc, char **argv)
{
	struct options o;
	if (parse_args(argc, argv, &o) < 0)
		return HT_EXIT_BAD_INPUT;
	return o.follow ? decode_follow(&o) : decode_whole(&o);
}

HEAPTRACE_COMMAND(decode, "[--channel C] [--elf ELF] [--follow] [-o OUT] RAW",
                  "decode the kernel's raw trace (either channel) into the JSON trace", cmd_decode);
