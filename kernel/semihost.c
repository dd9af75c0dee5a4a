/* semihost.c - RISC-V semihosting: a0 = operation, a1 = parameter block,
 * result in a0. The magic sequence (slli x0,x0,0x1f; ebreak; srai x0,x0,7)
 * must be uncompressed and on one page.
 *
 * When QEMU runs without -semihosting-config enable=on the ebreak is an
 * ordinary breakpoint: the trap handler below recognises our ebreak, skips
 * it, returns -1 and remembers that semihosting is absent.
 */
#include <stdint.h>

#include "kstring.h"
#include "semihost.h"
#include "trap.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_ERRNO 0x13

extern char semihost_ebreak[]; /* the ebreak inside semihost_call */

static enum { PROBE_NOT_YET, PROBE_PRESENT, PROBE_ABSENT } semihost_state;
static volatile int semihost_trapped; /* set by the breakpoint handler */

/* long semihost_call(long op, void *arg) */
__asm__(".section .text\n"
	".option push\n"
	".option norvc\n"
	".balign 16\n"
	".globl semihost_call\n"
	"semihost_call:\n"
	"	slli x0, x0, 0x1f\n"
	"semihost_ebreak:\n"
	"	ebreak\n"
	"	srai x0, x0, 7\n"
	"	ret\n"
	".option pop\n");
long semihost_call(long op, void *arg);

static bool semihost_breakpoint(struct trap_frame *frame, uint64_t stval)
{
	(void)stval;
	if (frame->sepc != (uint64_t)semihost_ebreak)
		return false;
	semihost_trapped = 1;
	frame->regs[9] = (uint64_t)-1; /* a0 (x10): the call failed */
	frame->sepc += 4;              /* resume at the srai after the ebreak */
	return true;
}

bool semihost_available(void)
{
	if (semihost_state == PROBE_NOT_YET) {
		trap_set_handler(SCAUSE_BREAKPOINT, semihost_breakpoint);
		semihost_trapped = 0;
		semihost_call(SYS_ERRNO, 0);
		semihost_state = semihost_trapped ? PROBE_ABSENT : PROBE_PRESENT;
	}
	return semihost_state == PROBE_PRESENT;
}

long semihost_open(const char *name, int mode)
{
	if (!semihost_available())
		return -1;
	uint64_t block[3] = {(uint64_t)name, (uint64_t)mode, strlen(name)};
	return semihost_call(SYS_OPEN, block);
}

long semihost_write(long handle, const void *buf, size_t len)
{
	if (!semihost_available())
		return (long)len;
	uint64_t block[3] = {(uint64_t)handle, (uint64_t)buf, len};
	return semihost_call(SYS_WRITE, block);
}

long semihost_close(long handle)
{
	if (!semihost_available())
		return -1;
	uint64_t block[1] = {(uint64_t)handle};
	return semihost_call(SYS_CLOSE, block);
}

void semihost_write0(const char *s)
{
	if (semihost_available())
		semihost_call(SYS_WRITE0, (void *)s);
}
