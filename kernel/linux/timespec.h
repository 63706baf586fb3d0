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
 * The longest time a timespec stands for: Linux's KTIME_MAX (INT64_MAX
 * ns, 292 years). Added to any "now" it stays at or above
 * SCHED_NEVER_NS, a deadline the scheduler arms no timer for.
 */
#define TIMESPEC_MAX_NS ((uint64_t)INT64_MAX)

/*
 * A timer's value or interval into *ns: -EINVAL for a negative or
 * denormal one; from TIMESPEC_MAX_NS / 10^9 whole seconds on it is
 * TIMESPEC_MAX_NS, as Linux's timespec64_to_ktime clamps from
 * KTIME_SEC_MAX on (tests/unit/timespec_test.c).
 */
static inline int timespec_to_ns(const struct __kernel_timespec *ts,
				 uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= (long long)TIMESPEC_NSEC)
		return -EINVAL;
	if ((uint64_t)ts->tv_sec >= TIMESPEC_MAX_NS / TIMESPEC_NSEC)
		*ns = TIMESPEC_MAX_NS;
	else
		*ns = (uint64_t)ts->tv_sec * TIMESPEC_NSEC +
		      (uint64_t)ts->tv_nsec;
	return 0;
}

/*
 * A timeout or sleep the application passes (the struct
 * __kernel_timespec at user address uts) into *ns, as timespec_to_ns:
 * 0, -EFAULT, -EINVAL; beyond centuries TIMESPEC_MAX_NS (sys_time.c).
 */
int timespec_get_user(uintptr_t uts, uint64_t *ns);

#endif
