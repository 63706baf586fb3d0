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

/*
 * Which vclock.offset_ns slot each clock id reads, 2 bits per id 0..31
 * (clockid.h): VCLOCK_REAL for the wall clock's ids, VCLOCK_MONO for the
 * monotonic ones, VCLOCK_NONE (never set, so the system call) for the
 * rest. A table in an immediate, not in memory: under TCG every load is
 * a softmmu TLB check and a write-back of the registers changed before.
 */
#define SPREAD1(x) (((x) | (x) << 16) & 0x0000ffff0000ffffULL)
#define SPREAD2(x) (((x) | (x) << 8) & 0x00ff00ff00ff00ffULL)
#define SPREAD3(x) (((x) | (x) << 4) & 0x0f0f0f0f0f0f0f0fULL)
#define SPREAD4(x) (((x) | (x) << 2) & 0x3333333333333333ULL)
#define SPREAD5(x) (((x) | (x) << 1) & 0x5555555555555555ULL)
/* bit n of a 32-bit set at bit 2n */
#define SPREAD(set) SPREAD5(SPREAD4(SPREAD3(SPREAD2(SPREAD1((uint64_t)(set))))))
#define SLOT_TABLE                                              \
	((0xaaaaaaaaaaaaaaaaULL &                               \
	  ~(SPREAD(CLOCKID_MONO_SET | CLOCKID_REAL_SET) * 3)) | \
	 SPREAD(CLOCKID_REAL_SET) * VCLOCK_REAL)
_Static_assert(VCLOCK_MONO == 0 && VCLOCK_REAL == 1 && VCLOCK_NONE == 2,
	       "2-bit slots");
_Static_assert(!((CLOCKID_MONO_SET | CLOCKID_REAL_SET) >> 31),
	       "id 31 is no clock: slot_of clamps to it");
_Static_assert((SLOT_TABLE >> 2 * CLOCK_REALTIME & 3) == VCLOCK_REAL &&
		       (SLOT_TABLE >> 2 * CLOCK_TAI & 3) == VCLOCK_REAL &&
		       (SLOT_TABLE >> 2 * CLOCK_MONOTONIC & 3) == VCLOCK_MONO &&
		       (SLOT_TABLE >> 2 * CLOCK_BOOTTIME & 3) == VCLOCK_MONO &&
		       (SLOT_TABLE >> 2 * CLOCK_PROCESS_CPUTIME_ID & 3) ==
			       VCLOCK_NONE &&
		       (SLOT_TABLE >> 2 * 31 & 3) == VCLOCK_NONE,
	       "the slot table agrees with clockid.h");

/*
 * The slot clock id reads; ids outside 0..30 read slot 31's, VCLOCK_NONE
 * (no clock has id 31), so the range check is a clamp, not a branch (a
 * branch would end a TCG block).
 */
static inline unsigned int slot_of(int id)
{
	uint32_t uid = (uint32_t)id < 31 ? (uint32_t)id : 31;

	return (unsigned int)(SLOT_TABLE >> 2 * uid) & 3;
}

/* The offset of slot, or VCLOCK_UNSET: ask the kernel. */
static inline uint64_t offset_of(unsigned int slot)
{
	return __atomic_load_n(&vdso_vvar.offset_ns[slot], __ATOMIC_ACQUIRE);
}

/*
 * The clock whose offset (not VCLOCK_UNSET) is off, now. mult is loaded
 * before the TSC is read (the volatile asm keeps it there: [vvar] is
 * const, so rdtsc_ordered's memory clobber does not): under TCG a load
 * writes back the registers changed before it, and at the block's start
 * nothing is, while after `rdtsc` %rax, %rdx and the flags would be.
 */
static inline uint64_t read_ns(uint64_t off)
{
	uint64_t mult = vdso_vvar.mult;

	__asm__ volatile("" : "+r"(mult));

	return vclock_sum(rdtsc_ordered(), mult, off);
}

/* The wall clock in ns, or false to ask the kernel. */
static int read_real_ns(uint64_t *ns)
{
	uint64_t off = offset_of(VCLOCK_REAL);

	if (off == VCLOCK_UNSET)
		return 0;
	*ns = read_ns(off);
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
 * Linux's vDSO). There is no seqlock: an offset never changes once set
 * (lib/vclock.h), and whether it is set is the offset itself, so a read
 * takes two numbers of [vvar]: the clock's offset, and mult.
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

/* The hot one: every timestamp an application takes. */
int __vdso_clock_gettime(int id, struct __kernel_timespec *ts)
{
	uint64_t off = offset_of(slot_of(id));
	uint64_t ns, sec, nsec;

	if (__builtin_expect(off == VCLOCK_UNSET, 0))
		return (int)arch_user_syscall2(__NR_clock_gettime, id,
					       (long)ts);
	ns = read_ns(off);
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
	uint64_t off = offset_of(VCLOCK_REAL);
	uint64_t ns, sec, usec;
	int slow = (off == VCLOCK_UNSET) | !tv | !!tz;

	__asm__("" : "+r"(slow)); /* one value: GCC would branch on each test */
	if (__builtin_expect(slow, 0))
		return gettimeofday_slow(tv, tz);
	ns = read_ns(off);
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
