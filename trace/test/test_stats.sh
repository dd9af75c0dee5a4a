#!/usr/bin/env bash
# test_stats.sh - `heaptrace stats` and `heaptrace leaks` on traces made by the real
# allocator core: every figure checked against an independent computation (jq), plus
# incomplete, truncated and corrupt traces and the exit codes.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace
q() { "$@" >/dev/null 2>&1; } # runs a check command silently

"$GEN" --ops 4000 --leak 3 --seed 9 "$T/churn.jsonl" || { no "gen_trace makes the churn trace"; test_finish; }
"$GEN" --workload frag --heap 65536 "$T/frag.jsonl"

# readable summary
"$HT" stats "$T/churn.jsonl" >"$T/out.txt" 2>"$T/err.txt"
check "stats exits 0 on a good trace" [ $? -eq 0 ]
check "stats says the trace is complete" grep -q '^complete: yes' "$T/out.txt"
check "stats reports the 3 leaked blocks" grep -q '^leaks: 3 blocks' "$T/out.txt"
check "stats names the leaking call site from sym records" grep -q 'leaky_init (trace/test/tracegen.c:105)' "$T/out.txt"

# JSON figures against independent computations over the trace itself
"$HT" stats --json "$T/churn.jsonl" >"$T/s.json"
check "stats --json is valid JSON" q jq -e . "$T/s.json"
n_alloc=$(grep -c '"k":"alloc"' "$T/churn.jsonl")
check "events by kind: alloc count matches the trace" [ "$(jq .by_kind.alloc "$T/s.json")" = "$n_alloc" ]
n_events=$(grep -c '"i":' "$T/churn.jsonl")
check "event total matches the trace" [ "$(jq .events "$T/s.json")" = "$n_events" ]
peak=$(jq -s '[.[] | select(.k == "alloc" or .k == "free")] | reduce .[] as $e ({u: 0, p: 0};
	.u += (if $e.k == "alloc" then $e.block else -$e.block end) | .p = ([.p, .u] | max)) | .p' "$T/churn.jsonl")
check "peak used equals the running maximum of alloc - free block bytes ($peak)" [ "$(jq .peak_used "$T/s.json")" = "$peak" ]
peak_ev=$(jq -s '[.[] | select(.k == "alloc" or .k == "free")] | reduce .[] as $e ({u: 0, p: 0, i: 0};
	.u += (if $e.k == "alloc" then $e.block else -$e.block end) | if .u > .p then .p = .u | .i = $e.i else . end) | .i' "$T/churn.jsonl")
check "peak event number is where it was first reached ($peak_ev)" [ "$(jq .peak_used_event "$T/s.json")" = "$peak_ev" ]
ex_worst=$(jq -s '[.[] | select(.k == "alloc" or .k == "alloc_fail") | .ex] | max' "$T/churn.jsonl")
check "worst free blocks examined matches the trace ($ex_worst)" [ "$(jq .examined_worst "$T/s.json")" = "$ex_worst" ]
check "leaked blocks and bytes (24+32+40)" [ "$(jq -c '[.leaked_blocks, .leaked_bytes, .leak_sites]' "$T/s.json")" = "[3,96,1]" ]
check "top site is churn_small" [ "$(jq -r '.top_sites[0].fn' "$T/s.json")" = "churn_small" ]
check "complete, no panic, no drops, nothing impossible" \
	[ "$(jq -c '[.complete, .panic, .dropped, .impossible_events]' "$T/s.json")" = "[true,false,0,0]" ]
check "fragmentation at end is 0 with one free block" [ "$(jq '.frag_end' "$T/s.json")" = "0" ]
check "free-block histogram at end counts every free block" \
	[ "$(jq '[.free_hist_end[].count] | add' "$T/s.json")" = "$(jq .free_blocks_end "$T/s.json")" ]
check "free-block histogram at peak is in log2 buckets" \
	q jq -e '[.free_hist_peak[].min | (. as $m | [range(0; 64)] | map(pow(2; .)) | index($m))] | all(. != null)' "$T/s.json"
check "--top limits the site list" [ "$(jq '.top_sites | length' <("$HT" stats --json --top 2 "$T/churn.jsonl"))" = "2" ]

# the fragmentation pathology: one failure although enough memory is free in total
"$HT" stats --json "$T/frag.jsonl" >"$T/f.json"
fail_ev=$(jq -s '[.[] | select(.k == "alloc_fail")][0].i' "$T/frag.jsonl")
check "alloc failure counted at its event ($fail_ev)" [ "$(jq -c '[.alloc_failures, .first_failure_event]' "$T/f.json")" = "[1,$fail_ev]" ]
check "fragmentation shows (max > 0.2)" q jq -e '.frag_max > 0.2' "$T/f.json"

# incomplete, panicked, truncated traces are read and flagged
"$GEN" --ops 500 --no-end "$T/cut.jsonl"
"$HT" stats "$T/cut.jsonl" >"$T/out.txt"
check "a trace without end is summarised (exit 0)" [ $? -eq 0 ]
check "... and flagged incomplete" grep -q '^complete: NO - no end event' "$T/out.txt"
"$GEN" --ops 500 --panic "$T/panic.jsonl"
check "a panicked run is flagged" grep -q 'PANIC' <("$HT" stats "$T/panic.jsonl")
head -c -20 "$T/churn.jsonl" >"$T/trunc.jsonl"
check "a truncated last line is ignored and noted" [ "$(jq -c '[.truncated, .complete]' <("$HT" stats --json "$T/trunc.jsonl"))" = "[true,false]" ]

# errors: file:line: what, exit 2; output failure, exit 3
{ head -5 "$T/churn.jsonl"; echo '{"i":99999,"k":"alloc","t":1}'; } >"$T/corrupt.jsonl"
"$HT" stats "$T/corrupt.jsonl" >/dev/null 2>"$T/err.txt"
check "a corrupt line exits 2" [ $? -eq 2 ]
check "... naming file:line and the problem" grep -q "corrupt.jsonl:6: alloc event lacks field 'addr'" "$T/err.txt"
"$HT" stats "$T/nonexistent.jsonl" 2>/dev/null
check "a missing file exits 2" [ $? -eq 2 ]
sed '1s/"version":1/"version":7/' "$T/churn.jsonl" >"$T/v7.jsonl"
"$HT" stats "$T/v7.jsonl" 2>"$T/err.txt" >/dev/null
check "an unknown version is refused (exit 2)" [ $? -eq 2 ]
check "... saying so" grep -q 'v7.jsonl:1: header: unsupported trace version 7' "$T/err.txt"
"$HT" stats --top 0 "$T/churn.jsonl" 2>/dev/null
check "bad usage exits 2" [ $? -eq 2 ]
"$HT" stats "$T/churn.jsonl" >/dev/full 2>/dev/null
check "an output write failure exits 3" [ $? -eq 3 ]
check "stats reads stdin" grep -q '^complete: yes' <("$HT" stats - <"$T/churn.jsonl")

# a trace that contradicts itself (a free of a block never allocated): bad input, exit 2,
# nothing printed (the figures cannot be trusted), the file, line and event on stderr; after
# dropped events the same is only a warning (docs/heaptrace.md, "One verdict")
last=$(tail -n 1 "$T/frag.jsonl" | sed -E 's/.*"i":([0-9]+).*/\1/') # the end's number
{ head -n -1 "$T/frag.jsonl"; echo '{"i":'"$last"',"k":"free","t":1,"addr":"0x80400008","size":8,"align":8,"block":16,"caller":"0x0"}'; } >"$T/contra.jsonl"
"$HT" stats "$T/contra.jsonl" >"$T/out.txt" 2>"$T/err.txt"
check "a self-contradicting trace exits 2" [ $? -eq 2 ]
check "... printing no summary" [ ! -s "$T/out.txt" ]
check "... naming the file, line, event and the problem" \
	grep -q "contra.jsonl:$(wc -l <"$T/contra.jsonl"): event $last: free of 0x80400008, which is not a live block" "$T/err.txt"
{ head -n -1 "$T/frag.jsonl"; echo '{"i":'"$((last + 3))"',"k":"drop","t":1,"count":3}';
  echo '{"i":'"$((last + 4))"',"k":"free","t":1,"addr":"0x80400008","size":8,"align":8,"block":16,"caller":"0x0"}'; } >"$T/contra2.jsonl"
"$HT" stats "$T/contra2.jsonl" >"$T/out.txt" 2>&1
check "... but after dropped events it is a warning (exit 0)" [ $? -eq 0 ]
check "... which says so" grep -q 'expected after dropped events' "$T/out.txt"

# retired instructions, when the trace carries them (the recorded instret sample)
if [ -f samples/instret.jsonl ]; then
	want=$(jq -s '[.[] | select(.i != null) | .n] | (last - first)' samples/instret.jsonl)
	check "instructions from first to last event ($want)" \
		[ "$("$HT" stats --json samples/instret.jsonl | jq .instructions)" = "$want" ]
fi

# leaks
"$HT" leaks "$T/churn.jsonl" >"$T/out.txt"
check "leaks exits 0 without --fail" [ $? -eq 0 ]
check "leaks lists the site with blocks and bytes" grep -Eq '^ +3 +96  leaky_init' "$T/out.txt"
"$HT" leaks --fail "$T/churn.jsonl" >/dev/null
check "leaks --fail exits 1 when something leaked" [ $? -eq 1 ]
"$HT" leaks --fail "$T/frag.jsonl" >/dev/null
check "leaks --fail exits 0 when nothing leaked" [ $? -eq 0 ]
check "leaks --json" [ "$(jq -c '[.leaked_blocks, .sites[0].fn]' <("$HT" leaks --json "$T/churn.jsonl"))" = '[3,"leaky_init"]' ]
check "leaks --json says a trace without drops is certain" \
	[ "$("$HT" leaks --json "$T/churn.jsonl" | jq -c '[.uncertain, .dropped]')" = '[false,0]' ]

# leaks after dropped events: a lost free makes a block look leaked, so the report is
# printed but flagged uncertain: a warning on stderr, "uncertain" in --json, exit 4
"$HT" leaks samples/drops.jsonl >"$T/out.txt" 2>"$T/err.txt"
check "leaks exits 4 (uncertain) when events were dropped" [ $? -eq 4 ]
check "leaks still reports what it found after drops" grep -q 'bytes never freed' "$T/out.txt"
check "leaks warns on stderr that drops make the report uncertain" \
	grep -q '^heaptrace leaks: samples/drops.jsonl: WARNING: [0-9]* events were dropped.*uncertain' "$T/err.txt"
"$HT" leaks --fail samples/drops.jsonl >/dev/null 2>&1
check "leaks --fail exits 4, not 1, when the leaks may be artefacts of drops" [ $? -eq 4 ]
"$HT" leaks --json samples/drops.jsonl >"$T/out.json" 2>/dev/null
check "leaks --json marks the report uncertain and counts the dropped events" \
	q jq -e '.uncertain == true and .dropped > 0 and .leaked_blocks > 0' "$T/out.json"

# completeness in every output: a panicked run is complete (it has its end event) but
# says panic, in stats, leaks and diff, text and JSON alike; a cut-short one is incomplete
"$GEN" --ops 200 --panic -o "$T/panic.jsonl" && "$GEN" --ops 200 --no-end -o "$T/cutp.jsonl" ||
	no "gen_trace makes the panicked and the cut-short traces"
"$HT" stats "$T/panic.jsonl" >"$T/out.txt"
check "stats of a panicked run says PANIC" grep -q '^complete: NO - the run ended in a PANIC' "$T/out.txt"
check "stats --json of a panicked run: complete, panic" \
	q jq -e '.complete == true and .panic == true' <("$HT" stats --json "$T/panic.jsonl")
check "leaks of a panicked run says the blocks were live at the panic" \
	grep -q 'the run ended in a PANIC: what was live at the panic' <("$HT" leaks "$T/panic.jsonl")
check "leaks --json of a panicked run: complete, panic" \
	q jq -e '.complete == true and .panic == true' <("$HT" leaks --json "$T/panic.jsonl")
check "leaks --json of a cut-short run: not complete, no panic" \
	q jq -e '.complete == false and .panic == false' <("$HT" leaks --json "$T/cutp.jsonl")
"$HT" diff --json "$T/cutp.jsonl" "$T/panic.jsonl" >"$T/diff.json" 2>/dev/null
check "diff --json says each side's completeness and panic" \
	q jq -e '.base.complete == false and .base.panic == false and .new.complete == true and .new.panic == true' "$T/diff.json"
check "diff's text says NEW ended in a panic" \
	grep -q '^NEW .*complete, but the run ended in a PANIC' <("$HT" diff "$T/cutp.jsonl" "$T/panic.jsonl" 2>/dev/null)

test_finish
