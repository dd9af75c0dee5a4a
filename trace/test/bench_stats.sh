#!/usr/bin/env bash
# bench_stats.sh - `heaptrace stats` and `heaptrace check` on a generated trace of about
# a million events (made by the real allocator core): wall time, CPU time and max RSS,
# best of RUNS runs (default 3). The trace is cached in $BUILD/bench/.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
HT=$BUILD/host/bin/heaptrace
GEN=$BUILD/host/bin/gen_trace
dir=$BUILD/bench
trace=$dir/stats-1m.jsonl
mkdir -p "$dir"
if [ ! -s "$trace" ] || [ "$GEN" -nt "$trace" ]; then
	"$GEN" --ops 626000 --seed 42 "$trace"
fi
events=$(grep -c '"i":' "$trace")
bytes=$(stat -c %s "$trace")
echo "trace: $events events, $((bytes / 1048576)) MiB ($trace)"

# measure CMD...: prints "best wall s, user s, max RSS KiB" over RUNS runs
measure() {
	local best="" line
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$dir/time.txt" -f '%e %U %M' "$@" >/dev/null 2>&1 || true
		line=$(tail -1 "$dir/time.txt")
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
			best=$line
		fi
	done
	echo "$best"
}

for cmd in stats check; do
	read -r wall user rss <<<"$(measure "$HT" $cmd "$trace")"
	rate=$(awk -v e="$events" -v w="$wall" 'BEGIN { printf "%.2f", (w > 0 ? e / w / 1e6 : 0) }')
	echo "heaptrace $cmd: wall ${wall} s, user ${user} s, max RSS ${rss} KiB, ${rate} M events/s"
done
