# Heapscope build: the riscv64 kernel (cross compiler), host tools and tests
# (gcc, plain and under ASan+UBSan), and the drivers that run them.
# `make help` lists the targets. Everything is built out of tree in build/.

# ---- configuration (override on the command line) -------------------------
CROSS       ?= riscv64-unknown-elf-
QEMU        ?= qemu-system-riscv64
HEAP_SIZE   ?= 0x100000        # bytes reserved for the kernel heap (linker.ld)
WORKLOAD    ?= churn           # sample workload for `make run` / `make trace`
CHANNEL     ?= semihosting     # trace channel: semihosting | uart
OUT         ?= trace.jsonl     # where `make trace` writes the JSON trace
TEST_TIMEOUT ?= 120            # seconds before a hanging test image is killed
BUILD       := build
V           ?= 0               # V=1 shows the full compiler command lines

# strip the comments' trailing blanks from the values above
HEAP_SIZE := $(strip $(HEAP_SIZE))
WORKLOAD  := $(strip $(WORKLOAD))
CHANNEL   := $(strip $(CHANNEL))
OUT       := $(strip $(OUT))
TEST_TIMEOUT := $(strip $(TEST_TIMEOUT))
Q := $(if $(filter 1,$(strip $(V))),,@)

# ---- kernel toolchain ------------------------------------------------------
KCC      := $(CROSS)gcc
KOBJDUMP := $(CROSS)objdump
KNM      := $(CROSS)nm
KARCH    := -march=rv64imac_zicsr_zifencei -mabi=lp64
KCFLAGS  := $(KARCH) -mcmodel=medany -ffreestanding -fno-builtin -nostdlib \
            -fno-omit-frame-pointer -fno-stack-protector -std=c11 -O2 -g \
            -Wall -Wextra -Werror -Ikernel -DHEAP_SIZE=$(HEAP_SIZE)
KASFLAGS := $(KARCH) -mcmodel=medany -g -Ikernel
# the lp64 libgcc, by path: see ../shared/PLATFORM.md (multilib gotcha)
KLIBGCC   = $(shell $(KCC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)
KLDFLAGS := -nostdlib -static -Wl,--gc-sections -Wl,-T,linker.ld \
            -Wl,--defsym=HEAP_SIZE=$(HEAP_SIZE) -Wl,--no-warn-rwx-segments
QEMU_FLAGS := -machine virt -m 128M -nographic -bios default -no-reboot

# ---- host toolchain --------------------------------------------------------
HOST_CC     ?= gcc
HOST_CFLAGS  = -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
               -Ikernel -Itrace -Iviz $(shell pkg-config --cflags sdl2 2>/dev/null)
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CJSON_LIBS  := -lcjson
SDL_LIBS     = $(shell pkg-config --libs sdl2 SDL2_ttf 2>/dev/null || echo -lSDL2 -lSDL2_ttf)

.DEFAULT_GOAL := all
.PHONY: all help clean test bench run debug trace live diff baseline setup

# Lists the fragments below append to.
HOST_PROGRAMS :=   # host programs, built plain (build/host/bin) and sanitized (build/asan/bin)
HOST_TESTS    :=   # host test programs run by `make test` (sanitized build)
SCRIPT_TESTS  :=   # shell test drivers run by `make test`
KERNEL_TESTS  :=   # in-QEMU test images (passing suites) run by `make test`
BENCHES       :=   # benchmark drivers run by `make bench`

# host_program(NAME, SOURCES, LIBS): build/host/bin/NAME and build/asan/bin/NAME
define host_program
HOST_PROGRAMS += $(1)
$(BUILD)/host/bin/$(1): $(patsubst %.c,$(BUILD)/host/%.o,$(2)) | $(BUILD)/host/bin
	@echo "  LD      $$@"
	$$(Q)$$(HOST_CC) $$(HOST_CFLAGS) -o $$@ $$^ $(3) -lm
$(BUILD)/asan/bin/$(1): $(patsubst %.c,$(BUILD)/asan/%.o,$(2)) | $(BUILD)/asan/bin
	@echo "  LD      $$@"
	$$(Q)$$(HOST_CC) $$(HOST_CFLAGS) $$(SAN_FLAGS) -o $$@ $$^ $(3) -lm
endef

# Missing Debian packages are installed before anything is built.
SETUP_STAMP := $(BUILD)/setup.stamp
$(SETUP_STAMP): scripts/packages.txt scripts/setup.sh
	@mkdir -p $(@D)
	@scripts/setup.sh
	@touch $@

$(BUILD)/host/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/asan/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC/SAN  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/host/bin $(BUILD)/asan/bin $(BUILD)/kernel:
	@mkdir -p $@

include kernel/kernel.mk
-include kernel/heap.mk
-include trace/capture.mk
-include trace/analysis.mk
-include trace/diffexport.mk
include trace/trace.mk
-include viz/viz.mk
include kernel/images.mk   # last: turns the lists above into kernel image rules

all: $(KERNEL_ELF) $(foreach p,$(HOST_PROGRAMS),$(BUILD)/host/bin/$(p) $(BUILD)/asan/bin/$(p))

# Every test: host tests (sanitized), script tests, in-QEMU suites; one summary.
test: all $(KERNEL_TEST_ELFS) $(foreach t,$(HOST_TESTS),$(BUILD)/asan/bin/$(t))
	@BUILD=$(BUILD) QEMU="$(QEMU)" QEMU_FLAGS="$(QEMU_FLAGS)" TEST_TIMEOUT=$(TEST_TIMEOUT) \
	  scripts/run-tests.sh \
	  $(foreach t,$(HOST_TESTS),host:$(t)) \
	  $(foreach t,$(SCRIPT_TESTS),script:$(t)) \
	  $(foreach t,$(KERNEL_TESTS),qemu:$(t))

bench: all
	@set -e; for b in $(BENCHES); do echo "== $$b"; BUILD=$(BUILD) $$b; done

setup:
	scripts/setup.sh
	@mkdir -p $(BUILD) && touch $(SETUP_STAMP)

clean:
	rm -rf $(BUILD)

help:
	@echo "Heapscope make targets"
	@echo "  make trace     capture a heap trace (WORKLOAD=$(WORKLOAD) CHANNEL=$(CHANNEL) OUT=$(OUT)) and show it"
	@echo "  make test      build everything, run every test (host, sanitized, in QEMU); one summary"
	@echo "  make run       boot the kernel in QEMU (WORKLOAD=...), exit with QEMU's status"
	@echo "  make debug     boot halted with a gdb stub and attach gdb-multiarch"
	@echo "  make live      capture and watch the heap live in heapviz"
	@echo "  make diff A=BASE B=NEW   compare two traces (regression check)"
	@echo "  make baseline  re-record the baseline traces in samples/ and say what changed"
	@echo "  make bench     run the benchmarks (overhead, bytes/event, throughput, viewer)"
	@echo "  make setup     install the Debian packages the project needs"
	@echo "  make all       build kernel, tools and viewer;  make clean  remove build/"
	@echo "Variables: HEAP_SIZE=$(HEAP_SIZE) TEST_TIMEOUT=$(TEST_TIMEOUT) CROSS=$(CROSS)"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
