/* string.c - memory and string functions for the freestanding kernel. */
#include "lib/string.h"

#include <stdint.h>

/*
 * gcc recognises copy and fill loops and replaces them with calls to
 * memcpy/memset, which inside memcpy/memset is infinite recursion. This
 * turns that transformation off for the functions that need it (clang
 * has no such attribute and already refuses to call the function itself).
 */
#ifdef __clang__
#define NO_LOOP_CALLS
#else
#define NO_LOOP_CALLS \
	__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

/*
 * A 64-bit word that may alias any object, for the bulk loops; and one at
 * any address, for a source whose alignment differs from the
 * destination's (the compiler loads it whole where the CPU allows, as x86
 * does, and byte by byte where it does not). Copying those byte by byte
 * instead made a 1.5 KB frame cost 8 times an aligned one under TCG.
 */
typedef uint64_t __attribute__((may_alias)) string_word;
typedef uint64_t __attribute__((may_alias, aligned(1))) string_uword;

#define WORD sizeof(string_word)

static int aligned(const void *p)
{
	return ((uintptr_t)p & (WORD - 1)) == 0;
}

NO_LOOP_CALLS static void copy_forward(unsigned char *d, const unsigned char *s,
				       size_t n)
{
	while (n > 0 && !aligned(d)) {
		*d++ = *s++;
		n--;
	}
	/*
	 * Four words a step: half the instructions per byte of the one-word
	 * loop (a 4 KiB copy: ~3600 -> ~1700 guest instructions, counted
	 * with QEMU -icount), which is what TCG charges for.
	 */
	for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD, s += 4 * WORD) {
		string_word a = *(const string_uword *)s;
		string_word b = *(const string_uword *)(s + WORD);
		string_word c = *(const string_uword *)(s + 2 * WORD);
		string_word e = *(const string_uword *)(s + 3 * WORD);

		*(string_word *)d = a;
		*(string_word *)(d + WORD) = b;
		*(string_word *)(d + 2 * WORD) = c;
		*(string_word *)(d + 3 * WORD) = e;
	}
	for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
		*(string_word *)d = *(const string_uword *)s;
	while (n--)
		*d++ = *s++;
}

/* Copy from the end down, for a destination above an overlapping source. */
NO_LOOP_CALLS static void copy_backward(unsigned char *d,
					const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	while (n > 0 && !aligned(d)) {
		*--d = *--s;
		n--;
	}
	for (; n >= WORD; n -= WORD) {
		d -= WORD;
		s -= WORD;
		*(string_word *)d = *(const string_uword *)s;
	}
	while (n--)
		*--d = *--s;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	/* Unsigned wrap: true when dst is below src or past its end. */
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		copy_forward(dst, src, n);
	else
		copy_backward(dst, src, n);
	return dst;
}

NO_LOOP_CALLS void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	string_word w = (unsigned char)c * (UINT64_MAX / 0xff);

	while (n > 0 && !aligned(d)) {
		*d++ = (unsigned char)c;
		n--;
	}
	/* Four words a step, as copy_forward: kzalloc's objects of a few hundred bytes. */
	for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD) {
		((string_word *)d)[0] = w;
		((string_word *)d)[1] = w;
		((string_word *)d)[2] = w;
		((string_word *)d)[3] = w;
	}
	for (; n >= WORD; n -= WORD, d += WORD)
		*(string_word *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

/* Bytes compare as unsigned char (C11 7.24.4). */
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	/*
	 * Words at any alignment (see string_uword): a directory entry's
	 * name sits 8 bytes into a 4-byte-aligned entry, and a byte loop
	 * over each same-length name was a fifth of an ext4 lookup.
	 */
	for (; n >= WORD; x += WORD, y += WORD, n -= WORD) {
		string_word wa = *(const string_uword *)x;
		string_word wb = *(const string_uword *)y;

		/*
		 * The first unequal word decides: in memory order (most
		 * significant first once byte-swapped on a little-endian
		 * machine) it compares as its bytes do, without a loop over
		 * the bytes before the one that differs.
		 */
		if (wa != wb) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			wa = __builtin_bswap64(wa);
			wb = __builtin_bswap64(wb);
#endif
			return wa < wb ? -1 : 1;
		}
	}
	for (; n > 0; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n > 0; n--, p++) {
		if (*p == (unsigned char)c)
			return (void *)(uintptr_t)p;
	}
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n > 0; n--, x++, y++) {
		if (*x != *y || !*x)
			return *x - *y;
	}
	return 0;
}

/* strchr(s, 0) finds the terminator, as C requires. */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)(uintptr_t)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)(uintptr_t)last;
	}
}

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
