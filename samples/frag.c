/* frag.c - workload "frag": the fragmentation pathology. Fill the heap with
 * equal blocks, free every other one, then ask for a block four times as big:
 * it fails although half the heap is free, because no hole is large enough. */
#include "console.h"
#include "exit.h"
#include "workload.h"

#define FRAG_BLOCK 8192
#define FRAG_MAX   512

static void *blocks[FRAG_MAX];

int workload_frag(void)
{
	size_t len = kheap()->len;
	size_t n = len / FRAG_BLOCK - 1; /* leaves a tail smaller than 2 blocks */
	if (n > FRAG_MAX)
		n = FRAG_MAX;
	int bad = 0;

	workload_phase("fill");
	for (size_t i = 0; i < n; i++) {
		blocks[i] = kalloc(FRAG_BLOCK, 16);
		if (!blocks[i]) {
			kprintf("frag: block %lu of %lu did not fit\n", (unsigned long)i,
			        (unsigned long)n);
			return EXIT_WORKLOAD_FAILED;
		}
		workload_fill(blocks[i], FRAG_BLOCK, (uint32_t)i);
	}
	workload_phase("holes");
	for (size_t i = 1; i < n; i += 2) {
		bad |= workload_verify(blocks[i], FRAG_BLOCK, (uint32_t)i);
		kdealloc(blocks[i], FRAG_BLOCK, 16);
		blocks[i] = 0;
	}
	workload_phase("big-request");
	size_t free_bytes = len - kheap()->used;
	void *big = kalloc(4 * FRAG_BLOCK, 16);
	if (big) {
		kprintf("frag: the %d-byte request fitted; expected it to fail\n", 4 * FRAG_BLOCK);
		return EXIT_WORKLOAD_FAILED;
	}
	kprintf("frag: %d-byte request failed with %lu bytes free in holes of %d\n", 4 * FRAG_BLOCK,
	        (unsigned long)free_bytes, FRAG_BLOCK);
	workload_phase("release");
	for (size_t i = 0; i < n; i += 2) {
		bad |= workload_verify(blocks[i], FRAG_BLOCK, (uint32_t)i);
		kdealloc(blocks[i], FRAG_BLOCK, 16);
		blocks[i] = 0;
	}
	workload_phase("retry");
	big = kalloc(4 * FRAG_BLOCK, 16);
	if (!big) {
		kprintf("frag: the request failed on an empty heap\n");
		return EXIT_WORKLOAD_FAILED;
	}
	kdealloc(big, 4 * FRAG_BLOCK, 16);
	if (bad)
		kprintf("frag: a block was overwritten\n");
	return bad || kheap()->used ? EXIT_WORKLOAD_FAILED : EXIT_OK;
}
