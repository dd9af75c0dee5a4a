#!/usr/bin/env bash
# capture.sh - `make trace`: boots the kernel in QEMU with one workload, captures
# its heap trace over the chosen channel, decodes and symbolises it, shows the stats.
#
#   trace/capture.sh KERNEL.elf HEAPTRACE WORKLOAD CHANNEL OUT [EXTRA BOOT ARGS...]
#
# CHANNEL: semihosting (QEMU writes the raw trace to $BUILD/trace-WORKLOAD.raw) or
# uart (semihosting left off; the console log $BUILD/trace-WORKLOAD.uart.log holds
# the @@HT frames). Environment: QEMU, QEMU_FLAGS, BUILD, TRACE_TIMEOUT (seconds,
# default 600), ICOUNT=1 (deterministic guest time). Decoding runs alongside QEMU
# (heaptrace decode --follow); OUT is removed first, written to a temp file and
# renamed, so it exists only if this capture decoded something.
# Faults: Ctrl-C, SIGTERM or SIGHUP stop QEMU and the decoder, remove OUT and
# every temporary file, and end the script by the same signal (OUT is never left
# looking complete). QEMU stopped by the time limit, killed by a signal, or a
# host that cannot write the raw trace (disk full) are each said as such, and
# what arrived is decoded into an OUT that every tool calls incomplete.
# Exit status: 3 if the host could not write the raw trace or OUT cannot be
# written; else decode's if it failed (2 bad/truncated trace, 3 I/O), else the
# kernel's (QEMU's) status, so a panicking workload still leaves its trace behind.
set -u
if [ $# -lt 5 ]; then
	echo "usage: trace/capture.sh KERNEL.elf HEAPTRACE WORKLOAD CHANNEL OUT [BOOTARGS...]" >&2
	exit 2
fi
elf=$1 ht=$2 workload=$3 channel=$4 out=$5
shift 5
# whatever happens next, OUT never holds an earlier run's trace (and is a file)
if [ -L "$out" ] || { [ -e "$out" ] && [ ! -f "$out" ]; }; then
	echo "capture: OUT $out is not a regular file; refusing to replace it" >&2
	exit 3
fi
rm -f "$out"
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
BUILD=${BUILD:-build}
TRACE_TIMEOUT=${TRACE_TIMEOUT:-600}
icount=()
[ "${ICOUNT:-0}" = 1 ] && icount=(-icount shift=0)

case $channel in
semihosting)
	raw=$BUILD/trace-$workload.raw
	semi=(-semihosting-config enable=on,target=native)
	args="workload=$workload trace=semihosting trace.file=$raw${*:+ $*}"
	;;
uart)
	raw=$BUILD/trace-$workload.uart.log
	semi=()
	args="workload=$workload trace=uart${*:+ $*}"
	;;
*)
	echo "capture: CHANNEL must be semihosting or uart, not '$channel'" >&2
	exit 2
	;;
esac
if ! mkdir -p "$BUILD" "$(dirname "$out")" 2>/dev/null; then
	echo "capture: cannot create the directory of $BUILD or of OUT $out; no trace written" >&2
	exit 3
fi
rm -f "$raw"

# Decode while QEMU runs: `heaptrace decode --follow` reads the raw file as it
# grows and stops at the END event, so decoding overlaps the run instead of
# following it. It writes to a temp file, renamed to OUT at the end. If the
# kernel leaves no END (killed, hung), the follower is stopped after a grace
# period and the whole file is decoded again, which reports the cut-short trace.
tmp=$out.tmp.$$
work=$(mktemp -d "${TMPDIR:-/tmp}/capture.XXXXXX") || exit 3
qemu_pid= dec_pid= sed_pid=
trap 'rm -rf "$work" "$tmp"; [ -n "$dec_pid" ] && kill "$dec_pid" 2>/dev/null' EXIT

# stop_all: stops QEMU (timeout forwards the signal), the console filter and the
# decoder, and waits for them, so nothing of this capture outlives it.
stop_all() {
	local p
	for p in $qemu_pid $sed_pid $dec_pid; do kill "$p" 2>/dev/null; done
	for p in $qemu_pid $sed_pid $dec_pid; do wait "$p" 2>/dev/null; done
	qemu_pid= sed_pid= dec_pid=
}
# on_signal SIG: Ctrl-C (SIGINT to make's process group, which QEMU is not in:
# timeout gives it its own), SIGTERM or SIGHUP. Nothing is left that looks like
# a trace: OUT and the temporaries go; the raw capture stays for inspection.
on_signal() {
	trap '' INT TERM HUP
	echo "== trace: interrupted (SIG$1): QEMU stopped, no trace written to $out" >&2
	stop_all
	rm -rf "$work" "$tmp" "$out"
	trap - EXIT "$1"
	kill -s "$1" $$ # die by the signal, so the caller (make) sees an interrupt
	exit $((128 + $(kill -l "$1")))
}
for sig in INT TERM HUP; do trap "on_signal $sig" "$sig"; done

"$ht" decode --channel "$channel" --elf "$elf" --follow --idle "$TRACE_TIMEOUT" \
	-o "$tmp" "$raw" &
dec_pid=$!

# QEMU runs in the background and this shell waits for it, so a signal to this
# script is handled at once (a foreground child would delay the trap until QEMU
# ended by itself).
echo "== trace: booting $elf (-append \"$args\")"
start=$EPOCHREALTIME
if [ "$channel" = uart ]; then
	# the console and the frames share stdout: keep all of it, show the console after
	timeout --kill-after=5 "$TRACE_TIMEOUT" $QEMU $QEMU_FLAGS "${icount[@]}" -kernel "$elf" \
		-append "$args" </dev/null >"$raw" &
	qemu_pid=$!
else
	mkfifo "$work/console"
	# the console from the kernel's banner on, each line as it comes: the range
	# ends at /\n/, which no line holds (a range to `$` reads a line ahead, and
	# would hold back the last line of a hung kernel)
	sed -un '/^heapscope kernel/,/\n/p' <"$work/console" &
	sed_pid=$!
	timeout --kill-after=5 "$TRACE_TIMEOUT" $QEMU $QEMU_FLAGS "${icount[@]}" "${semi[@]}" \
		-kernel "$elf" -append "$args" </dev/null >"$work/console" &
	qemu_pid=$!
fi
wait "$qemu_pid" 2>/dev/null # (no "Killed" job notice: the case below says it)
qemu_status=$?
qemu_pid=
if [ -n "$sed_pid" ]; then
	wait "$sed_pid"
	sed_pid=
else
	sed -n '/^heapscope kernel/,$p' "$raw" | grep -av '^@@HT [0-9]'
fi
secs=$(awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $start }")
timed_out=$(awk "BEGIN { print ($secs >= $TRACE_TIMEOUT) ? 1 : 0 }")
host_write_failed=0
case $qemu_status in
0) echo "== trace: kernel exited normally after ${secs}s" ;;
7) # EXIT_TRACE_LOST (kernel/exit.h): SYS_WRITE could not write everything
	host_write_failed=1
	echo "capture: the host could not write the trace (disk full?): $raw holds what" \
		"was written before the failure; decoding it, incomplete" >&2
	;;
124) echo "== trace: kernel stopped by the time limit after ${secs}s (TRACE_TIMEOUT=${TRACE_TIMEOUT}: hung?); decoding what arrived" ;;
13[0-9] | 1[4-5][0-9])
	if [ "$qemu_status" = 137 ] && [ "$timed_out" = 1 ]; then
		echo "== trace: kernel stopped by the time limit after ${secs}s (TRACE_TIMEOUT=${TRACE_TIMEOUT}: hung?; QEMU needed SIGKILL); decoding what arrived"
	else
		echo "== trace: QEMU was killed by signal $((qemu_status - 128)) (SIG$(kill -l $((qemu_status - 128)))) after ${secs}s, before the time limit; decoding what arrived"
	fi
	;;
*) echo "== trace: kernel exited with status $qemu_status after ${secs}s (see kernel/exit.h)" ;;
esac

# the follower ends by itself at END; give it a little while to drain
for _ in $(seq 1 ${CAPTURE_GRACE_TICKS:-100}); do
	kill -0 "$dec_pid" 2>/dev/null || break
	sleep 0.05
done
follow_done=0
if ! kill -0 "$dec_pid" 2>/dev/null; then
	wait "$dec_pid"
	decode_status=$?
	follow_done=1
else
	kill "$dec_pid" 2>/dev/null
	wait "$dec_pid" 2>/dev/null
fi
dec_pid=
if [ ! -e "$raw" ]; then
	if [ "$qemu_status" = 6 ]; then # EXIT_WORKLOAD_FAILED before tracing started
		echo "capture: the kernel refused its boot arguments (no workload '$workload', or an unknown policy=: the list is above); no trace written" >&2
	else
		echo "capture: no raw trace at $raw; no trace written" >&2
	fi
	exit 3
fi

echo "== trace: decoded $raw ($(stat -c %s "$raw") bytes) -> $out"
if [ "$follow_done" != 1 ] || [ "$decode_status" != 0 ]; then
	# no END or a problem: decode the whole file once more for the full report
	"$ht" decode --channel "$channel" --elf "$elf" -o "$tmp" "$raw"
	decode_status=$?
fi
if [ "$decode_status" = 2 ] && [ "$qemu_status" = 0 ]; then
	echo "capture: QEMU exited with status 0 but the kernel never finished the trace" \
		"(QEMU stopped from outside, e.g. by SIGTERM?)" >&2
fi
[ -s "$tmp" ] && mv -f "$tmp" "$out"
[ -s "$out" ] || exit "$((decode_status ? decode_status : 3))"

if "$ht" stats --help >/dev/null 2>&1; then
	echo "== trace: heaptrace stats $out"
	"$ht" stats "$out"
fi
[ "$host_write_failed" = 1 ] && exit 3
[ "$decode_status" != 0 ] && exit "$decode_status"
exit "$qemu_status"
