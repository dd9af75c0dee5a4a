#!/usr/bin/env bash
# overhead.sh - tracing overhead in guest instructions: each workload runs under
# -icount shift=0 (rdinstret = exact guest instruction count) untraced
# (trace=off), with the hook installed but events ignored (trace=null: the
# allocator's share) and traced over semihosting; the kernel prints the
# workload's instret. Reports the ratios. Measured, not hard-coded.
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
ELF=$BUILD/kernel.elf
T=$(mktemp -d "${TMPDIR:-/tmp}/overhead.XXXXXX")
trap 'rm -rf "$T"' EXIT

# instret WORKLOAD BOOTARGS: the workload's instruction count, or "?" (events in $T/events)
instret() {
	local out
	out=$(timeout 300 $QEMU $QEMU_FLAGS -icount shift=0 -semihosting-config enable=on,target=native \
		-kernel "$ELF" -append "workload=$1 trace.file=$T/raw $2" </dev/null 2>&1 | grep -a "^workload $1: ")
	echo "$out" | sed -n 's/.* trace [a-z]*: \([0-9]*\) events.*/\1/p' >"$T/events"
	echo "$out" | sed -n 's/.*instret \([0-9]*\),.*/\1/p' | grep . || echo "?"
}

printf "%-10s %12s %12s %12s %9s %7s %7s %8s %8s\n" workload untraced "hook-only" traced events \
	"hook" "traced" "slow/ev" "fast/ev"
for w in ${WORKLOADS:-churn vector lifetimes frag million}; do
	off=$(instret "$w" "trace=off")
	null=$(instret "$w" "trace=null")
	on=$(instret "$w" "trace=semihosting")
	ev=$(cat "$T/events")
	if [ "$off" = "?" ] || [ "$null" = "?" ] || [ "$on" = "?" ] || [ -z "$ev" ] || [ "$ev" = 0 ]; then
		echo "$w: run failed" >&2
		continue
	fi
	awk -v w="$w" -v off="$off" -v null="$null" -v on="$on" -v ev="$ev" 'BEGIN {
		printf "%-10s %12d %12d %12d %9d %6.3fx %6.3fx %8.1f %8.1f\n", w, off, null, on, ev,
			null / off, on / off, (null - off) / ev, (on - off) / ev }'
done
echo "(instructions; 'hook' = trace=null / untraced, 'traced' = semihosting / untraced;"
echo " per event: slow/ev = building struct heap_event + calling the hook (trace=null: the general"
echo " path, which the bound fast path bypasses), fast/ev = everything tracing adds when traced)"
