#!/usr/bin/env bash
# policies.sh - `make policies`: every sample workload under every allocator
# policy, in one table. Each workload is captured in QEMU once per policy
# (policy= at boot, the real kernel) and summarised by heaptrace stats; the
# heap efficiency is found by replay (heaptrace replay --heap-size, bisected):
# the smallest heap on which the policy runs the workload with no more failed
# allocations than on the full heap, against the workload's peak of live
# requested bytes. A heap-map PNG per run, at its peak, goes to $BUILD/policies/.
#
#   trace/policies.sh KERNEL.elf HEAPTRACE HEAPVIZ
#
# Environment: BUILD, QEMU, QEMU_FLAGS, POLICIES (default: all four),
# POLICY_WORKLOADS (default: churn vector frag lifetimes). Exit status: 0, or 1
# if a capture or replay failed (the table still shows the rest).
set -u
if [ $# -ne 3 ]; then
	echo "usage: trace/policies.sh KERNEL.elf HEAPTRACE HEAPVIZ" >&2
	exit 2
fi
elf=$1 ht=$2 hv=$3
BUILD=${BUILD:-build}
POLICIES=${POLICIES:-first next best segregated}
POLICY_WORKLOADS=${POLICY_WORKLOADS:-churn vector frag lifetimes}
dir=$BUILD/policies
mkdir -p "$dir"
status=0

# the boot arguments that keep each capture small
wl_args() {
	case $1 in
	churn | lifetimes) echo "ops=2000" ;;
	vector) echo "ops=4000" ;;
	*) echo "" ;;
	esac
}

# peak_requested TRACE: the largest sum of requested sizes of live blocks
peak_requested() {
	jq -s -r '
		reduce (.[] | select(.k == "alloc" or .k == "free")) as $e ({live: {}, cur: 0, peak: 0};
			if $e.k == "alloc" then .live[$e.addr] = $e.size | .cur += $e.size
			else .cur -= (.live[$e.addr] // 0) | del(.live[$e.addr]) end
			| .peak = ([.peak, .cur] | max)) | .peak' "$1"
}

# fails TRACE: its alloc_fail events
fails() { grep -c '"k":"alloc_fail"' "$1"; }

# min_heap TRACE POLICY SIZE: the smallest heap (16-byte steps, 1% precision)
# that replays TRACE under POLICY with no more failures than SIZE bytes do
min_heap() {
	local trace=$1 policy=$2 hi=$3 lo=4096 want mid
	"$ht" replay --policy "$policy" --heap-size "$hi" -o "$dir/bisect.jsonl" "$trace" 2>/dev/null || return 1
	want=$(fails "$dir/bisect.jsonl")
	while [ $((hi - lo)) -gt $((hi / 100 + 16)) ]; do
		mid=$(((lo + hi) / 2 & ~15))
		"$ht" replay --policy "$policy" --heap-size "$mid" -o "$dir/bisect.jsonl" "$trace" 2>/dev/null || return 1
		if [ "$(fails "$dir/bisect.jsonl")" -le "$want" ]; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}

printf '%-10s %-11s %10s %10s %9s %6s %12s %11s\n' workload policy "peak used" "peak req" "frag max" fails "min heap" efficiency
for w in $POLICY_WORKLOADS; do
	for p in $POLICIES; do
		out=$dir/$w-$p.jsonl
		# shellcheck disable=SC2046 # the boot arguments are words
		if ! BUILD=$dir trace/capture.sh "$elf" "$ht" "$w" semihosting "$out" "policy=$p" $(wl_args "$w") \
			>"$dir/$w-$p.log" 2>&1 && [ ! -s "$out" ]; then
			printf '%-10s %-11s  capture failed (%s)\n' "$w" "$p" "$dir/$w-$p.log"
			status=1
			continue
		fi
		read -r peak frag nfail size <<<"$("$ht" stats --json "$out" 2>/dev/null |
			jq -r '"\(.peak_used) \(.frag_max) \(.alloc_failures) \(.heap_size)"')"
		req=$(peak_requested "$out")
		if mh=$(min_heap "$out" "$p" "$size"); then
			eff=$(awk -v r="$req" -v m="$mh" 'BEGIN { printf "%.1f%%", m ? 100 * r / m : 0 }')
		else
			mh=- eff=-
			status=1
		fi
		printf '%-10s %-11s %10s %10s %9.3f %6s %12s %11s\n' "$w" "$p" "$peak" "$req" "$frag" "$nfail" "$mh" "$eff"
		SDL_VIDEODRIVER=offscreen "$hv" --snapshot "$dir/$w-$p.png" --at peak "$out" >/dev/null 2>&1 ||
			status=1
	done
done
rm -f "$dir/bisect.jsonl"
echo
echo "peak used: block bytes at the peak; peak req: requested bytes live at their peak; frag max:"
echo "1 - largest free / free; min heap: the smallest heap with no more failures (replay, 1%);"
echo "efficiency: peak req / min heap. Heap maps at the peak: $dir/WORKLOAD-POLICY.png"
echo "Cost per call: make bench (trace/bench/ring.sh, guest instructions per free+alloc pair)."
exit $status
