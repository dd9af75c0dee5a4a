/* fuzz_uart_frames.c - libFuzzer target: the UART frame parser
 * (trace/uart_frames.h) on a console log, one line at a time.
 *
 * Properties, for any input: no crash; the console text of a line is a prefix
 * of it; only a frame adds payload, at most 3 bytes per 4 base64 characters,
 * and advances the expected chunk number by one; a console line or an error
 * adds nothing; an error says what is wrong.
 */
#include "fuzz_util.h"
#include "uart_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uart_frames u;
	struct bytebuf out = {0};
	uart_frames_init(&u);
	const char *text = (const char *)data;
	size_t start = 0;
	while (start < size) {
		const char *nl = memchr(text + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - text) - start : size - start;
		size_t text_len = (size_t)-1, before = out.len;
		uint64_t chunk = u.next_chunk, frames = u.frames;
		char err[200] = "";
		enum uart_line_kind k =
		    uart_frames_line(&u, text + start, len, &out, &text_len, err, sizeof err);
		FUZZ_ASSERT(text_len <= len, "console text %zu of a %zu-byte line", text_len, len);
		if (k == UART_LINE_FRAME) {
			FUZZ_ASSERT(out.len - before <= len / 4 * 3, "%zu payload bytes from %zu",
			            out.len - before, len);
			FUZZ_ASSERT(u.next_chunk == chunk + 1 && u.frames == frames + 1,
			            "frame not counted");
		} else {
			FUZZ_ASSERT(k == UART_LINE_CONSOLE || k == UART_LINE_ERROR, "kind %d", (int)k);
			FUZZ_ASSERT(out.len == before, "a non-frame line added payload");
			FUZZ_ASSERT(u.next_chunk == chunk && u.frames == frames, "counters moved");
			FUZZ_ASSERT(k == UART_LINE_CONSOLE || err[0], "an error without a message");
		}
		start += len + 1;
	}
	free(out.p);
	return 0;
}
