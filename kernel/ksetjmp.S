/* ksetjmp.S - setjmp/longjmp for the kernel: the test runner returns to its
 * loop through these when a test fails, panics or traps.
 * kjmp_buf (kernel/ksetjmp.h) holds ra, sp, s0..s11: 14 doublewords.
 */
	.section .text
	.globl ksetjmp
ksetjmp:
	sd	ra, 0*8(a0)
	sd	sp, 1*8(a0)
	sd	s0, 2*8(a0)
	sd	s1, 3*8(a0)
	sd	s2, 4*8(a0)
	sd	s3, 5*8(a0)
	sd	s4, 6*8(a0)
	sd	s5, 7*8(a0)
	sd	s6, 8*8(a0)
	sd	s7, 9*8(a0)
	sd	s8, 10*8(a0)
	sd	s9, 11*8(a0)
	sd	s10, 12*8(a0)
	sd	s11, 13*8(a0)
	li	a0, 0
	ret

	.globl klongjmp
klongjmp:
	ld	ra, 0*8(a0)
	ld	sp, 1*8(a0)
	ld	s0, 2*8(a0)
	ld	s1, 3*8(a0)
	ld	s2, 4*8(a0)
	ld	s3, 5*8(a0)
	ld	s4, 6*8(a0)
	ld	s5, 7*8(a0)
	ld	s6, 8*8(a0)
	ld	s7, 9*8(a0)
	ld	s8, 10*8(a0)
	ld	s9, 11*8(a0)
	ld	s10, 12*8(a0)
	ld	s11, 13*8(a0)
	/* setjmp must see a non-zero value */
	seqz	t0, a1
	add	a0, a1, t0
	ret
