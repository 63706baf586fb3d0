/* pipe.c - pipes: a ring buffer between a read end and a write end; pipe, pipe2. */
#include "linux/pipe.h"

#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/limits.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sigdeliver.h"
#include "linux/syscall.h"

/*
 * pipe(7): a ring of cap bytes (64 KiB, F_SETPIPE_SZ changes it). Writes
 * of at most PIPE_BUF bytes are atomic: they wait for room for all of
 * them. Both ends share one poll head; reads announce POLLOUT, writes
 * POLLIN, closes POLLHUP (readers) and POLLERR (writers).
 */
#define PIPE_DEFAULT_SIZE (64 * 1024U)
#define PIPE_MAX_SIZE (1024 * 1024U) /* /proc/sys/fs/pipe-max-size */
#define PIPE_FS_DEV 0xc		     /* st_dev of pipefs on Linux */

struct pipe {
	struct poll_head ph;
	char *buf;
	uint32_t cap, head, len; /* bytes [head, head+len) mod cap */
	int readers, writers;	 /* open file descriptions of each end */
	uint64_t ino;
};

static uint64_t pipe_next_ino = 0x4000;

static const struct file_ops pipe_read_ops, pipe_write_ops;

static struct pipe *pipe_of(struct file *f)
{
	return f->priv;
}

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops;
}

/* Copy the first n bytes of p's data (n <= len) without taking them. */
static void ring_peek(const struct pipe *p, char *dst, uint32_t n)
{
	uint32_t first = p->cap - p->head < n ? p->cap - p->head : n;

	memcpy(dst, p->buf + p->head, first);
	memcpy(dst + first, p->buf, n - first);
}

static void ring_out(struct pipe *p, char *dst, uint32_t n)
{
	ring_peek(p, dst, n);
	p->head = (p->head + n) % p->cap;
	p->len -= n;
}

static void ring_in(struct pipe *p, const char *src, uint32_t n)
{
	uint32_t tail = (p->head + p->len) % p->cap;
	uint32_t first = p->cap - tail < n ? p->cap - tail : n;

	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
}

static long pipe_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct pipe *p = pipe_of(f);
	uint32_t k;
	int err;

	(void)pos;
	while (p->len == 0) {
		if (p->writers == 0)
			return 0;
		err = poll_head_wait(&p->ph, f->flags & O_NONBLOCK, 0);
		if (err < 0)
			return err;
	}
	k = n < p->len ? (uint32_t)n : p->len;
	ring_out(p, buf, k);
	poll_wake(&p->ph, POLLOUT | POLLWRNORM);
	return k;
}

/* Room to write now: all of an atomic write or nothing, else any. */
static uint32_t pipe_room(struct pipe *p, size_t total, size_t left)
{
	uint32_t space = p->cap - p->len;

	if (total <= PIPE_BUF && space < left)
		return 0;
	return left < space ? (uint32_t)left : space;
}

static long pipe_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	struct pipe *p = pipe_of(f);
	size_t done = 0;
	uint32_t k;
	int err;

	(void)pos;
	while (done < n) {
		if (p->readers == 0) {
			signal_send_thread(current_thread, SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		k = pipe_room(p, n, n - done);
		if (k == 0) {
			err = poll_head_wait(&p->ph, f->flags & O_NONBLOCK, 0);
			if (err < 0)
				return done ? (long)done : err;
			continue;
		}
		ring_in(p, (const char *)buf + done, k);
		done += k;
		poll_wake(&p->ph, POLLIN | POLLRDNORM);
	}
	return (long)done;
}

static unsigned int pipe_poll(struct file *f, unsigned int events)
{
	struct pipe *p = pipe_of(f);
	unsigned int ready = 0;

	(void)events;
	if (f->ops == &pipe_read_ops) {
		if (p->len > 0)
			ready |= POLLIN | POLLRDNORM;
		if (p->writers == 0)
			ready |= POLLHUP;
	} else {
		if (p->cap - p->len >= PIPE_BUF)
			ready |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			ready |= POLLERR;
	}
	return ready;
}

static struct poll_head *pipe_poll_head(struct file *f)
{
	return &pipe_of(f)->ph;
}

static long pipe_ioctl(struct file *f, unsigned int cmd, uintptr_t arg)
{
	int n = (int)pipe_of(f)->len;

	if (cmd != FIONREAD)
		return -ENOTTY;
	return copy_to_user(arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

static int pipe_stat(struct file *f, struct stat *st)
{
	vfs_stat_nodeless(st, S_IFIFO | 0600, pipe_of(f)->ino, PIPE_FS_DEV);
	return 0;
}

static int pipe_fdname(struct file *f, char *buf, size_t size)
{
	return fmt_snprintf(buf, size, "pipe:[%llu]",
			    (unsigned long long)pipe_of(f)->ino);
}

static void pipe_release(struct file *f)
{
	struct pipe *p = pipe_of(f);

	if (f->ops == &pipe_read_ops)
		p->readers--;
	else
		p->writers--;
	if (p->readers == 0 && p->writers == 0) {
		kfree(p->buf);
		kfree(p);
		return;
	}
	poll_wake(&p->ph, p->readers == 0 ? POLLERR : POLLHUP);
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.poll_head = pipe_poll_head,
	.stat = pipe_stat,
	.fdname = pipe_fdname,
	.release = pipe_release,
};

static const struct file_ops pipe_write_ops = {
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.poll_head = pipe_poll_head,
	.stat = pipe_stat,
	.fdname = pipe_fdname,
	.release = pipe_release,
};

long pipe_fcntl(struct file *f, int cmd, unsigned long arg)
{
	struct pipe *p = pipe_of(f);
	uint32_t size = 4096, len = p->len;
	char *buf;

	if (cmd == F_GETPIPE_SZ)
		return p->cap;
	if (arg > PIPE_MAX_SIZE)
		return -EPERM;
	while (size < arg)
		size *= 2;
	if (size < p->len)
		return -EBUSY;
	buf = kmalloc(size);
	if (buf == NULL)
		return -ENOMEM;
	ring_out(p, buf, len);
	kfree(p->buf);
	p->buf = buf;
	p->cap = size;
	p->head = 0;
	p->len = len;
	poll_wake(&p->ph, POLLOUT | POLLWRNORM);
	return size;
}

struct pipe *pipe_of_file(struct file *f)
{
	return file_is_pipe(f) ? f->priv : NULL;
}

long pipe_wait_data(struct pipe *p, bool nonblock)
{
	int err;

	while (p->len == 0) {
		if (p->writers == 0)
			return 0;
		err = poll_head_wait(&p->ph, nonblock, 0);
		if (err < 0)
			return err;
	}
	return p->len;
}

long pipe_wait_room(struct pipe *p, bool nonblock)
{
	int err;

	for (;;) {
		if (p->readers == 0) {
			signal_send_thread(current_thread, SIGPIPE);
			return -EPIPE;
		}
		if (p->len < p->cap)
			return p->cap - p->len;
		err = poll_head_wait(&p->ph, nonblock, 0);
		if (err < 0)
			return err;
	}
}

uint32_t pipe_free(const struct pipe *p)
{
	return p->readers ? p->cap - p->len : 0;
}

uint32_t pipe_peek(struct pipe *p, void *buf, uint32_t n)
{
	if (n > p->len)
		n = p->len;
	ring_peek(p, buf, n);
	return n;
}

void pipe_consume(struct pipe *p, uint32_t n)
{
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	poll_wake(&p->ph, POLLOUT | POLLWRNORM);
}

uint32_t pipe_append(struct pipe *p, const void *buf, uint32_t n)
{
	if (n > p->cap - p->len)
		n = p->cap - p->len;
	ring_in(p, buf, n);
	if (n)
		poll_wake(&p->ph, POLLIN | POLLRDNORM);
	return n;
}

/* A new pipe and its two files (refs 1 each): 0 or -ENOMEM. */
static int pipe_create(uint32_t flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_DEFAULT_SIZE);
	*rd = file_alloc(&pipe_read_ops, O_RDONLY | flags, p);
	*wr = file_alloc(&pipe_write_ops, O_WRONLY | flags, p);
	if (p->buf == NULL || *rd == NULL || *wr == NULL) {
		kfree(*rd);
		kfree(*wr);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->cap = PIPE_DEFAULT_SIZE;
	p->readers = p->writers = 1;
	p->ino = pipe_next_ino++;
	return 0;
}

long sys_pipe2(uintptr_t ufds, int flags)
{
	bool cloexec = flags & O_CLOEXEC;
	struct file *rd, *wr;
	int fds[2], err;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT))
		return -EINVAL;
	if (flags & O_DIRECT)
		return -EINVAL; /* packet mode: not modelled */
	err = pipe_create((uint32_t)flags & O_NONBLOCK, &rd, &wr);
	if (err < 0)
		return err;
	fds[0] = fd_install(current, rd, 0, cloexec);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install(current, wr, 0, cloexec);
	if (fds[1] < 0) {
		fd_close(current, fds[0]);
		file_put(wr);
		return fds[1];
	}
	/* Linux copies before installing; undoing the install is the same. */
	if (copy_to_user(ufds, fds, sizeof(fds)) == 0)
		return 0;
	fd_close(current, fds[1]);
	fd_close(current, fds[0]);
	return -EFAULT;
}
SYSCALL2(pipe2);

long sys_pipe(uintptr_t ufds)
{
	return sys_pipe2(ufds, 0);
}
SYSCALL1(pipe);
