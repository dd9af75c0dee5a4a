#!/usr/bin/env bash
# hardening_test.sh - heaptrace on crafted traces and awkward outputs (issue 14): -o OUT never
# replaces a device, FIFO or link; lost standard output is an error; the heap model rejects
# an allocation larger than its block; totals never wrap; any bytes in a trace's strings
# still give valid JSON (python3 json) and massif files (ms_print).
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/asan/bin/heaptrace
GEN=$BUILD/asan/bin/gen_trace

"$GEN" --seed 5 --ops 400 -o "$T/a.jsonl" || { no gen_trace_makes_the_trace; test_finish; }

# header [HEAP_SIZE]: a header line for a heap at 0x1000
header() {
	printf '{"format":"heapscope-trace","version":1,"channel":"semihosting","workload":"w","heap_base":"0x1000","heap_size":%s,"min_block":16,"min_align":16,"time_hz":1000,"instret":false,"elf":""}\n' "${1:-16}"
}

# ---- -o OUT: what OUT is decides how it is written ---------------------------------------------
# A device first through a link of ours: a tool that wrongly replaced what it writes would
# replace only the link. /dev/full itself is written only once that is known to be safe
# (a broken tool run as root would turn it into a regular file).
ln -s /dev/full "$T/full"
printf 'not a raw trace' >"$T/garbage.raw"
for out in "$T/full" /dev/full; do
	for cmd in "export --format massif" "export --format chrome" "decode"; do
		input=$T/a.jsonl
		[ "$cmd" = decode ] && input=$T/garbage.raw
		to=dev_full
		[ "$out" = /dev/full ] || to=link_to_dev_full
		name="$(echo "$cmd" | tr -s " -" _)_to_${to}_exits_3_and_leaves_the_device"
		$HT $cmd -o "$out" "$input" >/dev/null 2>"$T/err"
		rc=$?
		if [ $rc = 3 ] && [ -c /dev/full ] && [ -L "$T/full" ] && grep -q "$out: write error" "$T/err"; then
			ok "$name"
		else
			no "$name" "rc=$rc, $(ls -l /dev/full "$T/full"); $(head -2 "$T/err")"
			[ -c /dev/full ] && [ -L "$T/full" ] || test_finish
		fi
	done
done

name=export_into_a_fifo_writes_through_it_and_leaves_the_fifo
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/from-fifo.json" &
reader=$!
if "$HT" export --format chrome -o "$T/fifo" "$T/a.jsonl" 2>"$T/err" && wait $reader &&
	[ -p "$T/fifo" ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/from-fifo.json"; then
	ok $name
else
	no $name "$(head -2 "$T/err")"
fi

name=export_through_a_symlink_replaces_its_target_and_keeps_the_link
echo old >"$T/target.json"
chmod 640 "$T/target.json"
ln -s target.json "$T/link.json"
if "$HT" export --format chrome -o "$T/link.json" "$T/a.jsonl" 2>"$T/err" && [ -L "$T/link.json" ] &&
	[ "$(stat -c %a "$T/target.json")" = 640 ] &&
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/target.json"; then
	ok $name
else
	no $name "$(ls -l "$T/link.json" "$T/target.json"; head -2 "$T/err")"
fi

name=failed_export_leaves_the_old_file_and_no_temporary
echo keep >"$T/keep.json"
printf '%s\n' "$(header)" '{"i":0,"k":"init"' >"$T/bad.jsonl"
"$HT" export --format chrome -o "$T/keep.json" "$T/bad.jsonl" 2>/dev/null
rc=$?
if [ $rc = 2 ] && [ "$(cat "$T/keep.json")" = keep ] && ! ls "$T"/keep.json.tmp* >/dev/null 2>&1; then
	ok $name
else
	no $name "rc=$rc"
fi

name=sigterm_during_export_leaves_no_temporary
# the input is a FIFO held open: export waits in the middle of its output
mkfifo "$T/slow"
{ head -200 "$T/a.jsonl"; sleep "$(scaled 30)"; } >"$T/slow" &
feeder=$!
"$HT" export --format chrome -o "$T/int.json" "$T/slow" 2>/dev/null &
exporter=$!
for _ in $(seq "$(scaled_count 50)"); do ls "$T"/int.json.tmp.* >/dev/null 2>&1 && break; sleep 0.1; done
had_tmp=$(ls "$T"/int.json.tmp.* 2>/dev/null | wc -l)
kill -TERM $exporter
wait $exporter
rc=$?
kill $feeder 2>/dev/null
wait $feeder 2>/dev/null
if [ "$had_tmp" = 1 ] && [ $rc = 143 ] && ! ls "$T"/int.json* >/dev/null 2>&1; then
	ok $name
else
	no $name "temporaries while running: $had_tmp, exit $rc, left: $(ls "$T" | grep int.json)"
fi

# ---- standard output ---------------------------------------------------------------------------
for cmd in "stats" "stats --json" "check" "leaks" "export --format chrome"; do
	name="$(echo "$cmd" | tr -s " -" _)_into_dev_full_fails_with_a_message"
	$HT $cmd "$T/a.jsonl" >/dev/full 2>"$T/err"
	rc=$?
	if [ $rc = 3 ] && grep -qiE "write (error|fail)|writing the output failed" "$T/err"; then
		ok "$name"
	else
		no "$name" "rc=$rc; $(head -2 "$T/err")"
	fi
done

# ---- crafted events ----------------------------------------------------------------------------
name=alloc_larger_than_its_block_is_rejected
{
	header 16
	echo '{"i":0,"k":"init","t":0,"addr":"0x1000","size":16,"min_block":16,"min_align":16}'
	echo '{"i":1,"k":"alloc","t":1,"addr":"0x1000","size":17,"align":16,"block":16,"caller":"0x0","ex":1}'
	echo '{"i":2,"k":"end","t":2,"events":3,"dropped":0,"used":16,"panic":false}'
} >"$T/oversize.jsonl"
expect $name 2 "$HT" stats "$T/oversize.jsonl"
grep -q "event 1: alloc of 17 bytes in a block of only 16 bytes" "$T/err" &&
	ok alloc_larger_than_its_block_says_so || no alloc_larger_than_its_block_says_so "$(head -2 "$T/err")"

name=requested_bytes_never_wrap
# after a drop, contradictions are tolerated: only the total can stop this. Sizes
# are integers below 2^53 (the format's limit), so it takes 2,049 requests of
# 2^53-1 bytes to pass 2^64-1 (2,100 here)
big=9007199254740991
{
	header 64
	echo '{"i":0,"k":"init","t":0,"addr":"0x1000","size":64,"min_block":16,"min_align":16}'
	echo '{"i":2,"k":"drop","t":1,"count":1}'
	i=3
	for _ in $(seq 1 2100); do
		echo "{\"i\":$i,\"k\":\"alloc\",\"t\":$i,\"addr\":\"0x1000\",\"size\":$big,\"align\":16,\"block\":16,\"caller\":\"0x0\",\"ex\":1}"
		echo "{\"i\":$((i + 1)),\"k\":\"free\",\"t\":$i,\"addr\":\"0x1000\",\"size\":$big,\"align\":16,\"block\":16,\"caller\":\"0x0\"}"
		i=$((i + 2))
	done
	echo "{\"i\":$i,\"k\":\"end\",\"t\":$i,\"events\":$((i + 1)),\"dropped\":1,\"used\":0,\"panic\":false}"
} >"$T/wrap.jsonl"
"$HT" stats --json "$T/wrap.jsonl" >"$T/wrap.out" 2>"$T/err"
rc=$?
if [ $rc = 2 ] && grep -q "wrap.jsonl:[0-9]*: event [0-9]*: requested bytes add up to more than 2^64-1" "$T/err"; then
	ok $name
else
	no $name "rc=$rc; $(head -c 300 "$T/wrap.out"; head -2 "$T/err")"
fi

# ---- any bytes in the trace's strings ----------------------------------------------------------
# invalid UTF-8 (a lone 0xff, a cut sequence, a surrogate, an overlong '/') and a newline
# and '#' in the header, in a marker's name and in a symbol
{
	printf '{"format":"heapscope-trace","version":1,"channel":"semi\xffhosting","workload":"a\\nb\xc3(#\xe2\x82","heap_base":"0x1000","heap_size":16,"min_block":16,"min_align":16,"time_hz":1000,"instret":false,"elf":"k\xed\xa0\x80.elf"}\n'
	printf '{"k":"sym","addr":"0x8000","fn":"f\xfe\\n","src":"s\xc0\xaf:1"}\n'
	echo '{"i":0,"k":"init","t":0,"addr":"0x1000","size":16,"min_block":16,"min_align":16}'
	printf '{"i":1,"k":"marker","t":1,"name":"m\xff\\u0001x\xe2\x82"}\n'
	echo '{"i":2,"k":"alloc","t":1,"addr":"0x1000","size":8,"align":16,"block":16,"caller":"0x8000","ex":1}'
	echo '{"i":3,"k":"end","t":2,"events":4,"dropped":0,"used":16,"panic":false}'
} >"$T/bytes.jsonl"
strict_json() { python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"; }

name=stats_json_is_valid_utf8_json_whatever_the_trace_holds
if "$HT" stats --json "$T/bytes.jsonl" >"$T/bytes.stats.json" 2>"$T/err" && strict_json "$T/bytes.stats.json"; then
	ok $name
else
	no $name "$(head -2 "$T/err")"
fi

name=chrome_export_is_valid_utf8_json_whatever_the_trace_holds
if "$HT" export --format chrome -o "$T/bytes.json" "$T/bytes.jsonl" 2>"$T/err" && strict_json "$T/bytes.json"; then
	ok $name
else
	no $name "$(head -2 "$T/err")"
fi

name=massif_export_is_read_by_ms_print_whatever_the_trace_holds
if "$HT" export --format massif -o "$T/bytes.massif" "$T/bytes.jsonl" 2>"$T/err" &&
	ms_print "$T/bytes.massif" >/dev/null 2>"$T/ms.err" &&
	python3 -c 'open(__import__("sys").argv[1], "rb").read().decode("utf-8")' "$T/bytes.massif"; then
	ok $name
else
	no $name "$(head -2 "$T/err" "$T/ms.err")"
fi

test_finish
