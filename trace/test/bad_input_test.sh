#!/usr/bin/env bash
# bad_input_test.sh - every tool gives the same verdict on a trace that contradicts
# itself: exit 2 (bad input) and the same "FILE:LINE: event N: what" message from
# stats, leaks, check, diff, export (massif and chrome) and heapviz. The bad inputs are
# made here from a good generated trace, one defect each; the table of exit codes and
# messages is compared with the one in docs/heaptrace.md (between the bad-input-table
# markers), so the doc cannot drift. `bad_input_test.sh --update` rewrites that section.
set -u
update=false
[ "${1:-}" = --update ] && update=true
. "$(dirname "$0")/../../scripts/testlib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HT=$ROOT/$BUILD/asan/bin/heaptrace
HV=$ROOT/$BUILD/asan/bin/heapviz
GEN=$ROOT/$BUILD/asan/bin/gen_trace
DOC=$ROOT/docs/heaptrace.md
export SDL_VIDEODRIVER=offscreen ASAN_OPTIONS=detect_leaks=0

cd "$T" || exit 1
"$GEN" --ops 40 --seed 3 good.jsonl || { no "gen_trace makes the good trace"; test_finish; }

# make_bad.py GOOD: writes one trace per input class (NAME.jsonl) and prints
# "NAME<TAB>description" lines in table order. Each has exactly one defect: events
# are renumbered after an edit (and end's count with them) unless the defect is
# the numbering itself.
cat >make_bad.py <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
header, body = lines[0], lines[1:]
h = json.loads(header)
base, size = int(h["heap_base"], 16), h["heap_size"]
def ev(l):
    return json.loads(l) if '"i":' in l else None
def first(kind):
    return next(n for n, l in enumerate(body) if ev(l) and ev(l)["k"] == kind)
def dump(o):
    return json.dumps(o, separators=(",", ":"))
def renumber(b):
    out, i = [], 0
    for l in b:
        o = ev(l)
        if o is None:
            out.append(l); continue
        o["i"] = i
        if o["k"] == "end":
            o["events"] = i + 1
        out.append(dump(o)); i += 1
    return out
def write(name, desc, b, fix=True):
    open(name + ".jsonl", "w").write("\n".join([header] + (renumber(b) if fix else b)) + "\n")
    print(name + "\t" + desc)
def alloc(addr, req, blk, align=16):
    return dump({"i": 0, "k": "alloc", "t": 20, "addr": hex(addr), "size": req, "align": align,
                 "block": blk, "caller": "0x0", "ex": 1})
write("good", "a good trace (for comparison)", body)
f = first("free")
write("double-free", "double free (a free repeated)", body[:f + 1] + [body[f]] + body[f + 1:])
i = first("init")
write("unknown-free", "free of an address never allocated", body[:i + 1] +
      [dump({"i": 0, "k": "free", "t": 4, "addr": hex(base + 64), "size": 32, "align": 16,
             "block": 32, "caller": "0x0"})] + body[i + 1:])
a = first("alloc")
write("overlap", "alloc overlapping a live block", body[:a + 1] +
      [alloc(int(ev(body[a])["addr"], 16), 16, 16)] + body[a + 1:])
m = first("marker")
write("missing-seq", "a sequence number missing (no drop event)", body[:m] + body[m + 1:], False)
write("no-init", "no init event", body[:i] + body[i + 1:])
o = ev(body[a]); o["addr"] = "0x1" + "0" * 16
write("addr-17-digits", "a 17-digit address", body[:a] + [dump(o)] + body[a + 1:])
write("outside-heap", "alloc outside the heap", body[:i + 1] +
      [alloc(base + size + 4096, 16, 16)] + body[i + 1:])
o = ev(body[a]); o["align"] = 48
write("align-not-pow2", "alignment not a power of two", body[:a] + [dump(o)] + body[a + 1:])
o = ev(body[a]); o["align"] = 8192
write("align-too-big", "alignment above 4096", body[:a] + [dump(o)] + body[a + 1:])
write("size-overflow", "a block whose end passes 2^64", body[:i + 1] +
      [alloc(2**64 - 16, 16, 32)] + body[i + 1:])
write("header-only", "header only, no events", [l for l in body if not ev(l)])
PY
python3 make_bad.py good.jsonl >classes.txt || { no "make_bad.py writes the bad inputs"; test_finish; }

TOOLS="stats leaks check diff massif chrome heapviz"
# run TOOL FILE: runs one tool on FILE; stdout discarded, stderr in err.txt; prints the exit code
run() {
	case $1 in
	stats | leaks | check) "$HT" "$1" "$2" ;;
	diff) "$HT" diff good.jsonl "$2" ;;
	massif | chrome) "$HT" export --format "$1" -o out.txt "$2" ;;
	heapviz) "$HV" --snapshot out.png --at end "$2" ;;
	esac >/dev/null 2>err.txt
	echo $?
}

{
	echo "| input | stats | leaks | check | diff | export massif | export chrome | heapviz | message (every tool, after \`heaptrace CMD: \` or \`heapviz: \`) |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >table.md
while IFS=$'\t' read -r name desc; do
	row="| $desc |"
	msgs=""
	codes=""
	for tool in $TOOLS; do
		rc=$(run "$tool" "$name.jsonl")
		row="$row $rc |"
		codes="$codes $rc"
		msg=$(sed -n 1p err.txt | sed -E 's/^(heaptrace [a-z]+|heapviz): //')
		msgs="$msgs$msg"$'\n'
		if grep -q -E 'Sanitizer|runtime error' err.txt; then
			no "$name: $tool has no sanitizer report" "$(head -3 err.txt)"
		fi
	done
	distinct=$(printf '%s' "$msgs" | sort -u | grep -c .)
	first_msg=$(printf '%s' "$msgs" | head -1)
	if [ "$name" = good ]; then
		check "a good trace: every tool exits 0 ($codes)" [ "$codes" = " 0 0 0 0 0 0 0" ]
		check "a good trace: no tool says anything on stderr" [ "$distinct" = 0 ]
		row="$row - |"
	else
		check "$desc: every tool exits 2 ($codes)" [ "$codes" = " 2 2 2 2 2 2 2" ]
		check "$desc: every tool gives the same message" [ "$distinct" = 1 ]
		[ "$distinct" = 1 ] || printf '%s' "$msgs" | sed 's/^/    /'
		check "$desc: the message names the file and line" \
			grep -q -E "^$name\.jsonl:[0-9]+: " <<<"$first_msg"
		row="$row \`$first_msg\` |"
	fi
	echo "$row" >>table.md
done <classes.txt

# the doc's table, between the markers
BEGIN='<!-- bad-input-table:begin (trace/test/bad_input_test.sh --update rewrites it) -->'
END='<!-- bad-input-table:end -->'
if $update; then
	python3 - "$DOC" table.md "$BEGIN" "$END" <<'PY'
import sys
doc, table, b, e = sys.argv[1:5]
text = open(doc).read()
i, j = text.index(b) + len(b), text.index(e)
open(doc, "w").write(text[:i] + "\n" + open(table).read() + text[j:])
PY
	echo "rewrote the table in docs/heaptrace.md"
fi
python3 - "$DOC" "$BEGIN" "$END" >doc_table.md <<'PY'
import sys
doc, b, e = sys.argv[1:4]
text = open(doc).read()
if b in text and e in text:
    print(text[text.index(b) + len(b):text.index(e)].strip("\n"))
PY
if diff -u doc_table.md table.md >table.diff; then
	ok "docs/heaptrace.md's bad-input table is what the tools do"
else
	no "docs/heaptrace.md's bad-input table is what the tools do" \
		"differs (run trace/test/bad_input_test.sh --update):"
	cat table.diff
fi
test_finish
