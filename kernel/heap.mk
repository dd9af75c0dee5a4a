# kernel/heap.mk - the heap allocator, its malloc layer, the global kernel heap,
# collections, and their tests (host unit + differential tests, in-QEMU suite).

KLIB_SRCS += kernel/heap.c kernel/heap_malloc.c
HOST_TESTS += heap_test
$(eval $(call host_program,heap_test,kernel/test/host/heap_test.c kernel/heap.c kernel/test/host/host_runner.c,))
HOST_TESTS += heap_diff_test
$(eval $(call host_program,heap_diff_test,kernel/test/host/heap_diff_test.c kernel/heap.c kernel/test/host/host_runner.c,))
HOST_TESTS += heap_malloc_test
$(eval $(call host_program,heap_malloc_test,kernel/test/host/heap_malloc_test.c kernel/heap_malloc.c kernel/heap.c kernel/test/host/host_runner.c,))
