#!/usr/bin/env bash
# run-tests.sh - runs every test that `make test` names and prints one combined
# summary. Arguments are KIND:NAME entries:
#   host:NAME     $BUILD/asan/bin/NAME (a host test program, sanitized build)
#   script:PATH   a bash test driver (gets BUILD, QEMU, QEMU_FLAGS in its environment)
#   qemu:NAME     the in-QEMU suite $BUILD/test-NAME.elf
# Each test is killed after TEST_TIMEOUT x TEST_TIME_SCALE seconds (120 x 2 by
# default; TEST_TIME_SCALE also stretches every wait of the script tests, see
# scripts/testlib.sh: raise it on a slow or loaded machine).
# Each test's output goes to $BUILD/test-logs/; its counts come from its closing
# "N passed, N failed" line. A test that exits non-zero without reporting a
# failure or prints no summary counts as one failure. A test killed by the
# timeout counts the tests its log shows finished (the runners' "test NAME ...
# ok" and "... FAILED" lines) plus one failure naming the test that was running.
# Exit status: 0 if everything passed, 1 otherwise, 2 bad usage.
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
TEST_TIME_SCALE=${TEST_TIME_SCALE:-2}
export BUILD QEMU QEMU_FLAGS TEST_TIMEOUT TEST_TIME_SCALE
if ! limit=$(awk -v t="$TEST_TIMEOUT" -v k="$TEST_TIME_SCALE" \
	'BEGIN { if (t !~ /^[0-9.]+$/ || k !~ /^[0-9.]+$/ || t * k <= 0) exit 1; print t * k }'); then
	echo "run-tests: TEST_TIMEOUT ('$TEST_TIMEOUT') and TEST_TIME_SCALE ('$TEST_TIME_SCALE') must be positive numbers" >&2
	exit 2
fi

# before_hang KIND LOG: "PASSED FAILED NAME" from the per-test lines in LOG: the
# tests that finished, and the one started last without finishing ("?" if none
# is known). qemu and host tests: the runners' "test NAME ... ok (" / "FAILED"
# (kernel/test/runner.c, kernel/test/host/host_runner.c); scripts: whole lines
# "ok   NAME" / "FAIL NAME" (testlib.sh) or "test NAME ... ok" / "... FAILED"
# (a check that hangs is not named before it ends).
before_hang() {
	if [ "$1" = script ]; then
		awk '/^ok   |^test [A-Za-z0-9_]+ \.\.\. ok/ { pass++ }
		/^FAIL |^test [A-Za-z0-9_]+ \.\.\. FAILED/ { fail++ }
		END { printf "%d %d ?\n", pass, fail }' "$2"
		return
	fi
	awk '
	{
		while (match($0, /test [A-Za-z0-9_]+ \.\.\. /)) {
			running = substr($0, RSTART + 5, RLENGTH - 10)
			$0 = substr($0, RSTART + RLENGTH)
		}
		if (running != "" && match($0, /(^| )ok \(/)) { pass++; running = "" }
		else if (running != "" && match($0, /(^| )FAILED/)) { fail++; running = "" }
	}
	END { printf "%d %d %s\n", pass, fail, running == "" ? "?" : running }' "$2"
}

logs=$BUILD/test-logs
mkdir -p "$logs"

total_pass=0 total_fail=0
failed_entries=()

for entry in "$@"; do
	kind=${entry%%:*} name=${entry#*:}
	log=$logs/$kind-$(basename "$name").log
	start=$EPOCHREALTIME
	case $kind in
	host) cmd=("$BUILD/asan/bin/$name") ;;
	script) cmd=(bash "$name") ;;
	qemu) cmd=($QEMU $QEMU_FLAGS -icount shift=0 -semihosting-config enable=on,target=native
		-kernel "$BUILD/test-$name.elf") ;;
	*) echo "run-tests: unknown test kind '$kind' in '$entry'" >&2; exit 2 ;;
	esac
	timeout --kill-after=5 "$limit" "${cmd[@]}" </dev/null >"$log" 2>&1
	status=$?
	secs=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }")
	summary=$(grep -aE '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	pass=0 fail=0 note=""
	if [[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		pass=${BASH_REMATCH[1]} fail=${BASH_REMATCH[2]}
	fi
	if [ $status -eq 124 ] || [ $status -eq 137 ]; then
		read -r pass fail running < <(before_hang "$kind" "$log")
		fail=$((fail + 1))
		note="TIMEOUT after ${limit}s in test $running"
		[ "$running" = "?" ] && note="TIMEOUT after ${limit}s"
	elif [ -z "$summary" ]; then
		fail=$((fail + 1)) note="no summary line (exit status $status)"
	elif [ $status -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1 note="exit status $status"
	elif [ $status -eq 0 ] && [ "$fail" -ne 0 ]; then
		note="reported failures but exited 0"
	fi
	total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
	if [ "$fail" -eq 0 ]; then
		printf 'PASS  %-34s %5d passed  %6ss\n' "$entry" "$pass" "$secs"
	else
		printf 'FAIL  %-34s %5d passed %4d failed  %6ss  %s (log: %s)\n' "$entry" "$pass" "$fail" "$secs" "$note" "$log"
		failed_entries+=("$entry")
		grep -aE 'FAILED|panic|ERROR|error|Sanitizer|runtime error|TIMEOUT|not ok|mismatch' "$log" | head -20 | sed 's/^/      | /'
	fi
done

echo
if [ ${#failed_entries[@]} -gt 0 ]; then
	echo "failing: ${failed_entries[*]}"
fi
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
