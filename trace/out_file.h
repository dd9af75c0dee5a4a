/* out_file.h - opening a tool's output file (-o OUT) so that a failed or
 * interrupted write never leaves half a file, and writing never replaces
 * something that is not a plain file (a device, a FIFO, a symbolic link).
 *
 *   out_file *o = out_file_open(path, 0, err, sizeof err);
 *   fprintf(out_file_stream(o), ...);
 *   if (!out_file_close(o, err, sizeof err)) ... report err, exit 3 ...
 */
#ifndef OUT_FILE_H
#define OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct out_file out_file;

#define OUT_FILE_IN_PLACE 0x1u /* write a regular file in place too (read while it grows) */

/* Opens path for writing; "-" is standard output.
 * - A regular file, or a path that does not exist yet: the output goes to a
 *   temporary file beside it (PATH.tmp.PID, with the old file's permissions),
 *   renamed over it by out_file_close only when all was written. The
 *   temporary is removed on failure, by out_file_discard, and when SIGINT,
 *   SIGTERM or SIGHUP arrives while it exists (the signal then does what it
 *   did before). A symbolic link to a regular file: the same beside the link's
 *   target, which is replaced; the link stays.
 * - Anything else (a character device such as /dev/null, a FIFO, a socket, a
 *   link that leads nowhere yet): opened and written in place, never replaced.
 * Returns NULL with "path: why" in err. The caller owns the result and ends
 * it with out_file_close or out_file_discard. */
out_file *out_file_open(const char *path, unsigned flags, char *err, size_t errlen);

/* The stream to write to (valid until close or discard). */
FILE *out_file_stream(const out_file *o);

/* Finishes the output: flushes and closes it (standard output is only
 * flushed), then renames the temporary into place. Returns false with
 * "path: why" in err if a write, the close or the rename failed; the
 * temporary is then removed and path left as it was. Frees o. */
bool out_file_close(out_file *o, char *err, size_t errlen);

/* Abandons the output: closes it and removes the temporary (output written in
 * place stays as far as it got). Frees o; NULL is ignored. */
void out_file_discard(out_file *o);

/* Flushes standard output; false with "stdout: why" in err if anything
 * written to it was lost (a full disk, a closed pipe, /dev/full). Every
 * command that writes standard output ends with this check. */
bool out_file_stdout_ok(char *err, size_t errlen);

#endif /* OUT_FILE_H */
