/* fuzz_decode.c - libFuzzer target: `heaptrace decode` on a raw capture (the
 * semihosting wire stream, or a UART console log with @@HT frames; the
 * channel is detected as for a user), JSON trace to memory.
 *
 * Properties, for any input: no crash; exit 0 or 2 (no --elf, so no
 * addr2line failure), with a reason on stderr for 2; and the JSON it writes,
 * a complete trace or the decoded prefix of a bad one, is read back by the
 * trace reader without an error and with as many events as decode reported
 * (trace/fuzz/regress/fuzz_decode holds the inputs that once broke this:
 * a coalesce that merged nothing, a header time_hz of 2^53).
 */
#include <inttypes.h>

#include "fuzz_util.h"
#include "trace_reader.h"

static struct fuzz_file input, output;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	struct fuzz_output o;
	int rc = fuzz_command((const char *[]){"decode", path, NULL}, &o);
	FUZZ_ASSERT(rc != HT_EXIT_VERDICT, "decode returned 1");
	FUZZ_ASSERT(o.out_len > 0, "decode wrote no JSON header");

	/* decode writes only what the reader accepts (trace_event_check): the
	 * JSON, complete or the decoded prefix of a bad input, reads back whole */
	char err[600];
	const char *json = fuzz_file_set(&output, o.out, o.out_len);
	trace_reader *r = trace_reader_open(json, err, sizeof err);
	FUZZ_ASSERT(r, "decode's output has a bad header: %s\n%.300s", err, o.out);
	struct heap_event ev;
	enum trace_read_status st;
	uint64_t n = 0;
	while ((st = trace_reader_next(r, &ev)) == TRACE_READ_EVENT)
		n++;
	FUZZ_ASSERT(st == TRACE_READ_EOF, "the reader rejects decode's output: %s",
	            trace_reader_error(r));
	FUZZ_ASSERT(!trace_reader_truncated(r), "decode's output ends inside a line");
	uint64_t said = 0;
	const char *d = o.err ? strstr(o.err, "decoded ") : NULL;
	if (d && sscanf(d, "decoded %" SCNu64 " events", &said) == 1)
		FUZZ_ASSERT(said == n, "decode said %" PRIu64 " events, the JSON holds %" PRIu64,
		            said, n);
	trace_reader_close(r);
	fuzz_output_free(&o);
	return 0;
}
