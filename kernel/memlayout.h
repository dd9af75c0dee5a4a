/* memlayout.h - QEMU virt physical memory map and the symbols linker.ld exports.
 *
 *   0x00100000  test finisher (SiFive test device): exit QEMU with a status
 *   0x02000000  CLINT
 *   0x0c000000  PLIC
 *   0x10000000  UART0, ns16550a
 *   0x10001000  virtio-mmio
 *   0x80000000  DRAM: OpenSBI (0x80000000-0x801fffff), then this kernel
 *   0x80200000  kernel entry (_start), see linker.ld for the rest
 */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define VIRT_TEST_FINISHER 0x100000ul  /* 32-bit: (code << 16) | 0x3333 = fail, 0x5555 = pass */
#define VIRT_UART0 0x10000000ul         /* ns16550a registers, byte-wide */
#define KERNEL_BASE 0x80200000ul        /* where OpenSBI jumps to */

#ifndef __ASSEMBLER__
/* Defined in linker.ld. Use their addresses, never their values. */
extern char __kernel_start[], __kernel_end[];
extern char __bss_start[], __bss_end[];
extern char __boot_stack_bottom[], __boot_stack_top[];
extern char __trap_stack_bottom[], __trap_stack_top[];
extern char __heap_start[], __heap_end[];
#endif

#endif /* MEMLAYOUT_H */
