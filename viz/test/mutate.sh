#!/usr/bin/env bash
# mutate.sh - heapviz never crashes on damaged traces: 40 random mutations of a real
# trace, each rendered with --snapshot under ASan/UBSan, must exit 0, 1 or 2.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
$BUILD/asan/bin/gen_trace --seed 11 --events 300 --live 60 --big 1 -o "$T/t.jsonl" ||
	{ no "gen_trace makes the trace"; test_finish; }
python3 viz/test/mutate.py "$BUILD/asan/bin/heapviz" "$T/t.jsonl" 40 "${MUTATE_SEED:-1}"
