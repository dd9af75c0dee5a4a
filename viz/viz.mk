# viz/viz.mk - heapviz (the SDL2 heap map viewer): libviz.a, the program, its
# tests and bench, and `make live`. Only viz/render_sdl.c calls SDL; the model,
# view logic and PNG writer are plain C. The heap state comes from the shared
# heap model in libheapscope.a (trace/heap_model.h).

# ---- the viewer ---------------------------------------------------------------
LIBVIZ_SRCS := viz/model.c viz/view.c viz/panel.c viz/timeline.c viz/sites.c viz/text.c viz/load.c viz/png.c viz/render_sdl.c
$(eval $(call host_library,libviz.a,$(LIBVIZ_SRCS)))
$(eval $(call host_program,heapviz,viz/heapviz.c,libviz.a libheapscope.a,$(SDL_LIBS) -lz $(CJSON_LIBS)))

# ---- tests ------------------------------------------------------------------------
# the replay model against the real allocator and the shared heap model
$(eval $(call host_program,viz-test-model,viz/test/test_model.c,libhosttest.a libviz.a libheapscope.a,$(CJSON_LIBS)))
# key handling and playback, without drawing (render_sdl.c links but is not called)
$(eval $(call host_program,viz-test-view,viz/test/test_view.c,libhosttest.a libviz.a libheapscope.a,$(SDL_LIBS) -lz $(CJSON_LIBS)))
# the screen drawn for real (offscreen) on the samples: nothing cut off, legends shown
$(eval $(call host_program,viz-test-layout,viz/test/test_layout.c,libhosttest.a libviz.a libheapscope.a,$(SDL_LIBS) -lz $(CJSON_LIBS)))
HOST_TESTS += viz-test-model viz-test-view viz-test-layout

# snapshots (pixels, PNG validity, exit codes), a real window under Xvfb, --follow on a
# growing file, damaged traces, and make live end to end (their traces: gen_trace)
SCRIPT_TESTS += viz/test/snapshot.sh viz/test/window.sh viz/test/follow.sh viz/test/mutate.sh \
                viz/test/live.sh viz/test/views.sh

# ---- bench (scripts/bench.sh runs viz/bench/bench.sh) ----------------------------------
$(eval $(call host_program,viz-bench,viz/bench/bench_viz.c,libhosttest.a libviz.a libheapscope.a,$(SDL_LIBS) -lz $(CJSON_LIBS)))

# ---- make live [WORKLOAD=paced] [LIVE_OUT=build/live.jsonl] [DEPTH=N] [TRACE_ARGS=...] -----
# Watch the kernel's heap while QEMU runs: capture, decode --follow, heapviz --follow.
# By default the paced workload (samples/paced.c: about 20 s of phased activity at a
# rate a person can follow); WORKLOAD= on the command line picks another.
LIVE_OUT ?= $(BUILD)/live.jsonl
LIVE_WORKLOAD := $(if $(filter command line,$(origin WORKLOAD)),$(WORKLOAD),paced)
live: $(KERNEL_ELF) $(HEAPTRACE) $(HEAPVIZ)
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" viz/live.sh $(KERNEL_ELF) \
	  $(HEAPTRACE) $(HEAPVIZ) "$(LIVE_WORKLOAD)" $(LIVE_OUT) $(DEPTH_ARG) $(TRACE_ARGS)
