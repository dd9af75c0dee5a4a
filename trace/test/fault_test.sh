#!/usr/bin/env bash
# fault_test.sh - faults during a capture (issue 14): QEMU killed mid-capture, a
# hang, a panic, a stack overflow by recursion, a full disk, an unwritable OUT,
# Ctrl-C of `make trace`, SIGTERM of the capture, and a deferred-mode buffer
# overflow. Each must leave either a trace that every tool reads and calls
# incomplete (or uncertain, for drops) or a clear error; never a trace that
# looks complete, a temporary file, or a QEMU still running.
# Ends with "N passed, N failed" (scripts/testlib.sh).
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
ELF=$BUILD/kernel.elf
HT=$BUILD/asan/bin/heaptrace
[ -x "$HT" ] || HT=$BUILD/host/bin/heaptrace
MAKE=${MAKE:-make}
export BUILD
# capture's own temporaries (its FIFO directory) go here, so none may remain
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
run_id=fault$$ # a boot argument the kernel ignores, to find this test's QEMUs

# capture NAME WORKLOAD [BOOTARGS...]: trace/capture.sh into $T/NAME/out.jsonl;
# output in $T/NAME.log, status in $status and $T/NAME.status (for a capture run
# in the background)
capture() {
	local name=$1 w=$2
	shift 2
	mkdir -p "$T/$name"
	timeout "$(scaled 120)" trace/capture.sh "$ELF" "$HT" "$w" semihosting "$T/$name/out.jsonl" \
		"id=$run_id-$name" "$@" >"$T/$name.log" 2>&1
	status=$?
	echo $status >"$T/$name.status"
}

# qemu_of NAME: the pid of the QEMU booted for capture NAME (empty if none runs)
qemu_of() {
	local p
	for p in $(pgrep -f "id=$run_id-$1" 2>/dev/null); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in qemu-system*) echo "$p" ;; esac
	done
}

# wait_for FILE PATTERN SECONDS: until FILE contains PATTERN (false on timeout)
wait_for() {
	local i
	for i in $(seq "$(scaled_count $(($3 * 10)))"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# nothing_left NAME: no QEMU of capture NAME runs, no temporary remains beside
# OUT or in TMPDIR; prints what is left otherwise
nothing_left() {
	local left
	left="$(qemu_of "$1")$(cd "$T/$1" && ls -A | grep -v '^out\.jsonl$')$(ls -A "$TMPDIR")"
	[ -z "$left" ] || { echo "left behind: $left" | tr '\n' ' '; return 1; }
}

# cut_short_everywhere FILE: FILE has no end event, and every tool says it was
# cut short; prints the first tool that does not
cut_short_everywhere() {
	local f=$1
	if [ "$(tail -1 "$f" | jq -r .k)" = end ]; then echo "ends with an end event"; return 1; fi
	"$HT" stats "$f" 2>&1 | grep -q "complete: NO" || { echo "stats does not say incomplete"; return 1; }
	"$HT" check "$f" 2>&1 | grep -q "cut short" || { echo "check does not say cut short"; return 1; }
	"$HT" leaks "$f" 2>&1 | grep -q "trace was cut" || { echo "leaks does not say cut"; return 1; }
	"$HT" export --format massif -o "$T/x.massif" "$f" 2>&1 | grep -q "cut short" ||
		{ echo "export does not warn"; return 1; }
	"$HT" diff "$T/frag/out.jsonl" "$f" >"$T/x.diff" 2>&1
	local d=$?
	[ $d != 0 ] && grep -q "INCOMPLETE" "$T/x.diff" || { echo "diff exit $d, no INCOMPLETE"; return 1; }
}

# ---- a good capture first: the yardstick, and proof that the harness works ----
capture frag frag
t=a_clean_capture_is_complete_and_leaves_nothing_behind
why=
if [ $status = 0 ] && [ "$(tail -1 "$T/frag/out.jsonl" | jq -r .k)" = end ] && why=$(nothing_left frag); then
	ok "$t"
else
	no "$t" "status $status ${why:-}"
fi

# ---- QEMU killed mid-capture: killed, not "hung" --------------------------------------
TRACE_TIMEOUT=$(scaled 60) capture killed hang &
cap=$!
wait_for "$T/killed.log" "spinning forever" 30
sleep 0.5 # a tick or more: the events before the spin are flushed
kill -9 $(qemu_of killed) 2>/dev/null
wait $cap
status=$(cat "$T/killed.status")
t=qemu_killed_by_a_signal_is_reported_as_killed_not_as_hung
why=
if grep -q "^== trace: QEMU was killed by signal 9 (SIGKILL)" "$T/killed.log" &&
	! grep -q "^== trace:.*hung" "$T/killed.log"; then
	ok "$t"
else
	no "$t" "$(grep '^== trace: [kQ]' "$T/killed.log")"
fi
t=qemu_killed_leaves_a_trace_every_tool_calls_cut_short
why=
if [ $status = 2 ] && why=$(cut_short_everywhere "$T/killed/out.jsonl") && why=$(nothing_left killed); then
	ok "$t"
else
	no "$t" "status $status ${why:-}"
fi

# ---- a hang: the time limit stops it; the periodic flush saved the events --------------
TRACE_TIMEOUT=$(scaled 3) capture hang hang
t=hang_is_stopped_by_the_time_limit_and_said_to_be_hung
why=
if [ $status = 2 ] && grep -q "stopped by the time limit .*hung?" "$T/hang.log"; then
	ok "$t"
else
	no "$t" "status $status: $(grep '^== trace: k' "$T/hang.log")"
fi
t=hang_trace_holds_every_event_up_to_the_spin_and_is_cut_short_everywhere
why=
# the spin marker is the workload's last event: nothing before it was lost
if jq -e -s '[.[] | select(.i != null)] | (.[-1].k == "marker") and (.[-1].name == "spin")
		and ([.[] | select(.k == "alloc")] | length > 100)' "$T/hang/out.jsonl" >/dev/null 2>&1 &&
	why=$(cut_short_everywhere "$T/hang/out.jsonl") && why=$(nothing_left hang); then
	ok "$t"
else
	no "$t" "${why:-last event $(tail -1 "$T/hang/out.jsonl")}"
fi

# ---- a panic: complete up to the panic, flagged, status 2 -------------------------------
capture panic panic
t=panic_leaves_a_trace_flagged_panic_that_stats_explains
why=
if [ $status = 2 ] && [ "$(tail -1 "$T/panic/out.jsonl" | jq -r .panic)" = true ] &&
	"$HT" stats "$T/panic/out.jsonl" 2>&1 | grep -q "^panic: double free" && why=$(nothing_left panic); then
	ok "$t"
else
	no "$t" "status $status ${why:-}; last line $(tail -1 "$T/panic/out.jsonl")"
fi

# ---- a stack overflow by unbounded recursion: caught by the guard, trace flushed ---------
capture recurse recurse
t=runaway_recursion_is_a_stack_overflow_with_status_5
why=
if [ $status = 5 ] && grep -q "panic: stack overflow: store/AMO page fault at .* in the guard below the boot stack" \
	"$T/recurse.log"; then
	ok "$t"
else
	no "$t" "status $status: $(grep -m1 panic "$T/recurse.log")"
fi
t=runaway_recursion_keeps_the_trace_up_to_the_overflow_flagged_panic
why=
# the guard stopped the stack before .bss, where the trace buffer lives
if jq -e -s '(.[-1].k == "end") and (.[-1].panic == true)
		and ([.[] | select(.k == "alloc" and .size == 16)] | length > 1000)' \
		"$T/recurse/out.jsonl" >/dev/null 2>&1 &&
	"$HT" stats "$T/recurse/out.jsonl" 2>&1 | grep -qi "panic" && why=$(nothing_left recurse); then
	ok "$t"
else
	no "$t" "${why:-last line $(tail -1 "$T/recurse/out.jsonl" 2>/dev/null)}"
fi

# ---- a full disk: the host cannot write the raw trace --------------------------------------
# QEMU runs with a 64 KiB file-size limit (SIGXFSZ ignored, so its writes fail
# with EFBIG as on a full disk): two whole 32 KiB blocks fit, the third is cut.
# Its console is a pipe, which the limit spares.
cat >"$T/qemu-full-disk" <<EOF
#!/usr/bin/env bash
trap '' XFSZ
ulimit -f 64
exec ${QEMU:-qemu-system-riscv64} "\$@"
EOF
chmod +x "$T/qemu-full-disk"
QEMU=$T/qemu-full-disk capture full churn
t=full_disk_is_reported_as_the_host_failing_to_write_the_trace
why=
if [ $status = 3 ] && grep -q "trace: the host could not write the trace file (.* bytes not written: disk full?)" "$T/full.log" &&
	grep -q "capture: the host could not write the trace (disk full?)" "$T/full.log"; then
	ok "$t"
else
	no "$t" "status $status: $(grep -m2 'could not\|capture:' "$T/full.log")"
fi
t=full_disk_leaves_what_arrived_decoded_and_cut_short_everywhere
why=
if [ -s "$T/full/out.jsonl" ] && why=$(cut_short_everywhere "$T/full/out.jsonl") && why=$(nothing_left full); then
	ok "$t"
else
	no "$t" "${why:-no OUT}"
fi
t=unwritable_host_file_makes_the_kernel_exit_7_with_the_reason
why=
# trace.file=/dev/full: SYS_OPEN succeeds, every SYS_WRITE fails
timeout --kill-after=5 "$(scaled 60)" ${QEMU:-qemu-system-riscv64} -machine virt -m 128M -nographic \
	-bios default -no-reboot -semihosting-config enable=on,target=native -kernel "$ELF" \
	-append "workload=churn trace.file=/dev/full" </dev/null >"$T/devfull.log" 2>&1
st=$?
if [ $st = 7 ] && grep -q "the host could not write the trace file" "$T/devfull.log" &&
	! grep -q "workload churn: ok" "$T/devfull.log"; then
	ok "$t"
else
	no "$t" "status $st: $(grep -m1 'trace:' "$T/devfull.log")"
fi

# ---- an unwritable OUT: a clear error, nothing written ----------------------------------------
echo "a file, not a directory" >"$T/notadir"
trace/capture.sh "$ELF" "$HT" frag semihosting "$T/notadir/out.jsonl" >"$T/baddir.log" 2>&1
st=$?
t=out_in_a_directory_that_cannot_be_made_is_a_clear_error
why=
if [ $st = 3 ] && grep -q "capture: cannot create the directory" "$T/baddir.log" &&
	[ "$(cat "$T/notadir")" = "a file, not a directory" ]; then
	ok "$t"
else
	no "$t" "status $st: $(tail -1 "$T/baddir.log")"
fi
mkfifo "$T/fifo.jsonl"
trace/capture.sh "$ELF" "$HT" frag semihosting "$T/fifo.jsonl" >"$T/fifo.log" 2>&1
st=$?
t=out_that_is_not_a_regular_file_is_refused_and_left_alone
why=
if [ $st = 3 ] && grep -q "is not a regular file" "$T/fifo.log" && [ -p "$T/fifo.jsonl" ]; then
	ok "$t"
else
	no "$t" "status $st: $(tail -1 "$T/fifo.log")"
fi

# ---- Ctrl-C of make trace: SIGINT to make's process group ----------------------------------------
# (what a terminal does; QEMU is not in that group: timeout gives it its own)
mkdir -p "$T/int"
# (a background job of a script starts with SIGINT ignored, which a terminal's
# make does not: env restores the default, so make and capture.sh see Ctrl-C)
setsid env --default-signal=INT "$MAKE" --no-print-directory -s BUILD="$BUILD" trace WORKLOAD=hang OUT="$T/int/out.jsonl" \
	TRACE_ARGS="id=$run_id-int" >"$T/int.log" 2>&1 &
mk=$!
wait_for "$T/int.log" "spinning forever" 300
sleep 0.5
kill -INT -- "-$mk" # setsid made make the leader of its own process group
wait $mk
status=$?
sleep 0.2
t=ctrl_c_of_make_trace_stops_qemu_and_leaves_no_trace_or_temporary
why=
if [ $status != 0 ] && grep -q "interrupted (SIGINT)" "$T/int.log" && [ ! -e "$T/int/out.jsonl" ] &&
	[ ! -e "$T/int/out.png" ] && why=$(nothing_left int); then
	ok "$t"
else
	no "$t" "make status $status ${why:-}; OUT $(ls "$T/int")"
fi

# ---- SIGTERM of the capture script itself -------------------------------------------------------
TRACE_TIMEOUT=$(scaled 60) capture term hang &
cap=$!
wait_for "$T/term.log" "spinning forever" 30
for p in $(pgrep -f "capture.sh $ELF $HT hang semihosting $T/term/out.jsonl"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = bash ] && kill -TERM "$p" # the script, not its timeout
done
wait $cap 2>/dev/null # (no "Terminated" job notice)
status=$(cat "$T/term.status")
sleep 0.2
t=sigterm_of_the_capture_stops_qemu_and_leaves_no_trace_or_temporary
why=
if [ $status = 143 ] && grep -q "interrupted (SIGTERM)" "$T/term.log" && [ ! -e "$T/term/out.jsonl" ] &&
	why=$(nothing_left term); then
	ok "$t"
else
	no "$t" "status $status ${why:-}"
fi

# ---- deferred mode with a tiny buffer: drops, and every tool says the figures are uncertain ----
capture drops churn trace.defer=1 trace.buf=512
f=$T/drops/out.jsonl
t=deferred_overflow_drops_are_counted_and_every_tool_flags_them
why=
why=""
[ $status = 0 ] || why="capture status $status"
jq -e -s '(.[-1].k == "end") and (.[-1].dropped > 0)
	and (.[-1].dropped == ([.[] | select(.k == "drop") | .count] | add))' "$f" >/dev/null 2>&1 ||
	why+=" end event does not account for the drops"
grep -q "dropped" "$T/drops.log" || why+=" decode summary silent about drops"
"$HT" stats "$f" 2>&1 | grep -q "WARNING: .* events were dropped" || why+=" stats silent"
"$HT" check "$f" >"$T/x.check" 2>&1
[ $? = 1 ] || why+=" check does not fail"
"$HT" leaks "$f" >/dev/null 2>&1
[ $? = 4 ] || why+=" leaks not uncertain (exit 4)"
"$HT" export --format massif -o "$T/x.massif" "$f" 2>&1 | grep -q "dropped" || why+=" export silent"
nothing_left drops >/dev/null || why+=" $(nothing_left drops)"
[ -z "$why" ] && ok "$t" || no "$t" "$why"

test_finish
