#!/usr/bin/env bash
# policy_test.sh - the allocator policies end to end: the real kernel in QEMU runs
# the churn workload under each policy (policy= at boot), the capture records it
# in the header and INIT, and heaptrace check replays each trace with its own
# policy and finds it faithful; diff compares two policies on one workload; an
# unknown policy is refused with the list; make policies' table comes out.
# (The allocator's placement itself is checked against the byte-map model by
# heap_diff_test.)
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
HV=$BUILD/asan/bin/heapviz
ELF=$BUILD/kernel.elf
[ -e "$ELF" ] || { no "$ELF is built" "make all first"; test_finish; }
export BUILD=$T/build
mkdir -p "$BUILD"

for policy in first next best segregated; do
	out=$T/$policy.jsonl
	TRACE_TIMEOUT=$(scaled 120) trace/capture.sh "$ELF" "$HT" churn semihosting "$out" \
		ops=300 "policy=$policy" >"$T/$policy.log" 2>&1
	check "churn under $policy fit is captured" [ -s "$out" ]
	want=$policy
	[ "$policy" = first ] && want=null # first fit is not written
	check "its header names the policy ($want)" [ "$(head -1 "$out" | jq -r .policy)" = "$want" ]
	check "its init event names the policy ($want)" \
		[ "$(sed -n 2p "$out" | jq -r 'select(.k == "init") | .policy')" = "$want" ]
	check "heaptrace check replays it with $policy fit and finds it faithful" \
		bash -c "'$HT' check '$out' | grep -q faithful"
done
check "segregated fit examines one free block per allocation" \
	[ "$(jq -s '[.[] | select(.k == "alloc") | .ex] | unique' "$T/segregated.jsonl" | jq -c .)" = "[1]" ]
check "best and first fit place churn's blocks differently" \
	bash -c "! cmp -s <(grep -o '\"addr\":\"[^\"]*\"' '$T/first.jsonl') <(grep -o '\"addr\":\"[^\"]*\"' '$T/best.jsonl')"
"$HT" diff "$T/first.jsonl" "$T/best.jsonl" >"$T/diff.out" 2>&1
rc=$?
check "diff compares two policies on one workload (exit $rc: 0 or 1)" [ "$rc" -le 1 ]
check "and says where they diverge" grep -qi "diverge" "$T/diff.out"

# a policy the kernel does not have: the run stops and lists them
TRACE_TIMEOUT=$(scaled 120) trace/capture.sh "$ELF" "$HT" churn semihosting "$T/bad.jsonl" \
	policy=worst >"$T/bad.log" 2>&1
check "policy=worst fails the capture" [ ! -e "$T/bad.jsonl" ]
check "the console lists the policies" grep -q 'no allocator policy "worst"; the policies are: first next best segregated' "$T/bad.log"
# make policies: the table, on one workload and two policies
ASAN_OPTIONS=detect_leaks=0 POLICY_WORKLOADS=frag POLICIES="first segregated" BUILD=$T/pol \
	trace/policies.sh "$ELF" "$HT" "$HV" >"$T/table.txt" 2>&1
rc=$?
check "make policies' script exits 0 (exit $rc)" [ "$rc" = 0 ]
check "its table has a row per policy with a heap efficiency" \
	[ "$(grep -cE '^frag +(first|segregated) +[0-9]+ +[0-9]+ +[0-9.]+ +1 +[0-9]+ +[0-9.]+%' "$T/table.txt")" = 2 ]
check "and a heap map per run" [ -s "$T/pol/policies/frag-segregated.png" ]
test_finish
