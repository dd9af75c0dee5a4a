/* kstring.h - the few C string/memory functions the kernel provides (kernel/string.c).
 * gcc may emit calls to memcpy/memset/memmove/memcmp itself, so they keep their standard names. */
#ifndef KSTRING_H
#define KSTRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* KSTRING_H */
