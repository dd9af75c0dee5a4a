/* load.c - trace file to heapviz model, in slices, with progress and follow;
 * every event passes the shared validator (trace/validate.h) first, so the
 * viewer refuses a self-contradicting trace as heaptrace does. */
#include "load.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct viz_source {
	trace_reader *r;
	trace_validator *v; /* the verdict every heaptrace command gives too */
	viz_model *m;
	char *path;
	char err[512];
	uint64_t last_caller; /* caller whose symbol was last passed on */
	uint32_t last_stack;  /* stack record last passed on */
};

/* Passes the symbol of code address addr (with the functions inlined there)
 * to the model; false if memory ran out. */
static bool pass_symbol(viz_source *s, uint64_t addr)
{
	const struct trace_symbol *sym = trace_reader_symbol(s->r, addr);
	uint32_t i = viz_model_add_caller(s->m, addr, sym ? sym->fn : NULL, sym ? sym->src : NULL);
	if (i == VIZ_NO_CALLER)
		return false;
	if (!sym || !sym->n_inlined)
		return true;
	const char *fn[TRACE_INLINED_MAX], *src[TRACE_INLINED_MAX];
	uint32_t n = sym->n_inlined < TRACE_INLINED_MAX ? sym->n_inlined : TRACE_INLINED_MAX;
	for (uint32_t k = 0; k < n; k++) {
		fn[k] = sym->inlined[k].fn;
		src[k] = sym->inlined[k].src;
	}
	return viz_model_set_inlined(s->m, i, n, fn, src);
}

/* Passes the stack record id (every frame's symbol first) to the model, once. */
static bool pass_stack(viz_source *s, uint32_t id)
{
	const struct trace_stack *st = trace_reader_stack(s->r, id);
	if (!st || viz_model_has_stack(s->m, id))
		return true; /* the reader refuses an undefined stack; defined once */
	for (uint32_t k = 0; k < st->depth; k++)
		if (!pass_symbol(s, st->frames[k]))
			return false;
	return viz_model_add_stack(s->m, id, st->depth, st->frames) != VIZ_NO_SITE;
}

viz_source *viz_source_open(const char *path, bool follow, int wait_ms, char *err, size_t errlen)
{
	viz_source *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->r = follow ? trace_reader_open_follow(path, wait_ms, err, errlen)
	              : trace_reader_open(path, err, errlen);
	if (!s->r) {
		free(s);
		return NULL;
	}
	const struct trace_header *h = trace_reader_header(s->r);
	uint64_t gran = h->min_align ? h->min_align : 16;
	s->v = trace_validator_create(path, h);
	if (!s->v) {
		snprintf(err, errlen, "%s: out of memory", path);
		viz_source_close(s);
		return NULL;
	}
	s->m = viz_model_new(h->heap_base, h->heap_size, gran);
	s->path = strdup(path);
	if (!s->m || !s->path) {
		snprintf(err, errlen,
		         "%s:1: heap_size %llu / min_align %llu not usable (need 0 < size < 4 GiB, "
		         "align a power of two)",
		         path, (unsigned long long)h->heap_size, (unsigned long long)gran);
		viz_source_close(s);
		return NULL;
	}
	return s;
}

enum viz_pump viz_source_pump(viz_source *s, size_t max_events)
{
	struct heap_event ev;
	for (size_t n = 0; n < max_events; n++) {
		enum trace_read_status st = trace_reader_next(s->r, &ev);
		if (st == TRACE_READ_EOF)
			return trace_validator_finish(s->v, trace_reader_line(s->r), s->err,
			                              sizeof s->err)
			           ? VIZ_PUMP_EOF
			           : VIZ_PUMP_ERROR;
		if (st == TRACE_READ_AGAIN)
			return VIZ_PUMP_AGAIN;
		if (st == TRACE_READ_ERROR) {
			snprintf(s->err, sizeof s->err, "%s", trace_reader_error(s->r));
			return VIZ_PUMP_ERROR;
		}
		if (!trace_validator_add(s->v, &ev, trace_reader_line(s->r), s->err, sizeof s->err))
			return VIZ_PUMP_ERROR;
		bool ok = true;
		if (ev.caller && ev.caller != s->last_caller) {
			ok = pass_symbol(s, ev.caller);
			s->last_caller = ev.caller;
		}
		if (ok && ev.stack && ev.stack != s->last_stack) {
			ok = pass_stack(s, ev.stack);
			s->last_stack = ev.stack;
		}
		if (!ok || !viz_model_append(s->m, &ev)) {
			snprintf(s->err, sizeof s->err, "%s:%llu: out of memory after %zu events",
			         s->path, (unsigned long long)trace_reader_line(s->r),
			         viz_model_count(s->m));
			return VIZ_PUMP_ERROR;
		}
	}
	return VIZ_PUMP_MORE;
}

viz_model *viz_source_model(viz_source *s)
{
	return s->m;
}
const struct trace_header *viz_source_header(const viz_source *s)
{
	return trace_reader_header(s->r);
}
const char *viz_source_path(const viz_source *s)
{
	return s->path;
}
bool viz_source_complete(const viz_source *s)
{
	return trace_reader_complete(s->r);
}
const char *viz_source_error(const viz_source *s)
{
	return s->err;
}

void viz_source_close(viz_source *s)
{
	if (!s)
		return;
	if (s->r)
		trace_reader_close(s->r);
	trace_validator_destroy(s->v);
	viz_model_free(s->m);
	free(s->path);
	free(s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Average line length over the first MiB of path (lines are about the same
 * length, so the line count tells how far the load is). */
static double avg_line_bytes(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 100;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f), lines = 0;
	fclose(f);
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines ? (double)n / (double)lines : 100;
}

viz_source *viz_source_load(const char *path, bool progress, char *err, size_t errlen)
{
	viz_source *s = viz_source_open(path, false, 0, err, errlen);
	if (!s)
		return NULL;
	struct stat sb;
	double size = (strcmp(path, "-") != 0 && stat(path, &sb) == 0) ? (double)sb.st_size : 0;
	double total_lines = size > 0 ? size / avg_line_bytes(path) : 0;
	double t0 = now_s(), last = t0;
	bool shown = false;
	for (;;) {
		enum viz_pump p = viz_source_pump(s, 65536);
		if (p == VIZ_PUMP_ERROR) {
			snprintf(err, errlen, "%s", s->err);
			viz_source_close(s);
			return NULL;
		}
		if (p != VIZ_PUMP_MORE)
			break;
		double t = now_s();
		if (progress && t - last > 0.25) {
			uint64_t line = trace_reader_line(s->r);
			double frac = total_lines > 0 ? (double)line / total_lines : 0;
			if (frac > 0.99)
				frac = 0.99;
			fprintf(stderr, "\rheapviz: loading %s: %zu events", path,
			        viz_model_count(s->m));
			if (frac > 0)
				fprintf(stderr, " (%.0f%%)", frac * 100);
			shown = true;
			last = t;
		}
	}
	if (progress && shown)
		fprintf(stderr, "\rheapviz: loaded %s: %zu events in %.2f s\n", path,
		        viz_model_count(s->m), now_s() - t0);
	return s;
}
