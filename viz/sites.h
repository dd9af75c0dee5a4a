/* sites.h - call sites as the viewer names and lists them. A site is a call
 * stack (or, in a trace without stacks, a caller: viz_model_site). Its name
 * tells it from the others: its innermost function, and where other sites
 * share that, first the function (inlined ones counted) where it differs,
 * which calls it: "record_alert > rec_vec_set_cap_". The table rows give each site's live
 * bytes at the cursor, its peak and its allocations, sorted.
 *
 * Ownership: site_names_update fills a struct freed with site_names_free;
 * site_rows returns a malloc'ed array the caller frees.
 */
#ifndef VIZ_SITES_H
#define VIZ_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct site_names {
	char **name; /* one per site */
	size_t n;    /* sites named */
};

/* Names every site of m (again, if m has more sites than named). False if
 * memory ran out (the old names stay). */
bool site_names_update(struct site_names *sn, const viz_model *m);
void site_names_free(struct site_names *sn);

/* The name of site i ("unknown caller" for VIZ_NO_SITE or a site not named). */
const char *site_name(const struct site_names *sn, uint32_t i);

/* One function of a site's stack, innermost first: each frame's function,
 * preceded by the ones inlined into it. */
struct site_fn {
	const char *fn, *src; /* owned by the model */
	uint32_t frame;       /* the stack frame it belongs to (0: the allocator's caller) */
	bool inlined;         /* inlined into the next one (not the frame's own function) */
};

/* Site i's functions into out (at most max); returns how many. */
size_t site_functions(const viz_model *m, uint32_t i, struct site_fn *out, size_t max);

enum site_sort { SITE_BY_LIVE, SITE_BY_PEAK, SITE_BY_COUNT, SITE_SORTS };

struct site_row {
	uint32_t site;
	uint64_t live;   /* block bytes live at the cursor */
	uint64_t blocks; /* live blocks at the cursor */
	uint64_t peak;   /* the most it had live at once (the trace loaded so far) */
	uint64_t allocs; /* its allocations (the trace loaded so far) */
};

/* The sites that allocated, most first by `by` (ties: the site first seen
 * first), into *rows; returns their number (0 with *rows NULL if none or out
 * of memory). */
size_t site_rows(viz_model *m, enum site_sort by, struct site_row **rows);

#endif /* VIZ_SITES_H */
