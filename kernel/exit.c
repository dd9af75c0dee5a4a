/* exit.c - leaving QEMU with a status.
 *
 * Success: SBI SRST shutdown (reason none) makes QEMU exit 0.
 * Failure: SRST cannot carry a code through QEMU (OpenSBI 1.1 reports a
 * system failure as a bare 0x3333 to the finisher, which QEMU maps to 0), so
 * a failing kernel stores (status << 16) | 0x3333 to the virt test finisher
 * itself, and keeps SRST with reason "system failure" as the fallback.
 * See ../shared/PLATFORM.md, "Leaving QEMU with a status".
 */
#include <stdint.h>

#include "exit.h"
#include "memlayout.h"
#include "riscv.h"
#include "sbi.h"

#define FINISHER_FAIL 0x3333 /* low half of a failing finisher write */
#define FINISHER_PASS 0x5555

static exit_hook_fn exit_hook;

void exit_set_hook(exit_hook_fn fn)
{
	exit_hook = fn;
}

static void __attribute__((noreturn)) exit_now(int status, bool panicking)
{
	csr_clear(sstatus, SSTATUS_SIE); /* no timer tick (trace flush) while leaving */
	exit_hook_fn hook = exit_hook;
	exit_hook = 0; /* a fault inside the hook must not run it again */
	if (hook)
		hook(status, panicking);

	volatile uint32_t *finisher = (volatile uint32_t *)VIRT_TEST_FINISHER;
	if (status != EXIT_OK) {
		*finisher = ((uint32_t)(status & 0xff) << 16) | FINISHER_FAIL;
		sbi_srst_shutdown(true);
	} else {
		if (sbi_probe_extension(SBI_EXT_SRST))
			sbi_srst_shutdown(false);
		*finisher = FINISHER_PASS;
	}
	sbi_legacy_shutdown();
	for (;;)
		__asm__ volatile("wfi");
}

void kexit(int status)
{
	exit_now(status, false);
}

void kexit_panicking(int status)
{
	exit_now(status, true);
}
