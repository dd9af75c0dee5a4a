#!/usr/bin/env bash
# follow.sh - heapviz --follow on a trace that grows while it runs (Xvfb): new events
# appear, a partial last line waits for its end, the user can scrub back while
# the file keeps growing, End returns to live, and the END event is noticed.
set -u
BUILD=${BUILD:-build}
if [ -z "${IN_XVFB:-}" ]; then
	command -v xvfb-run >/dev/null && command -v xdotool >/dev/null ||
		{ echo "xvfb-run/xdotool missing"; echo "0 passed, 1 failed"; exit 1; }
	IN_XVFB=1 BUILD=$BUILD exec xvfb-run -a -s "-screen 0 1280x1024x24" "$0" "$@"
fi
HV=$BUILD/asan/bin/heapviz
T=$(mktemp -d)
export ASAN_OPTIONS=detect_leaks=0 # SDL's unloaded video back ends; see snapshot.sh
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

$BUILD/asan/bin/viz-gentrace --seed 9 3000 > "$T/full.jsonl" || { echo "gentrace failed"; exit 1; }
N=$(wc -l < "$T/full.jsonl")
G="$T/grow.jsonl"
events_in() { grep -c '"i":' "$1"; }

# the file does not exist yet when heapviz starts: it waits for the header
(sleep 1; head -n 200 "$T/full.jsonl" > "$G") &
HEAPVIZ_NOFLASH=1 $HV --follow --size 900x600 "$G" 2>"$T/err" &
PID=$!
WIN=$(timeout 20 xdotool search --sync --name '^heapviz - ' | head -1)
[ -n "$WIN" ] && ok "the window opens once the header is there" ||
	{ bad "no window: $(cat "$T/err")"; echo "$pass passed, $fail failed"; exit 1; }
title() { # the window title once it has stopped changing (refreshed every 250 ms)
	local a b
	sleep 0.3
	a=$(xdotool getwindowname "$WIN")
	for _ in $(seq 10); do
		sleep 0.3
		b=$(xdotool getwindowname "$WIN")
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}
pos() { title | sed -n 's/.* event \([0-9]*\) \/ \([0-9]*\).*/\1 \2/p'; }
key() { xdotool key --window "$WIN" "$@"; }
xdotool mousemove 5 5

E=$(events_in "$G")
P=$(pos)
[ "$P" = "$E $E" ] && ok "live: shows all $E events written so far" || bad "first part: '$P' want '$E $E'"

# half a line: not an event until its newline arrives
sed -n '201,400p' "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
L=$(sed -n '401p' "$T/full.jsonl")
printf '%s' "${L:0:20}" >> "$G"
P=$(pos)
[ "$P" = "$E $E" ] && ok "new events animate in; the partial line waits ($P)" || bad "after growth: '$P' want '$E $E'"
printf '%s\n' "${L:20}" >> "$G"
E=$(events_in "$G")
P=$(pos)
[ "$P" = "$E $E" ] && ok "the completed line is read" || bad "completed line: '$P' want '$E $E'"

# scrub back while capture continues
key Home
sed -n "402,$((N - 2))p" "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
P=$(pos)
[ "$P" = "0 $E" ] && ok "scrubbed back: stays at 0 while events keep arriving" || bad "scrub: '$P' want '0 $E'"
key Right Right
P=$(pos)
[ "$P" = "2 $E" ] && ok "stepping works while following" || bad "step: '$P'"
key End
P=$(pos)
[ "$P" = "$E $E" ] && ok "End returns to live" || bad "End: '$P'"

# the end of the trace
sed -n "$((N - 1)),\$p" "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
T1=$(title)
case "$T1" in *"event $E / $E (complete)"*) ok "the END event is noticed" ;; *) bad "complete: '$T1'" ;; esac
key q
for _ in $(seq 30); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $PID 2>/dev/null; then
	bad "q quits"
else
	wait $PID
	rc=$?
	PID=
	[ $rc -eq 0 ] && ok "q quits with status 0" || bad "exit status $rc: $(cat "$T/err")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
