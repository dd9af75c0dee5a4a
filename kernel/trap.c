/* trap.c - S-mode trap dispatch: decode scause, hand known causes to their
 * handler (semihosting's breakpoint probe), panic on everything else. */
#include <stddef.h>

#include "panic.h"
#include "riscv.h"
#include "trap.h"

#define SCAUSE_INTERRUPT (1ull << 63)
#define EXCEPTION_CAUSES 16

extern char trap_vector[]; /* kernel/trapvec.S */

static trap_fn handlers[EXCEPTION_CAUSES];

void trap_init(void)
{
	csr_write(stvec, (uint64_t)trap_vector); /* direct mode: low bits 0 */
}

void trap_set_handler(uint64_t scause, trap_fn fn)
{
	if (scause < EXCEPTION_CAUSES)
		handlers[scause] = fn;
}

const char *trap_cause_name(uint64_t scause)
{
	static const char *const exceptions[EXCEPTION_CAUSES] = {
		"instruction address misaligned", "instruction access fault",
		"illegal instruction", "breakpoint", "load address misaligned",
		"load access fault", "store/AMO address misaligned", "store/AMO access fault",
		"environment call from U-mode", "environment call from S-mode", "reserved (10)",
		"reserved (11)", "instruction page fault", "load page fault", "reserved (14)",
		"store/AMO page fault",
	};
	static const char *const interrupts[] = {
		"user software interrupt", "supervisor software interrupt", "reserved interrupt",
		"machine software interrupt", "user timer interrupt", "supervisor timer interrupt",
		"reserved interrupt", "machine timer interrupt", "user external interrupt",
		"supervisor external interrupt",
	};
	if (scause & SCAUSE_INTERRUPT) {
		uint64_t code = scause & ~SCAUSE_INTERRUPT;
		return code < sizeof interrupts / sizeof interrupts[0] ? interrupts[code]
								       : "unknown interrupt";
	}
	return scause < EXCEPTION_CAUSES ? exceptions[scause] : "unknown exception";
}

void trap_handler(struct trap_frame *frame)
{
	uint64_t scause = csr_read(scause);
	uint64_t stval = csr_read(stval);
	if (!(scause & SCAUSE_INTERRUPT) && scause < EXCEPTION_CAUSES && handlers[scause] &&
	    handlers[scause](frame, stval))
		return;
	panic_trap(frame, scause, stval);
}
