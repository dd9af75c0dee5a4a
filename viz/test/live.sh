#!/usr/bin/env bash
# live.sh - `make live` end to end (Xvfb): the kernel runs in QEMU, its trace is decoded
# while it grows, heapviz --follow shows it, reaches the END event, and q stops it all.
set -u
. "$(dirname "$0")/lib.sh"
viz_in_xvfb "$@"
. "$(dirname "$0")/../../scripts/testlib.sh"
viz_kill_at_exit
LB="$T/build"
mkdir -p "$LB"
[ -e "$BUILD/kernel.elf" ] || { no "$BUILD/kernel.elf is built" "make all first"; test_finish; }
BUILD=$LB viz/live.sh "$BUILD/kernel.elf" "$BUILD/asan/bin/heaptrace" "$BUILD/asan/bin/heapviz" churn \
	"$LB/live.jsonl" >"$T/out" 2>&1 &
PID=$!
viz_window "QEMU, decoder and viewer start" 30 "$T/out"
title=
for _ in $(seq "$(scaled_count 120)"); do
	title=$(xdotool getwindowname "$WIN" 2>/dev/null)
	case "$title" in *"(complete)"*) break ;; esac
	sleep 0.5
done
case "$title" in
*"(complete)"*) ok "the live trace is followed to its end event ($title)" ;;
*) no "the live trace is followed to its end event" "'$title'; $(tail -5 "$T/out")" ;;
esac
n=$(echo "$title" | tr -d , | sed -n 's/.* event \([0-9]*\) of \([0-9]*\).*/\2/p')
[ -n "$n" ] && [ "$n" -gt 1000 ] && [ "$n" = "$(grep -c '"i":' "$LB/live.jsonl")" ] &&
	ok "heapviz holds every event the decoder wrote ($n)" || no "heapviz holds every event the decoder wrote" "count '$n'"
viz_quits "q ends make live with status 0" "$T/out"
test_finish
