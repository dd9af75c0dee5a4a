/* symbolize.c - batched addr2line runs: addresses in argv, two answer lines each. */
#include "symbolize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 256 /* addresses per addr2line run */

/* Removes a trailing newline and " (discriminator N)"; shortens absolute paths. */
static void clean_src(char *src, const char *cwd)
{
	src[strcspn(src, "\r\n")] = 0;
	char *d = strstr(src, " (discriminator");
	if (d)
		*d = 0;
	size_t cl = cwd ? strlen(cwd) : 0;
	if (cl && !strncmp(src, cwd, cl) && src[cl] == '/')
		memmove(src, src + cl + 1, strlen(src + cl + 1) + 1);
	if (src[0] == '/') { /* built elsewhere: keep the project-relative part */
		static const char *const dirs[] = {"/kernel/", "/samples/", "/trace/"};
		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
			char *p = strstr(src, dirs[i]);
			if (p) {
				memmove(src, p + 1, strlen(p + 1) + 1);
				break;
			}
		}
	}
}

/* Copies s into dst[0..n), truncating. */
static void copy_str(char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);
	if (l >= n)
		l = n - 1;
	memcpy(dst, s, l);
	dst[l] = 0;
}

static int run_batch(const char *tool, const char *elf, const uint64_t *addrs, size_t n,
                     struct symbol_info *out, const char *cwd, char *err, size_t errlen)
{
	char bufs[BATCH][24];
	char *argv[BATCH + 6];
	size_t a = 0;
	argv[a++] = (char *)tool;
	argv[a++] = "-f";
	argv[a++] = "-e";
	argv[a++] = (char *)elf;
	for (size_t i = 0; i < n; i++) {
		/* a caller is a return address: look up the byte before it, inside
		 * the call instruction, so the line is the call's, not the next one */
		snprintf(bufs[i], sizeof bufs[i], "0x%" PRIx64, addrs[i] ? addrs[i] - 1 : 0);
		argv[a++] = bufs[i];
	}
	argv[a] = NULL;

	int fds[2];
	if (pipe(fds) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(tool, argv);
		fprintf(stderr, "%s: %s\n", tool, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	size_t got = 0;
	char fn[512], src[1024];
	while (f && got < n && fgets(fn, sizeof fn, f) && fgets(src, sizeof src, f)) {
		fn[strcspn(fn, "\r\n")] = 0;
		clean_src(src, cwd);
		copy_str(out[got].fn, sizeof out[got].fn, fn[0] ? fn : "??");
		copy_str(out[got].src, sizeof out[got].src, src[0] ? src : "??:0");
		got++;
	}
	if (f)
		fclose(f);
	else
		close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != n) {
		snprintf(err, errlen, "%s -f -e %s failed (status %d, %zu of %zu answers)", tool,
		         elf, WIFEXITED(status) ? WEXITSTATUS(status) : -1, got, n);
		return -1;
	}
	return 0;
}

int symbolize_batch(const char *elf, const uint64_t *addrs, size_t n, struct symbol_info *out,
                    char *err, size_t errlen)
{
	const char *tool = getenv("ADDR2LINE");
	if (!tool || !*tool)
		tool = "riscv64-unknown-elf-addr2line";
	if (access(elf, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s", elf, strerror(errno));
		return -1;
	}
	char cwd[4096];
	const char *cw = getcwd(cwd, sizeof cwd) ? cwd : NULL;
	for (size_t i = 0; i < n; i += BATCH) {
		size_t k = n - i < BATCH ? n - i : BATCH;
		if (run_batch(tool, elf, addrs + i, k, out + i, cw, err, errlen) < 0)
			return -1;
	}
	return 0;
}
