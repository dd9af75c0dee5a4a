/* fuzz_stats.c - libFuzzer target: `heaptrace stats` and `heaptrace stats
 * --json` on a whole trace (the one-pass summary, trace/summary.h, behind
 * them).
 *
 * Properties, for any input: no crash; a documented exit status, and a reason
 * on stderr when the input is rejected; whenever --json printed anything, it
 * is one valid JSON object.
 */
#include "fuzz_util.h"

static struct fuzz_file input;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	struct fuzz_output o;

	fuzz_command((const char *[]){"stats", "--top", "3", path, NULL}, &o);
	fuzz_output_free(&o);

	fuzz_command((const char *[]){"stats", "--json", path, NULL}, &o);
	cJSON_Delete(fuzz_json_object("stats", &o));
	fuzz_output_free(&o);
	return 0;
}
