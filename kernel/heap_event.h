/* heap_event.h - the one definition of heap trace events.
 *
 * Shared, unchanged, by the kernel (which emits events), the allocator core
 * (which fills them), the wire encoder/decoder, heaptrace and heapviz.
 * Freestanding: includes only <stdint.h>.
 *
 * Field use per kind (fields not listed are 0):
 *
 *   kind        addr            size             block             addr2            size2           other
 *   ----------  --------------  ---------------  ----------------  ---------------  --------------  ----------------------
 *   INIT        heap base       heap length      min block size    -                -               align_log2 = min align
 *   ALLOC       block/user ptr  requested size   block size taken  -                -               align_log2, caller, examined
 *   FREE        block/user ptr  size given       block size freed  -                -               align_log2, caller
 *   SPLIT       free block      its size before  -                 remainder addr   remainder size  (remainder stays free)
 *   COALESCE    merged block    merged size      -                 freed block      freed size      flags: HEAP_MERGED_*
 *   ALLOC_FAIL  -               requested size   total free bytes  -                largest free    align_log2, caller, examined
 *   REALLOC     new ptr         new size         -                 old ptr          old size        caller
 *   MARKER      -               -                -                 -                -               name (label of a phase)
 *   DROP        -               events dropped   -                 -                -               (written by the sink)
 *   END         -               events emitted   bytes in use      -                events dropped  flags: HEAP_END_PANIC
 *
 * An ALLOC that cut a free block is preceded by the SPLIT of that block; a FREE
 * that merged with a neighbour is followed by the COALESCE that resulted.
 * Sizes and addresses are in bytes; addresses are absolute (the heap base is
 * in INIT).  seq, time and instret are stamped by the sink, not the allocator.
 */
#ifndef HEAP_EVENT_H
#define HEAP_EVENT_H

#include <stdint.h>

/* X-macro: every event kind once, with its name in the JSON trace. */
#define HEAP_EVENT_KINDS(X)            \
	X(HEAP_EV_INIT, "init")            \
	X(HEAP_EV_ALLOC, "alloc")          \
	X(HEAP_EV_FREE, "free")            \
	X(HEAP_EV_SPLIT, "split")          \
	X(HEAP_EV_COALESCE, "coalesce")    \
	X(HEAP_EV_ALLOC_FAIL, "alloc_fail") \
	X(HEAP_EV_REALLOC, "realloc")      \
	X(HEAP_EV_MARKER, "marker")        \
	X(HEAP_EV_DROP, "drop")            \
	X(HEAP_EV_END, "end")

enum heap_event_kind {
#define HEAP_EVENT_ENUM(id, name) id,
	HEAP_EVENT_KINDS(HEAP_EVENT_ENUM)
#undef HEAP_EVENT_ENUM
	HEAP_EV_COUNT /* number of kinds; never on the wire */
};

/* flags for COALESCE: which neighbours of the freed block were merged. */
#define HEAP_MERGED_PREV 0x1u /* the free block before it */
#define HEAP_MERGED_NEXT 0x2u /* the free block after it */
/* flags for END */
#define HEAP_END_PANIC 0x1u /* the run ended in a panic: the trace is a prefix */

#define HEAP_MARKER_NAME_MAX 31 /* longest marker label, bytes, without NUL */

struct heap_event {
	uint8_t kind;       /* enum heap_event_kind */
	uint8_t flags;      /* HEAP_MERGED_* or HEAP_END_* */
	uint8_t align_log2; /* log2 of the requested (INIT: minimum) alignment */
	uint32_t examined;  /* ALLOC, ALLOC_FAIL: free blocks examined by the search */
	uint64_t seq;       /* sequence number, stamped by the sink, from 0 */
	uint64_t time;      /* rdtime ticks, stamped by the sink */
	uint64_t instret;   /* retired instructions, stamped by the sink (0 if not meaningful) */
	uint64_t addr;      /* see the table above */
	uint64_t size;
	uint64_t block;
	uint64_t addr2;
	uint64_t size2;
	uint64_t caller; /* return address of the code that called the allocator, 0 if unknown */
	char name[HEAP_MARKER_NAME_MAX + 1]; /* MARKER: NUL-terminated label */
};

/* The JSON name of a kind ("alloc"), or "?" for a value out of range. */
static inline const char *heap_event_kind_name(unsigned kind)
{
	static const char *const names[] = {
#define HEAP_EVENT_NAME(id, name) name,
		HEAP_EVENT_KINDS(HEAP_EVENT_NAME)
#undef HEAP_EVENT_NAME
	};
	return kind < HEAP_EV_COUNT ? names[kind] : "?";
}

/* The kind named `name` (NUL-terminated), or -1 if there is none. */
static inline int heap_event_kind_from_name(const char *name)
{
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		const char *a = heap_event_kind_name(k), *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == 0 && *b == 0)
			return (int)k;
	}
	return -1;
}

#endif /* HEAP_EVENT_H */
