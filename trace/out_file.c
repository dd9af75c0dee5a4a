/* out_file.c - output files written through a temporary renamed into place
 * (regular files) or in place (devices, FIFOs): see out_file.h. */
#include "out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct out_file {
	FILE *f;              /* the stream written to */
	char *path;           /* what the user named, for messages */
	char *target;         /* the file renamed over (link resolved); NULL: in place */
	char *tmp;            /* the temporary; NULL: in place */
	struct out_file *next; /* in the list of temporaries to remove at a signal */
};

/* ---- temporaries removed when a signal ends the process ------------------- */

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIG_CLEANUP (sizeof cleanup_signals / sizeof cleanup_signals[0])

static struct out_file *volatile pending;             /* open temporaries */
static struct sigaction saved_actions[NSIG_CLEANUP]; /* what the signals did before */

static void on_signal(int sig)
{
	for (struct out_file *o = pending; o; o = o->next)
		unlink(o->tmp);
	for (size_t i = 0; i < NSIG_CLEANUP; i++)
		if (cleanup_signals[i] == sig)
			sigaction(sig, &saved_actions[i], NULL);
	raise(sig); /* delivered, with the old action, once this handler returns */
}

/* Blocks the cleanup signals (while the list changes); *old gets the mask. */
static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NSIG_CLEANUP; i++)
		sigaddset(&set, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void pending_add(struct out_file *o)
{
	sigset_t old;
	block_signals(&old);
	if (!pending) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < NSIG_CLEANUP; i++)
			sigaction(cleanup_signals[i], &sa, &saved_actions[i]);
	}
	o->next = pending;
	pending = o;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void pending_remove(struct out_file *o)
{
	sigset_t old;
	block_signals(&old);
	struct out_file *volatile *p = &pending;
	while (*p && *p != o)
		p = &(*p)->next;
	if (*p)
		*p = o->next;
	if (!pending)
		for (size_t i = 0; i < NSIG_CLEANUP; i++)
			sigaction(cleanup_signals[i], &saved_actions[i], NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- opening and closing ---------------------------------------------------- */

static void out_free(struct out_file *o)
{
	free(o->path);
	free(o->target);
	free(o->tmp);
	free(o);
}

/* Decides how to write path: sets o->target to the regular file to replace
 * (NULL: write in place); *mode gets the permissions the new file keeps. */
static bool choose_target(struct out_file *o, unsigned flags, mode_t *mode)
{
	struct stat st;
	*mode = 0666; /* less the umask, as for any new file */
	if (flags & OUT_FILE_IN_PLACE)
		return true;
	if (lstat(o->path, &st) != 0)
		return errno == ENOENT ? (o->target = strdup(o->path)) != NULL : true;
	if (S_ISLNK(st.st_mode)) {
		char *real = realpath(o->path, NULL);
		if (!real || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(real); /* leads nowhere, or to a device: through the link, in place */
			return true;
		}
		o->target = real;
	} else if (S_ISREG(st.st_mode)) {
		o->target = strdup(o->path);
		if (!o->target)
			return false;
	} else {
		return true; /* a device, FIFO or socket: in place */
	}
	*mode = st.st_mode & 07777;
	return true;
}

out_file *out_file_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct out_file *o = calloc(1, sizeof *o);
	if (!o || !(o->path = strdup(path))) {
		free(o);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (!strcmp(path, "-")) {
		o->f = stdout;
		return o;
	}
	mode_t mode;
	if (!choose_target(o, flags, &mode)) {
		snprintf(err, errlen, "%s: out of memory", path);
		out_free(o);
		return NULL;
	}
	if (!o->target) {
		o->f = fopen(path, "w");
		if (!o->f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			out_free(o);
			return NULL;
		}
		return o;
	}
	size_t n = strlen(o->target) + 32;
	o->tmp = malloc(n);
	if (!o->tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		out_free(o);
		return NULL;
	}
	snprintf(o->tmp, n, "%s.tmp.%ld", o->target, (long)getpid());
	/* registered first: a signal from here on removes what open creates */
	pending_add(o);
	int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd >= 0 && mode != 0666)
		fchmod(fd, mode); /* the replaced file's permissions */
	o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!o->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		pending_remove(o);
		out_free(o);
		return NULL;
	}
	setvbuf(o->f, NULL, _IOFBF, 1 << 16);
	return o;
}

FILE *out_file_stream(const out_file *o)
{
	return o->f;
}

bool out_file_close(out_file *o, char *err, size_t errlen)
{
	bool ok;
	if (o->f == stdout) {
		ok = out_file_stdout_ok(err, errlen);
		out_free(o);
		return ok;
	}
	errno = 0;
	bool had_error = ferror(o->f);
	ok = fclose(o->f) == 0 && !had_error;
	if (!ok)
		snprintf(err, errlen, "%s: write error%s%s", o->tmp ? o->tmp : o->path,
		         errno ? ": " : "", errno ? strerror(errno) : "");
	if (ok && o->tmp && rename(o->tmp, o->target) != 0) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		ok = false;
	}
	if (o->tmp) {
		if (!ok)
			unlink(o->tmp);
		pending_remove(o);
	}
	out_free(o);
	return ok;
}

void out_file_discard(out_file *o)
{
	if (!o)
		return;
	if (o->f == stdout) {
		fflush(stdout);
	} else {
		fclose(o->f);
		if (o->tmp) {
			unlink(o->tmp);
			pending_remove(o);
		}
	}
	out_free(o);
}

bool out_file_stdout_ok(char *err, size_t errlen)
{
	errno = 0;
	bool ok = fflush(stdout) == 0 && !ferror(stdout);
	if (!ok)
		snprintf(err, errlen, "stdout: write error%s%s", errno ? ": " : "",
		         errno ? strerror(errno) : "");
	return ok;
}
