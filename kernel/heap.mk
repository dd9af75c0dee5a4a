# kernel/heap.mk - the heap allocator, its malloc layer, the global kernel heap,
# collections, and their tests (host unit + differential tests, in-QEMU suite).

KLIB_SRCS += kernel/heap.c kernel/heap_malloc.c kernel/kheap.c kernel/vec.c kernel/strbuf.c

KERNEL_SUITES += heap
KSUITE_heap_SRCS := kernel/test/suite_heap.c

HEAP_CORE := kernel/heap.c kernel/test/host/host_runner.c
$(eval $(call host_program,heap_test,kernel/test/host/heap_test.c $(HEAP_CORE),))
$(eval $(call host_program,heap_diff_test,kernel/test/host/heap_diff_test.c $(HEAP_CORE),))
$(eval $(call host_program,heap_malloc_test,kernel/test/host/heap_malloc_test.c kernel/heap_malloc.c $(HEAP_CORE),))
HOST_TESTS += heap_test heap_diff_test heap_malloc_test

# `make KHEAP_POISON=1 ...` builds kernels whose global heap poisons freed
# memory (heap_check then catches writes after free). Run `make clean` when
# switching: flags are not dependencies.
ifneq ($(strip $(KHEAP_POISON)),)
KCFLAGS += -DKHEAP_POISON
endif
