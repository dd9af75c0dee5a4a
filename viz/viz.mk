# viz/viz.mk - heapviz (the SDL2 heap map viewer), its tests, bench and `make live`.
# Only viz/render_sdl.c calls SDL; the model, view logic and PNG writer are plain C.

# the replay model keeps its heap states in the shared model (trace/heap_model.h)
VIZ_MODEL_SRCS := viz/model.c trace/heap_model.c
# test and bench traces: the churn workload on the real allocator core, from the
# analysis tests' generator (trace/test/tracegen.h; gen_trace writes it as JSON)
VIZ_WL_SRCS    := trace/test/tracegen.c trace/trace_reader.c kernel/heap.c
VIZ_RUNNER     := kernel/test/host/host_runner.c

# ---- the viewer -------------------------------------------------------------
# --compare reuses heaptrace diff's comparison (trace/diff.h), which needs the summary
VIZ_SRCS := viz/heapviz.c viz/view.c viz/load.c viz/png.c viz/render_sdl.c $(VIZ_MODEL_SRCS) \
            trace/trace_reader.c trace/diff.c trace/summary.c trace/event_pipe.c
$(eval $(call host_program,heapviz,$(VIZ_SRCS),$(SDL_LIBS) -lz $(CJSON_LIBS)))

# ---- tests ------------------------------------------------------------------
# the replay model against the real allocator and the shared heap model
$(eval $(call host_program,viz-test-model,viz/test/test_model.c $(VIZ_MODEL_SRCS) $(VIZ_WL_SRCS) $(VIZ_RUNNER),$(CJSON_LIBS)))
# key handling and playback, without drawing (render_sdl.c links but is not called)
$(eval $(call host_program,viz-test-view,viz/test/test_view.c viz/view.c viz/render_sdl.c $(VIZ_MODEL_SRCS) $(VIZ_RUNNER),$(SDL_LIBS)))
HOST_TESTS += viz-test-model viz-test-view

# snapshots (pixels, PNG validity, exit codes), a real window under Xvfb, --follow on a
# growing file, damaged traces, and make live end to end (their traces: gen_trace)
SCRIPT_TESTS += viz/test/snapshot.sh viz/test/window.sh viz/test/follow.sh viz/test/mutate.sh \
                viz/test/live.sh

# ---- bench ------------------------------------------------------------------
$(eval $(call host_program,viz-bench,viz/bench/bench_viz.c viz/load.c $(VIZ_MODEL_SRCS) $(VIZ_WL_SRCS),$(CJSON_LIBS)))
BENCHES += viz/bench/bench.sh

# ---- make live [WORKLOAD=churn] [LIVE_OUT=build/live.jsonl] [TRACE_ARGS=...] --------
# Watch the kernel's heap while QEMU runs: capture, decode --follow, heapviz --follow.
LIVE_OUT ?= $(BUILD)/live.jsonl
live: $(KERNEL_ELF) $(BUILD)/host/bin/heaptrace $(BUILD)/host/bin/heapviz
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" viz/live.sh $(KERNEL_ELF) \
	  $(BUILD)/host/bin/heaptrace $(BUILD)/host/bin/heapviz $(WORKLOAD) $(LIVE_OUT) $(TRACE_ARGS)
