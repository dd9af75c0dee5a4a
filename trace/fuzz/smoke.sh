#!/usr/bin/env bash
# smoke.sh - the fuzz targets' script test (`make test`, which builds them):
# each target runs every input of its corpus, every regression input (the
# crashes it once found) and every known-bug input (trace/fuzz/lib.sh), then fuzzes for FUZZ_SMOKE_SECONDS (default 5) from
# a scratch copy of them. One check per target and step; builds nothing.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
cd "$(dirname "$0")/../.." || exit 2
. trace/fuzz/lib.sh
secs=${FUZZ_SMOKE_SECONDS:-5}
# a fixed seed and a run count that even the slowest target reaches well within
# secs: the smoke run is repeatable (make test must not fail by luck; make fuzz
# is where fuzzing explores)
runs=${FUZZ_SMOKE_RUNS:-300}

for t in $(fuzz_targets); do
	bin=$BUILD/fuzz/$t
	if [ ! -x "$bin" ]; then
		no "$t is built" "no $bin"
		continue
	fi
	mapfile -t inputs < <(find "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/regress/$t" "$FUZZ_DIR/pending/$t" \
		-maxdepth 1 -type f 2>/dev/null | sort)
	if [ ${#inputs[@]} -eq 0 ]; then
		no "$t has a seed corpus" "trace/fuzz/corpus/$t is empty"
		continue
	fi
	"$bin" -timeout=10 "${inputs[@]}" >"$T/$t.replay" 2>&1
	st=$?
	if [ $st -eq 0 ]; then
		ok "$t runs its ${#inputs[@]} corpus and regression inputs cleanly"
	else
		no "$t runs its corpus and regression inputs cleanly" "exit $st; $(fuzz_why "$T/$t.replay" | head -3)"
	fi
	fuzz_seed "$t" "$T/$t.corpus"
	# shellcheck disable=SC2046 # fuzz_dict prints one option or nothing
	"$bin" -seed=1 -runs="$runs" -max_total_time="$(scaled "$secs")" -timeout=10 -print_final_stats=1 \
		$(fuzz_dict "$t") -artifact_prefix="$T/$t-" "$T/$t.corpus" >"$T/$t.fuzz" 2>&1
	st=$?
	if [ $st -eq 0 ]; then
		ok "$t: $runs seeded runs of fuzzing ($(fuzz_stat "$T/$t.fuzz" number_of_executed_units) execs) find nothing"
	else
		mkdir -p "$BUILD/fuzz/crashes/$t"
		cp "$T/$t"-* "$BUILD/fuzz/crashes/$t/" 2>/dev/null
		no "$t: ${secs}s of fuzzing find nothing" \
			"exit $st, input kept in $BUILD/fuzz/crashes/$t/; $(fuzz_why "$T/$t.fuzz" | head -3)"
	fi
done
test_finish
