#!/usr/bin/env bash
# window.sh - heapviz in a real X window (Xvfb): keys sent with xdotool step, seek,
# pause and play; the window title tells the position, SIGUSR1 dumps the frame
# shown, and both must change as the keys say.
set -u
BUILD=${BUILD:-build}
if [ -z "${IN_XVFB:-}" ]; then
	command -v xvfb-run >/dev/null && command -v xdotool >/dev/null ||
		{ echo "xvfb-run/xdotool missing"; echo "0 passed, 1 failed"; exit 1; }
	IN_XVFB=1 BUILD=$BUILD exec xvfb-run -a -s "-screen 0 1280x1024x24" "$0" "$@"
fi
HV=$BUILD/asan/bin/heapviz
CHECK="python3 viz/test/pngcheck.py"
T=$(mktemp -d)
export ASAN_OPTIONS=detect_leaks=0 # SDL's unloaded video back ends; see snapshot.sh
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

$BUILD/asan/bin/viz-gentrace --seed 5 2000 > "$T/t.jsonl" || { echo "gentrace failed"; exit 1; }
COUNT=$(($(grep -c '"i":' "$T/t.jsonl")))
SIZE=1000x700
# pixel of the heap's first block (allocated by event 2) in this layout
LOC=$(SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/ref.png" --at 2 --size $SIZE --locate 0x80400000 "$T/t.jsonl" | awk '/^locate/ {print $3, $4}')
PEAK=$(SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/peak.png" --at peak --size $SIZE "$T/t.jsonl" | awk '/^snapshot/ {print $4}')

HEAPVIZ_NOFLASH=1 HEAPVIZ_DUMP="$T/frame.png" $HV --size $SIZE "$T/t.jsonl" 2>"$T/err" &
PID=$!
WIN=$(timeout 20 xdotool search --sync --name '^heapviz - ' | head -1)
[ -n "$WIN" ] && ok "the window opens" || { bad "no window: $(cat "$T/err")"; echo "$pass passed, $fail failed"; exit 1; }

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
pos() { title | sed -n 's/.* event \([0-9]*\) \/ .*/\1/p'; }
key() { xdotool key --window "$WIN" "$@"; }
dump() { # dump the frame shown; print the colour at the first block
	rm -f "$T/frame.png"
	kill -USR1 $PID
	for _ in $(seq 50); do [ -s "$T/frame.png" ] && break; sleep 0.1; done
	$CHECK "$T/frame.png" $LOC | tail -1
}

xdotool mousemove 5 5 # over the status line: no hover outline on the map
key space # it starts playing: pause
key Home
P=$(pos)
[ "$P" = 0 ] && ok "Home goes to the start" || bad "Home: position '$P'"
C0=$(dump)
[ "$C0" = "52,56,64" ] && ok "at the start the first block's place is free" || bad "start colour '$C0'"
key Right Right Right
P=$(pos)
[ "$P" = 3 ] && ok "Right steps one event at a time" || bad "3 x Right: position '$P'"
C1=$(dump)
[ -n "$C1" ] && [ "$C1" != "$C0" ] && [ "$C1" != "46,160,90" ] && ok "the new block is highlighted ($C1)" || bad "after alloc: colour '$C1'"
key Right Right Right Right Right Right
dump >/dev/null
SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/snap8.png" --at 8 --size $SIZE "$T/t.jsonl" >/dev/null
cmp -s "$T/frame.png" "$T/snap8.png" && ok "the window shows exactly what --snapshot --at 8 renders" ||
	bad "window frame at position 9 differs from the snapshot at event 8"
key Left
P=$(pos)
[ "$P" = 8 ] && ok "Left steps back" || bad "Left: position '$P'"
key End
P=$(pos)
[ "$P" = "$COUNT" ] && ok "End goes to the last event" || bad "End: position '$P' want $COUNT"
key p
P=$(pos)
[ "$P" = "$PEAK" ] && ok "p seeks to the peak ($P)" || bad "peak: position '$P' want '$PEAK'"
key Home space
sleep 0.8
key space
P1=$(pos)
sleep 0.6
P2=$(pos)
[ -n "$P1" ] && [ "$P1" -gt 0 ] && ok "space plays ($P1 events in ~1 s)" || bad "play: position '$P1'"
[ "$P1" = "$P2" ] && ok "space pauses" || bad "pause: $P1 then $P2"
# a click in the middle of the timeline seeks to about the middle of the trace
eval "$(xdotool getwindowgeometry --shell "$WIN")"
xdotool mousemove --window "$WIN" $((63 + 6 + (1000 - 12 - 63) / 2)) $((700 - 80)) click 1
P=$(pos)
[ -n "$P" ] && [ "$P" -gt $((COUNT * 4 / 10)) ] && [ "$P" -lt $((COUNT * 6 / 10)) ] &&
	ok "a timeline click seeks to the middle ($P of $COUNT)" || bad "timeline click: position '$P'"
# the window is resizable and the layout follows
xdotool windowsize "$WIN" 800 520
sleep 0.5
dump >/dev/null
S=$($CHECK "$T/frame.png" | head -1)
[ "$S" = "800x520" ] && ok "resized to 800x520, the frame follows" || bad "resize: frame is '$S'"
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
