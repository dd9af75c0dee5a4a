#!/usr/bin/env bash
# live.sh - `make live`: boots the kernel in QEMU with the semihosting trace channel,
# decodes the raw trace while it grows (heaptrace decode --follow) and shows it in
# heapviz --follow. Closing heapviz stops QEMU and the decoder.
#
#   viz/live.sh KERNEL.elf HEAPTRACE HEAPVIZ WORKLOAD OUT [BOOTARGS...]
#
# Environment: QEMU, QEMU_FLAGS, BUILD, LIVE_TIMEOUT (seconds QEMU may run, default 600).
# Exit status: heapviz's (0 ok, 2 bad trace, 3 no display or I/O), or 2 for bad usage.
set -u
if [ $# -lt 5 ]; then
	echo "usage: viz/live.sh KERNEL.elf HEAPTRACE HEAPVIZ WORKLOAD OUT [BOOTARGS...]" >&2
	exit 2
fi
elf=$1 ht=$2 hv=$3 workload=$4 out=$5
shift 5
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
BUILD=${BUILD:-build}
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	echo "live: no display (DISPLAY unset); use 'make trace' and heapviz --snapshot instead" >&2
	exit 3
fi
raw=$BUILD/live-$workload.raw
mkdir -p "$BUILD" "$(dirname "$out")"
rm -f "$raw" "$out"
args="workload=$workload trace=semihosting trace.file=$raw${*:+ $*}"
qemu_pid= dec_pid=
stop() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$dec_pid" ] && kill "$dec_pid" 2>/dev/null
	wait 2>/dev/null
}
trap stop EXIT
echo "== live: booting $elf (-append \"$args\")"
timeout --kill-after=5 "${LIVE_TIMEOUT:-600}" $QEMU $QEMU_FLAGS \
	-semihosting-config enable=on,target=native -kernel "$elf" -append "$args" </dev/null >"$BUILD/live-$workload.console" 2>&1 &
qemu_pid=$!
for _ in $(seq 100); do [ -e "$raw" ] && break; sleep 0.1; done
if [ ! -e "$raw" ]; then
	echo "live: QEMU wrote no trace to $raw (console: $BUILD/live-$workload.console)" >&2
	exit 3
fi
"$ht" decode --follow --quiet --channel semihosting --elf "$elf" -o "$out" "$raw" &
dec_pid=$!
echo "== live: heapviz --follow $out (q quits)"
"$hv" --follow "$out"
