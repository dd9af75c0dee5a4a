/* stack.c - stack overflow detection (see stack.h): canary words, and the
 * unmapped guard megapage below the boot stack.
 *
 * The guard needs paging (S-mode cannot set PMP): an Sv39 identity map,
 *
 *   pt_root[i]  i = 0..255: 1 GiB leaves, va = pa (devices, RAM above 3 GiB)
 *   pt_root[2]  0x80000000..0xbfffffff: pt_ram, 512 leaves of 2 MiB,
 *               all va = pa but the one holding the guard: invalid
 *
 * so every address behaves as without paging (a missing device is still an
 * access fault) except the guard, where any access is a page fault.
 */
#include <stdint.h>

#include "console.h"
#include "memlayout.h"
#include "riscv.h"
#include "stack.h"

/* linker.ld: the unmapped megapage below the boot stack */
extern char __stack_guard_start[], __stack_guard_end[];

#define PTE_V    (1ull << 0)
#define PTE_RWX  (7ull << 1)
#define PTE_AD   (3ull << 6) /* accessed, dirty: set, so no fault is taken to set them */
#define PTE_LEAF(pa) ((((uint64_t)(pa) >> 12) << 10) | PTE_AD | PTE_RWX | PTE_V)
#define PTE_TABLE(t) ((((uint64_t)(uintptr_t)(t) >> 12) << 10) | PTE_V)
#define GIGA     (1ull << 30)
#define MEGA2    (1ull << 21)
#define RAM_GIGA 2 /* pt_root index of 0x80000000 */

#define SCAUSE_INSTRUCTION_PAGE_FAULT 12
#define SCAUSE_LOAD_PAGE_FAULT        13
#define SCAUSE_STORE_PAGE_FAULT       15

static uint64_t pt_root[512] __attribute__((aligned(4096)));
static uint64_t pt_ram[512] __attribute__((aligned(4096)));

static bool canary_intact(const char *bottom)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(const void *)bottom;
	for (int i = 0; i < STACK_CANARY_WORDS; i++)
		if (w[i] != STACK_CANARY)
			return false;
	return true;
}

static void canary_plant(char *bottom)
{
	volatile uint64_t *w = (volatile uint64_t *)(void *)bottom;
	for (int i = 0; i < STACK_CANARY_WORDS; i++)
		w[i] = STACK_CANARY;
}

void stack_canaries_plant(void)
{
	canary_plant(__boot_stack_bottom);
	canary_plant(__trap_stack_bottom);
}

bool stack_canaries_intact(void)
{
	return canary_intact(__boot_stack_bottom) && canary_intact(__trap_stack_bottom);
}

bool stack_canaries_check(void)
{
	bool ok = true;
	if (!canary_intact(__boot_stack_bottom)) {
		kprintf("stack overflow: boot stack canary at %p overwritten\n", __boot_stack_bottom);
		ok = false;
	}
	if (!canary_intact(__trap_stack_bottom)) {
		kprintf("stack overflow: trap stack canary at %p overwritten\n", __trap_stack_bottom);
		ok = false;
	}
	return ok;
}

void stack_guard_init(void)
{
	uint64_t guard = (uintptr_t)__stack_guard_start, guard_end = (uintptr_t)__stack_guard_end;
	for (uint64_t i = 0; i < 256; i++)
		pt_root[i] = PTE_LEAF(i * GIGA);
	for (uint64_t j = 0; j < 512; j++) {
		uint64_t pa = RAM_GIGA * GIGA + j * MEGA2;
		pt_ram[j] = pa >= guard && pa < guard_end ? 0 : PTE_LEAF(pa);
	}
	pt_root[RAM_GIGA] = PTE_TABLE(pt_ram);
	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, SATP_SV39 | (uintptr_t)pt_root >> 12);
	__asm__ volatile("sfence.vma" ::: "memory");
}

bool stack_guard_hit(uint64_t scause, uint64_t stval)
{
	bool page_fault = scause == SCAUSE_INSTRUCTION_PAGE_FAULT ||
	                  scause == SCAUSE_LOAD_PAGE_FAULT || scause == SCAUSE_STORE_PAGE_FAULT;
	return page_fault && stval >= (uintptr_t)__stack_guard_start &&
	       stval < (uintptr_t)__stack_guard_end;
}
