#!/usr/bin/env bash
# bench.sh - `make bench`: runs every benchmark script, even after one fails, then
# prints ONE table of what they measured: figure | goal | measured (median and min of
# n runs) | verdict | the script it comes from. The scripts print their own human
# output and one machine-readable line per figure (trace/bench/lib.sh):
#
#   BENCH figure=NAME unit=UNIT goal=<=X|>=X|none median=M min=M max=M n=N what=TEXT
#
# A goal is checked on the median. Needs the kernel, the host tools and viz-bench
# built in $BUILD. Environment: BUILD (default build), RUNS (timed runs per figure,
# default 5), RUNS_10M (runs on 10M events, default 3), ROUNDS (viewer seek rounds,
# default 3), BENCHES (the scripts to run, default all), QEMU, QEMU_FLAGS, MAKE.
# Exit: 0 every benchmark ran and every goal was met; 1 a benchmark failed or a
# goal was missed (both listed at the end).
set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}
BENCHES=${BENCHES:-trace/bench/wire_bytes.sh trace/bench/overhead.sh trace/bench/depth.sh trace/bench/throughput.sh trace/bench/ring.sh viz/bench/idle_cpu.sh \
	trace/test/bench_stats.sh viz/bench/bench.sh}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

: >"$T/results"
: >"$T/failed"
start=$EPOCHREALTIME
for b in $BENCHES; do
	echo "== $b"
	t0=$EPOCHREALTIME
	bash "$b" 2>&1 | tee "$T/log"
	rc=${PIPESTATUS[0]}
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
	echo "== $b: exit $rc after ${secs}s"
	[ "$rc" = 0 ] || echo "$b (exit $rc)" >>"$T/failed"
	grep -a '^BENCH ' "$T/log" | sed "s|\$| from=$b|" >>"$T/results"
done
total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# one table; the verdicts go to $T/missed
echo
echo "== make bench: $(wc -l <"$T/results") figures in ${total}s on $(nproc) cores, load average$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
awk -v missed="$T/missed" '
	# field(KEY): the value of KEY=... on this line (what= is the rest of the line)
	function field(k,    i, s) {
		if (k == "what") {
			s = $0
			sub(/^.* what=/, "", s)
			sub(/ from=[^ ]*$/, "", s)
			return s
		}
		for (i = 2; i <= NF; i++)
			if (index($i, k "=") == 1)
				return substr($i, length(k) + 2)
		return ""
	}
	{
		n++
		what[n] = field("what"); unit = field("unit"); goal = field("goal")
		med = field("median"); min = field("min"); runs = field("n")
		from[n] = field("from")
		g[n] = goal == "none" ? "-" : goal " " unit
		if (med == "-") {
			m[n] = "not measured"
			v[n] = "FAILED"
		} else {
			m[n] = runs > 1 ? sprintf("%s (min %s) %s, n=%s", med, min, unit, runs) \
			                : sprintf("%s %s, n=1", med, unit)
			v[n] = "-"
			if (goal ~ /^<=/) v[n] = med + 0 <= substr(goal, 3) + 0 ? "met" : "MISSED"
			if (goal ~ /^>=/) v[n] = med + 0 >= substr(goal, 3) + 0 ? "met" : "MISSED"
		}
		if (v[n] == "MISSED" || v[n] == "FAILED")
			printf "%s: %s %s, goal %s\n", field("figure"), v[n], m[n], g[n] > missed
		for (c = 1; c <= 5; c++) {
			x = c == 1 ? what[n] : c == 2 ? g[n] : c == 3 ? m[n] : c == 4 ? v[n] : from[n]
			if (length(x) > w[c]) w[c] = length(x)
		}
	}
	END {
		h[1] = "figure"; h[2] = "goal"; h[3] = "measured: median (min), n runs"; h[4] = "verdict"; h[5] = "from"
		for (c = 1; c <= 5; c++) if (length(h[c]) > w[c]) w[c] = length(h[c])
		fmt = "| %-" w[1] "s | %-" w[2] "s | %-" w[3] "s | %-" w[4] "s | %-" w[5] "s |\n"
		printf fmt, h[1], h[2], h[3], h[4], h[5]
		rule = "|"
		for (c = 1; c <= 5; c++) { s = sprintf("%" (w[c] + 2) "s", ""); gsub(/ /, "-", s); rule = rule s "|" }
		print rule
		for (i = 1; i <= n; i++) printf fmt, what[i], g[i], m[i], v[i], from[i]
	}' "$T/results"
touch "$T/missed"

status=0
if [ -s "$T/failed" ]; then
	echo "benchmarks that failed:"
	sed 's/^/  /' "$T/failed"
	status=1
fi
if [ -s "$T/missed" ]; then
	echo "goals missed or figures not measured:"
	sed 's/^/  /' "$T/missed"
	status=1
fi
[ $status = 0 ] && echo "every benchmark ran; every goal met"
exit $status
