/* stack.c - stack overflow detection by canary words (see stack.h). */
#include <stdint.h>

#include "console.h"
#include "memlayout.h"
#include "stack.h"

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
