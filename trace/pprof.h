/* pprof.h - a summarised trace's call stacks as a pprof profile (`heaptrace export --format
 * pprof`): gzip-compressed profile.proto (trace/profile.proto), encoded by libprotobuf-c,
 * compressed by zlib, read by `go tool pprof`.
 *
 * One sample per distinct call stack (leaf = the allocator's caller first), with the values
 * PPROF_SAMPLE_TYPES names, in that order:
 *   alloc_objects, alloc_space      allocations and bytes requested over the whole trace
 *   peak_objects, peak_space        blocks and requested bytes live at the peak
 *   inuse_objects, inuse_space      blocks and requested bytes live at the end (leaks)
 *   temporary_objects               allocations freed before any other allocation
 *   failed_objects                  failed allocations
 * peak_space is the default. One location per code address, its inlined functions as extra
 * lines; one function per name and file; one mapping, the kernel image. The profile's
 * comments say which trace, whether it is complete, and when the peak was.
 */
#ifndef PPROF_H
#define PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "summary.h"

/* Writes s (summarised with its call stacks) to out as a gzipped profile. Returns false, with
 * why in err, when out of memory or the stream failed. */
bool pprof_write(FILE *out, const struct trace_summary *s, char *err, size_t errlen);

#endif /* PPROF_H */
