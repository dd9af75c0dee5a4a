/* heap_event.h - the one definition of heap trace events.
 *
 * Shared, unchanged, by the kernel (which emits events), the allocator core
 * (which fills them), the wire encoder/decoder, heaptrace and heapviz.
 * Freestanding: includes only <stdint.h> and <stddef.h>.
 *
 * Field use per kind (fields not listed are 0):
 *
 *   kind        addr            size             block             addr2            size2           other
 *   ----------  --------------  ---------------  ----------------  ---------------  --------------  ----------------------
 *   INIT        heap base       heap length      min block size    -                -               align_log2 = min align
 *   ALLOC       block/user ptr  requested size   block size taken  -                -               align_log2, caller, stack, examined
 *   FREE        block/user ptr  size given       block size freed  -                -               align_log2, caller, stack
 *   SPLIT       free block      its size before  -                 remainder addr   remainder size  (remainder stays free)
 *   COALESCE    merged block    merged size      -                 freed block      freed size      flags: HEAP_MERGED_*
 *   ALLOC_FAIL  -               requested size   total free bytes  -                largest free    align_log2, caller, stack, examined
 *   REALLOC     new ptr         new size         -                 old ptr          old size        caller, stack
 *   MARKER      -               -                -                 -                -               name (label of a phase)
 *   DROP        -               events dropped   -                 -                -               (written by the sink)
 *   END         -               events emitted   bytes in use      -                events dropped  flags: HEAP_END_PANIC
 *   MISUSE      pointer given   size given       -                 -                vec_index: len  flags: op and error (HEAP_MISUSE_*), align_log2, caller, stack
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
 *
 * stack names the call stack the event was made from (0: none, only caller
 * is known): an id of the JSON trace's stack records, whose first frame is
 * caller (docs/trace-format.md). The allocator leaves it 0.
 */
#ifndef HEAP_EVENT_H
#define HEAP_EVENT_H

#include <stddef.h>
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

/* The allocator's placement policies (kernel/heap.h says what each does), in
 * INIT's flags and the trace's "policy" fields. */
#define HEAP_POLICIES(X)                  \
	X(HEAP_POLICY_FIRST, "first")     \
	X(HEAP_POLICY_NEXT, "next")       \
	X(HEAP_POLICY_BEST, "best")       \
	X(HEAP_POLICY_SEGREGATED, "segregated")

enum heap_policy {
#define HEAP_POLICY_ENUM(id, name) id,
	HEAP_POLICIES(HEAP_POLICY_ENUM)
#undef HEAP_POLICY_ENUM
	HEAP_POLICY_COUNT /* number of policies */
};

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
	uint32_t stack;  /* JSON trace: id of the stack record whose frames[0] is caller; 0 = none */
	char name[HEAP_MARKER_NAME_MAX + 1]; /* MARKER: NUL-terminated label */
};

/* ---- the schema: each kind's JSON fields ------------------------------------
 *
 * One row per field of each kind, in the order the JSON trace writes them
 * (docs/trace-format.md): its JSON name, the struct heap_event member it
 * lives in, and its type, which says how the member is written and read.
 * The reader, the writer, diff, check and the viewer all walk this table
 * (trace/trace_schema.h), so a field is added here once. Every field of a
 * kind is required in its event lines except the optional ones
 * (heap_field_optional: written only when nonzero, absent reads as 0);
 * members a kind has no field for are 0.
 */
enum heap_field_type {
	HEAP_FT_KIND,      /* kind: heap_event_kind_name, a string ("alloc") */
	HEAP_FT_UINT,      /* unsigned integer member, a JSON number below 2^53 */
	HEAP_FT_INSTRET,   /* instret: a number, written only when the header says instret */
	HEAP_FT_ADDR,      /* heap address: hex string ("0x80400010") */
	HEAP_FT_CODE,      /* code address (a caller): hex string, "0x0" if unknown */
	HEAP_FT_ALIGN,     /* align_log2, written as bytes (1 << align_log2): a power of two */
	HEAP_FT_ALIGN_ANY, /* the same, and 0 for HEAP_MISUSE_ALIGN_BAD (not a power of two) */
	HEAP_FT_MERGED,    /* flags HEAP_MERGED_*: heap_merged_name ("prev", "next", "both") */
	HEAP_FT_PANIC,     /* flags HEAP_END_PANIC: true or false */
	HEAP_FT_OP,        /* flags, high nibble: heap_misuse_op_name ("dealloc") */
	HEAP_FT_ERROR,     /* flags, low nibble: heap_misuse_error_name ("double free") */
	HEAP_FT_NAME,      /* name[]: UTF-8 string of at most HEAP_MARKER_NAME_MAX bytes */
	HEAP_FT_POLICY,    /* flags: heap_policy_name ("segregated"); optional: first fit (0)
	                      is not written, and a line without it means first fit */
	HEAP_FT_STACK,     /* stack: a stack record's id, a number; optional: 0 (no stack)
	                      is not written, and a line without it has none */
};

struct heap_field {
	const char *name;  /* JSON name */
	uint8_t len;       /* strlen(name) */
	uint8_t type;      /* enum heap_field_type */
	uint8_t width;     /* sizeof the member: 1, 4 or 8 */
	uint8_t offset;    /* offsetof(struct heap_event, member) */
	const char *gloss; /* what a terse name means ("free blocks examined"), or NULL */
};

_Static_assert(sizeof(struct heap_event) <= 255, "struct heap_field.offset is one byte");

#define HEAP_FIELDS_MAX 9 /* fields of one kind, the terminating { NULL } included */

#define HEAP_FIELD_G(json, member, type, gloss)                                       \
	{json, sizeof(json) - 1, type, sizeof(((struct heap_event *)0)->member),      \
	 offsetof(struct heap_event, member), gloss}
#define HEAP_FIELD(json, member, type) HEAP_FIELD_G(json, member, type, 0)

/* The fields every event has, before its kind's: i, k, t and (with instret) n. */
static inline const struct heap_field *heap_event_common_fields(void)
{
	static const struct heap_field common[] = {
		HEAP_FIELD("i", seq, HEAP_FT_UINT),
		HEAP_FIELD("k", kind, HEAP_FT_KIND),
		HEAP_FIELD("t", time, HEAP_FT_UINT),
		HEAP_FIELD("n", instret, HEAP_FT_INSTRET),
		{0},
	};
	return common;
}

/* The fields of events of `kind`, in the order written, ending with a row
 * whose name is NULL; an empty list for a kind out of range. */
static inline const struct heap_field *heap_event_fields(unsigned kind)
{
	/* clang-format off */
	static const struct heap_field schema[HEAP_EV_COUNT + 1][HEAP_FIELDS_MAX] = {
	[HEAP_EV_INIT] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),        /* heap base */
		HEAP_FIELD("size", size, HEAP_FT_UINT),        /* heap bytes */
		HEAP_FIELD("min_block", block, HEAP_FT_UINT),
		HEAP_FIELD("min_align", align_log2, HEAP_FT_ALIGN),
		HEAP_FIELD("policy", flags, HEAP_FT_POLICY)},    /* the allocator's */
	[HEAP_EV_ALLOC] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),
		HEAP_FIELD("size", size, HEAP_FT_UINT),        /* requested */
		HEAP_FIELD("align", align_log2, HEAP_FT_ALIGN),
		HEAP_FIELD("block", block, HEAP_FT_UINT),      /* bytes taken */
		HEAP_FIELD("caller", caller, HEAP_FT_CODE),
		HEAP_FIELD("stack", stack, HEAP_FT_STACK),
		HEAP_FIELD_G("ex", examined, HEAP_FT_UINT, "free blocks examined")},
	[HEAP_EV_FREE] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),
		HEAP_FIELD("size", size, HEAP_FT_UINT),        /* given */
		HEAP_FIELD("align", align_log2, HEAP_FT_ALIGN),
		HEAP_FIELD("block", block, HEAP_FT_UINT),      /* bytes released */
		HEAP_FIELD("caller", caller, HEAP_FT_CODE),
		HEAP_FIELD("stack", stack, HEAP_FT_STACK)},
	[HEAP_EV_SPLIT] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),        /* free block cut */
		HEAP_FIELD("size", size, HEAP_FT_UINT),        /* its size before */
		HEAP_FIELD("rem_addr", addr2, HEAP_FT_ADDR),   /* the piece that stays free */
		HEAP_FIELD("rem_size", size2, HEAP_FT_UINT)},
	[HEAP_EV_COALESCE] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),        /* the merged free block */
		HEAP_FIELD("size", size, HEAP_FT_UINT),
		HEAP_FIELD("freed_addr", addr2, HEAP_FT_ADDR), /* the block being freed */
		HEAP_FIELD("freed_size", size2, HEAP_FT_UINT),
		HEAP_FIELD("merged", flags, HEAP_FT_MERGED)},
	[HEAP_EV_ALLOC_FAIL] = {
		HEAP_FIELD("size", size, HEAP_FT_UINT),
		HEAP_FIELD("align", align_log2, HEAP_FT_ALIGN),
		HEAP_FIELD("caller", caller, HEAP_FT_CODE),
		HEAP_FIELD("stack", stack, HEAP_FT_STACK),
		HEAP_FIELD_G("ex", examined, HEAP_FT_UINT, "free blocks examined"),
		HEAP_FIELD("free", block, HEAP_FT_UINT),       /* total free bytes */
		HEAP_FIELD("largest", size2, HEAP_FT_UINT)},   /* largest free block */
	[HEAP_EV_REALLOC] = {
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),        /* new block */
		HEAP_FIELD("size", size, HEAP_FT_UINT),
		HEAP_FIELD("old_addr", addr2, HEAP_FT_ADDR),
		HEAP_FIELD("old_size", size2, HEAP_FT_UINT),
		HEAP_FIELD("caller", caller, HEAP_FT_CODE),
		HEAP_FIELD("stack", stack, HEAP_FT_STACK)},
	[HEAP_EV_MARKER] = {
		HEAP_FIELD("name", name, HEAP_FT_NAME)},
	[HEAP_EV_DROP] = {
		HEAP_FIELD("count", size, HEAP_FT_UINT)},      /* events lost */
	[HEAP_EV_END] = {
		HEAP_FIELD("events", size, HEAP_FT_UINT),      /* emitted in all */
		HEAP_FIELD("dropped", size2, HEAP_FT_UINT),
		HEAP_FIELD("used", block, HEAP_FT_UINT),       /* bytes in use */
		HEAP_FIELD("panic", flags, HEAP_FT_PANIC)},
	[HEAP_EV_MISUSE] = {
		HEAP_FIELD("op", flags, HEAP_FT_OP),
		HEAP_FIELD("error", flags, HEAP_FT_ERROR),
		HEAP_FIELD("addr", addr, HEAP_FT_ADDR),        /* pointer given */
		HEAP_FIELD("size", size, HEAP_FT_UINT),
		HEAP_FIELD("align", align_log2, HEAP_FT_ALIGN_ANY),
		HEAP_FIELD("caller", caller, HEAP_FT_CODE),
		HEAP_FIELD("stack", stack, HEAP_FT_STACK),
		HEAP_FIELD("len", size2, HEAP_FT_UINT)},       /* vec_index: the vector's length */
	};
	/* clang-format on */
	return schema[kind < HEAP_EV_COUNT ? kind : HEAP_EV_COUNT];
}

/* Whether field f may be left out of an event line: it is written only when
 * its value is not 0, and a line without it has 0 (policy, stack). */
static inline int heap_field_optional(const struct heap_field *f)
{
	return f->type == HEAP_FT_POLICY || f->type == HEAP_FT_STACK;
}

/* The value of field f of ev (a member of 1, 4 or 8 bytes; 0 for a name). */
static inline uint64_t heap_field_get(const struct heap_event *ev, const struct heap_field *f)
{
	const unsigned char *p = (const unsigned char *)ev + f->offset;
	switch (f->width) {
	case 1:
		return *p;
	case 4:
		return *(const uint32_t *)(const void *)p;
	case 8:
		return *(const uint64_t *)(const void *)p;
	}
	return 0;
}

/* Stores v into field f of ev (cut to the member's width; not for a name). */
static inline void heap_field_set(struct heap_event *ev, const struct heap_field *f, uint64_t v)
{
	unsigned char *p = (unsigned char *)ev + f->offset;
	switch (f->width) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 4:
		*(uint32_t *)(void *)p = (uint32_t)v;
		break;
	case 8:
		*(uint64_t *)(void *)p = v;
		break;
	}
}

/* The JSON name of the HEAP_MERGED_* flags of a coalesce: "prev", "next",
 * "both", or "none" (flags no coalesce has). */
static inline const char *heap_merged_name(unsigned flags)
{
	static const char *const names[] = {"none", "prev", "next", "both"};
	return names[flags & (HEAP_MERGED_PREV | HEAP_MERGED_NEXT)];
}

/* Whether the two NUL-terminated strings are equal (freestanding strcmp). */
static inline int heap_event_name_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == 0 && *b == 0;
}

/* The value v < count whose name_of(v) is name, or -1 (a NULL name never
 * matches): the reverse of every name table below. */
static inline int heap_name_lookup(const char *(*name_of)(unsigned), unsigned count,
                                   const char *name)
{
	for (unsigned v = 0; v < count; v++) {
		const char *n = name_of(v);
		if (n && heap_event_name_eq(n, name))
			return (int)v;
	}
	return -1;
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
	return heap_name_lookup(heap_event_kind_name, HEAP_EV_COUNT, name);
}

/* The name of a policy ("best"), or "?" out of range. */
static inline const char *heap_policy_name(unsigned policy)
{
	static const char *const names[] = {
#define HEAP_POLICY_NAME(id, name) name,
		HEAP_POLICIES(HEAP_POLICY_NAME)
#undef HEAP_POLICY_NAME
	};
	return policy < HEAP_POLICY_COUNT ? names[policy] : "?";
}

/* The policy called name, or -1 if there is none. */
static inline int heap_policy_from_name(const char *name)
{
	return heap_name_lookup(heap_policy_name, HEAP_POLICY_COUNT, name);
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
	return heap_name_lookup(heap_misuse_op_name, HEAP_OP_COUNT, name);
}

/* The misuse error named `name` (0 for ""), or -1 if there is none. */
static inline int heap_misuse_error_from_name(const char *name)
{
	return heap_name_lookup(heap_misuse_error_name, 16, name);
}

#endif /* HEAP_EVENT_H */
