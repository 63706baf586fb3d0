/* sys_splice.c - splice, tee and vmsplice: moving data through pipes without the app's buffers. */
#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>
#include <linux/uio.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "linux/pipe.h"
#include "linux/proc.h"
#include "linux/sock_file.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * As Linux's fs/splice.c, with bytes where Linux moves page references:
 * the data goes through one kernel buffer, never through the app. Kiln's
 * pipes are byte rings, so "as many buffers as fit" is "as many bytes as
 * fit". Every call waits at most once, for the first byte of data or of
 * room (not at all with SPLICE_F_NONBLOCK or an O_NONBLOCK pipe), then
 * moves what it can without waiting again, as Linux returns a partial
 * count rather than block for more.
 */
#define SPLICE_F_MOVE 1U
#define SPLICE_F_NONBLOCK 2U
#define SPLICE_F_MORE 4U
#define SPLICE_F_GIFT 8U
#define SPLICE_F_ALL \
	(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)
#define SPLICE_CHUNK (64 * 1024U)
/* Linux's MAX_RW_COUNT */
#define SPLICE_MAX 0x7ffff000UL

static bool can_read(const struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool can_write(const struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/*
 * Read from a stream (a socket) without waiting when nonblock: the
 * file's O_NONBLOCK for this one call, as Linux passes MSG_DONTWAIT.
 * Safe: a non-blocking read never sleeps, so no one sees the flag.
 * Linux's tcp_splice_read waits as the socket's own O_NONBLOCK says,
 * whatever SPLICE_F_NONBLOCK says; so does a TCP socket here.
 */
static long read_once(struct file *in, void *buf, size_t n, uint64_t *pos,
		      bool nonblock)
{
	struct socket *s = sock_of_file(in);
	uint32_t added;
	long r;

	if (s != NULL && s->family == AF_INET && s->type == SOCK_STREAM)
		nonblock = false;
	added = nonblock ? ~in->flags & O_NONBLOCK : 0;
	in->flags |= added;
	r = in->ops->read(in, buf, n, pos);
	in->flags &= ~added; /* only ours: a blocking read may have slept */
	return r;
}

/* Pipe to pipe, consuming (splice) or not (tee). */
static long pipe_to_pipe(struct pipe *ip, struct pipe *op, size_t len,
			 bool nonblock, bool consume)
{
	long avail, room, done = 0;
	char *kbuf;

	/* Waiting for room may sleep: the data may be gone by then. */
	do {
		avail = pipe_wait_data(ip, nonblock);
		if (avail <= 0)
			return avail;
		room = pipe_wait_room(op, nonblock);
		if (room < 0)
			return room;
	} while (pipe_wait_data(ip, true) <= 0);
	kbuf = kmalloc(SPLICE_CHUNK);
	if (kbuf == NULL)
		return -ENOMEM;
	/* tee copies from the front each time: one round, at most a chunk. */
	while ((size_t)done < len) {
		size_t want = len - (size_t)done;
		uint32_t n;

		want = want < SPLICE_CHUNK ? want : SPLICE_CHUNK;
		n = pipe_peek(ip, kbuf, (uint32_t)want);
		n = pipe_append(op, kbuf, n);
		if (n == 0)
			break;
		if (consume)
			pipe_consume(ip, n);
		done += n;
		if (!consume)
			break;
	}
	kfree(kbuf);
	return done;
}

/* Pipe to a file or socket: write what waits, give back what was not. */
static long pipe_to_file(struct pipe *ip, struct file *out, uint64_t *pos,
			 size_t len, bool nonblock)
{
	long avail = pipe_wait_data(ip, nonblock), done = 0, w = 0;
	char *kbuf;

	if (avail <= 0)
		return avail;
	kbuf = kmalloc(SPLICE_CHUNK);
	if (kbuf == NULL)
		return -ENOMEM;
	while ((size_t)done < len) {
		size_t want = len - (size_t)done;
		uint32_t n;

		want = want < SPLICE_CHUNK ? want : SPLICE_CHUNK;
		n = pipe_peek(ip, kbuf, (uint32_t)want);
		if (n == 0)
			break;
		w = out->ops->write(out, kbuf, n, pos);
		if (w <= 0)
			break;
		pipe_consume(ip, (uint32_t)w);
		done += w;
		if ((uint32_t)w < n)
			break;
	}
	kfree(kbuf);
	return done > 0 ? done : w;
}

/* A file or socket to a pipe: as much as fits, from a stream one read. */
static long file_to_pipe(struct file *in, uint64_t *pos, struct pipe *op,
			 size_t len, bool nonblock)
{
	long room = pipe_wait_room(op, nonblock), done = 0, r = 0;
	char *kbuf;

	if (room < 0)
		return room;
	kbuf = kmalloc(SPLICE_CHUNK);
	if (kbuf == NULL)
		return -ENOMEM;
	while ((size_t)done < len && room > 0) {
		size_t want = len - (size_t)done;

		want = want < (size_t)room ? want : (size_t)room;
		want = want < SPLICE_CHUNK ? want : SPLICE_CHUNK;
		r = read_once(in, kbuf, want, pos, nonblock);
		if (r <= 0)
			break;
		/* A read that slept may find the pipe filled meanwhile. */
		for (long put = 0; put < r;) {
			put += pipe_append(op, kbuf + put, (uint32_t)(r - put));
			if (put < r && pipe_wait_room(op, false) < 0)
				break;
		}
		done += r;
		if (!in->ops->seekable || (size_t)r < want)
			break;
		room = (long)pipe_free(op);
	}
	kfree(kbuf);
	return done > 0 ? done : r;
}

/* Linux's rw_verify_area and FMODE_PREAD/PWRITE for an offset given. */
static int offset_ok(const struct file *f, uintptr_t uoff, uint64_t pos)
{
	if (!uoff)
		return 0;
	if (!f->ops->seekable || (int64_t)pos < 0)
		return -EINVAL;
	return 0;
}

static long splice_rest(struct file *in, uint64_t *pos_in, struct file *out,
			uint64_t *pos_out, size_t len, bool nonblock)
{
	struct pipe *ip = pipe_of_file(in), *op = pipe_of_file(out);

	if (ip && op) {
		if (ip == op)
			return -EINVAL;
		nonblock |= (in->flags | out->flags) & O_NONBLOCK;
		return pipe_to_pipe(ip, op, len, nonblock, true);
	}
	if (ip) {
		if (out->ops->write == NULL || (out->flags & O_APPEND))
			return -EINVAL;
		nonblock |= in->flags & O_NONBLOCK;
		return pipe_to_file(ip, out, pos_out, len, nonblock);
	}
	if (op) {
		if (in->ops->read == NULL ||
		    (in->vn != NULL && S_ISDIR(in->vn->mode)))
			return -EINVAL;
		nonblock |= out->flags & O_NONBLOCK;
		return file_to_pipe(in, pos_in, op, len, nonblock);
	}
	return -EINVAL;
}

/* The order of Linux's checks: ESPIPE, EFAULT, EBADF, then EINVAL. */
static long do_splice(struct file *in, uintptr_t uoff_in, struct file *out,
		      uintptr_t uoff_out, size_t len, unsigned int flags)
{
	int64_t off_in = 0, off_out = 0;
	uint64_t pos_in, pos_out;
	long ret;

	if ((pipe_of_file(in) && uoff_in) || (pipe_of_file(out) && uoff_out))
		return -ESPIPE;
	if (uoff_out && copy_from_user(&off_out, uoff_out, sizeof(off_out)))
		return -EFAULT;
	if (uoff_in && copy_from_user(&off_in, uoff_in, sizeof(off_in)))
		return -EFAULT;
	if (!can_read(in) || !can_write(out))
		return -EBADF;
	pos_in = uoff_in ? (uint64_t)off_in : in->pos;
	pos_out = uoff_out ? (uint64_t)off_out : out->pos;
	if (offset_ok(in, uoff_in, pos_in) || offset_ok(out, uoff_out, pos_out))
		return -EINVAL;
	ret = splice_rest(in, &pos_in, out, &pos_out, len,
			  flags & SPLICE_F_NONBLOCK);
	if (ret <= 0)
		return ret;
	if (!uoff_in)
		in->pos = pos_in;
	if (!uoff_out)
		out->pos = pos_out;
	off_in = (int64_t)pos_in;
	off_out = (int64_t)pos_out;
	if (uoff_out && copy_to_user(uoff_out, &off_out, sizeof(off_out)))
		return -EFAULT;
	if (uoff_in && copy_to_user(uoff_in, &off_in, sizeof(off_in)))
		return -EFAULT;
	return ret;
}

/*
 * splice(2): one side must be a pipe; an offset may be given only for the
 * other side, a seekable file, whose position is then left alone.
 */
long sys_splice(int fd_in, uintptr_t uoff_in, int fd_out, uintptr_t uoff_out,
		size_t len, unsigned int flags)
{
	struct file *in, *out;
	long ret;

	if (len == 0)
		return 0;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	in = fd_file(fd_in);
	out = fd_file(fd_out);
	if (in == NULL || out == NULL || (in->flags & O_PATH) ||
	    (out->flags & O_PATH))
		return -EBADF;
	if (len > SPLICE_MAX)
		len = SPLICE_MAX;
	file_get(in);
	file_get(out);
	ret = do_splice(in, uoff_in, out, uoff_out, len, flags);
	file_put(out);
	file_put(in);
	return ret;
}
SYSCALL6(splice);

/* tee(2): copy between two pipes without taking the data from the first. */
long sys_tee(int fd_in, int fd_out, size_t len, unsigned int flags)
{
	struct file *in, *out;
	struct pipe *ip, *op;
	long ret;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (len == 0)
		return 0;
	in = fd_file(fd_in);
	out = fd_file(fd_out);
	if (in == NULL || out == NULL || !can_read(in) || !can_write(out))
		return -EBADF;
	ip = pipe_of_file(in);
	op = pipe_of_file(out);
	if (ip == NULL || op == NULL || ip == op)
		return -EINVAL;
	if ((in->flags | out->flags) & O_NONBLOCK)
		flags |= SPLICE_F_NONBLOCK;
	file_get(in);
	file_get(out);
	ret = pipe_to_pipe(ip, op, len > SPLICE_MAX ? SPLICE_MAX : len,
			   flags & SPLICE_F_NONBLOCK, false);
	file_put(out);
	file_put(in);
	return ret;
}
SYSCALL4(tee);

/* User memory into the pipe: what fits after waiting for any room. */
static long vmsplice_in(struct pipe *p, const struct iovec *iov, int cnt,
			bool nonblock, char *kbuf)
{
	long room = pipe_wait_room(p, nonblock), done = 0;

	for (int i = 0; i < cnt && room > 0; i++) {
		uintptr_t base = (uintptr_t)iov[i].iov_base;

		for (size_t off = 0; off < iov[i].iov_len && room > 0;) {
			size_t n = iov[i].iov_len - off;

			n = n < SPLICE_CHUNK ? n : SPLICE_CHUNK;
			n = n < (size_t)room ? n : (size_t)room;
			if (copy_from_user(kbuf, base + off, n))
				return done > 0 ? done : -EFAULT;
			pipe_append(p, kbuf, (uint32_t)n);
			off += n, done += (long)n, room -= (long)n;
		}
	}
	return room < 0 ? room : done;
}

/* The pipe's data out to user memory, after waiting for any. */
static long vmsplice_out(struct pipe *p, const struct iovec *iov, int cnt,
			 bool nonblock, char *kbuf)
{
	long avail = pipe_wait_data(p, nonblock), done = 0;

	for (int i = 0; i < cnt && avail > 0; i++) {
		uintptr_t base = (uintptr_t)iov[i].iov_base;

		for (size_t off = 0; off < iov[i].iov_len && avail > 0;) {
			size_t n = iov[i].iov_len - off;

			n = n < SPLICE_CHUNK ? n : SPLICE_CHUNK;
			n = pipe_peek(p, kbuf, (uint32_t)n);
			if (copy_to_user(base + off, kbuf, n))
				return done > 0 ? done : -EFAULT;
			pipe_consume(p, (uint32_t)n);
			off += n, done += (long)n, avail -= (long)n;
		}
	}
	return avail < 0 ? avail : done;
}

/*
 * vmsplice(2): the write end of a pipe takes user memory in (copied: the
 * app may reuse it at once, which SPLICE_F_GIFT leaves allowed), the read
 * end gives its data out.
 */
long sys_vmsplice(int fd, uintptr_t uiov, unsigned long nr_segs,
		  unsigned int flags)
{
	struct iovec *iov = NULL;
	struct file *f;
	struct pipe *p;
	char *kbuf;
	long total, ret;
	bool in;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	f = fd_file(fd);
	if (f == NULL || (!can_read(f) && !can_write(f)))
		return -EBADF;
	in = can_write(f);
	if (nr_segs > UIO_MAXIOV)
		return -EINVAL;
	total = rw_get_iov(uiov, (int)nr_segs, &iov);
	if (total < 0)
		return total;
	ret = 0;
	p = pipe_of_file(f);
	if (total > 0 && p == NULL)
		ret = -EBADF;
	if (total == 0 || ret < 0)
		goto out_iov;
	if (f->flags & O_NONBLOCK)
		flags |= SPLICE_F_NONBLOCK;
	kbuf = kmalloc(SPLICE_CHUNK);
	ret = -ENOMEM;
	if (kbuf == NULL)
		goto out_iov;
	file_get(f);
	ret = in ? vmsplice_in(p, iov, (int)nr_segs, flags & SPLICE_F_NONBLOCK,
			       kbuf) :
		   vmsplice_out(p, iov, (int)nr_segs, flags & SPLICE_F_NONBLOCK,
				kbuf);
	file_put(f);
	kfree(kbuf);
out_iov:
	kfree(iov);
	return ret;
}
SYSCALL4(vmsplice);
