#!/usr/bin/env bash
# capture_test.sh - the capture pipeline end to end: real kernel, real QEMU, both
# channels, `heaptrace decode` (sanitized build) on good, truncated, corrupt,
# panicking, dropping and live-followed traces. Ends with "N passed, N failed".
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
ELF=$BUILD/kernel.elf
HT=$BUILD/asan/bin/heaptrace
[ -x "$HT" ] || HT=$BUILD/host/bin/heaptrace
# scaled SECONDS: stretched by TEST_TIME_SCALE, as testlib.sh's (this script keeps its own ok/$T)
scaled() { awk -v t="$1" -v k="${TEST_TIME_SCALE:-2}" 'BEGIN { print t * k }'; }
LIMIT=$(scaled 120) # QEMU's time limit
T=$(mktemp -d "${TMPDIR:-/tmp}/capture_test.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

ok() { echo "test $1 ... ok"; pass=$((pass + 1)); }
bad() { echo "test $1 ... FAILED: $2"; fail=$((fail + 1)); }

# boot WORKLOAD CHANNEL NAME [BOOTARGS...]: raw trace in $T/NAME.raw, console in
# $T/NAME.console, QEMU's status in $T/NAME.status
boot() {
	local w=$1 ch=$2 name=$3
	shift 3
	if [ "$ch" = semihosting ]; then
		timeout --kill-after=5 "$LIMIT" $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native \
			-kernel "$ELF" -append "workload=$w trace=semihosting trace.file=$T/$name.raw $*" \
			</dev/null >"$T/$name.console" 2>&1
		echo $? >"$T/$name.status"
	else
		timeout --kill-after=5 "$LIMIT" $QEMU $QEMU_FLAGS -kernel "$ELF" \
			-append "workload=$w trace=uart $*" </dev/null >"$T/$name.raw" 2>&1
		echo $? >"$T/$name.status"
		cp "$T/$name.raw" "$T/$name.console"
	fi
}

# decode NAME [OPTIONS...]: $T/NAME.jsonl, stderr in $T/NAME.err, status in $T/NAME.dstatus
decode() {
	local name=$1
	shift
	"$HT" decode --elf "$ELF" "$@" -o "$T/$name.jsonl" "$T/$name.raw" 2>"$T/$name.err"
	echo $? >"$T/$name.dstatus"
}

# the events of a trace without their timestamps, one per line
events_only() { jq -c 'select(.i != null) | del(.t)' "$1"; }

have_check=0
"$HT" check --help >/dev/null 2>&1 && have_check=1

# ---- both channels, the same events -------------------------------------------
for w in churn frag vector lifetimes; do
	boot "$w" semihosting "$w-semi"
	boot "$w" uart "$w-uart"
	decode "$w-semi"
	decode "$w-uart"
	t=${w}_gives_identical_events_on_semihosting_and_uart
	if [ "$(cat "$T/$w-semi.status")" != 0 ] || [ "$(cat "$T/$w-uart.status")" != 0 ]; then
		bad "$t" "kernel exit status $(cat "$T/$w-semi.status")/$(cat "$T/$w-uart.status")"
	elif [ "$(cat "$T/$w-semi.dstatus")" != 0 ] || [ "$(cat "$T/$w-uart.dstatus")" != 0 ]; then
		bad "$t" "decode failed: $(cat "$T/$w-semi.err" "$T/$w-uart.err" | head -3)"
	elif ! cmp -s <(events_only "$T/$w-semi.jsonl") <(events_only "$T/$w-uart.jsonl"); then
		bad "$t" "event sequences differ: $(diff <(events_only "$T/$w-semi.jsonl") <(events_only "$T/$w-uart.jsonl") | head -3)"
	elif [ "$(events_only "$T/$w-semi.jsonl" | wc -l)" -lt 100 ]; then
		bad "$t" "too few events"
	else
		ok "$t"
	fi

	t=${w}_trace_is_complete_json_lines_with_symbols
	if jq -e -s '(.[0].format == "heapscope-trace") and (.[0].workload == "'"$w"'")
		and (.[-1].k == "end") and (.[-1].panic == false)
		and ([.[] | select(.k == "sym")] | length > 0)
		and ([.[] | select(.i != null) | .i] | . == (sort | unique))' \
		"$T/$w-semi.jsonl" >/dev/null 2>&1; then
		ok "$t"
	else
		bad "$t" "header, end, symbols or sequence numbers wrong"
	fi

	if [ $have_check = 1 ]; then
		t=${w}_trace_passes_heaptrace_check
		if "$HT" check "$T/$w-semi.jsonl" >"$T/$w.check" 2>&1; then
			ok "$t"
		else
			bad "$t" "$(tail -2 "$T/$w.check")"
		fi
	fi
done

# symbols resolve to the workload's own source
t=callers_resolve_to_function_and_source_line
if jq -e -s '[.[] | select(.k == "sym")] | any(.fn == "churn_alloc" and (.src | test("^samples/churn.c:[0-9]+$")))' \
	"$T/churn-semi.jsonl" >/dev/null; then
	ok "$t"
else
	bad "$t" "no churn_alloc at samples/churn.c:N among $(jq -c -s '[.[] | select(.k == "sym")]' "$T/churn-semi.jsonl" | head -c 300)"
fi

# ---- truncated and corrupt input ---------------------------------------------------
raw=$T/churn-semi.raw
size=$(stat -c %s "$raw")
t=truncated_stream_is_reported_with_exit_2
problems=""
for cut in 3 20 1000 $((size / 2)) $((size - 1)); do
	head -c "$cut" "$raw" >"$T/cut.raw"
	decode cut
	st=$(cat "$T/cut.dstatus")
	if [ "$st" != 2 ] || ! grep -q "truncated" "$T/cut.err"; then
		problems+=" cut at $cut: status $st, '$(head -1 "$T/cut.err")';"
	elif [ -e "$T/cut.jsonl" ] && tail -1 "$T/cut.jsonl" | grep -q '"k":"end"'; then
		problems+=" cut at $cut: output claims to be complete;"
	fi
done
[ -z "$problems" ] && ok "$t" || bad "$t" "$problems"

t=garbage_input_is_reported_with_exit_2
head -c 5000 /dev/urandom >"$T/junk.raw"
decode junk --channel semihosting
if [ "$(cat "$T/junk.dstatus")" = 2 ] && grep -q "bad magic" "$T/junk.err"; then
	ok "$t"
else
	bad "$t" "status $(cat "$T/junk.dstatus"): $(head -1 "$T/junk.err")"
fi

t=bytes_after_the_end_event_are_an_error_with_their_offset
cat "$raw" "$raw" >"$T/twice.raw" # a second trace appended: never silently dropped
decode twice
if [ "$(cat "$T/twice.dstatus")" = 2 ] &&
	grep -q "corrupt stream at byte $size: [0-9]* bytes after the end event" "$T/twice.err"; then
	ok "$t"
else
	bad "$t" "status $(cat "$T/twice.dstatus"): $(head -1 "$T/twice.err")"
fi

t=flipped_bytes_never_crash_the_decoder
problems=""
for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
	cp "$raw" "$T/flip.raw"
	for k in 1 2 3; do
		off=$(((seed * 7919 + k * 104729) % (size - 10) + 8))
		printf "\\x$(printf %02x $(((seed * 31 + k * 17) % 255 + 1)))" |
			dd of="$T/flip.raw" bs=1 seek="$off" conv=notrunc status=none
	done
	decode flip
	st=$(cat "$T/flip.dstatus")
	[ "$st" = 0 ] || [ "$st" = 2 ] || problems+=" seed $seed: status $st $(head -c 200 "$T/flip.err");"
done
[ -z "$problems" ] && ok "$t" || bad "$t" "$problems"

t=damaged_uart_frame_is_reported_with_exit_2
# change one base64 character of frame 3 (the checksum must catch it)
awk '/^@@HT 3 / && !done { c = substr($3, 5, 1); $3 = substr($3, 1, 4) (c == "A" ? "B" : "A") substr($3, 6); done = 1 } { print }' \
	"$T/churn-uart.raw" >"$T/dmg.raw"
decode dmg
if [ "$(cat "$T/dmg.dstatus")" = 2 ] && grep -q "frame 3: checksum mismatch" "$T/dmg.err"; then
	ok "$t"
else
	bad "$t" "status $(cat "$T/dmg.dstatus"): $(head -1 "$T/dmg.err")"
fi

t=lost_uart_frame_is_reported_with_exit_2
grep -v '^@@HT 5 ' "$T/churn-uart.raw" >"$T/lost.raw"
decode lost
if [ "$(cat "$T/lost.dstatus")" = 2 ] && grep -q "frame 6 where frame 5 was due" "$T/lost.err"; then
	ok "$t"
else
	bad "$t" "status $(cat "$T/lost.dstatus"): $(head -1 "$T/lost.err")"
fi

# ---- panic mid-workload ---------------------------------------------------------------
for ch in semihosting uart; do
	t=panic_mid_workload_leaves_a_flagged_trace_on_$ch
	boot panic "$ch" "panic-$ch"
	decode "panic-$ch"
	if [ "$(cat "$T/panic-$ch.status")" != 2 ]; then
		bad "$t" "kernel exit status $(cat "$T/panic-$ch.status"), expected 2 (panic)"
	elif [ "$(cat "$T/panic-$ch.dstatus")" != 0 ]; then
		bad "$t" "decode status $(cat "$T/panic-$ch.dstatus"): $(head -1 "$T/panic-$ch.err")"
	elif ! jq -e -s '(.[-1].k == "end") and (.[-1].panic == true)
			and any(.[]; .k == "marker" and .name == "double-free")
			and ([.[] | select(.k == "alloc")] | length > 1000)' "$T/panic-$ch.jsonl" >/dev/null; then
		bad "$t" "last line: $(tail -1 "$T/panic-$ch.jsonl")"
	elif ! grep -q "PANIC" "$T/panic-$ch.err"; then
		bad "$t" "decoder summary does not mention the panic"
	else
		ok "$t"
	fi
	# the cause is in the trace: the double free, right before the end, with its caller
	t=panic_trace_holds_the_double_free_and_its_caller_on_$ch
	if ! jq -e -s '[.[] | select(.i != null)] as $ev
			| ($ev[-2]) as $m
			| ($m.k == "misuse") and ($m.op == "dealloc") and ($m.error == "double free")
			  and ($m.size == 64) and ($m.align == 16) and ($m.len == 0)
			  and ($ev[-1].i == $m.i + 1)
			  and ([$ev[] | select(.k == "free" and .addr == $m.addr)] | length > 0)
			  and any(.[]; .k == "sym" and .addr == $m.caller and .fn == "workload_panic"
			               and (.src | startswith("samples/panic.c:")))' \
			"$T/panic-$ch.jsonl" >/dev/null; then
		bad "$t" "no misuse naming the double free and workload_panic: $(grep '"misuse"' "$T/panic-$ch.jsonl")"
	elif ! grep -q "double free of $(jq -r 'select(.k == "misuse") | .addr' "$T/panic-$ch.jsonl")" \
			"$T/panic-$ch.console"; then
		bad "$t" "the console's panic names another pointer than the trace's misuse"
	else
		ok "$t"
	fi
	t=stats_and_check_name_the_panics_cause_on_$ch
	"$HT" stats "$T/panic-$ch.jsonl" >"$T/panic-$ch.stats" 2>&1
	"$HT" check "$T/panic-$ch.jsonl" >"$T/panic-$ch.check" 2>&1
	cstatus=$?
	if ! grep -qE '^panic: double free of 0x[0-9a-f]+ \(size 64, align 16\) by workload_panic samples/panic\.c:[0-9]+ at event [0-9]+$' \
			"$T/panic-$ch.stats"; then
		bad "$t" "stats: $(grep -i panic "$T/panic-$ch.stats" | head -2)"
	elif [ $cstatus != 0 ] || ! grep -q "refused by the allocator core alike" "$T/panic-$ch.check"; then
		bad "$t" "check status $cstatus: $(head -2 "$T/panic-$ch.check")"
	else
		ok "$t"
	fi
done

# ---- drop accounting ---------------------------------------------------------------------
t=tiny_deferred_buffer_drops_and_accounts_for_every_event
boot churn semihosting drops trace.buf=512 trace.defer=1
decode drops
if [ "$(cat "$T/drops.status")" != 0 ] || [ "$(cat "$T/drops.dstatus")" != 0 ]; then
	bad "$t" "kernel $(cat "$T/drops.status"), decode $(cat "$T/drops.dstatus"): $(head -1 "$T/drops.err")"
elif ! jq -e -s '
	[.[] | select(.i != null)] as $ev
	| ($ev[-1]) as $last
	| ([$ev[] | select(.k == "drop") | .count] | add) as $dropped
	| ($dropped > 0) and ($last.k == "end") and ($last.dropped == $dropped)
	  and (($ev | length) + $dropped == $last.events) and ($last.events == $last.i + 1)
	  and ([range(1; $ev | length) as $j
	        | ($ev[$j].i - $ev[$j - 1].i) == (if $ev[$j].k == "drop" then $ev[$j].count + 1 else 1 end)]
	       | all)' "$T/drops.jsonl" >/dev/null; then
	bad "$t" "drop counts, END totals or sequence gaps do not add up: $(tail -1 "$T/drops.jsonl")"
else
	ok "$t"
fi

# ---- instret ---------------------------------------------------------------------------------
t=instret_boot_arg_puts_n_on_every_event
boot frag semihosting instret trace.instret=1
decode instret
if jq -e -s '(.[0].instret == true) and ([.[] | select(.i != null) | .n] | (all(. != null)) and (. == sort))' \
	"$T/instret.jsonl" >/dev/null 2>&1; then
	ok "$t"
else
	bad "$t" "header or n fields wrong: $(sed -n 2p "$T/instret.jsonl")"
fi

# ---- following a live capture ------------------------------------------------------------------
t=follow_mode_decodes_a_capture_while_it_runs
rm -f "$T/live.raw"
"$HT" decode --follow --idle "$(scaled 60)" --elf "$ELF" -o "$T/live.jsonl" "$T/live.raw" 2>"$T/live.err" &
follower=$!
boot lifetimes semihosting live trace.buf=4096
wait $follower
fstatus=$?
cp "$T/live.raw" "$T/whole.raw"
decode whole
if [ $fstatus != 0 ]; then
	bad "$t" "follow status $fstatus: $(head -2 "$T/live.err")"
elif [ ! -s "$T/live.jsonl" ] || ! cmp -s "$T/live.jsonl" "$T/whole.jsonl"; then
	bad "$t" "followed trace differs from the whole-file decode"
else
	ok "$t"
fi

t=follow_mode_decodes_a_uart_log_while_it_runs
rm -f "$T/liveu.raw"
"$HT" decode --follow --idle "$(scaled 60)" --elf "$ELF" -o "$T/liveu.jsonl" "$T/liveu.raw" 2>"$T/liveu.err" &
follower=$!
boot frag uart liveu
wait $follower
fstatus=$?
if [ $fstatus != 0 ]; then
	bad "$t" "follow status $fstatus: $(head -2 "$T/liveu.err")"
elif ! cmp -s <(events_only "$T/liveu.jsonl") <(events_only "$T/frag-uart.jsonl"); then
	bad "$t" "followed UART trace differs from the whole-file decode"
else
	ok "$t"
fi

# ---- boot arguments --------------------------------------------------------------------------------
t=unknown_workload_lists_the_workloads_and_fails
boot nosuch semihosting nosuch
if [ "$(cat "$T/nosuch.status")" = 6 ] && grep -q 'no workload "nosuch"' "$T/nosuch.console" &&
	grep -q "million" "$T/nosuch.console"; then
	ok "$t"
else
	bad "$t" "status $(cat "$T/nosuch.status")"
fi

t=semihosting_absent_falls_back_to_the_uart
timeout --kill-after=5 "$LIMIT" $QEMU $QEMU_FLAGS -kernel "$ELF" -append "workload=frag" </dev/null >"$T/fb.raw" 2>&1
decode fb
if grep -q "falling back to the UART" "$T/fb.raw" && [ "$(cat "$T/fb.dstatus")" = 0 ] &&
	cmp -s <(events_only "$T/fb.jsonl") <(events_only "$T/frag-semi.jsonl"); then
	ok "$t"
else
	bad "$t" "decode status $(cat "$T/fb.dstatus"): $(head -1 "$T/fb.err")"
fi

# ---- recorded samples ---------------------------------------------------------------------------------
if [ $have_check = 1 ]; then
	for f in samples/*.jsonl samples/baseline/*.jsonl; do
		[ -e "$f" ] || continue
		if grep -q '"k":"drop"' "$f"; then
			# dropped events make a trace unverifiable: check must say so, not pass
			t="sample_$(basename "$f" .jsonl)_with_drops_is_reported_unverifiable_by_check"
			"$HT" check "$f" >"$T/sample.check" 2>&1
			st=$?
			if [ $st = 1 ] && grep -q "dropped" "$T/sample.check"; then
				ok "$t"
			else
				bad "$t" "status $st: $(tail -2 "$T/sample.check")"
			fi
			continue
		fi
		t="sample_$(basename "$f" .jsonl)_passes_heaptrace_check"
		if "$HT" check "$f" >"$T/sample.check" 2>&1; then
			ok "$t"
		else
			bad "$t" "$(tail -2 "$T/sample.check")"
		fi
	done
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
