/* sys_epoll.c - epoll_create(1), epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2. */
#include <asm-generic/errno.h>
#include <linux/eventpoll.h>
#include <linux/time_types.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "linux/epoll.h"
#include "linux/proc.h"
#include "linux/sys_poll.h"
#include "linux/syscall.h"

/* Linux's EP_MAX_EVENTS: maxevents beyond it is -EINVAL. */
#define EP_MAX_EVENTS (0x7fffffff / sizeof(struct epoll_event))
#define EP_CHUNK 1024 /* events gathered per pass at most */

long sys_epoll_create1(int flags)
{
	struct file *f;
	int fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	f = epoll_file_new(0);
	if (f == NULL)
		return -ENOMEM;
	fd = fd_install(current, f, 0, flags & EPOLL_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL1(epoll_create1);

long sys_epoll_create(int size)
{
	return size <= 0 ? -EINVAL : sys_epoll_create1(0);
}
SYSCALL1(epoll_create);

long sys_epoll_ctl(int epfd, int op, int fd, uintptr_t uev)
{
	struct epoll_event ev = { 0, 0 };
	struct file *ep, *f;

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)) < 0)
		return -EFAULT;
	ep = fd_get(current, epfd);
	f = fd_get(current, fd);
	if (ep == NULL || f == NULL)
		return -EBADF;
	if (file_poll_head(f) == NULL)
		return -EPERM; /* regular files, /dev/null: cannot be polled */
	if (f == ep || !file_is_epoll(ep))
		return -EINVAL;
	return epoll_ctl_file(ep, op, f, fd, &ev);
}
SYSCALL4(epoll_ctl);

/* Gather ready events, waiting on the epoll file until deadline. */
static long ep_wait_loop(struct file *ep, struct epoll_event *kev, int max,
			 uint64_t deadline)
{
	struct poll_wait pw = POLL_WAIT_INIT;
	bool timed_out = false;
	int n, err = 0;

	poll_wait_on(&pw, ep);
	for (;;) {
		n = epoll_collect(ep, kev, max);
		if (n > 0 || timed_out)
			break;
		err = poll_sleep(&pw, deadline);
		if (err == -ETIMEDOUT)
			timed_out = true;
		else if (err < 0)
			break;
	}
	poll_wait_end(&pw);
	return n > 0 ? n : (err == -ETIMEDOUT ? 0 : err);
}

static long do_epoll_wait(int epfd, uintptr_t uevents, int maxevents,
			  uint64_t deadline)
{
	struct epoll_event *kev;
	struct file *ep;
	long n;
	int max;

	if (maxevents <= 0 || (size_t)maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, (size_t)maxevents * sizeof(*kev)))
		return -EFAULT;
	ep = fd_get(current, epfd);
	if (ep == NULL)
		return -EBADF;
	if (!file_is_epoll(ep))
		return -EINVAL;
	max = maxevents < EP_CHUNK ? maxevents : EP_CHUNK;
	kev = kmalloc((size_t)max * sizeof(*kev));
	if (kev == NULL)
		return -ENOMEM;
	n = ep_wait_loop(ep, kev, max, deadline);
	if (n > 0 && copy_to_user(uevents, kev, (size_t)n * sizeof(*kev)) < 0)
		n = -EFAULT;
	kfree(kev);
	return n;
}

long sys_epoll_wait(int epfd, uintptr_t uevents, int maxevents, int timeout)
{
	return do_epoll_wait(epfd, uevents, maxevents,
			     poll_ms_deadline(timeout));
}
SYSCALL4(epoll_wait);

static long epoll_wait_masked(int epfd, uintptr_t uevents, int maxevents,
			      uint64_t deadline, uintptr_t sigmask,
			      size_t sigsetsize)
{
	uint64_t saved;
	long r = poll_sigmask_set(sigmask, sigsetsize, &saved);

	if (r < 0)
		return r;
	r = do_epoll_wait(epfd, uevents, maxevents, deadline);
	poll_sigmask_restore(saved, r);
	return r;
}

long sys_epoll_pwait(int epfd, uintptr_t uevents, int maxevents, int timeout,
		     uintptr_t sigmask, size_t sigsetsize)
{
	return epoll_wait_masked(epfd, uevents, maxevents,
				 poll_ms_deadline(timeout), sigmask,
				 sigsetsize);
}
SYSCALL6(epoll_pwait);

long sys_epoll_pwait2(int epfd, uintptr_t uevents, int maxevents, uintptr_t uts,
		      uintptr_t sigmask, size_t sigsetsize)
{
	uint64_t deadline;
	long err = poll_ts_deadline(uts, &deadline);

	if (err < 0)
		return err;
	return epoll_wait_masked(epfd, uevents, maxevents, deadline, sigmask,
				 sigsetsize);
}
SYSCALL6(epoll_pwait2);
