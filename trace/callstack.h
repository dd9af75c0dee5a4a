/* callstack.h - a trace's allocations grouped by call stack: per-stack figures, a call tree, top
 * sites. The one place that groups by stack: stats, leaks, diff and every export use it.
 *
 * A site is a distinct call stack: the frames of the event's stack record (trace_reader_stack)
 * when it has one, else a one-frame stack of its caller (a depth-0 trace; caller 0 = "unknown").
 * frames[0] is the caller (the code that called the allocator), frames[depth-1] the outermost.
 *
 * Two phases. Accumulating: the owner (the summary, an export) feeds each event as the heap
 * model takes it, O(1) hash work per event, memory growing with the number of distinct stacks
 * only. Then callstacks_finish resolves every stack's frames and names from the reader (stack
 * and sym records) and builds the call tree: afterwards the object no longer needs the reader
 * and answers the queries below.
 *
 * Figures per site (enum cs_field): allocations and bytes requested, frees, temporary
 * allocations (freed before any other allocation succeeded: heaptrack's definition), failed
 * allocations, what the site held at the peak (requested bytes and blocks live at the first
 * event where the heap's used bytes peaked) and what it still held at the end (leaked).
 *
 * Ownership: callstacks_create returns an object freed with callstacks_destroy; every pointer
 * returned by the queries is valid until then.
 */
#ifndef CALLSTACK_H
#define CALLSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"
#include "heap_model.h"
#include "trace_reader.h"

#define CALLSTACK_DEPTH_MAX TRACE_STACK_DEPTH_MAX /* frames kept per stack */

/* The figures kept per site (and per call-tree node). */
enum cs_field {
	CS_ALLOCS,        /* successful allocations */
	CS_BYTES,         /* bytes they requested */
	CS_FREES,         /* of those, blocks freed */
	CS_TEMPORARY,     /* allocations freed before any other allocation succeeded */
	CS_FAILED,        /* failed allocations */
	CS_PEAK,          /* requested bytes live at the peak (first event of most used bytes) */
	CS_PEAK_BLOCKS,   /* blocks live at the peak */
	CS_LEAKED,        /* requested bytes still live after the last event */
	CS_LEAKED_BLOCKS, /* blocks still live after the last event */
	CS_FIELDS
};

/* Short names of the fields ("allocs", "bytes", "frees", "temporary", "failed", "peak",
 * "peak_blocks", "leaked", "leaked_blocks"): JSON keys and --by/--weight values. */
const char *cs_field_name(enum cs_field f);

/* The field named name (cs_field_name's, also "count" for CS_ALLOCS); false if none. */
bool cs_field_parse(const char *name, enum cs_field *out);

typedef struct callstacks callstacks;

/* One distinct call stack and its figures. */
struct callstack_site {
	uint32_t depth;         /* frames (1..CALLSTACK_DEPTH_MAX) */
	const uint64_t *frames; /* frames[0] = caller, outward */
	uint64_t v[CS_FIELDS];  /* its figures */
};

/* A frame address as the trace's sym record names it. With inlining (addr2line -i), the
 * address is in fn (innermost, at src), inlined into inlined[0], ..., inlined[n_inlined-1]
 * (the real frame's function): n_inlined + 1 logical frames, innermost first. */
struct callstack_frame {
	uint64_t addr;
	const char *fn;  /* "??" if unknown */
	const char *src; /* "file:line", "??:0" if unknown */
	uint32_t n_inlined;
	const struct trace_inline *inlined;
};

/* The two call trees. Top-down (root first): a node's children are the frames its code called,
 * down to the callers of the allocator (stats --tree, flame graphs). Bottom-up (caller first):
 * the root's children are the callers of the allocator, a node's children the frames that
 * called it (massif's allocation tree, heaptrack's bottom-up view). */
enum cs_tree { CS_TOP_DOWN, CS_BOTTOM_UP, CS_TREES };

/* A node of a call tree: one frame, reached by the path from the root. */
struct callstack_node {
	uint64_t addr;            /* this frame's address (node 0, the root, has none) */
	uint32_t parent;          /* index of the parent node (the root's is 0) */
	uint32_t first_child;     /* index of the first child, 0 if none; then next_sibling */
	uint32_t next_sibling;    /* 0 if last */
	uint32_t level;           /* 0 for the root, 1 for its children, ... */
	uint64_t incl[CS_FIELDS]; /* every stack through this node */
	uint64_t excl[CS_FIELDS]; /* stacks that end at this node (top-down: whose caller it is) */
};

/* ---- accumulating --------------------------------------------------------- */

/* NULL when out of memory. */
callstacks *callstacks_create(void);
void callstacks_destroy(callstacks *c);

/* An ALLOC event; applied says the heap model took it (a skipped event after drops still
 * counts as an allocation, but holds nothing). False when out of memory. */
bool callstacks_alloc(callstacks *c, const struct heap_event *ev, bool applied);

/* A FREE the heap model took, of block b (looked up before the event was applied). */
bool callstacks_free(callstacks *c, const struct heap_model_block *b);

/* An ALLOC_FAIL event. */
bool callstacks_fail(callstacks *c, const struct heap_event *ev);

/* The heap after the last event fed is a new peak (more used bytes than ever before). */
void callstacks_peak(callstacks *c);

/* Completes the figures (leaks from the model's live blocks), resolves each stack from r's
 * stack records and names every frame from its sym records (r may be NULL: no names; a stack
 * id r does not define is kept as a one-frame stack of the caller), merges stacks with the
 * same frames and builds the call tree. Call once, after the last event; r is not used
 * afterwards. False when out of memory. */
bool callstacks_finish(callstacks *c, const heap_model *m, const trace_reader *r);

/* ---- results (after callstacks_finish) ------------------------------------ */

/* Distinct stacks, and the i-th (in root-first frame order). */
size_t callstacks_count(const callstacks *c);
const struct callstack_site *callstacks_site(const callstacks *c, size_t i);

/* Totals over every stack. */
const uint64_t *callstacks_total(const callstacks *c);

/* Stacks with field f nonzero: how many, and the indices of the top max of them in idx,
 * largest first (ties: more allocations, then frame order). Returns how many were written. */
size_t callstacks_nonzero(const callstacks *c, enum cs_field f);
size_t callstacks_top(const callstacks *c, enum cs_field f, size_t *idx, size_t max);

/* The names of a frame address (never NULL: an address without sym record has fn "??"). */
const struct callstack_frame *callstacks_frame(const callstacks *c, uint64_t addr);

/* A call tree: *n nodes, node 0 the root (its incl = the totals). */
const struct callstack_node *callstacks_tree(const callstacks *c, enum cs_tree t, size_t *n);

/* The children of node in tree t, sorted by field f, largest inclusive first: writes up to max
 * indices to idx, returns how many children there are. */
size_t callstacks_children(const callstacks *c, enum cs_tree t, uint32_t node, enum cs_field f,
                           uint32_t *idx, size_t max);

/* "fn (src)" for a frame; the functions it was inlined into appended, " <- inlined into g
 * (src) <- h (src)" (a src equal to the one before left out); the address alone ("0x8020...")
 * when it has no name, "unknown caller" for 0. Into buf (n bytes). */
const char *callstacks_frame_text(const callstacks *c, uint64_t addr, char *buf, size_t n);

#endif /* CALLSTACK_H */
