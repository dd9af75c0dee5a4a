/* trap.h - S-mode traps: the saved register frame, cause names, handler hooks. */
#ifndef TRAP_H
#define TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Layout written by kernel/trapvec.S: x1..x31 in order (regs[0] = ra), then
 * sepc and sstatus. */
struct trap_frame {
	uint64_t regs[31]; /* x1 .. x31 */
	uint64_t sepc;     /* pc of the trapping instruction */
	uint64_t sstatus;  /* sstatus at the trap */
	uint64_t spare;    /* keeps the frame 16-byte aligned */
};

#define SCAUSE_BREAKPOINT 3ull /* ebreak: how a disabled semihosting call shows up */

/* Installs trap_vector in stvec. Called from entry.S before kmain. */
void trap_init(void);

/* Name of an scause value ("load access fault", "breakpoint"). */
const char *trap_cause_name(uint64_t scause);

/* A handler for one synchronous exception cause. Returns true if it dealt
 * with the trap (it may advance frame->sepc); false lets it panic. */
typedef bool (*trap_fn)(struct trap_frame *frame, uint64_t stval);
void trap_set_handler(uint64_t scause, trap_fn fn);

/* The periodic timer tick: fn(frame) is called every period rdtime ticks
 * (TIMEBASE_HZ a second) from the trap handler, with interrupts off, after it
 * has checked the stack canaries (a broken one panics). frame->sepc says what
 * was interrupted. Starting it enables supervisor interrupts; the tick is the
 * only interrupt the kernel takes. */
typedef void (*trap_tick_fn)(const struct trap_frame *frame);
void trap_start_tick(uint64_t period, trap_tick_fn fn);

/* Turns supervisor interrupts off for good (exit and panic paths). */
void trap_stop_tick(void);

/* Entered from trapvec.S with the saved frame. Every trap first checks the
 * stack canaries and panics if one is broken. */
void trap_handler(struct trap_frame *frame);

#endif /* TRAP_H */
