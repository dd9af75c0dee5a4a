#!/usr/bin/env bash
# block_flip_test.sh - a damaged semihosting capture never decodes as a good one:
# a real capture (the vector workload, small buffer: many blocks) with one bit
# flipped, for every bit of its first 48 and last 16 bytes (block heads, stream
# header, end event) and every bit of every STRIDE-th byte between, either
# decodes to exactly the events of the good capture or exits non-zero saying at
# which byte (docs/capture.md: checked blocks). Needs the kernel and QEMU.
set -u
. "$(dirname "$0")/../../scripts/testlib.sh"
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_FLAGS=${QEMU_FLAGS:--machine virt -m 128M -nographic -bios default -no-reboot}
ELF=$BUILD/kernel.elf
HT=$BUILD/host/bin/heaptrace # the flips are many: the unsanitized build
STRIDE=${FLIP_STRIDE:-5}

timeout --kill-after=5 "$(scaled 60)" $QEMU $QEMU_FLAGS -semihosting-config enable=on,target=native \
	-kernel "$ELF" -append "workload=vector trace=semihosting trace.buf=512 trace.file=$T/good.raw" \
	</dev/null >"$T/console" 2>&1
if ! "$HT" decode -q -o "$T/good.jsonl" "$T/good.raw" 2>"$T/err"; then
	no a_real_capture_decodes "$(head -2 "$T/err" "$T/console")"
	test_finish
fi
size=$(stat -c %s "$T/good.raw")
blocks=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); p = n = 0
while p + 12 <= len(d):
    p += 12 + struct.unpack_from("<I", d, p)[0]; n += 1
print(n if p == len(d) else -1)' "$T/good.raw")
[ "$blocks" -gt 2 ] && ok "the capture is $blocks checked blocks ($size bytes)" ||
	no the_capture_is_several_checked_blocks "$blocks blocks in $size bytes"

# flip.py writes each damaged copy in turn and runs decode on it; it prints one
# line per flip that decoded to other events with exit 0, or failed without
# naming a byte offset, and a summary line last
cat >"$T/flip.py" <<'PY'
import subprocess, sys
ht, raw, good, tmp, stride = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
data = bytearray(open(raw, "rb").read())
want = open(good, "rb").read()
offsets = sorted(set(range(min(48, len(data)))) | set(range(max(0, len(data) - 16), len(data)))
                 | set(range(48, len(data), stride)))
flips = reported = same = 0
for off in offsets:
    for bit in range(8):
        data[off] ^= 1 << bit
        open(tmp + ".raw", "wb").write(data)
        data[off] ^= 1 << bit
        r = subprocess.run([ht, "decode", "-q", "-o", tmp + ".jsonl", tmp + ".raw"],
                           stderr=subprocess.PIPE)
        flips += 1
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode == 0:
            if open(tmp + ".jsonl", "rb").read() == want:
                same += 1
            else:
                print("byte %d bit %d: exit 0 with other events" % (off, bit))
        elif r.returncode == 2 and "byte " in err:
            reported += 1
        else:
            print("byte %d bit %d: exit %d without an offset: %s" % (off, bit, r.returncode, err.strip()[:200]))
print("SUMMARY %d flips: %d reported, %d decoded identically" % (flips, reported, same))
PY
python3 "$T/flip.py" "$HT" "$T/good.raw" "$T/good.jsonl" "$T/flip" "$STRIDE" >"$T/flips"
summary=$(grep '^SUMMARY' "$T/flips")
if [ -n "$summary" ] && ! grep -qv '^SUMMARY' "$T/flips"; then
	ok "every single-bit flip is reported with its offset or harmless (${summary#SUMMARY })"
else
	no every_single_bit_flip_is_reported_with_its_offset "$(grep -v '^SUMMARY' "$T/flips" | head -5) ${summary:-no summary}"
fi

# the report names the damaged block: a flip inside the third block's payload
python3 - "$T/good.raw" "$T/third.raw" <<'PY' >"$T/third.off"
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read()); p = 0
for _ in range(2):
    p += 12 + struct.unpack_from("<I", d, p)[0]
d[p + 12 + 5] ^= 0x10
open(sys.argv[2], "wb").write(d)
print(p)
PY
"$HT" decode -q -o "$T/third.jsonl" "$T/third.raw" 2>"$T/third.err"
st=$?
if [ $st = 2 ] && grep -q "corrupt stream at byte $(cat "$T/third.off") (block #2): block check mismatch" "$T/third.err"; then
	ok a_damaged_block_is_reported_with_its_number_and_offset_and_exit_2
else
	no a_damaged_block_is_reported_with_its_number_and_offset_and_exit_2 "exit $st: $(head -1 "$T/third.err")"
fi
test_finish
