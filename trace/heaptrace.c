/* heaptrace.c - entry point of the heaptrace tool: dispatches to a subcommand,
 * and fails any run whose standard output did not all get written. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "out_file.h"

/* Bounds of the linker section the subcommands register in (commands.h);
 * weak, so a build with no command still links. */
extern const struct heaptrace_command __start_heaptrace_commands[] __attribute__((weak));
extern const struct heaptrace_command __stop_heaptrace_commands[] __attribute__((weak));

static void usage(FILE *out)
{
	fprintf(out, "usage: heaptrace COMMAND [ARGS...]\n\n"
		     "Capture, decode, check and compare heapscope heap traces.\n\ncommands:\n");
	for (const struct heaptrace_command *c = __start_heaptrace_commands;
	     c < __stop_heaptrace_commands; c++) {
		int width = fprintf(out, "  %-8s %s", c->name, c->args);
		if (width > 44)
			fprintf(out, "\n%46s%s\n", "", c->summary); /* long synopsis: summary below */
		else
			fprintf(out, "%*s%s\n", 46 - width, "", c->summary);
	}
	fprintf(out, "\n`heaptrace COMMAND --help` describes a command. Exit status: 0 ok, 1 negative\n"
		     "verdict (check mismatch, regression), 2 bad input or usage, 3 I/O failure.\n"
		     "Formats: docs/trace-format.md, docs/heaptrace.md.\n");
}

/* Runs the command argv[1] names; its exit status. */
static int dispatch(int argc, char **argv)
{
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HT_EXIT_OK;
	}
	for (const struct heaptrace_command *c = __start_heaptrace_commands;
	     c < __stop_heaptrace_commands; c++)
		if (!strcmp(c->name, argv[1]))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "heaptrace: unknown command '%s' (try heaptrace --help)\n", argv[1]);
	return HT_EXIT_BAD_INPUT;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HT_EXIT_BAD_INPUT;
	}
	int rc = dispatch(argc, argv);
	/* A report that did not reach stdout (a full disk, /dev/full, a closed
	 * pipe) is a failure, whatever the command concluded: exit 3, unless the
	 * command already failed for a reason of its own (and said so). */
	char err[512];
	if (!out_file_stdout_ok(err, sizeof err) && (rc == HT_EXIT_OK || rc == HT_EXIT_VERDICT)) {
		fprintf(stderr, "heaptrace %s: %s\n", argv[1], err);
		rc = HT_EXIT_IO;
	}
	return rc;
}
