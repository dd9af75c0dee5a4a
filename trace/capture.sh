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
# Exit status: decode's if it failed (2 bad/truncated trace, 3 I/O), else the
# kernel's (QEMU's) status, so a panicking workload still leaves its trace behind.
set -u
if [ $# -lt 5 ]; then
	echo "usage: trace/capture.sh KERNEL.elf HEAPTRACE WORKLOAD CHANNEL OUT [BOOTARGS...]" >&2
	exit 2
fi
elf=$1 ht=$2 workload=$3 channel=$4 out=$5
shift 5
# whatever happens next, OUT never holds an earlier run's trace
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
mkdir -p "$BUILD" "$(dirname "$out")"
rm -f "$raw"

# Decode while QEMU runs: `heaptrace decode --follow` reads the raw file as it
# grows and stops at the END event, so decoding overlaps the run instead of
# following it. It writes to a temp file, renamed to OUT at the end. If the
# kernel leaves no END (killed, hung), the follower is stopped after a grace
# period and the whole file is decoded again, which reports the cut-short trace.
tmp=$out.tmp.$$
trap 'rm -f "$tmp"; [ -n "${dec_pid:-}" ] && kill "$dec_pid" 2>/dev/null' EXIT
"$ht" decode --channel "$channel" --elf "$elf" --follow --idle "$TRACE_TIMEOUT" \
	-o "$tmp" "$raw" &
dec_pid=$!

echo "== trace: booting $elf (-append \"$args\")"
start=$EPOCHREALTIME
if [ "$channel" = uart ]; then
	# the console and the frames share stdout: keep all of it, show the console
	timeout --kill-after=5 "$TRACE_TIMEOUT" $QEMU $QEMU_FLAGS "${icount[@]}" -kernel "$elf" \
		-append "$args" </dev/null >"$raw"
	qemu_status=$?
	sed -n '/^heapscope kernel/,$p' "$raw" | grep -av '^@@HT [0-9]'
else
	timeout --kill-after=5 "$TRACE_TIMEOUT" $QEMU $QEMU_FLAGS "${icount[@]}" "${semi[@]}" \
		-kernel "$elf" -append "$args" </dev/null | sed -un '/^heapscope kernel/,$p'
	qemu_status=${PIPESTATUS[0]}
fi
secs=$(awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $start }")
case $qemu_status in
0) echo "== trace: kernel exited normally after ${secs}s" ;;
124 | 137) echo "== trace: kernel killed after ${TRACE_TIMEOUT}s (hung?); decoding what arrived" ;;
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
		echo "capture: the kernel has no workload '$workload' (the list is above); no trace written" >&2
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
[ -s "$tmp" ] && mv -f "$tmp" "$out"
[ -s "$out" ] || exit "$((decode_status ? decode_status : 3))"

if "$ht" stats --help >/dev/null 2>&1; then
	echo "== trace: heaptrace stats $out"
	"$ht" stats "$out"
fi
[ "$decode_status" != 0 ] && exit "$decode_status"
exit "$qemu_status"
