#!/usr/bin/env python3
"""mutate.py - feeds heapviz --snapshot randomly damaged traces: it must never crash
(ASan/UBSan clean) and must exit 0, 1 or 2.

  mutate.py HEAPVIZ TRACE COUNT SEED      prints "N passed, N failed"; exit 1 on a failure"""
import json
import os
import random
import subprocess
import sys
import tempfile

hv, trace, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
src = open(trace, "rb").read()
env = dict(os.environ, SDL_VIDEODRIVER="offscreen", ASAN_OPTIONS="detect_leaks=0")
inserts = [b"9999999999999999999", b'"0xffffffffffffffff"', b"-1", b"{", b"\n", b'"k":"alloc"',
           b'"addr":"0x80400000"', b'"block":0', b"\x00", b'"k":"drop","count":5']
KINDS = ["init", "alloc", "free", "split", "coalesce", "alloc_fail", "realloc", "marker", "drop", "end"]


def semantic(data):
    """Valid JSON lines with wrong contents: addresses, sizes and kinds changed."""
    lines = data.split(b"\n")
    for _ in range(random.randint(1, 12)):
        n = random.randrange(1, len(lines) - 1)
        try:
            ev = json.loads(lines[n])
        except ValueError:
            continue
        key = random.choice(["addr", "block", "size", "k", "rem_addr", "freed_size", "align", "i"])
        if key == "k":
            ev[key] = random.choice(KINDS)
        elif key.endswith("addr"):
            ev[key] = hex(random.choice([0, 0x80400000 + random.randrange(0, 1 << 21), 1 << 63, 0x80400008]))
        elif key == "align":
            ev[key] = random.choice([0, 3, 1 << 40, 4096])
        else:
            ev[key] = random.choice([0, 1, 4095, 1 << 32, (1 << 53) - 1, random.randrange(1 << 20)])
        lines[n] = json.dumps(ev, separators=(",", ":")).encode()
    return bytearray(b"\n".join(lines))


passed = failed = 0
codes = {}
with tempfile.TemporaryDirectory() as d:
    path, out = os.path.join(d, "m.jsonl"), os.path.join(d, "m.png")
    for i in range(count):
        if i % 2:
            b = semantic(src)
        else:
            b = bytearray(src)
        for _ in range(random.randint(1, 8) if i % 2 == 0 else 0):
            p = random.randrange(len(b))
            op = random.random()
            if op < 0.4:
                b[p] = random.randrange(256)
            elif op < 0.7:
                del b[p:p + random.randint(1, 40)]
            else:
                b[p:p] = random.choice(inserts)
        open(path, "wb").write(b)
        r = subprocess.run([hv, "--snapshot", out, "--at", random.choice(["end", "peak", "first-fail", "5"]),
                            "--size", "400x300", path], env=env, capture_output=True)
        codes[r.returncode] = codes.get(r.returncode, 0) + 1
        if r.returncode in (0, 1, 2) and b"Sanitizer" not in r.stderr and b"runtime error" not in r.stderr:
            passed += 1
        else:
            failed += 1
            print("FAIL mutation %d: exit %d\n%s" % (i, r.returncode, r.stderr[-800:].decode(errors="replace")))
print("exit statuses: %s" % sorted(codes.items()))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
