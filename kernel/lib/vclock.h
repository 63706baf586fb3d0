/* vclock.h - TSC ticks to nanoseconds, and the clock data the kernel shares with the vDSO. */
#ifndef KILN_LIB_VCLOCK_H
#define KILN_LIB_VCLOCK_H

#include <stdint.h>

/*
 * The kernel's clocks are functions of the TSC alone:
 *
 *   monotonic = (tsc - tsc_base) * mult >> 32          (time_ns)
 *   realtime  = monotonic + offset_ns[VCLOCK_REAL]     (clock.c)
 *
 * The kernel computes them with the functions below, and so does the
 * vDSO (kernel/linux/vdso/), in the application, from a copy of these
 * numbers on the read-only [vvar] page: the same code on the same inputs
 * gives the same answer, so a vDSO read lies between two syscall reads.
 *
 * The multiply is 64x64 -> 128 bits, so no TSC value can overflow it;
 * the result holds nanoseconds up to 2^64 (584 years of uptime). The
 * subtraction is modulo 2^64, so even a TSC that wraps (after 195 years
 * at 3 GHz) gives the right elapsed time. tests/unit/vclock_test.c.
 */
#define VCLOCK_SHIFT 32

/*
 * The [vvar] page: written only by core/clock.c, mapped read-only into
 * every process. A field is never changed once its flag is set, and the
 * flags are set (release) after their fields, so a reader that sees a
 * flag (acquire) sees its fields. Without a flag the vDSO asks the
 * kernel (the system call sets it). Both flags share one word, so the
 * vDSO learns what it may answer from a single load.
 */
#define VCLOCK_MONO_READY 1u /* tsc_base and mult are set */
#define VCLOCK_WALL_READY 2u /* offset_ns[VCLOCK_REAL] is set */

/* Indexes of vclock.offset_ns: the clocks, as offsets from monotonic. */
#define VCLOCK_MONO 0
#define VCLOCK_REAL 1

struct vclock {
	uint32_t ready; /* VCLOCK_*_READY, only ever added */
	uint32_t unused;
	uint64_t tsc_base; /* the TSC at monotonic time 0 */
	uint64_t mult;	   /* ns per tick << VCLOCK_SHIFT */
	/*
	 * What each clock adds to the monotonic one: 0, and Unix time read
	 * at boot less the monotonic time it was read at (modulo 2^64). One
	 * load, indexed by the clock, so the vDSO picks a clock without a
	 * branch (vclock_set_wall sets it).
	 */
	uint64_t offset_ns[2];
};

/* The multiplier for a counter of hz ticks per second (hz >= 1). */
uint64_t vclock_mult(uint64_t hz);

/* Nanoseconds in ticks counter ticks at multiplier mult. Never overflows. */
static inline uint64_t vclock_ticks_ns(uint64_t ticks, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)ticks * mult) >> VCLOCK_SHIFT);
}

/* Monotonic nanoseconds at TSC value tsc (wrapping as the kernel's does). */
static inline uint64_t vclock_mono_ns(const struct vclock *v, uint64_t tsc)
{
	return vclock_ticks_ns(tsc - v->tsc_base, v->mult);
}

/* Record that Unix time was wall_ns at monotonic time mono_ns. */
static inline void vclock_set_wall(struct vclock *v, uint64_t wall_ns,
				   uint64_t mono_ns)
{
	v->offset_ns[VCLOCK_REAL] = wall_ns - mono_ns;
}

/*
 * Unix time in nanoseconds at monotonic time mono_ns: the wall_ns given
 * to vclock_set_wall plus the time since its mono_ns (modulo 2^64).
 */
static inline uint64_t vclock_real_ns(const struct vclock *v, uint64_t mono_ns)
{
	return mono_ns + v->offset_ns[VCLOCK_REAL];
}

#endif
