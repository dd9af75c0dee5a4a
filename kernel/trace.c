/* trace.c - the kernel's heap-event sink (see trace.h, docs/capture.md).
 *
 * One static sink: the buffer of encoded events, the encoder state mirrored
 * by the host decoder, and the counters END reports. The hot part (buffer
 * position, fast-path limit, encoder state) is trace_fast, which the
 * allocator's bound sink (heap_sink_alloc/free, kernel/heap.h) writes
 * directly with the encoder's shape functions (trace_wire.h); trace_hook is the
 * general path for every other event and for the cases the fast path
 * declines. A MISUSE event (kernel/kheap.c reports it right before a panic)
 * always finds room: the sink flushes for it even in deferred mode. Single hart;
 * the one interrupt is the timer tick (trace_tick below), which ships the
 * buffer only when it did not interrupt the sink itself, so nothing here needs
 * a lock; a flush writes whole UART lines (a tick may put them between two
 * halves of a console line, which the decoder allows).
 *
 * Call stacks (trace.depth=N > 0): every event with a caller carries a stack
 * id instead (the wire header says so); the stack is walked from the frame
 * the kheap API noted (kernel/unwind.h) and interned (kernel/stack_intern.h);
 * a stack the table did not hold is sent as a STACK record right before the
 * event. The allocator's calls then take stack_alloc/stack_free, reached from
 * the hot functions' slow branch, so depth 0's fast path does not change.
 */
#include "trace.h"

#include "console.h"
#include "exit.h"
#include "riscv.h"
#include "semihost.h"
#include "stack_intern.h"
#include "trace_wire.h"
#include "trap.h"
#include "uart.h"
#include "unwind.h"

#define UART_CHUNK 57 /* payload bytes per @@HT line: 76 base64 characters */

/* All sink state; one instance, because the kernel has one trace. */
static struct trace_sink {
	enum trace_channel channel; /* in use; TRACE_OFF before trace_start */
	bool deferred;
	bool instret;
	unsigned depth;          /* frames per call stack, 0: callers are return addresses */
	bool active;             /* events are recorded: a real channel, END not yet written */
	volatile bool shipping;  /* inside flush_buffer: the timer tick keeps out */
	long handle;             /* semihosting file */
	size_t cap;              /* usable buffer bytes */
	uint64_t pending_drops;  /* dropped since the last DROP event (their seqs are skipped) */
	uint64_t chunk;          /* next UART frame number */
	const struct heap *heap; /* for END's bytes in use */
	struct trace_stats stats;
	uint8_t buf[TRACE_BUF_MAX];
} sink;

/* The hot state of the bound sink (heap_sink_alloc/free below): position,
 * fast-path limit and encoder state; the next sequence number is
 * wire.next_seq + sink.pending_drops. The fast path runs while pos <= limit;
 * limit is 0 while it is off (not recording, instret on, a drop pending, call
 * stacks on), so one compare decides. With call stacks the same conditions
 * arm stack_limit instead, checked on the slow branch. */
static struct trace_fast {
	uint8_t *pos;           /* next free byte of the buffer */
	uintptr_t limit;        /* the fast path may run while pos <= limit; 0: off */
	uintptr_t stack_limit;  /* the same for the call-stack path (depth > 0) */
	struct wire_state wire; /* encoder state, mirrored by the host decoder */
} trace_fast = {.pos = sink.buf, .limit = 0, .stack_limit = 0};

#define TRACE_EMIT_U        4  /* log2(HEAP_MIN_ALIGN): the wire unit the fast path assumes */
#define TRACE_EMIT_MINBLOCK 16 /* HEAP_MIN_BLOCK: min_block the fast path assumes */
_Static_assert(HEAP_MIN_ALIGN == 1 << TRACE_EMIT_U, "the fast path's unit is the heap's alignment");
_Static_assert(HEAP_MIN_BLOCK == TRACE_EMIT_MINBLOCK, "the fast path's min_block is the heap's");

#define BUF_LEN() ((size_t)(trace_fast.pos - sink.buf))

/* Re-arms (or disarms) the fast path: it runs only while recording without
 * instret and without a pending drop, with the unit and min_block it assumes,
 * and while WIRE_FAST_MAX bytes fit. */
static void fast_refresh(void)
{
	const struct wire_state *w = &trace_fast.wire;
	bool on = sink.active && !sink.instret && !sink.pending_drops &&
	          w->unit_log2 == TRACE_EMIT_U && w->min_block == TRACE_EMIT_MINBLOCK;
	trace_fast.limit = on && !sink.depth ? (uintptr_t)(sink.buf + sink.cap - WIRE_FAST_MAX) : 0;
	trace_fast.stack_limit =
	    on && sink.depth ? (uintptr_t)(sink.buf + sink.cap - WIRE_FAST_MAX - WIRE_STACK_MAX) : 0;
}

const char *trace_channel_name(enum trace_channel ch)
{
	switch (ch) {
	case TRACE_OFF:
		return "off";
	case TRACE_SEMIHOSTING:
		return "semihosting";
	case TRACE_UART:
		return "uart";
	case TRACE_NULL:
		return "null";
	}
	return "?";
}

/* ---- channels ---------------------------------------------------------------- */

static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes buf[0..n) as @@HT lines, each one uart_write, so lines stay whole. */
static void uart_ship(const uint8_t *buf, size_t n)
{
	char line[16 + 24 + UART_CHUNK / 3 * 4 + 8 + 8];
	for (size_t off = 0; off < n; off += UART_CHUNK) {
		size_t k = n - off < UART_CHUNK ? n - off : UART_CHUNK;
		const uint8_t *p = buf + off;
		char *o = line;
		*o++ = '@', *o++ = '@', *o++ = 'H', *o++ = 'T', *o++ = ' ';
		char digits[24];
		int d = 0;
		uint64_t c = sink.chunk++;
		do
			digits[d++] = (char)('0' + c % 10);
		while ((c /= 10) != 0);
		while (d)
			*o++ = digits[--d];
		*o++ = ' ';
		for (size_t i = 0; i < k; i += 3) {
			uint32_t w = (uint32_t)p[i] << 16;
			if (i + 1 < k)
				w |= (uint32_t)p[i + 1] << 8;
			if (i + 2 < k)
				w |= p[i + 2];
			*o++ = b64_digits[w >> 18 & 63];
			*o++ = b64_digits[w >> 12 & 63];
			*o++ = i + 1 < k ? b64_digits[w >> 6 & 63] : '=';
			*o++ = i + 2 < k ? b64_digits[w & 63] : '=';
		}
		*o++ = ' ';
		uint16_t sum = wire_fletcher16(p, k);
		for (int s = 12; s >= 0; s -= 4)
			*o++ = "0123456789abcdef"[sum >> s & 15];
		*o++ = '\n';
		uart_write(line, (size_t)(o - line));
	}
}

/* SYS_WRITE left bytes unwritten: the host cannot store the trace (its disk
 * is full, the file was made unwritable). What reached the file is a readable
 * prefix without END, and the rest cannot be saved (the UART is not captured
 * on this channel), so say why and stop the run rather than trace in vain. */
static __attribute__((noreturn, cold)) void host_write_failed(size_t n, long unwritten)
{
	sink.active = false;
	trace_fast.limit = 0;
	kprintf("trace: the host could not write the trace file (%ld of %lu bytes not written: "
	        "disk full?); stopping with status %d\n",
	        unwritten, (unsigned long)n, EXIT_TRACE_LOST);
	semihost_close(sink.handle);
	kexit(EXIT_TRACE_LOST);
}

static void ship(const uint8_t *buf, size_t n)
{
	if (n == 0)
		return;
	if (sink.channel == TRACE_SEMIHOSTING) {
		/* one checked block (docs/trace-wire.md): its head, then the bytes */
		uint8_t head[WIRE_BLOCK_HEAD];
		wire_block_head(head, buf, n);
		long unwritten = semihost_write(sink.handle, head, sizeof head);
		if (unwritten == 0)
			unwritten = semihost_write(sink.handle, buf, n);
		if (unwritten != 0)
			host_write_failed(n, unwritten); /* does not return */
	} else if (sink.channel == TRACE_UART) {
		uart_ship(buf, n);
	}
	sink.stats.flushes++;
}

static void flush_buffer(void)
{
	sink.shipping = true; /* the tick must not ship the same bytes again */
	ship(sink.buf, BUF_LEN());
	sink.shipping = false;
	sink.stats.bytes += BUF_LEN(); /* bytes shipped; trace_get_stats adds the buffered ones */
	trace_fast.pos = sink.buf;
}

/* ---- events ------------------------------------------------------------------- */

static void stamp(struct heap_event *ev)
{
	ev->seq = trace_fast.wire.next_seq + sink.pending_drops;
	ev->time = rdtime();
	ev->instret = sink.instret ? rdinstret() : 0;
}

/* The last stack found for each caller (direct-mapped by the caller's
 * address): what its walk read and the id it got. When the words the walk
 * read still hold the same values, the stack is the same and so is its id: a
 * check of two words a frame instead of a walk, a hash and a compare. A memo
 * whose id the table gave to another stack since is emptied (stack_id_walk),
 * so a memo's id always still names its stack. */
#define MEMO_SLOTS 64
static struct stack_memo {
	uint32_t id; /* the stack's wire id, 0: empty */
	struct unwind_trail trail;
} __attribute__((aligned(1024))) memo[MEMO_SLOTS]; /* a power of two: cheap to index */

static inline struct stack_memo *memo_of(uintptr_t caller)
{
	return &memo[(caller >> 1) & (MEMO_SLOTS - 1)];
}

/* stack_id's miss: walks, interns, sends the STACK record if the table did
 * not hold the stack, remembers it in caller's memo (unless the walk did not
 * start from the note: then nothing says the stack is unchanged next time). */
static __attribute__((noinline)) uint32_t stack_id_walk(uintptr_t caller)
{
	struct stack_memo *m = memo_of(caller);
	struct wire_stack s;
	bool fresh;
	uint32_t evictions = stack_intern_epoch;
	s.depth = unwind_stack(caller, s.frames, sink.depth, &m->trail);
	s.id = stack_intern(s.frames, s.depth, &fresh);
	if (fresh)
		trace_fast.pos += wire_encode_stack(&trace_fast.wire, &s, trace_fast.pos);
	if (stack_intern_epoch != evictions) /* s evicted a stack: forget its id */
		for (unsigned i = 0; i < MEMO_SLOTS; i++)
			if (memo[i].id == s.id)
				memo[i].id = 0;
	m->id = m->trail.noted ? s.id : 0;
	return s.id;
}

/* The memo of caller if it still says caller's stack (its id is the
 * stack's), else NULL. */
static inline __attribute__((always_inline)) const struct stack_memo *stack_memo_hit(uintptr_t caller)
{
	const struct stack_memo *m = memo_of(caller);
	return m->id && unwind_trail_holds(&m->trail, caller) ? m : 0;
}

/* The wire stack id of the call stack of an event with caller (depth > 0),
 * sending its STACK record first if the table did not hold it. Needs
 * WIRE_STACK_MAX bytes of room. */
static uint32_t stack_id(uintptr_t caller)
{
	const struct stack_memo *m = stack_memo_hit(caller);
	return m ? m->id : stack_id_walk(caller);
}

/* Appends an already stamped event; the caller made room. */
static void append(const struct heap_event *ev)
{
	trace_fast.pos += wire_encode(&trace_fast.wire, ev, trace_fast.pos);
}

/* Writes the DROP event for events lost since the last one. Needs room. */
static void write_drop(void)
{
	if (!sink.pending_drops)
		return;
	struct heap_event ev = {0};
	ev.kind = HEAP_EV_DROP;
	ev.size = sink.pending_drops;
	stamp(&ev); /* seq = next_seq + count: the DROP covers the skipped ones */
	sink.pending_drops = 0;
	append(&ev);
}

/* The buffer is full: flush it, or (deferred mode) drop the event. Returns
 * whether the event can still be appended. */
static __attribute__((noinline)) bool make_room(void)
{
	if (sink.deferred) {
		sink.pending_drops++;
		sink.stats.dropped++;
		trace_fast.limit = 0; /* seqs are skipped now: the fast path must not run */
		return false;
	}
	flush_buffer();
	return true;
}

static void flush_now(void);

void trace_hook(void *ctx, struct heap_event *ev)
{
	(void)ctx;
	if (!sink.active)
		return;
	bool stack = sink.depth && heap_event_has_caller(ev->kind);
	size_t need = WIRE_EVENT_MAX + (stack ? WIRE_STACK_MAX : 0); /* the event and its stack */
	if (sink.cap - BUF_LEN() < need + WIRE_EVENT_MAX && ev->kind == HEAP_EV_MISUSE)
		flush_now(); /* the cause of the coming panic is never dropped, even deferred */
	else if (sink.cap - BUF_LEN() < need && !make_room())
		return;
	stamp(ev);
	if (stack)
		ev->caller = stack_id(ev->caller);
	append(ev);
	if (ev->kind == HEAP_EV_INIT)
		fast_refresh(); /* the unit and min_block the fast path assumes */
}

/* The allocator's bound sink (kernel/heap.h) is this one: a heap whose hook is
 * trace_hook hands its allocations and frees to heap_sink_alloc/free below. */
void heap_sink_hook(void *ctx, struct heap_event *ev) __attribute__((alias("trace_hook")));

/* The fast path is off (full buffer, pending drop, instret on): out of line
 * (noinline, cold), the allocator's own event builders, heap_events_alloc/free,
 * hand the events to trace_hook. */
static __attribute__((noinline, cold)) void *slow_alloc(uintptr_t s, size_t old_size, uintptr_t p,
                                                        size_t size, size_t bsize, size_t align,
                                                        uintptr_t caller, uint32_t examined)
{
	size_t rest = s + old_size - p - bsize;
	heap_events_alloc(trace_hook, 0, s, old_size, rest ? p + bsize : 0, rest, p, size, bsize,
	                  align, caller, examined);
	return (void *)p;
}

static __attribute__((noinline, cold)) enum heap_error
slow_free(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller, unsigned merged,
          uintptr_t merged_addr, size_t merged_size)
{
	heap_events_free(trace_hook, 0, p, size, bsize, align, caller, merged, merged_addr,
	                 merged_size);
	return HEAP_OK;
}

/* A shape the pair records do not take: the encoder's out-of-line forms,
 * reached by a tail call with the fields still in their registers, so that
 * the hot functions below need no return address saved; they read rdtime
 * again (the time of the call still). */
static __attribute__((noinline, cold)) void *
decline_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize, size_t align,
              uintptr_t caller, uint32_t examined)
{
	wire_encode_alloc_events(s, old_size, p, size, bsize, align, caller, examined,
	                         &trace_fast.wire, &trace_fast.pos, rdtime());
	return (void *)p;
}

static __attribute__((noinline, cold)) enum heap_error
decline_free(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller,
             unsigned merged, uintptr_t merged_addr, size_t merged_size)
{
	wire_encode_free_events(p, size, bsize, align, caller, merged, merged_addr, merged_size,
	                        &trace_fast.wire, &trace_fast.pos, rdtime());
	return HEAP_OK;
}

/* The hot functions (heap_sink_alloc/free, emit_alloc/free, and the
 * call-stack path's stack_alloc/free) are leaves (their only calls are tail
 * calls), so a frame pointer would give a backtrace nothing: it is omitted for
 * just these, which saves its set-up and tear-down on every allocator call;
 * the rest of the kernel keeps -fno-omit-frame-pointer (kernel/stack.c). */
#define TRACE_HOT __attribute__((optimize("omit-frame-pointer")))

/* The records of one allocator call while the fast path is armed: the pair
 * record, or the per-event records if it declines (decline_*). caller is a
 * return address, or with call stacks the stack's id. Their own functions,
 * reached by tail calls with the arguments still in their registers, so that
 * the hot functions' checks need no registers saved. */
TRACE_HOT static __attribute__((noinline)) void *
emit_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize, size_t align,
           uintptr_t caller, uint32_t examined)
{
	if (!wire_encode_alloc(&trace_fast.wire, &trace_fast.pos, rdtime(), TRACE_EMIT_U,
	                       TRACE_EMIT_MINBLOCK, s, old_size, p, size, bsize, align, caller,
	                       examined, false))
		return decline_alloc(s, old_size, p, size, bsize, align, caller, examined);
	return (void *)p;
}

TRACE_HOT static __attribute__((noinline)) enum heap_error
emit_free(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller, unsigned merged,
          uintptr_t merged_addr, size_t merged_size)
{
	if (!wire_encode_free(&trace_fast.wire, &trace_fast.pos, rdtime(), TRACE_EMIT_U,
	                      TRACE_EMIT_MINBLOCK, p, size, bsize, align, caller, merged,
	                      merged_addr, merged_size, false))
		return decline_free(p, size, bsize, align, caller, merged, merged_addr, merged_size);
	return HEAP_OK;
}

/* The allocator's calls with call stacks on (depth > 0; stack_limit armed),
 * reached from the hot functions' slow branch: the stack's id takes the
 * caller's place in emit_*. When the stack is the one last seen for this
 * caller (stack_memo_hit), stack_alloc and stack_free only check and
 * tail-call them (leaves, nothing saved); otherwise stack_*_walk finds the
 * id, sending its STACK record first if new. */
static __attribute__((noinline)) void *stack_alloc_walk(uintptr_t s, size_t old_size, uintptr_t p,
                                                        size_t size, size_t bsize, size_t align,
                                                        uintptr_t caller, uint32_t examined)
{
	uint32_t id = stack_id_walk(caller);
	return emit_alloc(s, old_size, p, size, bsize, align, id, examined);
}

static __attribute__((noinline)) enum heap_error
stack_free_walk(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller,
                unsigned merged, uintptr_t merged_addr, size_t merged_size)
{
	uint32_t id = stack_id_walk(caller);
	return emit_free(p, size, bsize, align, id, merged, merged_addr, merged_size);
}

TRACE_HOT static __attribute__((noinline)) void *
stack_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size, size_t bsize, size_t align,
            uintptr_t caller, uint32_t examined)
{
	const struct stack_memo *m = stack_memo_hit(caller);
	if (__builtin_expect(!m, 0))
		return stack_alloc_walk(s, old_size, p, size, bsize, align, caller, examined);
	return emit_alloc(s, old_size, p, size, bsize, align, m->id, examined);
}

TRACE_HOT static __attribute__((noinline)) enum heap_error
stack_free(uintptr_t p, size_t size, size_t bsize, size_t align, uintptr_t caller, unsigned merged,
           uintptr_t merged_addr, size_t merged_size)
{
	const struct stack_memo *m = stack_memo_hit(caller);
	if (__builtin_expect(!m, 0))
		return stack_free_walk(p, size, bsize, align, caller, merged, merged_addr, merged_size);
	return emit_free(p, size, bsize, align, m->id, merged, merged_addr, merged_size);
}

TRACE_HOT void *heap_sink_alloc(uintptr_t s, size_t old_size, uintptr_t p, size_t size,
                                 size_t bsize, size_t align, uintptr_t caller, uint32_t examined)
{
	if (__builtin_expect((uintptr_t)trace_fast.pos > trace_fast.limit, 0)) {
		if ((uintptr_t)trace_fast.pos <= trace_fast.stack_limit) /* call stacks on */
			return stack_alloc(s, old_size, p, size, bsize, align, caller, examined);
		return slow_alloc(s, old_size, p, size, bsize, align, caller, examined);
	}
	return emit_alloc(s, old_size, p, size, bsize, align, caller, examined);
}

TRACE_HOT enum heap_error heap_sink_free(uintptr_t p, size_t size, size_t bsize, size_t align,
                                          uintptr_t caller, unsigned merged,
                                          uintptr_t merged_addr, size_t merged_size)
{
	if (__builtin_expect((uintptr_t)trace_fast.pos > trace_fast.limit, 0)) {
		if ((uintptr_t)trace_fast.pos <= trace_fast.stack_limit) /* call stacks on */
			return stack_free(p, size, bsize, align, caller, merged, merged_addr,
			                  merged_size);
		return slow_free(p, size, bsize, align, caller, merged, merged_addr, merged_size);
	}
	return emit_free(p, size, bsize, align, caller, merged, merged_addr, merged_size);
}

/* Ships the buffer and writes the DROP event owed, whatever the mode. */
static void flush_now(void)
{
	if (!sink.active)
		return;
	flush_buffer();
	write_drop();
	fast_refresh();
}

void trace_flush(void)
{
	if (sink.deferred)
		flush_now();
}

/* linker.ld: the code of this file and of the wire encoder */
extern char __sink_text_start[], __sink_text_end[];

/* The periodic flush (normal mode): every flush_ms a timer tick ships what the
 * buffer holds, so a run that hangs or is killed loses at most the events of
 * the last period, and a spinning workload's last events reach the host. The
 * hot path pays nothing for it. The tick leaves the buffer alone when it
 * interrupted the sink (its code, or a flush in progress, which may be in the
 * channel's code): the next tick, or the next full buffer, ships it. */
static void trace_tick(const struct trap_frame *frame)
{
	uintptr_t pc = frame->sepc;
	if (!sink.active || sink.shipping || BUF_LEN() == 0 ||
	    (pc >= (uintptr_t)__sink_text_start && pc < (uintptr_t)__sink_text_end))
		return;
	flush_buffer();
}

void trace_set_heap(const struct heap *h)
{
	sink.heap = h;
}

void trace_finish(bool panicking)
{
	if (!sink.active)
		return;
	flush_now();
	struct heap_event ev = {0};
	ev.kind = HEAP_EV_END;
	ev.flags = panicking ? HEAP_END_PANIC : 0;
	stamp(&ev);
	ev.size = ev.seq + 1; /* every sequence number handed out, END included */
	ev.size2 = sink.stats.dropped;
	ev.block = sink.heap ? sink.heap->used : 0;
	append(&ev);
	flush_buffer();
	sink.active = false;
	fast_refresh();
	if (sink.channel == TRACE_SEMIHOSTING)
		semihost_close(sink.handle);
}

static void trace_exit_hook(int status, bool panicking)
{
	(void)status;
	trace_finish(panicking);
}

void trace_get_stats(struct trace_stats *out)
{
	*out = sink.stats;
	out->events = trace_fast.wire.next_seq + sink.pending_drops;
	out->bytes += BUF_LEN();
}

void *trace_ctx(void)
{
	return sink.channel == TRACE_OFF ? (void *)0 : (void *)&sink;
}

enum trace_channel trace_start(const struct trace_config *cfg)
{
	sink.channel = cfg->channel;
	sink.deferred = cfg->deferred;
	sink.instret = cfg->instret;
	sink.depth = cfg->stack_depth <= WIRE_STACK_DEPTH_MAX ? cfg->stack_depth : WIRE_STACK_DEPTH_MAX;
	sink.cap = cfg->buf_size < TRACE_BUF_MIN   ? TRACE_BUF_MIN
	           : cfg->buf_size > TRACE_BUF_MAX ? TRACE_BUF_MAX
	                                           : cfg->buf_size;
	if (sink.channel == TRACE_OFF || sink.channel == TRACE_NULL) {
		kprintf("trace: %s\n", sink.channel == TRACE_OFF
		                           ? "off"
		                           : "null (hook installed, events ignored)");
		return sink.channel;
	}
	const char *file = cfg->file && cfg->file[0] ? cfg->file : "trace.raw";
	if (sink.channel == TRACE_SEMIHOSTING) {
		if (!semihost_available()) {
			kprintf("trace: semihosting not enabled, falling back to the UART\n");
			sink.channel = TRACE_UART;
		} else if ((sink.handle = semihost_open(file, 5 /* "wb" */)) < 0) {
			kprintf("trace: cannot open host file %s, falling back to the UART\n",
			        file);
			sink.channel = TRACE_UART;
		}
	}
	wire_state_init(&trace_fast.wire, sink.instret);
	stack_intern_reset();
	for (unsigned i = 0; i < MEMO_SLOTS; i++)
		memo[i].id = 0; /* empty: never a hit */
	trace_fast.pos = sink.buf + wire_encode_header(sink.buf, TIMEBASE_HZ,
	                                               sink.instret ? WIRE_FLAG_INSTRET : 0,
	                                               sink.depth, cfg->workload);
	sink.active = true;
	fast_refresh();
	if (sink.channel == TRACE_SEMIHOSTING)
		kprintf("trace: semihosting -> %s, buffer %lu bytes%s%s", file,
		        (unsigned long)sink.cap, sink.deferred ? ", deferred" : "",
		        sink.instret ? ", instret" : "");
	else
		kprintf("trace: uart (framed lines), buffer %lu bytes%s%s",
		        (unsigned long)sink.cap, sink.deferred ? ", deferred" : "",
		        sink.instret ? ", instret" : "");
	if (sink.depth)
		kprintf(", call stacks of %u frames", sink.depth);
	kprintf("\n");
	exit_set_hook(trace_exit_hook);
	if (!sink.deferred && cfg->flush_ms)
		trap_start_tick(TIMEBASE_HZ / 1000 * cfg->flush_ms, trace_tick);
	return sink.channel;
}
