#!/usr/bin/env bash
# diff_test.sh - `heaptrace diff` from the command line: in step, first divergence, thresholds,
# exit codes 0/1/2, and --json read by python3's json (not ours).
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace

# the base workload: at most 64 blocks live at once
"$GEN" --seed 7 --ops 1500 --live 64 -o "$T/base.jsonl" || { no gen_trace_makes_the_base_trace; test_finish; }
"$GEN" --seed 7 --ops 1500 --live 64 --time-scale 37 -o "$T/same.jsonl"
events=$(grep -c '"i":' "$T/base.jsonl")

expect identical_traces_exit_0 0 "$HT" diff --fail-on-divergence --max-peak-growth 0% "$T/base.jsonl" "$T/same.jsonl"
name=identical_traces_are_reported_in_step
if grep -q "in step, all $events events the same" "$T/out" && grep -q "verdict: OK" "$T/out"; then
	ok $name
else
	no $name "$(head -5 "$T/out")"
fi

# alter one event: the size asked by the alloc at event K (same block, so the heap is the same)
K=$(python3 - "$T/base.jsonl" "$T/alt.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
out = []
k = None
for line in lines:
    e = json.loads(line)
    if k is None and e.get("k") == "alloc" and e["i"] >= 500 and e["size"] % 16 != 1:
        k = e["i"]
        line = line.replace('"size":%d,' % e["size"], '"size":%d,' % (e["size"] - 1), 1)
    out.append(line)
open(sys.argv[2], "w").write("".join(out))
print(k)
EOF
)
expect altered_event_without_divergence_rule_exits_0 0 "$HT" diff "$T/base.jsonl" "$T/alt.jsonl"
name=altered_event_is_the_first_divergence
if grep -q "in step for $K events; first divergence at event $K (size differs)" "$T/out"; then
	ok $name
else
	no $name "$(grep -m1 divergence "$T/out")"
fi
expect altered_event_with_fail_on_divergence_exits_1 1 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/alt.jsonl"

name=json_output_parses_and_names_the_divergence
"$HT" diff --json --fail-on-divergence "$T/base.jsonl" "$T/alt.jsonl" >"$T/d.json"
if python3 - "$T/d.json" "$K" "$events" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
k, events = int(sys.argv[2]), int(sys.argv[3])
fd = d["first_divergence"]
assert d["diverged"] is True and d["in_step"] == k, d["in_step"]
assert fd["index"] == k and fd["fields"] == ["size"], fd
assert fd["base"]["i"] == k and fd["new"]["size"] == fd["base"]["size"] - 1
assert d["base"]["events"] == d["new"]["events"] == events
assert d["differing"] == 1 and d["compared"] == events
assert d["regressed"] is True and d["violations"][0]["rule"] == "fail-on-divergence"
m = d["metrics"]["peak_used"]
assert m["delta"] == m["new"] - m["base"] and m["better"] == "lower"
assert "events_alloc" in d["metrics"] and "frag_max" in d["metrics"]
EOF
then ok $name; else no $name; fi

# a higher peak: more allocations live at once
"$GEN" --seed 7 --ops 1500 --live 400 -o "$T/grown.jsonl"
read -r pb pn < <(python3 -c '
import json, subprocess, sys
d = json.loads(subprocess.run(sys.argv[1:], capture_output=True, text=True).stdout)
print(int(d["metrics"]["peak_used"]["base"]), int(d["metrics"]["peak_used"]["new"]))' \
	"$HT" diff --json "$T/base.jsonl" "$T/grown.jsonl")
name=bigger_workload_has_a_higher_peak
if [ "$pn" -gt "$pb" ]; then ok $name; else no $name "$pb -> $pn"; fi
growth_pct=$(python3 -c "print(($pn - $pb) * 100 / $pb)")
below=$(python3 -c "print('%.4f%%' % ($growth_pct * 0.9))")
above=$(python3 -c "print('%.4f%%' % ($growth_pct * 1.1 + 0.01))")
expect peak_growth_over_the_limit_exits_1 1 "$HT" diff --max-peak-growth "$below" "$T/base.jsonl" "$T/grown.jsonl"
name=peak_growth_violation_is_explained
if grep -q -- "--max-peak-growth: peak used bytes grew" "$T/out" && grep -q "verdict: REGRESSED" "$T/out"; then
	ok $name
else
	no $name
fi
expect peak_growth_within_the_limit_exits_0 0 "$HT" diff --max-peak-growth "$above" "$T/base.jsonl" "$T/grown.jsonl"
expect peak_growth_as_a_fraction_is_accepted 0 "$HT" diff --max-peak-growth=10 "$T/base.jsonl" "$T/grown.jsonl"
expect shrinking_is_not_a_regression 0 "$HT" diff --max-peak-growth 0% "$T/grown.jsonl" "$T/base.jsonl"

# fragmentation: the limit is on the absolute growth of the maximum; order the pair so
# that NEW is the more fragmented one, and put the limit below and above the growth
"$HT" diff --json "$T/base.jsonl" "$T/grown.jsonl" >"$T/f.json"
read -r lowf highf lo hi < <(python3 - "$T/f.json" "$T/base.jsonl" "$T/grown.jsonl" <<'EOF2'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]["frag_max"]
a, b = sys.argv[2], sys.argv[3]
if m["new"] < m["base"]:
    a, b = b, a
g = abs(m["new"] - m["base"])
print(a, b, "%.6f" % (g * 0.5), "%.6f" % (g + 0.001))
EOF2
)
name=fragmentation_pair_differs
if python3 -c "import sys; sys.exit(0 if float('$lo') > 0.0005 else 1)"; then
	ok $name
	expect frag_growth_over_the_limit_exits_1 1 "$HT" diff --max-frag-growth "$lo" "$lowf" "$highf"
	expect frag_growth_within_the_limit_exits_0 0 "$HT" diff --max-frag-growth "$hi" "$lowf" "$highf"
else
	no $name "maximum fragmentation barely differs; the test needs another workload pair"
fi

"$GEN" --seed 7 --ops 1500 --live 64 --big 2 -o "$T/fails.jsonl"
expect new_failures_ignored_unless_asked 0 "$HT" diff "$T/base.jsonl" "$T/fails.jsonl"
expect new_failures_exit_1 1 "$HT" diff --fail-on-new-failures "$T/base.jsonl" "$T/fails.jsonl"
"$GEN" --seed 7 --ops 1500 --live 64 --leak 3 -o "$T/leaks.jsonl"
expect new_leaks_exit_1 1 "$HT" diff --fail-on-new-leaks "$T/base.jsonl" "$T/leaks.jsonl"
expect fewer_leaks_exit_0 0 "$HT" diff --fail-on-new-leaks "$T/leaks.jsonl" "$T/base.jsonl"
"$GEN" --seed 7 --ops 1500 --live 64 --no-end -o "$T/cut.jsonl"
expect incomplete_new_exits_1 1 "$HT" diff --fail-on-incomplete "$T/base.jsonl" "$T/cut.jsonl"
name=incomplete_new_is_reported_where_it_ends
if grep -q "(NEW ended)" "$T/out" && grep -q "INCOMPLETE" "$T/out"; then ok $name; else no $name; fi

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
python3 - "$T/base.jsonl" "$T/shifted.jsonl" <<'EOF'
import re, sys
shift = 0x3000
def move(m):
    v = int(m.group(2), 16)
    if 0x80400000 <= v < 0x80500000:
        v += shift
    return '"%s":"0x%x"' % (m.group(1), v)
out = [re.sub(r'"(heap_base|addr|rem_addr|freed_addr|old_addr)":"0x([0-9a-f]+)"', move, l)
       for l in open(sys.argv[1])]
open(sys.argv[2], "w").write("".join(out))
EOF
expect moved_heap_stays_in_step 0 "$HT" diff --fail-on-divergence "$T/base.jsonl" "$T/shifted.jsonl"
name=moved_heap_is_not_a_difference
if grep -q "in step, all $events events" "$T/out"; then ok $name; else no $name "$(sed -n 4p "$T/out")"; fi

# bad input and usage: exit 2 with the place named
expect missing_file_exits_2 2 "$HT" diff "$T/base.jsonl" "$T/nope.jsonl"
sed '100s/.*/{"i":99,"k":"alloc","t":1}/' "$T/base.jsonl" >"$T/broken.jsonl"
expect malformed_event_exits_2 2 "$HT" diff "$T/base.jsonl" "$T/broken.jsonl"
name=malformed_event_is_reported_with_file_and_line
if grep -q "broken.jsonl:100" "$T/err"; then ok $name; else no $name "$(cat "$T/err")"; fi
echo "not a trace" >"$T/junk.jsonl"
expect not_a_trace_exits_2 2 "$HT" diff "$T/junk.jsonl" "$T/base.jsonl"
expect one_argument_exits_2 2 "$HT" diff "$T/base.jsonl"
expect unknown_option_exits_2 2 "$HT" diff --frobnicate "$T/base.jsonl" "$T/same.jsonl"
expect bad_threshold_exits_2 2 "$HT" diff --max-peak-growth lots "$T/base.jsonl" "$T/same.jsonl"
expect both_stdin_exits_2 2 "$HT" diff - -
expect help_exits_0 0 "$HT" diff --help

# mutated traces (bytes changed, cut, inserted): diff and export say what is wrong or
# cope, but never crash (sanitizers on) and never exit with anything but 0, 1 or 2
name=mutated_traces_never_crash_diff_or_export
"$GEN" --seed 5 --ops 200 --big 1 --leak 2 -o "$T/f.jsonl"
crashes=0
for i in $(seq 1 40); do
	python3 - "$T/f.jsonl" "$T/m.jsonl" "$i" <<'EOF'
import random, sys
random.seed(int(sys.argv[3]))
b = bytearray(open(sys.argv[1], "rb").read())
for _ in range(random.randint(1, 6)):
    p = random.randrange(len(b))
    op = random.random()
    if op < 0.4:
        b[p] = random.choice(b'0123456789abcdefx"{}:,-\n e')
    elif op < 0.7:
        del b[p:p + random.randint(1, 40)]
    else:
        b[p:p] = random.choice([b'"k":"free",', b"1", b"\n", b'{"i":5,"k":"end"}\n', b'"addr":"0x0",'])
open(sys.argv[2], "wb").write(bytes(b))
EOF
	for args in "diff $T/f.jsonl $T/m.jsonl" "diff --json $T/m.jsonl $T/f.jsonl" \
		"export --format massif $T/m.jsonl" "export --format chrome $T/m.jsonl"; do
		# shellcheck disable=SC2086
		"$HT" $args >/dev/null 2>"$T/m.err"
		rc=$?
		if [ $rc -gt 2 ] || grep -q "Sanitizer\|runtime error" "$T/m.err"; then
			crashes=$((crashes + 1))
			echo "  mutation $i: heaptrace $args: exit $rc"
			head -3 "$T/m.err"
		fi
	done
done
if [ $crashes = 0 ]; then ok $name; else no $name "$crashes crashes"; fi

test_finish
