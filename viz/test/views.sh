#!/usr/bin/env bash
# views.sh - issue 13's views in a real window (Xvfb, keys sent with xdotool), on
# the recorded samples: each frame the window shows (dumped with SIGUSR1) must be
# byte for byte what --snapshot renders for the same point, whose content
# viz-test-layout and snapshot.sh check: lifetimes at its peak (p), frag's first
# failure (f), a panicked run opening at its cause with no key pressed, and
# --compare side by side with the differing blocks outlined.
set -u
. "$(dirname "$0")/lib.sh"
viz_in_xvfb "$@"
. "$(dirname "$0")/../../scripts/testlib.sh"
viz_kill_at_exit
HV=$BUILD/asan/bin/heapviz
CHECK="python3 viz/test/pngcheck.py"
SIZE=1000x620

# window NAME ARGS...: starts heapviz ARGS (paused by space unless it opens paused)
window() {
	local name=$1
	shift
	HEAPVIZ_NOFLASH=1 HEAPVIZ_DUMP="$T/frame.png" $HV --size $SIZE "$@" 2>"$T/err" &
	PID=$!
	viz_window "$name opens" 20 "$T/err"
	xdotool mousemove 5 5 # over the status line: no hover outline
}
key() { xdotool key --window "$WIN" "$@"; }
# same_as NAME AT ARGS...: the frame shown equals --snapshot --at AT ARGS
same_as() {
	local name=$1 at=$2
	shift 2
	sleep "$(scaled 0.5)"
	rm -f "$T/frame.png"
	kill -USR1 $PID
	for _ in $(seq "$(scaled_count 50)"); do [ -s "$T/frame.png" ] && break; sleep 0.1; done
	SDL_VIDEODRIVER=offscreen $HV --snapshot "$T/snap.png" --at "$at" --size $SIZE "$@" >/dev/null 2>&1
	cmp -s "$T/frame.png" "$T/snap.png" && ok "$name" || no "$name" "the window's frame differs from --snapshot --at $at"
}
quit() {
	viz_quits "$1 quits" "$T/err"
}

window "lifetimes" samples/lifetimes-small.jsonl
key space p
same_as "lifetimes: p shows the peak as --snapshot --at peak does" peak samples/lifetimes-small.jsonl
quit lifetimes

window "frag" samples/frag.jsonl
key space Home f
same_as "frag: f shows the first failure (the request to scale) as --at first-fail" first-fail samples/frag.jsonl
quit frag

window "panic" samples/panic.jsonl
T1=$(viz_title)
case "$T1" in *"event 996 of 998"*) ok "a panicked run opens at its cause ($T1)" ;; *) no "a panicked run opens at its cause" "'$T1'" ;; esac
same_as "panic: the window shows what --snapshot --at panic renders" panic samples/panic.jsonl
quit panic

head -n 200 samples/churn-small.jsonl > "$T/short.jsonl" # the first 198 events
window "compare" --compare "$T/short.jsonl" samples/churn-small.jsonl
key space End
same_as "compare: the window shows what --snapshot --compare renders" end --compare "$T/short.jsonl" samples/churn-small.jsonl
# the short trace has ended with blocks live, the long one freed all: outlined in pink
# (sampled down columns of the right-hand map: the outlines' top and bottom edges)
PINK=$($CHECK "$T/frame.png" $(for x in 400 450 500 550 600 650; do seq 60 450 | sed "s/^/$x /"; done) |
	grep -c '^255,90,210$')
[ "$PINK" -gt 0 ] && ok "compare: blocks only the ended trace still has are outlined ($PINK samples)" ||
	no "compare: differing blocks outlined" "no pink on the right-hand map"
quit compare
test_finish
