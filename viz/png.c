/* png.c - a minimal PNG writer: IHDR, one IDAT (zlib, filter 0 on every row), IEND. */
#include "png.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "out_file.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
	uint8_t hdr[8];
	put32(hdr, (uint32_t)len);
	memcpy(hdr + 4, type, 4);
	uLong crc = crc32(0, (const Bytef *)type, 4);
	if (len)
		crc = crc32(crc, data, (uInt)len);
	uint8_t tail[4];
	put32(tail, (uint32_t)crc);
	return fwrite(hdr, 1, 8, f) == 8 && (len == 0 || fwrite(data, 1, len, f) == len) &&
	       fwrite(tail, 1, 4, f) == 4;
}

bool png_write_rgb(const char *path, const uint8_t *rgb, int w, int h, size_t pitch, char *err,
                   size_t errlen)
{
	if (w <= 0 || h <= 0) {
		snprintf(err, errlen, "%s: empty image", path);
		return false;
	}
	size_t row = (size_t)w * 3;
	size_t rawlen = (row + 1) * (size_t)h;
	uint8_t *raw = malloc(rawlen);
	uLongf zlen = compressBound((uLong)rawlen);
	uint8_t *z = malloc(zlen);
	bool ok = false;
	if (!raw || !z) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (int y = 0; y < h; y++) {
		raw[(size_t)y * (row + 1)] = 0; /* filter: none */
		memcpy(raw + (size_t)y * (row + 1) + 1, rgb + (size_t)y * pitch, row);
	}
	if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK) {
		snprintf(err, errlen, "%s: zlib compress failed", path);
		goto out;
	}
	out_file *png = out_file_open(path, 0, err, errlen);
	if (!png)
		goto out;
	FILE *f = out_file_stream(png);
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t ihdr[13];
	put32(ihdr, (uint32_t)w);
	put32(ihdr + 4, (uint32_t)h);
	ihdr[8] = 8;  /* bit depth */
	ihdr[9] = 2;  /* colour type: RGB */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering */
	ihdr[12] = 0; /* no interlace */
	/* a short fwrite leaves the stream's error flag set: out_file_close reports it */
	(void)(fwrite(sig, 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) &&
	       chunk(f, "IDAT", z, zlen) && chunk(f, "IEND", NULL, 0));
	ok = out_file_close(png, err, errlen);
out:
	free(raw);
	free(z);
	return ok;
}
