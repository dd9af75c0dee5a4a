/* cmd_diff.c - `heaptrace diff`: compare a trace with a baseline, table or JSON, with thresholds.
 */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diff.h"

#define DIFF_ARGS "[--json] [THRESHOLDS] [--ignore-callers] BASE NEW"

#define SITES_SHOWN      10 /* changed call stacks in the table */
#define SITES_SHOWN_JSON 50 /* and in --json */

static void diff_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: heaptrace diff " DIFF_ARGS "\n\n"
	    "Compares trace NEW with trace BASE: aligns them by event index and reports the\n"
	    "first divergence (timestamps are not compared) and how far they run in step,\n"
	    "then a table of metrics, BASE vs NEW, with deltas, the call stacks whose\n"
	    "allocations, bytes, peak or leaked bytes changed (matched by function names),\n"
	    "and the verdict of the thresholds. Both are streamed.\n\n"
	    "thresholds (NEW regressed, exit 1, when it exceeds one; defaults in brackets):\n"
	    "  --max-peak-growth P        peak used bytes grow by more than P percent [5%%]\n"
	    "  --max-frag-growth F        maximum fragmentation (a fraction 0..1) grows by more\n"
	    "                             than F, absolute: 0.05 or 5%% = 5 points [0.05]\n"
	    "  --max-examined-growth P    average free blocks examined per allocation grow\n"
	    "                             by more than P percent [25%%]\n"
	    "  --fail-on-new-failures     NEW has more alloc failures than BASE [on]\n"
	    "  --fail-on-new-leaks        NEW leaks more blocks or bytes than BASE [on]\n"
	    "  --fail-on-incomplete       NEW cut short or panicked where BASE was not [on]\n"
	    "  --fail-on-divergence       any event differs [off]\n"
	    "  P is a percentage: 5 and 5%% both mean 5%%. \"off\" turns a limit off\n"
	    "  (--max-peak-growth off), --no-fail-on-... a rule; --report-only turns off\n"
	    "  every threshold not given explicitly.\n\n"
	    "other options:\n"
	    "  --json                     print the comparison as one JSON object\n"
	    "  --ignore-callers           do not compare caller addresses\n"
	    "  -h, --help                 this text\n\n"
	    "Exit status: 0 NEW is within the thresholds, 1 NEW regressed, 2 bad input\n"
	    "or usage, 3 output failed. Details: docs/diff-and-export.md.\n");
}

/* "+12.5%", "-3.0%", "0.0%", "new" (base 0) */
static void format_percent(char *buf, size_t len, double base, double new)
{
	double rel = diff_relative(base, new);
	if (isinf(rel))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%+.1f%%", rel * 100);
}

static void format_value(char *buf, size_t len, double v, bool ratio)
{
	if (ratio)
		snprintf(buf, len, "%.3f", v);
	else if (v == floor(v) && fabs(v) < 9e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.2f", v);
}

static void format_delta(char *buf, size_t len, double d, bool ratio)
{
	if (ratio)
		snprintf(buf, len, "%+.3f", d);
	else if (d == floor(d) && fabs(d) < 9e15)
		snprintf(buf, len, "%+.0f", d);
	else
		snprintf(buf, len, "%+.2f", d);
}

static void print_side(const char *role, const char *path, const struct diff_side *s)
{
	printf("%-4s %s: workload %s, %" PRIu64 " events, %s\n", role, path,
	       s->header.workload[0] ? s->header.workload : "?", s->events,
	       !s->complete           ? "INCOMPLETE (no end event)"
	       : s->summary.panic     ? "complete, but the run ended in a PANIC"
	                              : "complete");
}

static void print_event(const char *role, cJSON *ev)
{
	if (!ev) {
		printf("  %-4s (trace ended)\n", role);
		return;
	}
	char *s = cJSON_PrintUnformatted(ev);
	printf("  %-4s %s\n", role, s ? s : "?");
	free(s);
}

/* The stack of d on one line: its caller "fn (file:line)", then " <- fn" outward. */
static void site_text(const struct diff_site *d, char *buf, size_t n)
{
	const struct callstack_site *site = d->site;
	callstacks_frame_text(d->stacks, site->frames[0], buf, n);
	size_t len = strlen(buf);
	for (uint32_t k = 1; k < site->depth && len < n; k++) {
		const struct callstack_frame *f = callstacks_frame(d->stacks, site->frames[k]);
		const char *fn = f->n_inlined ? f->inlined[f->n_inlined - 1].fn : f->fn;
		if (strcmp(fn, "??"))
			len += (size_t)snprintf(buf + len, n - len, " <- %s", fn);
		else
			len +=
			    (size_t)snprintf(buf + len, n - len, " <- 0x%" PRIx64, site->frames[k]);
	}
}

/* A signed change of a figure: "+12", "-3", "=" */
static void format_change(char *buf, size_t len, uint64_t base, uint64_t new)
{
	if (base == new)
		snprintf(buf, len, "=");
	else if (new > base)
		snprintf(buf, len, "+%" PRIu64, new - base);
	else
		snprintf(buf, len, "-%" PRIu64, base - new);
}

/* The call stacks that changed, largest change first. */
static void print_sites(const struct diff_result *r)
{
	struct diff_site d[SITES_SHOWN];
	size_t n = diff_sites(r, d, SITES_SHOWN);
	if (n == SIZE_MAX) {
		printf("\ncall stacks: out of memory comparing them\n");
		return;
	}
	printf("\ncall stacks that changed: %zu%s\n", n,
	       n ? " (NEW - BASE; largest change first)" : "");
	if (!n)
		return;
	printf("  %10s %10s %8s %10s  %-5s %s\n", "bytes", "peak", "allocs", "leaked", "",
	       "call stack");
	for (size_t i = 0; i < n && i < SITES_SHOWN; i++) {
		char b[24], p[24], a[24], l[24], text[1024];
		format_change(b, sizeof b, d[i].base[CS_BYTES], d[i].new[CS_BYTES]);
		format_change(p, sizeof p, d[i].base[CS_PEAK], d[i].new[CS_PEAK]);
		format_change(a, sizeof a, d[i].base[CS_ALLOCS], d[i].new[CS_ALLOCS]);
		format_change(l, sizeof l, d[i].base[CS_LEAKED], d[i].new[CS_LEAKED]);
		site_text(&d[i], text, sizeof text);
		printf("  %10s %10s %8s %10s  %-5s %s\n", b, p, a, l,
		       !d[i].in_base  ? "new"
		       : !d[i].in_new ? "gone"
		                      : "",
		       text);
	}
	if (n > SITES_SHOWN)
		printf("  ... and %zu more\n", n - SITES_SHOWN);
}

static void print_table(const char *base_path, const char *new_path, const struct diff_result *r,
                        const struct diff_thresholds *t, const struct diff_violation *v, size_t nv)
{
	print_side("BASE", base_path, &r->base);
	print_side("NEW", new_path, &r->new);
	printf("\n");
	if (!r->diverged) {
		printf("events: in step, all %" PRIu64 " events the same (timestamps aside)\n",
		       r->compared);
	} else {
		printf("events: in step for %" PRIu64 " events; first divergence at event %" PRIu64,
		       r->in_step, r->first_index);
		if (r->base_has_event && r->new_has_event && (r->fields & DIFF_F_KIND)) {
			printf(" (kind differs: %s vs %s)\n",
			       heap_event_kind_name(r->base_event.kind),
			       heap_event_kind_name(r->new_event.kind));
		} else if (r->base_has_event && r->new_has_event) {
			char f[128];
			diff_fields_format(r->base_event.kind, r->fields, f, sizeof f);
			printf(" (%s differ%s)\n", f, strchr(f, ',') ? "" : "s");
		} else {
			printf(" (%s ended)\n", r->base_has_event ? "NEW" : "BASE");
		}
		print_event("BASE", r->base_event_json);
		print_event("NEW", r->new_event_json);
		printf("  %" PRIu64 " of %" PRIu64 " events differ at the same index", r->differing,
		       r->compared);
		if (r->base.events != r->new.events)
			printf("; lengths %" PRIu64 " vs %" PRIu64, r->base.events, r->new.events);
		printf("\n");
	}
	printf("\n%-34s %14s %14s %14s %9s\n", "metric", "BASE", "NEW", "delta", "change");
	struct diff_metric m[DIFF_METRICS_MAX];
	size_t n = diff_metrics(r, m);
	for (size_t i = 0; i < n; i++) {
		char b[32], nw[32], d[32], p[32];
		format_value(b, sizeof b, m[i].base, m[i].ratio);
		format_value(nw, sizeof nw, m[i].new, m[i].ratio);
		format_delta(d, sizeof d, m[i].new - m[i].base, m[i].ratio);
		format_percent(p, sizeof p, m[i].base, m[i].new);
		bool same = m[i].new == m[i].base;
		bool worse = !same && ((m[i].better == DIFF_LOWER_BETTER && m[i].new > m[i].base) ||
		                       (m[i].better == DIFF_HIGHER_BETTER && m[i].new < m[i].base));
		char line[256];
		snprintf(line, sizeof line, "%-34s %14s %14s %14s %9s%s", m[i].label, b, nw,
		         same ? "=" : d, same ? "" : p, worse ? "  worse" : "");
		size_t len = strlen(line);
		while (len && line[len - 1] == ' ') /* no trailing blanks */
			line[--len] = 0;
		printf("%s\n", line);
	}
	print_sites(r);
	char th[320];
	diff_thresholds_format(t, th, sizeof th);
	printf("\nthresholds%s: %s\n", diff_thresholds_are_default(t) ? " (defaults)" : "", th);
	if (nv == 0) {
		printf("verdict: OK, NEW is within the thresholds\n");
	} else {
		printf("verdict: REGRESSED\n");
		for (size_t i = 0; i < nv; i++)
			printf("  --%s: %s\n", v[i].rule, v[i].what);
	}
}

static cJSON *side_json(const char *path, const struct diff_side *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddStringToObject(o, "workload", s->header.workload);
	cJSON_AddNumberToObject(o, "events", (double)s->events);
	cJSON_AddBoolToObject(o, "complete", s->complete);
	cJSON_AddBoolToObject(o, "panic", s->summary.panic);
	cJSON_AddBoolToObject(o, "truncated", s->summary.truncated);
	return o;
}

static int print_json(const char *base_path, const char *new_path, const struct diff_result *r,
                      const struct diff_thresholds *t, const struct diff_violation *v, size_t nv)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return HT_EXIT_IO;
	cJSON_AddItemToObject(o, "base", side_json(base_path, &r->base));
	cJSON_AddItemToObject(o, "new", side_json(new_path, &r->new));
	cJSON_AddNumberToObject(o, "in_step", (double)r->in_step);
	cJSON_AddNumberToObject(o, "compared", (double)r->compared);
	cJSON_AddNumberToObject(o, "differing", (double)r->differing);
	cJSON_AddBoolToObject(o, "diverged", r->diverged);
	if (r->diverged) {
		cJSON *d = cJSON_AddObjectToObject(o, "first_divergence");
		cJSON_AddNumberToObject(d, "index", (double)r->first_index);
		cJSON *fields = cJSON_AddArrayToObject(d, "fields");
		for (unsigned f = 1; f <= DIFF_F_NAME; f <<= 1)
			if (r->fields & f) {
				const char *name = diff_field_name(r->base_event.kind, f);
				cJSON_AddItemToArray(fields, cJSON_CreateString(name ? name : "?"));
			}
		cJSON_AddItemToObject(d, "base",
		                      r->base_event_json ? cJSON_Duplicate(r->base_event_json, true)
		                                         : cJSON_CreateNull());
		cJSON_AddItemToObject(d, "new",
		                      r->new_event_json ? cJSON_Duplicate(r->new_event_json, true)
		                                        : cJSON_CreateNull());
	} else {
		cJSON_AddNullToObject(o, "first_divergence");
	}
	cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
	struct diff_metric m[DIFF_METRICS_MAX];
	size_t n = diff_metrics(r, m);
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_AddObjectToObject(metrics, m[i].key);
		cJSON_AddNumberToObject(e, "base", m[i].base);
		cJSON_AddNumberToObject(e, "new", m[i].new);
		cJSON_AddNumberToObject(e, "delta", m[i].new - m[i].base);
		double rel = diff_relative(m[i].base, m[i].new);
		if (isinf(rel))
			cJSON_AddNullToObject(e, "percent");
		else
			cJSON_AddNumberToObject(e, "percent", rel * 100);
		cJSON_AddStringToObject(e, "better",
		                        m[i].better == DIFF_LOWER_BETTER    ? "lower"
		                        : m[i].better == DIFF_HIGHER_BETTER ? "higher"
		                                                            : "neutral");
	}
	/* the call stacks that changed: [{frames: [fn...], status, base: {...}, new: {...}}] */
	struct diff_site *ds = malloc(SITES_SHOWN_JSON * sizeof *ds);
	size_t nds = ds ? diff_sites(r, ds, SITES_SHOWN_JSON) : SIZE_MAX;
	if (nds != SIZE_MAX) {
		cJSON_AddNumberToObject(o, "sites_changed_count", (double)nds);
		cJSON *arr = cJSON_AddArrayToObject(o, "sites_changed");
		for (size_t i = 0; arr && i < nds && i < SITES_SHOWN_JSON; i++) {
			cJSON *e = cJSON_CreateObject();
			char text[1024];
			site_text(&ds[i], text, sizeof text);
			cJSON_AddStringToObject(e, "stack", text);
			cJSON_AddStringToObject(e, "status",
			                        !ds[i].in_base  ? "new"
			                        : !ds[i].in_new ? "gone"
			                                        : "changed");
			static const enum cs_field shown[] = {CS_ALLOCS, CS_BYTES, CS_PEAK,
			                                      CS_LEAKED};
			for (int side = 0; side < 2; side++) {
				cJSON *v = cJSON_AddObjectToObject(e, side ? "new" : "base");
				for (size_t k = 0; v && k < sizeof shown / sizeof shown[0]; k++)
					cJSON_AddNumberToObject(
					    v, cs_field_name(shown[k]),
					    (double)(side ? ds[i].new : ds[i].base)[shown[k]]);
			}
			cJSON_AddItemToArray(arr, e);
		}
	}
	free(ds);
	/* limits in the units of the options: percent, and the fraction of frag; null = off */
	cJSON *th = cJSON_AddObjectToObject(o, "thresholds");
	cJSON_AddBoolToObject(th, "defaults", diff_thresholds_are_default(t));
	if (t->max_peak_growth >= 0)
		cJSON_AddNumberToObject(th, "max_peak_growth_percent", t->max_peak_growth * 100);
	else
		cJSON_AddNullToObject(th, "max_peak_growth_percent");
	if (t->max_frag_growth >= 0)
		cJSON_AddNumberToObject(th, "max_frag_growth", t->max_frag_growth);
	else
		cJSON_AddNullToObject(th, "max_frag_growth");
	if (t->max_examined_growth >= 0)
		cJSON_AddNumberToObject(th, "max_examined_growth_percent",
		                        t->max_examined_growth * 100);
	else
		cJSON_AddNullToObject(th, "max_examined_growth_percent");
	cJSON_AddBoolToObject(th, "fail_on_new_failures", t->fail_on_new_failures);
	cJSON_AddBoolToObject(th, "fail_on_new_leaks", t->fail_on_new_leaks);
	cJSON_AddBoolToObject(th, "fail_on_divergence", t->fail_on_divergence);
	cJSON_AddBoolToObject(th, "fail_on_incomplete", t->fail_on_incomplete);
	cJSON *vs = cJSON_AddArrayToObject(o, "violations");
	for (size_t i = 0; i < nv; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "rule", v[i].rule);
		cJSON_AddStringToObject(e, "message", v[i].what);
		cJSON_AddItemToArray(vs, e);
	}
	cJSON_AddBoolToObject(o, "regressed", nv > 0);
	char *s = cJSON_Print(o);
	cJSON_Delete(o);
	if (!s)
		return HT_EXIT_IO;
	printf("%s\n", s);
	free(s);
	return 0;
}

/* The threshold rules that can be given on the command line (a bit each). */
enum rule_bit {
	RULE_PEAK = 1u << 0,
	RULE_FRAG = 1u << 1,
	RULE_EXAMINED = 1u << 2,
	RULE_FAILURES = 1u << 3,
	RULE_LEAKS = 1u << 4,
	RULE_DIVERGENCE = 1u << 5,
	RULE_INCOMPLETE = 1u << 6,
};

/* A numeric limit option: its name, unit, rule and field. */
struct limit_option {
	const char *name;
	enum diff_limit_unit unit;
	unsigned rule;
	size_t field; /* offsetof(struct diff_thresholds, ...) */
};

static const struct limit_option limit_options[] = {
    {"--max-peak-growth", DIFF_UNIT_PERCENT, RULE_PEAK,
     offsetof(struct diff_thresholds, max_peak_growth)},
    {"--max-frag-growth", DIFF_UNIT_FRACTION, RULE_FRAG,
     offsetof(struct diff_thresholds, max_frag_growth)},
    {"--max-examined-growth", DIFF_UNIT_PERCENT, RULE_EXAMINED,
     offsetof(struct diff_thresholds, max_examined_growth)},
};

/* A rule option: "--fail-on-X" sets it, "--no-fail-on-X" clears it. */
struct rule_option {
	const char *name; /* without "--" and "no-" */
	unsigned rule;
	size_t field; /* offsetof(struct diff_thresholds, ...) */
};

static const struct rule_option rule_options[] = {
    {"fail-on-new-failures", RULE_FAILURES, offsetof(struct diff_thresholds, fail_on_new_failures)},
    {"fail-on-new-leaks", RULE_LEAKS, offsetof(struct diff_thresholds, fail_on_new_leaks)},
    {"fail-on-divergence", RULE_DIVERGENCE, offsetof(struct diff_thresholds, fail_on_divergence)},
    {"fail-on-incomplete", RULE_INCOMPLETE, offsetof(struct diff_thresholds, fail_on_incomplete)},
};

#define COUNT(a) (sizeof(a) / sizeof(a)[0])

/* The thresholds of a command line: the defaults (or every rule off with
 * --report-only), then each rule given explicitly, wherever it stands. */
static void thresholds_resolve(struct diff_thresholds *t, const struct diff_thresholds *given,
                               unsigned given_rules, bool report_only)
{
	if (report_only)
		diff_thresholds_init(t);
	else
		diff_thresholds_default(t);
	for (size_t i = 0; i < COUNT(limit_options); i++)
		if (given_rules & limit_options[i].rule)
			memcpy((char *)t + limit_options[i].field,
			       (const char *)given + limit_options[i].field, sizeof(double));
	for (size_t i = 0; i < COUNT(rule_options); i++)
		if (given_rules & rule_options[i].rule)
			memcpy((char *)t + rule_options[i].field,
			       (const char *)given + rule_options[i].field, sizeof(bool));
}

static int cmd_diff(int argc, char **argv)
{
	struct diff_thresholds given, t;
	unsigned given_rules = 0;
	bool report_only = false;
	struct diff_options opt = {0};
	bool json = false;
	const char *paths[2];
	int npaths = 0;
	diff_thresholds_init(&given);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		char name[40];
		/* --name=value or --name value */
		const char *eq = strchr(a, '=');
		if (a[0] == '-' && a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			val = eq + 1;
			a = name;
		}
		const struct limit_option *lim = NULL;
		for (size_t k = 0; k < COUNT(limit_options); k++)
			if (!strcmp(a, limit_options[k].name))
				lim = &limit_options[k];
		if (lim) {
			if (!val) {
				if (i + 1 >= argc) {
					fprintf(stderr, "heaptrace diff: %s: needs a value\n", a);
					return HT_EXIT_BAD_INPUT;
				}
				val = argv[++i];
			}
			char why[160];
			double v;
			if (!diff_limit_parse(val, lim->unit, &v, why, sizeof why)) {
				fprintf(stderr, "heaptrace diff: %s: %s\n", a, why);
				return HT_EXIT_BAD_INPUT;
			}
			memcpy((char *)&given + lim->field, &v, sizeof v);
			given_rules |= lim->rule;
			continue;
		}
		if (val) {
			fprintf(stderr, "heaptrace diff: %s: takes no value\n", a);
			return HT_EXIT_BAD_INPUT;
		}
		const struct rule_option *rule = NULL;
		bool on = true;
		if (a[0] == '-' && a[1] == '-')
			for (size_t k = 0; k < COUNT(rule_options); k++) {
				if (!strcmp(a + 2, rule_options[k].name))
					rule = &rule_options[k];
				else if (!strncmp(a + 2, "no-", 3) &&
				         !strcmp(a + 5, rule_options[k].name)) {
					rule = &rule_options[k];
					on = false;
				}
			}
		if (rule) {
			memcpy((char *)&given + rule->field, &on, sizeof on);
			given_rules |= rule->rule;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--report-only")) {
			report_only = true;
		} else if (!strcmp(a, "--ignore-callers")) {
			opt.ignore_callers = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			diff_usage(stdout);
			return HT_EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "heaptrace diff: unknown option '%s' (try --help)\n", a);
			return HT_EXIT_BAD_INPUT;
		} else if (npaths < 2) {
			paths[npaths++] = a;
		} else {
			fprintf(stderr, "heaptrace diff: too many arguments: '%s'\n", a);
			return HT_EXIT_BAD_INPUT;
		}
	}
	if (npaths != 2) {
		diff_usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	if (!strcmp(paths[0], "-") && !strcmp(paths[1], "-")) {
		fprintf(stderr, "heaptrace diff: only one of BASE and NEW can be stdin (\"-\")\n");
		return HT_EXIT_BAD_INPUT;
	}
	thresholds_resolve(&t, &given, given_rules, report_only);

	struct diff_result r;
	char err[512];
	int rc = diff_run(paths[0], paths[1], &opt, &r, err, sizeof err);
	if (rc) {
		fprintf(stderr, "heaptrace diff: %s\n", err);
		diff_result_free(&r);
		return rc;
	}
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	size_t nv = diff_check(&r, &t, v);
	if (json)
		rc = print_json(paths[0], paths[1], &r, &t, v, nv);
	else
		print_table(paths[0], paths[1], &r, &t, v, nv);
	diff_result_free(&r);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "heaptrace diff: stdout: write failed\n");
		return HT_EXIT_IO;
	}
	if (rc)
		return rc;
	return nv ? HT_EXIT_VERDICT : HT_EXIT_OK;
}

HEAPTRACE_COMMAND(diff, "[--json] [THRESHOLDS] BASE NEW",
                  "compare a trace with a baseline (regression check)", cmd_diff);
