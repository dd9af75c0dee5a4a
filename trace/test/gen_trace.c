/* gen_trace.c - writes a JSON trace made by the real allocator core (tests, benchmark).
 *
 *   gen_trace [--workload churn|frag] [--ops N] [--events N] [--seed S] [--heap BYTES]
 *             [--live N] [--big N] [--leak K] [--time-scale K] [--instret] [--panic]
 *             [--no-end] (-o OUT | OUT)
 *   --events N      churn stops its operations once N events are out (instead of
 *                   after --ops; markers then fall at quarters of N operations)
 *   --live N        churn keeps at most N blocks live at once (more: a higher peak)
 *   --big N         churn ends with N requests larger than the heap (alloc failures)
 *   --leak K        K blocks allocated at the end and never freed
 *   --time-scale K  every clock step K times longer (changes only timestamps)
 *   --instret       events carry retired-instruction counts
 * The same options give the same events. Exit: 0 ok, 2 usage, 3 write failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracegen.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: gen_trace [--workload churn|frag] [--ops N] [--events N] [--seed S]\n"
	        "                 [--heap BYTES] [--live N] [--big N] [--leak K] [--time-scale K]\n"
	        "                 [--instret] [--panic] [--no-end] (-o OUT | OUT)\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (end == s || *end || errno || s[0] == '-')
		return false;
	*v = x;
	return true;
}

int main(int argc, char **argv)
{
	const char *workload = "churn", *out_path = NULL;
	uint64_t ops = 10000, heap = 1 << 20, seed = 1, leak = 0, live = 0, big = 0, time_scale = 1,
	         events = 0;
	bool panic = false, no_end = false, instret = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t *num = !strcmp(a, "--ops")          ? &ops
		                : !strcmp(a, "--events")     ? &events
		                : !strcmp(a, "--seed")       ? &seed
		                : !strcmp(a, "--heap")       ? &heap
		                : !strcmp(a, "--leak")       ? &leak
		                : !strcmp(a, "--live")       ? &live
		                : !strcmp(a, "--big")        ? &big
		                : !strcmp(a, "--time-scale") ? &time_scale
		                                             : NULL;
		if (num) {
			if (i + 1 >= argc || !parse_u64(argv[i + 1], num)) {
				fprintf(stderr, "gen_trace: %s: needs a number\n", a);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--workload") && i + 1 < argc)
			workload = argv[++i];
		else if (!strcmp(a, "-o") && i + 1 < argc && !out_path)
			out_path = argv[++i];
		else if (!strcmp(a, "--panic"))
			panic = true;
		else if (!strcmp(a, "--no-end"))
			no_end = true;
		else if (!strcmp(a, "--instret"))
			instret = true;
		else if (a[0] != '-' && !out_path)
			out_path = a;
		else
			return usage();
	}
	if (!out_path || (strcmp(workload, "churn") && strcmp(workload, "frag")))
		return usage();
	if (seed > UINT32_MAX || leak > UINT32_MAX || live > UINT32_MAX || big > UINT32_MAX) {
		fprintf(stderr, "gen_trace: --seed, --leak, --live, --big: at most %u\n",
		        (unsigned)UINT32_MAX);
		return 2;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "gen_trace: %s: %s\n", tmp, strerror(errno));
		return 3;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	struct tracegen g;
	struct tracegen_opts o = {.heap_size = heap,
	                          .out = f,
	                          .workload = workload,
	                          .time_scale = time_scale,
	                          .instret = instret};
	if (!tracegen_open(&g, &o)) {
		fprintf(stderr, "gen_trace: cannot set up a heap of %llu bytes\n",
		        (unsigned long long)heap);
		free(g.mem);
		fclose(f);
		unlink(tmp);
		return 2;
	}
	if (!strcmp(workload, "frag"))
		tracegen_frag(&g);
	else {
		/* every operation emits at least one event: N operations make N events */
		struct tracegen_churn c = {.ops = events ? events : ops,
		                           .seed = (uint32_t)seed,
		                           .live_max = (unsigned)live,
		                           .big = (unsigned)big,
		                           .leak = (unsigned)leak};
		struct tracegen_churn_run r;
		if (tracegen_churn_start(&g, &r, &c)) {
			while ((!events || g.emitted < events) && tracegen_churn_step(&g, &r))
				;
			tracegen_churn_finish(&g, &r);
		}
	}
	bool ok = no_end ? (free(g.mem), g.ok) : tracegen_close(&g, panic);
	if (fclose(f) != 0 || !ok || rename(tmp, out_path) != 0) {
		fprintf(stderr, "gen_trace: writing %s failed\n", out_path);
		unlink(tmp);
		return 3;
	}
	return 0;
}
