# kernel/images.mk - rules for every kernel image, from the lists that
# kernel/kernel.mk and the other fragments filled. Included last.

kobj = $(patsubst %,$(BUILD)/kernel/%.o,$(basename $(1)))

# Every image links the entry object first, then its own objects, then the
# libraries: libktest.a (the test runner, test images only) and libkernel.a
# (console, traps, panic, QEMU exit, semihosting, heap, trace sink...), whose
# members are pulled in as referenced.
KAR        := $(CROSS)ar
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

# HEAP_SIZE is a link-time setting: relink when it changes.
KCONFIG_STAMP := $(BUILD)/kernel/config-$(HEAP_SIZE).stamp
$(KCONFIG_STAMP): | $(BUILD)/kernel
	$(Q)rm -f $(BUILD)/kernel/config-*.stamp && touch $@

$(BUILD)/kernel/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	$(Q)$(KCC) $(KCFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/kernel/%.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  KAS     $<"
	$(Q)$(KCC) $(KASFLAGS) -MMD -MP -c -o $@ $<

# kernel_image(NAME, OBJECTS, LIBRARIES): build/NAME.elf with NAME.asm (listing)
# and NAME.sym beside it
define kernel_image
$(BUILD)/$(1).elf: $(KENTRY_OBJ) $(2) $(3) linker.ld $(KCONFIG_STAMP)
	@echo "  KLD     $$@"
	$$(Q)$$(KCC) $$(KCFLAGS) $$(KLDFLAGS) -o $$@ $(KENTRY_OBJ) $(2) $(3) $$(KLIBGCC)
	$$(Q)$$(KOBJDUMP) -d -S $$@ > $(BUILD)/$(1).asm
	$$(Q)$$(KNM) -n $$@ > $(BUILD)/$(1).sym
endef

KERNEL_ELF := $(BUILD)/kernel.elf
$(eval $(call kernel_image,kernel,$(call kobj,$(KERNEL_MAIN_SRCS)),$(KLIB_A)))
$(foreach s,$(KERNEL_SUITES),$(eval $(call kernel_image,test-$(s),$(call kobj,$(KSUITE_$(s)_SRCS)),$(KTEST_A) $(KLIB_A))))
$(foreach s,$(KERNEL_SELFTESTS),$(eval $(call kernel_image,selftest-$(s),$(call kobj,kernel/test/selftest/$(s).c),$(KTEST_A) $(KLIB_A))))

KERNEL_TESTS := $(KERNEL_SUITES)
KERNEL_TEST_ELFS := $(foreach s,$(KERNEL_SUITES),$(BUILD)/test-$(s).elf) \
                    $(foreach s,$(KERNEL_SELFTESTS),$(BUILD)/selftest-$(s).elf)

QEMU_RUN = $(QEMU) $(QEMU_FLAGS) -semihosting-config enable=on,target=native

# Boots the main kernel; make's status is QEMU's.
run: $(KERNEL_ELF)
	$(QEMU_RUN) -kernel $(KERNEL_ELF) -append "workload=$(WORKLOAD)"

# Boots halted with a gdb stub on :1234 and attaches gdb-multiarch with symbols.
debug: $(KERNEL_ELF)
	$(QEMU_RUN) -kernel $(KERNEL_ELF) -append "workload=$(WORKLOAD)" -S -gdb tcp::1234 & \
	  qemu_pid=$$!; \
	  gdb-multiarch -q $(KERNEL_ELF) -ex 'set architecture riscv:rv64' \
	    -ex 'target remote :1234' -ex 'break kmain'; \
	  kill $$qemu_pid 2>/dev/null || true
