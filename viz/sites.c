/* sites.c - call sites named and listed for the viewer (sites.h). */
#include "sites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fn_at site_fn

size_t site_functions(const viz_model *m, uint32_t i, struct site_fn *out, size_t max)
{
	const struct viz_site *s = viz_model_site(m, i);
	size_t n = 0;
	for (uint32_t k = 0; s && k < s->depth && n < max; k++) {
		const struct viz_caller *c = viz_model_caller_at(m, s->frames[k]);
		uint32_t ni = c ? c->n_inlined : 0;
		out[n++] = (struct site_fn){c ? c->fn : "??", c ? c->src : "??:0", k, ni > 0};
		for (uint32_t j = 0; j < ni && n < max; j++)
			out[n++] =
			    (struct site_fn){c->inlined[j].fn, c->inlined[j].src, k, j + 1 < ni};
	}
	return n;
}

static size_t flatten(const viz_model *m, uint32_t i, struct fn_at *out, size_t max)
{
	return site_functions(m, i, out, max);
}

static bool same_fn(struct fn_at a, struct fn_at b)
{
	return !strcmp(a.fn, b.fn) && !strcmp(a.src, b.src);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

#define FLAT_MAX 256 /* functions of a stack considered */

/* The name of site i among the n sites of m. */
static char *name_one(const viz_model *m, uint32_t i, size_t n, struct fn_at *a, struct fn_at *b)
{
	size_t na = flatten(m, i, a, FLAT_MAX);
	if (na == 0)
		return strdup("unknown caller");
	size_t k = 0; /* the first function where it differs from every other site */
	bool fn0_shared = false;
	for (uint32_t j = 0; j < n; j++) {
		if (j == i)
			continue;
		size_t nb = flatten(m, j, b, FLAT_MAX), common = 0;
		while (common < na && common < nb && same_fn(a[common], b[common]))
			common++;
		if (common > k)
			k = common;
		if (nb && !strcmp(a[0].fn, b[0].fn) && strcmp(a[0].src, b[0].src))
			fn0_shared = true; /* the same function, elsewhere in it: say where */
	}
	char buf[256], fn0[160];
	if (k >= na) /* the same functions as another site all the way */
		k = na - 1;
	snprintf(fn0, sizeof fn0, fn0_shared ? "%s (%s)" : "%s", a[0].fn, base_name(a[0].src));
	if (k == 0)
		snprintf(buf, sizeof buf, "%s", fn0);
	else if (!strcmp(a[k].fn, a[0].fn))
		snprintf(buf, sizeof buf, "%s (%s) > %s", a[k].fn, base_name(a[k].src), fn0);
	else
		snprintf(buf, sizeof buf, "%s > %s", a[k].fn, fn0);
	return strdup(buf);
}

bool site_names_update(struct site_names *sn, const viz_model *m)
{
	size_t n = viz_model_sites(m);
	if (n == sn->n)
		return true;
	char **names = calloc(n ? n : 1, sizeof *names);
	struct fn_at *a = malloc(2 * FLAT_MAX * sizeof *a);
	bool ok = names && a;
	for (size_t i = 0; ok && i < n; i++)
		ok = (names[i] = name_one(m, (uint32_t)i, n, a, a + FLAT_MAX)) != NULL;
	free(a);
	if (!ok) {
		for (size_t i = 0; names && i < n; i++)
			free(names[i]);
		free(names);
		return false;
	}
	site_names_free(sn);
	sn->name = names;
	sn->n = n;
	return true;
}

void site_names_free(struct site_names *sn)
{
	for (size_t i = 0; i < sn->n; i++)
		free(sn->name[i]);
	free(sn->name);
	sn->name = NULL;
	sn->n = 0;
}

const char *site_name(const struct site_names *sn, uint32_t i)
{
	return i < sn->n ? sn->name[i] : "unknown caller";
}

static int row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct site_row *a = pa, *b = pb;
	enum site_sort sort_by = *(const enum site_sort *)arg;
	uint64_t x = sort_by == SITE_BY_PEAK    ? a->peak
	             : sort_by == SITE_BY_COUNT ? a->allocs
	                                        : a->live;
	uint64_t y = sort_by == SITE_BY_PEAK    ? b->peak
	             : sort_by == SITE_BY_COUNT ? b->allocs
	                                        : b->live;
	if (x != y)
		return x < y ? 1 : -1;
	return (a->site > b->site) - (a->site < b->site);
}

size_t site_rows(viz_model *m, enum site_sort by, struct site_row **rows)
{
	size_t ns = viz_model_sites(m), nb, n = 0;
	*rows = NULL;
	struct site_row *r = calloc(ns ? ns : 1, sizeof *r);
	if (!r)
		return 0;
	for (size_t i = 0; i < ns; i++) {
		const struct viz_site *s = viz_model_site(m, (uint32_t)i);
		r[i] = (struct site_row){
		    .site = (uint32_t)i, .peak = s->peak_bytes, .allocs = s->allocs};
	}
	const struct viz_block *b = viz_model_blocks(m, &nb);
	for (size_t i = 0; i < nb; i++)
		if (b[i].site < ns) {
			r[b[i].site].live += b[i].bytes;
			r[b[i].site].blocks++;
		}
	for (size_t i = 0; i < ns; i++)
		if (r[i].allocs)
			r[n++] = r[i];
	qsort_r(r, n, sizeof *r, row_cmp, &by);
	*rows = r;
	return n;
}
