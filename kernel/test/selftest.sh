#!/usr/bin/env bash
# selftest.sh - the test framework tested on real QEMU runs: every failure kind
# must give its own non-zero status and the right report, a hanging image must
# be killed by the host-side timeout and counted test by test, a passing suite
# must give 0, and an image runs every test it holds, however many.
# Uses the images built from kernel/test/selftest/*.c and build/test-basic.elf.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}

# run IMAGE TIMEOUT: runs it (killed after TIMEOUT s, scaled), leaves output in
# $T/IMAGE.log and status in $status
run() {
	timeout --kill-after=5 "$(scaled "$2")" $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native \
		-kernel "$BUILD/$1.elf" </dev/null >"$T/$1.log" 2>&1
	status=$?
}

# expect_image NAME IMAGE STATUS PATTERN...: the image exited with STATUS and its output
# ($T/IMAGE.log) contains every PATTERN (fixed strings)
expect_image() {
	local name=$1 image=$2 want=$3
	shift 3
	local why=""
	[ "$status" -eq "$want" ] || why="exit status $status, want $want"
	for p in "$@"; do
		grep -qF -- "$p" "$T/$image.log" || why="${why:+$why; }output lacks '$p'"
	done
	if [ -z "$why" ]; then
		ok "$name"
	else
		no "$name" "$why"
		sed 's/^/    | /' "$T/$image.log" | tail -15
	fi
}

run test-basic 60
expect_image passing_suite_exits_0 test-basic 0 "0 failed"

run selftest-assert 60
expect_image failed_assertion_exits_1_and_prints_both_values selftest-assert 1 \
	"in selftest_failing_assertion: ASSERT_EQ(answer, 42): 41 (0x29) vs 42 (0x2a)" \
	"kernel/test/selftest/assert.c:" "1 passed, 1 failed"

run selftest-panic 60
expect_image unexpected_panic_exits_2_with_message_and_location selftest-panic 2 \
	"panic: selftest_unexpected_panic: deliberate" "at kernel/test/selftest/panic.c:" \
	"FAILED: panic" "0 passed, 1 failed"

run selftest-trap 60
expect_image unexpected_trap_exits_3_with_decoded_cause selftest-trap 3 \
	"unexpected trap: store/AMO access fault (scause 0x7)" "stval 0x10" \
	"FAILED: unexpected trap" "0 passed, 1 failed"

run selftest-nopanic 60
expect_image missing_expected_panic_exits_4 selftest-nopanic 4 \
	"FAILED: expected panic did not happen" "0 passed, 1 failed"

run selftest-overflow 60
expect_image stack_overflow_is_reported_and_exits_5 selftest-overflow 5 \
	"stack overflow: boot stack canary" "FAILED: stack overflow"

run selftest-many 60
expect_image every_test_runs_however_many_the_image_holds selftest-many 0 \
	"running 601 tests" "test selftest_many_599 ... ok" "test selftest_many_written_last ... ok" \
	"601 passed, 0 failed"

run selftest-hang 3
expect_image hanging_image_is_killed_by_the_host_timeout selftest-hang 124 \
	"test selftest_passes_before_the_hang ... ok" "test selftest_hangs ..."

# The top-level driver counts what passed before a hang, plus one failure naming
# the test that hung.
mkdir -p "$T/logs"
BUILD_SAVE=$BUILD
TEST_TIMEOUT=30 BUILD=$BUILD bash scripts/run-tests.sh qemu:basic >"$T/driver-pass.log" 2>&1
status=$?
mv "$T/driver-pass.log" "$T/driver-pass.log.log"
expect_image driver_counts_a_passing_suite driver-pass.log 0 "PASS  qemu:basic" "0 failed"
# run-tests.sh names images test-NAME.elf: point it at the hang image through a temporary link
ln -sf "$(cd "$BUILD_SAVE" && pwd)/selftest-hang.elf" "$BUILD_SAVE/test-selftest-hang-link.elf"
TEST_TIMEOUT=1.5 bash scripts/run-tests.sh qemu:selftest-hang-link >"$T/driver-hang.log.log" 2>&1
status=$?
rm -f "$BUILD_SAVE/test-selftest-hang-link.elf" "$BUILD_SAVE/test-logs/qemu-selftest-hang-link.log"
expect_image driver_counts_the_tests_before_a_hang_and_names_the_hanging_one driver-hang.log 1 \
	"FAIL  qemu:selftest-hang-link" "TIMEOUT after $(scaled 1.5)s in test selftest_hangs" \
	"total: 1 passed, 1 failed"

test_finish
