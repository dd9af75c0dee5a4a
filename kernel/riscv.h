/* riscv.h - CSR access and counters for S-mode. */
#ifndef RISCV_H
#define RISCV_H

#include <stdint.h>

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(val)))

/* 10 MHz timebase on QEMU virt. */
static inline uint64_t rdtime(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
/* Exact guest instruction count under -icount shift=0; host ticks otherwise. */
static inline uint64_t rdinstret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }

#define TIMEBASE_HZ 10000000ull /* rdtime ticks per second on QEMU virt */

#endif /* RISCV_H */
