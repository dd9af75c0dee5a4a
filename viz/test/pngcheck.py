#!/usr/bin/env python3
"""pngcheck.py - an independent PNG reader (zlib + struct) for heapviz's tests.

  pngcheck.py FILE.png                 checks the file, prints "WxH"
  pngcheck.py FILE.png X Y [X Y ...]   also prints "R,G,B" of each pixel
Exit 1 (with the reason) if the file is not a valid 8-bit RGB/RGBA PNG."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad signature")
    pos, chunks = 8, []
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("truncated chunk header")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(ctype + body) & 0xffffffff != crc:
            raise ValueError("bad CRC in %r chunk" % ctype)
        chunks.append((ctype, body))
        pos += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("IHDR not first or IEND not last")
    w, h, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or ctype not in (2, 6) or comp or filt or inter:
        raise ValueError("unsupported PNG kind")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT"))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise ValueError("image data has the wrong length")
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                cur[i] = (cur[i] + a) & 255
            elif f == 2:
                cur[i] = (cur[i] + b) & 255
            elif f == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise ValueError("bad filter %d" % f)
        rows.append(cur)
        prev = cur
    return w, h, bpp, rows


def main():
    try:
        w, h, bpp, rows = read_png(sys.argv[1])
    except (OSError, ValueError, zlib.error, struct.error) as e:
        print("invalid PNG: %s" % e)
        return 1
    print("%dx%d" % (w, h))
    args = sys.argv[2:]
    for i in range(0, len(args) - 1, 2):
        x, y = int(args[i]), int(args[i + 1])
        px = rows[y][x * bpp:x * bpp + 3]
        print("%d,%d,%d" % tuple(px))
    return 0


sys.exit(main())
