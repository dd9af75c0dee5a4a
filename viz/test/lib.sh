# lib.sh - what heapviz's window tests (window.sh, follow.sh, live.sh) share; source it:
#   . "$(dirname "$0")/lib.sh"
#   viz_in_xvfb "$@"                                  # before scripts/testlib.sh
#   . "$(dirname "$0")/../../scripts/testlib.sh"
#   viz_kill_at_exit                                  # heapviz's pid in $PID
# The checks count in testlib.sh's $pass and $fail; every wait is stretched by
# TEST_TIME_SCALE (testlib.sh's scaled and scaled_count).

# viz_in_xvfb ARGS: runs the calling script again inside a fresh Xvfb display
# (xvfb-run), once; fails the test if xvfb-run or xdotool is missing.
viz_in_xvfb() {
	[ -n "${IN_XVFB:-}" ] && return
	if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null; then
		echo "FAIL xvfb-run/xdotool missing"
		echo "0 passed, 1 failed"
		exit 1
	fi
	IN_XVFB=1 BUILD=${BUILD:-build} exec xvfb-run -a -s "-screen 0 1280x1024x24" "$0" "$@"
}

# viz_kill_at_exit: at exit, stops the process $PID (if still set) and removes $T.
# SDL's video back ends are dlopen'ed and unloaded; what they leak at exit has no
# module left to suppress by, so leak checks are off (heapviz's own code: viz-test-model).
viz_kill_at_exit() {
	PID=
	trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
	export ASAN_OPTIONS=detect_leaks=0
}

# viz_window NAME WAIT ERRFILE: waits up to WAIT s (scaled) for heapviz's window; sets $WIN.
# Without a window: fails NAME with ERRFILE's end and finishes the test.
viz_window() {
	# polled, not `search --sync`: SDL may replace its first window while creating
	# the renderer, and xdotool gives up on an X error for a window that vanished
	local tries
	tries=$(scaled_count "$(($2 * 5))")
	WIN=
	for _ in $(seq "$tries"); do
		WIN=$(xdotool search --name '^heapviz - ' 2>/dev/null | head -1)
		[ -n "$WIN" ] && xdotool getwindowname "$WIN" >/dev/null 2>&1 && break
		WIN=
		sleep 0.2
	done
	if [ -n "$WIN" ]; then
		ok "$1"
	else
		no "$1" "no window: $(tail -5 "$3")"
		test_finish
	fi
}

# viz_title: $WIN's title once it has stopped changing (heapviz refreshes it every
# 250 ms; on a loaded machine later, hence the scaled wait)
viz_title() {
	local a b pause
	pause=$(scaled 0.3)
	sleep "$pause"
	a=$(xdotool getwindowname "$WIN")
	for _ in $(seq 10); do
		sleep "$pause"
		b=$(xdotool getwindowname "$WIN")
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}

# viz_pos: "POS COUNT" from $WIN's settled title ("event 1,083 of 2,000" is position
# 1084, "start, 2,000 events" position 0); empty if the title says neither
viz_pos() {
	viz_title | tr -d , | sed -n -e 's/.* event \([0-9]*\) of \([0-9]*\).*/\1 \2/p' \
		-e 's/.* start \([0-9]*\) events.*/-1 \1/p' | awk '{print $1 + 1, $2}'
}

# viz_quits NAME ERRFILE: sends q to $WIN; passes if $PID then ends with status 0
# within 5 s (scaled)
viz_quits() {
	xdotool key --window "$WIN" q
	for _ in $(seq "$(scaled_count 50)"); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$PID" 2>/dev/null; then
		no "$1" "still running"
		return
	fi
	wait "$PID"
	local rc=$?
	PID=
	if [ $rc -eq 0 ]; then ok "$1"; else no "$1" "exit status $rc: $(tail -5 "$2")"; fi
}
