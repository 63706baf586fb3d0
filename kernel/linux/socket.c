/* socket.c - sockets as files: allocation, the file ops, sleeping, message iterators. */
#include "net/socket.h"

#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/sockios.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sigdeliver.h"
#include "linux/sys_file.h"

/*
 * A socket file's priv is its struct socket; read and write are recvmsg
 * and sendmsg with flags 0 over one kernel iovec. Like pipes, sockets
 * have no node: st_mode is S_IFSOCK and /proc/self/fd shows socket:[N].
 */
#define SOCK_FS_DEV 0x8		 /* st_dev of sockfs on Linux */
#define SOCK_DEFAULT_BUF 212992	 /* net.core.[rw]mem_default */

static uint64_t sock_next_ino = 0x8000;

static const struct file_ops sock_file_ops;

struct socket *sock_alloc(int family, int type, int protocol)
{
	struct socket *s = kzalloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->state = SS_UNCONNECTED;
	s->ino = sock_next_ino++;
	s->sndbuf = s->rcvbuf = SOCK_DEFAULT_BUF;
	s->rcvlowat = 1;
	return s;
}

struct socket *sock_get(struct socket *s)
{
	s->refs++;
	return s;
}

void sock_put(struct socket *s)
{
	if (--s->refs == 0)
		kfree(s);
}

void sock_release(struct socket *s)
{
	if (s->ops != NULL && s->ops->release != NULL)
		s->ops->release(s);
	s->ops = NULL;
	s->file = NULL;
	s->state = SS_FREE;
	sock_put(s);
}

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

int sock_wait(struct socket *s, uint64_t deadline_ns)
{
	return poll_head_wait(&s->ph, false, deadline_ns);
}

uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns == 0 ? 0 : time_ns() + timeo_ns;
}

bool sock_exiting(void)
{
	return current != NULL && current->exiting;
}

int sock_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		signal_send_thread(current_thread, SIGPIPE);
	return -EPIPE;
}

/* ---- Message iterators ---- */

void msg_iter_init(struct msg_iter *it, const struct iovec *iov, size_t nr,
		   size_t total, bool kernel)
{
	it->iov = iov;
	it->nr = nr;
	it->idx = it->off = 0;
	it->left = total;
	it->kernel = kernel;
}

/* Move n bytes between kbuf and the iterator's buffers (to_iter: out). */
static int msg_iter_move(struct msg_iter *it, void *kbuf, size_t n,
			 bool to_iter)
{
	char *k = kbuf;

	while (n > 0 && it->idx < it->nr) {
		const struct iovec *v = &it->iov[it->idx];
		uintptr_t base = (uintptr_t)v->iov_base + it->off;
		size_t len = v->iov_len - it->off;
		int err = 0;

		if (len > n)
			len = n;
		if (it->kernel && to_iter)
			memcpy((void *)base, k, len);
		else if (it->kernel)
			memcpy(k, (const void *)base, len);
		else if (to_iter)
			err = copy_to_user(base, k, len);
		else
			err = copy_from_user(k, base, len);
		if (err < 0)
			return -EFAULT;
		k += len;
		n -= len;
		it->left -= len;
		it->off += len;
		if (it->off == v->iov_len) {
			it->idx++;
			it->off = 0;
		}
	}
	return 0;
}

int msg_iter_copy_in(struct msg_iter *it, void *dst, size_t n)
{
	return msg_iter_move(it, dst, n, false);
}

int msg_iter_copy_out(struct msg_iter *it, const void *src, size_t n)
{
	return msg_iter_move(it, (void *)(uintptr_t)src, n, true);
}

/* ---- File operations ---- */

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

	memset(&m, 0, sizeof(m));
	msg_iter_init(&m.data, &v, 1, n, true);
	if (send)
		return s->ops->sendmsg ? s->ops->sendmsg(s, &m, flags)
				       : -EOPNOTSUPP;
	m.namelen = 0;
	return s->ops->recvmsg ? s->ops->recvmsg(s, &m, flags) : -EOPNOTSUPP;
}

static long sock_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)pos;
	return sock_rw(f, buf, n, false);
}

static long sock_write(struct file *f, const void *buf, size_t n,
		       uint64_t *pos)
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
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_ino = sock_of(f)->ino;
	st->st_dev = SOCK_FS_DEV;
	st->st_uid = current->euid;
	st->st_gid = current->egid;
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
