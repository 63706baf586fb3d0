/* uaccess.c - the only way kernel code touches application memory. */
#include "core/uaccess.h"

#include "arch.h"

#define EFAULT 14
#define ENAMETOOLONG 36
/* The smallest page: a chunk that stays inside one faults as a byte would. */
#define STRING_PAGE 4096

bool user_range_ok(uintptr_t uaddr, size_t n)
{
	return uaddr < USER_TOP && n <= USER_TOP - uaddr;
}

int copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
	long r;

	if (!user_range_ok(usrc, n))
		return -EFAULT;
	arch_uaccess_begin();
	r = arch_copy_user(dst, (const void *)usrc, n);
	arch_uaccess_end();
	return (int)r;
}

int copy_to_user(uintptr_t udst, const void *src, size_t n)
{
	long r;

	if (!user_range_ok(udst, n))
		return -EFAULT;
	arch_uaccess_begin();
	r = arch_copy_user((void *)udst, src, n);
	arch_uaccess_end();
	return (int)r;
}

int clear_user(uintptr_t udst, size_t n)
{
	long r;

	if (!user_range_ok(udst, n))
		return -EFAULT;
	arch_uaccess_begin();
	r = arch_clear_user((void *)udst, n);
	arch_uaccess_end();
	return (int)r;
}

/* Index of the first NUL in the n bytes at s (kernel memory), or n. */
static size_t nul_index(const char *s, size_t n)
{
	typedef uint64_t __attribute__((may_alias, aligned(1))) uword;
	const uint64_t ones = 0x0101010101010101ULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w = *(const uword *)(s + i);
		uint64_t z = (w - ones) & ~w & (ones << 7);

		if (z != 0) /* the lowest flagged byte is the first NUL */
			return i + (size_t)__builtin_ctzll(z) / 8;
	}
	while (i < n && s[i] != '\0')
		i++;
	return i;
}

/*
 * Copied a chunk at a time, then scanned in the kernel's copy a word at a
 * time: a byte loop over the user's string and then a copy of it cost ~10
 * guest instructions a byte under TCG (docs/performance.md, "statfast2").
 * A chunk never crosses a page, so it faults only where the string itself
 * runs into an unmapped page; what it copies past the NUL lies in the
 * same page and is left in dst unused.
 */
#define STRING_CHUNK 64

long strncpy_from_user(char *dst, uintptr_t usrc, size_t max)
{
	size_t limit, done = 0, n, z;
	long r;

	if (max == 0 || usrc >= USER_TOP)
		return -EFAULT;
	/* A NUL in the first max bytes ends a string of at most max-1. */
	limit = max < USER_TOP - usrc ? max : USER_TOP - usrc;
	while (done < limit) {
		n = STRING_PAGE - ((usrc + done) & (STRING_PAGE - 1));
		if (n > STRING_CHUNK)
			n = STRING_CHUNK;
		if (n > limit - done)
			n = limit - done;
		arch_uaccess_begin();
		r = arch_copy_user(dst + done, (const void *)(usrc + done), n);
		arch_uaccess_end();
		if (r < 0)
			break;
		z = nul_index(dst + done, n);
		if (z < n)
			return (long)(done + z);
		done += n;
	}
	if (done < max) { /* a fault, or the end of user space */
		dst[done] = '\0';
		return -EFAULT;
	}
	dst[max - 1] = '\0';
	return -ENAMETOOLONG;
}
