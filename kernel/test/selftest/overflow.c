/* selftest/overflow.c - deliberately failing image: a test runs off the bottom
 * of the boot stack (into the guard gap below it). Expected: "stack overflow:
 * boot stack canary ... overwritten", exit EXIT_STACK_OVERFLOW (5). */
#include <stdint.h>

#include "kstring.h"
#include "memlayout.h"
#include "test/test.h"

void kmain(unsigned long hartid, void *dtb);
void kmain(unsigned long hartid, void *dtb)
{
	(void)hartid, (void)dtb;
	test_main();
}

/* Writes a pattern from the stack pointer down to 256 bytes below the stack's bottom. */
static void __attribute__((noinline)) dig_below_stack(void)
{
	char here;
	uintptr_t low = (uintptr_t)__boot_stack_bottom - 256;
	uintptr_t high = (uintptr_t)&here - 1024; /* stay clear of our own frame */
	memset((void *)low, 0x77, high - low);
}

TEST_CASE(selftest_stack_overflow) { dig_below_stack(); }
