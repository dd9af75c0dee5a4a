# lib.sh - shared by the benchmark scripts (sourced, not run): repeated timed runs,
# median and min, event and allocator-call counts of a trace, the captured traces
# several benchmarks measure, and the result line scripts/bench.sh collects:
#
#   BENCH figure=NAME unit=UNIT goal=<=X|>=X|none median=M min=M max=M n=N what=TEXT...
#
# median/min/max are over the N runs (n=1: one exact run, e.g. guest instructions
# under -icount shift=0); "-" when the figure could not be measured. what= is the
# rest of the line, words for the table. Goals are checked by scripts/bench.sh only.
# Environment: BUILD (default build), RUNS (timed runs per figure, default 5),
# QEMU, QEMU_FLAGS.

BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
BENCH_ELF=$BUILD/kernel.elf
BENCH_HT=$BUILD/host/bin/heaptrace
BENCH_DIR=$BUILD/bench # traces kept between runs (the 10M-event ones are large)
bench_status=0         # set to 1 by bench_fail: the script's exit status
mkdir -p "$BENCH_DIR"

# bench_stats VALUE...: prints "median min max n" of the values ("- - - 0" if none)
bench_stats() {
	printf '%s\n' "$@" | grep -E '^[0-9.eE+-]+$' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - - 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %s %s %d\n", fmt(m), fmt(v[1]), fmt(v[NR]), NR
		}
		# six significant digits, no exponent
		function fmt(x) { return x >= 1e5 || x <= -1e5 ? sprintf("%.0f", x) : sprintf("%.6g", x) }'
}

# bench_result FIGURE UNIT GOAL WHAT VALUE...: the BENCH line for the values of N runs
bench_result() {
	local figure=$1 unit=$2 goal=$3 what=$4 median min max n
	shift 4
	read -r median min max n <<<"$(bench_stats "$@")"
	[ "$n" = 0 ] && bench_status=1
	echo "BENCH figure=$figure unit=$unit goal=$goal median=$median min=$min max=$max n=$n what=$what"
}

# bench_fail FIGURE UNIT GOAL WHAT REASON: the figure could not be measured
bench_fail() {
	echo "$1: $5" >&2
	bench_result "$1" "$2" "$3" "$4"
}

# bench_time OUT CMD...: runs CMD once (stdout to /dev/null), appends
# "wall_s user_s sys_s maxrss_kib" to OUT; returns CMD's status
bench_time() {
	local out=$1 t
	shift
	t=$(mktemp "${TMPDIR:-/tmp}/bench_time.XXXXXX")
	/usr/bin/time -o "$t" -f '%e %U %S %M' "$@" >/dev/null
	local rc=$?
	tail -1 "$t" >>"$out"
	rm -f "$t"
	return $rc
}

# bench_col FILE K: column K of every line (one value per line)
bench_col() {
	awk -v k="$2" '{ print $k }' "$1"
}

# bench_counts TRACE.jsonl: prints "events calls": event lines (every kind), and
# allocator calls = alloc + free + alloc_fail - realloc (a realloc call is one call
# that emits its own alloc and free events besides the realloc summary)
bench_counts() {
	awk '/"i":/ { e++ }
		/"k":"alloc"/ { c++ }
		/"k":"free"/ { c++ }
		/"k":"alloc_fail"/ { c++ }
		/"k":"realloc"/ { c-- }
		END { print e + 0, c + 0 }' "$1"
}

# bench_qemu WORKLOAD BOOTARGS [QEMU OPTIONS...]: one boot over semihosting, console
# output on stdout; QEMU's status
bench_qemu() {
	local w=$1 args=$2
	shift 2
	timeout 600 $QEMU $QEMU_FLAGS "$@" -semihosting-config enable=on,target=native \
		-kernel "$BENCH_ELF" -append "workload=$w $args" </dev/null 2>&1
}

# bench_trace_10m: makes (once per kernel and heaptrace build) the 10M-event capture:
# the million workload with ops=2600000 over semihosting, raw in
# $BENCH_DIR/million-10m.raw, decoded with symbols to $BENCH_DIR/million-10m.jsonl.
# Returns non-zero if the capture or decode failed.
bench_trace_10m() {
	local raw=$BENCH_DIR/million-10m.raw out=$BENCH_DIR/million-10m.jsonl
	if [ -s "$out" ] && [ "$out" -nt "$BENCH_ELF" ] && [ "$out" -nt "$BENCH_HT" ]; then
		return 0
	fi
	rm -f "$raw" "$out"
	bench_qemu million "ops=2600000 trace=semihosting trace.file=$raw" >/dev/null || return 1
	"$BENCH_HT" decode -q --elf "$BENCH_ELF" -o "$out" "$raw"
}

# bench_trace_million: makes (once per kernel and heaptrace build) the captured
# million-workload trace $BENCH_DIR/million.jsonl, as `make trace` captures it
# (trace/bench/throughput.sh leaves it there too). Non-zero if the capture failed.
bench_trace_million() {
	local out=$BENCH_DIR/million.jsonl
	if [ -s "$out" ] && [ "$out" -nt "$BENCH_ELF" ] && [ "$out" -nt "$BENCH_HT" ]; then
		return 0
	fi
	BUILD=$BENCH_DIR trace/capture.sh "$BENCH_ELF" "$BENCH_HT" million semihosting "$out" \
		>"$BENCH_DIR/capture-million.log" 2>&1 || { tail -5 "$BENCH_DIR/capture-million.log" >&2; return 1; }
}
