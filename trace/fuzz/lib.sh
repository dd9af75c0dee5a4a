# lib.sh - what trace/fuzz/run.sh and trace/fuzz/smoke.sh share; source it.
# Every target is trace/fuzz/fuzz_NAME.c, built as $BUILD/fuzz/fuzz_NAME, with
# its seed corpus in trace/fuzz/corpus/fuzz_NAME/, the inputs that once
# crashed it in trace/fuzz/regress/fuzz_NAME/, and in trace/fuzz/pending/fuzz_NAME/
# the inputs of known bugs not fixed yet (the target's KNOWN BUG comment says
# which property it leaves out until then; move them to regress/ once fixed).
FUZZ_DIR=trace/fuzz

# fuzz_targets: the names of every target, from the sources
fuzz_targets() {
	local f
	for f in "$FUZZ_DIR"/fuzz_*.c; do
		f=${f##*/}
		echo "${f%.c}"
	done
}

# fuzz_dict TARGET: the -dict= option for TARGET's input format (or nothing)
fuzz_dict() {
	case $1 in
	fuzz_wire | fuzz_decode | fuzz_uart_frames) echo "-dict=$FUZZ_DIR/wire.dict" ;;
	fuzz_roundtrip) ;;
	*) echo "-dict=$FUZZ_DIR/trace.dict" ;;
	esac
}

# fuzz_seed TARGET DIR: fills DIR with TARGET's corpus and regression inputs
# (a scratch copy: fuzzing adds to DIR, never to the committed corpus)
fuzz_seed() {
	mkdir -p "$2"
	local d
	for d in "$FUZZ_DIR/corpus/$1" "$FUZZ_DIR/regress/$1" "$FUZZ_DIR/pending/$1"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp {} "$2"/ \;
	done
	return 0
}

# fuzz_stat LOG NAME: a final libFuzzer statistic (-print_final_stats=1) from LOG
fuzz_stat() {
	sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

# fuzz_why LOG: the lines of LOG that say what crashed
fuzz_why() {
	grep -aE 'property failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY:|Test unit written' "$1" | head -8
}
