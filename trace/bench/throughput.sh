#!/usr/bin/env bash
# throughput.sh - the capture side's host costs, in wall-clock time:
#  - `make trace WORKLOAD=million` end to end, the real command (boot, run, decode
#    alongside QEMU with symbols, heaptrace stats, the heap map PNG): events per
#    second over RUNS runs after one warm-up run; goal >= 2M events/s. It leaves
#    the captured trace in $BUILD/bench/million.jsonl for the other benchmarks.
#    A run in which make rebuilt anything is not counted. Beside it, the same steps
#    without make (trace/capture.sh, then heapviz --snapshot);
#  - the QEMU process alone on million, traced (semihosting) and untraced: what
#    writing the trace costs the host, beside overhead.sh's guest-instruction ratio;
#  - whole-file `heaptrace decode` (with symbols) of a 10M-event raw capture (the
#    million workload with ops=2600000): wall time and max RSS over RUNS_10M runs
#    (default 3); goal: RSS bounded to a few MiB (<= 8 MiB), whatever the length.
set -u
. "$(dirname "$0")/lib.sh"
RUNS_10M=${RUNS_10M:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/throughput.XXXXXX")
trap 'rm -rf "$T"' EXIT
out=$BENCH_DIR/million.jsonl

# ---- make trace WORKLOAD=million, end to end
# make_trace: the real command; its output in $T/make.log
make_trace() {
	rm -f "$out"
	${MAKE:-make} -s --no-print-directory BUILD="$BUILD" trace WORKLOAD=million OUT="$out" \
		TRACE_PNG="$BENCH_DIR/million.png" >"$T/make.log" 2>&1
}
# recipe: the same steps without make: capture (QEMU, decode alongside, stats)
# and the heap map PNG (at the first failure, else at the peak), as the Makefile's
# trace recipe runs them
recipe() {
	rm -f "$out"
	local png=$BENCH_DIR/million.png
	BUILD=$BUILD trace/capture.sh "$BENCH_ELF" "$BENCH_HT" million semihosting "$out" >"$T/recipe.log" 2>&1 &&
		{ SDL_VIDEODRIVER=offscreen "$BUILD/host/bin/heapviz" --snapshot "$png" --at first-fail "$out" ||
			SDL_VIDEODRIVER=offscreen "$BUILD/host/bin/heapviz" --snapshot "$png" --at peak "$out"; } \
			>>"$T/recipe.log" 2>&1
}
# rate CMD: events/s of one run of CMD, or nothing if it failed
rate() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" || return 1
	t1=$EPOCHREALTIME
	awk -v e="$ev" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }'
}
rates=() recipe_rates=() rebuilt=0
if make_trace && [ -s "$BENCH_DIR/million.png" ]; then # the warm-up: builds, caches
	ev=$(grep -c '"i":' "$out")
	for _ in $(seq "$RUNS"); do
		r=$(rate make_trace) || { echo "make trace failed:" >&2; tail -5 "$T/make.log" >&2; break; }
		# a run in which make rebuilt something times the compiler, not the trace
		if grep -qE '^  (K?CC|KAS|K?LD|K?AR|CC/SAN) ' "$T/make.log"; then
			rebuilt=$((rebuilt + 1))
			echo "make trace WORKLOAD=million: rebuilt something (not counted):" \
				"$(grep -cE '^  (K?CC|KAS) ' "$T/make.log") files compiled"
			continue
		fi
		rates+=("$r")
		echo "make trace WORKLOAD=million: $ev events, $r events/s"
	done
	for _ in $(seq "$RUNS"); do
		r=$(rate recipe) || { echo "capture.sh + heapviz failed:" >&2; tail -5 "$T/recipe.log" >&2; break; }
		recipe_rates+=("$r")
		echo "capture.sh + heapviz --snapshot, million: $ev events, $r events/s"
	done
else
	echo "make trace WORKLOAD=million failed (or drew no PNG):" >&2
	tail -5 "$T/make.log" >&2
fi
[ "$rebuilt" -gt 0 ] && echo "make trace rebuilt in $rebuilt of $RUNS runs: those are not counted" >&2
bench_result make_trace_rate events/s ">=2000000" \
	"make trace WORKLOAD=million end to end (capture, decode, stats, PNG), wall clock" "${rates[@]}"
bench_result recipe_rate events/s ">=2000000" \
	"the same steps without make (trace/capture.sh + heapviz --snapshot), million, wall clock" "${recipe_rates[@]}"

# ---- the QEMU process alone, traced and untraced (interleaved)
walls_off=() walls_on=()
for _ in $(seq "$RUNS"); do
	t0=$EPOCHREALTIME
	bench_qemu million "trace=off" >/dev/null || break
	t1=$EPOCHREALTIME
	bench_qemu million "trace=semihosting trace.file=$T/m.raw" >/dev/null || break
	t2=$EPOCHREALTIME
	walls_off+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
	walls_on+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')")
done
echo "QEMU wall, million: untraced ${walls_off[*]:-failed} s; traced ${walls_on[*]:-failed} s"
bench_result qemu_wall_untraced_million s none "QEMU process wall clock, million, untraced" "${walls_off[@]}"
bench_result qemu_wall_traced_million s none "QEMU process wall clock, million, traced (writing the trace)" "${walls_on[@]}"
read -r m_off _ <<<"$(bench_stats "${walls_off[@]}")"
read -r m_on _ <<<"$(bench_stats "${walls_on[@]}")"
if [ "$m_off" != - ] && [ "$m_on" != - ]; then
	bench_result qemu_wall_ratio_million x none "QEMU wall clock traced/untraced, million (medians)" \
		"$(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }')"
else
	bench_fail qemu_wall_ratio_million x none "QEMU wall clock traced/untraced, million (medians)" "QEMU failed"
fi

# ---- whole-file decode of a 10M-event raw capture
if bench_trace_10m; then
	raw=$BENCH_DIR/million-10m.raw
	ev=$(grep -c '"i":' "$BENCH_DIR/million-10m.jsonl")
	: >"$T/decode.txt"
	for _ in $(seq "$RUNS_10M"); do
		bench_time "$T/decode.txt" "$BENCH_HT" decode -q --elf "$BENCH_ELF" \
			-o "$BENCH_DIR/million-10m.jsonl" "$raw" || { echo "decode failed" >&2; : >"$T/decode.txt"; break; }
	done
	echo "heaptrace decode, $ev events ($(stat -c %s "$raw") raw bytes), per run (wall user sys KiB):"
	sed 's/^/  /' "$T/decode.txt"
	bench_result decode_10m_wall s none "heaptrace decode, whole file, $ev-event raw capture, wall clock" \
		$(bench_col "$T/decode.txt" 1)
	bench_result decode_10m_rss MiB "<=8" "heaptrace decode, whole file, $ev-event raw capture, max RSS" \
		$(awk '{ printf "%.1f\n", $4 / 1024 }' "$T/decode.txt")
else
	bench_fail decode_10m_wall s none "heaptrace decode, whole file, 10M-event raw capture, wall clock" "capture failed"
	bench_fail decode_10m_rss MiB "<=8" "heaptrace decode, whole file, 10M-event raw capture, max RSS" "capture failed"
fi
exit $bench_status
