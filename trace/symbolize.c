/* symbolize.c - batched addr2line runs: addresses in argv; for each, its
 * address, then a function and a file:line per inlining level. */
#include "symbolize.h"

#include <errno.h>
#include <stdbool.h>
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

/* Whether line is the header addr2line -a writes before each address's answer. */
static bool is_address_line(const char *line)
{
	if (line[0] != '0' || line[1] != 'x' || !line[2])
		return false;
	return line[2 + strspn(line + 2, "0123456789abcdef")] == 0;
}

/* Takes one function/location pair of the answer being read into out: the
 * first is the address's own, the next ones the functions it was inlined into. */
static bool add_pair(struct symbol_info *out, const char *fn, const char *src)
{
	if (!out->fn[0]) {
		copy_str(out->fn, sizeof out->fn, fn[0] ? fn : "??");
		copy_str(out->src, sizeof out->src, src[0] ? src : "??:0");
		return true;
	}
	if (out->n_inlined == TRACE_INLINED_MAX)
		return true; /* deeper than any reader keeps */
	if (!out->inlined) {
		out->inlined = malloc(TRACE_INLINED_MAX * sizeof *out->inlined);
		if (!out->inlined)
			return false;
	}
	struct symbol_inline *in = &out->inlined[out->n_inlined++];
	copy_str(in->fn, sizeof in->fn, fn[0] ? fn : "??");
	copy_str(in->src, sizeof in->src, src[0] ? src : "??:0");
	return true;
}

/* Reads addr2line -a -i -f's answer for n addresses into out: per address a
 * line "0x..." then one or more pairs of lines (function, file:line).
 * Returns how many answers were complete. */
static size_t read_answers(FILE *f, struct symbol_info *out, size_t n, const char *cwd)
{
	char fn[512], src[1024];
	size_t got = 0; /* headers seen */
	bool pair = false; /* the current answer has a pair */
	while (fgets(fn, sizeof fn, f)) {
		fn[strcspn(fn, "\r\n")] = 0;
		if (is_address_line(fn)) {
			if (got == n || (got && !pair))
				return got - 1; /* more answers than asked, or one without a pair */
			got++;
			pair = false;
			continue;
		}
		if (!got || !fgets(src, sizeof src, f))
			return got ? got - 1 : 0;
		clean_src(src, cwd);
		if (!add_pair(&out[got - 1], fn, src))
			return got - 1;
		pair = true;
	}
	return pair ? got : got ? got - 1 : 0;
}

static int run_batch(const char *tool, const char *elf, const uint64_t *addrs, size_t n,
                     struct symbol_info *out, const char *cwd, char *err, size_t errlen)
{
	char bufs[BATCH][24];
	char *argv[BATCH + 8];
	size_t a = 0;
	argv[a++] = (char *)tool;
	argv[a++] = "-a"; /* each answer starts with its address: -i makes them of any length */
	argv[a++] = "-i";
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
	memset(out, 0, n * sizeof *out); /* each answer can be freed, however far reading got */

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
	if (f) {
		got = read_answers(f, out, n, cwd);
		fclose(f);
	} else {
		close(fds[0]);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != n) {
		snprintf(err, errlen, "%s -a -i -f -e %s failed (status %d, %zu of %zu answers)",
		         tool, elf, WIFEXITED(status) ? WEXITSTATUS(status) : -1, got, n);
		for (size_t i = 0; i < n; i++)
			symbol_info_free(&out[i]);
		return -1;
	}
	return 0;
}

void symbol_info_free(struct symbol_info *info)
{
	free(info->inlined);
	info->inlined = NULL;
	info->n_inlined = 0;
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
		if (run_batch(tool, elf, addrs + i, k, out + i, cw, err, errlen) < 0) {
			for (size_t j = 0; j < i; j++)
				symbol_info_free(&out[j]);
			return -1;
		}
	}
	return 0;
}
