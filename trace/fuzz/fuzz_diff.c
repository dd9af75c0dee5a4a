/* fuzz_diff.c - libFuzzer target: `heaptrace diff` (trace/diff.h) of two
 * traces cut from one input: BASE is everything before the second header line
 * (a line starting {"format"), NEW the rest; with no second header, the
 * input is compared with itself.
 *
 * Properties, for any input: no crash; a documented exit status, and a reason
 * on stderr when an input is rejected; --json output is one JSON object; a
 * trace compared with itself is in step and passes every threshold.
 */
#include "fuzz_util.h"

static struct fuzz_file base, new;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char mark[] = "\n{\"format\"";
	const char *text = (const char *)data;
	const char *cut = size > 1 ? memmem(text + 1, size - 1, mark, sizeof mark - 1) : NULL;
	bool self = cut == NULL;
	size_t base_len = self ? size : (size_t)(cut - text) + 1;
	const char *base_path = fuzz_file_set(&base, data, base_len);
	const char *new_path =
	    self ? base_path : fuzz_file_set(&new, data + base_len, size - base_len);

	struct fuzz_output o;
	int rc = fuzz_command((const char *[]){"diff", base_path, new_path, NULL}, &o);
	if (self)
		FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "a trace regressed against itself");
	fuzz_output_free(&o);

	rc = fuzz_command((const char *[]){"diff", "--json", "--max-peak-growth", "0%",
	                                   "--max-frag-growth", "0", "--max-examined-growth", "0",
	                                   "--fail-on-new-failures", "--fail-on-new-leaks",
	                                   "--fail-on-divergence", base_path, new_path, NULL},
	                  &o);
	if (self)
		FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "a trace regressed against itself: %.300s",
		            o.out ? o.out : "");
	cJSON_Delete(fuzz_json_object("diff", &o));
	fuzz_output_free(&o);
	return 0;
}
