/* test_diff.c - unit tests of the trace comparison (trace/diff.c) on traces made by the real
 * allocator core. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "test/test.h"
#include "tracegen.h"

#define EV_MAX 512

/* Events captured from a heap run, to be written out (maybe altered). */
struct capture {
	struct heap_event ev[EV_MAX];
	size_t n;
};

/* The generator's options: a small heap, events collected, not written. */
static const struct tracegen_opts capture_opts = {
    .heap_size = 16384, .collect = true, .workload = "unit"};

/* Runs a small deterministic workload: `rounds` allocations of growing sizes,
 * every other one freed, `fails` allocations too big to fit, then END. */
static void capture_run(struct capture *c, int rounds, int fails)
{
	struct tracegen g;
	ASSERT(tracegen_open(&g, &capture_opts));
	uint64_t p[64];
	ASSERT_LE(rounds, 64);
	for (int i = 0; i < rounds; i++)
		p[i] = tracegen_alloc(&g, 24 + 40 * (size_t)i, 16, (unsigned)i % TRACEGEN_SITES);
	for (int i = 0; i < rounds; i += 2)
		tracegen_free(&g, p[i], 24 + 40 * (size_t)i, 16, 3);
	for (int i = 0; i < fails; i++)
		ASSERT_EQ(tracegen_alloc(&g, (size_t)capture_opts.heap_size, 16, 6), 0u);
	ASSERT(tracegen_close(&g, false));
	ASSERT_LE(g.n, (size_t)EV_MAX);
	memcpy(c->ev, g.evs, g.n * sizeof *g.evs);
	c->n = g.n;
	free(g.evs);
}

static char tmp_dir[64];

/* Writes c (time scaled by time_mul) to a new file in the temp dir; returns its path. */
static const char *capture_write(const struct capture *c, const char *name, uint64_t time_mul)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];
	snprintf(path, 128, "%s/%s", tmp_dir, name);
	FILE *f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	ASSERT(tracegen_write_header(f, &capture_opts));
	for (size_t i = 0; i < c->n; i++) {
		struct heap_event ev = c->ev[i];
		ev.time *= time_mul;
		ASSERT(trace_write_event(f, &ev, false));
	}
	ASSERT_EQ(fclose(f), 0);
	return path;
}

static struct capture base_cap, new_cap;

static void run_diff(const char *a, const char *b, struct diff_result *r)
{
	char err[256];
	int rc = diff_run(a, b, NULL, r, err, sizeof err);
	ASSERT_MSG(rc == 0, "diff_run: %s", err);
}

TEST_CASE(events_differing_only_in_time_are_the_same)
{
	struct heap_event a = {.kind = HEAP_EV_ALLOC,
	                       .addr = 0x80400000,
	                       .size = 8,
	                       .block = 16,
	                       .time = 5,
	                       .instret = 7};
	struct heap_event b = a;
	b.time = 99;
	b.instret = 1000;
	struct diff_event_ctx ctx = {0};
	ASSERT_EQ(diff_event_compare(&a, &b, &ctx), 0u);
}

TEST_CASE(changed_fields_are_named_as_in_the_trace_format)
{
	struct heap_event a = {.kind = HEAP_EV_SPLIT,
	                       .addr = 0x80400000,
	                       .size = 4096,
	                       .addr2 = 0x80400040,
	                       .size2 = 4032};
	struct heap_event b = a;
	b.addr2 = 0x80400080;
	b.size2 = 3968;
	struct diff_event_ctx ctx = {0};
	unsigned m = diff_event_compare(&a, &b, &ctx);
	ASSERT_EQ(m, (unsigned)(DIFF_F_ADDR2 | DIFF_F_SIZE2));
	char buf[64];
	diff_fields_format(a.kind, m, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "rem_addr,rem_size");
}

TEST_CASE(a_different_kind_is_reported_as_kind)
{
	struct heap_event a = {.kind = HEAP_EV_ALLOC, .addr = 0x80400000};
	struct heap_event b = {.kind = HEAP_EV_FREE, .addr = 0x80400000};
	struct diff_event_ctx ctx = {0};
	ASSERT(diff_event_compare(&a, &b, &ctx) & DIFF_F_KIND);
}

TEST_CASE(callers_are_ignored_on_request)
{
	struct heap_event a = {.kind = HEAP_EV_ALLOC, .caller = 0x80201000};
	struct heap_event b = {.kind = HEAP_EV_ALLOC, .caller = 0x80201100};
	struct diff_event_ctx ctx = {0};
	ASSERT_EQ(diff_event_compare(&a, &b, &ctx), (unsigned)DIFF_F_CALLER);
	ctx.ignore_callers = true;
	ASSERT_EQ(diff_event_compare(&a, &b, &ctx), 0u);
}

TEST_CASE(identical_traces_run_in_step_to_the_end)
{
	capture_run(&base_cap, 12, 0);
	const char *a = capture_write(&base_cap, "a.jsonl", 1);
	const char *b = capture_write(&base_cap, "b.jsonl", 3); /* other timestamps */
	struct diff_result r;
	run_diff(a, b, &r);
	ASSERT(!r.diverged);
	ASSERT_EQ(r.in_step, (uint64_t)base_cap.n);
	ASSERT_EQ(r.compared, (uint64_t)base_cap.n);
	ASSERT_EQ(r.differing, 0u);
	ASSERT(r.base.complete && r.new.complete);
	ASSERT_EQ(r.base.summary.peak_used, r.new.summary.peak_used);
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	t.fail_on_divergence = true;
	t.max_peak_growth = 0;
	t.max_frag_growth = 0;
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	diff_result_free(&r);
}

TEST_CASE(an_altered_event_is_the_first_divergence)
{
	capture_run(&base_cap, 12, 0);
	new_cap = base_cap;
	/* the 5th alloc asks for a different size: same block, so the heap is unchanged */
	size_t k = 0, allocs = 0;
	for (; k < new_cap.n; k++)
		if (new_cap.ev[k].kind == HEAP_EV_ALLOC && ++allocs == 5)
			break;
	ASSERT_LT(k, new_cap.n);
	new_cap.ev[k].size -= 1;
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	ASSERT(r.diverged);
	ASSERT_EQ(r.first_index, (uint64_t)k);
	ASSERT_EQ(r.in_step, (uint64_t)k);
	ASSERT_EQ(r.fields, (unsigned)DIFF_F_SIZE);
	ASSERT_EQ(r.differing, 1u);
	ASSERT_EQ(r.base_event.size, base_cap.ev[k].size);
	ASSERT_EQ(r.new_event.size, new_cap.ev[k].size);
	ASSERT_NOT_NULL(r.base_event_json);
	ASSERT_EQ((uint64_t)cJSON_GetObjectItem(r.new_event_json, "i")->valuedouble, (uint64_t)k);
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	t.fail_on_divergence = true;
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)1);
	ASSERT_STR_EQ(v[0].rule, "fail-on-divergence");
	diff_result_free(&r);
}

TEST_CASE(a_shorter_trace_diverges_where_it_ends)
{
	capture_run(&base_cap, 12, 0);
	new_cap = base_cap;
	new_cap.n -= 3; /* cut short: no END */
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	ASSERT(r.diverged);
	ASSERT_EQ(r.first_index, (uint64_t)new_cap.n);
	ASSERT(r.base_has_event);
	ASSERT(!r.new_has_event);
	ASSERT(!r.new.complete);
	ASSERT_EQ(r.compared, (uint64_t)new_cap.n);
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	t.fail_on_incomplete = true;
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)1);
	ASSERT_STR_EQ(v[0].rule, "fail-on-incomplete");
	diff_result_free(&r);
}

TEST_CASE(peak_growth_beyond_the_limit_is_a_regression)
{
	capture_run(&base_cap, 8, 0);
	capture_run(&new_cap, 12, 0); /* more allocations: a higher peak */
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	uint64_t pb = r.base.summary.peak_used, pn = r.new.summary.peak_used;
	ASSERT_GT(pn, pb);
	double growth = (double)(pn - pb) / (double)pb;
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	t.max_peak_growth = growth * 0.99;
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)1);
	ASSERT_STR_EQ(v[0].rule, "max-peak-growth");
	t.max_peak_growth = growth; /* exactly at the limit: within it */
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	/* the other way round, NEW shrank: never a peak regression */
	diff_result_free(&r);
	run_diff(capture_write(&new_cap, "a.jsonl", 1), capture_write(&base_cap, "b.jsonl", 1), &r);
	t.max_peak_growth = 0;
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	diff_result_free(&r);
}

TEST_CASE(new_alloc_failures_fail_only_when_asked)
{
	capture_run(&base_cap, 8, 0);
	capture_run(&new_cap, 8, 2);
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	ASSERT_EQ(r.base.summary.alloc_failures, 0u);
	ASSERT_EQ(r.new.summary.alloc_failures, 2u);
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	t.fail_on_new_failures = true;
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)1);
	ASSERT_STR_EQ(v[0].rule, "fail-on-new-failures");
	diff_result_free(&r);
}

TEST_CASE(metric_table_has_deltas_for_the_summary_figures)
{
	capture_run(&base_cap, 8, 0);
	capture_run(&new_cap, 8, 2);
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	struct diff_metric m[DIFF_METRICS_MAX];
	size_t n = diff_metrics(&r, m);
	ASSERT_LE(n, (size_t)DIFF_METRICS_MAX);
	bool seen_fail = false, seen_peak = false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(m[i].key, "alloc_failures")) {
			ASSERT_EQ((int)m[i].base, 0);
			ASSERT_EQ((int)m[i].new, 2);
			seen_fail = true;
		}
		if (!strcmp(m[i].key, "peak_used")) {
			ASSERT_EQ((uint64_t)m[i].base, r.base.summary.peak_used);
			seen_peak = true;
		}
	}
	ASSERT(seen_fail && seen_peak);
	ASSERT(isinf(diff_relative(0, 2)));
	ASSERT(fabs(diff_relative(200, 210) - 0.05) < 1e-12);
	diff_result_free(&r);
}

TEST_CASE(an_unreadable_trace_is_bad_input)
{
	capture_run(&base_cap, 4, 0);
	struct diff_result r;
	char err[256];
	char missing[128];
	snprintf(missing, sizeof missing, "%s/missing.jsonl", tmp_dir);
	ASSERT_EQ(
	    diff_run(capture_write(&base_cap, "a.jsonl", 1), missing, NULL, &r, err, sizeof err),
	    2);
	ASSERT(strstr(err, "missing.jsonl") != NULL);
	diff_result_free(&r);
}

/* Parses s as a limit of unit u; asserts that it is accepted as want. */
static void limit_is(const char *s, enum diff_limit_unit u, double want)
{
	double v = -2;
	char err[160] = "";
	ASSERT_MSG(diff_limit_parse(s, u, &v, err, sizeof err), "'%s' rejected: %s", s, err);
	ASSERT_MSG(fabs(v - want) < 1e-12, "'%s' read as %g, expected %g", s, v, want);
}

/* Asserts that s is rejected as a limit of unit u, with a reason naming it. */
static void limit_is_rejected(const char *s, enum diff_limit_unit u)
{
	double v = 42;
	char err[160] = "";
	ASSERT_MSG(!diff_limit_parse(s, u, &v, err, sizeof err), "'%s' accepted as %g", s, v);
	ASSERT_EQ(v, 42.0); /* untouched */
	char quoted[64];
	snprintf(quoted, sizeof quoted, "'%s'", s);
	ASSERT_MSG(strstr(err, quoted) != NULL, "reason for '%s' does not name it: %s", s, err);
}

TEST_CASE(a_growth_limit_is_a_percentage_with_or_without_the_sign)
{
	limit_is("5", DIFF_UNIT_PERCENT, 0.05);
	limit_is("5%", DIFF_UNIT_PERCENT, 0.05);
	limit_is("0", DIFF_UNIT_PERCENT, 0);
	limit_is("0%", DIFF_UNIT_PERCENT, 0);
	limit_is("12.5", DIFF_UNIT_PERCENT, 0.125);
	limit_is(".5%", DIFF_UNIT_PERCENT, 0.005);
	limit_is("250", DIFF_UNIT_PERCENT, 2.5); /* a peak may be allowed to grow 3.5x */
	limit_is("off", DIFF_UNIT_PERCENT, DIFF_OFF);
}

TEST_CASE(a_fragmentation_limit_is_a_fraction_or_a_percentage_up_to_1)
{
	limit_is("0.05", DIFF_UNIT_FRACTION, 0.05);
	limit_is("5%", DIFF_UNIT_FRACTION, 0.05);
	limit_is("0", DIFF_UNIT_FRACTION, 0);
	limit_is("1", DIFF_UNIT_FRACTION, 1);
	limit_is("100%", DIFF_UNIT_FRACTION, 1);
	limit_is("off", DIFF_UNIT_FRACTION, DIFF_OFF);
	limit_is_rejected("5", DIFF_UNIT_FRACTION); /* 5 what? fragmentation is at most 1 */
	limit_is_rejected("1.01", DIFF_UNIT_FRACTION);
	limit_is_rejected("150%", DIFF_UNIT_FRACTION);
}

TEST_CASE(malformed_negative_and_infinite_limits_are_rejected)
{
	static const char *const bad[] = {"",      "-5", "-0.1", "abc", "5%%", "%",   "5 %",
	                                  " 5",    "5 ", "+5",   "nan", "inf", "1e3", "0x10",
	                                  "5.5.5", ".",  "5%5",  "OFF", "offf"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		limit_is_rejected(bad[i], DIFF_UNIT_PERCENT);
		limit_is_rejected(bad[i], DIFF_UNIT_FRACTION);
	}
	/* digits beyond what a double holds */
	char huge[400];
	memset(huge, '9', sizeof huge - 1);
	huge[sizeof huge - 1] = 0;
	limit_is_rejected(huge, DIFF_UNIT_PERCENT);
}

TEST_CASE(negative_limits_are_called_negative)
{
	double v;
	char err[160];
	ASSERT(!diff_limit_parse("-5", DIFF_UNIT_PERCENT, &v, err, sizeof err));
	ASSERT_MSG(strstr(err, "negative") != NULL, "%s", err);
}

TEST_CASE(the_defaults_are_the_documented_limits)
{
	struct diff_thresholds t;
	diff_thresholds_default(&t);
	ASSERT_EQ(t.max_peak_growth, 0.05);
	ASSERT_EQ(t.max_frag_growth, 0.05);
	ASSERT_EQ(t.max_examined_growth, 0.25);
	ASSERT(t.fail_on_new_failures && t.fail_on_new_leaks && t.fail_on_incomplete);
	ASSERT(!t.fail_on_divergence);
	ASSERT(diff_thresholds_are_default(&t));
	char buf[320];
	diff_thresholds_format(&t, buf, sizeof buf);
	ASSERT_STR_EQ(buf, "--max-peak-growth 5% --max-frag-growth 0.05 --max-examined-growth 25% "
	                   "--fail-on-new-failures --fail-on-new-leaks --no-fail-on-divergence "
	                   "--fail-on-incomplete");
	t.max_peak_growth = DIFF_OFF;
	ASSERT(!diff_thresholds_are_default(&t));
	diff_thresholds_format(&t, buf, sizeof buf);
	ASSERT(strstr(buf, "--max-peak-growth off ") == buf);
}

TEST_CASE(the_format_of_the_thresholds_reads_back_as_the_same_limits)
{
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	t.max_peak_growth = 0.125;
	t.max_frag_growth = 0.3;
	char buf[320];
	int n = diff_thresholds_format(&t, buf, sizeof buf);
	ASSERT_EQ((size_t)n, strlen(buf));
	ASSERT(strstr(buf,
	              "--max-peak-growth 12.5% --max-frag-growth 0.3 --max-examined-growth off") ==
	       buf);
	limit_is("12.5%", DIFF_UNIT_PERCENT, t.max_peak_growth);
	limit_is("0.3", DIFF_UNIT_FRACTION, t.max_frag_growth);
	/* too small a buffer: cut, terminated, and the length needed is still returned */
	char small[16];
	ASSERT_EQ(diff_thresholds_format(&t, small, sizeof small), n);
	ASSERT_EQ(strlen(small), sizeof small - 1);
}

TEST_CASE(the_defaults_pass_identical_traces_and_fail_a_higher_peak)
{
	capture_run(&base_cap, 8, 0);
	capture_run(&new_cap, 12, 0); /* more allocations: a much higher peak */
	struct diff_thresholds t;
	diff_thresholds_default(&t);
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	struct diff_result r;
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&base_cap, "b.jsonl", 7),
	         &r);
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0);
	diff_result_free(&r);
	run_diff(capture_write(&base_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	ASSERT_GT((double)r.new.summary.peak_used, 1.05 * (double)r.base.summary.peak_used);
	size_t nv = diff_check(&r, &t, v);
	ASSERT_GE(nv, (size_t)1);
	bool peak = false;
	for (size_t i = 0; i < nv; i++)
		peak |= !strcmp(v[i].rule, "max-peak-growth");
	ASSERT(peak);
	diff_result_free(&r);
}

TEST_CASE(an_incomplete_new_fails_only_against_a_complete_base)
{
	capture_run(&base_cap, 12, 0);
	new_cap = base_cap;
	new_cap.n -= 3; /* cut short: no END */
	struct diff_thresholds t;
	diff_thresholds_init(&t);
	t.fail_on_incomplete = true;
	struct diff_violation v[DIFF_VIOLATIONS_MAX];
	struct diff_result r;
	run_diff(capture_write(&new_cap, "a.jsonl", 1), capture_write(&new_cap, "b.jsonl", 1), &r);
	ASSERT(!r.base.complete && !r.new.complete);
	ASSERT_EQ(diff_check(&r, &t, v), (size_t)0); /* BASE is no better: no regression */
	diff_result_free(&r);
}

int main(void)
{
	snprintf(tmp_dir, sizeof tmp_dir, "/tmp/test_diff.XXXXXX");
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 1;
	}
	int rc = test_main();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_diff: could not remove %s\n", tmp_dir);
	return rc;
}
