#!/usr/bin/env bash
# diff_test.sh - `heaptrace diff` from the command line: in step, first divergence, the default
# thresholds and their syntax, exit codes 0/1/2, and --json read by jq (not ours).
#
# Kept fast on a loaded machine, where each start of python3 can cost a second: every derived
# trace (altered, shifted, the mutations) is written by one python3 run, --json is checked with
# jq, and the mutations run four at a time.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace
MAKE=${MAKE:-make}
MUTATIONS=40

# the base workload: at most 64 blocks live at once
"$GEN" --seed 7 --ops 1500 --live 64 -o "$T/base.jsonl" || { no gen_trace_makes_the_base_trace; test_finish; }
"$GEN" --seed 7 --ops 1500 --live 64 --time-scale 37 -o "$T/same.jsonl"
"$GEN" --seed 7 --ops 1500 --live 400 -o "$T/grown.jsonl"            # a higher peak
"$GEN" --seed 7 --ops 1500 --live 64 --big 2 -o "$T/fails.jsonl"     # two failed allocations
"$GEN" --seed 7 --ops 1500 --live 64 --leak 3 -o "$T/leaks.jsonl"    # three blocks never freed
"$GEN" --seed 7 --ops 1500 --live 64 --no-end -o "$T/cut.jsonl"      # cut short
"$GEN" --seed 5 --ops 200 --big 1 --leak 2 -o "$T/f.jsonl"           # the one to mutate
events=$(grep -c '"i":' "$T/base.jsonl")

# Derived traces, all from one python3 run (each start costs up to seconds on a busy host):
#  alt.jsonl      the size asked by the alloc at event K, one byte less (same block, same heap)
#  shifted.jsonl  every heap address moved by 0x3000 (a kernel whose heap moved)
#  m1..mN.jsonl   f.jsonl with bytes changed, cut or inserted
# Prints K.
K=$(python3 - "$T" "$MUTATIONS" <<'EOF'
import json, random, re, sys
d, mutations = sys.argv[1], int(sys.argv[2])
lines = open(d + "/base.jsonl").read().splitlines(True)
out, k = [], None
for line in lines:
    e = json.loads(line)
    if k is None and e.get("k") == "alloc" and e["i"] >= 500 and e["size"] % 16 != 1:
        k = e["i"]
        line = line.replace('"size":%d,' % e["size"], '"size":%d,' % (e["size"] - 1), 1)
    out.append(line)
open(d + "/alt.jsonl", "w").write("".join(out))

def move(m):
    v = int(m.group(2), 16)
    if 0x80400000 <= v < 0x80500000:
        v += 0x3000
    return '"%s":"0x%x"' % (m.group(1), v)
open(d + "/shifted.jsonl", "w").write("".join(
    re.sub(r'"(heap_base|addr|rem_addr|freed_addr|old_addr)":"0x([0-9a-f]+)"', move, l)
    for l in lines))

src = open(d + "/f.jsonl", "rb").read()
for i in range(1, mutations + 1):
    random.seed(i)
    b = bytearray(src)
    for _ in range(random.randint(1, 6)):
        p = random.randrange(len(b))
        op = random.random()
        if op < 0.4:
            b[p] = random.choice(b'0123456789abcdefx"{}:,-\n e')
        elif op < 0.7:
            del b[p:p + random.randint(1, 40)]
        else:
            b[p:p] = random.choice([b'"k":"free",', b"1", b"\n", b'{"i":5,"k":"end"}\n', b'"addr":"0x0",'])
    open("%s/m%d.jsonl" % (d, i), "wb").write(bytes(b))
print(k)
EOF
)

# ---- in step and the first divergence ----------------------------------------------
expect identical_traces_exit_0 0 "$HT" diff --fail-on-divergence --max-peak-growth 0% "$T/base.jsonl" "$T/same.jsonl"
name=identical_traces_are_reported_in_step
if grep -q "in step, all $events events the same" "$T/out" && grep -q "verdict: OK" "$T/out"; then
	ok $name
else
	no $name "$(head -5 "$T/out")"
fi

expect altered_event_within_the_default_thresholds_exits_0 0 "$HT" diff "$T/base.jsonl" "$T/alt.jsonl"
name=altered_event_is_the_first_divergence
if grep -q "in step for $K events; first divergence at event $K (size differs)" "$T/out"; then
	ok $name
else
	no $name "$(grep -m1 divergence "$T/out")"
fi
expect altered_event_with_fail_on_divergence_exits_1 1 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/alt.jsonl"

name=json_output_parses_and_names_the_divergence
"$HT" diff --json --fail-on-divergence "$T/base.jsonl" "$T/alt.jsonl" >"$T/d.json"
if jq -e --argjson k "$K" --argjson events "$events" '
	.first_divergence as $fd | .metrics.peak_used as $m |
	.diverged == true and .in_step == $k and $fd.index == $k and $fd.fields == ["size"] and
	$fd.base.i == $k and $fd.new.size == $fd.base.size - 1 and
	.base.events == $events and .new.events == $events and
	.differing == 1 and .compared == $events and
	.regressed == true and .violations[0].rule == "fail-on-divergence" and
	$m.delta == $m.new - $m.base and $m.better == "lower" and
	(.metrics | has("events_alloc") and has("frag_max"))' "$T/d.json" >/dev/null; then
	ok $name
else
	no $name
fi

# ---- the default thresholds ----------------------------------------------------------
# No flags: what a CI user calls a regression fails. The committed samples: frag against
# churn has a 4.6x peak, fragmentation 0.98 against 0.17 and a failed allocation.
expect another_workload_fails_the_default_thresholds 1 "$HT" diff samples/baseline/churn.jsonl samples/baseline/frag.jsonl
name=default_thresholds_are_printed_with_the_table
if grep -qx "thresholds (defaults): --max-peak-growth 5% --max-frag-growth 0.05 --max-examined-growth 25% --fail-on-new-failures --fail-on-new-leaks --no-fail-on-divergence --fail-on-incomplete" "$T/out"; then
	ok $name
else
	no $name "$(grep thresholds "$T/out")"
fi
name=default_violations_name_peak_fragmentation_and_failures
if grep -q -- "--max-peak-growth: peak used bytes grew .* (limit 5%)" "$T/out" &&
	grep -q -- "--max-frag-growth: maximum fragmentation grew by .* (limit 0.05)" "$T/out" &&
	grep -q -- "--fail-on-new-failures: alloc failures 0 -> 1" "$T/out"; then
	ok $name
else
	no $name "$(sed -n '/^verdict/,$p' "$T/out")"
fi
name=make_diff_fails_on_another_workload
if ! $MAKE --no-print-directory -s diff BUILD="$BUILD" A=samples/baseline/churn.jsonl \
	B=samples/baseline/frag.jsonl >"$T/out" 2>&1 && grep -q "verdict: REGRESSED" "$T/out"; then
	ok $name
else
	no $name "$(tail -3 "$T/out")"
fi
name=make_diff_of_a_trace_with_itself_passes
if $MAKE --no-print-directory -s diff BUILD="$BUILD" A=samples/baseline/churn.jsonl \
	B=samples/baseline/churn.jsonl >"$T/out" 2>&1; then
	ok $name
else
	no $name "$(tail -3 "$T/out")"
fi
# every committed trace diffed with itself passes the defaults: also the one that ends in a
# panic (BASE panicked too) and the one with dropped events
name=every_committed_sample_diffed_with_itself_exits_0
bad=
for f in samples/*.jsonl samples/baseline/*.jsonl; do
	"$HT" diff "$f" "$f" >/dev/null 2>&1 || bad="$bad $f:$?"
done
if [ -z "$bad" ]; then ok $name; else no $name "$bad"; fi

# the default rules one by one: each fails alone, and each can be turned off
expect new_failures_fail_by_default 1 "$HT" diff "$T/base.jsonl" "$T/fails.jsonl"
name=new_failures_are_the_violation
if grep -q -- "^  --fail-on-new-failures: alloc failures 0 -> 2" "$T/out"; then ok $name; else no $name "$(sed -n '/^verdict/,$p' "$T/out")"; fi
expect new_failures_alone_exit_1 1 "$HT" diff --report-only --fail-on-new-failures "$T/base.jsonl" "$T/fails.jsonl"
expect new_leaks_fail_by_default 1 "$HT" diff "$T/base.jsonl" "$T/leaks.jsonl"
name=new_leaks_are_the_violation
if grep -q -- "^  --fail-on-new-leaks: leaks 0 blocks / 0 bytes -> 3 blocks" "$T/out"; then ok $name; else no $name "$(sed -n '/^verdict/,$p' "$T/out")"; fi
expect new_leaks_alone_exit_1 1 "$HT" diff --report-only --fail-on-new-leaks "$T/base.jsonl" "$T/leaks.jsonl"
expect fewer_leaks_pass 0 "$HT" diff --fail-on-new-leaks "$T/leaks.jsonl" "$T/base.jsonl"
expect incomplete_new_fails_by_default 1 "$HT" diff "$T/base.jsonl" "$T/cut.jsonl"
name=incomplete_new_is_reported_where_it_ends
if grep -q "(NEW ended)" "$T/out" && grep -q "INCOMPLETE" "$T/out" &&
	grep -q -- "--fail-on-incomplete: NEW has no end event" "$T/out"; then
	ok $name
else
	no $name
fi
expect incomplete_new_against_incomplete_base_passes 0 "$HT" diff "$T/cut.jsonl" "$T/cut.jsonl"
expect a_bigger_peak_fails_by_default 1 "$HT" diff "$T/base.jsonl" "$T/grown.jsonl"
name=rules_turned_off_are_not_checked
"$HT" diff --json --max-peak-growth off --max-frag-growth=off --max-examined-growth off \
	--no-fail-on-new-failures "$T/base.jsonl" "$T/grown.jsonl" >"$T/off.json"
rc=$?
if [ $rc = 0 ] && jq -e '.thresholds as $t |
	$t.max_peak_growth_percent == null and $t.max_frag_growth == null and
	$t.max_examined_growth_percent == null and $t.fail_on_new_failures == false and
	$t.fail_on_new_leaks == true and $t.defaults == false and
	.violations == [] and .regressed == false' "$T/off.json" >/dev/null; then
	ok $name
else
	no $name "exit $rc"
fi
expect report_only_never_fails 0 "$HT" diff --report-only "$T/base.jsonl" "$T/grown.jsonl"
name=report_only_says_every_threshold_is_off
if grep -q "^thresholds: --max-peak-growth off --max-frag-growth off --max-examined-growth off --no-fail-on-new-failures --no-fail-on-new-leaks --no-fail-on-divergence --no-fail-on-incomplete$" "$T/out"; then
	ok $name
else
	no $name "$(grep thresholds "$T/out")"
fi
expect report_only_keeps_the_thresholds_given 1 "$HT" diff --max-peak-growth 5 --report-only "$T/base.jsonl" "$T/grown.jsonl"

# ---- peak and fragmentation limits, and how they are written -------------------------
# base vs grown: the thresholds in JSON (the defaults, in the options' units); the peak
# growth in percent, with limits 10% below and above it; the growth of maximum fragmentation
# (absolute), with limits below and above, and whether NEW is the less fragmented (then
# the pair is swapped so that NEW is the more fragmented)
"$HT" diff --json "$T/base.jsonl" "$T/grown.jsonl" >"$T/g.json"
name=json_lists_the_default_thresholds_in_the_units_of_the_options
if jq -e '.thresholds == {"defaults": true, "max_peak_growth_percent": 5,
	"max_frag_growth": 0.05, "max_examined_growth_percent": 25,
	"fail_on_new_failures": true, "fail_on_new_leaks": true,
	"fail_on_divergence": false, "fail_on_incomplete": true}' "$T/g.json" >/dev/null; then
	ok $name
else
	no $name "$(jq -c .thresholds "$T/g.json")"
fi
read -r pb pn below above swap lo hi < <(jq -r '
	def dec: . * 10000 | round / 10000;
	.metrics.peak_used as $p | .metrics.frag_max as $f |
	(($p.new - $p.base) * 100 / $p.base) as $pct | ($f.new - $f.base | fabs) as $g |
	[$p.base, $p.new, ($pct * 0.9 | dec), ($pct * 1.1 + 0.01 | dec), $f.new < $f.base,
	 ($g * 0.5 | dec), ($g + 0.001 | dec)] | @tsv' "$T/g.json")
lowf=$T/base.jsonl highf=$T/grown.jsonl
if [ "${swap:-}" = true ]; then lowf=$T/grown.jsonl highf=$T/base.jsonl; fi
name=bigger_workload_has_a_higher_peak
if [ "${pn:-0}" -gt "${pb:-0}" ]; then ok $name; else no $name "${pb:-?} -> ${pn:-?}"; fi
expect peak_growth_over_the_limit_exits_1 1 "$HT" diff --report-only --max-peak-growth "$below%" "$T/base.jsonl" "$T/grown.jsonl"
name=peak_growth_violation_is_explained
if grep -q -- "--max-peak-growth: peak used bytes grew" "$T/out" && grep -q "verdict: REGRESSED" "$T/out"; then
	ok $name
else
	no $name
fi
expect peak_growth_within_the_limit_exits_0 0 "$HT" diff --report-only --max-peak-growth "$above%" "$T/base.jsonl" "$T/grown.jsonl"
# a bare number is a percentage too (it once was a fraction: 5 meant 500%)
expect bare_number_over_the_growth_is_a_percentage_and_fails 1 "$HT" diff --report-only --max-peak-growth "$below" "$T/base.jsonl" "$T/grown.jsonl"
expect bare_number_above_the_growth_is_a_percentage_and_passes 0 "$HT" diff --report-only --max-peak-growth="$above" "$T/base.jsonl" "$T/grown.jsonl"
expect shrinking_is_not_a_regression 0 "$HT" diff --max-peak-growth 0% "$T/grown.jsonl" "$T/base.jsonl"

name=fragmentation_pair_differs
if awk -v g="${lo:-0}" 'BEGIN { exit !(g > 0.0005) }'; then
	ok $name
	expect frag_growth_over_the_limit_exits_1 1 "$HT" diff --report-only --max-frag-growth "$lo" "$lowf" "$highf"
	expect frag_growth_within_the_limit_exits_0 0 "$HT" diff --report-only --max-frag-growth "$hi" "$lowf" "$highf"
else
	no $name "maximum fragmentation barely differs; the test needs another workload pair"
fi
name=frag_limit_in_percent_is_the_same_fraction
if [ "$("$HT" diff --json --max-frag-growth 5% "$T/base.jsonl" "$T/same.jsonl" | jq .thresholds.max_frag_growth)" = 0.05 ]; then
	ok $name
else
	no $name
fi

# malformed or out-of-range limits: exit 2, the option and the value named on stderr
# (every form of limit is in test_diff's diff_limit_parse tests; these check the wiring)
# bad_limit NAME OPTION WHY VALUE...: every VALUE of OPTION exits 2 with
# "heaptrace diff: OPTION: 'VALUE' is WHY" (WHY a grep pattern) on stderr
bad_limit() {
	local name=$1 opt=$2 why=$3 v rc bad=
	shift 3
	for v in "$@"; do
		"$HT" diff "$opt" "$v" "$T/base.jsonl" "$T/same.jsonl" >/dev/null 2>"$T/err"
		rc=$?
		if [ $rc != 2 ] || ! grep -q "^heaptrace diff: $opt: '$v' is $why" "$T/err"; then
			bad="$bad [$v]:$rc"
		fi
	done
	if [ -z "$bad" ]; then ok $name; else no $name "$bad $(head -1 "$T/err")"; fi
}
bad_limit malformed_limits_exit_2_with_the_option_named --max-peak-growth ".*expected a percentage" \
	-5 abc 5%% nan ''
bad_limit fragmentation_limit_above_1_exits_2 --max-frag-growth "above 1; expected a fraction" 150% 5
expect negative_examined_limit_exits_2 2 "$HT" diff --max-examined-growth=-1% "$T/base.jsonl" "$T/same.jsonl"
expect a_rule_takes_no_value 2 "$HT" diff --fail-on-new-leaks=yes "$T/base.jsonl" "$T/same.jsonl"

# ---- callers and addresses -----------------------------------------------------------
# a rebuilt kernel: callers moved but resolve to the same functions -> still in step;
# a caller that resolves to another function -> a caller difference
sed 's/0x8020100c/0x80201018/g' "$T/base.jsonl" >"$T/moved.jsonl"
expect moved_callers_of_the_same_function_stay_in_step 0 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/moved.jsonl"
sed 's/"fn":"churn_small"/"fn":"churn_tiny"/' "$T/moved.jsonl" >"$T/renamed.jsonl"
expect callers_of_another_function_diverge 1 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/renamed.jsonl"
name=caller_difference_is_named
if grep -q "(caller differs)" "$T/out"; then ok $name; else no $name "$(grep -m1 divergence "$T/out")"; fi
expect ignore_callers_stays_in_step 0 "$HT" diff --ignore-callers --fail-on-divergence "$T/base.jsonl" "$T/renamed.jsonl"

# a kernel whose heap moved: every address shifted by the same amount -> still in step
expect moved_heap_stays_in_step 0 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/shifted.jsonl"
name=moved_heap_is_not_a_difference
if grep -q "in step, all $events events" "$T/out"; then ok $name; else no $name "$(sed -n 4p "$T/out")"; fi

# ---- bad input and usage: exit 2 with the place named --------------------------------
expect missing_file_exits_2 2 "$HT" diff "$T/base.jsonl" "$T/nope.jsonl"
sed '100s/.*/{"i":99,"k":"alloc","t":1}/' "$T/base.jsonl" >"$T/broken.jsonl"
expect malformed_event_exits_2 2 "$HT" diff "$T/base.jsonl" "$T/broken.jsonl"
name=malformed_event_is_reported_with_file_and_line
if grep -q "broken.jsonl:100" "$T/err"; then ok $name; else no $name "$(cat "$T/err")"; fi
echo "not a trace" >"$T/junk.jsonl"
expect not_a_trace_exits_2 2 "$HT" diff "$T/junk.jsonl" "$T/base.jsonl"
expect one_argument_exits_2 2 "$HT" diff "$T/base.jsonl"
expect unknown_option_exits_2 2 "$HT" diff --frobnicate "$T/base.jsonl" "$T/same.jsonl"
expect both_stdin_exits_2 2 "$HT" diff - -
expect help_exits_0 0 "$HT" diff --help

# mutated traces (bytes changed, cut, inserted): diff and export say what is wrong or
# cope, but never crash (sanitizers on) and never exit with anything but 0, 1 or 2.
# Four mutations at a time: the sanitized start-up dominates, and it overlaps well.
# mutation_check I: runs the four commands on mutation I, a crash reported in $T/crash.I
mutation_check() {
	local m=$T/m$1.jsonl args rc
	for args in "diff $T/f.jsonl $m" "diff --json $m $T/f.jsonl" \
		"export --format massif $m" "export --format chrome $m"; do
		# shellcheck disable=SC2086
		"$HT" $args >/dev/null 2>"$T/m$1.err"
		rc=$?
		if [ $rc -gt 2 ] || grep -q "Sanitizer\|runtime error" "$T/m$1.err"; then
			{
				echo "  mutation $1: heaptrace $args: exit $rc"
				head -3 "$T/m$1.err"
			} >>"$T/crash.$1"
		fi
	done
}
name=mutated_traces_never_crash_diff_or_export
for i in $(seq 1 $MUTATIONS); do
	mutation_check "$i" &
	if [ $((i % 4)) = 0 ]; then wait; fi
done
wait
crashes=$(cat "$T"/crash.* 2>/dev/null | grep -c "^  mutation ")
if [ "$crashes" = 0 ]; then ok $name; else no $name "$crashes crashes"; cat "$T"/crash.*; fi

test_finish
