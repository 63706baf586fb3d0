/* sys_time.c - Linux time syscalls: clock_gettime, gettimeofday, time, nanosleep and friends. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/time.h>
#include <linux/time_types.h>

#include "arch.h"
#include "core/clock.h"
#include "core/cred.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/clockid.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"
#include "linux/timespec.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL

/*
 * Clocks. Which ids are the wall clock (read once at boot, core/clock.c,
 * plus the TSC) and which time_ns() is linux/clockid.h's answer, shared with the
 * vDSO, which reads those without a system call. The CPU-time clocks report
 * the time the scheduler charged to the thread or to the process's
 * threads (core/sched.c: kernel time included, halted time not).
 *
 * Negative ids are Linux's CPU clocks of a pid or tid
 * (clock_getcpuclockid): ~pid << 3 | type, bit 2 = per thread.
 */
#define CPUCLOCK_TYPE_MASK 3
#define CPUCLOCK_TYPE_MAX 2 /* PROF, VIRT, SCHED */

#define CPUCLOCK_PERTHREAD 4
/* Type 3 without the thread bit: Linux's dynamic (clock-fd) clocks. */
#define CPUCLOCK_CLOCKFD_MASK 7
#define CPUCLOCK_CLOCKFD 3

uint64_t sysproc_cputime_ns(void)
{
	return sched_proc_cpu_ns(current);
}

uint64_t sysproc_children_cputime_ns(void)
{
	return current->cpu_children_ns;
}

/*
 * The CPU clock id names (Linux's lookup_task), read into *ns: pid 0 is
 * the caller; a thread clock only of a thread of the caller's process;
 * a process clock of any process by its pid and, to be read (gettime),
 * of the caller's own by the calling thread's tid too. 0 or -EINVAL.
 */
static int cpuclock_read(int64_t id, bool gettime, uint64_t *ns)
{
	int pid = (int)~(id >> 3);
	struct thread *t;
	struct proc *p;

	if ((id & CPUCLOCK_TYPE_MASK) > CPUCLOCK_TYPE_MAX)
		return -EINVAL;
	if (id & CPUCLOCK_PERTHREAD) {
		t = pid == 0 ? current_thread : thread_find(pid);
		if (t == NULL || t->proc != current)
			return -EINVAL;
		*ns = sched_thread_cpu_ns(t);
		return 0;
	}
	if (pid == 0 || (gettime && pid == current_thread->tid))
		p = current;
	else
		p = proc_find(pid);
	if (p == NULL)
		return -EINVAL;
	*ns = sched_proc_cpu_ns(p);
	return 0;
}

int cpuclock_valid(int64_t id, bool gettime)
{
	uint64_t ns;

	return cpuclock_read(id, gettime, &ns);
}

bool cpuclock_is_own_thread(int64_t id)
{
	int tid = (int)~(id >> 3);

	return (id & CPUCLOCK_PERTHREAD) &&
	       (tid == 0 || tid == current_thread->tid);
}

/*
 * The value of clock id in nanoseconds, or -EINVAL for an unknown clock.
 * The alarm clocks read as their bases: Linux's wake a suspended
 * machine, and nothing suspends a Kiln VM. The vDSO leaves them to this
 * system call, as Linux's does.
 */
static int clock_read(int64_t id, uint64_t *ns)
{
	switch (clock_base_of(id)) {
	case CLOCK_BASE_REAL:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_BASE_MONO:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_BASE_OTHER:
		break;
	}
	switch (id) {
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = sysproc_cputime_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = sched_thread_cpu_ns(current_thread);
		return 0;
	case CLOCK_REALTIME_ALARM:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	}
	if (id < 0)
		return cpuclock_read(id, true, ns);
	return -EINVAL;
}

static int put_timespec(uintptr_t uts, uint64_t ns)
{
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(ns / NSEC_PER_SEC),
		.tv_nsec = (long long)(ns % NSEC_PER_SEC),
	};

	return copy_to_user(uts, &ts, sizeof(ts));
}

/* A clamped timeout plus any "now": a deadline that arms no timer. */
_Static_assert(TIMESPEC_MAX_NS >= SCHED_NEVER_NS, "forever would tick");

/* The checks are Linux's timespec64_valid; the clamp its KTIME_MAX. */
int timespec_get_user(uintptr_t uts, uint64_t *ns)
{
	struct __kernel_timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	return timespec_to_ns(&ts, ns);
}

long sys_clock_gettime(uint64_t id, uintptr_t uts)
{
	uint64_t ns;
	int err = clock_read((int64_t)(int32_t)id, &ns);

	if (err)
		return err;
	return put_timespec(uts, ns);
}
SYSCALL2(clock_gettime);

long sys_clock_getres(uint64_t id, uintptr_t ures)
{
	int64_t cid = (int64_t)(int32_t)id;
	uint64_t ns;
	/* A CPU clock as Linux's posix_cpu_clock_getres finds it: not to read. */
	int err = cid < 0 ? cpuclock_read(cid, false, &ns) :
			    clock_read(cid, &ns);

	if (err)
		return err;
	/*
	 * Every clock ticks with the TSC: 1 ns is what Linux's hrtimers say.
	 * The _COARSE ids too, unlike Linux's (a jiffy there): Kiln's read
	 * the same TSC as the fine ones (linux/clockid.h), so 1 ns is true.
	 * So do the PROF and VIRT CPU clocks (types 0 and 1), which Linux
	 * gives one tick (1/HZ, the host's choice): Kiln charges CPU time in
	 * TSC nanoseconds (core/sched.c), and all three types read the same.
	 */
	return ures ? put_timespec(ures, 1) : 0;
}
SYSCALL2(clock_getres);

long sys_gettimeofday(uintptr_t utv, uintptr_t utz)
{
	uint64_t ns = clock_realtime_ns();
	struct __kernel_old_timeval tv = {
		.tv_sec = (long)(ns / NSEC_PER_SEC),
		.tv_usec = (long)(ns % NSEC_PER_SEC / NSEC_PER_USEC),
	};
	struct timezone tz = { 0, 0 }; /* UTC, no DST: the VM has no zone */

	if (utv && copy_to_user(utv, &tv, sizeof(tv)))
		return -EFAULT;
	if (utz && copy_to_user(utz, &tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}
SYSCALL2(gettimeofday);

long sys_time(uintptr_t utloc)
{
	long t = (long)(clock_realtime_ns() / NSEC_PER_SEC);

	if (utloc && copy_to_user(utloc, &t, sizeof(t)))
		return -EFAULT;
	return t;
}
SYSCALL1(time);

/*
 * Linux's wall-time limit for settimeofday and clock_settime
 * (timespec64_valid_settod): KTIME_MAX's seconds less 30 years of uptime.
 */
#define SETTOD_SEC_MAX (9223372036LL - 30LL * 365 * 86400)
#define TZ_MINUTES_MAX (15 * 60) /* Linux's +-15 hours */

/*
 * Linux's answers in its order (kernel/time/time.c): tv unreadable is
 * -EFAULT, tv_usec out of [0, USEC_PER_SEC) -EINVAL, tz unreadable
 * -EFAULT, seconds out of range (timespec64_valid_settod) -EINVAL; then CAP_SYS_TIME (-EPERM),
 * and only then a tz_minuteswest beyond 15 hours is -EINVAL. Kiln keeps
 * the host's time and zone: whatever would change them is -EPERM, even
 * for root; with neither pointer root gets Linux's 0.
 */
long sys_settimeofday(uintptr_t utv, uintptr_t utz)
{
	struct __kernel_old_timeval tv;
	struct timezone tz;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_usec < 0 ||
		    tv.tv_usec >= (long)(NSEC_PER_SEC / NSEC_PER_USEC))
			return -EINVAL;
	}
	if (utz && copy_from_user(&tz, utz, sizeof(tz)))
		return -EFAULT;
	if (utv && (tv.tv_sec < 0 || tv.tv_sec >= SETTOD_SEC_MAX))
		return -EINVAL;
	if (current_cred()->euid != 0)
		return -EPERM;
	if (utz && (tz.tz_minuteswest > TZ_MINUTES_MAX ||
		    tz.tz_minuteswest < -TZ_MINUTES_MAX))
		return -EINVAL;
	return utv || utz ? -EPERM : 0;
}
SYSCALL2(settimeofday);

/*
 * Linux's answers, in its order: a clock with no setter (the monotonic
 * family, TAI, the alarm clocks, PROCESS_ and THREAD_CPUTIME_ID, bad
 * ids) is -EINVAL before the time is read; the wall clock and the CPU
 * clocks of a pid or tid (negative ids) read it (-EFAULT); such a CPU
 * clock of another process, or a wall time out of range, is -EINVAL;
 * then a CPU clock can never be set and the wall clock needs
 * CAP_SYS_TIME, which Kiln refuses (it keeps the host's time): -EPERM.
 */
long sys_clock_settime(uint64_t id, uintptr_t uts)
{
	int64_t cid = (int64_t)(int32_t)id;
	bool cpu = cid < 0;
	struct __kernel_timespec ts;
	uint64_t ns;

	if (cid != CLOCK_REALTIME && !cpu)
		return -EINVAL;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (cpu)
		return cpuclock_read(cid, false, &ns) ? -EINVAL : -EPERM;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 ||
	    ts.tv_nsec >= (long long)NSEC_PER_SEC ||
	    ts.tv_sec >= SETTOD_SEC_MAX)
		return -EINVAL;
	return -EPERM;
}
SYSCALL2(clock_settime);

/* Monotonic deadline of a relative sleep, saturating instead of wrapping. */
static uint64_t deadline_after(uint64_t ns)
{
	uint64_t now = clock_monotonic_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

/*
 * Sleep; when a signal cuts it short, the time left in *urem and
 * -ERESTART_RESTARTBLOCK: -EINTR if a handler runs, else (a stop and
 * continue, an ignored signal) restart_syscall sleeps on to the same
 * deadline, as Linux's hrtimer_nanosleep_restart.
 */
static long sleep_reporting_rest(uint64_t deadline, uintptr_t urem)
{
	struct thread *t = current_thread;
	struct __kernel_timespec rest;
	uint64_t now;

	t->restart_sleep = false;
	if (clock_sleep_until(deadline) == 0)
		return 0;
	now = clock_monotonic_ns();
	rest.tv_sec = now < deadline ?
			      (int64_t)((deadline - now) / 1000000000ULL) :
			      0;
	rest.tv_nsec = now < deadline ?
			       (int64_t)((deadline - now) % 1000000000ULL) :
			       0;
	if (urem && copy_to_user(urem, &rest, sizeof(rest)))
		return -EFAULT;
	t->restart_deadline = deadline;
	t->restart_urem = urem;
	t->restart_sleep = true;
	return -ERESTART_RESTARTBLOCK;
}

/* Linux's restart_syscall: -EINTR unless a sleep left a restart block. */
long sys_restart_syscall(void)
{
	struct thread *t = current_thread;

	if (!t->restart_sleep)
		return -EINTR;
	return sleep_reporting_rest(t->restart_deadline, t->restart_urem);
}
SYSCALL0(restart_syscall);

long sys_nanosleep(uintptr_t ureq, uintptr_t urem)
{
	uint64_t ns;
	int err = timespec_get_user(ureq, &ns);

	if (err)
		return err;
	return sleep_reporting_rest(deadline_after(ns), urem);
}
SYSCALL2(nanosleep);

/* An absolute time on clock id as a monotonic deadline. */
static uint64_t deadline_at(int64_t id, uint64_t abs_ns)
{
	uint64_t now_mono = clock_monotonic_ns(), now;

	/* The clamped "forever" stays one on every clock (SCHED_NEVER_NS). */
	if (id == CLOCK_MONOTONIC || id == CLOCK_BOOTTIME ||
	    abs_ns >= TIMESPEC_MAX_NS)
		return abs_ns;
	now = clock_realtime_ns();
	return abs_ns <= now ? now_mono : deadline_after(abs_ns - now);
}

long sys_clock_nanosleep(uint64_t id, uint64_t flags, uintptr_t ureq,
			 uintptr_t urem)
{
	int64_t clk = (int64_t)(int32_t)id;
	/* Linux's flags is an int: the upper 32 bits of the register go. */
	uint32_t fl = (uint32_t)flags;
	uint64_t ns;
	int err;

	/*
	 * As Linux: unknown clocks are -EINVAL; the ones without a sleep
	 * (RAW, COARSE, THREAD_CPUTIME_ID, the clock-fd ids) -EOPNOTSUPP;
	 * the alarm clocks sleep as their bases (nothing suspends a Kiln
	 * VM) but need CAP_WAKE_ALARM. Linux's posix_cpu_nsleep sleeps on
	 * the CPU clock of the process or of another thread; Kiln cannot
	 * (-EOPNOTSUPP for id 2 and every negative id naming such a clock),
	 * but refuses what Linux refuses there: a bad id and the caller's
	 * own thread clock are -EINVAL, after the time is read, as Linux.
	 */
	bool alarm = clockid_is_alarm(clk);
	bool cpu = clk < 0 && (clk & CPUCLOCK_CLOCKFD_MASK) != CPUCLOCK_CLOCKFD;

	if (clk < 0 && !cpu)
		return -EOPNOTSUPP; /* a clock fd's id: no sleep on any */
	if (!cpu) {
		if (clock_read(clk, &ns))
			return -EINVAL;
		if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC &&
		    clk != CLOCK_BOOTTIME && clk != CLOCK_TAI && !alarm &&
		    clk != CLOCK_PROCESS_CPUTIME_ID)
			return -EOPNOTSUPP;
	}
	err = timespec_get_user(ureq, &ns);
	if (err)
		return err;
	if (cpu && (cpuclock_valid(clk, false) || cpuclock_is_own_thread(clk)))
		return -EINVAL;
	if (cpu || clk == CLOCK_PROCESS_CPUTIME_ID)
		return -EOPNOTSUPP;
	/* Linux's alarm_timer_nsleep; then the alarm clocks sleep as their base. */
	if (alarm) {
		if (fl & ~(uint32_t)TIMER_ABSTIME)
			return -EINVAL;
		if (!cred_wake_alarm(current_cred()))
			return -EPERM;
		clk = clk == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME :
						    CLOCK_BOOTTIME;
	}
	/* Absolute: no rest, restarted as it was unless a handler ran. */
	if (fl & TIMER_ABSTIME)
		return clock_sleep_until(deadline_at(clk, ns)) ?
			       -ERESTARTNOHAND :
			       0;
	return sleep_reporting_rest(deadline_after(ns), urem);
}
SYSCALL4(clock_nanosleep);
