/* heap_fixture.h - what the host tests of the allocator share: the heap under
 * test (H), a trace hook that records its events, and CHECK(), which runs
 * heap_check and fails the test on any broken invariant. Each test file
 * includes it once and provides its own 4096-aligned arena. */
#ifndef HEAP_FIXTURE_H
#define HEAP_FIXTURE_H

#include <stdint.h>

#include "heap.h"
#include "test/test.h"

static struct heap H;

#define EV_MAX 64 /* events kept by record(); ev_count counts them all */
static struct heap_event ev[EV_MAX];
static size_t ev_count;

/* A heap_trace_fn: keeps the first EV_MAX events, counts every one. */
static void record(void *ctx, struct heap_event *e)
{
	(void)ctx;
	if (ev_count < EV_MAX)
		ev[ev_count] = *e;
	ev_count++;
}

static inline void ev_reset(void)
{
	ev_count = 0;
}

#define CHECK()                                                                           \
	do {                                                                              \
		uintptr_t bad_ = 0;                                                       \
		enum heap_error e_ = heap_check(&H, &bad_);                               \
		ASSERT_MSG(e_ == HEAP_OK, "heap_check: %s at offset 0x%lx", heap_error_name(e_), \
			   (unsigned long)(bad_ - H.base));                               \
	} while (0)

#endif /* HEAP_FIXTURE_H */
