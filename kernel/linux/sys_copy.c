/* sys_copy.c - copying between files inside the kernel: sendfile, copy_file_range. */
#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

#define COPY_CHUNK (64 * 1024UL)
/* Linux's MAX_RW_COUNT */
#define COPY_MAX 0x7ffff000UL

/*
 * sendfile(2): count bytes from in_fd (a file that can be read at a
 * position) to out_fd (anything writable), through one kernel buffer.
 * With offset, reading starts at *offset, which is advanced and in_fd's
 * position kept; without, in_fd's position is used and advanced. Stops at
 * end of file or at a short write (a full non-blocking socket), and
 * counts only what was written.
 */
long sys_sendfile(int out_fd, int in_fd, uintptr_t uoff, size_t count)
{
	struct file *in = fd_file(in_fd), *out = fd_file(out_fd);
	uint64_t pos, *ppos;
	int64_t off;
	size_t done = 0;
	char *kbuf;
	long r = 0, w;

	if (in == NULL || out == NULL)
		return -EBADF;
	if ((r = rw_check_read(in)) < 0 || (r = rw_check_write(out)) < 0)
		return r == -EINVAL ? -EINVAL : -EBADF;
	if (!in->ops->seekable)
		return -EINVAL;
	if (uoff) {
		if (copy_from_user(&off, uoff, sizeof(off)) < 0)
			return -EFAULT;
		if (off < 0)
			return -EINVAL;
		pos = (uint64_t)off;
		ppos = &pos;
	} else {
		ppos = &in->pos;
	}
	if (count > COPY_MAX)
		count = COPY_MAX;
	kbuf = kmalloc(count < COPY_CHUNK ? (count ? count : 1) : COPY_CHUNK);
	if (kbuf == NULL)
		return -ENOMEM;
	file_get(in);
	file_get(out);
	while (done < count) {
		size_t want = count - done < COPY_CHUNK ? count - done :
							  COPY_CHUNK;
		uint64_t at = *ppos;

		r = in->ops->read(in, kbuf, want, ppos);
		if (r <= 0)
			break;
		w = out->ops->write(out, kbuf, (size_t)r, &out->pos);
		if (w < r) /* give back what was read and not written */
			*ppos = at + (uint64_t)(w > 0 ? w : 0);
		if (w <= 0) {
			r = w;
			break;
		}
		done += (size_t)w;
		if (w < r || (size_t)r < want)
			break;
	}
	file_put(out);
	file_put(in);
	kfree(kbuf);
	if (uoff) {
		off = (int64_t)pos;
		if (copy_to_user(uoff, &off, sizeof(off)) < 0)
			return -EFAULT;
	}
	return done > 0 ? (long)done : r;
}
SYSCALL4(sendfile);

/*
 * Linux's generic_copy_file_checks for regular files: both regular (a
 * directory is EISDIR, anything else EINVAL), in readable and out
 * writable without O_APPEND (EBADF), no wrap (EOVERFLOW), no negative
 * offset (EINVAL); the count shortened to in's end; overlapping ranges of
 * one file EINVAL.
 */
static int copy_checks(struct file *in, int64_t pos_in, struct file *out,
		       int64_t pos_out, size_t *count)
{
	uint64_t size;

	if (in->vn == NULL || out->vn == NULL)
		return -EINVAL;
	if (S_ISDIR(in->vn->mode) || S_ISDIR(out->vn->mode))
		return -EISDIR;
	if (!S_ISREG(in->vn->mode) || !S_ISREG(out->vn->mode))
		return -EINVAL;
	if (rw_check_read(in) || rw_check_write(out) || (out->flags & O_APPEND))
		return -EBADF;
	if ((uint64_t)pos_in + *count < (uint64_t)pos_in ||
	    (uint64_t)pos_out + *count < (uint64_t)pos_out)
		return -EOVERFLOW;
	size = in->vn->reg.size;
	if ((uint64_t)pos_in >= size)
		*count = 0;
	else if (*count > size - (uint64_t)pos_in)
		*count = size - (uint64_t)pos_in;
	if (in->vn == out->vn &&
	    (uint64_t)pos_out + *count > (uint64_t)pos_in &&
	    (uint64_t)pos_out < (uint64_t)pos_in + *count)
		return -EINVAL;
	if (pos_in < 0 || pos_out < 0)
		return -EINVAL;
	return 0;
}

/* Copy count bytes through a kernel buffer; bytes done or -ERRNO. */
static long copy_data(struct file *in, uint64_t *pos_in, struct file *out,
		      uint64_t *pos_out, size_t count)
{
	size_t done = 0;
	char *kbuf;
	long r = 0, w = 0;

	if (count > COPY_MAX)
		count = COPY_MAX;
	kbuf = kmalloc(count < COPY_CHUNK ? count : COPY_CHUNK);
	if (kbuf == NULL)
		return -ENOMEM;
	while (done < count) {
		size_t want = count - done < COPY_CHUNK ? count - done :
							  COPY_CHUNK;

		r = in->ops->read(in, kbuf, want, pos_in);
		if (r <= 0)
			break;
		w = out->ops->write(out, kbuf, (size_t)r, pos_out);
		if (w < r) /* give back what was read and not written */
			*pos_in -= (uint64_t)(r - (w > 0 ? w : 0));
		if (w <= 0) {
			r = w;
			break;
		}
		done += (size_t)w;
		if (w < r)
			break;
	}
	kfree(kbuf);
	return done > 0 ? (long)done : r;
}

/*
 * copy_file_range(2) between regular files (one tmpfs: never EXDEV). An
 * offset pointer given is read and advanced, and that file's position
 * left alone; else the file's position is used and advanced.
 */
long sys_copy_file_range(int fd_in, uintptr_t uoff_in, int fd_out,
			 uintptr_t uoff_out, size_t len, unsigned int flags)
{
	struct file *in = fd_file(fd_in), *out;
	int64_t off_in, off_out;
	uint64_t pos_in, pos_out;
	long ret;

	if (in == NULL || (in->flags & O_PATH))
		return -EBADF;
	out = fd_file(fd_out);
	if (out == NULL || (out->flags & O_PATH))
		return -EBADF;
	if (uoff_in ? copy_from_user(&off_in, uoff_in, sizeof(off_in)) :
		      (off_in = (int64_t)in->pos, 0))
		return -EFAULT;
	if (uoff_out ? copy_from_user(&off_out, uoff_out, sizeof(off_out)) :
		       (off_out = (int64_t)out->pos, 0))
		return -EFAULT;
	if (flags != 0)
		return -EINVAL;
	ret = copy_checks(in, off_in, out, off_out, &len);
	if (ret < 0 || len == 0)
		return ret;
	pos_in = (uint64_t)off_in;
	pos_out = (uint64_t)off_out;
	ret = copy_data(in, &pos_in, out, &pos_out, len);
	if (ret <= 0)
		return ret;
	off_in = (int64_t)pos_in;
	off_out = (int64_t)pos_out;
	if (uoff_in && copy_to_user(uoff_in, &off_in, sizeof(off_in)))
		return -EFAULT;
	if (!uoff_in)
		in->pos = pos_in;
	if (uoff_out && copy_to_user(uoff_out, &off_out, sizeof(off_out)))
		return -EFAULT;
	if (!uoff_out)
		out->pos = pos_out;
	return ret;
}
SYSCALL6(copy_file_range);
