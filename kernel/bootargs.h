/* bootargs.h - boot arguments from the device tree's /chosen/bootargs
 * (QEMU -append "workload=churn trace=uart trace.buf=4096 trace.defer=1").
 * Words are `key=value` or a bare `key`, separated by blanks. */
#ifndef BOOTARGS_H
#define BOOTARGS_H

#include <stdbool.h>

/* Finds /chosen/bootargs in the flattened device tree at dtb (NULL or not a
 * DTB: no arguments) and keeps a parsed copy. Returns the number of words. */
int bootargs_init(const void *dtb);

/* The whole command line as given ("" if none). */
const char *bootargs_line(void);

/* The value of key, "" for a bare key, NULL if absent (the last one wins). */
const char *bootargs_get(const char *key);

const char *bootargs_str(const char *key, const char *def);

/* Decimal or 0x hex, with an optional k/K (x1024) or m/M suffix; def if
 * absent or malformed. */
unsigned long bootargs_ulong(const char *key, unsigned long def);

/* 1/0, yes/no, on/off, true/false; a bare key is true; def if absent. */
bool bootargs_bool(const char *key, bool def);

#endif /* BOOTARGS_H */
