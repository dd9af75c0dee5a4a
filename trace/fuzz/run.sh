#!/usr/bin/env bash
# run.sh - `make fuzz`: runs each fuzz target for SECONDS on a scratch copy of
# its corpus and regression inputs, and prints one line per target: executions,
# execs/s, corpus growth, and whether it crashed.
#
#   trace/fuzz/run.sh SECONDS [TARGET...]     (from the project root; BUILD=build)
#
# A crash is left in $BUILD/fuzz/crashes/TARGET/ (reproduce: $BUILD/fuzz/TARGET
# FILE; once fixed, add FILE to trace/fuzz/regress/TARGET/). The full log of a
# run is $BUILD/fuzz/logs/TARGET.log. Exit status: 0 if nothing crashed, 1 otherwise.
set -u
cd "$(dirname "$0")/../.." || exit 2
. trace/fuzz/lib.sh
BUILD=${BUILD:-build}
secs=${1:?usage: trace/fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(fuzz_targets)

crashed=0
mkdir -p "$BUILD/fuzz/logs"
printf '%-20s %6s %12s %9s %15s  %s\n' target seconds execs execs/s corpus result
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t work=$BUILD/fuzz/run/$t out=$BUILD/fuzz/crashes/$t/ log=$BUILD/fuzz/logs/$t.log
	if [ ! -x "$bin" ]; then
		printf '%-20s not built (%s)\n' "$t" "$bin"
		crashed=1
		continue
	fi
	rm -rf "$work"
	fuzz_seed "$t" "$work"
	mkdir -p "$out"
	seeds=$(find "$work" -type f | wc -l)
	# shellcheck disable=SC2046 # fuzz_dict prints one option or nothing
	"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 $(fuzz_dict "$t") \
		-artifact_prefix="$out" "$work" >"$log" 2>&1
	status=$?
	result=ok
	if [ $status -ne 0 ]; then
		result="CRASH (exit $status): $(grep -ao "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')"
		crashed=1
	fi
	printf '%-20s %6s %12s %9s %15s  %s\n' "$t" "$secs" "$(fuzz_stat "$log" number_of_executed_units)" \
		"$(fuzz_stat "$log" average_exec_per_sec)" "$seeds -> $(find "$work" -type f | wc -l)" "$result"
	[ $status -ne 0 ] && fuzz_why "$log" | sed 's/^/      | /'
done
exit $crashed
