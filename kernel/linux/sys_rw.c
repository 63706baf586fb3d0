/* sys_rw.c - read, write, their vector and positioned forms (preadv2 and pwritev2 too), lseek. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/inotify.h>
#include <linux/stat.h>
#include <linux/uio.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/notify.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * File operations work on kernel buffers; data crosses to the application
 * through a bounce buffer of up to RW_CHUNK bytes. Seekable files (regular
 * files, memory devices) are read in a loop until done; others get one
 * call, so a pipe or the console returns what it has without blocking for
 * more.
 */
#define RW_CHUNK (64 * 1024UL)
#define RW_MAX 0x7ffff000UL /* Linux's MAX_RW_COUNT */

int rw_check_read(struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;

	if ((f->flags & O_PATH) || acc == O_WRONLY)
		return -EBADF;
	return f->ops->read == NULL ? -EINVAL : 0;
}

int rw_check_write(struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;

	if ((f->flags & O_PATH) || acc == O_RDONLY)
		return -EBADF;
	return f->ops->write == NULL ? -EINVAL : 0;
}

/*
 * The bounce buffer. Small transfers (a pipe's or a socket's byte, a
 * line to the terminal) use the stack; larger ones take the one spare
 * RW_CHUNK buffer, kept between calls, and only allocate when a sleeping
 * call holds it. Allocating per call cost a page-allocator run for every
 * 4 KiB pwrite (kmalloc(4096) is a two-page run, found first fit).
 */
#define RW_STACK 256
static char *rw_spare;

static char *rw_buf_get(size_t chunk, char *stack)
{
	char *b;

	if (chunk <= RW_STACK)
		return stack;
	if (rw_spare) {
		b = rw_spare;
		rw_spare = NULL;
		return b;
	}
	return kmalloc(RW_CHUNK);
}

static void rw_buf_put(char *b, const char *stack)
{
	if (b == stack)
		return;
	if (rw_spare == NULL)
		rw_spare = b;
	else
		kfree(b);
}

/*
 * Move n bytes between the app's buffer and the file through a kernel
 * bounce buffer of at most RW_CHUNK bytes. A short transfer ends the
 * call, and so does the first read from a stream (pipe, socket, terminal):
 * it returns what has arrived rather than waiting for more.
 */
static long do_rw(struct file *f, uintptr_t ubuf, size_t n, uint64_t *pos,
		  bool write)
{
	size_t done = 0, chunk = n < RW_CHUNK ? n : RW_CHUNK;
	char stack[RW_STACK], *kbuf;
	long r = 0;

	if (n == 0)
		return 0;
	if (!user_range_ok(ubuf, n))
		return -EFAULT;
	kbuf = rw_buf_get(chunk, stack);
	if (kbuf == NULL)
		return -ENOMEM;
	while (done < n) {
		size_t want = n - done < chunk ? n - done : chunk;

		if (write && copy_from_user(kbuf, ubuf + done, want) < 0) {
			r = -EFAULT;
			break;
		}
		r = write ? f->ops->write(f, kbuf, want, pos) :
			    f->ops->read(f, kbuf, want, pos);
		if (r <= 0)
			break;
		if (!write && copy_to_user(ubuf + done, kbuf, (size_t)r) < 0) {
			r = -EFAULT;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < want || (!write && !f->ops->seekable))
			break;
	}
	rw_buf_put(kbuf, stack);
	if (done > 0) /* vfs_read/vfs_write's fsnotify_access/modify */
		fsnotify_node(f->vn, write ? IN_MODIFY : IN_ACCESS);
	return done > 0 ? (long)done : r;
}

/*
 * read, write, readv and writev may sleep (pipes, sockets, the terminal)
 * while another thread closes the fd: they hold their own reference to
 * the open file for the whole call, as Linux's fdget does.
 */
static long rw_at_pos(int fd, uintptr_t buf, size_t count, bool write)
{
	struct file *f = fd_file(fd);
	long ret;

	if (f == NULL)
		return -EBADF;
	ret = write ? rw_check_write(f) : rw_check_read(f);
	if (ret < 0)
		return ret;
	if (count > RW_MAX)
		count = RW_MAX;
	file_get(f);
	ret = do_rw(f, buf, count, &f->pos, write);
	file_put(f);
	return ret;
}

long sys_read(int fd, uintptr_t buf, size_t count)
{
	return rw_at_pos(fd, buf, count, false);
}
SYSCALL3(read);

long sys_write(int fd, uintptr_t buf, size_t count)
{
	return rw_at_pos(fd, buf, count, true);
}
SYSCALL3(write);

/* Checks of the positioned forms: the file must be seekable. */
static struct file *positioned(int fd, int64_t off, long *err)
{
	struct file *f = fd_file(fd);

	*err = 0;
	if (f == NULL)
		*err = -EBADF;
	else if (off < 0)
		*err = -EINVAL;
	else if (!f->ops->seekable && !(f->flags & O_PATH))
		*err = -ESPIPE;
	return *err < 0 ? NULL : f;
}

long sys_pread64(int fd, uintptr_t buf, size_t count, int64_t off)
{
	uint64_t pos = (uint64_t)off;
	long err;
	struct file *f = positioned(fd, off, &err);

	if (f == NULL)
		return err;
	err = rw_check_read(f);
	if (err < 0)
		return err;
	if (f->vn != NULL && S_ISDIR(f->vn->mode))
		return -EISDIR;
	return do_rw(f, buf, count > RW_MAX ? RW_MAX : count, &pos, false);
}
SYSCALL4(pread64);

long sys_pwrite64(int fd, uintptr_t buf, size_t count, int64_t off)
{
	uint64_t pos = (uint64_t)off;
	long err;
	struct file *f = positioned(fd, off, &err);

	if (f == NULL)
		return err;
	err = rw_check_write(f);
	if (err < 0)
		return err;
	return do_rw(f, buf, count > RW_MAX ? RW_MAX : count, &pos, true);
}
SYSCALL4(pwrite64);

/* Copy and check an iovec array: total length, or -EINVAL/-EFAULT. */
long rw_get_iov(uintptr_t uiov, int cnt, struct iovec **out)
{
	struct iovec *iov;
	size_t total = 0;
	int i;

	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	iov = kmalloc(sizeof(*iov) * (size_t)(cnt > 0 ? cnt : 1));
	if (iov == NULL)
		return -ENOMEM;
	if (copy_from_user(iov, uiov, sizeof(*iov) * (size_t)cnt) < 0) {
		kfree(iov);
		return -EFAULT;
	}
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)INT64_MAX - total) {
			kfree(iov);
			return -EINVAL;
		}
		total += iov[i].iov_len;
	}
	*out = iov;
	return (long)total;
}

/*
 * RWF_* flags of preadv2/pwritev2 (linux/fs.h has the first five), as
 * Linux 6.18 answers them on tmpfs and pipes: HIPRI, DSYNC, SYNC,
 * NOAPPEND and NOSIGNAL change nothing here (memory is always in sync),
 * APPEND writes at the end, NOWAIT makes a pipe or socket call
 * non-blocking and is EOPNOTSUPP for a regular tmpfs file (Linux's shmem
 * has no FMODE_NOWAIT), ATOMIC and DONTCACHE are EOPNOTSUPP (tmpfs offers
 * neither), anything else is EOPNOTSUPP.
 */
#define RWF_NOAPPEND 0x20
#define RWF_ATOMIC 0x40
#define RWF_DONTCACHE 0x80
#define RWF_NOSIGNAL 0x100
#define RWF_KNOWN 0x1ff

static int rwf_check(struct file *f, int rwf)
{
	if (rwf & ~RWF_KNOWN)
		return -EOPNOTSUPP;
	if (rwf & (RWF_ATOMIC | RWF_DONTCACHE))
		return -EOPNOTSUPP;
	if ((rwf & RWF_NOWAIT) && f->ops->seekable)
		return -EOPNOTSUPP;
	return 0;
}

/*
 * The file flags rwf stands for during one call: O_NONBLOCK (NOWAIT, only
 * on files that are not seekable), O_APPEND (APPEND, NOAPPEND, only on
 * regular files). Neither kind of file sleeps with them changed, so no
 * other thread sees the change.
 */
static uint32_t rwf_flags(struct file *f, int rwf, bool write)
{
	uint32_t fl = f->flags;

	if (rwf & RWF_NOWAIT)
		fl |= O_NONBLOCK;
	if (write && f->vn != NULL && S_ISREG(f->vn->mode)) {
		if (rwf & RWF_APPEND)
			fl |= O_APPEND;
		if (rwf & RWF_NOAPPEND)
			fl &= ~(uint32_t)O_APPEND;
	}
	return fl;
}

/* readv/writev/preadv/pwritev: stop at the first short transfer. */
static long do_vec(struct file *f, uintptr_t uiov, int cnt, uint64_t *pos,
		   bool write, int rwf)
{
	struct iovec *iov = NULL;
	int i, err = write ? rw_check_write(f) : rw_check_read(f);
	long total, r = 0, done = 0;
	bool sigpipe = signal_thread_pending(SIGPIPE);
	uint32_t changed = 0;

	if (err < 0)
		return err;
	total = rw_get_iov(uiov, cnt, &iov);
	if (total < 0)
		return total;
	err = total > 0 ? rwf_check(f, rwf) : 0;
	if (err == 0) {
		changed = rwf_flags(f, rwf, write) ^ f->flags;
		f->flags ^= changed;
	}
	for (i = 0; i < cnt && err == 0; i++) {
		uintptr_t base = (uintptr_t)iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (len == 0)
			continue;
		r = do_rw(f, base, len, pos, write);
		if (r < 0)
			break;
		done += r;
		if ((size_t)r < len)
			break;
	}
	f->flags ^= changed; /* only what rwf changed: readv may have slept */
	kfree(iov);
	if (err < 0)
		return err;
	if ((rwf & RWF_NOSIGNAL) && !sigpipe)
		signal_thread_drop(SIGPIPE); /* as MSG_NOSIGNAL */
	return done > 0 || r >= 0 ? done : r;
}

/* readv/writev on the fd's own position, holding a reference meanwhile. */
static long vec_at_pos(int fd, uintptr_t iov, int cnt, bool write, int rwf)
{
	struct file *f = fd_file(fd);
	long ret;

	if (f == NULL)
		return -EBADF;
	file_get(f);
	ret = do_vec(f, iov, cnt, &f->pos, write, rwf);
	file_put(f);
	return ret;
}

long sys_readv(int fd, uintptr_t iov, int cnt)
{
	return vec_at_pos(fd, iov, cnt, false, 0);
}
SYSCALL3(readv);

long sys_writev(int fd, uintptr_t iov, int cnt)
{
	return vec_at_pos(fd, iov, cnt, true, 0);
}
SYSCALL3(writev);

long sys_preadv(int fd, uintptr_t iov, int cnt, int64_t off)
{
	uint64_t pos = (uint64_t)off;
	long err;
	struct file *f = positioned(fd, off, &err);

	return f == NULL ? err : do_vec(f, iov, cnt, &pos, false, 0);
}
SYSCALL4(preadv);

long sys_pwritev(int fd, uintptr_t iov, int cnt, int64_t off)
{
	uint64_t pos = (uint64_t)off;
	long err;
	struct file *f = positioned(fd, off, &err);

	return f == NULL ? err : do_vec(f, iov, cnt, &pos, true, 0);
}
SYSCALL4(pwritev);

/*
 * preadv2/pwritev2: offset -1 is the file's own position (readv/writev),
 * others as preadv/pwritev; x86_64 passes the whole offset in pos_l.
 */
static long rw_vec2(int fd, uintptr_t iov, int cnt, int64_t off, int rwf,
		    bool write)
{
	uint64_t pos = (uint64_t)off;
	struct file *f;
	long err;

	if (off == -1)
		return vec_at_pos(fd, iov, cnt, write, rwf);
	f = positioned(fd, off, &err);
	return f == NULL ? err : do_vec(f, iov, cnt, &pos, write, rwf);
}

long sys_preadv2(int fd, uintptr_t iov, int cnt, int64_t pos_l, uint64_t pos_h,
		 int rwf)
{
	(void)pos_h;
	return rw_vec2(fd, iov, cnt, pos_l, rwf, false);
}
SYSCALL6(preadv2);

long sys_pwritev2(int fd, uintptr_t iov, int cnt, int64_t pos_l, uint64_t pos_h,
		  int rwf)
{
	(void)pos_h;
	return rw_vec2(fd, iov, cnt, pos_l, rwf, true);
}
SYSCALL6(pwritev2);

/* SEEK_DATA/SEEK_HOLE: the whole file is data, the hole is at its end. */
static int64_t seek_base(struct file *f, int64_t off, int whence)
{
	int64_t size = 0;

	if (f->vn != NULL && S_ISREG(f->vn->mode))
		size = (int64_t)f->vn->reg.size;
	switch (whence) {
	case SEEK_SET:
		return 0;
	case SEEK_CUR:
		return (int64_t)f->pos;
	case SEEK_END:
		return size;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		return whence == SEEK_DATA ? 0 : size - off;
	default:
		return -EINVAL;
	}
}

long sys_lseek(int fd, int64_t off, int whence)
{
	struct file *f = fd_file(fd);
	int64_t base, pos;

	if (f == NULL)
		return -EBADF;
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->ops->llseek != NULL)
		return f->ops->llseek(f, off, whence);
	if (!f->ops->seekable)
		return -ESPIPE;
	base = seek_base(f, off, whence);
	if (base < 0)
		return base;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	pos = base + off;
	f->pos = (uint64_t)pos;
	return pos;
}
SYSCALL3(lseek);
