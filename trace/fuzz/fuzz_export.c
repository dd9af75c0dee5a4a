/* fuzz_export.c - libFuzzer target: `heaptrace export` to massif, Chrome Trace
 * Event JSON, folded stacks and pprof on a whole trace (trace/cmd_export.c),
 * output in memory.
 *
 * A few samples only (--max-samples), so that short inputs reach the sampler's
 * thinning. Properties, for any input: no crash; a documented exit status,
 * and a reason on stderr when the input is rejected; an accepted trace gives
 * a massif file that starts with its "desc:" line, Chrome JSON that parses,
 * folded lines "stack weight" with a positive weight, and a gzip stream.
 */
#include <cjson/cJSON.h>

#include "fuzz_util.h"

static struct fuzz_file input;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	struct fuzz_output o;

	int rc = fuzz_command(
	    (const char *[]){"export", "--format", "massif", "--max-samples", "4", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "export returned 1");
	if (rc == HT_EXIT_OK)
		FUZZ_ASSERT(o.out && !strncmp(o.out, "desc:", 5), "massif output starts \"%.40s\"",
		            o.out ? o.out : "");
	fuzz_output_free(&o);

	rc = fuzz_command(
	    (const char *[]){"export", "--format", "chrome", "--max-samples", "5", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "export returned 1");
	if (rc == HT_EXIT_OK) {
		cJSON *j = o.out ? cJSON_ParseWithLength(o.out, o.out_len) : NULL;
		FUZZ_ASSERT(j, "chrome export is not valid JSON: %.200s", o.out ? o.out : "");
		cJSON_Delete(j);
	}
	fuzz_output_free(&o);

	rc = fuzz_command(
	    (const char *[]){"export", "--format", "folded", "--weight", "peak", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "export returned 1");
	for (const char *line = o.out; rc == HT_EXIT_OK && line && *line;) {
		const char *nl = strchr(line, '\n');
		FUZZ_ASSERT(nl, "folded output ends without a newline");
		const char *sp = line;
		for (const char *p = line; p < nl; p++)
			if (*p == ' ')
				sp = p;
		FUZZ_ASSERT(sp > line && sp + 1 < nl && sp[1] != '0', "folded line \"%.*s\"",
		            (int)(nl - line), line);
		for (const char *p = sp + 1; p < nl; p++)
			FUZZ_ASSERT(*p >= '0' && *p <= '9', "folded weight \"%.*s\"",
			            (int)(nl - sp), sp);
		line = nl + 1;
	}
	fuzz_output_free(&o);

	rc = fuzz_command((const char *[]){"export", "--format", "pprof", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "export returned 1");
	if (rc == HT_EXIT_OK)
		FUZZ_ASSERT(o.out && o.out_len > 2 && (uint8_t)o.out[0] == 0x1f &&
		                (uint8_t)o.out[1] == 0x8b,
		            "pprof output is not gzip");
	fuzz_output_free(&o);
	return 0;
}
