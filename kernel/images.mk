# kernel/images.mk - rules for every kernel image, from the lists that
# kernel/kernel.mk and the other fragments filled. Included last.

kobj = $(patsubst %,$(BUILD)/kernel/%.o,$(basename $(1)))

KLIB_OBJS  := $(call kobj,$(KLIB_SRCS))
KTEST_OBJS := $(call kobj,kernel/test/runner.c)

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

# kernel_image(NAME, OBJECTS): build/NAME.elf with NAME.asm (listing) and NAME.sym beside it
define kernel_image
$(BUILD)/$(1).elf: $(2) linker.ld $(KCONFIG_STAMP)
	@echo "  KLD     $$@"
	$$(Q)$$(KCC) $$(KCFLAGS) $$(KLDFLAGS) -o $$@ $(2) $$(KLIBGCC)
	$$(Q)$$(KOBJDUMP) -d -S $$@ > $(BUILD)/$(1).asm
	$$(Q)$$(KNM) -n $$@ > $(BUILD)/$(1).sym
endef

KERNEL_ELF := $(BUILD)/kernel.elf
$(eval $(call kernel_image,kernel,$(KLIB_OBJS) $(call kobj,$(KERNEL_MAIN_SRCS))))
$(foreach s,$(KERNEL_SUITES),$(eval $(call kernel_image,test-$(s),$(KLIB_OBJS) $(KTEST_OBJS) $(call kobj,$(KSUITE_$(s)_SRCS)))))
$(foreach s,$(KERNEL_SELFTESTS),$(eval $(call kernel_image,selftest-$(s),$(KLIB_OBJS) $(KTEST_OBJS) $(call kobj,kernel/test/selftest/$(s).c))))

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
