#!/usr/bin/env bash
# decode_stacks_test.sh - `heaptrace decode` of captures with call stacks: the raw
# stream (trace/test/gen_raw_stacks.c: the real allocator core's events, callers
# made call stacks of real kernel code addresses, wire ids evicted and redefined
# as in the kernel's table) becomes a JSON trace whose events carry exactly the
# frames they were made from; each distinct stack is one stack record, before its
# first use; every frame is symbolised by addr2line (with its inlined functions);
# check verifies it; replay keeps the stacks; a stream without stacks decodes as
# before; a stream naming a stack it never defined is refused (exit 2). Then the
# real kernel in QEMU with trace.depth=8 (vector): stacks on every alloc and free,
# every frame named, two paths into one wrapper, both channels alike, and the same
# events and callers as at depth 0.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_raw_stacks
ELF=$BUILD/kernel.elf
NM=${NM:-riscv64-unknown-elf-nm}

# 12 code addresses, each 8 bytes into one of the kernel's larger functions (the
# return address a call inside it would leave), and those functions' names
"$NM" -S --size-sort "$ELF" | awk '$3 == "T" || $3 == "t"' | tail -12 >"$T/funcs"
addrs=$(while read -r a _ _ _; do printf '0x%x ' $((0x$a + 8)); done <"$T/funcs")
check "the kernel has 12 functions to make frames of" [ "$(wc -l <"$T/funcs")" = 12 ]

# verify.py TRUTH TRACE FUNCS: the decoded trace against what the raw stream was made of
cat >"$T/verify.py" <<'PY'
import json, sys
truth_path, trace_path, funcs_path = sys.argv[1:4]
truth = {}
for line in open(truth_path):
    seq, *frames = line.split()
    truth[int(seq)] = [int(f, 16) for f in frames]
names = {int(l.split()[0], 16) + 8: l.split()[3] for l in open(funcs_path)}
lines = open(trace_path).read().splitlines()
hdr = json.loads(lines[0])
assert hdr.get("stack_depth") == int(sys.argv[4]), "header stack_depth %r" % hdr.get("stack_depth")
stacks, syms, frame_lists, used = {}, {}, set(), set()
for n, line in enumerate(lines[1:], 2):
    r = json.loads(line)
    if r["k"] == "sym":
        syms[int(r["addr"], 16)] = r
    elif r["k"] == "stack":
        frames = [int(f, 16) for f in r["frames"]]
        assert r["id"] not in stacks, "line %d: stack %d twice" % (n, r["id"])
        assert tuple(frames) not in frame_lists, "line %d: frames of stack %d twice" % (n, r["id"])
        assert r["id"] == len(stacks) + 1, "line %d: ids not numbered from 1" % n
        for f in frames:
            assert f in syms, "line %d: frame %#x has no symbol before it" % (n, f)
            real = (syms[f].get("inlined") or [syms[f]])[-1]["fn"]  # the machine frame's function
            assert real == names[f], "frame %#x is in %s, not %s" % (f, real, names[f])
        stacks[r["id"]] = frames
        frame_lists.add(tuple(frames))
    elif "caller" in r and int(r["caller"], 16):
        want = truth.pop(r["i"])
        assert "stack" in r, "line %d: event without its stack" % n
        assert stacks[r["stack"]] == want, "line %d: frames %s, made from %s" % (n, stacks[r["stack"]], want)
        assert int(r["caller"], 16) == want[0], "line %d: caller is not frames[0]" % n
        used.add(r["stack"])
assert not truth, "events missing: %s" % sorted(truth)[:5]
assert used == set(stacks), "stack records no event uses: %s" % sorted(set(stacks) - used)
print(len(stacks), sum(1 for s in syms.values() if "inlined" in s))
PY

for slots in 4 1024; do
	"$GEN" --ops 1500 --slots "$slots" --truth "$T/truth$slots" -o "$T/s$slots.raw" $addrs
	expect "decode --elf of a capture with stacks ($slots wire ids) exits 0" 0 \
		"$HT" decode --elf "$ELF" -o "$T/s$slots.jsonl" "$T/s$slots.raw"
	check "its summary counts the stacks" grep -q "stacks (depth 8)" "$T/err"
	if python3 "$T/verify.py" "$T/truth$slots" "$T/s$slots.jsonl" "$T/funcs" 8 >"$T/v$slots" 2>&1; then
		ok "every event has the frames it was made from, each distinct stack once, every frame named"
	else
		no "every event has the frames it was made from, each distinct stack once, every frame named" \
			"$(tail -1 "$T/v$slots")"
	fi
	check "heaptrace check verifies it" bash -c "'$HT' check '$T/s$slots.jsonl' | grep -q faithful"
done
check "evicted wire ids change nothing: 4 and 1024 ids give the same trace" \
	cmp -s "$T/s4.jsonl" "$T/s1024.jsonl"
check "the 4 wire ids were redefined (more STACK records than wire ids)" \
	[ "$(cut -d' ' -f1 "$T/v4")" -gt 4 ]
check "symbols list the functions inlined at an address" [ "$(cut -d' ' -f2 "$T/v4")" -gt 0 ]
check "an inlined list names the function addr2line -i gives last" \
	python3 -c "
import json, subprocess, sys
for line in open('$T/s4.jsonl').read().splitlines()[1:]:
    r = json.loads(line)
    if r['k'] == 'sym' and 'inlined' in r:
        out = subprocess.run(['riscv64-unknown-elf-addr2line', '-i', '-f', '-e', '$ELF', hex(int(r['addr'], 16) - 1)],
                             capture_output=True, text=True).stdout.split('\n')
        sys.exit(0 if [r['fn']] + [i['fn'] for i in r['inlined']] == out[0:-1:2] else 1)
sys.exit(1)"

# replay keeps the stacks: under first fit it gives the original back (times aside)
strip_times() { tail -n +2 "$1" | sed 's/"t":[0-9]*,//'; }
expect "replay --policy first of the trace with stacks exits 0" 0 \
	"$HT" replay --policy first -o "$T/r-first.jsonl" "$T/s4.jsonl"
check "it is the original: stack records, symbols with inlined lists, events' stacks" \
	cmp -s <(strip_times "$T/s4.jsonl") <(strip_times "$T/r-first.jsonl")
expect "replay --policy segregated of it exits 0" 0 \
	"$HT" replay --policy segregated -o "$T/r-seg.jsonl" "$T/s4.jsonl"
check "heaptrace check verifies the replay" bash -c "'$HT' check '$T/r-seg.jsonl' | grep -q faithful"
# frames.py TRACE: the frames of each event with a caller, in order, one line each
cat >"$T/frames.py" <<'PY'
import json, sys
stacks = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    r = json.loads(line)
    if r["k"] == "stack":
        stacks[r["id"]] = r["frames"]
    elif "stack" in r:
        print(" ".join(stacks[r["stack"]]))
PY
python3 "$T/frames.py" "$T/s4.jsonl" >"$T/frames-orig"
check "each replayed request has the original's frames, in order" \
	bash -c "[ \$(wc -l <'$T/frames-orig') -gt 1000 ] && python3 '$T/frames.py' '$T/r-seg.jsonl' | cmp -s - '$T/frames-orig'"
check "and the replay reads back (each stack defined before its use)" \
	bash -c "'$HT' stats '$T/r-seg.jsonl' >/dev/null"

# --follow decodes the same stream to the same trace
expect "decode --follow of it exits 0" 0 \
	"$HT" decode --follow --idle 1 --elf "$ELF" -o "$T/f.jsonl" "$T/s4.raw"
check "and writes the same trace" cmp -s "$T/s4.jsonl" "$T/f.jsonl"

# depth 0: callers as return addresses, no stacks: today's trace
"$GEN" --ops 300 --depth 0 --truth "$T/truth0" -o "$T/z.raw" $addrs
expect "decode of a capture without stacks exits 0" 0 "$HT" decode --elf "$ELF" -o "$T/z.jsonl" "$T/z.raw"
check "it has no stack_depth, stack records, stack fields or inlined lists" \
	bash -c "! grep -q -e stack_depth -e '\"k\":\"stack\"' -e '\"stack\":' -e inlined '$T/z.jsonl'"

# a stream whose event names a stack no STACK record defined
"$GEN" --ops 300 --undefined -o "$T/u.raw" $addrs
expect "decode of an event from an undefined stack exits 2" 2 "$HT" decode -o "$T/u.jsonl" "$T/u.raw"
check "and says which id and where" grep -q "corrupt stream at byte [0-9]* (event #[0-9]*): an event from stack id [0-9]*, which no STACK record defined" "$T/err"
check "the events before it are written, without an end" \
	bash -c "[ \$(wc -l <'$T/u.jsonl') -gt 1 ] && ! grep -q '\"k\":\"end\"' '$T/u.jsonl'"
# ---- end to end: the real kernel in QEMU with trace.depth=8 -------------------------
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
# capture NAME CHANNEL BOOTARGS...: the vector workload's raw trace in $T/NAME.raw
capture() {
	local name=$1 ch=$2
	shift 2
	if [ "$ch" = semihosting ]; then
		timeout --kill-after=5 "$(scaled 120)" $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native \
			-kernel "$ELF" -append "workload=vector trace=semihosting trace.file=$T/$name.raw $*" \
			</dev/null >"$T/$name.console" 2>&1
	else
		timeout --kill-after=5 "$(scaled 120)" $QEMU $QEMU_FLAGS -kernel "$ELF" \
			-append "workload=vector trace=uart $*" </dev/null >"$T/$name.raw" 2>&1
	fi
}
# events TRACE: its events without times and stack ids, one per line
events() { jq -c 'select(.i != null) | del(.t, .stack)' "$1"; }
capture k8 semihosting trace.depth=8
capture k8u uart trace.depth=8
capture k0 semihosting
expect "decode --elf of the kernel's capture with trace.depth=8 exits 0" 0 \
	"$HT" decode --elf "$ELF" -o "$T/k8.jsonl" "$T/k8.raw"
cat >"$T/kernel.py" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert json.loads(lines[0]).get("stack_depth") == 8, "header without stack_depth 8"
syms, stacks, events = {}, {}, 0
for line in lines[1:]:
    r = json.loads(line)
    if r["k"] == "sym":
        syms[r["addr"]] = r
    elif r["k"] == "stack":
        for f in r["frames"]:
            assert f in syms and syms[f]["fn"] != "??", "frame %s of stack %d not symbolised" % (f, r["id"])
        stacks[r["id"]] = r["frames"]
    elif r["k"] in ("alloc", "free"):
        assert r.get("stack") in stacks, "event %d without a defined stack" % r["i"]
        events += 1
paths = [s for s in stacks.values() if syms[s[0]]["fn"] == "rec_vec_set_cap_"]
assert len(paths) >= 2, "one path into rec_vec_set_cap_: %s" % paths
assert max(len(s) for s in stacks.values()) >= 3, "no stack deeper than 2 frames"
print(len(stacks), events)
PY
if python3 "$T/kernel.py" "$T/k8.jsonl" >"$T/k8.v" 2>&1; then
	ok "every alloc and free has a stack, every frame is symbolised, two paths reach rec_vec_set_cap_"
else
	no "every alloc and free has a stack, every frame is symbolised, two paths reach rec_vec_set_cap_" \
		"$(tail -1 "$T/k8.v")"
fi
check "heaptrace check verifies the kernel's trace with stacks" \
	bash -c "'$HT' check '$T/k8.jsonl' | grep -q faithful"
expect "the same run over the UART decodes (exit 0)" 0 \
	"$HT" decode --elf "$ELF" -o "$T/k8u.jsonl" "$T/k8u.raw"
check "to the same stacks and events as over semihosting" \
	cmp -s <(grep -v '"i":' "$T/k8.jsonl" | tail -n +2) <(grep -v '"i":' "$T/k8u.jsonl" | tail -n +2)
expect "a depth-0 capture decodes (exit 0)" 0 "$HT" decode --elf "$ELF" -o "$T/k0.jsonl" "$T/k0.raw"
check "without stacks: no stack_depth, stack records, stack fields or inlined lists" \
	bash -c "! grep -q -e stack_depth -e '\"k\":\"stack\"' -e '\"stack\":' -e inlined '$T/k0.jsonl'"
check "and the same events and callers as with stacks (the stacks' first frames)" \
	cmp -s <(events "$T/k0.jsonl") <(events "$T/k8.jsonl")
test_finish
