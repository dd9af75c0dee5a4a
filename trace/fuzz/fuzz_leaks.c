/* fuzz_leaks.c - libFuzzer target: `heaptrace leaks` and `heaptrace leaks
 * --json --fail` on a whole trace.
 *
 * Properties, for any input: no crash; a documented exit status, and a reason
 * on stderr when the input is rejected; --json output, when there is any, is
 * one valid JSON object; --fail says 1 exactly when blocks leaked (unless
 * lost events make the answer uncertain: 4).
 */
#include "fuzz_util.h"

static struct fuzz_file input;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	struct fuzz_output o;

	int rc = fuzz_command((const char *[]){"leaks", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "leaks without --fail returned 1");
	fuzz_output_free(&o);

	rc = fuzz_command((const char *[]){"leaks", "--json", "--fail", path, NULL}, &o);
	cJSON *j = fuzz_json_object("leaks", &o);
	if (j) {
		const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(j, "leaked_blocks");
		FUZZ_ASSERT(cJSON_IsNumber(blocks), "leaks --json without leaked_blocks");
		if (rc == HT_EXIT_OK || rc == HT_EXIT_VERDICT)
			FUZZ_ASSERT((rc == HT_EXIT_VERDICT) == (blocks->valuedouble > 0),
			            "--fail returned %d with %g leaked blocks", rc,
			            blocks->valuedouble);
		cJSON_Delete(j);
	}
	fuzz_output_free(&o);
	return 0;
}
