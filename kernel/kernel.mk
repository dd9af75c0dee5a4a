# kernel/kernel.mk - the kernel's source lists. Fragments included after this
# one append to them; kernel/images.mk turns them into image rules.

# Linked into every kernel image (the main kernel and every test image).
KLIB_SRCS := kernel/entry.S kernel/trapvec.S kernel/ksetjmp.S kernel/trap.c kernel/uart.c \
             kernel/format.c kernel/console.c kernel/panic.c kernel/exit.c kernel/sbi.c \
             kernel/semihost.c kernel/string.c kernel/stack.c

# Only in the main kernel, build/kernel.elf.
KERNEL_MAIN_SRCS := kernel/main.c

# In-QEMU test suites: KERNEL_SUITES += NAME and KSUITE_NAME_SRCS := sources
# with the suite's kmain. Each becomes build/test-NAME.elf, run by `make test`.
KERNEL_SUITES := basic
KSUITE_basic_SRCS := kernel/test/suite_basic.c

# Framework self-test images that must FAIL in a given way (kernel/test/selftest.sh).
KERNEL_SELFTESTS := assert panic trap nopanic hang overflow

# Host test of the framework itself: runs the self-test images in QEMU.
SCRIPT_TESTS += kernel/test/selftest.sh
