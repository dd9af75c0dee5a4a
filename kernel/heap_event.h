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
 *   MISUSE      pointer given   size given       -                 -                vec_index: len  flags: op and error (HEAP_MISUSE_*), align_log2, caller
 *
 * MISUSE is a call the allocator refused (a double free, a pointer outside
 * the heap, ...) or an out-of-range vector index: the kernel emits it right
 * before it panics, so a trace that ends in a panic says why. Its flags hold
 * the operation (enum heap_misuse_op, high nibble) and the allocator's error
 * (enum heap_error of kernel/heap.h, low nibble; 0 for vec_index, whose size
 * is the index).
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
	X(HEAP_EV_END, "end")              \
	X(HEAP_EV_MISUSE, "misuse")

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

/* MISUSE: the operation that was refused, with its name in the JSON trace. */
#define HEAP_MISUSE_OPS(X)                                       \
	X(HEAP_OP_DEALLOC, "dealloc")     /* sized free: kdealloc */  \
	X(HEAP_OP_FREE, "free")           /* malloc-style: kfree */   \
	X(HEAP_OP_REALLOC, "realloc")     /* krealloc of p */         \
	X(HEAP_OP_VEC_INDEX, "vec_index") /* vector element access */

enum heap_misuse_op {
#define HEAP_MISUSE_OP_ENUM(id, name) id,
	HEAP_MISUSE_OPS(HEAP_MISUSE_OP_ENUM)
#undef HEAP_MISUSE_OP_ENUM
	HEAP_OP_COUNT /* number of operations */
};

/* MISUSE: the allocator errors a misuse reports, by their value in enum
 * heap_error (kernel/heap.h, which kernel/kheap.c checks against this list)
 * and their name, the one heap_error_name() gives, used in the JSON trace. */
#define HEAP_MISUSE_ERRORS(X)           \
	X(1, "outside the heap")        \
	X(2, "misaligned")              \
	X(3, "double free")             \
	X(4, "bad layout")

/* flags of MISUSE: op in the high nibble, error in the low one */
#define HEAP_MISUSE_FLAGS(op, err) ((uint8_t)((unsigned)(op) << 4 | ((unsigned)(err) & 0xfu)))
#define HEAP_MISUSE_OP(flags)      ((unsigned)(flags) >> 4)
#define HEAP_MISUSE_ERROR(flags)   ((unsigned)(flags) & 0xfu)
#define HEAP_MISUSE_ALIGN_BAD      0xffu /* align_log2 of a MISUSE whose align is not a power of two */

#define HEAP_MARKER_NAME_MAX 31 /* longest marker label, bytes, without NUL */

struct heap_event {
	uint8_t kind;       /* enum heap_event_kind */
	uint8_t flags;      /* HEAP_MERGED_*, HEAP_END_* or HEAP_MISUSE_FLAGS */
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

/* Whether the two NUL-terminated strings are equal (freestanding strcmp). */
static inline int heap_event_name_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == 0 && *b == 0;
}

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
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++)
		if (heap_event_name_eq(heap_event_kind_name(k), name))
			return (int)k;
	return -1;
}

/* Whether events of this kind carry a caller (ALLOC, FREE, ALLOC_FAIL, REALLOC, MISUSE). */
static inline int heap_event_has_caller(unsigned kind)
{
	return kind == HEAP_EV_ALLOC || kind == HEAP_EV_FREE || kind == HEAP_EV_ALLOC_FAIL ||
	       kind == HEAP_EV_REALLOC || kind == HEAP_EV_MISUSE;
}

/* The JSON name of a misuse operation ("dealloc"), or "?" out of range. */
static inline const char *heap_misuse_op_name(unsigned op)
{
	static const char *const names[] = {
#define HEAP_MISUSE_OP_NAME(id, name) name,
		HEAP_MISUSE_OPS(HEAP_MISUSE_OP_NAME)
#undef HEAP_MISUSE_OP_NAME
	};
	return op < HEAP_OP_COUNT ? names[op] : "?";
}

/* The name of a misuse error ("double free"), "" for 0 (no allocator error:
 * vec_index), or NULL for a value that is not a misuse error. */
static inline const char *heap_misuse_error_name(unsigned err)
{
#define HEAP_MISUSE_ERROR_CASE(value, name) \
	case value:                         \
		return name;
	switch (err) {
	case 0:
		return "";
		HEAP_MISUSE_ERRORS(HEAP_MISUSE_ERROR_CASE)
	}
#undef HEAP_MISUSE_ERROR_CASE
	return 0;
}

/* The misuse operation named `name`, or -1 if there is none. */
static inline int heap_misuse_op_from_name(const char *name)
{
	for (unsigned op = 0; op < HEAP_OP_COUNT; op++)
		if (heap_event_name_eq(heap_misuse_op_name(op), name))
			return (int)op;
	return -1;
}

/* The misuse error named `name` (0 for ""), or -1 if there is none. */
static inline int heap_misuse_error_from_name(const char *name)
{
	for (unsigned err = 0; err < 16; err++) {
		const char *n = heap_misuse_error_name(err);
		if (n && heap_event_name_eq(n, name))
			return (int)err;
	}
	return -1;
}

#endif /* HEAP_EVENT_H */
