/* uaccess.c - the only way kernel code touches application memory. */
#include "core/uaccess.h"

#include "arch.h"

#define EFAULT 14
#define ENAMETOOLONG 36

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

long strncpy_from_user(char *dst, uintptr_t usrc, size_t max)
{
	long len;
	size_t limit, n;

	if (max == 0 || usrc >= USER_TOP)
		return -EFAULT;
	/*
	 * Scan max bytes: a NUL among them ends a string of at most max-1
	 * characters; none means it is too long. Never past user space.
	 */
	limit = max < USER_TOP - usrc ? max : USER_TOP - usrc;
	arch_uaccess_begin();
	len = arch_strnlen_user((const char *)usrc, limit);
	/* What fits: the string, or its first max-1 characters. */
	n = len >= 0 && (size_t)len < max ? (size_t)len : max - 1;
	if (len >= 0 && arch_copy_user(dst, (const void *)usrc, n))
		len = -EFAULT;
	arch_uaccess_end();
	if (len < 0)
		return len;
	dst[n] = '\0';
	if ((size_t)len == max)
		return -ENAMETOOLONG;
	if ((size_t)len == limit)
		return -EFAULT; /* ran into the end of user space */
	return len;
}
