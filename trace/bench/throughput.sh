#!/usr/bin/env bash
# throughput.sh - capture throughput end to end (boot, run, ship, decode to JSON,
# symbolise): events per second of wall time, for the million-event workload
# over semihosting and for churn over the UART. As in trace/capture.sh, the
# decoder follows the raw file while QEMU writes it ("decode" = the time it
# needs after QEMU exits).
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
ELF=$BUILD/kernel.elf
HT=$BUILD/host/bin/heaptrace
T=$(mktemp -d "${TMPDIR:-/tmp}/throughput.XXXXXX")
trap 'rm -rf "$T"' EXIT

# run WORKLOAD CHANNEL: prints one result line
run() {
	local w=$1 ch=$2 raw t0 t1 t2 semi=()
	if [ "$ch" = semihosting ]; then
		raw=$T/$w.raw
		semi=(-semihosting-config enable=on,target=native)
	else
		raw=$T/$w.log
	fi
	t0=$EPOCHREALTIME
	"$HT" decode -q --follow --idle 60 --elf "$ELF" -o "$T/$w-$ch.jsonl" "$raw" &
	local dec=$!
	if [ "$ch" = semihosting ]; then
		timeout 600 $QEMU $QEMU_FLAGS "${semi[@]}" -kernel "$ELF" \
			-append "workload=$w trace=semihosting trace.file=$raw" </dev/null >/dev/null 2>&1
	else
		timeout 600 $QEMU $QEMU_FLAGS -kernel "$ELF" -append "workload=$w trace=uart" \
			</dev/null >"$raw" 2>&1
	fi
	t1=$EPOCHREALTIME
	wait "$dec" || { echo "$w/$ch: decode failed" >&2; return; }
	t2=$EPOCHREALTIME
	local ev
	ev=$(grep -c '"i":' "$T/$w-$ch.jsonl")
	awk -v w="$w" -v ch="$ch" -v e="$ev" -v t0="$t0" -v t1="$t1" -v t2="$t2" 'BEGIN {
		printf "%-10s %-12s %9d events  capture %6.2fs  decode %6.2fs  end to end %10.0f events/s\n",
			w, ch, e, t1 - t0, t2 - t1, e / (t2 - t0) }'
}

run million semihosting
run churn semihosting
run churn uart
