/* diffgen.c - writes a deterministic JSON heap trace by running the real allocator core
 * (kernel/heap.c) on the host: the test input for `heaptrace diff` and `export`.
 *
 * usage: diffgen [--seed S] [--ops N] [--heap BYTES] [--live N] [--big N] [--leak N]
 *                [--time-scale K] [--instret] [--no-end] [-o OUT]
 *   --live N   at most N allocations live at once (more: a higher peak)
 *   --big N    N allocations larger than the heap at the end (alloc failures)
 *   --leak N   N allocations never freed
 * The same options give the same events; --time-scale changes only timestamps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "trace_reader.h"

#define LIVE_MAX 256 /* allocations kept live at most (--live, default 96) */
#define CALLERS  6   /* distinct fake call sites */

struct gen {
	FILE *out;
	uint64_t seq;
	uint64_t time_scale;
	bool instret; /* events carry retired-instruction counts */
	uint64_t rng;
	uintptr_t host_base; /* the host buffer standing for the heap */
	uint64_t host_len;
	bool sym_written[CALLERS];
};

#define GEN_HEAP_BASE                                                                              \
	0x80400000u /* where the trace says the heap is: fixed, unlike the host buffer */

/* A host address inside the heap as the address the trace shows. */
static uint64_t gen_addr(const struct gen *g, uint64_t a)
{
	return a >= g->host_base && a <= g->host_base + g->host_len
	           ? a - g->host_base + GEN_HEAP_BASE
	           : a;
}

static const uint64_t caller_addr[CALLERS] = {0x80201a3c, 0x80201b40, 0x80201c10,
                                              0x80202000, 0x80202244, 0x80203008};
static const char *const caller_fn[CALLERS] = {"vec_grow",     "strbuf_append", "node_new",
                                               "table_resize", "scratch_get",   "big_buffer"};

static uint64_t rng_next(struct gen *g)
{
	/* xorshift64*: deterministic for a seed on every host */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static void sink(void *ctx, struct heap_event *ev)
{
	struct gen *g = ctx;
	for (int i = 0; i < CALLERS; i++)
		if (ev->caller == caller_addr[i] && !g->sym_written[i]) {
			char src[32];
			snprintf(src, sizeof src, "samples/gen.c:%d", 10 + 7 * i);
			trace_write_symbol(g->out, ev->caller, caller_fn[i], src);
			g->sym_written[i] = true;
		}
	ev->addr = gen_addr(g, ev->addr);
	ev->addr2 = gen_addr(g, ev->addr2);
	ev->seq = g->seq++;
	ev->time = ev->seq * g->time_scale + 3;
	ev->instret = g->instret ? ev->seq * 1000 + 17 : 0;
	trace_write_event(g->out, ev, g->instret);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (end == s || *end || errno)
		return false;
	*v = x;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, live_max = 96, ops = 2000, heap_bytes = 65536, big = 0, leak = 0,
	         time_scale = 10;
	bool end = true, instret = false;
	const char *out_path = NULL;
	for (int i = 1; i < argc; i++) {
		uint64_t *dst = !strcmp(argv[i], "--seed")         ? &seed
		                : !strcmp(argv[i], "--ops")        ? &ops
		                : !strcmp(argv[i], "--heap")       ? &heap_bytes
		                : !strcmp(argv[i], "--big")        ? &big
		                : !strcmp(argv[i], "--leak")       ? &leak
		                : !strcmp(argv[i], "--live")       ? &live_max
		                : !strcmp(argv[i], "--time-scale") ? &time_scale
		                                                   : NULL;
		if (dst) {
			if (i + 1 >= argc || !parse_u64(argv[i + 1], dst)) {
				fprintf(stderr, "diffgen: %s: needs a number\n", argv[i]);
				return 2;
			}
			i++;
		} else if (!strcmp(argv[i], "--no-end")) {
			end = false;
		} else if (!strcmp(argv[i], "--instret")) {
			instret = true;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out_path = argv[++i];
		} else {
			fprintf(stderr,
			        "usage: diffgen [--seed S] [--ops N] [--heap BYTES] [--live N] "
			        "[--big N] [--leak N] [--time-scale K] [--instret] [--no-end] [-o "
			        "OUT]\n");
			return 2;
		}
	}
	if (live_max > LIVE_MAX) {
		fprintf(stderr, "diffgen: --live: at most %d\n", LIVE_MAX);
		return 2;
	}
	struct gen g = {.out = stdout,
	                .time_scale = time_scale,
	                .instret = instret,
	                .rng = seed * 2654435761u + 1};
	if (out_path && !(g.out = fopen(out_path, "w"))) {
		fprintf(stderr, "diffgen: %s: %s\n", out_path, strerror(errno));
		return 3;
	}
	/* the kernel heap base is 4096-aligned: so is this one */
	void *mem = aligned_alloc(4096, (heap_bytes + 4095) / 4096 * 4096);
	if (!mem)
		return 3;
	g.host_base = (uintptr_t)mem;
	g.host_len = heap_bytes;
	struct trace_header h = {.version = 1,
	                         .heap_base = GEN_HEAP_BASE,
	                         .heap_size = heap_bytes,
	                         .min_block = HEAP_MIN_BLOCK,
	                         .min_align = HEAP_MIN_ALIGN,
	                         .time_hz = 10000000,
	                         .has_instret = instret};
	snprintf(h.channel, sizeof h.channel, "semihosting");
	snprintf(h.workload, sizeof h.workload, "gen-%" PRIu64, seed);
	snprintf(h.elf, sizeof h.elf, "diffgen");
	trace_write_header(g.out, &h);

	struct heap heap;
	if (!heap_init(&heap, mem, heap_bytes, sink, &g)) {
		fprintf(stderr, "diffgen: heap of %" PRIu64 " bytes too small\n", heap_bytes);
		return 2;
	}
	struct live_alloc {
		void *p;
		size_t size, align;
	} live[LIVE_MAX];
	size_t nlive = 0;
	heap_mark(&heap, "churn");
	for (uint64_t op = 0; op < ops; op++) {
		uint64_t r = rng_next(&g);
		if (op == ops / 2)
			heap_mark(&heap, "second-half");
		if (nlive < live_max && (nlive == 0 || r % 100 < 55)) {
			size_t size = 1 + (size_t)(rng_next(&g) % 700);
			size_t align = (size_t)16 << (rng_next(&g) % 4);
			int c = (int)(rng_next(&g) % (CALLERS - 1));
			void *p = heap_alloc(&heap, size, align, caller_addr[c]);
			if (p)
				live[nlive++] = (struct live_alloc){p, size, align};
		} else {
			size_t k = (size_t)(rng_next(&g) % nlive);
			heap_free(&heap, live[k].p, live[k].size, live[k].align, 0x80204000);
			live[k] = live[--nlive];
		}
	}
	heap_mark(&heap, "big");
	for (uint64_t i = 0; i < big; i++) /* more than the heap holds: fails */
		heap_alloc(&heap, heap_bytes, 16, caller_addr[CALLERS - 1]);
	heap_mark(&heap, "teardown");
	for (size_t k = leak < nlive ? leak : nlive; k < nlive; k++)
		heap_free(&heap, live[k].p, live[k].size, live[k].align, 0x80204000);
	if (end) {
		struct heap_event ev = {.kind = HEAP_EV_END, .size = g.seq + 1, .block = heap.used};
		sink(&g, &ev);
	}
	free(mem);
	if (fflush(g.out) || ferror(g.out) || (out_path && fclose(g.out))) {
		fprintf(stderr, "diffgen: write failed\n");
		return 3;
	}
	return 0;
}
