# samples/samples.mk - the sample workloads' recorded traces and the regression
# gate: `make record-samples`, `make baseline`, and the gate test. (The workloads
# themselves, samples/*.c, are linked into the main kernel: kernel/kernel.mk.)

# make record-samples: re-record the small example traces in samples/*.jsonl
record-samples: $(KERNEL_ELF) $(HEAPTRACE)
	@BUILD=$(BUILD) trace/record_samples.sh

# ---- the regression gate ----------------------------------------------------------------
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

# make baseline [BASELINE_WORKLOADS="churn vector"]: captures each workload afresh,
# shows how it differs from its current baseline, and replaces the baseline.
baseline: $(KERNEL_ELF) $(HEAPTRACE) $(HEAPVIZ)
	@BUILD=$(BUILD) MAKE="$(MAKE)" HEAPTRACE=$(HEAPTRACE) \
	  GATE_FLAGS="$(GATE_FLAGS)" GATE_TRACE_ARGS="$(GATE_TRACE_ARGS)" \
	  trace/test/gate_test.sh --rewrite $(BASELINE_WORKLOADS)
