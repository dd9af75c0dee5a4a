/* view.h - heapviz's screen: layout, the heap map, the fragmentation panel, the
 * timeline, the help overlay, and what each key and click does. Draws only
 * through render.h; the state it shows comes from model.h.
 *
 * Ownership: the view borrows its models; view_fini frees only its own arrays.
 */
#ifndef VIZ_VIEW_H
#define VIZ_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "render.h"
#include "sites.h"

/* Colours of the map (docs/heapviz.md explains them). */
#define VIZ_COL_BG      ((struct rcolor){24, 24, 28, 255})
#define VIZ_COL_FREE    ((struct rcolor){52, 56, 64, 255})
#define VIZ_COL_USED    ((struct rcolor){46, 160, 90, 255})
#define VIZ_COL_NEW     ((struct rcolor){255, 220, 60, 255})  /* the block just allocated */
#define VIZ_COL_FREED   ((struct rcolor){230, 70, 70, 255})   /* the block just freed */
#define VIZ_COL_SPLIT   ((struct rcolor){80, 200, 230, 255})  /* the free block being split */
#define VIZ_COL_MERGE   ((struct rcolor){190, 110, 255, 255}) /* the block a coalesce made */
#define VIZ_COL_FAIL    ((struct rcolor){255, 40, 40, 255})   /* alloc failure: largest holes */
#define VIZ_COL_DIFF    ((struct rcolor){255, 90, 210, 255})  /* --compare: a block the other lacks */
#define VIZ_COL_TOO_SMALL ((struct rcolor){110, 45, 50, 255}) /* alloc failure: other holes */
#define VIZ_COL_LARGEST ((struct rcolor){80, 140, 230, 255})  /* largest free block (timeline) */
#define VIZ_COL_FRAG    ((struct rcolor){240, 150, 50, 255})  /* fragmentation (timeline) */
#define VIZ_COL_TEXT    ((struct rcolor){220, 220, 220, 255})
#define VIZ_COL_DIM     ((struct rcolor){140, 140, 150, 255})

/* What a live block's colour says (the a key cycles through them). */
enum view_colour {
	VIEW_COLOUR_STATE,  /* allocated (the current event's blocks highlighted) */
	VIEW_COLOUR_AGE,    /* events since its alloc, log scale */
	VIEW_COLOUR_CALLER, /* its call site */
	VIEW_COLOUR_COST,   /* its alloc's search: free blocks examined, log scale */
	VIEW_COLOUR_COUNT
};

enum view_action { VIEW_NONE, VIEW_QUIT, VIEW_DUMP };

struct view_rect {
	int x, y, w, h;
};

/* The block under the pointer, on either map (view_draw finds it). */
struct view_hover {
	bool valid;
	viz_model *m;       /* the trace of the map it is on */
	struct viz_block b; /* the block; for a free gap born = caller = VIZ_NO_CALLER */
	bool is_free;
};

/* A range of events selected on the timeline, summarised (view_select). */
#define VIEW_RANGE_TOP 5 /* call sites a range summary names */
struct view_range {
	size_t a, b; /* positions: the events a..b-1; b > a when a range is selected */
	uint64_t allocs, alloc_bytes; /* ALLOC events in it, their block bytes */
	uint64_t frees, freed_bytes;  /* FREE events, their block bytes */
	uint64_t fails;               /* ALLOC_FAIL events */
	uint64_t used_start;          /* used bytes before its first event */
	uint64_t peak_used;           /* the most used bytes after any of its events */
	size_t peak_pos;              /* ...first reached at this position */
	struct {
		uint32_t caller; /* VIZ_NO_CALLER: unknown */
		uint64_t bytes, count;
	} top[VIEW_RANGE_TOP]; /* call sites by bytes allocated in the range */
	size_t ntop;
};

struct view_seg {
	uint32_t off, bytes; /* heap offset and length */
	double u0, u1;       /* place on the unrolled map, in pixels */
	int32_t block;       /* index in the block list, -1 for a free gap */
};

#define VIEW_FLASH_MS   300  /* the current event's highlight blinks with this half-period */
#define VIEW_FLASH_SPAN 3000 /* ...for this long after it changes, then holds still (idle is idle) */

struct view {
	viz_model *m;     /* the trace shown */
	viz_model *other; /* --compare: the other trace, or NULL */
	const char *name, *other_name;
	size_t divergence;     /* --compare: first differing event index, SIZE_MAX if none */
	bool divergence_known; /* the comparison ran */
	bool playing;
	double speed;    /* events per second while playing */
	double acc;      /* fractional events owed */
	bool follow;     /* the file is still growing */
	bool live;       /* following: the cursor stays at the newest event */
	bool complete;   /* an END event was read */
	uint64_t lo, hi; /* zoomed heap range (offsets), when zoomed */
	bool zoomed;     /* lo/hi were chosen (--zoom, g, z/x, the wheel) */
	bool whole;      /* not zoomed: the whole heap, not just the part the trace used */
	char prompt[48]; /* g: the range being typed ("" with prompting false) */
	bool prompting;
	bool compressed; /* small blocks get room: widths by log of size */
	enum view_colour colour;
	bool help;
	bool noflash;     /* highlight without flashing (HEAPVIZ_NOFLASH, for tests) */
	uint32_t flash_until; /* the current event flashes until then (ms), then holds still */
	uint64_t time_hz; /* ticks per second of event times (0: unknown) */
	int mx, my;       /* pointer */
	bool drag_timeline;
	int drag_x0;           /* where the timeline press began */
	bool drag_selects;     /* the press moved: it selects a range, not a position */
	struct view_range sel; /* the selected range (sel.b > sel.a) */
	struct site_names site_names; /* the primary trace's call sites, named */
	enum site_sort site_sort;     /* the call-site table's order (t, a click on its header) */
	uint32_t site_pick;           /* the site whose blocks are highlighted, VIZ_NO_SITE: none */
	int site_header_y;            /* the table's header line as last drawn (-1: not drawn) */
	struct {
		int y;         /* its line's top */
		uint32_t site; /* ...and its site */
	} site_rows[64];       /* the table's rows as last drawn, for clicks */
	int nsite_rows;
	int line_h; /* a text line's height, as last drawn */
	int tl_sx, tl_sw; /* timeline strips: first pixel column and width */
	struct view_rect status, map, other_map, panel, timeline;
	int strip_h;             /* height of one timeline strip */
	bool side_by_side;       /* --compare in a wide window: the maps side by side */
	struct view_hover hover; /* what the pointer is over (view_draw) */
	int row_h, cell_h, gutter;
	int rows;                /* map rows in use */
	uint64_t map_lo, map_hi; /* heap offsets the maps show (view_layout) */
	uint64_t row_bytes;      /* bytes a row holds: a power of two (0: compressed scale) */
	struct view_seg *segs; /* layout of the map (primary trace) */
	size_t nsegs, capsegs;
	struct view_seg *osegs; /* layout of the other trace's map */
	size_t nosegs, caposegs;
	double total_u;    /* pixels of the unrolled map */
	uint32_t *markers; /* positions of MARKER events (found incrementally) */
	size_t nmarkers, capmarkers, markers_scanned;
	char message[160]; /* a transient line (e.g. "no more alloc failures") */
	uint32_t message_until;
};

void view_init(struct view *v, viz_model *m, const char *name);
void view_fini(struct view *v);

/* Lays out for a window w x h and draws one frame at time now_ms. */
void view_draw(struct view *v, render *r, uint32_t now_ms);

/* Handles one input; returns what the caller must do. */
enum view_action view_input(struct view *v, const struct rinput *in, uint32_t now_ms);

/* Advances playback by dt_ms (and follows the tip when live). */
void view_tick(struct view *v, uint32_t dt_ms);

/* Selects the events at positions a..b-1 (b <= a: no selection) and
 * summarises them into v->sel. The cursor stays where it was. */
void view_select(struct view *v, size_t a, size_t b);

/* --compare: the index of the next event (dir +1: from event pos on, that is
 * after the current one; -1: before the current one) where the traces differ
 * (kind, addresses, sizes, flags; an event only one of them has); SIZE_MAX if
 * none. */
size_t view_next_divergence(const struct view *v, size_t pos, int dir);

/* Moves to position pos in both traces (clamped). */
void view_seek(struct view *v, size_t pos);

/* The status line's panic cause, "PANIC: double free of 0x80234000 (size 64,
 * align 16) by workload_panic", into buf (n bytes); false (buf "") when the
 * trace has no MISUSE event. */
bool view_panic_text(const struct view *v, char *buf, size_t n);

/* Parses a heap range as --zoom and the g key take it: LO:HI or LO+LEN, hex or
 * decimal, absolute addresses (as the screen shows them) or offsets from the
 * heap base. Returns false with the reason in err if it is malformed, empty or
 * not inside the heap. */
bool view_parse_range(const struct view *v, const char *text, uint64_t *lo, uint64_t *hi,
                      char *err, size_t errlen);

/* Shows heap offsets [lo, hi) (clamped to the heap); view_fit returns to the
 * part of the heap the trace used, view_whole to the whole heap. */
void view_zoom_to(struct view *v, uint64_t lo, uint64_t hi);
void view_fit(struct view *v);
void view_whole(struct view *v);

/* The name of colour mode c ("call site"). */
const char *view_colour_name(enum view_colour c);

/* Colour of a live block by its call site (grey: unknown). */
struct rcolor view_caller_colour(uint32_t caller);

/* Colour at t (0..1) of the age or cost scale. */
struct rcolor view_scale_colour(enum view_colour mode, double t);

/* x on a log scale from 0 (x = 0) to 1 (x = max); 0 if max is 0. */
double view_log_scale(uint64_t x, uint64_t max);

/* Where the replay is, as the status line and the window title say it:
 * "event 1,083 of 1,684" (the current event's index, as --at and the trace's
 * "i" count), "start, 1,684 events" before the first. Returns snprintf's. */
size_t view_position_text(const struct view *v, char *buf, size_t n);

/* Lays out for w x h without drawing (for --locate). */
void view_layout(struct view *v, int w, int h, int text_h);

/* The window pixel at the middle of the first map cell of heap offset off,
 * after view_layout/view_draw; false if off is not shown. */
bool view_locate(struct view *v, uint64_t off, int *x, int *y);

#endif /* VIZ_VIEW_H */
