/* riscv.h - CSR access and counters for S-mode. */
#ifndef RISCV_H
#define RISCV_H

#include <stdint.h>

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(val)))
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(bits)))
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(bits)))

#define SSTATUS_SIE (1ull << 1) /* supervisor interrupts enabled */
#define SIE_STIE (1ull << 5)    /* supervisor timer interrupt enabled */
#define SATP_SV39 (8ull << 60)  /* satp MODE field: Sv39 paging */

/* 10 MHz timebase on QEMU virt. */
static inline uint64_t rdtime(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
/* Exact guest instruction count under -icount shift=0; host ticks otherwise. */
static inline uint64_t rdinstret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }

#define TIMEBASE_HZ 10000000ull /* rdtime ticks per second on QEMU virt */

#endif /* RISCV_H */
