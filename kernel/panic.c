/* panic.c - fatal errors: say what and where, check the stacks, flush the
 * trace (through the exit hook) and leave QEMU with a failure status. */
#include <stdarg.h>
#include <stdbool.h>

#include "console.h"
#include "exit.h"
#include "panic.h"
#include "riscv.h"
#include "stack.h"
#include "trap.h"

static kjmp_buf *panic_catcher; /* set by the test runner around each test */
static bool panicking;          /* a panic while panicking exits at once */

void panic_set_catcher(kjmp_buf *env)
{
	panic_catcher = env;
}

static void __attribute__((noreturn)) panic_finish(int status)
{
	if (!stack_canaries_check())
		status = EXIT_STACK_OVERFLOW;
	if (panic_catcher) {
		kjmp_buf *env = panic_catcher;
		panic_catcher = 0;
		panicking = false;
		klongjmp(*env, status);
	}
	kexit_panicking(status);
}

static void panic_enter(void)
{
	csr_clear(sstatus, SSTATUS_SIE); /* no timer tick from here on */
	if (panicking) {
		kputs("panic: nested panic, exiting");
		kexit(EXIT_PANIC); /* no hook: it may be what panicked */
	}
	panicking = true;
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	panic_enter();
	kprintf("\npanic: ");
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n  at %s:%d\n", file, line);
	panic_finish(EXIT_PANIC);
}

void panic_trap(const struct trap_frame *frame, uint64_t scause, uint64_t stval)
{
	panic_enter();
	if (stack_guard_hit(scause, stval)) {
		kprintf("\npanic: stack overflow: %s at 0x%lx, in the guard below the boot stack\n"
			"  sepc 0x%lx ra 0x%lx sp 0x%lx\n",
			trap_cause_name(scause), stval, frame->sepc, frame->regs[0], frame->regs[1]);
		panic_finish(EXIT_STACK_OVERFLOW);
	}
	kprintf("\npanic: unexpected trap: %s (scause 0x%lx)\n"
		"  sepc 0x%lx stval 0x%lx ra 0x%lx sp 0x%lx\n",
		trap_cause_name(scause), scause, frame->sepc, stval, frame->regs[0], frame->regs[1]);
	panic_finish(EXIT_TRAP);
}

/* entry.S calls this if kmain ever returns. */
void kmain_returned(void);
void kmain_returned(void)
{
	panic("kmain_returned: kmain must end with kexit()");
}
