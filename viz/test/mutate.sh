#!/usr/bin/env bash
# mutate.sh - heapviz never crashes on damaged traces: 40 random mutations of a real
# trace, each rendered with --snapshot under ASan/UBSan, must exit 0, 1 or 2.
set -u
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BUILD/asan/bin/viz-gentrace --seed 11 300 > "$T/t.jsonl" || { echo "0 passed, 1 failed"; exit 1; }
python3 viz/test/mutate.py "$BUILD/asan/bin/heapviz" "$T/t.jsonl" 40 "${MUTATE_SEED:-1}"
