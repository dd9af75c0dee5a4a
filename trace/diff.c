/* diff.c - comparison of two heap traces: events in lockstep, metric table, thresholds (diff.h). */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diff.h"

/* The struct heap_event member each DIFF_F_* bit stands for, in bit order. */
static const uint8_t diff_member[] = {
    offsetof(struct heap_event, kind),    offsetof(struct heap_event, seq),
    offsetof(struct heap_event, addr),    offsetof(struct heap_event, size),
    offsetof(struct heap_event, block),   offsetof(struct heap_event, align_log2),
    offsetof(struct heap_event, examined), offsetof(struct heap_event, addr2),
    offsetof(struct heap_event, size2),   offsetof(struct heap_event, flags),
    offsetof(struct heap_event, caller),  offsetof(struct heap_event, name),
};
_Static_assert(sizeof diff_member == 12 && DIFF_F_NAME == 1u << 11,
               "one member per DIFF_F_* bit");

/* The DIFF_F_* bit of the member at offset, 0 if none. */
static unsigned diff_bit(size_t offset)
{
	for (unsigned i = 0; i < sizeof diff_member; i++)
		if (diff_member[i] == offset)
			return 1u << i;
	return 0;
}

static char field_names[HEAP_EV_COUNT][sizeof diff_member][32]; /* diff_field_name's */
static pthread_once_t field_names_once = PTHREAD_ONCE_INIT;

/* Fills field_names from the schema table: for each kind and member, the
 * names of the fields that live there, joined by '/' ("op/error" share flags). */
static void field_names_build(void)
{
	for (unsigned kind = 0; kind < HEAP_EV_COUNT; kind++) {
		for (unsigned i = 0; i < sizeof diff_member; i++) {
			char *out = field_names[kind][i];
			size_t n = 0, cap = sizeof field_names[0][0];
			for (const struct heap_field *f = heap_event_common_fields(); f->name; f++)
				if (f->offset == diff_member[i] && f->type != HEAP_FT_INSTRET)
					n += (size_t)snprintf(out + n, cap - n, "%s", f->name);
			for (const struct heap_field *f = heap_event_fields(kind); f->name; f++)
				if (f->offset == diff_member[i] && n < cap)
					n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "/" : "",
					                      f->name);
		}
	}
}

/* JSON name of field f for an event of kind k (docs/trace-format.md), or NULL
 * when the field does not belong to that kind. */
const char *diff_field_name(unsigned kind, unsigned field)
{
	unsigned i = (unsigned)__builtin_ctz(field | 1u << 31);
	if (kind >= HEAP_EV_COUNT || i >= sizeof diff_member || field != 1u << i)
		return NULL;
	pthread_once(&field_names_once, field_names_build);
	return field_names[kind][i][0] ? field_names[kind][i] : NULL;
}

/* Whether two heap addresses are the same place in their heaps (0 = none). */
static bool addr_same(uint64_t a, uint64_t b, const struct diff_event_ctx *ctx)
{
	if (a == 0 || b == 0)
		return a == b;
	return a - ctx->base_heap == b - ctx->new_heap;
}

/* Whether two callers are the same code: equal addresses, or (unless
 * addresses are required) both resolved to the same function and source. */
static bool caller_same(uint64_t a, uint64_t b, const struct diff_event_ctx *ctx)
{
	if (a == b)
		return true;
	if (ctx->ignore_callers)
		return true;
	if (!ctx->base || !ctx->new)
		return false;
	const struct trace_symbol *sa = trace_reader_symbol(ctx->base, a);
	const struct trace_symbol *sb = trace_reader_symbol(ctx->new, b);
	if (!sa || !sb || !strcmp(sa->fn, "??") || !strcmp(sb->fn, "??"))
		return false;
	return !strcmp(sa->fn, sb->fn);
}

unsigned diff_event_compare(const struct heap_event *a, const struct heap_event *b,
                            const struct diff_event_ctx *ctx)
{
	unsigned m = 0;
	if (a->seq != b->seq)
		m |= DIFF_F_SEQ;
	/* events of different kinds: the kind says it all (their fields mean
	 * different things); otherwise only the fields the kind has count */
	if (a->kind != b->kind)
		return m | DIFF_F_KIND;
	for (const struct heap_field *f = heap_event_fields(a->kind); f->name; f++) {
		bool same;
		if (f->type == HEAP_FT_NAME)
			same = !strncmp(a->name, b->name, sizeof a->name);
		else if (f->type == HEAP_FT_ADDR)
			same = addr_same(heap_field_get(a, f), heap_field_get(b, f), ctx);
		else if (f->type == HEAP_FT_CODE)
			same = caller_same(heap_field_get(a, f), heap_field_get(b, f), ctx);
		else
			same = heap_field_get(a, f) == heap_field_get(b, f);
		if (!same)
			m |= diff_bit(f->offset);
	}
	return m;
}

int diff_fields_format(unsigned kind, unsigned mask, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = 0;
	for (unsigned f = 1; f <= DIFF_F_NAME; f <<= 1) {
		if (!(mask & f))
			continue;
		const char *name = diff_field_name(kind, f);
		int w = snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
		                 name ? name : "?");
		if (w < 0)
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

cJSON *diff_event_json(const struct heap_event *ev, const trace_reader *r)
{
	/* the event line the writer writes, as an object */
	char line[TRACE_EVENT_LINE_MAX];
	cJSON *o = cJSON_ParseWithLength(line, trace_format_event(line, ev, false));
	if (!o)
		return NULL;
	/* the caller's symbol, when the trace has one: easier to read */
	if (r && ev->caller) {
		const struct trace_symbol *s = trace_reader_symbol(r, ev->caller);
		if (s)
			cJSON_AddStringToObject(o, "fn", s->fn);
	}
	return o;
}

/* ---- lockstep comparison -------------------------------------------------- */

/* One trace being streamed. */
struct diff_stream {
	trace_reader *r;
	struct diff_side *side;
	summary_acc *acc;     /* summary being accumulated */
	bool done;            /* no more events */
	struct heap_event ev; /* the event just read */
};

/* Reads the next event of s into s->ev and feeds the summary. Returns false
 * on a read error (message in err). */
static bool stream_next(struct diff_stream *s, char *err, size_t errlen)
{
	if (s->done)
		return true;
	enum trace_read_status st = trace_reader_next(s->r, &s->ev);
	if (st == TRACE_READ_EVENT) {
		s->side->events++;
		return summary_add_event(s->acc, &s->ev, trace_reader_line(s->r), err, errlen);
	}
	s->done = true;
	if (st == TRACE_READ_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(s->r));
		return false;
	}
	return true; /* EOF (AGAIN cannot happen: the readers do not follow) */
}

int diff_run(const char *base_path, const char *new_path, const struct diff_options *opt,
             struct diff_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct diff_stream s[2] = {{.side = &out->base}, {.side = &out->new}};
	const char *paths[2] = {base_path, new_path};
	int rc = HT_EXIT_BAD_INPUT;
	for (int i = 0; i < 2; i++) {
		s[i].r = trace_reader_open(paths[i], err, errlen);
		if (!s[i].r)
			goto out;
		s[i].side->header = *trace_reader_header(s[i].r);
		s[i].acc = summary_acc_create(paths[i], &s[i].side->header);
		if (!s[i].acc) {
			snprintf(err, errlen, "%s: out of memory", paths[i]);
			goto out;
		}
		summary_acc_set_symbols(s[i].acc, s[i].r); /* names the call sites */
	}
	struct diff_event_ctx ctx = {s[0].r, s[1].r, opt && opt->ignore_callers,
	                             out->base.header.heap_base, out->new.header.heap_base};
	for (;;) {
		if (!stream_next(&s[0], err, errlen) || !stream_next(&s[1], err, errlen))
			goto out;
		if (s[0].done && s[1].done)
			break;
		unsigned m = 0;
		if (!s[0].done && !s[1].done) {
			out->compared++;
			m = diff_event_compare(&s[0].ev, &s[1].ev, &ctx);
			if (m)
				out->differing++;
		}
		bool differs = m || s[0].done || s[1].done;
		if (differs && !out->diverged) {
			out->diverged = true;
			out->first_index = out->in_step;
			out->fields = m;
			out->base_has_event = !s[0].done;
			out->new_has_event = !s[1].done;
			if (!s[0].done) {
				out->base_event = s[0].ev;
				out->base_event_json = diff_event_json(&s[0].ev, s[0].r);
			}
			if (!s[1].done) {
				out->new_event = s[1].ev;
				out->new_event_json = diff_event_json(&s[1].ev, s[1].r);
			}
		}
		if (!out->diverged)
			out->in_step++;
	}
	for (int i = 0; i < 2; i++) {
		s[i].side->complete = trace_reader_complete(s[i].r);
		if (!summary_acc_finish(s[i].acc, trace_reader_line(s[i].r), &s[i].side->summary,
		                        err, errlen))
			goto out;
		s[i].side->summary.truncated = trace_reader_truncated(s[i].r);
	}
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (s[i].acc)
			summary_acc_destroy(s[i].acc);
		if (s[i].r)
			trace_reader_close(s[i].r);
	}
	return rc;
}

void diff_result_free(struct diff_result *r)
{
	trace_summary_release(&r->base.summary);
	trace_summary_release(&r->new.summary);
	cJSON_Delete(r->base_event_json);
	cJSON_Delete(r->new_event_json);
	r->base_event_json = r->new_event_json = NULL;
}

/* ---- metric table --------------------------------------------------------- */

double diff_relative(double base, double new)
{
	if (base == new)
		return 0;
	if (base == 0)
		return INFINITY;
	return (new - base) / fabs(base);
}

size_t diff_metrics(const struct diff_result *r, struct diff_metric *m)
{
	const struct trace_summary *b = &r->base.summary, *n = &r->new.summary;
	size_t k = 0;
#define METRIC(key_, label_, field_, ratio_, better_)                                              \
	m[k++] = (struct diff_metric){key_,   label_, (double)b->field_, (double)n->field_,        \
	                              ratio_, better_}
	METRIC("peak_used", "peak used bytes", peak_used, false, DIFF_LOWER_BETTER);
	METRIC("peak_live_blocks", "peak live blocks", peak_live_blocks, false, DIFF_LOWER_BETTER);
	METRIC("used_end", "used bytes at end", used_end, false, DIFF_LOWER_BETTER);
	METRIC("frag_end", "fragmentation at end", frag_end, true, DIFF_LOWER_BETTER);
	METRIC("frag_max", "fragmentation, maximum", frag_max, true, DIFF_LOWER_BETTER);
	METRIC("frag_at_peak", "fragmentation at peak used", frag_at_peak, true, DIFF_LOWER_BETTER);
	METRIC("largest_free_end", "largest free block at end", largest_free_end, false,
	       DIFF_HIGHER_BETTER);
	METRIC("largest_free_min", "largest free block, minimum", largest_free_min, false,
	       DIFF_HIGHER_BETTER);
	METRIC("alloc_failures", "alloc failures", alloc_failures, false, DIFF_LOWER_BETTER);
	METRIC("leaked_blocks", "leaked blocks", leaked_blocks, false, DIFF_LOWER_BETTER);
	METRIC("leaked_bytes", "leaked bytes", leaked_bytes, false, DIFF_LOWER_BETTER);
	METRIC("examined_avg", "free blocks examined per alloc, avg", examined_avg, false,
	       DIFF_LOWER_BETTER);
	METRIC("examined_worst", "free blocks examined per alloc, worst", examined_worst, false,
	       DIFF_LOWER_BETTER);
	METRIC("dropped", "events dropped", dropped, false, DIFF_LOWER_BETTER);
	METRIC("impossible", "impossible events", impossible, false, DIFF_LOWER_BETTER);
	METRIC("events", "events", events, false, DIFF_NEUTRAL);
#undef METRIC
	/* events by kind: keys "events_alloc", labels "  alloc events" */
	static char keys[HEAP_EV_COUNT][32], labels[HEAP_EV_COUNT][40];
	for (unsigned kind = 0; kind < HEAP_EV_COUNT; kind++) {
		snprintf(keys[kind], sizeof keys[kind], "events_%s", heap_event_kind_name(kind));
		snprintf(labels[kind], sizeof labels[kind], "  %s events",
		         heap_event_kind_name(kind));
		enum diff_better better = kind == HEAP_EV_ALLOC_FAIL || kind == HEAP_EV_DROP
		                              ? DIFF_LOWER_BETTER
		                              : DIFF_NEUTRAL;
		m[k++] = (struct diff_metric){
		    keys[kind], labels[kind], (double)b->by_kind[kind], (double)n->by_kind[kind],
		    false,      better};
	}
	return k;
}

/* ---- call stacks that changed --------------------------------------------- */

/* A stack of one trace under its name. */
struct named_site {
	char *name; /* functions from the caller outward, ';'-separated (owned) */
	bool is_new;
	const callstacks *stacks;
	const struct callstack_site *site;
};

/* The name diff_sites matches stacks by, malloc'd; NULL when out of memory. */
static char *site_name(const callstacks *c, const struct callstack_site *site)
{
	size_t cap = 256, len = 0;
	char *name = malloc(cap);
	for (uint32_t d = 0; name && d < site->depth; d++) {
		const struct callstack_frame *f = callstacks_frame(c, site->frames[d]);
		for (uint32_t k = 0; k <= f->n_inlined; k++) {
			char addr[24];
			const char *fn = k ? f->inlined[k - 1].fn : f->fn;
			if (!strcmp(fn, "??")) {
				snprintf(addr, sizeof addr, "0x%" PRIx64, site->frames[d]);
				fn = addr;
			}
			size_t need = len + strlen(fn) + 2;
			if (need > cap) {
				char *grown = realloc(name, cap = 2 * need);
				if (!grown) {
					free(name);
					return NULL;
				}
				name = grown;
			}
			len += (size_t)sprintf(name + len, "%s%s", len ? ";" : "", fn);
		}
	}
	return name;
}

static int by_name(const void *x, const void *y)
{
	const struct named_site *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (int)a->is_new - (int)b->is_new;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static int by_change(const void *x, const void *y)
{
	const struct diff_site *a = x, *b = y;
	static const enum cs_field order[] = {CS_BYTES, CS_PEAK, CS_ALLOCS, CS_LEAKED};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		uint64_t da = absdiff(a->base[order[i]], a->new[order[i]]);
		uint64_t db = absdiff(b->base[order[i]], b->new[order[i]]);
		if (da != db)
			return da < db ? 1 : -1;
	}
	return 0;
}

size_t diff_sites(const struct diff_result *r, struct diff_site *out, size_t max)
{
	const callstacks *side[2] = {r->base.summary.stacks, r->new.summary.stacks};
	size_t n = 0, total = 0;
	for (int i = 0; i < 2; i++)
		total += side[i] ? callstacks_count(side[i]) : 0;
	struct named_site *all = calloc(total ? total : 1, sizeof *all);
	struct diff_site *changed = calloc(total ? total : 1, sizeof *changed);
	size_t nchanged = SIZE_MAX;
	if (!all || !changed)
		goto out;
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; side[i] && k < callstacks_count(side[i]); k++) {
			const struct callstack_site *site = callstacks_site(side[i], k);
			all[n] =
			    (struct named_site){site_name(side[i], site), i == 1, side[i], site};
			if (!all[n++].name)
				goto out;
		}
	qsort(all, n, sizeof *all, by_name);
	nchanged = 0;
	for (size_t i = 0; i < n;) {
		struct diff_site d = {0};
		size_t j = i;
		for (; j < n && !strcmp(all[j].name, all[i].name); j++) {
			uint64_t *v = all[j].is_new ? d.new : d.base;
			for (unsigned f = 0; f < CS_FIELDS; f++)
				v[f] += all[j].site->v[f];
			*(all[j].is_new ? &d.in_new : &d.in_base) = true;
			if (!d.site || all[j].is_new) {
				d.site = all[j].site;
				d.stacks = all[j].stacks;
			}
		}
		i = j;
		if (d.base[CS_ALLOCS] != d.new[CS_ALLOCS] || d.base[CS_BYTES] != d.new[CS_BYTES] ||
		    d.base[CS_PEAK] != d.new[CS_PEAK] || d.base[CS_LEAKED] != d.new[CS_LEAKED])
			changed[nchanged++] = d;
	}
	qsort(changed, nchanged, sizeof *changed, by_change);
	memcpy(out, changed, (nchanged < max ? nchanged : max) * sizeof *out);
out:
	for (size_t i = 0; all && i < n; i++)
		free(all[i].name);
	free(all);
	free(changed);
	return nchanged;
}

/* ---- thresholds ----------------------------------------------------------- */

void diff_thresholds_init(struct diff_thresholds *t)
{
	memset(t, 0, sizeof *t);
	t->max_peak_growth = DIFF_OFF;
	t->max_frag_growth = DIFF_OFF;
	t->max_examined_growth = DIFF_OFF;
}

void diff_thresholds_default(struct diff_thresholds *t)
{
	diff_thresholds_init(t);
	t->max_peak_growth = DIFF_DEFAULT_PEAK_GROWTH;
	t->max_frag_growth = DIFF_DEFAULT_FRAG_GROWTH;
	t->max_examined_growth = DIFF_DEFAULT_EXAMINED_GROWTH;
	t->fail_on_new_failures = true;
	t->fail_on_new_leaks = true;
	t->fail_on_incomplete = true;
}

bool diff_thresholds_are_default(const struct diff_thresholds *t)
{
	struct diff_thresholds d;
	diff_thresholds_default(&d);
	return t->max_peak_growth == d.max_peak_growth && t->max_frag_growth == d.max_frag_growth &&
	       t->max_examined_growth == d.max_examined_growth &&
	       t->fail_on_new_failures == d.fail_on_new_failures &&
	       t->fail_on_new_leaks == d.fail_on_new_leaks &&
	       t->fail_on_divergence == d.fail_on_divergence &&
	       t->fail_on_incomplete == d.fail_on_incomplete;
}

bool diff_limit_parse(const char *s, enum diff_limit_unit unit, double *out, char *err,
                      size_t errlen)
{
	const char *how = unit == DIFF_UNIT_PERCENT ? "a percentage (5 or 5% both mean 5%), or off"
	                                            : "a fraction from 0 to 1 (0.05 or 5%), or off";
	if (!strcmp(s, "off")) {
		*out = DIFF_OFF;
		return true;
	}
	/* a plain decimal: digits with at most one point, then at most one '%'
	 * (strtod alone would take "nan", "inf", "1e3", "0x10" and blanks) */
	size_t digits = strspn(s, "0123456789");
	size_t len = digits;
	if (s[len] == '.') {
		size_t frac = strspn(s + len + 1, "0123456789");
		digits += frac;
		len += 1 + frac;
	}
	bool percent = s[len] == '%';
	if (digits == 0 || s[len + percent] != 0) {
		snprintf(err, errlen, "'%s' is %s; expected %s", s,
		         s[0] == '-' ? "negative" : "not a number", how);
		return false;
	}
	double v = strtod(s, NULL);
	if (percent || unit == DIFF_UNIT_PERCENT)
		v /= 100;
	if (!isfinite(v)) {
		snprintf(err, errlen, "'%s' is too large; expected %s", s, how);
		return false;
	}
	if (unit == DIFF_UNIT_FRACTION && v > 1) {
		snprintf(err, errlen, "'%s' is above 1; expected %s", s, how);
		return false;
	}
	*out = v;
	return true;
}

/* Appends one option to buf at *n (snprintf-like accounting). */
static void append_option(char *buf, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append_option(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	if (*n)
		*n += (size_t)snprintf(buf + *n, *n < len ? len - *n : 0, " ");
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, *n < len ? len - *n : 0, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w;
}

/* One numeric limit as its option: "--max-peak-growth 5%" or "... off". */
static void append_limit(char *buf, size_t len, size_t *n, const char *opt, double v,
                         enum diff_limit_unit unit)
{
	if (v < 0)
		append_option(buf, len, n, "%s off", opt);
	else if (unit == DIFF_UNIT_PERCENT)
		append_option(buf, len, n, "%s %.6g%%", opt, v * 100);
	else
		append_option(buf, len, n, "%s %.6g", opt, v);
}

int diff_thresholds_format(const struct diff_thresholds *t, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = 0;
	append_limit(buf, len, &n, "--max-peak-growth", t->max_peak_growth, DIFF_UNIT_PERCENT);
	append_limit(buf, len, &n, "--max-frag-growth", t->max_frag_growth, DIFF_UNIT_FRACTION);
	append_limit(buf, len, &n, "--max-examined-growth", t->max_examined_growth,
	             DIFF_UNIT_PERCENT);
	append_option(buf, len, &n, "--%sfail-on-new-failures",
	              t->fail_on_new_failures ? "" : "no-");
	append_option(buf, len, &n, "--%sfail-on-new-leaks", t->fail_on_new_leaks ? "" : "no-");
	append_option(buf, len, &n, "--%sfail-on-divergence", t->fail_on_divergence ? "" : "no-");
	append_option(buf, len, &n, "--%sfail-on-incomplete", t->fail_on_incomplete ? "" : "no-");
	return (int)n;
}

#define DIFF_EPSILON 1e-9 /* ratios equal to a limit are within it */

static size_t add_violation(struct diff_violation *v, size_t n, const char *rule, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));

static size_t add_violation(struct diff_violation *v, size_t n, const char *rule, const char *fmt,
                            ...)
{
	if (n >= DIFF_VIOLATIONS_MAX)
		return n;
	v[n].rule = rule;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v[n].what, sizeof v[n].what, fmt, ap);
	va_end(ap);
	return n + 1;
}

/* "12.5%" or "new (BASE was 0)" */
static void percent_text(char *buf, size_t len, double rel)
{
	if (isinf(rel))
		snprintf(buf, len, "from 0");
	else
		snprintf(buf, len, "%.2f%%", rel * 100);
}

size_t diff_check(const struct diff_result *r, const struct diff_thresholds *t,
                  struct diff_violation *v)
{
	const struct trace_summary *b = &r->base.summary, *n = &r->new.summary;
	size_t nv = 0;
	char p[40];
	if (t->max_peak_growth >= 0) {
		double rel = diff_relative((double)b->peak_used, (double)n->peak_used);
		if (rel > t->max_peak_growth + DIFF_EPSILON) {
			percent_text(p, sizeof p, rel);
			nv = add_violation(v, nv, "max-peak-growth",
			                   "peak used bytes grew %s (limit %.6g%%): %" PRIu64
			                   " -> %" PRIu64,
			                   p, t->max_peak_growth * 100, b->peak_used, n->peak_used);
		}
	}
	if (t->max_frag_growth >= 0 &&
	    n->frag_max - b->frag_max > t->max_frag_growth + DIFF_EPSILON)
		nv = add_violation(v, nv, "max-frag-growth",
		                   "maximum fragmentation grew by %.4f (limit %.6g): %.4f -> %.4f",
		                   n->frag_max - b->frag_max, t->max_frag_growth, b->frag_max,
		                   n->frag_max);
	if (t->max_examined_growth >= 0) {
		double rel = diff_relative(b->examined_avg, n->examined_avg);
		if (rel > t->max_examined_growth + DIFF_EPSILON) {
			percent_text(p, sizeof p, rel);
			nv = add_violation(v, nv, "max-examined-growth",
			                   "free blocks examined per alloc grew %s (limit %.6g%%): "
			                   "%.2f -> %.2f",
			                   p, t->max_examined_growth * 100, b->examined_avg,
			                   n->examined_avg);
		}
	}
	if (t->fail_on_new_failures && n->alloc_failures > b->alloc_failures)
		nv = add_violation(v, nv, "fail-on-new-failures",
		                   "alloc failures %" PRIu64 " -> %" PRIu64
		                   " (first in NEW at event %" PRIu64 ")",
		                   b->alloc_failures, n->alloc_failures, n->first_failure_seq);
	if (t->fail_on_new_leaks &&
	    (n->leaked_blocks > b->leaked_blocks || n->leaked_bytes > b->leaked_bytes))
		nv = add_violation(v, nv, "fail-on-new-leaks",
		                   "leaks %" PRIu64 " blocks / %" PRIu64 " bytes -> %" PRIu64
		                   " blocks / %" PRIu64 " bytes",
		                   b->leaked_blocks, b->leaked_bytes, n->leaked_blocks,
		                   n->leaked_bytes);
	if (t->fail_on_divergence && r->diverged)
		nv = add_violation(v, nv, "fail-on-divergence",
		                   "the traces diverge at event %" PRIu64 " (in step for %" PRIu64
		                   " events)",
		                   r->first_index, r->in_step);
	/* a BASE that was cut short or panicked too is no yardstick for that */
	if (t->fail_on_incomplete && (!r->new.complete || n->panic) && r->base.complete &&
	    !b->panic)
		nv = add_violation(v, nv, "fail-on-incomplete", "NEW %s, BASE did not",
		                   !r->new.complete ? "has no end event (cut short)"
		                                    : "ended in a panic");
	return nv;
}
