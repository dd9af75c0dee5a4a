#!/usr/bin/env bash
# paths_test.sh - call stacks through a full table, end to end: the real kernel
# in QEMU runs the paths workload (samples/paths.c: 4,096 distinct call paths,
# each twice, so 8,192 distinct stacks for 1,024 wire ids: the sink's table
# evicts and re-sends all the time) with trace.depth=8; heaptrace decode --elf
# names every frame; every alloc and free must carry exactly the stack its
# size says it came from (leaf, the six via_d of the path's digits innermost
# first, take_path). A stale id, a memo that outlived its id's eviction,
# or a stack sent after its event would show as a wrong frame here.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
cd "$(dirname "$0")/../.." || exit 2
ELF=$BUILD/kernel.elf
HT=$BUILD/asan/bin/heaptrace
[ -x "$HT" ] || HT=$BUILD/host/bin/heaptrace

QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
timeout "$(scaled 300)" $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native \
	-kernel "$ELF" -append "workload=paths trace.depth=8 trace.file=$T/paths.raw" \
	</dev/null >"$T/console" 2>&1
st=$?
if [ $st = 0 ]; then
	ok "the paths workload runs with trace.depth=8 (its own checks pass)"
else
	no "the paths workload runs with trace.depth=8 (its own checks pass)" \
		"QEMU exit $st; $(grep -a 'paths:' "$T/console" | tail -1)"
fi
expect "decode --elf of its capture exits 0" 0 "$HT" decode --elf "$ELF" -o "$T/paths.jsonl" "$T/paths.raw"

cat >"$T/verify.py" <<'PY'
import json, sys
LEVELS = 6
N = 4 ** LEVELS
syms, stacks, checked, sites = {}, {}, 0, {}
def fn(addr):  # the function whose frame the address is in (the outermost of inlined ones)
    s = syms[addr]
    return s["inlined"][-1]["fn"] if s.get("inlined") else s["fn"]
for line in open(sys.argv[1]).read().splitlines()[1:]:
    r = json.loads(line)
    if r["k"] == "sym":
        syms[r["addr"]] = r
    elif r["k"] == "stack":
        stacks[r["id"]] = r["frames"]
    elif r["k"] in ("alloc", "free") and 16 <= r["size"] < 16 + 2 * N:
        k, side = (r["size"] - 16) % N, r["size"] >= 16 + N
        want = ["leaf"] + ["via_%d" % (k >> (2 * d) & 3) for d in reversed(range(LEVELS))] + ["take_path"]
        frames = stacks[r["stack"]]
        got = [fn(f) for f in frames]
        assert got == want, "event %d (%s of path %d): stack %s, expected %s" % (r["i"], r["k"], k, got, want)
        sites.setdefault((r["k"], side), set()).add(frames[0])  # the call site in leaf
        checked += 1
assert checked == 2 * 2 * 2 * 2 * N, "%d alloc and free events checked" % checked
for key, s in sorted(sites.items()):
    assert len(s) == 1, "%s blocks (side: %s) from %d call sites in leaf, not one: an id named another stack" % (key[0], key[1], len(s))
assert len(set.union(*sites.values())) == 4, "the four call sites in leaf are not distinct"
assert len(stacks) == 4 * N, "%d distinct stacks, not four a path" % len(stacks)
print(checked, len(stacks))
PY
if python3 "$T/verify.py" "$T/paths.jsonl" >"$T/v" 2>&1; then
	ok "each of the $(cut -d' ' -f1 "$T/v") allocs and frees carries its own path's stack ($(cut -d' ' -f2 "$T/v") distinct stacks through 1,024 ids)"
else
	no "each alloc and free carries its own path's stack" "$(tail -1 "$T/v")"
fi
check "heaptrace check verifies it" bash -c "'$HT' check '$T/paths.jsonl' | grep -q faithful"
test_finish
