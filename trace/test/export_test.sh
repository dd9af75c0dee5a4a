#!/usr/bin/env bash
# export_test.sh - `heaptrace export`: massif files read by valgrind's ms_print, Chrome Trace
# Event JSON parsed by python3's json; expected figures computed independently in python.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace

# peak of used (block) bytes and of requested bytes, from the trace itself
trace_peaks() {
	python3 - "$1" <<'EOF'
import json, sys
used = req = pu = pr = 0
live = {}
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        e = json.loads(line)
        k = e.get("k")
        if k == "alloc":
            used += e["block"]; req += e["size"]; live[e["addr"]] = e["size"]
        elif k == "free":
            used -= e["block"]; req -= live.pop(e["addr"])
        pu = max(pu, used); pr = max(pr, req)
print(pu, pr)
EOF
}

"$GEN" --seed 3 --ops 3000 --live 120 --big 2 --leak 4 -o "$T/a.jsonl" || { no gen_trace_makes_the_trace; test_finish; }
read -r peak_used peak_req < <(trace_peaks "$T/a.jsonl")

# ---- massif ----------------------------------------------------------------
name=massif_export_is_read_by_ms_print
if "$HT" export --format massif -o "$T/a.massif" "$T/a.jsonl" 2>"$T/err" &&
	ms_print "$T/a.massif" >"$T/ms.txt" 2>"$T/ms.err"; then
	ok $name
else
	no $name "$(cat "$T/err" "$T/ms.err" 2>/dev/null | head -3)"
fi

name=massif_peak_snapshot_holds_the_trace_peak
# ms_print's table row for a snapshot: n, time, total, useful-heap, extra-heap, stacks
if python3 - "$T/a.massif" "$T/ms.txt" "$peak_used" "$peak_req" <<'EOF'
import re, sys
massif, ms, peak_used, peak_req = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
snaps = open(massif).read().split("snapshot=")[1:]
peaks = [s for s in snaps if "heap_tree=peak" in s]
assert len(peaks) == 1, "one peak snapshot, got %d" % len(peaks)
f = dict(l.split("=", 1) for l in peaks[0].splitlines()[2:7])
assert int(f["mem_heap_B"]) + int(f["mem_heap_extra_B"]) == peak_used, (f, peak_used)
totals = []
for line in open(ms):
    m = re.match(r"^\s*(\d+)\s+([\d,.]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+0\s*$", line)
    if m:
        totals.append(int(m.group(3).replace(",", "")))
assert totals and max(totals) == peak_used, (max(totals or [0]), peak_used)
# a detailed snapshot's tree: the top node holds the useful bytes, its children add up to it
for snap in snaps:
    lines = snap.splitlines()
    f = dict(l.split("=", 1) for l in lines[2:7])
    if f["heap_tree"] == "empty":
        continue
    top = re.match(r"n(\d+): (\d+) ", lines[7])
    assert int(top.group(2)) == int(f["mem_heap_B"]), (lines[7], f["mem_heap_B"])
    kids = [int(re.match(r"\s+n0: (\d+) ", l).group(1)) for l in lines[8:8 + int(top.group(1))]]
    assert sum(kids) == int(top.group(2)), (kids, top.group(2))
EOF
then ok $name; else no $name; fi

name=massif_detailed_snapshots_name_call_sites
if grep -q "churn_small (trace/test/tracegen.c:100)" "$T/ms.txt" && grep -q "(heap allocation functions)" "$T/ms.txt"; then
	ok $name
else
	no $name
fi

name=massif_downsamples_to_max_samples_and_keeps_the_peak
"$GEN" --seed 4 --ops 40000 --live 150 -o "$T/big.jsonl"
read -r big_used _ < <(trace_peaks "$T/big.jsonl")
if "$HT" export --format massif --max-samples 30 -o "$T/big.massif" "$T/big.jsonl" &&
	ms_print "$T/big.massif" >/dev/null &&
	python3 - "$T/big.massif" "$big_used" <<'EOF'
import sys
snaps = open(sys.argv[1]).read().split("snapshot=")[1:]
assert 4 <= len(snaps) <= 30, len(snaps)
peak = [s for s in snaps if "heap_tree=peak" in s][0]
f = dict(l.split("=", 1) for l in peak.splitlines()[2:7])
assert int(f["mem_heap_B"]) + int(f["mem_heap_extra_B"]) == int(sys.argv[2])
times = [float(dict(l.split("=", 1) for l in s.splitlines()[2:3])["time"]) for s in snaps]
assert times == sorted(times), "snapshots in time order"
EOF
then ok $name; else no $name; fi

name=massif_time_is_in_instructions_when_the_trace_has_them
"$GEN" --seed 3 --ops 500 --instret -o "$T/ins.jsonl"
if "$HT" export --format massif -o "$T/ins.massif" "$T/ins.jsonl" &&
	grep -qx "time_unit: i" "$T/ins.massif" && ms_print "$T/ins.massif" >"$T/ins.txt" &&
	python3 - "$T/ins.massif" "$T/ins.jsonl" <<'EOF'
import json, sys
snaps = open(sys.argv[1]).read().split("snapshot=")[1:]
times = [int(dict(l.split("=", 1) for l in s.splitlines()[2:3])["time"]) for s in snaps]
ns = [n for n in (json.loads(l).get("n") for l in list(open(sys.argv[2]))[1:]) if n is not None]
# instructions since the first event
assert times[-1] == max(ns) - ns[0], (times[-1], max(ns) - ns[0])
assert set(times) <= {n - ns[0] for n in ns}
EOF
then ok $name; else no $name; fi

# callers_trace N OUT: a 16-byte heap where N allocations, each from a new call
# site, take the whole heap in turn (alloc, free, alloc, ...), the last one kept
callers_trace() {
	python3 - "$1" >"$2" <<'EOF'
import json, sys
n = int(sys.argv[1])
out = [{"format": "heapscope-trace", "version": 1, "channel": "semihosting", "workload": "callers",
        "heap_base": "0x1000", "heap_size": 16, "min_block": 16, "min_align": 16, "time_hz": 1000,
        "instret": False, "elf": ""}]
ev = [{"k": "init", "addr": "0x1000", "size": 16, "min_block": 16, "min_align": 16}]
for c in range(n):
    site = "0x%x" % (0x80200000 + 4 * c)
    ev.append({"k": "alloc", "addr": "0x1000", "size": 8, "align": 16, "block": 16, "caller": site, "ex": 1})
    if c < n - 1:
        ev.append({"k": "free", "addr": "0x1000", "size": 8, "align": 16, "block": 16, "caller": site})
ev.append({"k": "end", "events": len(ev) + 1, "dropped": 0, "used": 16, "panic": False})
for i, e in enumerate(ev):
    out.append({"i": i, "k": e.pop("k"), "t": i, **e})
print("\n".join(json.dumps(o, separators=(",", ":")) for o in out))
EOF
}

# More call sites than any fixed table: every one is tracked, none is lost.
for n in 4097 8000; do
	name=massif_export_tracks_all_${n}_call_sites
	callers_trace $n "$T/callers$n.jsonl"
	if timeout "$(scaled 60)" "$HT" export --format massif -o "$T/callers$n.massif" \
		"$T/callers$n.jsonl" 2>"$T/err" &&
		ms_print "$T/callers$n.massif" >"$T/callers$n.txt" 2>"$T/ms.err" &&
		python3 - "$T/callers$n.massif" $n <<'EOF'
import sys
n = int(sys.argv[2])
snaps = open(sys.argv[1]).read().split("snapshot=")[1:]
last = snaps[-1].splitlines()
# the end: 8 bytes live, all from the last call site
assert "heap_tree=detailed" in last, last[:7]
assert last[7].startswith("n1: 8 "), last[7]
assert last[8].strip() == "n0: 8 0x%x: ???" % (0x80200000 + 4 * (n - 1)), last[8]
EOF
	then
		ok $name
	else
		no $name "$(cat "$T/err" "$T/ms.err" 2>/dev/null | head -3)"
	fi
done

# ---- chrome ----------------------------------------------------------------
name=chrome_export_parses_and_has_counter_tracks
"$HT" export --format chrome -o "$T/a.json" "$T/a.jsonl" 2>"$T/err"
if python3 - "$T/a.json" "$T/a.jsonl" "$peak_used" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
evs = doc["traceEvents"]
trace = [json.loads(l) for l in open(sys.argv[2])][1:]
counters = {}
for e in evs:
    if e["ph"] == "C":
        assert isinstance(e["ts"], (int, float)) and e["pid"] == 1
        counters.setdefault(e["name"], []).append(e)
for name in ("used bytes", "free blocks", "fragmentation"):
    assert name in counters, name
used = [e["args"]["used"] for e in counters["used bytes"]]
assert max(used) == int(sys.argv[3]), (max(used), sys.argv[3])
for e in counters["fragmentation"]:
    assert 0 <= e["args"]["fragmentation"] <= 1
ts = [e["ts"] for e in counters["used bytes"]]
assert ts == sorted(ts)
# the last counter sample is the end state
end = [e for e in trace if e.get("k") == "end"][0]
assert used[-1] == end["used"], (used[-1], end["used"])
fails = [e for e in evs if e["ph"] == "i" and e["name"] == "alloc_fail"]
assert len(fails) == sum(1 for e in trace if e.get("k") == "alloc_fail") == 2, len(fails)
assert fails[0]["args"]["fn"] == "big_buffer"
markers = [e["name"] for e in evs if e["ph"] == "i" and e.get("cat") == "marker"]
assert markers == [e["name"] for e in trace if e.get("k") == "marker"], markers
assert doc["otherData"]["events"] == len([e for e in trace if "i" in e])
EOF
then ok $name; else no $name "$(head -3 "$T/err")"; fi

name=chrome_downsampling_keeps_the_peak
if "$HT" export --format chrome --max-samples 50 -o "$T/big.json" "$T/big.jsonl" &&
	python3 - "$T/big.json" "$big_used" <<'EOF'
import json, sys
evs = json.load(open(sys.argv[1]))["traceEvents"]
used = [e["args"]["used"] for e in evs if e["ph"] == "C" and e["name"] == "used bytes"]
assert 25 <= len(used) <= 50, len(used)
assert max(used) == int(sys.argv[2]), (max(used), sys.argv[2])
EOF
then ok $name; else no $name; fi

name=export_to_stdout_matches_export_to_file
if "$HT" export --format chrome "$T/a.jsonl" 2>/dev/null | cmp -s - "$T/a.json"; then ok $name; else no $name; fi

# ---- errors ----------------------------------------------------------------
name=bad_input_exits_2_and_leaves_no_output
sed '40s/.*/{"i":39,"k":"alloc",/' "$T/a.jsonl" >"$T/bad.jsonl"
"$HT" export --format chrome -o "$T/bad.json" "$T/bad.jsonl" 2>"$T/err"
rc=$?
if [ $rc = 2 ] && [ ! -e "$T/bad.json" ] && ! ls "$T"/bad.json.tmp* >/dev/null 2>&1 &&
	grep -q "bad.jsonl:40" "$T/err"; then
	ok $name
else
	no $name "rc=$rc $(head -2 "$T/err")"
fi

name=unwritable_output_exits_3
"$HT" export --format massif -o "$T/no/such/dir/out.massif" "$T/a.jsonl" 2>/dev/null
rc=$?
if [ $rc = 3 ]; then ok $name; else no $name "rc=$rc"; fi

name=usage_errors_exit_2
r1=0 r2=0 r3=0 r4=0
"$HT" export "$T/a.jsonl" >/dev/null 2>&1 || r1=$?
"$HT" export --format svg "$T/a.jsonl" >/dev/null 2>&1 || r2=$?
"$HT" export --format massif "$T/missing.jsonl" >/dev/null 2>&1 || r3=$?
"$HT" export --format massif --max-samples x "$T/a.jsonl" >/dev/null 2>&1 || r4=$?
if [ "$r1$r2$r3$r4" = 2222 ]; then ok $name; else no $name "$r1$r2$r3$r4"; fi

expect export_without_format_exits_2 2 "$HT" export "$T/a.jsonl"
name=export_without_format_says_what_is_missing
if grep -qx 'heaptrace export: --format is required (massif|chrome|folded|pprof)' "$T/err"; then
	ok $name
else
	no $name "$(head -2 "$T/err")"
fi

name=incomplete_trace_exports_with_a_warning
"$GEN" --seed 3 --ops 300 --no-end -o "$T/cut.jsonl"
if "$HT" export --format massif -o "$T/cut.massif" "$T/cut.jsonl" 2>"$T/err" &&
	grep -q "no end event" "$T/err" && ms_print "$T/cut.massif" >/dev/null; then
	ok $name
else
	no $name
fi

# a trace with dropped events: what follows a drop may contradict the model; exported anyway
name=trace_with_drops_exports_with_a_warning
if [ -e samples/drops.jsonl ]; then
	if "$HT" export --format chrome -o "$T/drops.json" samples/drops.jsonl 2>"$T/err" &&
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/drops.json" &&
		"$HT" export --format massif -o "$T/drops.massif" samples/drops.jsonl 2>/dev/null &&
		ms_print "$T/drops.massif" >/dev/null; then
		ok $name
	else
		no $name "$(head -2 "$T/err")"
	fi
else
	echo "skip $name (no samples/drops.jsonl)"
fi

# completeness in both formats: a complete run, a panicked one and a cut-short one are
# told apart (massif: its desc line, which ms_print shows; chrome: otherData)
"$GEN" --ops 200 --panic -o "$T/panic.jsonl" && "$GEN" --ops 200 --no-end -o "$T/cutp.jsonl" ||
	no "gen_trace makes the panicked and the cut-short traces"
for kind in a:complete panic:PANIC cutp:INCOMPLETE; do
	f=${kind%%:*} word=${kind#*:}
	"$HT" export --format massif -o "$T/$f.c.massif" "$T/$f.jsonl" 2>/dev/null
	check "massif of the $f trace says $word in the desc line ms_print shows" \
		sh -c "ms_print '$T/$f.c.massif' | grep -q '^Massif arguments: .* $word'"
done
for kind in a:true:false panic:true:true cutp:false:false; do
	IFS=: read -r f complete panic <<<"$kind"
	"$HT" export --format chrome -o "$T/$f.c.json" "$T/$f.jsonl" 2>/dev/null
	check "chrome of the $f trace has complete $complete, panic $panic" \
		jq -e ".otherData.complete == $complete and .otherData.panic == $panic" "$T/$f.c.json" >/dev/null
done

test_finish
