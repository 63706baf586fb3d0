/* sys_poll.c - poll and ppoll: wait on many files' poll heads at once. */
#include "linux/sys_poll.h"

#include <asm/poll.h>
#include <asm/signal.h>
#include <linux/time_types.h>

#include "core/heap.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * Each pass asks every file's poll hook; the first pass also puts the
 * thread on each file's poll head (fs/poll.h), so any readiness change
 * wakes it for another pass. A pass after the deadline ends the call, as
 * on Linux. A signal ends it with -EINTR: poll is never restarted
 * (Linux's -ERESTARTNOHAND after a handler).
 */
#define POLL_MAX_FDS (1 << 20) /* RLIMIT_NOFILE's ceiling */

int poll_ts_deadline(uintptr_t uts, uint64_t *deadline)
{
	uint64_t ns;
	int err;

	if (!uts) {
		*deadline = POLL_FOREVER;
		return 0;
	}
	err = timespec_get_user(uts, &ns);
	if (err)
		return err;
	if (ns >= TIMESPEC_MAX_NS) /* clamped, centuries: forever enough */
		*deadline = POLL_FOREVER;
	else
		*deadline = time_ns() + ns;
	return 0;
}

uint64_t poll_ms_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return POLL_FOREVER;
	return time_ns() + (uint64_t)timeout_ms * 1000000ULL;
}

int poll_sleep(struct poll_wait *pw, uint64_t deadline)
{
	/* sched_sleep's 0 is "no deadline"; a deadline of 0 has passed. */
	if (deadline == 0)
		return -ETIMEDOUT;
	return poll_wait_sleep(pw, deadline == POLL_FOREVER ? 0 : deadline);
}

int poll_sigmask_set(uintptr_t umask, size_t size, uint64_t *saved)
{
	uint64_t mask;

	*saved = current_thread->sigmask;
	if (!umask)
		return 0;
	if (size != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	current_thread->sigmask = mask & ~SIG_UNBLOCKABLE;
	return 0;
}

void poll_sigmask_restore(uint64_t saved, long ret)
{
	struct thread *t = current_thread;

	/* As Linux's restore_saved_sigmask_unless(ret == -EINTR). */
	if (ret == -EINTR && t->sigmask != saved) {
		t->sigmask_saved = saved;
		t->sigmask_restore = true;
		return;
	}
	t->sigmask = saved;
}

/* One pass: fill revents, join the files' heads when pw; count ready. */
static int poll_scan(struct pollfd *fds, size_t n, struct poll_wait *pw)
{
	int ready = 0;

	for (size_t i = 0; i < n; i++) {
		struct file *f;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		f = fd_get(current, fds[i].fd);
		if (f == NULL) {
			fds[i].revents = POLLNVAL;
		} else {
			fds[i].revents = (short)file_poll(
				f, (unsigned short)fds[i].events);
			if (pw != NULL)
				poll_wait_on(pw, f);
		}
		if (fds[i].revents)
			ready++;
	}
	return ready;
}

int poll_scan_loop(uint64_t deadline,
		   int (*scan)(void *ctx, struct poll_wait *pw), void *ctx)
{
	struct poll_wait pw = POLL_WAIT_INIT;
	bool first = true, timed_out = false;
	int ready, err = 0;

	for (;;) {
		ready = scan(ctx, first ? &pw : NULL);
		first = false;
		if (ready || timed_out)
			break;
		err = poll_sleep(&pw, deadline);
		if (err == -ETIMEDOUT)
			timed_out = true;
		else if (err < 0)
			break;
	}
	poll_wait_end(&pw);
	return ready ? ready : (err == -ETIMEDOUT ? 0 : err);
}

struct pollfd_set {
	struct pollfd *fds;
	size_t n;
};

static int scan_pollfds(void *ctx, struct poll_wait *pw)
{
	struct pollfd_set *set = ctx;

	return poll_scan(set->fds, set->n, pw);
}

/* Scan until something is ready, the deadline passes or a signal comes. */
static int poll_loop(struct pollfd *fds, size_t n, uint64_t deadline)
{
	struct pollfd_set set = { fds, n };

	return poll_scan_loop(deadline, scan_pollfds, &set);
}

static long do_poll(uintptr_t ufds, size_t n, uint64_t deadline)
{
	struct pollfd *fds;
	long ready;

	if (n > POLL_MAX_FDS || n > (size_t)fd_max(current))
		return -EINVAL;
	fds = kmalloc(n ? n * sizeof(*fds) : 1);
	if (!fds)
		return -ENOMEM;
	if (copy_from_user(fds, ufds, n * sizeof(*fds))) {
		kfree(fds);
		return -EFAULT;
	}
	ready = poll_loop(fds, n, deadline);
	if (ready >= 0 && copy_to_user(ufds, fds, n * sizeof(*fds)))
		ready = -EFAULT;
	kfree(fds);
	return ready;
}

long sys_poll(uintptr_t ufds, unsigned int n, int timeout_ms)
{
	return do_poll(ufds, n, poll_ms_deadline(timeout_ms));
}
SYSCALL3(poll);

long sys_ppoll(uintptr_t ufds, unsigned int n, uintptr_t uts, uintptr_t sigmask,
	       size_t sigsetsize)
{
	uint64_t deadline, saved;
	long err = poll_ts_deadline(uts, &deadline);

	if (err < 0)
		return err;
	err = poll_sigmask_set(sigmask, sigsetsize, &saved);
	if (err < 0)
		return err;
	err = do_poll(ufds, n, deadline);
	poll_sigmask_restore(saved, err);
	return err;
}
SYSCALL5(ppoll);
