/* sys_itimer.c - interval timers: alarm, setitimer and getitimer (ITIMER_REAL). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm/signal.h>
#include <linux/time.h>

#include "core/clock.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/sigdeliver.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * ITIMER_REAL counts wall time and sends SIGALRM to the process, from a
 * kernel timer. A periodic one is re-armed for its next period when the
 * signal is taken (itimer_real_taken), not when it fires, as Linux does:
 * while SIGALRM waits blocked or unhandled the timer costs nothing, and
 * at most one interrupt comes per signal taken. Re-armed at every period
 * from the interrupt, a 1 us timer livelocked the guest. ITIMER_VIRTUAL
 * and ITIMER_PROF (CPU time) are not kept: they read as disarmed, and
 * arming them fails with -EINVAL rather than never firing.
 */
#define NS_PER_US 1000ULL
#define NS_PER_S 1000000000ULL

/*
 * One ITIMER_REAL per process, in its struct proc: a fork child starts
 * without one, exec keeps it, exit cancels it (Linux: signal_struct's
 * real_timer).
 */
static struct proc *real_proc(struct ktimer *k)
{
	return (struct proc *)(void *)((char *)k -
				       offsetof(struct proc, itimer_real));
}

static void real_fire(struct ktimer *k)
{
	signal_send_info(
		real_proc(k), NULL,
		&(struct signal_info){ .signo = SIGALRM, .code = SI_KERNEL });
}

void itimer_proc_exit(struct proc *p)
{
	ktimer_cancel(&p->itimer_real);
	p->itimer_interval_ns = 0;
}

/* The first period boundary after now, counted from the last expiry. */
void itimer_real_taken(void)
{
	struct ktimer *k = &current->itimer_real;
	uint64_t now = time_ns(), next, missed,
		 period = current->itimer_interval_ns;

	if (period == 0 || k->armed)
		return;
	if (now < k->deadline_ns) /* never after a fire; as if due now */
		now = k->deadline_ns;
	next = timespec_forward(k->deadline_ns, now, period, &missed);
	ktimer_arm(k, next, real_fire);
}

/* Clamped at TIMESPEC_MAX_NS as any timespec (tv_valid checked it). */
static uint64_t tv_to_ns(const struct timeval *tv)
{
	struct __kernel_timespec ts = { tv->tv_sec,
					(long long)tv->tv_usec * NS_PER_US };
	uint64_t ns = 0;

	timespec_to_ns(&ts, &ns);
	return ns;
}

static struct timeval ns_to_tv(uint64_t ns)
{
	return (struct timeval){
		.tv_sec = (long)(ns / NS_PER_S),
		.tv_usec = (long)(ns % NS_PER_S / NS_PER_US),
	};
}

/* The REAL timer now; a due-but-unfired timer reads as 1 us (as Linux). */
static void real_get(struct itimerval *it)
{
	const struct ktimer *k = &current->itimer_real;
	uint64_t now = time_ns(), left = 0;

	if (k->armed)
		left = k->deadline_ns > now ? k->deadline_ns - now : NS_PER_US;
	it->it_value = ns_to_tv(left);
	it->it_interval = ns_to_tv(current->itimer_interval_ns);
}

static void real_set(const struct itimerval *it)
{
	uint64_t value = tv_to_ns(&it->it_value);

	ktimer_cancel(&current->itimer_real);
	/* Linux too keeps no interval when disarmed */
	current->itimer_interval_ns = 0;
	if (value) {
		current->itimer_interval_ns = tv_to_ns(&it->it_interval);
		ktimer_arm(&current->itimer_real,
			   timespec_add_ns(time_ns(), value), real_fire);
	}
}

/* Linux's timeval_valid: any seconds, clamped later at KTIME_MAX. */
static bool tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

long sys_getitimer(int which, uintptr_t uval)
{
	struct itimerval it = { 0 };

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	if (which == ITIMER_REAL)
		real_get(&it);
	return copy_to_user(uval, &it, sizeof(it));
}
SYSCALL2(getitimer);

/* A NULL new value disarms, as Linux accepts. */
long sys_setitimer(int which, uintptr_t unew, uintptr_t uold)
{
	struct itimerval it = { 0 }, old = { 0 };

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	if (unew && copy_from_user(&it, unew, sizeof(it)))
		return -EFAULT;
	if (!tv_valid(&it.it_value) || !tv_valid(&it.it_interval))
		return -EINVAL;
	if (which != ITIMER_REAL) {
		if (it.it_value.tv_sec || it.it_value.tv_usec)
			return -EINVAL; /* CPU-time timers are not kept */
	} else {
		real_get(&old);
		real_set(&it);
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL3(setitimer);

/*
 * Seconds left of the previous alarm, rounded as Linux's alarm_setitimer
 * and cut to its unsigned int (a setitimer value can be far longer).
 */
long sys_alarm(unsigned int seconds)
{
	struct itimerval it = { 0 }, old;
	long left;

	it.it_value.tv_sec = seconds;
	real_get(&old);
	real_set(&it);
	left = old.it_value.tv_sec;
	if ((!left && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000)
		left++;
	return (unsigned int)left;
}
SYSCALL1(alarm);
