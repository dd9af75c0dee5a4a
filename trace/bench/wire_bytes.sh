#!/usr/bin/env bash
# wire_bytes.sh - bytes on the wire per event and per allocator call for each
# workload: the semihosting stream (the binary encoding itself, header included)
# and the UART log (base64 frames + framing; not for million, which takes minutes
# over the UART). One run per workload: the bytes vary only with the time deltas.
# Goal: <= 8 bytes per event over semihosting.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/wire_bytes.XXXXXX")
trap 'rm -rf "$T"' EXIT

printf "%-10s %9s %9s %11s %11s %10s %12s %11s\n" workload events calls "wire bytes" \
	"bytes/event" "bytes/call" "uart bytes" "uart B/event"
for w in ${WORKLOADS:-churn lifetimes frag vector million}; do
	bench_qemu "$w" "trace=semihosting trace.file=$T/$w.raw" >/dev/null
	if ! "$BENCH_HT" decode -q -o "$T/$w.jsonl" "$T/$w.raw"; then
		bench_fail "wire_bytes_per_event_$w" B "<=8" "bytes per event on the wire (semihosting), $w" "decode failed"
		bench_fail "wire_bytes_per_call_$w" B none "bytes per allocator call on the wire (semihosting), $w" "decode failed"
		continue
	fi
	read -r ev calls <<<"$(bench_counts "$T/$w.jsonl")"
	bytes=$(stat -c %s "$T/$w.raw")
	ub="-" ubpe="-"
	if [ "$w" != million ]; then
		timeout 300 $QEMU $QEMU_FLAGS -kernel "$BENCH_ELF" -append "workload=$w trace=uart" \
			</dev/null >"$T/$w.log" 2>&1
		ub=$(grep -a '^@@HT [0-9]' "$T/$w.log" | wc -c)
		ubpe=$(awk -v b="$ub" -v e="$ev" 'BEGIN { printf "%.2f", b / e }')
	fi
	awk -v w="$w" -v e="$ev" -v c="$calls" -v b="$bytes" -v ub="$ub" -v ubpe="$ubpe" \
		'BEGIN { printf "%-10s %9d %9d %11d %11.2f %10.2f %12s %11s\n", w, e, c, b, b / e, b / c, ub, ubpe }'
	bench_result "wire_bytes_per_event_$w" B "<=8" "bytes per event on the wire (semihosting), $w" \
		"$(awk -v b="$bytes" -v e="$ev" 'BEGIN { printf "%.3f", b / e }')"
	bench_result "wire_bytes_per_call_$w" B none "bytes per allocator call on the wire (semihosting), $w" \
		"$(awk -v b="$bytes" -v c="$calls" 'BEGIN { printf "%.3f", b / c }')"
	[ "$ub" != "-" ] && bench_result "uart_bytes_per_event_$w" B none "bytes per event over the UART (base64 frames), $w" "$ubpe"
done
exit $bench_status
