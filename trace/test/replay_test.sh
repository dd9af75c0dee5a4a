#!/usr/bin/env bash
# replay_test.sh - `heaptrace replay`: a trace's requests run under another
# allocator policy give a complete trace that check verifies and diff compares;
# first fit reproduces the original exactly; a smaller heap, drops, a panic and
# bad usage each behave as documented (docs/heaptrace.md).
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
strip_times() { grep -v '"k":"sym"' "$1" | tail -n +2 | sed 's/"t":[0-9]*,//'; }

expect "replay --policy first of a captured trace exits 0" 0 \
	"$HT" replay --policy first -o "$T/first.jsonl" samples/baseline/churn.jsonl
check "first fit replays the original's events exactly" \
	cmp -s <(strip_times samples/baseline/churn.jsonl) <(strip_times "$T/first.jsonl")
for policy in next best segregated; do
	expect "replay --policy $policy exits 0" 0 \
		"$HT" replay --policy "$policy" -o "$T/$policy.jsonl" samples/baseline/churn.jsonl
	check "its header and init name $policy" \
		[ "$(head -1 "$T/$policy.jsonl" | jq -r .policy)/$(sed -n 2p "$T/$policy.jsonl" | jq -r .policy)" = "$policy/$policy" ]
	check "heaptrace check verifies the $policy replay" \
		bash -c "'$HT' check '$T/$policy.jsonl' | grep -q faithful"
	check "it keeps the original's call sites" \
		bash -c "'$HT' stats '$T/$policy.jsonl' | grep -q 'churn_alloc (samples/churn.c'"
	"$HT" diff samples/baseline/churn.jsonl "$T/$policy.jsonl" >"$T/diff.out" 2>&1
	rc=$?
	check "diff compares the original with the $policy replay (exit $rc)" [ "$rc" -le 1 ]
done
check "best fit places the blocks elsewhere than first fit" \
	bash -c "! cmp -s <(grep -o '\"addr\":\"[^\"]*\"' '$T/first.jsonl') <(grep -o '\"addr\":\"[^\"]*\"' '$T/best.jsonl')"

# a smaller heap: more requests fail, their frees are skipped, the trace stays valid
expect "replay --heap-size 8192 exits 0" 0 \
	"$HT" replay --policy first --heap-size 8192 -o "$T/small.jsonl" samples/baseline/churn.jsonl
check "it says how many allocations failed and frees it skipped" grep -q "failed allocations; .* frees of blocks it could not place skipped" "$T/err"
check "its header says the 8 KiB heap" [ "$(head -1 "$T/small.jsonl" | jq .heap_size)" = 8192 ]
check "heaptrace check verifies it" bash -c "'$HT' check '$T/small.jsonl' | grep -q faithful"
check "it has more alloc failures than the original" \
	[ "$(grep -c '"k":"alloc_fail"' "$T/small.jsonl")" -gt "$(grep -c '"k":"alloc_fail"' samples/baseline/churn.jsonl)" ]

# a trace that ended in a panic: the replay ends there too, marked
expect "replay of the panic sample exits 0" 0 \
	"$HT" replay --policy segregated -o "$T/panic.jsonl" samples/panic.jsonl
check "its end is marked as a panic" [ "$(tail -1 "$T/panic.jsonl" | jq .panic)" = true ]

# drops: the requests are not all there; the replay is written and exit 4 says so
expect "replay of a trace with drops exits 4" 4 \
	"$HT" replay --policy best -o "$T/drops.jsonl" samples/drops.jsonl
check "and warns that the answer is uncertain" grep -q "lost .* events to drops" "$T/err"

# usage
expect "no --policy exits 2" 2 "$HT" replay -o "$T/x.jsonl" samples/frag.jsonl
check "and says --policy is required" grep -q -- "--policy is required" "$T/err"
expect "an unknown policy exits 2" 2 "$HT" replay --policy worst -o "$T/x.jsonl" samples/frag.jsonl
check "and names the policies" grep -q "want first, next, best or segregated" "$T/err"
expect "a heap below 4096 bytes exits 2" 2 \
	"$HT" replay --policy first --heap-size 100 -o "$T/x.jsonl" samples/frag.jsonl
expect "a missing trace exits 2" 2 "$HT" replay --policy first -o "$T/x.jsonl" "$T/none.jsonl"
check "no output is left by a failed replay" [ ! -e "$T/x.jsonl" ]
test_finish
