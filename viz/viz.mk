# viz/viz.mk - heapviz (the SDL2 heap map viewer), its tests and benches.
# Only viz/render_sdl.c calls SDL; the model, layout and PNG writer are plain C.

VIZ_MODEL_SRCS := viz/model.c
VIZ_WL_SRCS    := viz/test/workload.c kernel/heap.c
VIZ_RUNNER     := kernel/test/host/host_runner.c

# Random traces from the real allocator core, for tests and benches.
$(eval $(call host_program,viz-gentrace,viz/test/gentrace.c $(VIZ_WL_SRCS),))

$(eval $(call host_program,viz-test-model,viz/test/test_model.c $(VIZ_MODEL_SRCS) $(VIZ_WL_SRCS) $(VIZ_RUNNER),))
HOST_TESTS += viz-test-model

VIZ_SRCS := viz/heapviz.c viz/view.c viz/load.c viz/png.c viz/render_sdl.c $(VIZ_MODEL_SRCS) trace/trace_reader.c
$(eval $(call host_program,heapviz,$(VIZ_SRCS),$(SDL_LIBS) -lz $(CJSON_LIBS)))
SCRIPT_TESTS += viz/test/snapshot.sh
SCRIPT_TESTS += viz/test/window.sh viz/test/follow.sh

$(eval $(call host_program,viz-bench,viz/bench/bench_viz.c viz/load.c $(VIZ_MODEL_SRCS) $(VIZ_WL_SRCS) trace/trace_reader.c,$(CJSON_LIBS)))
BENCHES += viz/bench/bench.sh
