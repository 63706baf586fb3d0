/* signalfd.c - signalfd objects: reading pending signals as struct signalfd_siginfo. */
#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/fcntl.h>
#include <linux/signalfd.h>

#include "core/heap.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"

/*
 * signalfd(2): a read takes the reading thread's pending signals of the
 * file's mask (its own, then the process's), as many as fit, and waits
 * while there are none. The signals are normally blocked, so that only
 * the fd sees them. Every signalfd shares one poll head: any new pending
 * signal wakes them all, and each re-checks its mask.
 */
struct signalfd {
	uint64_t mask;
};

static struct poll_head signalfd_head;

_Static_assert(sizeof(struct signalfd_siginfo) == 128, "Linux ABI");

void signalfd_notify(void)
{
	poll_wake(&signalfd_head, POLLIN | POLLRDNORM);
}

static void to_sfd_info(struct signalfd_siginfo *s,
			const struct signal_info *info)
{
	memset(s, 0, sizeof(*s));
	s->ssi_signo = (uint32_t)info->signo;
	s->ssi_code = info->code;
	if (info->code == SI_TIMER) {
		s->ssi_tid = (uint32_t)info->timerid;
		s->ssi_overrun = (uint32_t)info->overrun;
		s->ssi_ptr = info->value;
		s->ssi_int = (int32_t)info->value;
	} else if (info->code <= 0) {
		s->ssi_pid = (uint32_t)info->pid;
		s->ssi_uid = info->uid;
	} else if (info->code != SI_KERNEL) {
		s->ssi_addr = info->addr;
	}
}

static long sfd_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct signalfd *s = f->priv;
	struct signalfd_siginfo *out = buf;
	struct signal_info info;
	size_t got = 0;
	int err;

	(void)pos;
	if (n < sizeof(*out))
		return -EINVAL;
	while (!(signal_pending_set(current_thread) & s->mask)) {
		/* -ERESTARTSYS: a signal that the mask does not take. */
		err = poll_head_wait(&signalfd_head, f->flags & O_NONBLOCK, 0);
		if (err < 0)
			return err;
	}
	while (got + sizeof(*out) <= n &&
	       signal_dequeue(current_thread, s->mask, &info))
		to_sfd_info(&out[got / sizeof(*out)], &info),
			got += sizeof(*out);
	return (long)got;
}

static unsigned int sfd_poll(struct file *f, unsigned int events)
{
	struct signalfd *s = f->priv;

	(void)events;
	if (signal_pending_set(current_thread) & s->mask)
		return POLLIN | POLLRDNORM;
	return 0;
}

static struct poll_head *sfd_poll_head(struct file *f)
{
	(void)f;
	return &signalfd_head;
}

static int sfd_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:[signalfd]");
}

static void sfd_release(struct file *f)
{
	kfree(f->priv);
}

static const struct file_ops signalfd_ops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.poll_head = sfd_poll_head,
	.fdname = sfd_fdname,
	.release = sfd_release,
};

/* fd == -1: a new signalfd; else change the mask of signalfd fd. */
long sys_signalfd4(int ufd, uintptr_t umask, uint64_t sizemask, int flags)
{
	struct signalfd *s;
	struct file *f;
	uint64_t mask;
	int fd;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK) || sizemask != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	mask &= ~SIG_UNBLOCKABLE;
	if (ufd != -1) {
		f = fd_get(current, ufd);
		if (!f)
			return -EBADF;
		if (f->ops != &signalfd_ops)
			return -EINVAL;
		((struct signalfd *)f->priv)->mask = mask;
		return ufd;
	}
	s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	f = file_alloc(&signalfd_ops, O_RDONLY | (flags & SFD_NONBLOCK), s);
	if (!f) {
		kfree(s);
		return -ENOMEM;
	}
	fd = fd_install(current, f, 0, flags & SFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL4(signalfd4);

long sys_signalfd(int ufd, uintptr_t umask, uint64_t sizemask)
{
	return sys_signalfd4(ufd, umask, sizemask, 0);
}
SYSCALL3(signalfd);
