#!/usr/bin/env bash
# stacks_test.sh - allocations by call stack (issue 11) in every tool that groups them:
# `heaptrace stats` (top stacks, call tree), `leaks`, `diff` (the stacks that changed), and the
# exports read by their real clients: folded stacks by an independent parser (python), pprof by
# `go tool pprof`, massif by ms_print. Every figure is checked against an independent computation (python) over a trace
# made by the real allocator core, to which the test gives call stacks: each allocation reaches
# its caller through one of three paths (path_a, path_b, path_c, chosen by event number) from
# kmain, and path_b's code is inlined into path_b_outer. Then the real kernel's vector workload,
# captured in QEMU with trace.depth=8: its three producers' paths into one growth function.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace

# add_stacks IN OUT: IN with a stack record per distinct path and "stack" on every
# alloc/alloc_fail (the schema's order: right after caller)
add_stacks() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
lines = open(src).read().splitlines()
hdr = json.loads(lines[0]); hdr["stack_depth"] = 3
out = [json.dumps(hdr, separators=(",", ":"))]
syms = [{"k": "sym", "addr": "0x80300010", "fn": "path_a", "src": "kernel/a.c:10"},
        {"k": "sym", "addr": "0x80300020", "fn": "path_b", "src": "kernel/b.c:20",
         "inlined": [{"fn": "path_b_outer", "src": "kernel/b.c:40"}]},
        {"k": "sym", "addr": "0x80300030", "fn": "path_c", "src": "kernel/c.c:30"},
        {"k": "sym", "addr": "0x80300100", "fn": "kmain", "src": "kernel/main.c:5"}]
out += [json.dumps(s, separators=(",", ":")) for s in syms]
stacks = {}
for line in lines[1:]:
    e = json.loads(line)
    if e.get("k") in ("alloc", "alloc_fail"):
        frames = (e["caller"], ["0x80300010", "0x80300020", "0x80300030"][e["i"] % 3], "0x80300100")
        if frames not in stacks:
            stacks[frames] = len(stacks) + 1
            out.append(json.dumps({"k": "stack", "id": stacks[frames], "frames": list(frames)},
                                  separators=(",", ":")))
        items = list(e.items())
        items.insert([k for k, _ in items].index("caller") + 1, ("stack", stacks[frames]))
        e = dict(items)
    out.append(json.dumps(e, separators=(",", ":")))
open(dst, "w").write("\n".join(out) + "\n")
EOF
}

# The reference: every stack's figures computed from the trace alone, as JSON
# {"caller,frame,...": {allocs, bytes, frees, temporary, failed, peak, peak_blocks, leaked,
# leaked_blocks}}. Peak: what each stack held (requested bytes) at the first event with the
# most used (block) bytes. Temporary: freed before any other allocation succeeded.
reference() {
	python3 - "$1" <<'EOF'
import json, sys
from collections import defaultdict
stacks, fig = {}, defaultdict(lambda: defaultdict(int))
live, used, peak_used, peak, last_alloc = {}, 0, 0, {}, None
for line in open(sys.argv[1]).read().splitlines()[1:]:
    e = json.loads(line)
    k = e.get("k")
    if k == "stack":
        stacks[e["id"]] = ",".join(e["frames"])
        continue
    key = stacks[e["stack"]] if e.get("stack") else e.get("caller")
    if k == "alloc":
        fig[key]["allocs"] += 1; fig[key]["bytes"] += e["size"]
        live[e["addr"]] = (key, e["size"], e["i"], e["block"]); used += e["block"]; last_alloc = e["i"]
    elif k == "free":
        key, size, seq, block = live.pop(e["addr"])
        fig[key]["frees"] += 1; used -= block
        if seq == last_alloc:
            fig[key]["temporary"] += 1
    elif k == "alloc_fail":
        fig[key]["failed"] += 1
    if used > peak_used:
        peak_used, peak = used, defaultdict(lambda: [0, 0])
        for (key2, size, _, _) in live.values():
            peak[key2][0] += size; peak[key2][1] += 1
for key, (size, blocks) in peak.items():
    fig[key]["peak"] = size; fig[key]["peak_blocks"] = blocks
for (key, size, _, _) in live.values():
    fig[key]["leaked"] += size; fig[key]["leaked_blocks"] += 1
print(json.dumps(fig))
EOF
}

"$GEN" --ops 4000 --leak 3 --seed 9 "$T/churn0.jsonl" || { no gen_trace_makes_the_trace; test_finish; }
add_stacks "$T/churn0.jsonl" "$T/churn.jsonl"
"$GEN" --workload frag --heap 65536 "$T/frag0.jsonl"
add_stacks "$T/frag0.jsonl" "$T/frag.jsonl"
reference "$T/churn.jsonl" >"$T/ref.json"
reference "$T/frag.jsonl" >"$T/fragref.json"

# ---- stats --------------------------------------------------------------------------
expect stats_reads_a_trace_with_stacks 0 "$HT" stats --json --top 1000 "$T/churn.jsonl"
mv "$T/out" "$T/s.json"
# compare_stacks NAME STATS_JSON LIST REF: every stack of LIST (a jq path) against REF
compare_stacks() {
	if python3 - "$2" "$3" "$4" <<'EOF'; then ok "$1"; else no "$1"; fi
import json, sys
s, path, ref = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3]))
got = s
for p in path.split("."):
    got = got[p]
keys = ["allocs", "bytes", "frees", "temporary", "failed", "peak", "peak_blocks", "leaked", "leaked_blocks"]
seen = set()
for site in got:
    key = ",".join(f["addr"] for f in site["frames"])
    want = ref.get(key, {})
    for k in keys:
        if site[k] != want.get(k, 0):
            sys.exit("%s %s: %s, expected %s" % (key, k, site[k], want.get(k, 0)))
    seen.add(key)
listed = {k for k, v in ref.items() if any(v.get(x) for x in keys)}
if path == "top_sites" and seen != {k for k, v in ref.items() if v.get("allocs")}:
    sys.exit("stacks listed %s, expected %s" % (sorted(seen), sorted(listed)))
EOF
}
compare_stacks every_stacks_figures_match_an_independent_count "$T/s.json" top_sites "$T/ref.json"
compare_stacks the_top_stacks_by_peak_match "$T/s.json" top.peak "$T/ref.json"
compare_stacks the_top_stacks_by_temporary_allocations_match "$T/s.json" top.temporary "$T/ref.json"
check "twelve distinct stacks: four callers, three paths each" [ "$(jq .sites "$T/s.json")" = 12 ]
check "the stack totals add up to the trace's allocations" \
	[ "$(jq '.stack_totals.allocs' "$T/s.json")" = "$(jq .allocs "$T/s.json")" ]
check "the peak contributions add up to the requested bytes live at the peak" \
	[ "$(jq '[.top.peak[].peak] | add' "$T/s.json")" = "$(python3 -c "import json; print(sum(v.get('peak',0) for v in json.load(open('$T/ref.json')).values()))")" ]
"$HT" stats --json --top 1000 "$T/frag.jsonl" >"$T/f.json"
compare_stacks failed_allocations_by_stack_match "$T/f.json" top.failed "$T/fragref.json"
check "the frag trace's failure is on one stack" [ "$(jq '.top.failed | length' "$T/f.json")" = 1 ]

"$HT" stats "$T/churn.jsonl" >"$T/text.txt"
check "the text names each path into churn_small on its own line" \
	bash -c "grep -A2 'churn_small (trace/test/tracegen.c:100)' '$T/text.txt' | grep -q '<- path_a (kernel/a.c:10)'"
check "an inlined frame says what it was inlined into" \
	grep -q '<- path_b (kernel/b.c:20) <- inlined into path_b_outer (kernel/b.c:40)' "$T/text.txt"
"$HT" stats --tree --by bytes "$T/churn.jsonl" >"$T/tree.txt"
check "the call tree starts at kmain with every byte allocated" \
	bash -c "grep -A1 '^ *incl%' '$T/tree.txt' | grep -q \"100.0% *$(jq .requested_bytes "$T/s.json") *0  kmain\""
check "the tree nests the callers under each path, indented" \
	grep -q '^ .*      churn_large (trace/test/tracegen.c:102)$' "$T/tree.txt"
"$HT" stats --json --tree --top 1000 "$T/churn.jsonl" >"$T/tree.json"
check "the JSON tree's paths hold what their stacks hold (inclusive = sum of children)" \
	python3 - "$T/tree.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["tree"]
def walk(n):
    kids = n["children"]
    for f in ("allocs", "bytes", "peak", "leaked"):
        assert n["inclusive"][f] == n["exclusive"][f] + sum(k["inclusive"][f] for k in kids), (n.get("fn"), f)
    for k in kids:
        walk(k)
walk(t)
assert [k["fn"] for k in t["children"]] == ["kmain"]
assert sorted(k["fn"] for k in t["children"][0]["children"]) == ["path_a", "path_b", "path_c"]
EOF
expect stats_by_an_unknown_figure_is_refused 2 "$HT" stats --by colour "$T/churn.jsonl"
check "... saying what it takes" grep -q "not allocs, bytes, peak, leaked, temporary or failed" "$T/err"

# ---- leaks --------------------------------------------------------------------------
"$HT" leaks --json "$T/churn.jsonl" >"$T/l.json"
compare_stacks leaks_by_stack_match "$T/l.json" sites "$T/ref.json"
check "the three leaks are on three stacks (one per path)" [ "$(jq '.sites | length' "$T/l.json")" = 3 ]
"$HT" leaks "$T/churn.jsonl" >"$T/l.txt"
check "leaks shows each leaking stack's path" grep -q '<- path_c (kernel/c.c:30)' "$T/l.txt"

# ---- folded, read by an independent parser ------------------------------------------
# folded_check NAME WEIGHT FIGURE: the folded export by WEIGHT, parsed here, equals the
# reference's FIGURE summed over stacks with the same function names
folded_check() {
	"$HT" export --format folded --weight "$2" -o "$T/$2.folded" "$T/churn.jsonl" 2>"$T/err"
	if python3 - "$T/$2.folded" "$T/ref.json" "$3" <<'EOF'; then ok "$1"; else no "$1"; fi
import json, re, sys
from collections import Counter
names = {"0x80300010": ["path_a"], "0x80300020": ["path_b_outer", "path_b"], "0x80300030": ["path_c"],
         "0x80300100": ["kmain"], "0x8020100c": ["churn_small"], "0x8020104c": ["churn_medium"],
         "0x8020108c": ["churn_large"], "0x8020114c": ["leaky_init"]}
got = Counter()
for line in open(sys.argv[1]):
    m = re.fullmatch(r"(\S+) ([1-9][0-9]*)\n", line)
    assert m, "not a folded line: %r" % line
    assert m.group(1) not in got, "stack listed twice: " + m.group(1)
    got[m.group(1)] = int(m.group(2))
want = Counter()
for key, fig in json.load(open(sys.argv[2])).items():
    if fig.get(sys.argv[3]):
        frames = key.split(",")[::-1]   # root first
        want[";".join(n for f in frames for n in names[f])] += fig[sys.argv[3]]
assert got == want, (sorted(got.items())[:3], sorted(want.items())[:3])
EOF
}
folded_check folded_export_by_bytes_matches bytes bytes
folded_check folded_export_by_count_matches count allocs
folded_check folded_export_by_peak_matches peak peak
folded_check folded_export_by_leaked_matches leaked leaked
check "folded lines are root first, inlined functions expanded" \
	grep -q '^kmain;path_b_outer;path_b;churn_small [0-9]*$' "$T/bytes.folded"
expect folded_weight_must_be_known 2 "$HT" export --format folded --weight colour "$T/churn.jsonl"
expect weight_is_for_folded_only 2 "$HT" export --format pprof --weight bytes "$T/churn.jsonl"
"$GEN" --ops 500 --no-end "$T/cut0.jsonl"
add_stacks "$T/cut0.jsonl" "$T/cut.jsonl"
"$HT" export --format folded -o "$T/cut.folded" "$T/cut.jsonl" 2>"$T/err"
check "a trace cut short is said in every folded stack's root frame" \
	bash -c "[ -s '$T/cut.folded' ] && ! grep -v '^\[INCOMPLETE:_no_end_event,_the_run_was_cut_short\];kmain;' '$T/cut.folded'"
check "... and on stderr" grep -q "warning: the trace has no end event" "$T/err"

# ---- pprof, read by go tool pprof ----------------------------------------------------
if ! command -v go >/dev/null; then
	no go_tool_pprof_is_installed "go not found (Debian golang-go, scripts/packages.txt)"
else
	export GOCACHE=$T/gocache GOFLAGS=-mod=mod HOME=$T
	"$HT" export --format pprof -o "$T/churn.pb.gz" "$T/churn.jsonl" 2>"$T/err"
	check "the pprof export is gzip" bash -c "gzip -t '$T/churn.pb.gz'"
	# pprof_top INDEX: go tool pprof -top's flat and cum by function, exact units, every node
	# (an inlined function is a node of its own, "fn (inline)")
	pprof_top() {
		go tool pprof -top -sample_index="$1" -unit=B -nodecount=1000 -nodefraction=0 \
			-edgefraction=0 "$T/churn.pb.gz" 2>"$T/pprof.err"
	}
	for idx in alloc_space:bytes alloc_objects:allocs peak_space:peak inuse_space:leaked \
		temporary_objects:temporary; do
		name=go_tool_pprof_top_${idx%%:*}_matches_stats
		if pprof_top "${idx%%:*}" >"$T/top.txt" && python3 - "$T/top.txt" "$T/ref.json" "${idx#*:}" <<'EOF'; then ok "$name"; else no "$name" "$(head -3 "$T/pprof.err")"; fi
import json, re, sys
from collections import Counter
names = {"0x80300010": ["path_a"], "0x80300020": ["path_b_outer", "path_b"], "0x80300030": ["path_c"],
         "0x80300100": ["kmain"], "0x8020100c": ["churn_small"], "0x8020104c": ["churn_medium"],
         "0x8020108c": ["churn_large"], "0x8020114c": ["leaky_init"]}
flat, cum = Counter(), Counter()
rows = 0
for line in open(sys.argv[1]):
    m = re.match(r"^\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+(\d+)B?\s+[\d.]+%\s+(\S+)(?: \(inline\))?\s*$", line)
    if m:
        rows += 1
        flat[m.group(3)] += int(m.group(1)); cum[m.group(3)] += int(m.group(2))
want_flat, want_cum = Counter(), Counter()
for key, fig in json.load(open(sys.argv[2])).items():
    v = fig.get(sys.argv[3], 0)
    fns = [n for f in key.split(",") for n in names[f]]
    want_flat[fns[0]] += v
    for fn in set(fns):
        want_cum[fn] += v
want_flat = +want_flat
want_cum = +want_cum
assert rows, "no rows"
assert +flat == want_flat, (dict(flat), dict(want_flat))
assert +cum == want_cum, (dict(cum), dict(want_cum))
EOF
	done
	go tool pprof -raw "$T/churn.pb.gz" >"$T/raw.txt" 2>&1
	check "pprof names the peak sample type the default" grep -q 'peak_space/bytes\[dflt\]' "$T/raw.txt"
	check "pprof locations carry file and line" grep -q 'churn_small trace/test/tracegen.c:100' "$T/raw.txt"
	check "an inlined frame is two lines of one location" \
		bash -c "grep -A1 '0x80300020 M=1 path_b kernel/b.c:20' '$T/raw.txt' | grep -q 'path_b_outer kernel/b.c:40'"
	check "the profile says the trace is complete" grep -qx 'Comment: complete' "$T/raw.txt"
	"$HT" export --format pprof -o "$T/cut.pb.gz" "$T/cut.jsonl" 2>/dev/null
	check "a profile of a trace cut short says so" \
		bash -c "go tool pprof -raw '$T/cut.pb.gz' 2>&1 | grep -q '^Comment: INCOMPLETE'"
fi

# ---- massif, read by ms_print ---------------------------------------------------------
name=massif_tree_is_read_by_ms_print
if "$HT" export --format massif -o "$T/churn.massif" "$T/churn.jsonl" 2>"$T/err" &&
	ms_print "$T/churn.massif" >"$T/ms.txt" 2>"$T/ms.err"; then ok $name; else no $name "$(cat "$T/err" "$T/ms.err" | head -3)"; fi
check "massif's peak tree: each caller's paths with what they held at the peak" \
	python3 - "$T/churn.massif" "$T/ref.json" <<'EOF'
import json, re, sys
snap = [s for s in open(sys.argv[1]).read().split("snapshot=") if "heap_tree=peak" in s][0]
lines = snap.split("heap_tree=peak\n")[1].splitlines()
ref = json.load(open(sys.argv[2]))
total = sum(v.get("peak", 0) for v in ref.values())
# parse the tree: indentation = depth; "nK: BYTES 0xADDR: ..." lines
path, got = [], {}
for line in lines:
    m = re.match(r"^( *)n(\d+): (\d+) (0x[0-9a-f]+|\(heap)", line)
    if not m:
        break
    depth = len(m.group(1))
    path = path[:depth] + [m.group(4)]
    got[",".join(path[1:])] = int(m.group(3))
assert got[""] == total, (got[""], total)   # the top node: everything live at the peak
for key, fig in ref.items():
    if fig.get("peak", 0) * 100 >= total:      # above massif's 1% threshold: shown in full
        assert got.get(key) == fig["peak"], (key, got.get(key), fig["peak"])
EOF

# ---- diff: the call stacks that changed ------------------------------------------------
"$HT" diff --json "$T/churn.jsonl" "$T/churn.jsonl" >"$T/d.json"
check "a trace diffed with itself: no call stack changed" [ "$(jq .sites_changed_count "$T/d.json")" = 0 ]
sed 's/"0x8020/"0x8021/g' "$T/churn.jsonl" >"$T/moved.jsonl" # the code moved, the same functions
"$HT" diff --json "$T/churn.jsonl" "$T/moved.jsonl" >"$T/d.json"
check "stacks are matched by function, not address: moved code changes none" \
	[ "$(jq .sites_changed_count "$T/d.json")" = 0 ]
"$HT" diff --json "$T/churn0.jsonl" "$T/churn.jsonl" >"$T/d.json"
check "diff lists the stacks that appeared and went, with their figures" \
	python3 - "$T/d.json" "$T/ref.json" <<'EOF'
import json, sys
d, ref = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert d["sites_changed_count"] == 16, d["sites_changed_count"]   # 4 callers gone, 12 stacks new
by = {e["stack"]: e for e in d["sites_changed"]}
e = by["churn_small (trace/test/tracegen.c:100) <- path_a <- kmain"]
want = ref["0x8020100c,0x80300010,0x80300100"]
assert e["status"] == "new" and e["base"]["bytes"] == 0, e
assert [e["new"][k] for k in ("allocs", "bytes", "peak")] == [want["allocs"], want["bytes"], want["peak"]], e
g = by["churn_small (trace/test/tracegen.c:100)"]
assert g["status"] == "gone" and g["new"]["allocs"] == 0
sizes = [abs(x["new"]["bytes"] - x["base"]["bytes"]) for x in d["sites_changed"]]
assert sizes == sorted(sizes, reverse=True), sizes
EOF
"$HT" diff "$T/churn0.jsonl" "$T/churn.jsonl" >"$T/d.txt"
check "the diff table lists the changed stacks" grep -q '^call stacks that changed: 16' "$T/d.txt"

# ---- the real kernel: the vector workload captured with 8-frame stacks ------------------
# Three producers grow their vectors through one path (rec_push -> rec_vec_set_cap_): stats,
# the folded export and go tool pprof must tell them apart.
ELF=$BUILD/kernel.elf
if [ ! -f "$ELF" ]; then
	no real_kernel_capture "no $ELF (make all builds it)"
elif ! BUILD=$T QEMU="${QEMU:-qemu-system-riscv64}" trace/capture.sh "$ELF" "$HT" vector semihosting \
	"$T/vec.jsonl" trace.depth=8 >"$T/capture.log" 2>&1; then
	no real_kernel_capture "$(tail -3 "$T/capture.log")"
else
	"$HT" stats --json --top 1000 "$T/vec.jsonl" >"$T/vec.json"
	"$HT" export --format folded -o "$T/vec.folded" "$T/vec.jsonl"
	check "stats: three stacks reach rec_vec_set_cap_, one from each producer" python3 - "$T/vec.json" <<'EOF'
import json, sys
sites = json.load(open(sys.argv[1]))["top_sites"]
via = sorted(s["frames"][1]["fn"] for s in sites if s["fn"] == "rec_vec_set_cap_" and len(s["frames"]) > 1
             and s["frames"][1]["fn"].startswith("record_"))
assert via == ["record_alert", "record_log", "record_reading"], via
EOF
	check "folded: three flame-graph paths through rec_push, one per producer" \
		[ "$(grep -cE ';record_(log|reading|alert);rec_push;.*rec_vec_set_cap_ [0-9]+$' "$T/vec.folded")" = 3 ]
	if command -v go >/dev/null; then
		"$HT" export --format pprof -o "$T/vec.pb.gz" "$T/vec.jsonl"
		go tool pprof -top -sample_index=alloc_space -unit=B -nodefraction=0 "$T/vec.pb.gz" >"$T/vec.top" 2>&1
		check "go tool pprof: each producer's cumulative bytes equal its folded paths'" \
			python3 - "$T/vec.top" "$T/vec.folded" <<'EOF'
import re, sys
top = {m.group(2): int(m.group(1)) for m in
       re.finditer(r"^\s*\S+\s+\S+\s+\S+\s+(\d+)B\s+\S+\s+(record_\w+)\s*$", open(sys.argv[1]).read(), re.M)}
folded = {}
for line in open(sys.argv[2]):
    stack, w = line.rsplit(" ", 1)
    for fn in set(stack.split(";")):
        if fn.startswith("record_"):
            folded[fn] = folded.get(fn, 0) + int(w)
assert len(top) == 3 and top == folded, (top, folded)
EOF
	fi
	check "ms_print reads the massif export of the capture" \
		bash -c "'$HT' export --format massif -o '$T/vec.massif' '$T/vec.jsonl' && ms_print '$T/vec.massif' | grep -q 'rec_push'"
fi

# ---- a trace without stacks: one-frame stacks of the caller ------------------------------
"$HT" export --format folded -o "$T/flat.folded" "$T/churn0.jsonl"
check "without stacks each folded line is the caller alone" \
	bash -c "grep -qx 'churn_small [0-9]*' '$T/flat.folded' && ! grep -q ';' '$T/flat.folded'"
test_finish
