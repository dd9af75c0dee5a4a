/* semihost.h - RISC-V semihosting calls (QEMU -semihosting-config enable=on). */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the host answers semihosting calls. Probed once (a disabled
 * semihosting ebreak traps; the trap handler skips it and we fall back). */
bool semihost_available(void);

/* SYS_OPEN: mode 0 "r", 4 "w", 8 "a" (binary: +1). Returns handle or -1. */
long semihost_open(const char *name, int mode);
/* SYS_WRITE: returns bytes NOT written (0 = all). */
long semihost_write(long handle, const void *buf, size_t len);
long semihost_close(long handle);
/* SYS_WRITE0: a NUL-terminated string to the host's console/stderr. */
void semihost_write0(const char *s);

#endif /* SEMIHOST_H */
