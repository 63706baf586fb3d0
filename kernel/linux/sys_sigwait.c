/* sys_sigwait.c - waiting for signals: pause, rt_sigsuspend, rt_sigtimedwait. */
#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/siginfo.h>
#include <asm/signal.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * pause and sigsuspend sleep until a signal is pending, then return
 * -ERESTARTNOHAND: -EINTR once a handler runs, a restart when the signal
 * turned out to need none (it was taken by another thread, say).
 */
static void sleep_until_signal(void)
{
	while (sched_sleep(0, true) != -EINTR)
		;
}

long sys_pause(void)
{
	sleep_until_signal();
	return -ERESTARTNOHAND;
}
SYSCALL0(pause);

/*
 * The old mask comes back only after the handler has run (its frame
 * saves it as uc_sigmask): signal_return_to_user sees sigmask_restore.
 */
long sys_rt_sigsuspend(uintptr_t umask, uint64_t sigsetsize)
{
	struct thread *t = current_thread;
	uint64_t mask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	t->sigmask_saved = t->sigmask;
	t->sigmask_restore = true;
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	sleep_until_signal();
	return -ERESTARTNOHAND;
}
SYSCALL2(rt_sigsuspend);

/* A relative timeout (NULL: none) as a time_ns() deadline (0: none). */
static int timeout_deadline(uintptr_t uts, uint64_t *deadline)
{
	uint64_t ns;
	int err;

	*deadline = 0;
	if (!uts)
		return 0;
	err = timespec_get_user(uts, &ns);
	if (err)
		return err;
	if (ns < TIMESPEC_MAX_NS) /* clamped, beyond centuries: no deadline */
		*deadline = time_ns() + ns;
	return 0;
}

/*
 * Take one pending signal of set (blocked ones included: that is the
 * point) or wait for one: its number, -EAGAIN at the timeout, -EINTR when
 * another (unblocked) signal arrives first.
 */
long sys_rt_sigtimedwait(uintptr_t uset, uintptr_t uinfo, uintptr_t uts,
			 uint64_t sigsetsize)
{
	struct thread *t = current_thread;
	struct signal_info info;
	uint64_t set, deadline;
	siginfo_t si;
	int err, sig;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	err = timeout_deadline(uts, &deadline);
	if (err)
		return err;
	set &= ~SIG_UNBLOCKABLE;
	while (!(sig = signal_dequeue(t, set, &info))) {
		err = sched_sleep(deadline, true);
		if (err == -ETIMEDOUT)
			return -EAGAIN;
		if (err == -EINTR)
			return -EINTR;
	}
	signal_fill_siginfo(&si, &info);
	if (uinfo && copy_to_user(uinfo, &si, sizeof(si)))
		return -EFAULT;
	return sig;
}
SYSCALL4(rt_sigtimedwait);
