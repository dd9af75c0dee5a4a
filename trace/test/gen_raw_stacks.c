/* gen_raw_stacks.c - writes a raw semihosting capture with call stacks, as the
 * kernel's sink would: the real allocator core's events (trace/test/tracegen.h),
 * each caller replaced by a call stack made of the code addresses given, the
 * stacks interned in a small direct-mapped table of wire ids (so that ids are
 * evicted and redefined, as in the kernel's), in checked blocks (version 3).
 *
 *   gen_raw_stacks [--ops N] [--seed S] [--depth D] [--slots K] [--undefined]
 *                  [--truth FILE] -o RAW ADDR...
 *   --depth D     frames per stack at most (1..32); 0: callers as return addresses,
 *                 no stacks (today's stream)
 *   --slots K     wire stack ids 1..K (1..1024; default 4): a stack whose slot
 *                 holds another is sent again
 *   --undefined   the first STACK record is left out (a stream decode must refuse)
 *   --truth FILE  one line per event with a caller: "SEQ FRAME0 FRAME1 ..." (hex),
 *                 the frames the event was made from
 * Each event's stack: its site s (0..6) and variant v = seq % 3 give depth
 * 1 + (s + v) % D and frames[j] = ADDR[(s + j * (v + 1)) % count], so one site
 * (frames[0]) is reached by several paths. Exit: 0 ok, 2 usage, 3 write failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_wire.h"
#include "tracegen.h"

#define BLOCK_PAYLOAD 65536 /* payload bytes per block, as the kernel's buffer */

struct gen {
	FILE *out, *truth;
	uint64_t *addrs; /* the code addresses frames are made of */
	unsigned naddrs;
	unsigned depth, slots;
	bool undefined; /* leave the first STACK record out */
	bool stacks_sent;
	struct wire_state st;
	struct wire_stack *table; /* [slots]: the stack each wire id holds; depth 0: none */
	uint8_t buf[BLOCK_PAYLOAD + WIRE_STACK_MAX + WIRE_EVENT_MAX];
	size_t len;
	bool ok;
};

static void flush_block(struct gen *g)
{
	uint8_t head[WIRE_BLOCK_HEAD];
	size_t n = g->len < BLOCK_PAYLOAD ? g->len : BLOCK_PAYLOAD;
	if (!n)
		return;
	wire_block_head(head, g->buf, n);
	g->ok &= fwrite(head, 1, sizeof head, g->out) == sizeof head;
	g->ok &= fwrite(g->buf, 1, n, g->out) == n;
	memmove(g->buf, g->buf + n, g->len - n);
	g->len -= n;
}

/* The stack an event of site `site` with sequence number seq is made from. */
static void make_stack(const struct gen *g, unsigned site, uint64_t seq, struct wire_stack *s)
{
	unsigned v = (unsigned)(seq % 3);
	s->depth = 1 + (site + v) % g->depth;
	for (unsigned j = 0; j < s->depth; j++)
		s->frames[j] = g->addrs[(site + j * (v + 1)) % g->naddrs];
}

/* The wire id of stack s: its slot's, sending a STACK record when the slot
 * holds another stack (or none). */
static uint32_t intern(struct gen *g, struct wire_stack *s)
{
	uint64_t h = 0;
	for (unsigned j = 0; j < s->depth; j++)
		h = (h ^ s->frames[j]) * 0x9e3779b97f4a7c15ull;
	unsigned slot = (unsigned)(h >> 32) % g->slots;
	s->id = slot + 1;
	struct wire_stack *t = &g->table[slot];
	if (t->depth != s->depth || memcmp(t->frames, s->frames, s->depth * sizeof *s->frames)) {
		*t = *s;
		if (g->undefined && !g->stacks_sent)
			g->stacks_sent = true; /* this one is never sent */
		else
			g->len += wire_encode_stack(&g->st, s, g->buf + g->len);
	}
	return s->id;
}

static void on_event(void *ctx, const struct heap_event *ev)
{
	struct gen *g = ctx;
	struct heap_event e = *ev;
	if (heap_event_has_caller(e.kind) && e.caller) {
		unsigned site = 0;
		while (site < TRACEGEN_SITES - 1 && tracegen_site(site) != e.caller)
			site++;
		struct wire_stack s;
		if (g->depth) {
			make_stack(g, site, e.seq, &s);
			e.caller = intern(g, &s);
		} else {
			s.depth = 1;
			s.frames[0] = e.caller = g->addrs[site % g->naddrs];
		}
		if (g->truth) {
			fprintf(g->truth, "%" PRIu64, e.seq);
			for (unsigned j = 0; j < s.depth; j++)
				fprintf(g->truth, " 0x%" PRIx64, s.frames[j]);
			fputc('\n', g->truth);
		}
	}
	g->len += wire_encode(&g->st, &e, g->buf + g->len);
	if (g->len >= BLOCK_PAYLOAD)
		flush_block(g);
}

static int usage(void)
{
	fprintf(stderr, "usage: gen_raw_stacks [--ops N] [--seed S] [--depth D] [--slots K] "
	                "[--undefined] [--truth FILE] -o RAW ADDR...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct gen g;
	static struct wire_stack table[WIRE_STACK_IDS];
	unsigned long long ops = 1000, seed = 1, depth = 8, slots = 4;
	const char *out = NULL, *truth = NULL;
	uint64_t addrs[256];
	unsigned naddrs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long long *num = !strcmp(a, "--ops")     ? &ops
		                          : !strcmp(a, "--seed")  ? &seed
		                          : !strcmp(a, "--depth") ? &depth
		                          : !strcmp(a, "--slots") ? &slots
		                                                  : NULL;
		if (num && i + 1 < argc)
			*num = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(a, "--truth") && i + 1 < argc)
			truth = argv[++i];
		else if (!strcmp(a, "--undefined"))
			g.undefined = true;
		else if (a[0] != '-' && naddrs < 256)
			addrs[naddrs++] = strtoull(a, NULL, 0);
		else
			return usage();
	}
	if (!out || !naddrs || depth > WIRE_STACK_DEPTH_MAX || slots < 1 ||
	    slots > WIRE_STACK_IDS || seed > UINT32_MAX)
		return usage();
	g.out = fopen(out, "wb");
	g.truth = truth ? fopen(truth, "w") : NULL;
	if (!g.out || (truth && !g.truth)) {
		fprintf(stderr, "gen_raw_stacks: %s: %s\n", g.out ? truth : out, strerror(errno));
		return 3;
	}
	g.addrs = addrs;
	g.naddrs = naddrs;
	g.depth = (unsigned)depth;
	g.slots = (unsigned)slots;
	g.table = table;
	g.ok = true;
	wire_state_init(&g.st, false);
	g.len = wire_encode_header(g.buf, 10000000, 0, g.depth, "stacks");

	struct tracegen t;
	struct tracegen_opts o = {.heap_size = 1 << 20, .on_event = on_event, .ctx = &g};
	if (!tracegen_open(&t, &o))
		return 3;
	struct tracegen_churn c = {.ops = ops, .seed = (uint32_t)seed, .big = 2, .leak = 3};
	tracegen_churn(&t, &c);
	bool ok = tracegen_close(&t, false);
	while (g.len)
		flush_block(&g);
	if (!ok || !g.ok || fclose(g.out) != 0 || (g.truth && fclose(g.truth) != 0)) {
		fprintf(stderr, "gen_raw_stacks: writing failed\n");
		return 3;
	}
	return 0;
}
