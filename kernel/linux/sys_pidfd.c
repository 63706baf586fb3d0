/* sys_pidfd.c - pidfds: pidfd_open, pidfd_send_signal, and what waitid's P_PIDFD reads. */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/fcntl.h>

#include "core/proc.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"

/*
 * A pidfd names a process by its pid, which Kiln never reuses (pids
 * count up from the tid counter), so the number is the identity: once
 * the process is reaped, it is gone for the pidfd too. It reads as
 * POLLIN once the process has ended (zombie or reaped), as Linux's
 * pidfd_poll; one poll head serves every pidfd and is woken at each
 * process's exit.
 */
#define PIDFD_NONBLOCK O_NONBLOCK

static struct poll_head pidfd_ph;

static int pidfd_pid(const struct file *f)
{
	return (int)(uintptr_t)f->priv;
}

static unsigned int pidfd_poll(struct file *f, unsigned int events)
{
	struct proc *p = proc_find(pidfd_pid(f));

	(void)events;
	return p == NULL || p->state != PROC_LIVE ? POLLIN | POLLRDNORM : 0;
}

static struct poll_head *pidfd_poll_head(struct file *f)
{
	(void)f;
	return &pidfd_ph;
}

static int pidfd_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:[pidfd]");
}

static const struct file_ops pidfd_ops = {
	.poll = pidfd_poll,
	.poll_head = pidfd_poll_head,
	.fdname = pidfd_fdname,
};

void pidfd_proc_exited(void)
{
	poll_wake(&pidfd_ph, POLLIN | POLLRDNORM);
}

int pidfd_get_pid(int fd)
{
	struct file *f = fd_get(current, fd);

	if (f == NULL || f->ops != &pidfd_ops)
		return -EBADF;
	return pidfd_pid(f);
}

/* A process (zombies too, until reaped); flags 0 or PIDFD_NONBLOCK. */
long sys_pidfd_open(int pid, unsigned int flags)
{
	struct proc *p;
	struct file *f;
	int fd;

	if (flags & ~PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	p = proc_find(pid);
	if (p == NULL)
		return -ESRCH;
	f = file_alloc(&pidfd_ops, O_RDWR | (flags & PIDFD_NONBLOCK),
		       (void *)(uintptr_t)pid);
	if (f == NULL)
		return -ENOMEM;
	fd = fd_install(current, f, 0, true); /* always close-on-exec */
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL2(pidfd_open);

/*
 * Signal the pidfd's process as kill(2) would. A siginfo of our own is
 * not taken yet (-EINVAL rather than a signal without it); no flags.
 */
long sys_pidfd_send_signal(int fd, int sig, uintptr_t uinfo, unsigned int flags)
{
	int pid = pidfd_get_pid(fd);
	struct proc *p;

	if (flags)
		return -EINVAL;
	if (sig < 0 || sig > PROC_NSIG)
		return -EINVAL;
	if (uinfo)
		return -EINVAL;
	if (pid < 0)
		return pid;
	p = proc_find(pid);
	if (p == NULL)
		return -ESRCH;
	return signal_kill_proc(p, sig);
}
SYSCALL4(pidfd_send_signal);
