/* fuzz_util.h - what the libFuzzer targets in trace/fuzz/ share: fuzz input as a
 * file the tools can open by path, a run of a heaptrace subcommand with its
 * output captured in memory, and FUZZ_ASSERT.
 *
 * The tools read traces by path (read(2) on a file descriptor), so each input
 * is written to a memfd and handed over as "/proc/self/fd/N": no disk, no temp
 * files to clean up. Subcommands are found the way trace/heaptrace.c finds
 * them (the heaptrace_commands linker section), so a target runs exactly the
 * code a user runs, argv and all.
 *
 * Included by exactly one target source each; everything here is static.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands.h"

/* Aborts (a crash libFuzzer records) with the failed property and why. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(fuzz_real_stderr(), "%s:%d: property failed: %s: ", __FILE__,      \
			        __LINE__, #cond);                                                  \
			fprintf(fuzz_real_stderr(), __VA_ARGS__);                                  \
			fputc('\n', fuzz_real_stderr());                                           \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The process's own stderr, even while fuzz_command has swapped stderr. */
static FILE *fuzz_saved_stderr;
static inline FILE *fuzz_real_stderr(void)
{
	return fuzz_saved_stderr ? fuzz_saved_stderr : stderr;
}

/* A memory-backed file that is rewritten for every input. */
struct fuzz_file {
	int fd;         /* memfd, -1 before the first fuzz_file_set */
	char path[32];  /* "/proc/self/fd/N": opening it reads from offset 0 */
};

/* Makes f hold exactly data[0..size). Aborts if no memfd can be had (the
 * target could not test anything). */
static inline const char *fuzz_file_set(struct fuzz_file *f, const void *data, size_t size)
{
	if (f->fd <= 0) {
		f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		FUZZ_ASSERT(f->fd >= 0, "memfd_create failed");
		snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
	}
	FUZZ_ASSERT(ftruncate(f->fd, 0) == 0, "ftruncate failed");
	const char *p = data;
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(f->fd, p + off, size - off, (off_t)off);
		FUZZ_ASSERT(n > 0, "pwrite to the memfd failed");
		off += (size_t)n;
	}
	return f->path;
}

/* ---- running a heaptrace subcommand ---------------------------------------- */

extern const struct heaptrace_command __start_heaptrace_commands[] __attribute__((weak));
extern const struct heaptrace_command __stop_heaptrace_commands[] __attribute__((weak));

/* The subcommand called name; aborts if it is not linked in. */
static inline const struct heaptrace_command *fuzz_find_command(const char *name)
{
	for (const struct heaptrace_command *c = __start_heaptrace_commands;
	     c < __stop_heaptrace_commands; c++)
		if (!strcmp(c->name, name))
			return c;
	FUZZ_ASSERT(0, "heaptrace command '%s' is not linked into this target", name);
	return NULL;
}

/* What a subcommand printed; both buffers are NUL-terminated (or NULL when
 * nothing was printed) and freed by fuzz_output_free. */
struct fuzz_output {
	char *out, *err;
	size_t out_len, err_len;
};

static inline void fuzz_output_free(struct fuzz_output *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof *o);
}

/* The contract every subcommand keeps on any input (commands.h,
 * docs/heaptrace.md): it returns a documented status, and when it rejects
 * the input (status 2) it says why on stderr as "heaptrace NAME: ...". An
 * output sink in memory never fails, so 3 (I/O) is a bug here. */
static inline void fuzz_check_status(const char *name, int rc, const struct fuzz_output *o)
{
	FUZZ_ASSERT(rc == HT_EXIT_OK || rc == HT_EXIT_VERDICT || rc == HT_EXIT_BAD_INPUT ||
	                rc == HT_EXIT_UNCERTAIN,
	            "heaptrace %s returned %d; stderr: %.300s", name, rc, o->err ? o->err : "");
	if (rc == HT_EXIT_BAD_INPUT) {
		char want[32];
		snprintf(want, sizeof want, "heaptrace %s: ", name);
		FUZZ_ASSERT(o->err && strstr(o->err, want),
		            "heaptrace %s rejected the input without saying why (\"%s...\")", name,
		            want);
	}
}

/* Runs `heaptrace NAME ARGS...` (argv[0] = NAME, argv NULL-terminated) with
 * stdout and stderr captured in o (the stdio streams are swapped, so
 * sanitizer reports still reach the real fd 2), and checks the contract
 * (fuzz_check_status). Returns its exit status. */
static inline int fuzz_command(const char *const *argv, struct fuzz_output *o)
{
	const struct heaptrace_command *c = fuzz_find_command(argv[0]);
	int argc = 0;
	while (argv[argc])
		argc++;
	char *args[16];
	FUZZ_ASSERT(argc < 16, "too many arguments");
	for (int i = 0; i <= argc; i++)
		args[i] = (char *)argv[i];

	memset(o, 0, sizeof *o);
	FILE *out = open_memstream(&o->out, &o->out_len);
	FILE *err = open_memstream(&o->err, &o->err_len);
	FUZZ_ASSERT(out && err, "open_memstream failed");
	FILE *old_out = stdout, *old_err = stderr;
	fuzz_saved_stderr = old_err;
	stdout = out;
	stderr = err;
	int rc = c->run(argc, args);
	stdout = old_out;
	stderr = old_err;
	fuzz_saved_stderr = NULL;
	fclose(out);
	fclose(err);
	fuzz_check_status(argv[0], rc, o);
	return rc;
}

/* What `heaptrace NAME --json` printed, parsed: NULL if it printed nothing,
 * else one JSON object (aborts otherwise), for the caller to cJSON_Delete. */
static inline cJSON *fuzz_json_object(const char *name, const struct fuzz_output *o)
{
	if (!o->out_len)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(o->out, o->out_len);
	FUZZ_ASSERT(cJSON_IsObject(j), "%s --json printed no JSON object: %.200s", name, o->out);
	return j;
}

#endif /* FUZZ_UTIL_H */
