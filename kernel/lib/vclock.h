/* vclock.h - TSC ticks to nanoseconds, and the clock data the kernel shares with the vDSO. */
#ifndef KILN_LIB_VCLOCK_H
#define KILN_LIB_VCLOCK_H

#include <stdint.h>

/*
 * The kernel's clocks are functions of the TSC alone:
 *
 *   clock = (tsc * mult >> 32) + offset_ns[clock]      (modulo 2^64)
 *
 * with offset_ns[VCLOCK_MONO] = -(tsc_base * mult >> 32), so monotonic
 * time is 0 at the kernel's first TSC read (time_ns agrees), and
 * offset_ns[VCLOCK_REAL] = Unix time less monotonic time, read once.
 * The kernel computes them with the functions below, and so does the
 * vDSO (kernel/linux/vdso/), in the application, from a copy of these
 * numbers on the read-only [vvar] page: both read a clock with
 * vclock_sum, so the same inputs give the same answer, and a vDSO read
 * lies between two syscall reads.
 *
 * The multiply is 64x64 -> 128 bits, so no TSC value can overflow it;
 * the sums are modulo 2^64, so a clock holds nanoseconds up to 2^64
 * (584 years). tsc * mult >> 32 never decreases as the TSC grows, so
 * neither does a clock, unless the TSC wraps: 195 years at 3 GHz after
 * it read 0, which is not boot (a hypervisor or a restored snapshot may
 * start it anywhere; arch/x86_64/tsc.c warns at boot if it starts near
 * 2^64).
 * The base is an offset and not subtracted from the TSC first so that a
 * read takes two numbers of [vvar], not three. tests/unit/vclock_test.c.
 */
#define VCLOCK_SHIFT 32

/* Indexes of vclock.offset_ns: the clocks, and a slot that is never set. */
#define VCLOCK_MONO 0
#define VCLOCK_REAL 1
#define VCLOCK_NONE 2
#define VCLOCK_SLOTS 3

/*
 * An offset not known yet: 0, as the page starts, and the one value a
 * TCG block tests for free (`test`, no constant to compare with). A
 * reader that finds it asks the kernel, which computes with whatever the
 * slot holds: should a real offset ever be 0 (a TSC read within a tick
 * of 0 at the kernel's entry, or a wall clock equal to the TSC's ns),
 * the vDSO only loses its fast path, never the right answer.
 */
#define VCLOCK_UNSET 0

/*
 * The [vvar] page: written only by core/clock.c, mapped read-only into
 * every process. mult is set before any offset, and an offset is written
 * (release) once, over VCLOCK_UNSET; a reader that loads an offset other
 * than VCLOCK_UNSET (acquire) sees mult. Each clock's readiness is its
 * offset, so the vDSO learns whether it may answer from the one load it
 * needs anyway. The VCLOCK_NONE slot stays VCLOCK_UNSET: the vDSO reads
 * it for the clock ids it does not answer.
 */
struct vclock {
	uint64_t offset_ns[VCLOCK_SLOTS]; /* first: indexed with no addend */
	uint64_t mult;			  /* ns per tick << VCLOCK_SHIFT */
};

/* The multiplier for a counter of hz ticks per second (hz >= 1). */
uint64_t vclock_mult(uint64_t hz);

/* Nanoseconds in ticks counter ticks at multiplier mult. Never overflows. */
static inline uint64_t vclock_ticks_ns(uint64_t ticks, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)ticks * mult) >> VCLOCK_SHIFT);
}

/* Start with every clock unknown (before any reader). */
static inline void vclock_init(struct vclock *v)
{
	for (int i = 0; i < VCLOCK_SLOTS; i++)
		v->offset_ns[i] = VCLOCK_UNSET;
}

/* Monotonic time 0 is TSC value tsc_base, at multiplier mult. */
static inline void vclock_set_mono(struct vclock *v, uint64_t tsc_base,
				   uint64_t mult)
{
	v->mult = mult;
	__atomic_store_n(&v->offset_ns[VCLOCK_MONO],
			 -vclock_ticks_ns(tsc_base, mult), __ATOMIC_RELEASE);
}

/*
 * A clock at TSC value tsc, given its offset and the multiplier as
 * values (modulo 2^64): the one sum of the kernel's reads and the vDSO's,
 * which loads the two numbers itself, in the order TCG wants.
 */
static inline uint64_t vclock_sum(uint64_t tsc, uint64_t mult, uint64_t offset)
{
	return vclock_ticks_ns(tsc, mult) + offset;
}

/* Clock slot at TSC value tsc. */
static inline uint64_t vclock_read(const struct vclock *v, int slot,
				   uint64_t tsc)
{
	return vclock_sum(tsc, v->mult, v->offset_ns[slot]);
}

/* Monotonic nanoseconds at TSC value tsc. */
static inline uint64_t vclock_mono_ns(const struct vclock *v, uint64_t tsc)
{
	return vclock_read(v, VCLOCK_MONO, tsc);
}

/* Record that Unix time was wall_ns at monotonic time mono_ns. */
static inline void vclock_set_wall(struct vclock *v, uint64_t wall_ns,
				   uint64_t mono_ns)
{
	__atomic_store_n(&v->offset_ns[VCLOCK_REAL],
			 wall_ns - mono_ns + v->offset_ns[VCLOCK_MONO],
			 __ATOMIC_RELEASE);
}

/*
 * Unix time in nanoseconds at monotonic time mono_ns: the wall_ns given
 * to vclock_set_wall plus the time since its mono_ns (modulo 2^64; the
 * same sum as vclock_read's for VCLOCK_REAL at the same TSC value).
 */
static inline uint64_t vclock_real_ns(const struct vclock *v, uint64_t mono_ns)
{
	return mono_ns - v->offset_ns[VCLOCK_MONO] + v->offset_ns[VCLOCK_REAL];
}

#endif
