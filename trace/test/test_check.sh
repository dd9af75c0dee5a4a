#!/usr/bin/env bash
# test_check.sh - `heaptrace check`: faithful traces from the real allocator core pass;
# a consistent trace the allocator core does not reproduce (an altered search count, a
# missing coalesce) fails (exit 1) at exactly that event number; an edit that makes the
# trace contradict itself (an altered address, split or coalesce, a double free) is bad
# input (exit 2) as for every command; drops, cut-short and corrupt traces give their
# exit codes; the misuse a panicking run reports is refused by the allocator core alike.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace

# edit.py IN OUT KIND NTH FIELD DELTA: adds DELTA to FIELD of the NTH event of KIND
# (hex addresses stay hex); prints the event number it changed. DELTA "drop" deletes the line
# and renumbers the events after it (and end's count), so no sequence number is missing.
cat >"$T/edit.py" <<'PY'
import json, sys
src, dst, kind, nth, field, delta = sys.argv[1:7]
nth = int(nth); seen = 0; out = []; changed = None
for line in open(src):
    if changed is not None and delta == "drop" and '"i":' in line:
        o = json.loads(line); o["i"] -= 1
        if o["k"] == "end":
            o["events"] -= 1
        line = json.dumps(o, separators=(",", ":")) + "\n"
    elif changed is None and ('"k":"%s"' % kind) in line:
        if seen == nth:
            o = json.loads(line); changed = o["i"]
            if delta == "drop":
                continue
            v = o[field]
            o[field] = hex(int(v, 16) + int(delta)) if isinstance(v, str) else v + int(delta)
            line = json.dumps(o, separators=(",", ":")) + "\n"
        seen += 1
    out.append(line)
open(dst, "w").writelines(out)
print(changed)
PY

"$GEN" --ops 3000 --seed 5 "$T/churn.jsonl" || { no "gen_trace makes the churn trace"; test_finish; }
"$GEN" --workload frag --heap 65536 "$T/frag.jsonl"

for t in churn frag; do
	"$HT" check "$T/$t.jsonl" >"$T/out.txt"
	check "a faithful $t trace passes (exit 0)" [ $? -eq 0 ]
	check "... and says faithful" grep -q 'faithful' "$T/out.txt"
done
check "--quiet prints nothing on success" [ -z "$("$HT" check --quiet "$T/churn.jsonl")" ]

# expect_mismatch NAME KIND NTH FIELD DELTA WANT: the edit must fail at its own event
expect_mismatch() {
	local name=$1 kind=$2 nth=$3 field=$4 delta=$5 want=$6
	local ev
	ev=$(python3 "$T/edit.py" "$T/churn.jsonl" "$T/bad.jsonl" "$kind" "$nth" "$field" "$delta")
	"$HT" check "$T/bad.jsonl" >"$T/out.txt" 2>&1
	local rc=$?
	check "$name: exit 1" [ $rc -eq 1 ]
	check "$name: reported at event $ev" grep -q "MISMATCH at event $ev: $want" "$T/out.txt"
}
# expect_contradiction NAME KIND NTH FIELD DELTA WANT [AFTER]: the edit makes the trace
# contradict itself: bad input (exit 2) at its own event (or AFTER events later: a split is
# known wrong at its alloc), with the message every command gives
expect_contradiction() {
	local name=$1 kind=$2 nth=$3 field=$4 delta=$5 want=$6 after=${7:-0}
	local ev
	ev=$(python3 "$T/edit.py" "$T/churn.jsonl" "$T/bad.jsonl" "$kind" "$nth" "$field" "$delta")
	ev=$((ev + after))
	"$HT" check "$T/bad.jsonl" >"$T/out.txt" 2>"$T/err.txt"
	local rc=$?
	check "$name: contradicts the trace itself: exit 2" [ $rc -eq 2 ]
	check "$name: reported at event $ev" grep -q "^heaptrace check: $T/bad.jsonl:[0-9]*: event $ev: $want" "$T/err.txt"
	check "$name: stats says the same" [ "$("$HT" stats "$T/bad.jsonl" 2>&1 >/dev/null | sed 's/^heaptrace stats: //')" = "$(sed 's/^heaptrace check: //' "$T/err.txt")" ]
}
expect_contradiction "altered alloc address" alloc 700 addr 16 "alloc 0x"
expect_contradiction "altered split remainder" split 300 rem_size 16 "alloc 0x.* leaves remainder" 1
expect_mismatch "altered search count" alloc 1000 ex 1 "alloc ex (free blocks examined)"
expect_contradiction "altered coalesce merge size" coalesce 50 size 32 "coalesce gives free block"
# a coalesce missing (the events after it renumbered): consistent, but the shadow's coalesce
# meets the next trace event
ev=$(python3 "$T/edit.py" "$T/churn.jsonl" "$T/bad.jsonl" coalesce 20 size drop)
"$HT" check "$T/bad.jsonl" >"$T/out.txt"
check "a missing coalesce fails (exit 1)" [ $? -eq 1 ]
check "... at the event that took its number" grep -q "MISMATCH at event $ev: the trace has .* where the allocator core emits coalesce" "$T/out.txt"
check "both events are shown" [ "$(grep -c -E '^  (trace|allocator core): +\{' "$T/out.txt")" = 2 ]

# a double free contradicts the trace itself: bad input (exit 2), not a mismatch (frag's
# first free merges with nothing, so no coalesce follows it)
n=$(grep -n -m1 '"k":"free"' "$T/frag.jsonl" | cut -d: -f1)
first_free=$(sed -n "${n}p" "$T/frag.jsonl")
seq=$(($(grep -o '"i":[0-9]*' <<<"$first_free" | cut -d: -f2) + 1))
{ head -n "$n" "$T/frag.jsonl"; sed "s/\"i\":[0-9]*/\"i\":$seq/" <<<"$first_free"; } >"$T/double.jsonl"
"$HT" check "$T/double.jsonl" >"$T/out.txt" 2>"$T/err.txt"
check "a double free is bad input (exit 2)" [ $? -eq 2 ]
check "... naming the line, the event and the block" grep -q "double.jsonl:$((n + 1)): event $seq: free of 0x[0-9a-f]*, which is not a live block" "$T/err.txt"

# drops make a trace unverifiable; a cut-short trace is checked as far as it goes
last=$(head -100 "$T/churn.jsonl" | tail -1 | grep -o '"i":[0-9]*' | cut -d: -f2)
{ head -100 "$T/churn.jsonl"; echo '{"i":'"$((last + 8))"',"k":"drop","t":1,"count":7}'; } >"$T/drop.jsonl"
"$HT" check "$T/drop.jsonl" >"$T/out.txt"
check "a trace with dropped events fails (exit 1)" [ $? -eq 1 ]
check "... saying it cannot be verified" grep -q "7 events were dropped here" "$T/out.txt"
"$GEN" --ops 400 --no-end "$T/cut.jsonl"
"$HT" check "$T/cut.jsonl" >"$T/out.txt"
check "a cut-short faithful trace passes (exit 0)" [ $? -eq 0 ]
check "... and says it was cut short" grep -q "cut short" "$T/out.txt"

# every recorded trace in samples/ (captured from the kernel in QEMU) is faithful and
# self-consistent
shopt -s nullglob
for f in samples/*.jsonl samples/*/*.jsonl; do
	if [ "$("$HT" stats --json "$f" | jq .dropped)" != 0 ]; then
		# events were lost: unverifiable past the drop, and check must say so
		"$HT" check "$f" >"$T/out.txt"
		check "recorded $f has drops: check refuses it (exit 1)" [ $? -eq 1 ]
		check "... at the drop" grep -q 'events were dropped here' "$T/out.txt"
		continue
	fi
	"$HT" check --quiet "$f"
	check "recorded $f is faithful" [ $? -eq 0 ]
	check "recorded $f has no event contradicting the heap model" \
		[ "$("$HT" stats --json "$f" | jq .impossible_events)" = 0 ]
done

# mutated traces (numbers, addresses, kinds, bytes) never crash stats or check:
# every run ends with a documented status and no sanitizer report
cat >"$T/mutate.py" <<'PY'
import random, sys
src, outdir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src).read().split("\n")
rnd = random.Random(7)
for n in range(count):
    ls = list(lines)
    for _ in range(1 + n % 3):
        i = rnd.randrange(1, len(ls) - 1)
        l = ls[i]
        if not l:
            continue
        how = rnd.randrange(5)
        if how == 0:   # change a digit
            j = rnd.randrange(len(l))
            if l[j].isdigit():
                l = l[:j] + str(rnd.randrange(10)) + l[j + 1:]
        elif how == 1: # swap kinds
            l = l.replace('"alloc"', '"free"') if rnd.random() < 0.5 else l.replace('"free"', '"alloc"')
        elif how == 2: # random byte
            j = rnd.randrange(len(l))
            l = l[:j] + chr(rnd.randrange(1, 127)) + l[j + 1:]
        elif how == 3: # drop a line
            l = ""
        else:          # duplicate a line elsewhere
            ls.insert(rnd.randrange(1, len(ls)), l)
        ls[i] = l
    open("%s/m%02d.jsonl" % (outdir, n), "w").write("\n".join(x for x in ls if x) + "\n")
PY
mkdir -p "$T/mut"
python3 "$T/mutate.py" "$T/frag.jsonl" "$T/mut" 40
bad_status=0
for f in "$T"/mut/*.jsonl; do
	for cmd in stats check; do
		"$HT" $cmd "$f" >/dev/null 2>"$T/err.txt"
		rc=$?
		if [ $rc -gt 2 ] || grep -q -E 'Sanitizer|runtime error' "$T/err.txt"; then
			bad_status=$((bad_status + 1))
			echo "  $cmd $(basename "$f"): status $rc"; head -3 "$T/err.txt"
		fi
	done
done
check "40 mutated traces: stats and check end with 0, 1 or 2, no sanitizer report" [ $bad_status -eq 0 ]

# a run that panicked on a misuse: the allocator core must refuse the same call alike
SAMPLE="$(dirname "$0")/../../samples/panic.jsonl"
"$HT" check "$SAMPLE" >"$T/out.txt"
check "the recorded panic sample is faithful (exit 0)" [ $? -eq 0 ]
check "... and its double free is refused by the allocator core alike" \
	grep -q 'the call the run panicked on (event [0-9]*, double free of 0x[0-9a-f]* (size 64, align 16)) is refused by the allocator core alike' "$T/out.txt"
sed 's/"k":"misuse"\(.*\)"error":"double free"/"k":"misuse"\1"error":"misaligned"/' "$SAMPLE" >"$T/bad.jsonl"
ev=$(grep -o '"i":[0-9]*,"k":"misuse"' "$T/bad.jsonl" | grep -o '[0-9]*')
"$HT" check "$T/bad.jsonl" >"$T/out.txt"
check "a misuse with another error than the allocator's fails (exit 1)" [ $? -eq 1 ]
check "... at the misuse, naming both errors" \
	grep -q "MISMATCH at event $ev: misuse error: trace \"misaligned\", allocator core \"double free\"" "$T/out.txt"
# the same refused call, but of a block that is live at that point: the core accepts it
live=$(grep '"k":"alloc"' "$SAMPLE" | tail -1 | python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); print(o["addr"], o["size"])')
python3 - "$SAMPLE" "$T/bad.jsonl" $live <<'PY'
import json, sys
src, dst, addr, size = sys.argv[1:5]
lines = open(src).readlines()
out = []
for line in lines:
    o = json.loads(line)
    if o.get("k") in ("free", "coalesce") and o.get("i", 0) >= max(json.loads(l).get("i", 0) for l in lines if '"k":"alloc"' in l):
        continue  # the last block stays live
    if o.get("k") == "misuse":
        o["addr"], o["size"] = addr, int(size)
    if o.get("k") == "end":
        o["used"] = (int(size) + 15) // 16 * 16
    out.append(o)
for n, o in enumerate(o for o in out if "i" in o):  # no sequence number missing
    o["i"] = n
    if o["k"] == "end":
        o["events"] = n + 1
open(dst, "w").writelines(json.dumps(o, separators=(",", ":")) + "\n" for o in out)
PY
"$HT" check "$T/bad.jsonl" >"$T/out.txt"
check "a misuse the allocator core would accept fails (exit 1)" [ $? -eq 1 ]
check "... saying the core accepts the call" grep -q "a refused call (double free of .*) that the allocator core accepts" "$T/out.txt"

# bad input
printf '{"format":"heapscope-trace","version":1,"heap_base":"0x80400000","heap_size":65536}\nnot json\n' >"$T/corrupt.jsonl"
"$HT" check "$T/corrupt.jsonl" 2>"$T/err.txt" >/dev/null
check "a corrupt trace exits 2" [ $? -eq 2 ]
check "... with file:line" grep -q "corrupt.jsonl:2: not a JSON object" "$T/err.txt"
"$HT" check 2>/dev/null
check "no trace argument exits 2" [ $? -eq 2 ]

test_finish
