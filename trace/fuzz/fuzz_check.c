/* fuzz_check.c - libFuzzer target: `heaptrace check` (replay through the real
 * allocator core, trace/cmd_check.c) on a whole trace.
 *
 * Properties, for any input: no crash, however the trace contradicts the
 * allocator; a documented exit status, and a reason on stderr when the input
 * is rejected; a negative verdict (1) is explained on stdout.
 */
#include "fuzz_util.h"

static struct fuzz_file input;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	struct fuzz_output o;
	int rc = fuzz_command((const char *[]){"check", path, NULL}, &o);
	if (rc == HT_EXIT_VERDICT)
		FUZZ_ASSERT(o.out_len > 0, "check found a mismatch but printed nothing");
	if (rc == HT_EXIT_OK)
		FUZZ_ASSERT(o.out && strstr(o.out, "faithful"), "check passed without saying so");
	fuzz_output_free(&o);
	return 0;
}
