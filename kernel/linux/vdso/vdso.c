/* vdso.c - the vDSO: clock reads in the application, from the [vvar] page, with no system call. */
#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/time.h>
#include <linux/time_types.h>

#include "arch.h"
#include "lib/vclock.h"
#include "linux/clockid.h"

/*
 * This file is built alone into a small shared object (vdso.lds,
 * vdso.map), which the kernel embeds and maps into every process
 * (linux/vdso.c); it runs in ring 3, on the application's stack, so it
 * may not use anything of the kernel but inline code. It answers what
 * the system calls of sys_time.c answer, from the same numbers
 * (lib/vclock.h) and the same choice of clock (linux/clockid.h), and
 * asks the kernel, with the real system call, for anything else: CPU
 * clocks, bad ids, and the wall clock until the kernel has read it.
 *
 * The [vvar] page lies just below the vDSO's first page; the linker
 * script places the symbol there, so it is found relative to the code.
 */
extern const struct vclock vdso_vvar __attribute__((visibility("hidden")));

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL

#define VCLOCK_ALL_READY (VCLOCK_MONO_READY | VCLOCK_WALL_READY)

/*
 * The clock ids answered here (bit n: id n; clockid.h) for each value of
 * the [vvar] flags, 16 bits per value: the monotonic ones once the TSC
 * is set up, the wall clock's once the kernel has read it. A table in an
 * immediate, not in memory: under TCG every load is a softmmu TLB check
 * and a write-back of the registers changed before it.
 */
#define ANSWERED_BITS 16
#define ANSWERED                                                             \
	((uint64_t)CLOCKID_MONO_SET << (ANSWERED_BITS * VCLOCK_MONO_READY) | \
	 (uint64_t)(CLOCKID_MONO_SET | CLOCKID_REAL_SET)                     \
		 << (ANSWERED_BITS * VCLOCK_ALL_READY))
_Static_assert((CLOCKID_MONO_SET | CLOCKID_REAL_SET) < 1u << ANSWERED_BITS,
	       "every answered id fits a table entry");

/* The wall clock in ns, or false to ask the kernel. */
static int read_real_ns(uint64_t *ns)
{
	const struct vclock *v = &vdso_vvar;

	if (__atomic_load_n(&v->ready, __ATOMIC_ACQUIRE) != VCLOCK_ALL_READY)
		return 0;
	*ns = vclock_real_ns(v, vclock_mono_ns(v, rdtsc_ordered()));
	return 1;
}

/*
 * The hot paths are written for QEMU's TCG, where the bench runs: there
 * the cost of a clock read is not its instructions but its translation
 * blocks. Every conditional branch ends a block (and each block stores
 * the guest registers it changed back to memory), `ret` is a hash
 * lookup of the next block, `rdtsc` a helper call; `lfence` is free
 * with one vCPU. So clock_gettime and gettimeofday decide with one
 * branch whether they answer, then run straight to their one `ret`:
 * two blocks, one `rdtsc` (docs/performance.md counts them, against
 * Linux's vDSO). There is no seqlock: [vvar] never changes once its
 * flag is set (lib/vclock.h).
 */

/*
 * Have both values computed before the caller stores either: TCG writes
 * every guest register changed so far back to CPUState before each guest
 * memory access, so arithmetic between two stores is written back twice.
 */
static inline void in_registers(uint64_t *a, uint64_t *b)
{
	__asm__("" : "+r"(*a), "+r"(*b));
}

/* Bit n of a clock id set, as an index of vclock.offset_ns. */
_Static_assert(VCLOCK_MONO == 0 && VCLOCK_REAL == 1, "offset_ns indexes");

/* The hot one: every timestamp an application takes. */
int __vdso_clock_gettime(int id, struct __kernel_timespec *ts)
{
	const struct vclock *v = &vdso_vvar;
	uint32_t ready = __atomic_load_n(&v->ready, __ATOMIC_ACQUIRE);
	uint32_t uid = (uint32_t)id;
	/* id answered here, as one value for one branch */
	uint32_t ok = (uid < ANSWERED_BITS) &
		      (uint32_t)(ANSWERED >> ((ready & 3) * ANSWERED_BITS +
					      uid % ANSWERED_BITS));
	uint64_t ns, sec, nsec;

	if (__builtin_expect(!(ok & 1), 0))
		return (int)arch_user_syscall2(__NR_clock_gettime, id,
					       (long)ts);
	/* the wall clock's offset for the REALTIME ids, else 0 */
	ns = vclock_mono_ns(v, rdtsc_ordered()) +
	     v->offset_ns[(CLOCKID_REAL_SET >> (uid & 31)) & 1];
	sec = ns / NSEC_PER_SEC;
	nsec = ns % NSEC_PER_SEC;
	in_registers(&sec, &nsec);
	ts->tv_sec = (long long)sec;
	ts->tv_nsec = (long long)nsec;
	return 0;
}

/* gettimeofday for what the fast path leaves: no tv, a tz, or no clock yet. */
static int __attribute__((noinline, cold))
gettimeofday_slow(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	uint64_t ns;

	if (!read_real_ns(&ns))
		return (int)arch_user_syscall2(__NR_gettimeofday, (long)tv,
					       (long)tz);
	if (tv) {
		tv->tv_sec = (long)(ns / NSEC_PER_SEC);
		tv->tv_usec = (long)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	}
	if (tz) {
		tz->tz_minuteswest = 0; /* UTC, no DST, as the syscall says */
		tz->tz_dsttime = 0;
	}
	return 0;
}

/* The fast path is the common call, gettimeofday(&tv, NULL). */
int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	const struct vclock *v = &vdso_vvar;
	uint32_t ready = __atomic_load_n(&v->ready, __ATOMIC_ACQUIRE);
	uint64_t ns, sec, usec;

	if (__builtin_expect(((ready ^ VCLOCK_ALL_READY) | !tv | !!tz) != 0, 0))
		return gettimeofday_slow(tv, tz);
	ns = vclock_real_ns(v, vclock_mono_ns(v, rdtsc_ordered()));
	sec = ns / NSEC_PER_SEC;
	usec = ns % NSEC_PER_SEC / NSEC_PER_USEC;
	in_registers(&sec, &usec);
	tv->tv_sec = (long)sec;
	tv->tv_usec = (long)usec;
	return 0;
}

long __vdso_time(long *t)
{
	uint64_t ns;
	long secs;

	if (!read_real_ns(&ns))
		return arch_user_syscall2(__NR_time, (long)t, 0);
	secs = (long)(ns / NSEC_PER_SEC);
	if (t)
		*t = secs;
	return secs;
}

/* Kiln runs one CPU on one node. */
long __vdso_getcpu(unsigned int *cpu, unsigned int *node, void *cache)
{
	(void)cache;
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

/* Every clock the vDSO reads ticks with the TSC: 1 ns, as the syscall says. */
int __vdso_clock_getres(int id, struct __kernel_timespec *res)
{
	if (clock_base_of(id) == CLOCK_BASE_OTHER)
		return (int)arch_user_syscall2(__NR_clock_getres, id,
					       (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

/* The names without the prefix, as Linux's vDSO has them too. */
int clock_gettime(int, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct __kernel_old_timeval *, struct timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned int *, unsigned int *, void *)
	__attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));
