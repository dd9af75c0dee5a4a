#!/usr/bin/env bash
# bench.sh - heapviz figures: bytes per event and seek times on 10M events (two heap
# shapes), and loading a 1M-event JSON trace. Targets: <= 64 B/event, seek <= 16 ms,
# 1M events load in seconds.
set -u
status=0
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "-- 10M events, 1 MiB heap, up to 600 live blocks"
$BUILD/host/bin/viz-bench --events 10000000 || status=1
echo "-- 10M events, 64 MiB heap, up to 20000 live blocks"
$BUILD/host/bin/viz-bench --events 10000000 --heap 67108864 --live 20000 || status=1
echo "-- load a 1M-event JSON trace"
$BUILD/host/bin/gen_trace --seed 3 --events 1000000 --big 4 -o "$T/1m.jsonl" || exit 3
ls -l "$T/1m.jsonl" | awk '{print "json_size", $5, "B"}'
$BUILD/host/bin/viz-bench --events 0 --json "$T/1m.jsonl" || status=1
[ $status -eq 0 ] && echo "heapviz targets met" || echo "heapviz: a target was missed (see above)"
exit $status
