/* load.h - feeds a JSON trace (through trace/trace_reader.h) into a heapviz model,
 * in slices, so a big file loads with progress shown and a growing file can be
 * followed.
 *
 * Ownership: viz_source_open returns a source freed with viz_source_close,
 * which also frees its model.
 */
#ifndef VIZ_LOAD_H
#define VIZ_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "trace_reader.h"

typedef struct viz_source viz_source;

enum viz_pump {
	VIZ_PUMP_MORE,  /* stopped at the slice limit: more may be ready now */
	VIZ_PUMP_EOF,   /* the whole file is read */
	VIZ_PUMP_AGAIN, /* following: nothing more yet, try later */
	VIZ_PUMP_ERROR, /* bad input (also a self-contradicting trace: trace/validate.h)
	                   or no memory: viz_source_error says what */
};

/* Opens path (follow: a file still being written, waiting up to wait_ms for
 * its header) and makes its model. Returns NULL with "file:line: what" in err. */
viz_source *viz_source_open(const char *path, bool follow, int wait_ms, char *err, size_t errlen);

/* Reads at most max_events more events into the model. */
enum viz_pump viz_source_pump(viz_source *s, size_t max_events);

viz_model *viz_source_model(viz_source *s);
const struct trace_header *viz_source_header(const viz_source *s);
const char *viz_source_path(const viz_source *s);
bool viz_source_complete(const viz_source *s); /* an END event was read */
const char *viz_source_error(const viz_source *s);
void viz_source_close(viz_source *s);

/* Loads all of path with progress lines on stderr (when progress is set).
 * Returns NULL with the error in err. */
viz_source *viz_source_load(const char *path, bool progress, char *err, size_t errlen);

#endif /* VIZ_LOAD_H */
