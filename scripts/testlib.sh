# testlib.sh - what every script test shares; source it, do not run it:
#   . "$(dirname "$0")/../../scripts/testlib.sh"
# Sets BUILD (default build), makes a temp dir $T removed at exit, counts checks in
# $pass and $fail, and test_finish prints the closing "N passed, N failed" that
# scripts/run-tests.sh reads and exits non-zero if anything failed.
#
# Every timeout and wait of a test is written as `$(scaled SECONDS)`: the one knob
# TEST_TIME_SCALE (default 2, as in scripts/run-tests.sh) stretches them all, so a
# slow or loaded machine can be given more time without editing any test.
BUILD=${BUILD:-build}
TEST_TIME_SCALE=${TEST_TIME_SCALE:-2}
export TEST_TIME_SCALE
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# scaled SECONDS: SECONDS x TEST_TIME_SCALE (a number for timeout, sleep or seq)
scaled() {
	awk -v t="$1" -v k="$TEST_TIME_SCALE" 'BEGIN { print t * k }'
}

# scaled_count N: N x TEST_TIME_SCALE rounded up, at least 1 (poll-loop iterations)
scaled_count() {
	awk -v n="$1" -v k="$TEST_TIME_SCALE" 'BEGIN { c = n * k; i = int(c); if (i < c) i++; print i < 1 ? 1 : i }'
}

# ok NAME: a check passed
ok() {
	pass=$((pass + 1))
	echo "ok   $1"
}

# no NAME [WHY]: a check failed (WHY says what was seen instead)
no() {
	fail=$((fail + 1))
	echo "FAIL $1${2:+: $2}"
}

# check NAME CMD...: passes if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else no "$name"; fi
}

# expect NAME STATUS CMD...: passes if CMD exits with STATUS; its output is left in
# $T/out and $T/err for the checks that follow
expect() {
	local name=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		no "$name" "exit $got, expected $want; $(head -3 "$T/err")"
	fi
}

# test_finish: prints "N passed, N failed" and exits 0 only if nothing failed
test_finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
