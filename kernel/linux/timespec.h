/* timespec.h - the timers' conversions between nanoseconds and struct __kernel_timespec. */
#ifndef KILN_LINUX_TIMESPEC_H
#define KILN_LINUX_TIMESPEC_H

#include <stdint.h>

#include <asm-generic/errno.h>
#include <linux/time_types.h>

#define TIMESPEC_NSEC 1000000000ULL

static inline struct __kernel_timespec timespec_from_ns(uint64_t ns)
{
	return (struct __kernel_timespec){ (long long)(ns / TIMESPEC_NSEC),
					   (long long)(ns % TIMESPEC_NSEC) };
}

/*
 * A timer's value or interval into *ns: -EINVAL for a negative or
 * denormal one; beyond centuries it is clamped to UINT64_MAX / 2, which
 * never comes (and leaves room to add "now" without overflow).
 */
static inline int timespec_to_ns(const struct __kernel_timespec *ts,
				 uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= (long long)TIMESPEC_NSEC)
		return -EINVAL;
	if ((uint64_t)ts->tv_sec > UINT64_MAX / TIMESPEC_NSEC / 2)
		*ns = UINT64_MAX / 2;
	else
		*ns = (uint64_t)ts->tv_sec * TIMESPEC_NSEC +
		      (uint64_t)ts->tv_nsec;
	return 0;
}

/*
 * A timeout or sleep the application passes (the struct
 * __kernel_timespec at user address uts) into *ns, as timespec_to_ns:
 * 0, -EFAULT, -EINVAL; beyond centuries UINT64_MAX / 2 (sys_time.c).
 */
int timespec_get_user(uintptr_t uts, uint64_t *ns);

#endif
