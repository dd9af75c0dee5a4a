#!/usr/bin/env bash
# journey_test.sh - a newcomer's first hour, from a fresh clone: clones the
# committed tree (HEAD of this repository) into a temporary directory and runs
# what the README tells a new user, in order, checking what each step promises:
#   make trace as the very first command; make trace again (nothing rebuilt);
#   an allocator edit, then make trace (the kernel is rebuilt, the trace
#   changes, heaptrace check agrees with it); make diff on that regression
#   (exit 1 with default thresholds) and on a trace against itself (exit 0);
#   a mistyped workload or channel (non-zero, no stale trace or PNG);
#   HEAP_SIZE= (honoured in the trace header; too small fails the link);
#   KHEAP_POISON=1 (rebuilds); make help (lists targets and variables).
# Uncommitted changes are not part of the clone: commit first.
set -u
. "$(dirname "$0")/testlib.sh"
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || { no "inside a git checkout"; test_finish; }
C=$T/clone
git clone -q "$root" "$C" || { no "git clone of the committed tree"; test_finish; }
cd "$C" || exit 2
MAKE=${MAKE:-make}
# the clone's own build directory and defaults: nothing from the caller's make
unset BUILD OUT WORKLOAD CHANNEL TRACE_ARGS HEAP_SIZE MAKEFLAGS MFLAGS MAKELEVEL
m() { timeout "$(scaled 600)" "$MAKE" --no-print-directory "$@"; }

# 1. the README's first command on a fresh clone
m trace >"$T/first.log" 2>&1
status=$?
check "make trace is the first command and exits 0 (exit $status)" [ "$status" = 0 ]
[ "$status" = 0 ] || tail -20 "$T/first.log" | sed 's/^/  | /'
check "it writes trace.jsonl" [ -s trace.jsonl ]
check "it writes trace.png, a real PNG" python3 "$C/viz/test/pngcheck.py" trace.png
check "it prints the stats of a complete trace" grep -q '^complete: yes' "$T/first.log"
check "the trace passes heaptrace check" build/host/bin/heaptrace check trace.jsonl

# 2. again with nothing changed: nothing is rebuilt
m trace >"$T/again.log" 2>&1
check "make trace again exits 0" [ $? = 0 ]
check "make trace again rebuilds nothing" bash -c "! grep -qE '^  (KCC|KAS|KLD|CC|LD) ' '$T/again.log'"

# 3. a small trace before and after an allocator edit (every block rounded up to 256 bytes)
m trace TRACE_ARGS=ops=300 OUT=before.jsonl >"$T/before.log" 2>&1
check "make trace OUT=before.jsonl exits 0" [ $? = 0 ]
sed -i 's|return b < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : b;|return (b + 255) \& ~(size_t)255; /* journey: coarse blocks */|' kernel/heap.c
check "the allocator edit applies" grep -q 'journey: coarse blocks' kernel/heap.c
m trace TRACE_ARGS=ops=300 OUT=after.jsonl >"$T/after.log" 2>&1
check "make trace after the edit exits 0" [ $? = 0 ]
check "the edit rebuilds the kernel" grep -q 'KCC     kernel/heap.c' "$T/after.log"
check "the edit relinks build/kernel.elf" grep -q 'KLD     build/kernel.elf' "$T/after.log"
check "the trace changed with the kernel" bash -c "! cmp -s before.jsonl after.jsonl"
first_alloc_block() { jq -s -r '[.[] | select(.k == "alloc")][0].block' "$1"; }
check "block sizes in the new trace are the edited allocator's (multiples of 256)" \
	[ $(($(first_alloc_block after.jsonl) % 256)) = 0 ]
check "heaptrace check (rebuilt with the same edit) verifies the new trace" \
	build/host/bin/heaptrace check after.jsonl

# 4. the regression gate gates, with its default thresholds
m diff A=before.jsonl B=after.jsonl >"$T/diff.log" 2>&1
status=$?
check "make diff on the regression fails (exit $status)" [ "$status" != 0 ]
check "make diff says REGRESSED and why" grep -q -- '--max-peak-growth: peak used bytes grew' "$T/diff.log"
build/host/bin/heaptrace diff before.jsonl after.jsonl >/dev/null 2>&1
status=$?
check "heaptrace diff on the regression exits 1, its documented status (exit $status)" [ "$status" = 1 ]
m diff A=after.jsonl B=after.jsonl >"$T/same.log" 2>&1
check "make diff of a trace with itself exits 0" [ $? = 0 ]
m diff A=samples/baseline/churn.jsonl B=samples/baseline/frag.jsonl >"$T/unlike.log" 2>&1
check "make diff of two different workloads' baselines exits non-zero" [ $? != 0 ]
git checkout -q kernel/heap.c

# 5. mistakes: no stale output that looks fresh
m trace >/dev/null 2>&1 # a good trace.jsonl/trace.png to go stale
m trace WORKLOAD=fragg >"$T/typo.log" 2>&1
status=$?
check "make trace WORKLOAD=fragg fails (exit $status)" [ "$status" != 0 ]
check "it says there is no such workload" grep -q "no workload 'fragg'" "$T/typo.log"
check "it leaves no trace.jsonl behind" [ ! -e trace.jsonl ]
check "it leaves no trace.png behind" [ ! -e trace.png ]
check "it does not claim a heap map" bash -c "! grep -q 'heap map at' '$T/typo.log'"
m trace >/dev/null 2>&1
m trace CHANNEL=usb >"$T/chan.log" 2>&1
check "make trace CHANNEL=usb fails" [ $? != 0 ]
check "it names the bad channel" grep -q "not 'usb'" "$T/chan.log"
check "it leaves no trace.png behind" [ ! -e trace.png ]

# 6. HEAP_SIZE is honoured, and checked
m trace HEAP_SIZE=0x200000 TRACE_ARGS=ops=300 OUT=big.jsonl >"$T/big.log" 2>&1
check "make trace HEAP_SIZE=0x200000 exits 0" [ $? = 0 ]
check "its trace header says a 2 MiB heap" \
	[ "$(head -1 big.jsonl | jq .heap_size)" = 2097152 ]
m build/kernel.elf HEAP_SIZE=0x800 >"$T/small.log" 2>&1
check "HEAP_SIZE=0x800 fails the link" [ $? != 0 ]
check "with the linker's message" grep -q 'HEAP_SIZE must be at least 4 KiB' "$T/small.log"
m build/kernel.elf >"$T/default.log" 2>&1
check "back to the default HEAP_SIZE relinks the kernel" grep -q 'KLD     build/kernel.elf' "$T/default.log"
m build/kernel.elf KHEAP_POISON=1 >"$T/poison.log" 2>&1
check "KHEAP_POISON=1 rebuilds the global heap" grep -q 'KCC     kernel/kheap.c' "$T/poison.log"

# 7. make help names what people pass
m help >"$T/help.log" 2>&1
for word in record-samples WORKLOAD= OUT= CHANNEL= TRACE_ARGS= DIFF_FLAGS= ICOUNT= HEAP_SIZE=; do
	check "make help mentions $word" grep -q -- "$word" "$T/help.log"
done
test_finish
