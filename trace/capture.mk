# trace/capture.mk - the capture side of heap tracing: the kernel's trace sink,
# boot arguments and sample workloads, `heaptrace decode`, their tests and
# benchmarks, and `make trace`.

CAPTURE_TEST_RUNNER := kernel/test/host/host_runner.c

# every kernel image traces; only the main kernel has the workloads
KLIB_SRCS += kernel/trace.c kernel/trace_wire.c
KERNEL_MAIN_SRCS += kernel/bootargs.c $(sort $(wildcard samples/*.c))
# the kernel's heap.c binds the sink's inline encoder (kernel/trace_emit.h);
# host builds of heap.c keep the struct heap_event hook only
$(BUILD)/kernel/kernel/heap.o: KCFLAGS += -DHEAP_BOUND_SINK

$(eval $(call host_program,test_wire,trace/test/test_wire.c kernel/trace_wire.c kernel/heap.c $(CAPTURE_TEST_RUNNER),))
HOST_TESTS += test_wire

HEAPTRACE_SRCS += trace/cmd_decode.c trace/symbolize.c trace/uart_frames.c kernel/trace_wire.c

# ---- make trace --------------------------------------------------------------
# make trace [WORKLOAD=churn] [CHANNEL=semihosting|uart] [OUT=trace.jsonl]
#            [TRACE_ARGS="trace.instret=1 seed=7"] [ICOUNT=1]
TRACE_ARGS ?=
# After the capture, the heap map is rendered with no display to TRACE_PNG
# (default: OUT with .png), at the first failed allocation if there is one,
# else at the peak; TRACE_PNG= skips it. make's status stays the capture's.
TRACE_PNG ?= $(basename $(OUT)).png
trace: $(KERNEL_ELF) $(BUILD)/host/bin/heaptrace $(BUILD)/host/bin/heapviz
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" ICOUNT=$(ICOUNT) \
	  trace/capture.sh $(KERNEL_ELF) $(BUILD)/host/bin/heaptrace $(WORKLOAD) $(CHANNEL) $(OUT) $(TRACE_ARGS); \
	status=$$?; \
	if [ -n "$(strip $(TRACE_PNG))" ] && [ -s "$(OUT)" ]; then \
	  echo "== trace: heap map -> $(TRACE_PNG)  (interactive: $(BUILD)/host/bin/heapviz $(OUT))"; \
	  SDL_VIDEODRIVER=offscreen $(BUILD)/host/bin/heapviz --snapshot $(TRACE_PNG) --at first-fail $(OUT) 2>/dev/null || \
	  SDL_VIDEODRIVER=offscreen $(BUILD)/host/bin/heapviz --snapshot $(TRACE_PNG) --at peak $(OUT) || \
	  echo "== trace: could not render the heap map"; \
	fi; \
	exit $$status

SCRIPT_TESTS += trace/test/capture_test.sh

BENCHES += trace/bench/wire_bytes.sh trace/bench/throughput.sh trace/bench/overhead.sh

# make record-samples: re-record the small example traces in samples/
.PHONY: record-samples
record-samples: $(KERNEL_ELF) $(BUILD)/host/bin/heaptrace
	@BUILD=$(BUILD) trace/record_samples.sh

$(eval $(call host_program,test_capture_parts,trace/test/test_capture_parts.c trace/uart_frames.c \
	kernel/bootargs.c kernel/trace_wire.c $(CAPTURE_TEST_RUNNER),))
HOST_TESTS += test_capture_parts
