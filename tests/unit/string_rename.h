/* string_rename.h - kiln_ names for kernel/lib/string.c in host tests. */
#ifndef KILN_TEST_STRING_RENAME_H
#define KILN_TEST_STRING_RENAME_H

/*
 * Force-included (-include) when building kernel/lib/string.c and
 * string_test.c for the host, so Kiln's versions do not collide with the
 * host libc and the test can compare the two. The host <string.h> is read
 * first, with the real names, so its fortify wrappers stay attached to libc.
 * strnlen is POSIX, so ask for it before <string.h> is first seen.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#define memcpy kiln_memcpy
#define memmove kiln_memmove
#define memset kiln_memset
#define memcmp kiln_memcmp
#define memchr kiln_memchr
#define strlen kiln_strlen
#define strnlen kiln_strnlen
#define strcmp kiln_strcmp
#define strncmp kiln_strncmp
#define strchr kiln_strchr
#define strrchr kiln_strrchr
#define strlcpy kiln_strlcpy

#endif
