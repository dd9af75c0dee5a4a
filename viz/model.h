/* model.h - heapviz replay model: compact event store, keyframes, the heap state at
 * any event index, timeline series and hit-testing. Knows no SDL.
 *
 * The heap state and its metrics are trace/heap_model.h's (the same model as
 * heaptrace stats/check/diff/export): this model keeps what only the viewer
 * needs around it: the events, compactly, keyframes (heap_model_save at
 * settled points) to seek fast, the timeline, peak and failure positions, and
 * the callers' symbols.
 *
 * Positions: a model holding n events has positions 0..n; position p is the
 * heap state after the first p events were applied, and event p-1 is "the
 * current event" (the one the viewer highlights). Event numbers are indices
 * into the stored event array (equal to the trace's `i` unless events were
 * dropped); the heap model sees them as the events' seq, so a block's seq is
 * the index of the event that allocated it.
 *
 * Memory: every event is held in a 40-byte struct viz_event; keyframes are
 * taken so that they cost about VIZ_KF_BYTES_PER_EVENT bytes per event on
 * average; the timeline keeps at most VIZ_SERIES_MAX samples.
 *
 * Ownership: viz_model_new returns a model freed with viz_model_free. Pointers
 * returned by viz_model_* accessors stay valid until the next call that
 * appends events or seeks (viz_model_append, viz_model_seek).
 */
#ifndef VIZ_MODEL_H
#define VIZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"
#include "heap_model.h"

#define VIZ_NO_ADDR            0xffffffffu /* viz_event.addr/addr2: none, or outside the heap */
#define VIZ_NO_CALLER          0xffffffffu /* viz_event.aux / viz_block.caller: unknown */
#define VIZ_KF_MIN_INTERVAL    512         /* fewest events between two keyframes */
#define VIZ_KF_BYTES_PER_EVENT 8           /* keyframe bytes allowed per event, on average */
#define VIZ_SERIES_MAX         4096        /* most timeline samples kept */

/* One event, compactly (40 bytes). Addresses are offsets from the heap base. */
struct viz_event {
	uint64_t time;      /* ticks of time_hz */
	uint64_t size;      /* heap_event.size (requested, size before, merged size, count) */
	uint32_t addr;      /* offset of heap_event.addr, VIZ_NO_ADDR if none or outside */
	uint32_t addr2;     /* offset of heap_event.addr2, VIZ_NO_ADDR if none or outside;
	                       ALLOC (which has no addr2): heap_event.stack */
	uint32_t block;     /* heap_event.block, saturated to 32 bits */
	uint32_t size2;     /* heap_event.size2, saturated; ALLOC: heap_event.examined */
	uint32_t aux;       /* caller index (heap_event_has_caller kinds), name index (marker) */
	uint8_t kind;       /* enum heap_event_kind */
	uint8_t flags;      /* HEAP_MERGED_* / HEAP_END_* / HEAP_MISUSE_FLAGS */
	uint8_t align_log2; /* requested alignment, log2 */
	uint8_t bad;        /* 1 if the heap model refused it (ignored) */
};

/* One allocated block of the replayed heap, as the map draws it: a
 * heap_model_block in heap offsets, with the caller as an index. */
struct viz_block {
	uint32_t off;        /* offset of the block from the heap base */
	uint32_t bytes;      /* block bytes taken */
	uint32_t req;        /* bytes requested (saturated) */
	uint32_t born;       /* index of the ALLOC event that made it */
	uint32_t caller;     /* caller index, VIZ_NO_CALLER if unknown */
	uint32_t align_log2; /* requested alignment, log2 */
	uint32_t site;       /* call site index (viz_model_site), VIZ_NO_SITE if unknown */
};

#define VIZ_NO_SITE 0xffffffffu /* viz_block.site: none */

/* A call site: one call stack (a trace with stack records), or one caller (a
 * trace without: a one-frame stack; no frames when the caller is unknown),
 * with what its allocations did over the events appended so far. */
struct viz_site {
	uint32_t depth;         /* frames */
	uint64_t *frames;       /* return addresses, [0] the allocator's caller, outward (owned) */
	uint64_t allocs;        /* ALLOC events from it */
	uint64_t alloc_bytes;   /* their block bytes */
	uint64_t live_bytes;    /* block bytes live after the last event appended */
	uint64_t peak_bytes;    /* the most it had live at once */
};

/* A function inlined at a code address (the trace's symbol records). */
struct viz_inline {
	char *fn, *src; /* owned by the model */
};

/* One timeline sample: the state at position `pos`, and the highest used
 * bytes seen since the previous sample. */
struct viz_sample {
	uint32_t pos;
	uint32_t used;
	uint32_t used_max;
	uint32_t largest_free;
	uint32_t free_bytes;
	uint32_t free_blocks;
};

struct viz_caller {
	uint64_t addr; /* return address in the caller */
	char *fn;      /* function, "??" if unknown (owned by the model) */
	char *src;     /* "file:line", "??:0" if unknown (owned by the model) */
	uint32_t n_inlined;          /* functions fn was inlined into, innermost first */
	struct viz_inline *inlined; /* ...the last is the real frame's (owned) */
};

typedef struct viz_model viz_model;

/* A model for the heap [heap_base, heap_base + heap_size) with blocks aligned to
 * gran (a power of two, >= 1). heap_size must be below 4 GiB. Returns NULL on a
 * bad argument or no memory. */
viz_model *viz_model_new(uint64_t heap_base, uint64_t heap_size, uint64_t gran);
void viz_model_free(viz_model *m);

/* Appends one event and applies it to the model's tip state (keyframes, series,
 * peak). An event the heap model refuses (alloc over a live block, free of an
 * unknown block, a split or coalesce that does not match, an address outside
 * the heap, an INIT of another heap) is stored with bad=1, counted and
 * otherwise ignored. Returns false only if memory ran out. */
bool viz_model_append(viz_model *m, const struct heap_event *ev);

/* Registers a caller's symbol (fn/src may be NULL); returns its index, or
 * VIZ_NO_CALLER if memory ran out. Callers seen in events without a symbol
 * are registered automatically with fn "??". */
uint32_t viz_model_add_caller(viz_model *m, uint64_t addr, const char *fn, const char *src);
const struct viz_caller *viz_model_caller(const viz_model *m, uint32_t index);

/* The symbol registered for code address addr, or NULL. */
const struct viz_caller *viz_model_caller_at(const viz_model *m, uint64_t addr);

/* Records that the code at caller index `index` was inlined into the n
 * functions inl (innermost first), as a symbol record's "inlined" says.
 * Returns false if memory ran out. */
bool viz_model_set_inlined(viz_model *m, uint32_t index, uint32_t n, const char *const *fn,
                           const char *const *src);

/* Defines the trace's stack record `id` (frames[0] the caller, outward) as a
 * call site, before the first event that uses it (the loader does: an event
 * whose stack is undefined counts as a one-frame stack of its caller). Returns
 * the site's index, or VIZ_NO_SITE if memory ran out. */
uint32_t viz_model_add_stack(viz_model *m, uint32_t id, uint32_t depth, const uint64_t *frames);

/* Whether stack record id was defined (viz_model_add_stack). */
bool viz_model_has_stack(const viz_model *m, uint32_t id);

/* Call sites, 0..viz_model_sites()-1, in order of first sight. */
size_t viz_model_sites(const viz_model *m);
const struct viz_site *viz_model_site(const viz_model *m, uint32_t index);

size_t viz_model_count(const viz_model *m);
const struct viz_event *viz_model_event(const viz_model *m, size_t index);
uint64_t viz_model_heap_base(const viz_model *m);
uint64_t viz_model_heap_size(const viz_model *m);
uint64_t viz_model_gran(const viz_model *m);
uint64_t viz_model_bad_events(const viz_model *m); /* events with bad=1 */
uint64_t
viz_model_dropped(const viz_model *m); /* events lost, by DROP events: the state may be inexact */
const char *viz_model_marker_name(const viz_model *m, const struct viz_event *e);

/* Moves the cursor to position pos (clamped to 0..count). Returns the position. */
size_t viz_model_seek(viz_model *m, size_t pos);
size_t viz_model_pos(const viz_model *m);

/* The allocated blocks at the cursor, sorted by address; *n gets their number. */
const struct viz_block *viz_model_blocks(viz_model *m, size_t *n);

/* The free holes at the cursor (the gaps between allocated blocks): the sizes
 * of the largest, at most max of them, largest first, into out. Returns how many
 * holes there are. */
size_t viz_model_holes(viz_model *m, uint32_t *out, size_t max);

/* Metrics of the state at the cursor (the heap model's; changes with every seek). */
const struct heap_model_stats *viz_model_stats(const viz_model *m);

/* Hit-test at the cursor: the block containing heap offset off. Returns true if
 * off is inside the heap; *blk gets the allocated block, or for a free byte a
 * block describing the free gap with born = caller = VIZ_NO_CALLER and
 * *is_free = true. */
bool viz_model_hit(viz_model *m, uint64_t off, struct viz_block *blk, bool *is_free);

/* Position with the most bytes in use (first one if tied), and that figure. */
size_t viz_model_peak_pos(const viz_model *m, uint64_t *peak_used);

/* The end (heap offset) of the highest block the trace allocated so far: the part
 * of the heap it ever used, 0 before its first alloc. */
uint64_t viz_model_extent(const viz_model *m);

/* The longest alloc search in the trace so far (free blocks examined). */
uint32_t viz_model_max_examined(const viz_model *m);

/* Number of callers registered (indices 0..n-1). */
size_t viz_model_callers(const viz_model *m);

/* Positions just after each ALLOC_FAIL event, in order; *n gets their number. */
const uint32_t *viz_model_fails(const viz_model *m, size_t *n);

/* The first MISUSE event (the call the run panicked on, addresses absolute)
 * and in *pos (may be NULL) the position just after it; NULL if there is none. */
const struct heap_event *viz_model_misuse(const viz_model *m, size_t *pos);

/* Index of the first event at or after `from` (direction +1) or at or before
 * `from` (-1) whose kind is `kind`; SIZE_MAX if none. */
size_t viz_model_find(const viz_model *m, size_t from, int direction, unsigned kind);

/* Timeline samples (at most VIZ_SERIES_MAX, by increasing pos). */
/* The last sample is the tip (position count) whenever count > 0. */
const struct viz_sample *viz_model_series(viz_model *m, size_t *n);

/* Bytes the model holds for its events, keyframes, series and heap states (for benches). */
size_t viz_model_bytes(const viz_model *m);
size_t viz_model_keyframes(const viz_model *m);
/* Most events any seek must replay after restoring a keyframe. */
size_t viz_model_max_replay(const viz_model *m);

#endif /* VIZ_MODEL_H */
