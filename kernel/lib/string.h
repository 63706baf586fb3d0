/* string.h - the C string and memory functions the kernel needs. */
#ifndef KILN_LIB_STRING_H
#define KILN_LIB_STRING_H

#include <stddef.h>

/*
 * These carry the standard C names because the compiler itself emits calls
 * to memcpy/memset/memmove/memcmp even in freestanding code. Host unit tests
 * compile string.c with these names prefixed (see tests/unit/string_test.c)
 * so they can be compared against the host libc.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/*
 * strlcpy copies at most size-1 bytes and always NUL-terminates when size > 0.
 * Returns strlen(src), so truncation happened when the result >= size.
 */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
