#!/usr/bin/env bash
# bench_stats.sh - `heaptrace stats` and `heaptrace check` on a CAPTURED trace of the
# million workload (about 1.15M events, $BUILD/bench/million.jsonl, captured as
# `make trace` does if trace/bench/throughput.sh has not left it): wall time (median
# and min of RUNS runs, default 5), CPU time and max RSS. Goal: stats median
# <= 0.44 s, heaptrack_print's time on 1M events. Then `stats --tree` on the same workload
# captured with 8-frame call stacks (goal 0.22 s, issue 11). Where heaptrack_print is installed,
# it is timed in the same run on a heaptrack recording of as many events (the same
# allocation pattern on the host's malloc: trace/bench/heaptrack_workload.c).
set -u
. "$(dirname "$0")/../bench/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench_stats.XXXXXX")
trap 'rm -rf "$T"' EXIT
trace=$BENCH_DIR/million.jsonl

# measure NAME CMD...: RUNS timed runs into $T/NAME.txt; prints the per-run lines
measure() {
	local name=$1
	shift
	: >"$T/$name.txt"
	for _ in $(seq "$RUNS"); do
		bench_time "$T/$name.txt" "$@" || { echo "$name failed: $*" >&2; : >"$T/$name.txt"; return 1; }
	done
	echo "$name, per run (wall user sys KiB):"
	sed 's/^/  /' "$T/$name.txt"
}

if ! bench_trace_million; then
	bench_fail stats_1m_wall s "<=0.44" "heaptrace stats, captured million trace, wall clock" "no captured trace"
	bench_fail stats_1m_rss MiB none "heaptrace stats, captured million trace, max RSS" "no captured trace"
	exit 1
fi
read -r events _ <<<"$(bench_counts "$trace")"
echo "trace: $events events, $(($(stat -c %s "$trace") / 1048576)) MiB ($trace)"

measure stats "$BENCH_HT" stats "$trace"
bench_result stats_1m_wall s "<=0.44" "heaptrace stats, captured million trace ($events events), wall clock" \
	$(bench_col "$T/stats.txt" 1)
bench_result stats_1m_cpu s none "heaptrace stats, captured million trace, CPU time (user + sys)" \
	$(awk '{ print $2 + $3 }' "$T/stats.txt")
bench_result stats_1m_rss MiB none "heaptrace stats, captured million trace, max RSS" \
	$(awk '{ printf "%.1f\n", $4 / 1024 }' "$T/stats.txt")
measure check "$BENCH_HT" check --quiet "$trace"
bench_result check_1m_wall s none "heaptrace check, captured million trace, wall clock" $(bench_col "$T/check.txt" 1)

# ---- with call stacks: the million workload captured with trace.depth=8, stats with its
# call tree (issue 11's goal: 0.22 s, heaptrack_print's time on 1M events on this machine kind)
stacked=$BENCH_DIR/million-depth8.jsonl
if ! { [ -s "$stacked" ] && [ "$stacked" -nt "$BENCH_ELF" ] && [ "$stacked" -nt "$BENCH_HT" ]; } &&
	! BUILD=$BENCH_DIR trace/capture.sh "$BENCH_ELF" "$BENCH_HT" million semihosting "$stacked" \
		trace.depth=8 >"$BENCH_DIR/capture-million-depth8.log" 2>&1; then
	tail -5 "$BENCH_DIR/capture-million-depth8.log" >&2
	bench_fail stats_tree_1m_wall s "<=0.22" "heaptrace stats --tree, million trace with 8-frame stacks" "capture failed"
else
	measure stats_tree "$BENCH_HT" stats --tree "$stacked"
	bench_result stats_tree_1m_wall s "<=0.22" \
		"heaptrace stats --tree, captured million trace with 8-frame stacks, wall clock" \
		$(bench_col "$T/stats_tree.txt" 1)
	bench_result stats_tree_1m_rss MiB none "heaptrace stats --tree, million trace with stacks, max RSS" \
		$(awk '{ printf "%.1f\n", $4 / 1024 }' "$T/stats_tree.txt")
fi

# ---- the peer: heaptrack_print on a recording of as many events
if ! command -v heaptrack_print >/dev/null || ! command -v heaptrack >/dev/null; then
	echo "heaptrack_print: peer not installed"
	echo "BENCH figure=heaptrack_print_1m_wall unit=s goal=none median=- min=- max=- n=0 what=heaptrack_print on as many events: peer not installed"
	exit $bench_status
fi
prog=$BENCH_DIR/heaptrack_workload
src=$(dirname "$0")/../bench/heaptrack_workload.c
rec=$BENCH_DIR/heaptrack-million
if [ ! -x "$prog" ] || [ "$src" -nt "$prog" ]; then
	${HOST_CC:-gcc} -O2 -o "$prog" "$src" || { bench_fail heaptrack_print_1m_wall s none \
		"heaptrack_print on as many events" "cannot build $src"; exit 1; }
fi
file=$(ls "$rec".* 2>/dev/null | head -1)
if [ -z "$file" ] || [ "$prog" -nt "$file" ] || [ "$trace" -nt "$file" ]; then
	rm -f "$rec".*
	heaptrack -o "$rec" "$prog" $((events / 2)) >/dev/null 2>&1
	file=$(ls "$rec".* 2>/dev/null | head -1)
fi
if [ -n "$file" ] && measure heaptrack_print heaptrack_print "$file"; then
	bench_result heaptrack_print_1m_wall s none \
		"heaptrack_print on a heaptrack recording of $((events / 2 * 2)) events (same pattern)" \
		$(bench_col "$T/heaptrack_print.txt" 1)
	read -r ms _ <<<"$(bench_stats $(bench_col "$T/stats.txt" 1))"
	read -r mh _ <<<"$(bench_stats $(bench_col "$T/heaptrack_print.txt" 1))"
	if [ "$ms" != - ] && [ "$mh" != - ]; then
		bench_result stats_vs_heaptrack_print x "<=1" "heaptrace stats / heaptrack_print, same number of events (medians)" \
			"$(awk -v a="$ms" -v b="$mh" 'BEGIN { printf "%.3f", a / b }')"
	fi
else
	bench_fail heaptrack_print_1m_wall s none "heaptrack_print on as many events" "heaptrack recording failed"
fi
exit $bench_status
