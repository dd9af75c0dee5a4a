/* heaptrack_workload.c - the million workload's allocation pattern on the host's
 * malloc, for heaptrack to record: PAIRS free/malloc pairs over a ring of 64 live
 * blocks (sizes 16 + (i * 7) % 200, as samples/million.c). trace/test/bench_stats.sh
 * records it and times heaptrack_print on it beside `heaptrace stats`.
 *
 *   heaptrack_workload PAIRS      exit 0, or 2 on bad usage / out of memory */
#include <stdio.h>
#include <stdlib.h>

#define RING 64

int main(int argc, char **argv)
{
	char *end;
	long pairs = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || *end || pairs < 0) {
		fprintf(stderr, "usage: heaptrack_workload PAIRS\n");
		return 2;
	}
	void *ring[RING] = {0};
	for (long i = 0; i < pairs; i++) {
		int s = (int)(i % RING);
		free(ring[s]);
		ring[s] = malloc(16 + (size_t)(i * 7) % 200);
		if (!ring[s]) {
			fprintf(stderr, "heaptrack_workload: out of memory\n");
			return 2;
		}
		*(volatile char *)ring[s] = (char)i; /* keep the allocation */
	}
	for (int s = 0; s < RING; s++)
		free(ring[s]);
	return 0;
}
