/* sys_poll.c - poll, ppoll, select, pselect6 over the files Kiln has today. */
#include <asm/poll.h>
#include <linux/time_types.h>

#include "arch.h"
#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * Readiness is asked of each file's poll hook. Nothing wakes a waiter yet
 * (no interrupt-driven input, no other threads): a call that must wait
 * re-checks until its deadline with the CPU paused. The threads/event-I/O
 * work replaces this loop with wait queues; the interface stays.
 */
#define POLL_MAX_FDS 4096
#define NO_DEADLINE UINT64_MAX

static unsigned int file_ready(int fd, unsigned int events)
{
	struct file *f = fd_get(current, fd);

	if (!f)
		return POLLNVAL;
	if (!f->ops->poll)
		return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	return f->ops->poll(f, events | POLLERR | POLLHUP);
}

/* Fill revents; returns how many fds have any. */
static int poll_once(struct pollfd *fds, size_t n)
{
	int ready = 0;

	for (size_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		fds[i].revents = (short)file_ready(fds[i].fd,
						   (unsigned short)fds[i].events);
		if (fds[i].revents)
			ready++;
	}
	return ready;
}

static long do_poll(uintptr_t ufds, size_t n, uint64_t deadline)
{
	struct pollfd *fds;
	int ready;

	if (n > POLL_MAX_FDS)
		return -EINVAL;
	fds = kmalloc(n ? n * sizeof(*fds) : 1);
	if (!fds)
		return -ENOMEM;
	if (copy_from_user(fds, ufds, n * sizeof(*fds))) {
		kfree(fds);
		return -EFAULT;
	}
	while ((ready = poll_once(fds, n)) == 0 && time_ns() < deadline)
		cpu_relax();
	if (copy_to_user(ufds, fds, n * sizeof(*fds)))
		ready = -EFAULT;
	kfree(fds);
	return ready;
}

/* Deadline from a relative timespec (NULL: none); -EINVAL if malformed. */
static int ts_deadline(uintptr_t uts, uint64_t *deadline)
{
	struct __kernel_timespec ts;

	if (!uts) {
		*deadline = NO_DEADLINE;
		return 0;
	}
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*deadline = time_ns() + (uint64_t)ts.tv_sec * 1000000000ULL +
		    (uint64_t)ts.tv_nsec;
	return 0;
}

long sys_poll(uintptr_t ufds, unsigned int n, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? NO_DEADLINE :
			    time_ns() + (uint64_t)timeout_ms * 1000000ULL;

	return do_poll(ufds, n, deadline);
}
SYSCALL3(poll);

/* The signal mask argument is accepted; signals arrive with their own work. */
long sys_ppoll(uintptr_t ufds, unsigned int n, uintptr_t uts, uintptr_t sigmask,
	       size_t sigsetsize)
{
	uint64_t deadline;
	int err = ts_deadline(uts, &deadline);

	if (sigmask && sigsetsize != 8)
		return -EINVAL;
	return err ? err : do_poll(ufds, n, deadline);
}
SYSCALL5(ppoll);
