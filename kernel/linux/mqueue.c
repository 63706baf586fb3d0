/* mqueue.c - POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr. */
#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/poll.h>
#include <asm/signal.h>
#include <linux/fcntl.h>
#include <linux/mqueue.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * Linux's ipc/mqueue.c without the file system: queues live in one
 * namespace by name (what the C library passes: the name without its
 * leading '/'), a descriptor is an fd (poll, epoll, read for the status
 * line, close). A queue outlives mq_unlink while a descriptor holds it.
 * Messages are kept highest priority first, FIFO within a priority.
 * The limits are Linux's defaults (/proc/sys/fs/mqueue); root
 * (CAP_SYS_RESOURCE) may go up to the hard ones.
 */
#define MQ_MSG_MAX 10
#define MQ_MSGSIZE_MAX 8192
#define MQ_QUEUES_MAX 256
#define MQ_HARD_MSGMAX 65536
#define MQ_HARD_MSGSIZEMAX (16 * 1024 * 1024)
#define MQ_PRIO_MAX 32768
#define MQ_NAME_MAX 255

struct mq_msg {
	struct mq_msg *next;
	unsigned int prio;
	size_t len;
	char data[];
};

struct mqueue {
	int refs; /* descriptors, and 1 while the name exists */
	bool linked;
	char name[MQ_NAME_MAX + 1];
	uint32_t uid, gid, mode;
	long maxmsg, msgsize, curmsgs;
	unsigned long qsize; /* bytes of all messages */
	struct mq_msg *msgs;
	struct poll_head ph;
	/* mq_notify: one registration, of process notify_pid (0: none) */
	int notify_pid;
	int notify_sig;	       /* 0 for SIGEV_NONE */
	uint64_t notify_value; /* sigev_value */
	int receivers;	       /* threads blocked in receive */
	struct mqueue *next;
};

static struct mqueue *queues;
static int queue_count;

static struct mqueue *mq_lookup(const char *name)
{
	for (struct mqueue *q = queues; q; q = q->next)
		if (q->linked && strcmp(q->name, name) == 0)
			return q;
	return NULL;
}

static void mq_put(struct mqueue *q)
{
	if (--q->refs > 0)
		return;
	while (q->msgs) {
		struct mq_msg *m = q->msgs;

		q->msgs = m->next;
		kfree(m);
	}
	for (struct mqueue **l = &queues; *l; l = &(*l)->next)
		if (*l == q) {
			*l = q->next;
			break;
		}
	queue_count--;
	kfree(q);
}

/* Linux's mqueue_read_file: the status line, read like a file. */
static long mq_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct mqueue *q = f->priv;
	char line[96];
	int len = fmt_snprintf(
		line, sizeof(line),
		"QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
		q->qsize, 0, q->notify_pid ? q->notify_sig : 0, q->notify_pid);

	if (*pos >= (uint64_t)len)
		return 0;
	if (n > (size_t)len - *pos)
		n = (size_t)len - *pos;
	memcpy(buf, line + *pos, n);
	*pos += n;
	return (long)n;
}

static unsigned int mq_poll(struct file *f, unsigned int events)
{
	struct mqueue *q = f->priv;
	unsigned int ready = 0;

	(void)events;
	if (q->curmsgs > 0)
		ready |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		ready |= POLLOUT | POLLWRNORM;
	return ready;
}

static struct poll_head *mq_poll_head(struct file *f)
{
	return &((struct mqueue *)f->priv)->ph;
}

static int mq_fdname(struct file *f, char *buf, size_t size)
{
	struct mqueue *q = f->priv;

	return fmt_snprintf(buf, size, "/%s%s", q->name,
			    q->linked ? "" : " (deleted)");
}

/* The last close of a description: its process's registration goes too. */
static void mq_release(struct file *f)
{
	struct mqueue *q = f->priv;

	if (q->notify_pid == current->pid)
		q->notify_pid = 0;
	mq_put(q);
}

static const struct file_ops mq_ops = {
	.read = mq_read,
	.poll = mq_poll,
	.poll_head = mq_poll_head,
	.fdname = mq_fdname,
	.release = mq_release,
};

/* The queue behind fd, if fd is one; NULL: -EBADF. */
static struct file *mq_file(int fd)
{
	struct file *f = fd_get(current, fd);

	return f && f->ops == &mq_ops ? f : NULL;
}

/*
 * Linux's mqueue permission (generic_permission on the queue's inode):
 * the mode bits against the caller's ids, supplementary groups included.
 */
static bool mq_may(const struct mqueue *q, int acc)
{
	const struct cred *c = current_cred();
	uint32_t mask = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
	uint32_t bits = q->mode;

	if (c->euid == 0)
		return true;
	if (c->euid == q->uid)
		bits >>= 6;
	else if (cred_in_group(c, q->gid))
		bits >>= 3;
	return (mask & ~bits & 7) == 0;
}

/* The attributes of a new queue (Linux's mq_attr_ok); -EINVAL. */
static int mq_attr_in(uintptr_t uattr, struct mq_attr *a)
{
	bool root = current_cred()->euid == 0;

	memset(a, 0, sizeof(*a));
	a->mq_maxmsg = MQ_MSG_MAX;
	a->mq_msgsize = MQ_MSGSIZE_MAX;
	if (!uattr)
		return 0;
	if (copy_from_user(a, uattr, sizeof(*a)))
		return -EFAULT;
	if (a->mq_maxmsg <= 0 || a->mq_msgsize <= 0)
		return -EINVAL;
	if (a->mq_maxmsg > (root ? MQ_HARD_MSGMAX : MQ_MSG_MAX) ||
	    a->mq_msgsize > (root ? MQ_HARD_MSGSIZEMAX : MQ_MSGSIZE_MAX))
		return -EINVAL;
	return 0;
}

static int mq_create(const char *name, uint32_t mode, uintptr_t uattr,
		     struct mqueue **out)
{
	struct mq_attr a;
	struct mqueue *q;
	int err = mq_attr_in(uattr, &a);

	if (err)
		return err;
	if (queue_count >= MQ_QUEUES_MAX && current_cred()->euid != 0)
		return -ENOSPC;
	q = kzalloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	strlcpy(q->name, name, sizeof(q->name));
	q->refs = 1; /* the name's */
	q->linked = true;
	q->uid = current_cred()->euid;
	q->gid = current_cred()->egid;
	q->mode = mode & 0777 & ~current->umask;
	q->maxmsg = a.mq_maxmsg;
	q->msgsize = a.mq_msgsize;
	q->next = queues;
	queues = q;
	queue_count++;
	*out = q;
	return 0;
}

/* The queue mq_open names: found, or made with O_CREAT; *out unreferenced. */
static int mq_find_or_create(const char *name, int oflag, uint32_t mode,
			     uintptr_t uattr, struct mqueue **out)
{
	struct mqueue *q = mq_lookup(name);

	if (!q) {
		if (!(oflag & O_CREAT))
			return -ENOENT;
		return mq_create(name, mode, uattr, out);
	}
	if ((oflag & O_CREAT) && (oflag & O_EXCL))
		return -EEXIST;
	if (!mq_may(q, oflag & O_ACCMODE))
		return -EACCES;
	*out = q;
	return 0;
}

long sys_mq_open(uintptr_t uname, int oflag, uint32_t mode, uintptr_t uattr)
{
	char name[MQ_NAME_MAX + 2];
	struct mqueue *q;
	struct file *f;
	long len = strncpy_from_user(name, uname, sizeof(name));
	int err, fd;

	if (len < 0)
		return len;
	if (len > MQ_NAME_MAX)
		return -ENAMETOOLONG;
	/* One component in the queue directory (lookup_one_len). */
	if (len == 0 || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EACCES;
	if ((oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	err = mq_find_or_create(name, oflag, mode, uattr, &q);
	if (err)
		return err;
	f = file_alloc(&mq_ops, (uint32_t)oflag & (O_ACCMODE | O_NONBLOCK), q);
	if (!f)
		return -ENOMEM; /* a new queue stays, as a created file would */
	q->refs++;
	fd = fd_install(current, f, 0, oflag & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL4(mq_open);

long sys_mq_unlink(uintptr_t uname)
{
	char name[MQ_NAME_MAX + 2];
	long len = strncpy_from_user(name, uname, sizeof(name));
	struct mqueue *q;

	if (len < 0)
		return len;
	if (len > MQ_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || strchr(name, '/'))
		return -EACCES;
	q = mq_lookup(name);
	if (!q)
		return -ENOENT;
	/* Removing an entry needs write on the directory: everyone has it. */
	q->linked = false;
	mq_put(q);
	return 0;
}
SYSCALL1(mq_unlink);

/* An absolute CLOCK_REALTIME timeout as a time_ns deadline (0: none). */
static int mq_deadline(uintptr_t uts, uint64_t *deadline)
{
	uint64_t ns, now_rt;
	int err;

	*deadline = 0;
	if (!uts)
		return 0;
	err = timespec_get_user(uts, &ns);
	if (err)
		return err;
	now_rt = clock_realtime_ns();
	if (ns >= TIMESPEC_MAX_NS) /* clamped: no timer, as Linux's KTIME_MAX */
		*deadline = SCHED_NEVER_NS;
	else
		*deadline = clock_monotonic_ns() +
			    (ns > now_rt ? ns - now_rt : 0);
	if (*deadline == 0)
		*deadline = 1;
	return 0;
}

/*
 * Linux's __do_notify: a message reached an empty queue that no receiver
 * waits on. The registered process (if it still lives) gets its signal
 * with SI_MESGQ, the sender's pid and uid, and its sigev_value.
 */
static void mq_notify_fire(struct mqueue *q)
{
	struct proc *p;

	if (!q->notify_pid || q->curmsgs != 1 || q->receivers)
		return;
	p = proc_find(q->notify_pid);
	if (p && q->notify_sig)
		signal_send_info(
			p, NULL,
			&(struct signal_info){ .signo = q->notify_sig,
					       .code = SI_MESGQ,
					       .pid = current->pid,
					       .uid = current_cred()->uid,
					       .value = q->notify_value });
	q->notify_pid = 0;
}

static void mq_insert(struct mqueue *q, struct mq_msg *m)
{
	struct mq_msg **l = &q->msgs;

	while (*l && (*l)->prio >= m->prio)
		l = &(*l)->next;
	m->next = *l;
	*l = m;
	q->curmsgs++;
	q->qsize += m->len;
}

/* Wait while cond is false: 0, -EAGAIN (O_NONBLOCK), -ETIMEDOUT, -ERESTARTSYS. */
static int mq_wait(struct mqueue *q, struct file *f, uint64_t deadline)
{
	int err;

	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	if (deadline && clock_monotonic_ns() >= deadline)
		return -ETIMEDOUT;
	err = poll_head_wait(&q->ph, false, deadline);
	return err == -EAGAIN ? -ETIMEDOUT : err;
}

static long mq_send(struct file *f, struct mq_msg *m, uint64_t deadline)
{
	struct mqueue *q = f->priv;
	int err;

	if (m->len > (size_t)q->msgsize)
		return -EMSGSIZE;
	while (q->curmsgs >= q->maxmsg) {
		err = mq_wait(q, f, deadline);
		if (err)
			return err;
	}
	mq_insert(q, m);
	mq_notify_fire(q);
	poll_wake(&q->ph, POLLIN | POLLRDNORM);
	return 0;
}

long sys_mq_timedsend(int fd, uintptr_t ubuf, size_t len, unsigned int prio,
		      uintptr_t uts)
{
	struct file *f = mq_file(fd);
	struct mq_msg *m;
	uint64_t deadline;
	long err;

	if (prio >= MQ_PRIO_MAX)
		return -EINVAL;
	err = mq_deadline(uts, &deadline);
	if (err)
		return err;
	if (!f || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (len > (size_t)((struct mqueue *)f->priv)->msgsize)
		return -EMSGSIZE;
	m = kmalloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(m->data, ubuf, len)) {
		kfree(m);
		return -EFAULT;
	}
	m->len = len;
	m->prio = prio;
	file_get(f); /* another thread may close fd while we wait */
	err = mq_send(f, m, deadline);
	file_put(f);
	if (err)
		kfree(m);
	return err;
}
SYSCALL5(mq_timedsend);

static long mq_receive(struct file *f, uint64_t deadline, struct mq_msg **out)
{
	struct mqueue *q = f->priv;
	int err;

	while (!q->msgs) {
		q->receivers++;
		err = mq_wait(q, f, deadline);
		q->receivers--;
		if (err)
			return err;
	}
	*out = q->msgs;
	q->msgs = (*out)->next;
	q->curmsgs--;
	q->qsize -= (*out)->len;
	poll_wake(&q->ph, POLLOUT | POLLWRNORM);
	return 0;
}

long sys_mq_timedreceive(int fd, uintptr_t ubuf, size_t len, uintptr_t uprio,
			 uintptr_t uts)
{
	struct file *f = mq_file(fd);
	struct mq_msg *m;
	uint64_t deadline;
	long err;

	err = mq_deadline(uts, &deadline);
	if (err)
		return err;
	if (!f || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (len < (size_t)((struct mqueue *)f->priv)->msgsize)
		return -EMSGSIZE;
	file_get(f);
	err = mq_receive(f, deadline, &m);
	file_put(f);
	if (err)
		return err;
	/* Linux has taken the message off the queue already; so do we. */
	if (copy_to_user(ubuf, m->data, m->len) ||
	    (uprio && copy_to_user(uprio, &m->prio, sizeof(m->prio))))
		err = -EFAULT;
	else
		err = (long)m->len;
	kfree(m);
	return err;
}
SYSCALL5(mq_timedreceive);

long sys_mq_notify(int fd, uintptr_t usev)
{
	struct file *f = mq_file(fd);
	struct mqueue *q;
	struct sigevent ev;

	if (usev && copy_from_user(&ev, usev, sizeof(ev)))
		return -EFAULT;
	if (usev && ev.sigev_notify != SIGEV_NONE &&
	    ev.sigev_notify != SIGEV_SIGNAL && ev.sigev_notify != SIGEV_THREAD)
		return -EINVAL;
	if (usev && ev.sigev_notify == SIGEV_SIGNAL &&
	    !signal_valid((uint64_t)ev.sigev_signo))
		return -EINVAL;
	if (!f)
		return -EBADF;
	q = f->priv;
	if (!usev) {
		if (q->notify_pid == current->pid)
			q->notify_pid = 0;
		return 0;
	}
	/* SIGEV_THREAD is a netlink socket's job; Kiln has no netlink. */
	if (ev.sigev_notify == SIGEV_THREAD)
		return -EINVAL;
	if (q->notify_pid)
		return -EBUSY;
	q->notify_pid = current->pid;
	q->notify_sig = ev.sigev_notify == SIGEV_SIGNAL ? ev.sigev_signo : 0;
	q->notify_value = (uint64_t)(uintptr_t)ev.sigev_value.sival_ptr;
	return 0;
}
SYSCALL2(mq_notify);

long sys_mq_getsetattr(int fd, uintptr_t unew, uintptr_t uold)
{
	struct file *f = mq_file(fd);
	struct mq_attr na, oa;
	struct mqueue *q;

	if (unew) {
		if (copy_from_user(&na, unew, sizeof(na)))
			return -EFAULT;
		if (na.mq_flags & ~(long)O_NONBLOCK)
			return -EINVAL;
	}
	if (!f)
		return -EBADF;
	q = f->priv;
	memset(&oa, 0, sizeof(oa));
	oa.mq_flags = f->flags & O_NONBLOCK;
	oa.mq_maxmsg = q->maxmsg;
	oa.mq_msgsize = q->msgsize;
	oa.mq_curmsgs = q->curmsgs;
	if (unew)
		f->flags = (f->flags & ~(uint32_t)O_NONBLOCK) |
			   (uint32_t)(na.mq_flags & O_NONBLOCK);
	if (uold && copy_to_user(uold, &oa, sizeof(oa)))
		return -EFAULT;
	return 0;
}
SYSCALL3(mq_getsetattr);
