/* sbi.c - SBI ecalls: a7 = extension id, a6 = function id, a0.. = arguments;
 * a0 = error, a1 = value on return. */
#include "sbi.h"

struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t r_a0 __asm__("a0") = a0;
	register uint64_t r_a1 __asm__("a1") = a1;
	register uint64_t r_a2 __asm__("a2") = a2;
	register uint64_t r_a6 __asm__("a6") = fid;
	register uint64_t r_a7 __asm__("a7") = ext;
	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a2), "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (struct sbiret){(long)r_a0, (long)r_a1};
}

bool sbi_probe_extension(uint64_t ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3 /* probe_extension */, ext, 0, 0);
	return r.error == 0 && r.value != 0;
}

void sbi_srst_shutdown(bool failure)
{
	sbi_call(SBI_EXT_SRST, 0 /* system_reset */, SBI_SRST_TYPE_SHUTDOWN,
		 failure ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE, 0);
}

void sbi_set_timer(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, 0 /* set_timer */, when, 0, 0);
}

void sbi_legacy_shutdown(void)
{
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
}
