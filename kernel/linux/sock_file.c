/* sock_file.c - sockets as files: the fd of a socket, read/write/poll/ioctl on it, and SIGPIPE. */
#include "linux/sock_file.h"

#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/sockios.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/sigdeliver.h"
#include "linux/sys_file.h"

/*
 * A socket file's priv is its struct socket; read and write are recvmsg
 * and sendmsg with flags 0 over one kernel iovec. Like pipes, sockets
 * have no node: st_mode is S_IFSOCK and /proc/self/fd shows socket:[N].
 */
#define SOCK_FS_DEV 0x8 /* st_dev of sockfs on Linux */

static const struct file_ops sock_file_ops;

int sock_install(struct socket *s, int flags)
{
	uint32_t fl = O_RDWR | ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	struct file *f = file_alloc(&sock_file_ops, fl, s);
	int fd;

	if (f == NULL) {
		sock_release(s);
		return -ENOMEM;
	}
	s->file = f;
	fd = fd_install(current, f, 0, flags & SOCK_CLOEXEC);
	if (fd < 0)
		file_put(f); /* releases s */
	return fd;
}

struct socket *sock_of_file(struct file *f)
{
	return f->ops == &sock_file_ops ? f->priv : NULL;
}

struct socket *sock_fd_get(int fd, int *err)
{
	struct file *f = fd_file(fd);

	if (f == NULL || (f->flags & O_PATH)) {
		*err = -EBADF;
		return NULL;
	}
	if (f->ops != &sock_file_ops) {
		*err = -ENOTSOCK;
		return NULL;
	}
	*err = 0;
	file_get(f);
	return f->priv;
}

void sock_fd_put(struct socket *s)
{
	file_put(s->file);
}

long sock_sigpipe(const struct sock_msg *m, int flags, long r)
{
	if (r == -EPIPE && m->sigpipe && !(flags & MSG_NOSIGNAL))
		signal_send_thread(current_thread, SIGPIPE);
	return r;
}

static struct socket *sock_of(struct file *f)
{
	return f->priv;
}

/* read/write: one kernel iovec, nonblocking per the file. */
static long sock_rw(struct file *f, void *buf, size_t n, bool send)
{
	struct socket *s = sock_of(f);
	struct iovec v = { .iov_base = buf, .iov_len = n };
	int flags = (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0;
	struct sock_msg m;
	long r;

	memset(&m, 0, sizeof(m));
	msg_iter_init(&m.data, &v, 1, n, true);
	if (send)
		r = s->ops->sendmsg ? s->ops->sendmsg(s, &m, flags) :
				      -EOPNOTSUPP;
	else
		r = s->ops->recvmsg ? s->ops->recvmsg(s, &m, flags) :
				      -EOPNOTSUPP;
	scm_fds_put(m.fds); /* read(2) has no room for files: closed */
	return sock_sigpipe(&m, flags, r);
}

static long sock_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)pos;
	return sock_rw(f, buf, n, false);
}

static long sock_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	(void)pos;
	return sock_rw(f, (void *)(uintptr_t)buf, n, true);
}

static unsigned int sock_poll(struct file *f, unsigned int events)
{
	struct socket *s = sock_of(f);
	unsigned int ready = s->ops->poll ? s->ops->poll(s) : 0;

	(void)events;
	return s->err ? ready | POLLERR : ready;
}

static struct poll_head *sock_poll_head(struct file *f)
{
	return &sock_of(f)->ph;
}

static long sock_ioctl(struct file *f, unsigned int cmd, uintptr_t arg)
{
	struct socket *s = sock_of(f);
	int n;

	if (cmd == FIONREAD) {
		n = s->ops->inq ? s->ops->inq(s) : 0;
		if (n < 0)
			return n;
		return copy_to_user(arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
	}
	if (s->ops->ioctl != NULL)
		return s->ops->ioctl(s, cmd, arg);
	return -ENOTTY;
}

static int sock_stat(struct file *f, struct stat *st)
{
	vfs_stat_nodeless(st, S_IFSOCK | 0777, sock_of(f)->ino, SOCK_FS_DEV);
	return 0;
}

static int sock_fdname(struct file *f, char *buf, size_t size)
{
	return fmt_snprintf(buf, size, "socket:[%llu]",
			    (unsigned long long)sock_of(f)->ino);
}

static void sock_file_release(struct file *f)
{
	sock_release(sock_of(f));
}

static const struct file_ops sock_file_ops = {
	.read = sock_read,
	.write = sock_write,
	.ioctl = sock_ioctl,
	.poll = sock_poll,
	.poll_head = sock_poll_head,
	.stat = sock_stat,
	.fdname = sock_fdname,
	.release = sock_file_release,
};
