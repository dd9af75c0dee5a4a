#!/usr/bin/env bash
# live.sh - `make live` end to end (Xvfb): the kernel runs in QEMU, its trace is decoded
# while it grows, heapviz --follow shows it, reaches the END event, and q stops it all.
set -u
BUILD=${BUILD:-build}
if [ -z "${IN_XVFB:-}" ]; then
	command -v xvfb-run >/dev/null && command -v xdotool >/dev/null ||
		{ echo "xvfb-run/xdotool missing"; echo "0 passed, 1 failed"; exit 1; }
	IN_XVFB=1 BUILD=$BUILD exec xvfb-run -a -s "-screen 0 1280x1024x24" "$0" "$@"
fi
export ASAN_OPTIONS=detect_leaks=0 # SDL's unloaded video back ends; see snapshot.sh
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
T=$(mktemp -d)
LB="$T/build"
mkdir -p "$LB"
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
if [ ! -e "$BUILD/kernel.elf" ]; then
	echo "FAIL no $BUILD/kernel.elf (make all first)"
	echo "0 passed, 1 failed"
	exit 1
fi
BUILD=$LB viz/live.sh "$BUILD/kernel.elf" "$BUILD/asan/bin/heaptrace" "$BUILD/asan/bin/heapviz" churn \
	"$LB/live.jsonl" >"$T/out" 2>&1 &
PID=$!
WIN=$(timeout 30 xdotool search --sync --name '^heapviz - ' | head -1)
[ -n "$WIN" ] && ok "QEMU, decoder and viewer start" ||
	{ bad "no window: $(cat "$T/out")"; echo "$pass passed, $fail failed"; exit 1; }
title=
for _ in $(seq 120); do
	title=$(xdotool getwindowname "$WIN" 2>/dev/null)
	case "$title" in *"(complete)"*) break ;; esac
	sleep 0.5
done
case "$title" in
*"(complete)"*) ok "the live trace is followed to its end event ($title)" ;;
*) bad "not complete: '$title'; $(tail -5 "$T/out")" ;;
esac
n=$(echo "$title" | sed -n 's/.* event \([0-9]*\) \/ \([0-9]*\).*/\2/p')
[ -n "$n" ] && [ "$n" -gt 1000 ] && [ "$n" = "$(grep -c '"i":' "$LB/live.jsonl")" ] &&
	ok "heapviz holds every event the decoder wrote ($n)" || bad "event count '$n'"
xdotool key --window "$WIN" q
for _ in $(seq 50); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $PID 2>/dev/null; then
	bad "q ends make live"
else
	wait $PID
	rc=$?
	PID=
	[ $rc -eq 0 ] && ok "q ends make live with status 0" || bad "status $rc: $(tail -5 "$T/out")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
