#!/usr/bin/env bash
# depth.sh - what call stacks cost (trace.depth=N, docs/capture.md "Call stacks"):
# for each workload, guest instructions under -icount shift=0 (exact: one run is
# the figure) untraced and traced at each depth of DEPTHS, and the bytes on the
# wire (the semihosting stream, STACK records included) per event and per
# allocator call. Event and call counts come from the depth-0 trace (every depth
# traces the same events). Goal, from the issue: with stacks on (depth 8, the
# issue's proposed default, and the kernel's default depth: a run with no
# trace.depth), traced/untraced within +0.1 of depth 0's in the same run, and
# at most 8 bytes per event. Measured, not hard-coded.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/depth.XXXXXX")
trap 'rm -rf "$T"' EXIT
DEPTHS=${DEPTHS:-0 1 2 4 8 16}

# run WORKLOAD TAG BOOTARGS: boots once; prints "instret depth" (depth: the
# frames per stack the kernel says it uses, 0 if it says none), or "?"
run() {
	local out
	out=$(bench_qemu "$1" "trace.file=$T/$2.raw $3" -icount shift=0)
	local ins depth
	ins=$(grep -a "^workload $1: " <<<"$out" | sed -n 's/.*instret \([0-9]*\),.*/\1/p')
	depth=$(sed -n 's/.*call stacks of \([0-9]*\) frames.*/\1/p' <<<"$out")
	[ -n "$ins" ] && echo "$ins ${depth:-0}" || echo "?"
}

printf "%-10s %6s %12s %8s %8s %9s %11s %10s\n" workload depth instret traced "add/call" \
	"wire B" "bytes/event" "bytes/call"
for w in ${WORKLOADS:-churn lifetimes}; do
	read -r off _ <<<"$(run "$w" off trace=off)"
	read -r base _ <<<"$(run "$w" d0 "trace=semihosting trace.depth=0")"
	counts=$("$BENCH_HT" decode -q -o "$T/$w.jsonl" "$T/d0.raw" 2>/dev/null && bench_counts "$T/$w.jsonl")
	read -r ev calls <<<"${counts:-0 0}"
	if [ "$off" = "?" ] || [ "$base" = "?" ] || [ "$ev" = 0 ]; then
		bench_fail "stacks_overhead_$w" x none "tracing overhead with call stacks at the default depth, $w" "run failed"
		continue
	fi
	limit=$(awk -v a="$base" -v b="$off" 'BEGIN { printf "%.4f", a / b + 0.1 }')
	for d in $DEPTHS default; do
		if [ "$d" = default ]; then
			read -r on used <<<"$(run "$w" ddef "trace=semihosting")"
			raw=$T/ddef.raw
		else
			read -r on used <<<"$(run "$w" "d$d" "trace=semihosting trace.depth=$d")"
			raw=$T/d$d.raw
		fi
		if [ "$on" = "?" ] || [ ! -s "$raw" ]; then
			bench_fail "stacks_overhead_${w}_$d" x none "tracing overhead, call stacks of depth $d, $w" "run failed"
			continue
		fi
		bytes=$(stat -c %s "$raw")
		label=$d
		[ "$d" = default ] && label="def=$used"
		awk -v w="$w" -v d="$label" -v on="$on" -v off="$off" -v c="$calls" -v e="$ev" -v b="$bytes" 'BEGIN {
			printf "%-10s %6s %12d %7.3fx %8.1f %9d %11.2f %10.2f\n", w, d, on, on / off,
				(on - off) / c, b, b / e, b / c }'
		ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.4f", a / b }')
		bpe=$(awk -v b="$bytes" -v e="$ev" 'BEGIN { printf "%.3f", b / e }')
		bpc=$(awk -v b="$bytes" -v c="$calls" 'BEGIN { printf "%.3f", b / c }')
		if [ "$d" = default ]; then
			bench_result "stacks_overhead_$w" x "<=$limit" \
				"tracing overhead traced/untraced at the default depth ($used frames; goal: depth 0's + 0.1), $w" "$ratio"
			bench_result "stacks_wire_bytes_per_event_$w" B "<=8" \
				"bytes per event on the wire at the default depth ($used frames), $w" "$bpe"
			bench_result "stacks_wire_bytes_per_call_$w" B none \
				"bytes per allocator call on the wire at the default depth ($used frames), $w" "$bpc"
		elif [ "$d" != 0 ]; then
			g=none gb=none
			[ "$d" = 8 ] && g="<=$limit" gb="<=8"
			bench_result "stacks_overhead_${w}_depth$d" x "$g" \
				"tracing overhead traced/untraced, call stacks of depth $d (goal: depth 0's + 0.1), $w" "$ratio"
			bench_result "stacks_wire_bytes_per_event_${w}_depth$d" B "$gb" \
				"bytes per event on the wire, call stacks of depth $d, $w" "$bpe"
			bench_result "stacks_wire_bytes_per_call_${w}_depth$d" B none \
				"bytes per allocator call on the wire, call stacks of depth $d, $w" "$bpc"
		fi
	done
done
echo "(guest instructions, exact under -icount shift=0; traced = instret / untraced; add/call ="
echo " instructions tracing adds per allocator call; wire B = the semihosting stream, STACK records"
echo " and block heads included)"
exit $bench_status
