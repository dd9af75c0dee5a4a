/* main.c - the heapscope kernel: boot banner, then the table of contents of
 * start-up, one init call a line. entry.S calls kmain on hart 0.
 *
 * Boot arguments (QEMU -append, docs/capture.md):
 *   workload=NAME        sample workload to run (default churn; samples/registry.c)
 *   trace=semihosting|uart|off|null   trace channel (default semihosting, UART
 *                        fallback; null: hook installed, events ignored)
 *   trace.buf=BYTES      trace buffer size (default 32768)
 *   trace.defer=1        flush only at the workloads' flush points; drop when full
 *   trace.file=NAME      semihosting host file (default trace.raw)
 *   trace.instret=1      events carry the retired-instruction count
 *   trace.depth=N        call stacks of N frames (0..32; 0: the caller alone)
 *   trace.flush_ms=MS    normal mode: ship the buffer every MS ms (default 50; 0: when full)
 *   seed=N ops=N         workload parameters
 */
#include "bootargs.h"
#include "console.h"
#include "exit.h"
#include "kheap.h"
#include "kstring.h"
#include "memlayout.h"
#include "riscv.h"
#include "trace.h"
#include "trace_wire.h"
#include "../samples/workload.h"

void kmain(unsigned long hartid, void *dtb);

/* The trace configuration the boot arguments ask for. */
static void trace_config_from_bootargs(struct trace_config *cfg, const char *workload)
{
	const char *ch = bootargs_str("trace", "semihosting");
	cfg->channel = !strcmp(ch, "uart")                      ? TRACE_UART
	               : !strcmp(ch, "null")                    ? TRACE_NULL
	               : !strcmp(ch, "off") || !strcmp(ch, "0") ? TRACE_OFF
	                                                        : TRACE_SEMIHOSTING;
	if (cfg->channel == TRACE_SEMIHOSTING && strcmp(ch, "semihosting"))
		kprintf("boot: unknown trace=%s, using semihosting\n", ch);
	cfg->buf_size = bootargs_ulong("trace.buf", TRACE_BUF_DEFAULT);
	cfg->deferred = bootargs_bool("trace.defer", false);
	cfg->instret = bootargs_bool("trace.instret", false);
	unsigned long depth = bootargs_ulong("trace.depth", TRACE_DEPTH_DEFAULT);
	if (depth > WIRE_STACK_DEPTH_MAX) {
		kprintf("boot: trace.depth=%lu is more than %u frames, using %u\n", depth,
		        WIRE_STACK_DEPTH_MAX, WIRE_STACK_DEPTH_MAX);
		depth = WIRE_STACK_DEPTH_MAX;
	}
	cfg->stack_depth = (unsigned)depth;
	cfg->flush_ms = (unsigned)bootargs_ulong("trace.flush_ms", TRACE_FLUSH_MS_DEFAULT);
	cfg->file = bootargs_str("trace.file", "trace.raw");
	cfg->workload = workload;
}

/* The allocator policy policy= names (default first fit); an unknown name lists
 * the policies and ends the run. */
static enum heap_policy policy_from_bootargs(void)
{
	const char *name = bootargs_str("policy", "first");
	int p = heap_policy_from_name(name);
	if (p < 0) {
		kprintf("boot: no allocator policy \"%s\"; the policies are:", name);
		for (unsigned k = 0; k < HEAP_POLICY_COUNT; k++)
			kprintf(" %s", heap_policy_name(k));
		kprintf("\n");
		kexit(EXIT_WORKLOAD_FAILED);
	}
	return (enum heap_policy)p;
}

void kmain(unsigned long hartid, void *dtb)
{
	kprintf("heapscope kernel: hart %lu, device tree %p, heap %p..%p (%lu KiB)\n", hartid, dtb,
	        __heap_start, __heap_end, (unsigned long)(__heap_end - __heap_start) / 1024);
	bootargs_init(dtb); /* /chosen/bootargs */
	kprintf("boot: args \"%s\"\n", bootargs_line());

	const char *name = bootargs_str("workload", "churn");
	const struct workload *wl = workload_find(name); /* samples/registry.c */
	if (!wl) {
		kprintf("boot: no workload \"%s\"; the workloads are:\n", name);
		workload_list();
		kexit(EXIT_WORKLOAD_FAILED);
	}

	enum heap_policy policy = policy_from_bootargs(); /* before tracing: a bad one leaves no trace */

	struct trace_config cfg;
	trace_config_from_bootargs(&cfg, wl->name);
	enum trace_channel ch = trace_start(&cfg);                 /* channel, buffer, exit hook */
	kheap_init_policy(policy, ch != TRACE_OFF ? trace_hook : 0,
	                  trace_ctx()); /* the global heap, traced */
	trace_set_heap(kheap());                                   /* END reports bytes in use */

	kprintf("workload %s: start\n", wl->name);
	uint64_t i0 = rdinstret(), t0 = rdtime();
	int status = wl->run();
	uint64_t i1 = rdinstret(), t1 = rdtime();
	struct trace_stats ts;
	trace_get_stats(&ts);
	kprintf("workload %s: %s, instret %lu, time %lu us, trace %s: %lu events, %lu dropped, "
	        "%lu bytes\n",
	        wl->name, status == EXIT_OK ? "ok" : "FAILED", (unsigned long)(i1 - i0),
	        (unsigned long)((t1 - t0) * 1000000 / TIMEBASE_HZ), trace_channel_name(ch),
	        (unsigned long)ts.events, (unsigned long)ts.dropped, (unsigned long)ts.bytes);
	kexit(status); /* the exit hook writes END */
}
