/* gen_trace.c - writes a JSON trace made by the real allocator core (tests, benchmark).
 *
 *   gen_trace [--workload churn|frag] [--ops N] [--seed S] [--heap BYTES]
 *             [--leak K] [--panic] [--no-end] OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracegen.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: gen_trace [--workload churn|frag] [--ops N] [--seed S] [--heap BYTES]\n"
	        "                 [--leak K] [--panic] [--no-end] OUT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *workload = "churn", *out_path = NULL;
	unsigned long long ops = 10000, heap = 1 << 20;
	unsigned long seed = 1, leak = 0;
	bool panic = false, no_end = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "--workload") && more)
			workload = argv[++i];
		else if (!strcmp(a, "--ops") && more)
			ops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--seed") && more)
			seed = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--heap") && more)
			heap = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--leak") && more)
			leak = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--panic"))
			panic = true;
		else if (!strcmp(a, "--no-end"))
			no_end = true;
		else if (a[0] != '-' && !out_path)
			out_path = a;
		else
			return usage();
	}
	if (!out_path)
		return usage();
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		return 3;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	struct tracegen g;
	if (!tracegen_open(&g, heap, f, false, workload)) {
		fprintf(stderr, "gen_trace: cannot set up a heap of %llu bytes\n", heap);
		return 2;
	}
	if (!strcmp(workload, "frag"))
		tracegen_frag(&g);
	else
		tracegen_churn(&g, ops, (uint32_t)seed, (unsigned)leak);
	bool ok = no_end ? (free(g.mem), g.ok) : tracegen_close(&g, panic);
	if (fclose(f) != 0 || !ok || rename(tmp, out_path) != 0) {
		fprintf(stderr, "gen_trace: writing %s failed\n", out_path);
		unlink(tmp);
		return 3;
	}
	return 0;
}
