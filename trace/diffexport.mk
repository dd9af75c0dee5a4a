# trace/diffexport.mk - `heaptrace diff` and `heaptrace export`, their tests, the
# regression gate (samples/baseline/) and the `diff:` / `baseline:` targets.

# diff and export are built on the analysis side's reader, model and summary
# ($(sort) in trace/trace.mk removes the duplicates with trace/analysis.mk)
HEAPTRACE_SRCS += trace/diff.c trace/cmd_diff.c trace/cmd_export.c \
                  trace/summary.c trace/event_pipe.c trace/heap_model.c trace/trace_reader.c

DIFF_TEST_RUNNER := kernel/test/host/host_runner.c

# the tests make their traces with tracegen (the script tests through gen_trace,
# trace/analysis.mk)
$(eval $(call host_program,test_diff,trace/test/test_diff.c trace/test/tracegen.c trace/diff.c \
	trace/summary.c trace/event_pipe.c trace/heap_model.c trace/trace_reader.c kernel/heap.c $(DIFF_TEST_RUNNER),$(CJSON_LIBS)))
HOST_TESTS   += test_diff
SCRIPT_TESTS += trace/test/diff_test.sh trace/test/export_test.sh

# ---- the regression gate ----------------------------------------------------
# Deterministic workloads with a baseline trace in samples/baseline/<workload>.jsonl.
BASELINE_DIR       := samples/baseline
BASELINE_WORKLOADS ?= $(basename $(notdir $(wildcard $(BASELINE_DIR)/*.jsonl)))
# Boot arguments of every gate run: fewer operations keep the baselines small.
GATE_TRACE_ARGS ?= ops=300
# What the gate tolerates; `make test` and `make baseline` use the same.
GATE_FLAGS ?= --max-peak-growth 0% --max-frag-growth 0 --max-examined-growth 0% \
              --fail-on-new-failures --fail-on-new-leaks --fail-on-divergence --fail-on-incomplete \
              --ignore-callers

# the gate runs once there is something to guard
ifneq ($(wildcard $(BASELINE_DIR)/*.jsonl),)
SCRIPT_TESTS += trace/test/gate_test.sh
endif

# the gate script reads these from the environment (make test runs it)
export GATE_FLAGS GATE_TRACE_ARGS

# make diff A=BASE B=NEW [DIFF_FLAGS="--max-peak-growth 5%"]
diff: $(BUILD)/host/bin/heaptrace
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
	  echo "usage: make diff A=BASE.jsonl B=NEW.jsonl [DIFF_FLAGS='--max-peak-growth 5% ...']" >&2; \
	  exit 2; fi
	$(BUILD)/host/bin/heaptrace diff $(DIFF_FLAGS) $(A) $(B)

# make baseline [BASELINE_WORKLOADS="churn vector"]: captures each workload afresh,
# shows how it differs from its current baseline, and replaces the baseline.
baseline: $(KERNEL_ELF) $(BUILD)/host/bin/heaptrace
	@BUILD=$(BUILD) MAKE="$(MAKE)" HEAPTRACE=$(BUILD)/host/bin/heaptrace \
	  GATE_FLAGS="$(GATE_FLAGS)" GATE_TRACE_ARGS="$(GATE_TRACE_ARGS)" \
	  trace/test/gate_test.sh --rewrite $(BASELINE_WORKLOADS)
