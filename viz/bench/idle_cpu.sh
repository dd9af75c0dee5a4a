#!/usr/bin/env bash
# idle_cpu.sh - heapviz's CPU use while it shows a still picture: a real window
# (Xvfb), a 20k-event trace, paused with the space key (the way a user reads a
# frame), the pointer still; CPU time of
# the heapviz process over SECONDS (default 10) after it settles, as a percentage
# of one core, median of RUNS (default 5) runs. Goal (issue 13): under 2%.
# Needs xvfb-run; BUILD as for every bench.
set -u
. "$(dirname "$0")/../../trace/bench/lib.sh"
SECONDS_IDLE=${SECONDS_IDLE:-10}
HV=$BUILD/host/bin/heapviz
GEN=$BUILD/host/bin/gen_trace
T=$(mktemp -d "${TMPDIR:-/tmp}/viz_idle.XXXXXX")
trap 'rm -rf "$T"' EXIT
what="heapviz CPU while paused on a still frame, % of one core (real window, Xvfb, ${SECONDS_IDLE}s)"

if ! command -v xvfb-run >/dev/null; then
	bench_fail viz_idle_cpu % "<2" "$what" "xvfb-run is not installed"
	exit 1
fi
"$GEN" --seed 5 --events 20000 -o "$T/t.jsonl" >/dev/null || {
	bench_fail viz_idle_cpu % "<2" "$what" "gen_trace failed"
	exit 1
}

# one run inside Xvfb: start heapviz (it opens paused), let it settle, then
# read its utime+stime (clock ticks) before and after SECONDS_IDLE
cat >"$T/run.sh" <<'RUN'
hv=$1 trace=$2 secs=$3
"$hv" --size 1280x800 "$trace" 2>/dev/null &
pid=$!
win=$(timeout 20 xdotool search --sync --name '^heapviz - ' | head -1)
xdotool key --window "$win" space # a replay starts playing: pause it
sleep 4                            # the blink after the last change ends
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
a=$(cpu)
sleep "$secs"
b=$(cpu)
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" -v s="$secs" 'BEGIN { printf "%.2f\n", (b - a) / hz / s * 100 }'
RUN
vals=()
for _ in $(seq "$RUNS"); do
	v=$(xvfb-run -a -s "-screen 0 1400x900x24" bash "$T/run.sh" "$HV" "$T/t.jsonl" "$SECONDS_IDLE" 2>/dev/null | tail -1)
	echo "  paused: $v% of a core"
	vals+=("$v")
done
bench_result viz_idle_cpu % "<2" "$what" "${vals[@]}"
exit $bench_status
