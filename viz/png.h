/* png.h - writes 8-bit RGB images as PNG files (zlib for the deflate and CRC). */
#ifndef VIZ_PNG_H
#define VIZ_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes w x h pixels (rgb: 3 bytes per pixel, rows top to bottom, pitch
 * bytes apart) to path ("-": stdout) as trace/out_file.h opens it: a regular
 * file through a temporary renamed into place, so a failed write never leaves
 * a partial PNG; a device or FIFO in place. Returns false with "path: why" in err. */
bool png_write_rgb(const char *path, const uint8_t *rgb, int w, int h, size_t pitch, char *err,
                   size_t errlen);

#endif /* VIZ_PNG_H */
