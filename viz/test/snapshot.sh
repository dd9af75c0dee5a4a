#!/usr/bin/env bash
# snapshot.sh - heapviz --snapshot renders known blocks in their documented colours,
# writes a valid PNG (checked by viz/test/pngcheck.py, an independent reader),
# and fails cleanly with documented exit codes.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HV=${HEAPVIZ:-$BUILD/asan/bin/heapviz}
CHECK="python3 viz/test/pngcheck.py"
export SDL_VIDEODRIVER=offscreen
# SDL's video back ends are dlopen'ed and unloaded; what they leak at exit has no
# module left to suppress by. Leaks in heapviz's own code: viz-test-model.
export ASAN_OPTIONS=detect_leaks=0

# A 4 KiB heap: A [0,256) B [256,768) C [768,1024); B freed; an 8000-byte request fails.
cat > "$T/t.jsonl" <<'J'
{"format":"heapscope-trace","version":1,"channel":"semihosting","workload":"hand","heap_base":"0x80400000","heap_size":4096,"min_block":16,"min_align":16,"time_hz":10000000,"instret":false,"elf":""}
{"i":0,"k":"init","t":1,"addr":"0x80400000","size":4096,"min_block":16,"min_align":16}
{"k":"sym","addr":"0x80201000","fn":"make_a","src":"kernel/w.c:10"}
{"i":1,"k":"split","t":2,"addr":"0x80400000","size":4096,"rem_addr":"0x80400100","rem_size":3840}
{"i":2,"k":"alloc","t":3,"addr":"0x80400000","size":250,"align":16,"block":256,"caller":"0x80201000","ex":1}
{"i":3,"k":"split","t":4,"addr":"0x80400100","size":3840,"rem_addr":"0x80400300","rem_size":3328}
{"i":4,"k":"alloc","t":5,"addr":"0x80400100","size":500,"align":16,"block":512,"caller":"0x80201000","ex":1}
{"i":5,"k":"split","t":6,"addr":"0x80400300","size":3328,"rem_addr":"0x80400400","rem_size":3072}
{"i":6,"k":"alloc","t":7,"addr":"0x80400300","size":256,"align":16,"block":256,"caller":"0x80201000","ex":1}
{"i":7,"k":"free","t":8,"addr":"0x80400100","size":500,"align":16,"block":512,"caller":"0x80201000"}
{"i":8,"k":"alloc_fail","t":9,"size":8000,"align":16,"caller":"0x80201000","ex":2,"free":3584,"largest":3072}
{"i":9,"k":"end","t":10,"events":10,"dropped":0,"used":512,"panic":false}
J
A=0x80400080 B=0x80400200 C=0x80400380 F=0x80400800
GREEN=46,160,90 FREE=52,56,64 NEW=255,220,60 FREED=230,70,70

# snap_in TRACE AT ADDR...: renders TRACE at AT into $T/AT.png (the whole heap, or
# $SNAP_ARGS); PIX gets the size and the colours at ADDR..., LOC heapviz's output
snap_in() {
	local trace=$1 at=$2 out="$T/$2.png" a locs=()
	shift 2
	for a; do locs+=(--locate "$a"); done
	LOC=$("$HV" --snapshot "$out" --at "$at" --size 800x600 ${SNAP_ARGS:---whole} "${locs[@]}" "$trace") || return 1
	PIX=$($CHECK "$out" $(echo "$LOC" | awk '/^locate/ {print $3, $4}' | tr '\n' ' ')) || return 1
}
snap() { snap_in "$T/t.jsonl" "$1" $A $B $C $F; } # snap AT: t.jsonl, blocks A B C and F
pixels() { # pixels NAME "WxH colourA colourB colourC colourF": the last snap showed these
	if [ "$(echo $PIX)" = "$2" ]; then ok "$1"; else no "$1" "got '$(echo $PIX)' want '$2'"; fi
}

snap 6 && pixels "after alloc C: A, B used, C just allocated, rest free" "800x600 $GREEN $GREEN $NEW $FREE" ||
	no "snapshot at 6 failed"
snap 7 && pixels "after free B: B shown as just freed" "800x600 $GREEN $FREED $GREEN $FREE" ||
	no "snapshot at 7 failed"
snap end && pixels "at end: B's place is free" "800x600 $GREEN $FREE $GREEN $FREE" || no "snapshot at end failed"
snap peak && pixels "at peak: the three blocks" "800x600 $GREEN $GREEN $NEW $FREE" || no "snapshot at peak failed"
if snap first-fail; then
	# every hole is too small for the 8,000 B request: B's 512 B tinted, the largest
	# (3,072 B, where F is) red
	pixels "at first-fail: the too-small hole tinted, the largest hole red" \
		"800x600 $GREEN 110,45,50 $GREEN 255,40,40"
else
	no "snapshot at first-fail failed"
fi

# a run that panicked on a double free of A: --at panic shows the refused bytes in red
cat > "$T/p.jsonl" <<'J'
{"format":"heapscope-trace","version":1,"channel":"semihosting","workload":"panic","heap_base":"0x80400000","heap_size":4096,"min_block":16,"min_align":16,"time_hz":10000000,"instret":false,"elf":""}
{"i":0,"k":"init","t":1,"addr":"0x80400000","size":4096,"min_block":16,"min_align":16}
{"k":"sym","addr":"0x80206070","fn":"workload_panic","src":"samples/panic.c:16"}
{"i":1,"k":"split","t":2,"addr":"0x80400000","size":4096,"rem_addr":"0x80400100","rem_size":3840}
{"i":2,"k":"alloc","t":3,"addr":"0x80400000","size":250,"align":16,"block":256,"caller":"0x80206070","ex":1}
{"i":3,"k":"free","t":4,"addr":"0x80400000","size":250,"align":16,"block":256,"caller":"0x80206070"}
{"i":4,"k":"coalesce","t":5,"addr":"0x80400000","size":4096,"freed_addr":"0x80400000","freed_size":256,"merged":"next"}
{"i":5,"k":"misuse","t":6,"op":"dealloc","error":"double free","addr":"0x80400000","size":250,"align":16,"caller":"0x80206070","len":0}
{"i":6,"k":"end","t":7,"events":7,"dropped":0,"used":0,"panic":true}
J
FAIL=255,40,40
if snap_in "$T/p.jsonl" panic $A $F; then
	echo "$LOC" | grep -q "position 6 of 7" && pixels "at panic: after the misuse, A's bytes in red, the rest free" "800x600 $FAIL $FREE" ||
		no "--at panic: not just after the misuse event: $LOC"
else
	no "snapshot at panic failed"
fi
"$HV" --snapshot "$T/x.png" --at panic "$T/t.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -e "$T/x.png" ] && grep -q "no misuse event" "$T/err" &&
	ok "--at panic on a trace that did not panic exits 1, writes nothing" || no "--at panic, no misuse: rc $rc"
# --compare: lock-step by event index, the first divergence found by heaptrace diff's logic
sed 's/"i":6,"k":"alloc","t":7,"addr":"0x80400300","size":256/"i":6,"k":"alloc","t":7,"addr":"0x80400300","size":200/' \
	"$T/t.jsonl" > "$T/u.jsonl"
"$HV" --snapshot "$T/cmp.png" --at 7 --compare "$T/u.jsonl" "$T/t.jsonl" >/dev/null 2>"$T/err" &&
	grep -q "first divergence at event 6" "$T/err" && [ "$($CHECK "$T/cmp.png")" = "1280x800" ] &&
	ok "--compare finds the first divergence (event 6)" || no "--compare: $(cat "$T/err")"
"$HV" --snapshot "$T/cmp.png" --at 7 --compare "$T/t.jsonl" "$T/t.jsonl" >/dev/null 2>"$T/err" &&
	grep -q "the same event for event" "$T/err" && ok "--compare of a trace with itself: no divergence" ||
	no "--compare same: $(cat "$T/err")"

# the map fits the part of the heap the trace used ([0x80400000, C's end 0x80400400)):
# F beyond it is not shown; --whole shows it; --zoom takes addresses or offsets
shown() { # shown NAME WANT ARGS...: whether A B C F are drawn ("y"/"n" each) is WANT
	local got
	got=$("$HV" --snapshot "$T/z.png" --at end --size 800x600 "${@:3}" --locate $A --locate $B \
		--locate $C --locate $F "$T/t.jsonl" | awk '/^locate/ {printf "%s", $3 == "-" ? "n" : "y"}')
	[ "$got" = "$2" ] && ok "$1" || no "$1" "drawn: '$got' want '$2'"
}
shown "by default the map ends where the highest block ended (F not shown)" yyyn
shown "--whole shows the whole heap" yyyy --whole
shown "--zoom with absolute addresses shows that range only" nynn --zoom 0x80400100:0x80400300
shown "--zoom with heap offsets, the same range" nynn --zoom 256:768
shown "--zoom LO+LEN, the same range" nynn --zoom 0x80400100+512
for z in 0x90000000:0x90001000 0x80400300:0x80400100 5000:6000 junk 256; do
	"$HV" --snapshot "$T/x.png" --at end --zoom "$z" "$T/t.jsonl" 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && [ ! -e "$T/x.png" ] && grep -q "heapviz: --zoom $z: " "$T/err" &&
		ok "a bad --zoom ($z) exits 2 and says why" || no "bad --zoom $z: rc $rc: $(cat "$T/err")"
done
# rows hold a power of two of bytes: the 1 KiB used at 800x600 gives 32 B rows, A's
# start and B's start (256 B further) are in the same column, 8 rows apart
LOC=$("$HV" --snapshot "$T/z.png" --at end --size 800x600 --locate 0x80400000 --locate 0x80400100 "$T/t.jsonl")
XA=$(echo "$LOC" | awk '$2 == "0x80400000" {print $3}') XB=$(echo "$LOC" | awk '$2 == "0x80400100" {print $3}')
[ -n "$XA" ] && [ "$XA" = "$XB" ] && ok "offsets a power-of-two apart line up in one column" ||
	no "columns line up" "$LOC"

# --select A:B selects events as a drag on the timeline does; a bad range exits 2
"$HV" --snapshot "$T/sel.png" --at end --select 2:6 "$T/t.jsonl" >/dev/null &&
	ok "--select 2:6 renders" || no "--select 2:6"
for z in 6:2 0:10 x:3 2 -1:3; do
	"$HV" --snapshot "$T/x.png" --at end --select "$z" "$T/t.jsonl" 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && [ ! -e "$T/x.png" ] && grep -q "heapviz: --select $z: " "$T/err" &&
		ok "a bad --select ($z) exits 2 and says why" || no "bad --select $z: rc $rc: $(cat "$T/err")"
done

# --pointer ADDR: the snapshot as if the pointer rested on ADDR (the white hover
# outline around A); an address the map does not show exits 2
"$HV" --snapshot "$T/ptr.png" --at end --size 800x600 --pointer $A --locate $A "$T/t.jsonl" >/dev/null &&
	ok "--pointer renders with the pointer on a block" || no "--pointer"
"$HV" --snapshot "$T/x.png" --at end --pointer 0x90000000 "$T/t.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "heapviz: --pointer 0x90000000: " "$T/err" && ok "--pointer outside the map exits 2" ||
	no "--pointer outside: rc $rc: $(cat "$T/err")"

# the PNG checker itself rejects a damaged file (so the checks above can fail)
cp "$T/end.png" "$T/broken.png"
printf 'X' | dd of="$T/broken.png" bs=1 seek=40 conv=notrunc 2>/dev/null
if $CHECK "$T/broken.png" >/dev/null; then no "a damaged PNG is rejected"; else ok "a damaged PNG is rejected"; fi

# exit codes, and no output file on failure
"$HV" --snapshot "$T/x.png" --at 99 "$T/t.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/x.png" ] && ok "--at past the end exits 2, writes nothing" || no "--at 99: rc $rc"
head -n 8 "$T/t.jsonl" > "$T/nofail.jsonl"
"$HV" --snapshot "$T/x.png" --at first-fail "$T/nofail.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ ! -e "$T/x.png" ] && ok "first-fail without a failure exits 1" || no "first-fail no failure: rc $rc"
# --at A,B,...: the first point the trace has (what make trace asks for, in one load)
out=$("$HV" --snapshot "$T/list.png" --at panic,first-fail,peak "$T/p.jsonl")
check "--at panic,first-fail,peak on a panicked trace picks the panic" grep -q "at panic, position 6 of 7" <<<"$out"
out=$("$HV" --snapshot "$T/list.png" --at panic,first-fail,peak "$T/nofail.jsonl" 2>&1)
check "--at panic,first-fail,peak on a trace with neither picks the peak" grep -q "at peak," <<<"$out"
"$HV" --snapshot "$T/y.png" --at panic,first-fail "$T/nofail.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -e "$T/y.png" ] && ok "--at panic,first-fail with neither exits 1, writes nothing" ||
	no "--at list with no point: rc $rc"

echo '{"format":"nope"}' > "$T/bad.jsonl"
"$HV" --snapshot "$T/x.png" --at end "$T/bad.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "heapviz: " "$T/err" && ok "a bad trace exits 2 with a message" || no "bad trace: rc $rc"
sed '5s/.*/{"i":3,"k":"split","t":4,"addr":/' "$T/t.jsonl" > "$T/corrupt.jsonl"
"$HV" --snapshot "$T/x.png" --at end "$T/corrupt.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "corrupt.jsonl:5" "$T/err" && [ ! -e "$T/x.png" ] &&
	ok "a corrupt line exits 2 naming file:line" || no "corrupt line: rc $rc: $(cat "$T/err")"
head -c -30 "$T/t.jsonl" > "$T/cut.jsonl"
"$HV" --snapshot "$T/x.png" --at end "$T/cut.jsonl" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q "cut short" "$T/err" && ok "a trace cut mid-line loads up to its last line, with a warning" ||
	no "cut trace: rc $rc: $(cat "$T/err")"
rm -f "$T/x.png"
"$HV" --snapshot "$T/nodir/x.png" --at end "$T/t.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 3 ] && [ -z "$(ls "$T" | grep tmp)" ] && ok "an unwritable output exits 3, no partial file" || no "unwritable: rc $rc"
"$HV" --bogus "$T/t.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok "an unknown option exits 2" || no "unknown option: rc $rc"
"$HV" --help | grep -q "exit status" && ok "--help documents exit codes" || no "--help"

# compressed scale and colour modes render too
"$HV" --snapshot "$T/c.png" --at end --compressed --colour age --size 640x480 "$T/t.jsonl" >/dev/null &&
	[ "$($CHECK "$T/c.png")" = "640x480" ] && ok "compressed, age-coloured snapshot" || no "compressed snapshot"

test_finish
