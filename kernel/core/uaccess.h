/* uaccess.h - the only way kernel code touches application memory. */
#ifndef KILN_CORE_UACCESS_H
#define KILN_CORE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Application pointers are untrusted. These check that [uaddr, uaddr+n)
 * lies in the user half of the address space without wrapping, fault in
 * demand-paged memory as the application itself would, and turn any fault
 * into an error instead of a kernel crash (an exception-table fixup; SMAP
 * is lifted only inside them).
 *
 * copy_from_user / copy_to_user / clear_user return 0 or -EFAULT.
 * strncpy_from_user copies a NUL-terminated string of at most max-1 chars
 * into dst (always terminated) and returns its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL is found within max bytes (dst then holds
 * the first max-1 chars): with max PATH_MAX, a path of 4095 bytes is
 * taken and one of 4096 is -ENAMETOOLONG, as on Linux.
 */
int copy_from_user(void *dst, uintptr_t usrc, size_t n);
int copy_to_user(uintptr_t udst, const void *src, size_t n);
int clear_user(uintptr_t udst, size_t n);
long strncpy_from_user(char *dst, uintptr_t usrc, size_t max);

/* True when [uaddr, uaddr+n) is inside the user half, without overflow. */
bool user_range_ok(uintptr_t uaddr, size_t n);

/* Highest user address + 1 (canonical lower half, last page left out). */
#define USER_TOP 0x00007ffffffff000UL

#endif
