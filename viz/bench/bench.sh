#!/usr/bin/env bash
# bench.sh - heapviz figures, from viz-bench (viz/bench/bench_viz.c):
#  - 10M events (churn on the real allocator, 1 MiB heap): bytes held per event
#    (goal <= 64), seeks with the frame drawn;
#  - 64 MiB heap with about 10k live blocks (2M events; the real allocator's
#    first-fit search makes building more slow): worst seek including drawing the
#    frame, p99 and max of each round, CPU time, median over ROUNDS (default 3)
#    rounds of seeks on one model; goal <= 16 ms;
#  - loading the captured million trace ($BUILD/bench/million.jsonl): seconds per
#    1M events, median of RUNS runs; goal <= 1 s;
#  - the first frame of a 10M-event trace (the million workload captured with
#    ops=2600000, decoded): load + first frame drawn, wall clock, median of RUNS_10M
#    runs (default 3); goal <= 2 s. Also the bytes held per event of that trace.
set -u
. "$(dirname "$0")/../../trace/bench/lib.sh"
ROUNDS=${ROUNDS:-3}
RUNS_10M=${RUNS_10M:-3}
VB=$BUILD/host/bin/viz-bench
T=$(mktemp -d "${TMPDIR:-/tmp}/viz_bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

# vals NAME FILE...: the values of viz-bench's "NAME value unit" lines
vals() {
	local name=$1
	shift
	awk -v n="$name" '$1 == n { print $2 }' "$@"
}

# run OUT ARGS...: viz-bench ARGS, output shown and kept in OUT; its status
run() {
	local out=$1
	shift
	"$VB" "$@" >"$out"
	local rc=$?
	sed 's/^/  /' "$out"
	[ $rc = 0 ] || echo "viz-bench $*: exit $rc" >&2
	return $rc
}

echo "-- 10M events, 1 MiB heap, up to 600 live blocks ($ROUNDS rounds of seeks, frame drawn)"
if run "$T/small.txt" --events 10000000 --seeks 100 --rounds "$ROUNDS" --draw; then
	bench_result viz_bytes_per_event_10m B "<=64" "heapviz bytes held per event, 10M events (1 MiB heap)" \
		$(vals bytes_per_event "$T/small.txt")
	bench_result viz_seek_p99_1mib ms none "heapviz seek + frame drawn, p99, CPU time, 1 MiB heap (~300 live blocks)" \
		$(vals seek_p99_cpu "$T/small.txt")
	bench_result viz_seek_max_1mib ms none "heapviz seek + frame drawn, max, CPU time, 1 MiB heap (~300 live blocks)" \
		$(vals seek_max_cpu "$T/small.txt")
else
	bench_fail viz_bytes_per_event_10m B "<=64" "heapviz bytes held per event, 10M events" "viz-bench failed"
fi

echo "-- 2M events, 64 MiB heap, up to 20000 live blocks ($ROUNDS rounds of seeks, frame drawn)"
if run "$T/big.txt" --events 2000000 --heap 67108864 --live 20000 --seeks 100 --rounds "$ROUNDS" --draw; then
	live=$(sed -n 's/^events .* \([0-9]*\) live blocks at peak.*/\1/p' "$T/big.txt")
	bench_result viz_seek_p99_64mib ms "<=16" "heapviz seek + frame drawn, p99, CPU time, 64 MiB heap, $live live blocks" \
		$(vals seek_p99_cpu "$T/big.txt")
	bench_result viz_seek_max_64mib ms "<=16" "heapviz seek + frame drawn, max, CPU time, 64 MiB heap, $live live blocks" \
		$(vals seek_max_cpu "$T/big.txt")
	bench_result viz_seek_max_wall_64mib ms none "heapviz seek + frame drawn, max, wall clock, 64 MiB heap" \
		$(vals seek_max "$T/big.txt")
else
	bench_fail viz_seek_p99_64mib ms "<=16" "heapviz seek + frame drawn, p99, 64 MiB heap" "viz-bench failed"
	bench_fail viz_seek_max_64mib ms "<=16" "heapviz seek + frame drawn, max, 64 MiB heap" "viz-bench failed"
fi

echo "-- load the captured million trace ($RUNS runs)"
if bench_trace_million 2>"$T/capture.err"; then
	: >"$T/load.txt"
	for _ in $(seq "$RUNS"); do
		run "$T/load1.txt" --events 0 --json "$BENCH_DIR/million.jsonl" || break
		cat "$T/load1.txt" >>"$T/load.txt"
	done
	bench_result viz_load_per_1m s "<=1" "heapviz load of the captured million trace, seconds per 1M events" \
		$(awk '$1 == "json_load_events" { e = $2 } $1 == "json_load_time" { printf "%.3f\n", $2 / e * 1e6 }' "$T/load.txt")
else
	cat "$T/capture.err" >&2
	bench_fail viz_load_per_1m s "<=1" "heapviz load of the captured million trace, seconds per 1M events" "capture failed"
fi

echo "-- first frame of a 10M-event trace ($RUNS_10M runs)"
if bench_trace_10m 2>"$T/capture.err"; then
	: >"$T/first.txt"
	for _ in $(seq "$RUNS_10M"); do
		run "$T/first1.txt" --events 0 --json "$BENCH_DIR/million-10m.jsonl" --draw || break
		cat "$T/first1.txt" >>"$T/first.txt"
	done
	ev=$(vals json_load_events "$T/first.txt" | head -1)
	bench_result viz_first_frame_10m s "<=2" "heapviz first frame of a ${ev:-10M}-event captured trace (load + draw), wall clock" \
		$(vals first_frame_time "$T/first.txt")
	bench_result viz_bytes_per_event_10m_captured B "<=64" "heapviz bytes held per event, ${ev:-10M}-event captured trace" \
		$(vals json_load_bytes_per_event "$T/first.txt" | head -1)
else
	cat "$T/capture.err" >&2
	bench_fail viz_first_frame_10m s "<=2" "heapviz first frame of a 10M-event captured trace" "capture failed"
fi
exit $bench_status
