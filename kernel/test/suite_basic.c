/* suite_basic.c - in-QEMU tests of the kernel foundation: formatting,
 * counters, SBI, semihosting detection, and the test framework itself
 * (expected panics and traps). */
#include <stdint.h>

#include "exit.h"
#include "format.h"
#include "kstring.h"
#include "memlayout.h"
#include "panic.h"
#include "riscv.h"
#include "sbi.h"
#include "semihost.h"
#include "stack.h"
#include "test/test.h"
#include "trap.h"

void kmain(unsigned long hartid, void *dtb);

void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

struct buf {
	char data[128];
	int len;
};

static void buf_put(void *ctx, char c)
{
	struct buf *b = ctx;
	if (b->len < (int)sizeof b->data - 1)
		b->data[b->len++] = c;
	b->data[b->len] = 0;
}

/* Formats into a fresh buffer and returns its text. */
static const char *fmt(struct buf *b, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	b->len = 0;
	b->data[0] = 0;
	format_v(buf_put, b, f, ap);
	va_end(ap);
	return b->data;
}

TEST_CASE(format_prints_signed_and_unsigned_integers)
{
	struct buf b;
	ASSERT_STR_EQ(fmt(&b, "%d %i %u", -42, 7, 3000000000u), "-42 7 3000000000");
	ASSERT_STR_EQ(fmt(&b, "%ld %lu", -9000000000l, 18446744073709551615ul),
		      "-9000000000 18446744073709551615");
	ASSERT_STR_EQ(fmt(&b, "%zu %lld", (size_t)12345, -1ll), "12345 -1");
}

TEST_CASE(format_prints_hex_pointers_chars_strings_and_percent)
{
	struct buf b;
	ASSERT_STR_EQ(fmt(&b, "%x %lx %X", 0xbeefu, 0x80200000ul, 0xabcu), "beef 80200000 ABC");
	ASSERT_STR_EQ(fmt(&b, "%p", (void *)0x80201000ul), "0x80201000");
	ASSERT_STR_EQ(fmt(&b, "%c%s%%", 'h', "eap"), "heap%");
	ASSERT_STR_EQ(fmt(&b, "%s", (char *)0), "(null)");
}

TEST_CASE(format_honours_width_and_zero_padding)
{
	struct buf b;
	ASSERT_STR_EQ(fmt(&b, "[%5d|%-5d|%05d]", 42, 42, -42), "[   42|42   |-0042]");
	ASSERT_STR_EQ(fmt(&b, "[%08lx|%4s|%-4s|%.2s]", 0xbeeful, "ab", "ab", "abcd"),
		      "[0000beef|  ab|ab  |ab]");
	ASSERT_STR_EQ(fmt(&b, "[%*d]", 4, 7), "[   7]");
}

TEST_CASE(format_returns_the_character_count)
{
	struct buf b;
	fmt(&b, "%d-%s", 1234, "xy");
	ASSERT_EQ(b.len, 7);
}

TEST_CASE(rdtime_advances)
{
	uint64_t t0 = rdtime();
	for (volatile int i = 0; i < 100000; i++)
		;
	ASSERT_GT(rdtime(), t0);
}

TEST_CASE(sbi_implements_the_system_reset_extension)
{
	ASSERT(sbi_probe_extension(SBI_EXT_SRST));
	ASSERT(!sbi_probe_extension(0x12345678));
}

TEST_CASE(semihosting_is_detected_when_qemu_enables_it)
{
	/* scripts/run-tests.sh boots test images with semihosting on */
	ASSERT(semihost_available());
}

TEST_CASE(stack_canaries_are_intact_in_a_healthy_kernel)
{
	ASSERT(stack_canaries_check());
}

TEST_CASE(memory_primitives_copy_move_and_compare)
{
	char a[32], b[32];
	memset(a, 'x', sizeof a);
	memcpy(b, a, sizeof b);
	ASSERT_MEM_EQ(a, b, sizeof a);
	memcpy(a, "0123456789", 10);
	memmove(a + 2, a, 8); /* overlapping, forwards */
	ASSERT_MEM_EQ(a, "0101234567", 10);
	ASSERT_LT(memcmp("abc", "abd", 3), 0);
	ASSERT_EQ(strlen("heap"), 4u);
}

TEST_CASE_SHOULD_PANIC(panic_in_an_expected_panic_test_passes)
{
	panic("panic_in_an_expected_panic_test_passes: deliberate");
}

TEST_CASE_SHOULD_PANIC(a_load_fault_is_reported_as_a_panic)
{
	volatile uint64_t *volatile bad = (volatile uint64_t *)0x8ull; /* no memory there */
	(void)*bad;
}

static unsigned after_each_runs;
static void count_after_each(void)
{
	after_each_runs++;
}

TEST_CASE(after_each_hook_runs_after_passing_tests)
{
	test_set_after_each(count_after_each);
	after_each_runs = 0;
}

TEST_CASE(after_each_hook_ran_for_the_previous_test)
{
	ASSERT_EQ(after_each_runs, 1u);
	test_set_after_each(0);
}

/* ---- stack guard and timer tick (kernel/stack.h, kernel/trap.h) ---- */

extern char __stack_guard_start[], __stack_guard_end[]; /* linker.ld */

TEST_CASE(stack_guard_is_the_unmapped_megapage_below_the_boot_stack)
{
	ASSERT_EQ((uintptr_t)__stack_guard_end - (uintptr_t)__stack_guard_start, 0x200000u);
	ASSERT_LE((uintptr_t)__stack_guard_end, (uintptr_t)__boot_stack_bottom);
	ASSERT_GT((uintptr_t)__stack_guard_start, (uintptr_t)__bss_end - 1);
	/* a page fault inside it is a stack overflow; other faults or addresses are not */
	ASSERT(stack_guard_hit(15, (uintptr_t)__stack_guard_end - 8));
	ASSERT(stack_guard_hit(13, (uintptr_t)__stack_guard_start));
	ASSERT(!stack_guard_hit(15, (uintptr_t)__stack_guard_end));
	ASSERT(!stack_guard_hit(7, (uintptr_t)__stack_guard_end - 8));
	ASSERT_EQ(csr_read(satp) >> 60, 8u); /* Sv39 is on */
}

static volatile int ticks_seen;
static void count_tick(const struct trap_frame *frame)
{
	(void)frame;
	ticks_seen++;
}

TEST_CASE(timer_tick_runs_every_period_until_stopped)
{
	const uint64_t period = TIMEBASE_HZ / 1000; /* 1 ms */
	ticks_seen = 0;
	trap_start_tick(period, count_tick);
	uint64_t t0 = rdtime(), elapsed;
	do /* three ticks, or give up after a second (a loaded host delays them) */
		elapsed = rdtime() - t0;
	while (ticks_seen < 3 && elapsed < TIMEBASE_HZ);
	trap_stop_tick();
	int seen = ticks_seen;
	ASSERT_GE(seen, 3);
	/* (no upper bound from the host's clock: QEMU delivers late ticks back to back
	 * when the host is loaded, so "not more often than the period" is not testable
	 * here without -icount) */
	t0 = rdtime();
	while (rdtime() - t0 < 5 * period)
		__asm__ volatile("" ::: "memory");
	ASSERT_EQ(ticks_seen, seen); /* stopped: no more ticks */
}
