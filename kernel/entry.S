/* entry.S - kernel entry from OpenSBI: park other harts, set up the stack,
 * clear .bss, plant the stack canaries, unmap the stack guard (paging on),
 * install the trap vector, call kmain.
 *
 * In: a0 = hart id, a1 = device tree address (S-mode, MMU off).
 * Symbols from linker.ld: __boot_stack_top, __bss_start, __bss_end.
 */
	.section .text.entry
	.globl _start
_start:
	/* Only hart 0 runs the kernel; any other hart parks for good. */
	bnez	a0, park

	/* gp is not used: linker.ld defines no __global_pointer$, so no
	 * gp-relative relaxation happens. */
	la	sp, __boot_stack_top
	mv	s0, zero	/* frame-pointer chain ends here */

	/* Keep a0/a1 for kmain in s1/s2 while clearing .bss. */
	mv	s1, a0
	mv	s2, a1
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	call	stack_canaries_plant
	call	stack_guard_init	/* kernel/stack.c: Sv39, guard unmapped */
	call	trap_init
	mv	a0, s1
	mv	a1, s2
	call	kmain
	/* kmain must not return; if it does, that is a panic. */
	call	kmain_returned

park:
	wfi
	j	park
