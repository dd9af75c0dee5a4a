# trace/analysis.mk - the analysis side of heaptrace: the trace reader, the heap
# model, the one-pass summary, `heaptrace stats`/`leaks`/`check`, their tests and
# the stats benchmark.
HEAPTRACE_SRCS += trace/trace_reader.c trace/heap_model.c trace/summary.c trace/cmd_stats.c \
                  trace/cmd_check.c kernel/heap.c trace/event_pipe.c

ANALYSIS_TEST_RUNNER := kernel/test/host/host_runner.c
ANALYSIS_TRACEGEN    := trace/test/tracegen.c trace/trace_reader.c kernel/heap.c

$(eval $(call host_program,test_trace_reader,trace/test/test_trace_reader.c trace/trace_reader.c $(ANALYSIS_TEST_RUNNER),$(CJSON_LIBS)))
HOST_TESTS += test_trace_reader

$(eval $(call host_program,test_heap_model,trace/test/test_heap_model.c trace/heap_model.c $(ANALYSIS_TRACEGEN) $(ANALYSIS_TEST_RUNNER),$(CJSON_LIBS)))
HOST_TESTS += test_heap_model

# gen_trace: JSON traces from the real allocator core, for the script tests (stats, check,
# diff, export) and the benchmark
$(eval $(call host_program,gen_trace,trace/test/gen_trace.c $(ANALYSIS_TRACEGEN),$(CJSON_LIBS)))

SCRIPT_TESTS += trace/test/test_stats.sh trace/test/test_check.sh
BENCHES      += trace/test/bench_stats.sh

# the threaded event pipe (trace/event_pipe.c) against the plain reader
$(eval $(call host_program,test_event_pipe,trace/test/test_event_pipe.c trace/event_pipe.c $(ANALYSIS_TRACEGEN) $(ANALYSIS_TEST_RUNNER),$(CJSON_LIBS)))
HOST_TESTS += test_event_pipe
