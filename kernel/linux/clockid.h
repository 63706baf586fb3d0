/* clockid.h - which kernel clock each Linux clock id reads: one answer for the syscalls and the vDSO. */
#ifndef KILN_LINUX_CLOCKID_H
#define KILN_LINUX_CLOCKID_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/time.h>

/*
 * REALTIME (and TAI, whose offset is 0 as on a fresh Linux) is the wall
 * clock; MONOTONIC, _RAW, BOOTTIME and the _COARSE variants are all
 * time_ns() (nothing suspends a Kiln VM, the TSC is not slewed, and a
 * coarse read costs no less than a fine one). Everything else (the CPU
 * clocks, bad ids) is CLOCK_BASE_OTHER: sys_time.c decides.
 */
enum clock_base {
	CLOCK_BASE_OTHER,
	CLOCK_BASE_REAL,
	CLOCK_BASE_MONO,
};

#define CLOCKID_BIT(id) (1u << (id))
#define CLOCKID_REAL_SET                                                    \
	(CLOCKID_BIT(CLOCK_REALTIME) | CLOCKID_BIT(CLOCK_REALTIME_COARSE) | \
	 CLOCKID_BIT(CLOCK_TAI))
#define CLOCKID_MONO_SET                                                   \
	(CLOCKID_BIT(CLOCK_MONOTONIC) | CLOCKID_BIT(CLOCK_MONOTONIC_RAW) | \
	 CLOCKID_BIT(CLOCK_MONOTONIC_COARSE) | CLOCKID_BIT(CLOCK_BOOTTIME))

/* The clock id (as the syscall sees it, sign-extended) reads. */
static inline enum clock_base clock_base_of(int64_t id)
{
	if (id < 0 || id >= 32)
		return CLOCK_BASE_OTHER;
	if (CLOCKID_BIT(id) & CLOCKID_REAL_SET)
		return CLOCK_BASE_REAL;
	if (CLOCKID_BIT(id) & CLOCKID_MONO_SET)
		return CLOCK_BASE_MONO;
	return CLOCK_BASE_OTHER;
}

/*
 * REALTIME_ALARM and BOOTTIME_ALARM: Linux's alarmtimer clocks, which
 * would wake a suspended machine. Nothing suspends a Kiln VM, so each is
 * its base clock; only the CAP_WAKE_ALARM check (cred_wake_alarm) is left.
 */
static inline bool clockid_is_alarm(int64_t id)
{
	return id == CLOCK_REALTIME_ALARM || id == CLOCK_BOOTTIME_ALARM;
}

#endif
