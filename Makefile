# Heapscope build: the riscv64 kernel (cross compiler), host tools and tests
# (gcc, plain and under ASan+UBSan), and the drivers that run them.
# `make help` lists the targets. Everything is built out of tree in build/.
#
# One fragment per directory owns that directory's outputs:
#   kernel/kernel.mk    libkernel.a, every kernel image (kernel.elf, test and
#                       self-test images), the allocator's host tests
#   trace/trace.mk      libheapscope.a (the host library), heaptrace, its tests,
#                       `make trace`, `make diff`
#   trace/fuzz/fuzz.mk  libFuzzer targets, `make fuzz`
#   viz/viz.mk          libviz.a, heapviz, its tests, `make live`
#   samples/samples.mk  recorded sample traces, regression baselines, the gate
# Every target that runs a program depends on it, so `make trace` after an edit
# runs what the edit built; compiler flags are recorded (build/*/flags), so a
# flag change (HEAP_SIZE=, KHEAP_POISON=1, CFLAGS=) rebuilds what it changes.

# ---- configuration (override on the command line) -------------------------
CROSS       ?= riscv64-unknown-elf-
QEMU        ?= qemu-system-riscv64
HEAP_SIZE   ?= 0x100000        # bytes reserved for the kernel heap (linker.ld)
WORKLOAD    ?= churn           # sample workload for `make run` / `make trace`
CHANNEL     ?= semihosting     # trace channel: semihosting | uart
OUT         ?= trace.jsonl     # where `make trace` writes the JSON trace
TRACE_ARGS  ?=                 # extra kernel boot arguments, e.g. "ops=300 seed=7"
POLICY      ?=                 # allocator policy: first (default) | next | best | segregated
DEPTH       ?=                 # call stacks of N frames (trace.depth=N, 1..32); empty: the kernel's default, 0
ICOUNT      ?= 0               # 1: deterministic guest time (QEMU -icount shift=0)
TEST_TIMEOUT ?= 300            # seconds a test may run (x TEST_TIME_SCALE)
TEST_TIME_SCALE ?= 2           # stretches every test time limit and wait (loaded machines)
BUILD       := build
V           ?= 0               # V=1 shows the full compiler command lines

# strip the comments' trailing blanks from the values above
HEAP_SIZE := $(strip $(HEAP_SIZE))
WORKLOAD  := $(strip $(WORKLOAD))
POLICY    := $(strip $(POLICY))
DEPTH     := $(strip $(DEPTH))
# the boot argument DEPTH= adds (make trace, run, live)
DEPTH_ARG := $(if $(DEPTH),trace.depth=$(DEPTH))
CHANNEL   := $(strip $(CHANNEL))
OUT       := $(strip $(OUT))
ICOUNT    := $(strip $(ICOUNT))
TEST_TIMEOUT := $(strip $(TEST_TIMEOUT))
TEST_TIME_SCALE := $(strip $(TEST_TIME_SCALE))
Q := $(if $(filter 1,$(strip $(V))),,@)

# ---- the programs targets run (defined by the fragments below) -------------
KERNEL_ELF := $(BUILD)/kernel.elf
HEAPTRACE  := $(BUILD)/host/bin/heaptrace
HEAPVIZ    := $(BUILD)/host/bin/heapviz

# ---- kernel toolchain ------------------------------------------------------
KCC      := $(CROSS)gcc
KAR      := $(CROSS)ar
KOBJDUMP := $(CROSS)objdump
KNM      := $(CROSS)nm
KARCH    := -march=rv64imac_zicsr_zifencei_zbb -mabi=lp64   # Zbb: clz/ctz (QEMU virt has it)
KCFLAGS  := $(KARCH) -mcmodel=medany -ffreestanding -fno-builtin -nostdlib \
            -fno-omit-frame-pointer -fno-stack-protector -std=c11 -O2 -g \
            -Wall -Wextra -Werror -Ikernel -DHEAP_SIZE=$(HEAP_SIZE)
KASFLAGS := $(KARCH) -mcmodel=medany -g -Ikernel
# the lp64 libgcc, by path: see ../shared/PLATFORM.md (multilib gotcha)
KLIBGCC   = $(shell $(KCC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)
# --defsym before -T: linker.ld reads DEFINED(HEAP_SIZE) when the script is parsed
KLDFLAGS := -nostdlib -static -Wl,--gc-sections -Wl,--defsym=HEAP_SIZE=$(HEAP_SIZE) \
            -Wl,-T,linker.ld -Wl,--no-warn-rwx-segments
QEMU_FLAGS := -machine virt -m 128M -nographic -bios default -no-reboot
ifneq ($(strip $(KHEAP_POISON)),)
KCFLAGS += -DKHEAP_POISON   # the global heap poisons freed memory (kernel/kheap.c)
endif

# ---- host toolchain --------------------------------------------------------
HOST_CC     ?= gcc
HOST_AR     ?= ar
CFLAGS      ?=                 # extra host compiler flags (recorded: a change rebuilds)
HOST_CFLAGS  = -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
               -Ikernel -Itrace -Iviz $(shell pkg-config --cflags sdl2 2>/dev/null) $(CFLAGS)
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CJSON_LIBS  := -lcjson
SDL_LIBS     = $(shell pkg-config --libs sdl2 SDL2_ttf 2>/dev/null || echo -lSDL2 -lSDL2_ttf)

.DEFAULT_GOAL := all
.PHONY: all help clean test bench run debug trace live diff baseline record-samples setup fuzz

# Lists the fragments append to.
HOST_PROGRAMS :=   # host programs, built plain (build/host/bin) and sanitized (build/asan/bin)
HOST_TESTS    :=   # host test programs run by `make test` (sanitized build)
SCRIPT_TESTS  :=   # shell test drivers run by `make test`
KERNEL_TESTS  :=   # in-QEMU test images (passing suites) run by `make test`
TEST_DEPS     :=   # other files `make test` needs built (fuzz targets, self-test images)

# ---- recorded flags ---------------------------------------------------------
# record_flags(FILE, VAR): FILE holds the value of VAR; rewritten (so newer than
# every object that depends on it) only when the value changed since the last make.
# (The comparison is cmp's: make's $(file <) did not always match its own writes.)
define record_flags
$$(shell mkdir -p $$(dir $(1)) && printf '%s\n' '$$($(2))' > $(1).new && \
  { cmp -s $(1).new $(1) && rm -f $(1).new || mv -f $(1).new $(1); })
endef
KFLAGS_FILE    := $(BUILD)/kernel/flags
HOSTFLAGS_FILE := $(BUILD)/host/flags
ASANFLAGS_FILE := $(BUILD)/asan/flags
KFLAGS_SIG     = $(KCC) $(KCFLAGS) | $(KASFLAGS) | $(KLDFLAGS)
HOSTFLAGS_SIG  = $(HOST_CC) $(HOST_CFLAGS)
ASANFLAGS_SIG  = $(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS)

# ---- host build rules -------------------------------------------------------
hobj = $(patsubst %.c,$(BUILD)/host/%.o,$(1))
aobj = $(patsubst %.c,$(BUILD)/asan/%.o,$(1))

# host_library(NAME, SOURCES): the archive build/host/NAME and its sanitized
# twin build/asan/NAME; programs pull in the members they reference.
define host_library
$(BUILD)/host/$(1): $(call hobj,$(2))
	@echo "  AR      $$@"
	$$(Q)rm -f $$@ && $$(HOST_AR) rcs $$@ $$^
$(BUILD)/asan/$(1): $(call aobj,$(2))
	@echo "  AR/SAN  $$@"
	$$(Q)rm -f $$@ && $$(HOST_AR) rcs $$@ $$^
endef

# host_program(NAME, SOURCES, ARCHIVES, LIBS): build/host/bin/NAME and
# build/asan/bin/NAME from SOURCES (linked whole), then ARCHIVES (names given to
# host_library, most dependent first), then system LIBS.
define host_program
HOST_PROGRAMS += $(1)
$(BUILD)/host/bin/$(1): $(call hobj,$(2)) $(addprefix $(BUILD)/host/,$(3)) | $(BUILD)/host/bin
	@echo "  LD      $$@"
	$$(Q)$$(HOST_CC) $$(HOST_CFLAGS) -o $$@ $$^ $(4) -lm -lpthread
$(BUILD)/asan/bin/$(1): $(call aobj,$(2)) $(addprefix $(BUILD)/asan/,$(3)) | $(BUILD)/asan/bin
	@echo "  LD      $$@"
	$$(Q)$$(HOST_CC) $$(HOST_CFLAGS) $$(SAN_FLAGS) -o $$@ $$^ $(4) -lm -lpthread
endef

# Missing Debian packages are installed before anything is built.
SETUP_STAMP := $(BUILD)/setup.stamp
$(SETUP_STAMP): scripts/packages.txt scripts/setup.sh
	@mkdir -p $(@D)
	@scripts/setup.sh
	@touch $@

$(BUILD)/host/%.o: %.c $(HOSTFLAGS_FILE) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/asan/%.o: %.c $(ASANFLAGS_FILE) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC/SAN  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/host/bin $(BUILD)/asan/bin $(BUILD)/kernel:
	@mkdir -p $@

# ---- the fragments (each required) -----------------------------------------
include kernel/kernel.mk
include trace/trace.mk
include trace/fuzz/fuzz.mk
include viz/viz.mk
include samples/samples.mk

# a newcomer's path through the README, from a fresh clone of the committed tree
SCRIPT_TESTS += scripts/journey_test.sh

# flags are recorded after the fragments, which may add to them
ifeq ($(filter clean help setup,$(MAKECMDGOALS)),)
$(eval $(call record_flags,$(KFLAGS_FILE),KFLAGS_SIG))
$(eval $(call record_flags,$(HOSTFLAGS_FILE),HOSTFLAGS_SIG))
$(eval $(call record_flags,$(ASANFLAGS_FILE),ASANFLAGS_SIG))
endif

all: $(KERNEL_ELF) $(foreach p,$(HOST_PROGRAMS),$(BUILD)/host/bin/$(p) $(BUILD)/asan/bin/$(p))

# Every test: host tests (sanitized), script tests, in-QEMU suites; one summary.
test: all $(KERNEL_TEST_ELFS) $(TEST_DEPS) $(foreach t,$(HOST_TESTS),$(BUILD)/asan/bin/$(t))
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" TEST_TIMEOUT=$(TEST_TIMEOUT) \
	  TEST_TIME_SCALE=$(TEST_TIME_SCALE) scripts/run-tests.sh \
	  $(foreach t,$(HOST_TESTS),host:$(t)) \
	  $(foreach t,$(SCRIPT_TESTS),script:$(t)) \
	  $(foreach t,$(KERNEL_TESTS),qemu:$(t))

# Every benchmark, even after one fails; one table; non-zero if any failed or missed its goal.
bench: all
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" MAKE="$(MAKE)" scripts/bench.sh

setup:
	scripts/setup.sh
	@mkdir -p $(BUILD) && touch $(SETUP_STAMP)

clean:
	rm -rf $(BUILD)

help:
	@echo "Heapscope make targets"
	@echo "  make trace     capture a heap trace, print its stats, render its heap map (OUT with .png)"
	@echo "  make test      build everything, run every test (host, sanitized, in QEMU); one summary"
	@echo "  make run       boot the kernel in QEMU (WORKLOAD=...), exit with QEMU's status"
	@echo "  make debug     boot halted with a gdb stub and attach gdb-multiarch"
	@echo "  make live      capture and watch the heap live in heapviz (needs a display)"
	@echo "  make diff A=BASE B=NEW   compare two traces; exit 1 if NEW regressed (DIFF_FLAGS=...)"
	@echo "  make baseline  re-record the regression baselines in samples/baseline/, say what changed"
	@echo "  make record-samples  re-record the small sample traces in samples/"
	@echo "  make policies  every sample workload under every allocator policy, one table"
	@echo "  make bench     run the benchmarks; one table of figures and goals"
	@echo "  make fuzz      run every fuzz target for FUZZ_SECONDS each (clang libFuzzer)"
	@echo "  make setup     install the Debian packages the project needs"
	@echo "  make all       build kernel, tools and viewer;  make clean  remove build/"
	@echo "Variables (current value):"
	@echo "  WORKLOAD=$(WORKLOAD)  churn vector frag lifetimes million panic ring paced hang recurse paths"
	@echo "  CHANNEL=$(CHANNEL)  semihosting | uart (make trace)"
	@echo "  POLICY=$(POLICY)  allocator policy: first (default), next, best, segregated (make trace/run)"
	@echo "  DEPTH=$(DEPTH)  call stacks of N frames per event, 1..32 (make trace/run/live; default 0: the caller alone)"
	@echo "  OUT=$(OUT)  the JSON trace make trace writes (its heap map: OUT with .png)"
	@echo "  TRACE_ARGS=\"$(TRACE_ARGS)\"  kernel boot arguments, e.g. \"ops=300 seed=7 trace.instret=1\""
	@echo "  ICOUNT=$(ICOUNT)  1: exact guest instruction counts (QEMU -icount shift=0)"
	@echo "  DIFF_FLAGS=\"$(DIFF_FLAGS)\"  heaptrace diff thresholds for make diff (heaptrace diff --help)"
	@echo "  HEAP_SIZE=$(HEAP_SIZE)  kernel heap bytes (relinks; at least 0x1000)"
	@echo "  KHEAP_POISON=1  poison freed kernel heap memory (rebuilds)"
	@echo "  TEST_TIMEOUT=$(TEST_TIMEOUT) TEST_TIME_SCALE=$(TEST_TIME_SCALE)  a test is killed after their product (s);"
	@echo "      TEST_TIME_SCALE also stretches every wait inside the tests (raise it on a loaded machine)"
	@echo "  FUZZ_SECONDS=$(FUZZ_SECONDS)  seconds per fuzz target (make fuzz)"
	@echo "  CROSS=$(CROSS)  QEMU=$(QEMU)  CFLAGS=$(CFLAGS)  V=1 shows command lines"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
