#!/usr/bin/env bash
# follow.sh - heapviz --follow on a trace that grows while it runs (Xvfb): new events
# appear, a partial last line waits for its end, the user can scrub back while
# the file keeps growing, End returns to live, and the END event is noticed.
set -u
. "$(dirname "$0")/lib.sh"
viz_in_xvfb "$@"
. "$(dirname "$0")/../../scripts/testlib.sh"
viz_kill_at_exit
HV=$BUILD/asan/bin/heapviz

$BUILD/asan/bin/gen_trace --seed 9 --events 3000 --live 300 --big 1 -o "$T/full.jsonl" ||
	{ no "gen_trace makes the trace"; test_finish; }
N=$(wc -l < "$T/full.jsonl")
G="$T/grow.jsonl"
events_in() { grep -c '"i":' "$1"; }

# the file does not exist yet when heapviz starts: it waits for the header
(sleep 1; head -n 200 "$T/full.jsonl" > "$G") &
HEAPVIZ_NOFLASH=1 $HV --follow --size 900x600 "$G" 2>"$T/err" &
PID=$!
viz_window "the window opens once the header is there" 20 "$T/err"
pos() { viz_pos; }
key() { xdotool key --window "$WIN" "$@"; }
xdotool mousemove 5 5

E=$(events_in "$G")
P=$(pos)
[ "$P" = "$E $E" ] && ok "live: shows all $E events written so far" || no "live: shows all events" "'$P' want '$E $E'"

# half a line: not an event until its newline arrives
sed -n '201,400p' "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
L=$(sed -n '401p' "$T/full.jsonl")
printf '%s' "${L:0:20}" >> "$G"
P=$(pos)
[ "$P" = "$E $E" ] && ok "new events animate in; the partial line waits ($P)" ||
	no "new events animate in; the partial line waits" "'$P' want '$E $E'"
printf '%s\n' "${L:20}" >> "$G"
E=$(events_in "$G")
P=$(pos)
[ "$P" = "$E $E" ] && ok "the completed line is read" || no "the completed line is read" "'$P' want '$E $E'"

# scrub back while capture continues
key Home
sed -n "402,$((N - 2))p" "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
P=$(pos)
[ "$P" = "0 $E" ] && ok "scrubbed back: stays at 0 while events keep arriving" ||
	no "scrubbed back: stays at 0" "'$P' want '0 $E'"
key Right Right
P=$(pos)
[ "$P" = "2 $E" ] && ok "stepping works while following" || no "stepping works while following" "'$P'"
key End
P=$(pos)
[ "$P" = "$E $E" ] && ok "End returns to live" || no "End returns to live" "'$P'"

# the end of the trace
sed -n "$((N - 1)),\$p" "$T/full.jsonl" >> "$G"
E=$(events_in "$G")
T1=$(viz_title)
case "$(echo "$T1" | tr -d ,)" in *"event $((E - 1)) of $E (complete)"*) ok "the END event is noticed" ;; *) no "the END event is noticed" "'$T1'" ;; esac
viz_quits "q quits with status 0" "$T/err"
test_finish
