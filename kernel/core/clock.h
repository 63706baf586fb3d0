/* clock.h - the kernel's clocks: wall time (from the CMOS RTC at boot) and monotonic time. */
#ifndef KILN_CORE_CLOCK_H
#define KILN_CORE_CLOCK_H

#include <stdint.h>

/*
 * Prepare the wall clock: it is read once (KVM pvclock, else the CMOS
 * real-time clock), on the first clock_realtime_ns call, so boots that
 * never ask for the date skip ~1 ms of port I/O. Call once at boot after
 * tsc_init. Without a usable RTC the wall clock starts at the Unix epoch
 * (1970-01-01) and a line on the log says so.
 */
void clock_init(void);

/*
 * Nanoseconds since the Unix epoch: the RTC's reading at boot (1 s
 * resolution) plus the TSC time elapsed since. Never goes backwards.
 * Safe from any context once clock_init has run.
 */
uint64_t clock_realtime_ns(void);

/* Nanoseconds since boot (time_ns): what CLOCK_MONOTONIC reports. */
uint64_t clock_monotonic_ns(void);

/*
 * Sleep the calling thread (other threads run; with none, the CPU halts,
 * so an idle guest costs the host nothing) until clock_monotonic_ns() >=
 * deadline_ns. Returns 0, at once for a deadline already past, or -EINTR
 * when a signal arrived first.
 */
int clock_sleep_until(uint64_t deadline_ns);

/*
 * Physical address of the [vvar] page: the clocks' numbers (struct vclock,
 * lib/vclock.h) that the vDSO reads. Map it read-only; it never moves.
 */
uint64_t clock_vvar_phys(void);

/* Total nanoseconds the CPU spent halted with nothing to run. */
uint64_t clock_idle_ns(void);

#endif
