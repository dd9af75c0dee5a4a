#!/usr/bin/env bash
# wire_bytes.sh - bytes per event on the wire for each workload: the semihosting
# stream (the binary encoding itself) and the UART log (base64 frames + framing).
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
ELF=$BUILD/kernel.elf
HT=$BUILD/host/bin/heaptrace
T=$(mktemp -d "${TMPDIR:-/tmp}/wire_bytes.XXXXXX")
trap 'rm -rf "$T"' EXIT

printf "%-10s %9s %11s %11s %12s %11s\n" workload events "wire bytes" "bytes/event" "uart bytes" "uart B/event"
for w in churn vector lifetimes frag million; do
	timeout 300 $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native -kernel "$ELF" \
		-append "workload=$w trace.file=$T/$w.raw" </dev/null >/dev/null 2>&1
	"$HT" decode -q -o "$T/$w.jsonl" "$T/$w.raw" || { echo "$w: decode failed" >&2; continue; }
	ev=$(grep -c '"i":' "$T/$w.jsonl")
	bytes=$(stat -c %s "$T/$w.raw")
	ub="-" ubpe="-"
	if [ "$w" != million ]; then # the UART takes minutes for a million events
		timeout 300 $QEMU $QEMU_FLAGS -kernel "$ELF" -append "workload=$w trace=uart" \
			</dev/null >"$T/$w.log" 2>&1
		ub=$(grep -a '^@@HT [0-9]' "$T/$w.log" | wc -c)
		ubpe=$(awk -v b="$ub" -v e="$ev" 'BEGIN { printf "%.2f", b / e }')
	fi
	awk -v w="$w" -v e="$ev" -v b="$bytes" -v ub="$ub" -v ubpe="$ubpe" \
		'BEGIN { printf "%-10s %9d %11d %11.2f %12s %11s\n", w, e, b, b / e, ub, ubpe }'
done
