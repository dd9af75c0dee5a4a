/* test_capture_parts.c - host unit tests of the capture pipeline's parsers: the
 * UART frame reader (trace/uart_frames.c) and the boot-argument reader with its
 * device-tree walk (kernel/bootargs.c, compiled for the host). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootargs.h"
#include "test/test.h"
#include "trace_wire.h"
#include "uart_frames.h"

/* ---- UART frames ------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes the frame line the kernel would send for data[0..n) into out. */
static void make_frame(char *out, unsigned chunk, const uint8_t *data, size_t n)
{
	char *o = out + sprintf(out, "@@HT %u ", chunk);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)data[i] << 16 | (i + 1 < n ? data[i + 1] << 8 : 0) |
		             (i + 2 < n ? data[i + 2] : 0);
		*o++ = b64[w >> 18 & 63];
		*o++ = b64[w >> 12 & 63];
		*o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[w & 63] : '=';
	}
	sprintf(o, " %04x", wire_fletcher16(data, n));
}

static enum uart_line_kind feed(struct uart_frames *u, const char *line, struct bytebuf *out,
                                size_t *text)
{
	char err[200];
	return uart_frames_line(u, line, strlen(line), out, text, err, sizeof err);
}

TEST_CASE(frames_in_order_rebuild_the_byte_stream)
{
	struct uart_frames u;
	uart_frames_init(&u);
	struct bytebuf out = {0};
	uint8_t data[100];
	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)(i * 37 + 1);
	char line[256];
	size_t text;
	for (unsigned c = 0; c < 4; c++) {
		size_t n = c == 3 ? 100 - 3 * 30 : 30; /* last one: 10 bytes, padded */
		make_frame(line, c, data + c * 30, n);
		ASSERT_EQ((int)feed(&u, line, &out, &text), (int)UART_LINE_FRAME);
		ASSERT_EQ(text, 0u);
	}
	ASSERT_EQ(out.len, 100u);
	ASSERT_MEM_EQ(out.p, data, 100);
	free(out.p);
}

TEST_CASE(console_lines_pass_through_and_text_before_a_frame_is_kept)
{
	struct uart_frames u;
	uart_frames_init(&u);
	struct bytebuf out = {0};
	size_t text;
	ASSERT_EQ((int)feed(&u, "heapscope kernel: hart 0", &out, &text), (int)UART_LINE_CONSOLE);
	ASSERT_EQ(text, 24u);
	ASSERT_EQ((int)feed(&u, "trace: see @@HT lines", &out, &text), (int)UART_LINE_CONSOLE);
	char line[256] = "progress... ";
	const uint8_t d[] = {1, 2, 3, 4};
	make_frame(line + strlen(line), 0, d, 4);
	strcat(line, "\r");
	ASSERT_EQ((int)feed(&u, line, &out, &text), (int)UART_LINE_FRAME);
	ASSERT_EQ(text, 12u);
	ASSERT_EQ(out.len, 4u);
	free(out.p);
}

TEST_CASE(damaged_frames_are_errors)
{
	const uint8_t d[] = {10, 20, 30, 40, 50, 60};
	char good[128], bad[128], err[200];
	size_t text;
	struct bytebuf out = {0};
	make_frame(good, 0, d, sizeof d);

	/* every single-character change of the payload or checksum is caught */
	size_t start = strlen("@@HT 0 ");
	for (size_t i = start; i < strlen(good); i++) {
		if (good[i] == ' ')
			continue;
		strcpy(bad, good);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		struct uart_frames u;
		uart_frames_init(&u);
		ASSERT_EQ((int)uart_frames_line(&u, bad, strlen(bad), &out, &text, err, sizeof err),
		          (int)UART_LINE_ERROR);
	}
	/* cut short */
	struct uart_frames u;
	uart_frames_init(&u);
	ASSERT_EQ((int)uart_frames_line(&u, good, strlen(good) - 3, &out, &text, err, sizeof err),
	          (int)UART_LINE_ERROR);
	ASSERT_EQ(out.len, 0u);
	free(out.p);
}

TEST_CASE(a_missing_frame_is_an_error)
{
	struct uart_frames u;
	uart_frames_init(&u);
	struct bytebuf out = {0};
	const uint8_t d[] = {7, 7, 7};
	char line[128], err[200];
	size_t text;
	make_frame(line, 0, d, 3);
	ASSERT_EQ((int)uart_frames_line(&u, line, strlen(line), &out, &text, err, sizeof err),
	          (int)UART_LINE_FRAME);
	make_frame(line, 2, d, 3);
	ASSERT_EQ((int)uart_frames_line(&u, line, strlen(line), &out, &text, err, sizeof err),
	          (int)UART_LINE_ERROR);
	ASSERT(strstr(err, "frame 2 where frame 1 was due") != NULL);
	free(out.p);
}

/* ---- boot arguments ------------------------------------------------------------- */

/* A minimal flattened device tree: / { compatible; chosen { stdout-path; bootargs } }. */
struct fdt_builder {
	uint8_t s[1024]; /* structure block */
	size_t n;
	char strings[128]; /* strings block */
	size_t sn;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
	p[3] = (uint8_t)v;
}

static void fdt_token(struct fdt_builder *b, uint32_t t)
{
	put32(b->s + b->n, t);
	b->n += 4;
}

static void fdt_bytes(struct fdt_builder *b, const void *d, size_t n)
{
	memcpy(b->s + b->n, d, n);
	b->n += n;
	while (b->n % 4)
		b->s[b->n++] = 0;
}

static void fdt_prop(struct fdt_builder *b, const char *name, const char *value)
{
	fdt_token(b, 3);
	put32(b->s + b->n, (uint32_t)strlen(value) + 1);
	put32(b->s + b->n + 4, (uint32_t)b->sn);
	b->n += 8;
	fdt_bytes(b, value, strlen(value) + 1);
	strcpy(b->strings + b->sn, name);
	b->sn += strlen(name) + 1;
}

/* Builds the blob into out; returns its size. */
static size_t make_dtb(uint8_t *out, const char *bootargs)
{
	struct fdt_builder b = {.n = 0, .sn = 0};
	fdt_token(&b, 1);
	fdt_bytes(&b, "", 1);
	fdt_prop(&b, "compatible", "riscv-virtio");
	fdt_token(&b, 1);
	fdt_bytes(&b, "memory@80000000", 16);
	fdt_prop(&b, "bootargs", "not=these"); /* same name, wrong node */
	fdt_token(&b, 2);
	fdt_token(&b, 1);
	fdt_bytes(&b, "chosen", 7);
	fdt_prop(&b, "stdout-path", "/soc/serial@10000000");
	if (bootargs)
		fdt_prop(&b, "bootargs", bootargs);
	fdt_token(&b, 2);
	fdt_token(&b, 2);
	fdt_token(&b, 9);
	size_t hdr = 40, total = hdr + b.n + b.sn;
	memset(out, 0, total);
	put32(out, 0xd00dfeed);
	put32(out + 4, (uint32_t)total);
	put32(out + 8, (uint32_t)hdr);
	put32(out + 12, (uint32_t)(hdr + b.n));
	memcpy(out + hdr, b.s, b.n);
	memcpy(out + hdr + b.n, b.strings, b.sn);
	return total;
}

TEST_CASE(bootargs_come_from_the_chosen_node)
{
	static uint8_t dtb[2048];
	make_dtb(dtb, "workload=frag trace=uart  trace.buf=4k trace.defer=1 quiet seed=0x10");
	ASSERT_EQ(bootargs_init(dtb), 6);
	ASSERT_STR_EQ(bootargs_line(),
	              "workload=frag trace=uart  trace.buf=4k trace.defer=1 quiet seed=0x10");
	ASSERT_STR_EQ(bootargs_str("workload", "churn"), "frag");
	ASSERT_STR_EQ(bootargs_str("trace", "semihosting"), "uart");
	ASSERT_EQ(bootargs_ulong("trace.buf", 1), 4096ul);
	ASSERT_EQ(bootargs_ulong("seed", 1), 16ul);
	ASSERT(bootargs_bool("trace.defer", false));
	ASSERT(bootargs_bool("quiet", false));
	ASSERT(!bootargs_bool("trace.instret", false));
	ASSERT_NULL(bootargs_get("not"));
	ASSERT_STR_EQ(bootargs_str("missing", "dflt"), "dflt");
}

TEST_CASE(bad_numbers_and_repeated_keys_behave)
{
	static uint8_t dtb[2048];
	make_dtb(dtb, "ops=12x ops2= n=5 n=7 flag=maybe");
	bootargs_init(dtb);
	ASSERT_EQ(bootargs_ulong("ops", 3), 3ul);
	ASSERT_EQ(bootargs_ulong("ops2", 4), 4ul);
	ASSERT_EQ(bootargs_ulong("n", 0), 7ul); /* the last one wins */
	ASSERT(bootargs_bool("flag", true));
	ASSERT(!bootargs_bool("flag", false));
}

TEST_CASE(no_device_tree_or_garbage_gives_no_arguments)
{
	ASSERT_EQ(bootargs_init(NULL), 0);
	ASSERT_STR_EQ(bootargs_line(), "");
	static uint8_t dtb[2048];
	make_dtb(dtb, NULL);
	ASSERT_EQ(bootargs_init(dtb), 0);
	/* a blob whose sizes lie, and random bytes behind a valid magic */
	size_t n = make_dtb(dtb, "a=b");
	put32(dtb + 4, (uint32_t)n - 30);
	ASSERT_EQ(bootargs_init(dtb), 0);
	srand(7);
	for (int round = 0; round < 200; round++) {
		n = make_dtb(dtb, "workload=churn");
		for (int k = 0; k < 4; k++)
			dtb[40 + rand() % (int)(n - 40)] = (uint8_t)rand();
		bootargs_init(dtb); /* must not read outside the blob (ASan) */
	}
}

int main(void)
{
	return test_main();
}
