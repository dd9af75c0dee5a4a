/* trap.c - S-mode trap dispatch: check the stack canaries, run the timer
 * tick, hand known exception causes to their handler (semihosting's
 * breakpoint probe), panic on everything else. */
#include <stddef.h>

#include "panic.h"
#include "riscv.h"
#include "sbi.h"
#include "stack.h"
#include "trap.h"

#define SCAUSE_INTERRUPT (1ull << 63)
#define EXCEPTION_CAUSES 16
#define IRQ_S_TIMER 5 /* scause code of the supervisor timer interrupt */


extern char trap_vector[]; /* kernel/trapvec.S */

static trap_fn handlers[EXCEPTION_CAUSES];
static trap_tick_fn tick_fn;
static uint64_t tick_period; /* rdtime ticks between timer interrupts */

void trap_init(void)
{
	csr_write(stvec, (uint64_t)trap_vector); /* direct mode: low bits 0 */
}

void trap_set_handler(uint64_t scause, trap_fn fn)
{
	if (scause < EXCEPTION_CAUSES)
		handlers[scause] = fn;
}

void trap_start_tick(uint64_t period, trap_tick_fn fn)
{
	tick_fn = fn;
	tick_period = period;
	sbi_set_timer(rdtime() + period);
	csr_set(sie, SIE_STIE);
	csr_set(sstatus, SSTATUS_SIE);
}

void trap_stop_tick(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
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
	if (stack_guard_hit(scause, stval))
		panic_trap(frame, scause, stval); /* a stack overflow, caught by the guard */
	if (!stack_canaries_intact())
		panic("trap_handler: stack overflow found at a trap (%s, sepc 0x%lx)",
		      trap_cause_name(scause), frame->sepc);
	if (scause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
		sbi_set_timer(rdtime() + tick_period); /* also clears the pending interrupt */
		if (tick_fn)
			tick_fn(frame);
		return;
	}
	if (!(scause & SCAUSE_INTERRUPT) && scause < EXCEPTION_CAUSES && handlers[scause] &&
	    handlers[scause](frame, stval))
		return;
	panic_trap(frame, scause, stval);
}
