#!/usr/bin/env bash
# window.sh - heapviz in a real X window (Xvfb): keys sent with xdotool step, seek,
# pause and play; the window title tells the position, SIGUSR1 dumps the frame
# shown, and both must change as the keys say.
set -u
. "$(dirname "$0")/lib.sh"
viz_in_xvfb "$@"
. "$(dirname "$0")/../../scripts/testlib.sh"
viz_kill_at_exit
HV=$BUILD/asan/bin/heapviz
CHECK="python3 viz/test/pngcheck.py"

$BUILD/asan/bin/gen_trace --seed 5 --events 2000 --live 200 --big 2 -o "$T/t.jsonl" ||
	{ no "gen_trace makes the trace"; test_finish; }
COUNT=$(($(grep -c '"i":' "$T/t.jsonl")))
SIZE=1000x700
# the first alloc takes the heap's first block (the churn starts with an empty heap)
A=$(grep -m1 '"k":"alloc"' "$T/t.jsonl" | grep '"addr":"0x80400000"' | sed 's/.*"i":\([0-9]*\),.*/\1/')
[ -n "$A" ] && ok "the first alloc (event $A) takes the heap's first block" ||
	{ no "the first alloc takes the heap's first block"; test_finish; }
# pixel of that block in this layout
LOC=$(SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/ref.png" --at "$A" --size $SIZE --locate 0x80400000 "$T/t.jsonl" | awk '/^locate/ {print $3, $4}')
PEAK=$(SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/peak.png" --at peak --size $SIZE "$T/t.jsonl" | sed -n 's/^snapshot .*position \([0-9]*\) of .*/\1/p')

HEAPVIZ_NOFLASH=1 HEAPVIZ_DUMP="$T/frame.png" $HV --size $SIZE "$T/t.jsonl" 2>"$T/err" &
PID=$!
viz_window "the window opens" 20 "$T/err"

pos() { viz_pos | cut -d' ' -f1; }
key() { xdotool key --window "$WIN" "$@"; }
right() { key $(for _ in $(seq "$1"); do echo Right; done); } # right N: N steps forward
dump() { # dump the frame shown; print the colour at the first block
	rm -f "$T/frame.png"
	kill -USR1 $PID
	for _ in $(seq "$(scaled_count 50)"); do [ -s "$T/frame.png" ] && break; sleep 0.1; done
	$CHECK "$T/frame.png" $LOC | tail -1
}

xdotool mousemove 5 5 # over the status line: no hover outline on the map
key space # it starts playing: pause
key Home
P=$(pos)
[ "$P" = 0 ] && ok "Home goes to the start" || no "Home goes to the start" "position '$P'"
C0=$(dump)
[ "$C0" = "52,56,64" ] && ok "at the start the first block's place is free" || no "start colour" "'$C0'"
right $((A + 1))
P=$(pos)
[ "$P" = $((A + 1)) ] && ok "Right steps one event at a time" || no "$((A + 1)) x Right" "position '$P'"
C1=$(dump)
[ -n "$C1" ] && [ "$C1" != "$C0" ] && [ "$C1" != "46,160,90" ] && ok "the new block is highlighted ($C1)" ||
	no "the new block is highlighted" "colour '$C1'"
right $((9 - (A + 1)))
dump >/dev/null
SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/snap8.png" --at 8 --size $SIZE "$T/t.jsonl" >/dev/null
cmp -s "$T/frame.png" "$T/snap8.png" && ok "the window shows exactly what --snapshot --at 8 renders" ||
	no "the window shows exactly what --snapshot --at 8 renders" "the frame at position 9 differs"
key Left
P=$(pos)
[ "$P" = 8 ] && ok "Left steps back" || no "Left steps back" "position '$P'"
key End
P=$(pos)
[ "$P" = "$COUNT" ] && ok "End goes to the last event" || no "End goes to the last event" "position '$P' want $COUNT"
key p
P=$(pos)
[ "$P" = "$PEAK" ] && ok "p seeks to the peak ($P)" || no "p seeks to the peak" "position '$P' want '$PEAK'"
key Home space
sleep "$(scaled 0.8)"
key space
P1=$(pos)
sleep "$(scaled 0.6)"
P2=$(pos)
[ -n "$P1" ] && [ "$P1" -gt 0 ] && ok "space plays ($P1 events in ~1 s)" || no "space plays" "position '$P1'"
[ "$P1" = "$P2" ] && ok "space pauses" || no "space pauses" "$P1 then $P2"
# a click in the middle of the timeline seeks to about the middle of the trace
eval "$(xdotool getwindowgeometry --shell "$WIN")"
xdotool mousemove --window "$WIN" $((63 + 6 + (1000 - 12 - 63) / 2)) $((700 - 80)) click 1
P=$(pos)
[ -n "$P" ] && [ "$P" -gt $((COUNT * 4 / 10)) ] && [ "$P" -lt $((COUNT * 6 / 10)) ] &&
	ok "a timeline click seeks to the middle ($P of $COUNT)" || no "a timeline click seeks to the middle" "position '$P'"
# a drag on the timeline selects a range of events: the strips between its ends are
# tinted, outside them nothing changes, and the position is where the press was
Y=$((700 - 80))
dump >/dev/null
B_IN=$($CHECK "$T/frame.png" 750 $Y | tail -1) B_OUT=$($CHECK "$T/frame.png" 900 $Y | tail -1)
xdotool mousemove --window "$WIN" 650 $Y mousedown 1 mousemove --window "$WIN" 700 $Y \
	mousemove --window "$WIN" 850 $Y mouseup 1
P=$(pos)
dump >/dev/null
A_IN=$($CHECK "$T/frame.png" 750 $Y | tail -1) A_OUT=$($CHECK "$T/frame.png" 900 $Y | tail -1)
[ "$A_IN" != "$B_IN" ] && [ "$A_OUT" = "$B_OUT" ] &&
	ok "a drag on the timeline selects the range between its ends ($B_IN -> $A_IN inside)" ||
	no "a drag on the timeline selects a range" "inside $B_IN -> $A_IN, outside $B_OUT -> $A_OUT"
[ -n "$P" ] && [ "$P" -gt $((COUNT * 6 / 10)) ] && [ "$P" -lt $((COUNT * 7 / 10)) ] &&
	ok "the drag left the position where it began ($P)" || no "the drag left the position where it began" "'$P'"
key Escape # drops the selection (a second Escape would quit)
sleep "$(scaled 0.3)"
kill -0 $PID 2>/dev/null && ok "Escape drops the selection, heapviz still runs" || no "Escape drops the selection" "heapviz quit"

# the window is resizable and the layout follows
xdotool windowsize "$WIN" 800 520
sleep "$(scaled 0.5)"
dump >/dev/null
S=$($CHECK "$T/frame.png" | head -1)
[ "$S" = "800x520" ] && ok "resized to 800x520, the frame follows" || no "resized to 800x520" "frame is '$S'"
viz_quits "q quits with status 0" "$T/err"
test_finish
