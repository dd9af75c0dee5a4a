/* main.c - the heapscope kernel: boot banner, then the table of contents of
 * start-up, one init call a line. entry.S calls kmain on hart 0. */
#include "console.h"
#include "exit.h"
#include "memlayout.h"

void kmain(unsigned long hartid, void *dtb);

void kmain(unsigned long hartid, void *dtb)
{
	kprintf("heapscope kernel: hart %lu, device tree %p, heap %p..%p (%lu KiB)\n", hartid, dtb,
		__heap_start, __heap_end, (unsigned long)(__heap_end - __heap_start) / 1024);
	kexit(EXIT_OK);
}
