#!/usr/bin/env bash
# decode_memory_test.sh - `heaptrace decode` of a whole file reads it in chunks,
# twice, instead of holding it: its peak memory stays a few MiB on a large capture
# (a 33 MB raw capture with call stacks, 4.6 million events, made like the
# kernel's by gen_raw_stacks), from a file and from stdin, and it decodes every
# event. The unsanitized build is measured (the sanitizers' own memory would hide it).
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
HT=$BUILD/host/bin/heaptrace
GEN=$BUILD/host/bin/gen_raw_stacks
ELF=$BUILD/kernel.elf
LIMIT_KIB=8192 # peak RSS allowed, KiB (holding the input took 3 times the raw size: 97 MiB)

"$GEN" --ops 2000000 -o "$T/big.raw" 0x8020270a 0x8020a988 0x80204a04 0x80207df4
raw_kib=$(($(stat -c %s "$T/big.raw") / 1024))
check "the capture is large: about twice the memory allowed or more ($raw_kib KiB)" [ "$raw_kib" -gt $((2 * LIMIT_KIB - 1024)) ]

# peak_kib CMD...: runs CMD (stdout to /dev/null, stderr to $T/err) and prints its
# peak RSS in KiB (GNU time: its own small process is the parent)
peak_kib() {
	if /usr/bin/time -o "$T/time" -f %M "$@" >/dev/null 2>"$T/err"; then
		cat "$T/time"
	else
		echo "failed: $(head -1 "$T/err")"
	fi
}
kib=$(peak_kib "$HT" decode --elf "$ELF" -o - "$T/big.raw")
check "decode --elf of the file peaks at $kib KiB, at most $LIMIT_KIB" [ "$kib" -le "$LIMIT_KIB" ] 2>/dev/null
check "and decodes every event" grep -q "^decoded [0-9]\{7\} events: .* end 1" "$T/err"
exec 3<"$T/big.raw"
kib=$(peak_kib "$HT" decode --elf "$ELF" -o - - <&3)
exec 3<&-
check "decode of it from stdin (copied aside for the second pass) peaks at $kib KiB, at most $LIMIT_KIB" \
	[ "$kib" -le "$LIMIT_KIB" ] 2>/dev/null
test_finish
