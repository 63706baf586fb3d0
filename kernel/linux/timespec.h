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
 * A timer's expiry plus a value or period, stopping at TIMESPEC_MAX_NS
 * as Linux's ktime_add_safe stops at KTIME_MAX: a relative first expiry
 * added to "now", a periodic timer moved on by whole periods. Both
 * operands are at most TIMESPEC_MAX_NS, so the sum cannot wrap.
 */
static inline uint64_t timespec_add_ns(uint64_t at, uint64_t ns)
{
	return ns >= TIMESPEC_MAX_NS - at ? TIMESPEC_MAX_NS : at + ns;
}

/*
 * The first expiry after now of a timer due at expiry, every interval
 * ns (not 0), and in *k the expiries up to now (>= 1): Linux's
 * hrtimer_forward, saturating. expiry <= now <= TIMESPEC_MAX_NS.
 */
static inline uint64_t timespec_forward(uint64_t expiry, uint64_t now,
					uint64_t interval, uint64_t *k)
{
	*k = (now - expiry) / interval + 1;
	/* (k - 1) * interval <= now - expiry: no wrap before the clamp */
	return timespec_add_ns(expiry + (*k - 1) * interval, interval);
}

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
