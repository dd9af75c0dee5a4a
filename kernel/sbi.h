/* sbi.h - calls into OpenSBI through the standard ecall interface. */
#ifndef SBI_H
#define SBI_H

#include <stdbool.h>
#include <stdint.h>

#define SBI_EXT_BASE 0x10          /* Base extension */
#define SBI_EXT_SRST 0x53525354    /* "SRST": System Reset extension */
#define SBI_EXT_LEGACY_SHUTDOWN 0x08 /* legacy (v0.1) shutdown */
#define SBI_EXT_TIME 0x54494d45    /* "TIME": Timer extension */

#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

struct sbiret {
	long error; /* 0 = success, negative SBI error code */
	long value;
};

struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2);

/* Whether OpenSBI implements extension ext (Base: probe_extension). */
bool sbi_probe_extension(uint64_t ext);

/* SRST system_reset(shutdown, reason). Returns only if the call failed. */
void sbi_srst_shutdown(bool failure);

/* TIME set_timer: a supervisor timer interrupt once rdtime() >= when (it also
 * clears the pending one). */
void sbi_set_timer(uint64_t when);

/* Legacy sbi_shutdown(). Returns only if unsupported. */
void sbi_legacy_shutdown(void);

#endif /* SBI_H */
