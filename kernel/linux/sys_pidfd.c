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

bool pidfd_nonblock(int fd)
{
	struct file *f = fd_get(current, fd);

	return f != NULL && f->ops == &pidfd_ops && (f->flags & O_NONBLOCK);
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
 * A caller's siginfo (untrusted) as Linux's pidfd_send_signal takes it:
 * its si_signo must be sig, and only a process signalling itself may
 * claim a kernel or kill() origin (si_code >= 0 or SI_TKILL): -EPERM.
 */
static long pidfd_user_info(uintptr_t uinfo, int sig, const struct proc *p,
			    struct signal_info *info)
{
	siginfo_t si;

	if (copy_from_user(&si, uinfo, sizeof(si)) < 0)
		return -EFAULT;
	if (si.si_signo != sig)
		return -EINVAL;
	if (p != current && (si.si_code >= 0 || si.si_code == SI_TKILL))
		return -EPERM;
	*info = (struct signal_info){
		.signo = sig,
		.code = si.si_code,
		.pid = si.si_pid,
		.uid = si.si_uid,
		.value = (uintptr_t)si.si_value.sival_ptr
	};
	return 0;
}

/* Signal the pidfd's process as kill(2) would, or with the caller's info. */
long sys_pidfd_send_signal(int fd, int sig, uintptr_t uinfo, unsigned int flags)
{
	int pid = pidfd_get_pid(fd);
	struct signal_info info;
	struct proc *p;
	long err;

	if (flags)
		return -EINVAL;
	if (sig < 0 || sig > PROC_NSIG)
		return -EINVAL;
	if (pid < 0)
		return pid;
	p = proc_find(pid);
	if (p == NULL)
		return -ESRCH;
	if (!uinfo)
		return signal_kill_proc(p, sig);
	err = pidfd_user_info(uinfo, sig, p, &info);
	if (err < 0)
		return err;
	err = signal_kill_proc(p, 0);
	if (err < 0 || sig == 0 || p->state != PROC_LIVE)
		return err;
	signal_send_info(p, NULL, &info);
	return 0;
}
SYSCALL4(pidfd_send_signal);
