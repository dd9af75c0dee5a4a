/* commands.h - how a heaptrace subcommand registers itself.
 *
 * Each subcommand lives in its own file and declares itself with
 * HEAPTRACE_COMMAND; the entry in the `heaptrace_commands` linker section
 * makes trace/heaptrace.c find it, so there is no central list to edit.
 *
 * A command's run function gets argv with argv[0] = the command name and
 * returns the process exit status (see docs/heaptrace.md):
 */
#ifndef COMMANDS_H
#define COMMANDS_H

enum heaptrace_exit {
	HT_EXIT_OK = 0,        /* success, and the verdict (check, diff) is positive */
	HT_EXIT_VERDICT = 1,   /* ran fine, verdict negative: check mismatch, diff regression */
	HT_EXIT_BAD_INPUT = 2, /* bad usage, unreadable or malformed input */
	HT_EXIT_IO = 3,        /* output could not be written, or an external tool failed */
	HT_EXIT_UNCERTAIN = 4, /* ran fine, but lost events make the answer uncertain (leaks) */
};

struct heaptrace_command {
	const char *name;    /* "stats" */
	const char *args;    /* usage synopsis after the name: "[--json] TRACE" */
	const char *summary; /* one line for `heaptrace --help` */
	int (*run)(int argc, char **argv);
};

#define HEAPTRACE_COMMAND(name_, args_, summary_, run_)                                 \
	static const struct heaptrace_command heaptrace_command_##name_                 \
		__attribute__((used, section("heaptrace_commands"), aligned(8))) = {    \
			#name_, args_, summary_, run_}

#endif /* COMMANDS_H */
