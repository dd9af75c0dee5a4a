# kernel/kernel.mk - the kernel: libkernel.a, every kernel image (the main
# kernel, one image per in-QEMU test suite, the framework's self-test images),
# `make run` / `make debug`, and the allocator core's host tests.

kobj = $(patsubst %,$(BUILD)/kernel/%.o,$(basename $(1)))

# ---- sources ------------------------------------------------------------------
# Linked into every kernel image (the main kernel and every test image): boot,
# console, traps, panic, QEMU exit, semihosting, the allocator core and its
# malloc layer, the global heap, collections, the trace sink and wire encoder.
KLIB_SRCS := kernel/entry.S kernel/trapvec.S kernel/ksetjmp.S kernel/trap.c kernel/uart.c \
             kernel/format.c kernel/console.c kernel/panic.c kernel/exit.c kernel/sbi.c \
             kernel/semihost.c kernel/string.c kernel/stack.c \
             kernel/heap.c kernel/heap_malloc.c kernel/kheap.c kernel/vec.c kernel/strbuf.c \
             kernel/trace.c kernel/trace_wire.c kernel/unwind.c kernel/stack_intern.c

# Only in the main kernel, build/kernel.elf: kmain, boot arguments and the sample
# workloads (samples/*.c, chosen at boot with workload=NAME).
KERNEL_MAIN_SRCS := kernel/main.c kernel/bootargs.c $(sort $(wildcard samples/*.c))

# In-QEMU test suites: KERNEL_SUITES += NAME and KSUITE_NAME_SRCS := sources
# with the suite's kmain. Each becomes build/test-NAME.elf, run by `make test`.
KERNEL_SUITES := basic heap stacks
KSUITE_basic_SRCS := kernel/test/suite_basic.c
KSUITE_heap_SRCS  := kernel/test/suite_heap.c
KSUITE_stacks_SRCS := kernel/test/suite_stacks.c

# Framework self-test images that must FAIL in a given way (kernel/test/selftest.sh).
KERNEL_SELFTESTS := assert panic trap nopanic hang overflow many

# ---- objects and libraries ------------------------------------------------------
# Every image links the entry object first, then its own objects, then the
# libraries: libktest.a (the test runner, test images only) and libkernel.a,
# whose members are pulled in as referenced.
KENTRY_OBJ := $(call kobj,kernel/entry.S)
KLIB_OBJS  := $(filter-out $(KENTRY_OBJ),$(call kobj,$(KLIB_SRCS)))
KTEST_OBJS := $(call kobj,kernel/test/runner.c)
KLIB_A     := $(BUILD)/kernel/libkernel.a
KTEST_A    := $(BUILD)/kernel/libktest.a

$(KLIB_A): $(KLIB_OBJS)
	@echo "  KAR     $@"
	$(Q)rm -f $@ && $(KAR) rcs $@ $^
$(KTEST_A): $(KTEST_OBJS)
	@echo "  KAR     $@"
	$(Q)rm -f $@ && $(KAR) rcs $@ $^

# objects depend on the recorded kernel flags (Makefile: record_flags)
$(BUILD)/kernel/%.o: %.c $(KFLAGS_FILE) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	$(Q)$(KCC) $(KCFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/kernel/%.o: %.S $(KFLAGS_FILE) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  KAS     $<"
	$(Q)$(KCC) $(KASFLAGS) -MMD -MP -c -o $@ $<

# kernel_image(NAME, OBJECTS, LIBRARIES): build/NAME.elf with NAME.asm (listing)
# and NAME.sym beside it. Relinked when linker.ld or the link flags (HEAP_SIZE) change.
define kernel_image
$(BUILD)/$(1).elf: $(KENTRY_OBJ) $(2) $(3) linker.ld $(KFLAGS_FILE)
	@echo "  KLD     $$@"
	$$(Q)$$(KCC) $$(KCFLAGS) $$(KLDFLAGS) -o $$@ $(KENTRY_OBJ) $(2) $(3) $$(KLIBGCC)
	$$(Q)$$(KOBJDUMP) -d -S $$@ > $(BUILD)/$(1).asm
	$$(Q)$$(KNM) -n $$@ > $(BUILD)/$(1).sym
endef

$(eval $(call kernel_image,kernel,$(call kobj,$(KERNEL_MAIN_SRCS)),$(KLIB_A)))
$(foreach s,$(KERNEL_SUITES),$(eval $(call kernel_image,test-$(s),$(call kobj,$(KSUITE_$(s)_SRCS)),$(KTEST_A) $(KLIB_A))))
$(foreach s,$(KERNEL_SELFTESTS),$(eval $(call kernel_image,selftest-$(s),$(call kobj,kernel/test/selftest/$(s).c),$(KTEST_A) $(KLIB_A))))

KERNEL_TESTS += $(KERNEL_SUITES)
KERNEL_TEST_ELFS := $(foreach s,$(KERNEL_SUITES),$(BUILD)/test-$(s).elf) \
                    $(foreach s,$(KERNEL_SELFTESTS),$(BUILD)/selftest-$(s).elf)

# the framework's self-test runs the self-test images in QEMU
SCRIPT_TESTS += kernel/test/selftest.sh
# call stacks through a full stack table, end to end (the paths workload)
SCRIPT_TESTS += kernel/test/paths_test.sh

# ---- running the kernel -----------------------------------------------------------
QEMU_RUN = $(QEMU) $(QEMU_FLAGS) -semihosting-config enable=on,target=native

# Boots the main kernel; make's status is QEMU's.
run: $(KERNEL_ELF)
	$(QEMU_RUN) -kernel $(KERNEL_ELF) -append "workload=$(WORKLOAD) $(if $(POLICY),policy=$(POLICY)) $(DEPTH_ARG) $(TRACE_ARGS)"

# Boots halted with a gdb stub on :1234 and attaches gdb-multiarch with symbols.
debug: $(KERNEL_ELF)
	$(QEMU_RUN) -kernel $(KERNEL_ELF) -append "workload=$(WORKLOAD) $(TRACE_ARGS)" -S -gdb tcp::1234 & \
	  qemu_pid=$$!; \
	  gdb-multiarch -q $(KERNEL_ELF) -ex 'set architecture riscv:rv64' \
	    -ex 'target remote :1234' -ex 'break kmain'; \
	  kill $$qemu_pid 2>/dev/null || true

# ---- the allocator core's host tests -------------------------------------------------
# the same heap.c as the kernel's, compiled for the host (libheapscope.a, trace/trace.mk)
$(eval $(call host_program,heap_test,kernel/test/host/heap_test.c,libhosttest.a libheapscope.a,))
$(eval $(call host_program,heap_diff_test,kernel/test/host/heap_diff_test.c,libhosttest.a libheapscope.a,))
$(eval $(call host_program,heap_malloc_test,kernel/test/host/heap_malloc_test.c,libhosttest.a libheapscope.a,))
HOST_TESTS += heap_test heap_diff_test heap_malloc_test
