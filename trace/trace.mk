# trace/trace.mk - the host side of tracing: libheapscope.a (the host library
# shared by heaptrace, heapviz and the tests), libhosttest.a (the test runner and
# trace generator), the heaptrace program, its tests and benchmarks, and the
# `make trace` and `make diff` targets.

# ---- the host library ---------------------------------------------------------
# Every trace/*.c but the program's entry point and its subcommands, plus the
# pieces shared with the kernel: the allocator core (heap.c, compiled by both
# compilers), its malloc layer, the wire codec and boot-argument parsing.
HOSTLIB_SRCS := $(filter-out trace/heaptrace.c trace/cmd_%.c,$(sort $(wildcard trace/*.c))) \
                kernel/heap.c kernel/heap_malloc.c kernel/trace_wire.c kernel/bootargs.c
$(eval $(call host_library,libheapscope.a,$(HOSTLIB_SRCS)))

# For tests: the host runner of kernel/test/test.h (it has main) and the trace
# generator (traces from the real allocator core).
HOSTTEST_SRCS := kernel/test/host/host_runner.c trace/test/tracegen.c
$(eval $(call host_library,libhosttest.a,$(HOSTTEST_SRCS)))

# ---- heaptrace ------------------------------------------------------------------
# The subcommands register themselves in a linker section (trace/commands.h), so
# they are linked as objects, not pulled from an archive.
HEAPTRACE_SRCS := trace/heaptrace.c $(sort $(wildcard trace/cmd_*.c))
$(eval $(call host_program,heaptrace,$(HEAPTRACE_SRCS),libheapscope.a,$(CJSON_LIBS)))

# ---- tests --------------------------------------------------------------------------
TRACE_TEST_LIBS := libhosttest.a libheapscope.a
$(eval $(call host_program,test_wire,trace/test/test_wire.c,$(TRACE_TEST_LIBS),))
$(eval $(call host_program,test_capture_parts,trace/test/test_capture_parts.c,$(TRACE_TEST_LIBS),))
$(eval $(call host_program,test_trace_reader,trace/test/test_trace_reader.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
$(eval $(call host_program,test_heap_model,trace/test/test_heap_model.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
$(eval $(call host_program,test_event_pipe,trace/test/test_event_pipe.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
$(eval $(call host_program,test_diff,trace/test/test_diff.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
$(eval $(call host_program,test_u64_map,trace/test/test_u64_map.c,$(TRACE_TEST_LIBS),))
$(eval $(call host_program,test_trace_schema,trace/test/test_trace_schema.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
HOST_TESTS += test_wire test_capture_parts test_trace_reader test_heap_model test_event_pipe test_diff \
              test_u64_map test_trace_schema

# gen_trace: JSON traces from the real allocator core, for the script tests (stats,
# check, diff, export, the viewer's) and the benchmarks
$(eval $(call host_program,gen_trace,trace/test/gen_trace.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))
# gen_raw_stacks: raw captures with call stacks, as the kernel's sink writes them (decode's tests)
$(eval $(call host_program,gen_raw_stacks,trace/test/gen_raw_stacks.c,$(TRACE_TEST_LIBS),$(CJSON_LIBS)))

SCRIPT_TESTS += trace/test/capture_test.sh trace/test/test_stats.sh trace/test/test_check.sh \
                trace/test/diff_test.sh trace/test/export_test.sh trace/test/hardening_test.sh
# every tool's verdict on self-contradicting traces, and the table of it in docs/heaptrace.md
SCRIPT_TESTS += trace/test/bad_input_test.sh trace/test/block_flip_test.sh trace/test/policy_test.sh \
                trace/test/replay_test.sh
# decode of captures with call stacks (gen_raw_stacks), symbolised against the kernel ELF
SCRIPT_TESTS += trace/test/decode_stacks_test.sh
# faults during a capture (kills, hangs, panics, full disks, Ctrl-C): trace/test/fault_test.sh
SCRIPT_TESTS += trace/test/fault_test.sh

# ---- make trace -----------------------------------------------------------------------
# make trace [WORKLOAD=churn] [POLICY=first|next|best|segregated] [DEPTH=N] [CHANNEL=semihosting|uart] [OUT=trace.jsonl]
#            [TRACE_ARGS="trace.instret=1 seed=7"] [ICOUNT=1] [TRACE_PNG=file.png]
# Captures (trace/capture.sh: boot, decode alongside QEMU, stats), then renders
# the heap map with no display to TRACE_PNG (default: OUT with .png; TRACE_PNG=
# skips it): at the panic if the run panicked, else at the first failed
# allocation, else at the peak. OUT and TRACE_PNG are removed first, so a failed
# capture leaves nothing that looks fresh; make's status is the capture's.
TRACE_PNG ?= $(basename $(OUT)).png
# heapviz --at takes the first of these points the trace has, in one load
TRACE_PNG_AT := panic,first-fail,peak
trace: $(KERNEL_ELF) $(HEAPTRACE) $(HEAPVIZ)
	@png="$(strip $(TRACE_PNG))"; [ -z "$$png" ] || rm -f "$$png"; \
	BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" ICOUNT=$(ICOUNT) \
	  trace/capture.sh $(KERNEL_ELF) $(HEAPTRACE) "$(WORKLOAD)" "$(CHANNEL)" "$(OUT)" \
	  $(if $(POLICY),policy=$(POLICY)) $(DEPTH_ARG) $(TRACE_ARGS) \
	  && status=0 || status=$$?; \
	if [ -n "$$png" ] && [ -s "$(OUT)" ]; then \
	  if at=$$(SDL_VIDEODRIVER=offscreen $(HEAPVIZ) --snapshot "$$png" --at $(TRACE_PNG_AT) \
	           "$(OUT)" 2>$(BUILD)/trace-png.err); then \
	    at=$${at#*: at }; \
	    echo "== trace: heap map at the $${at%%,*} -> $$png  (interactive: $(HEAPVIZ) $(OUT))"; \
	  else \
	    rc=$$?; cat $(BUILD)/trace-png.err >&2; rm -f "$$png"; \
	    echo "== trace: could not render the heap map (heapviz exit $$rc)" >&2; \
	    [ $$status != 0 ] || status=3; \
	  fi; \
	fi; \
	exit $$status

# ---- make diff ----------------------------------------------------------------------------
# make diff A=BASE B=NEW [DIFF_FLAGS="--max-peak-growth 5%"]
DIFF_FLAGS ?=
diff: $(HEAPTRACE)
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
	  echo "usage: make diff A=BASE.jsonl B=NEW.jsonl [DIFF_FLAGS='--max-peak-growth 5% ...']" >&2; \
	  exit 2; fi
	$(HEAPTRACE) diff $(DIFF_FLAGS) $(A) $(B)

# ---- benchmarks (scripts/bench.sh runs them) ----------------------------------------------

# ---- make policies ----------------------------------------------------------------------------
# every sample workload under every allocator policy: one table (trace/policies.sh)
.PHONY: policies
policies: $(KERNEL_ELF) $(HEAPTRACE) $(HEAPVIZ)
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" trace/policies.sh $(KERNEL_ELF) $(HEAPTRACE) $(HEAPVIZ)
