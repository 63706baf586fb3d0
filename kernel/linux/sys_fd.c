/* sys_fd.c - dup, dup2, dup3, fcntl, ioctl, flock. */
#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/stat.h>

#include "core/uaccess.h"
#include "fs/lock.h"
#include "linux/pipe.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

long sys_dup(int fd)
{
	struct file *f = fd_file(fd);
	int nfd;

	if (f == NULL)
		return -EBADF;
	nfd = fd_install(current, file_get(f), 0, false);
	if (nfd < 0)
		file_put(f);
	return nfd == -EINVAL ? -EMFILE : nfd;
}
SYSCALL1(dup);

long sys_dup3(int oldfd, int newfd, int flags)
{
	struct file *f = fd_file(oldfd);
	int r;

	if ((flags & ~O_CLOEXEC) != 0 || oldfd == newfd)
		return -EINVAL;
	if (f == NULL)
		return -EBADF;
	r = fd_install_at(current, file_get(f), newfd, flags & O_CLOEXEC);
	if (r < 0)
		file_put(f);
	return r;
}
SYSCALL3(dup3);

long sys_dup2(int oldfd, int newfd)
{
	if (fd_file(oldfd) == NULL)
		return -EBADF;
	if (oldfd == newfd)
		return newfd;
	return sys_dup3(oldfd, newfd, 0);
}
SYSCALL2(dup2);

/* Status flags F_SETFL may change; the access mode and others stay. */
#define SETFL_MASK \
	(O_APPEND | O_NONBLOCK | O_NDELAY | FASYNC | O_DIRECT | O_NOATIME)

/*
 * struct flock (untrusted) to bytes start..end of f: l_whence picks the
 * base, a negative l_len reaches back, 0 runs to the end of any file.
 */
static long flock_range(struct file *f, const struct flock *fl,
			struct vfs_lock_req *r)
{
	int64_t base, start;

	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		base = S_ISREG(f->vn->mode) ? (int64_t)f->vn->reg.size : 0;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, fl->l_start, &start))
		return -EOVERFLOW;
	if (fl->l_len < 0) {
		if (start + fl->l_len < 0)
			return -EINVAL;
		r->end = (uint64_t)start - 1;
		start += fl->l_len;
	} else if (fl->l_len == 0) {
		r->end = VFS_LOCK_EOF;
	} else if (__builtin_add_overflow(start, fl->l_len - 1,
					  (int64_t *)&r->end)) {
		return -EOVERFLOW;
	}
	if (start < 0)
		return -EINVAL;
	r->start = (uint64_t)start;
	return 0;
}

/* F_GETLK's answer: the conflicting lock, whence SEEK_SET, or F_UNLCK. */
static void flock_report(const struct vfs_lock_req *r, struct flock *fl)
{
	fl->l_type = (short)r->type;
	if (r->type == F_UNLCK)
		return;
	fl->l_whence = SEEK_SET;
	fl->l_start = (int64_t)r->start;
	fl->l_len = r->end == VFS_LOCK_EOF ? 0 :
					     (int64_t)(r->end - r->start + 1);
	fl->l_pid = r->pid;
}

/* POSIX locks belong to the process, OFD locks to the open file. */
static long fcntl_lock(struct file *f, int cmd, uintptr_t arg)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK ||
		   cmd == F_OFD_SETLKW;
	struct vfs_lock_req r = { 0 };
	struct flock fl;
	long err;

	if (copy_from_user(&fl, arg, sizeof(fl)) < 0)
		return -EFAULT;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK &&
	    fl.l_type != F_UNLCK)
		return -EINVAL;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	if (f->vn == NULL)
		return -EINVAL;
	err = flock_range(f, &fl, &r);
	if (err < 0)
		return err;
	r.kind = ofd ? VFS_LOCK_OFD : VFS_LOCK_POSIX;
	r.type = fl.l_type;
	r.owner = ofd ? (const void *)f : (const void *)current;
	r.pid = ofd ? -1 : current->pid;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		vfs_lock_test(f->vn, &r);
		flock_report(&r, &fl);
		return copy_to_user(arg, &fl, sizeof(fl)) < 0 ? -EFAULT : 0;
	}
	if ((fl.l_type == F_RDLCK && (f->flags & O_ACCMODE) == O_WRONLY) ||
	    (fl.l_type == F_WRLCK && (f->flags & O_ACCMODE) == O_RDONLY))
		return -EBADF;
	return vfs_lock_set(f->vn, &r, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

static long fcntl_dupfd(struct file *f, unsigned long arg, bool cloexec)
{
	int nfd;

	if (arg >= (unsigned long)fd_max(current))
		return -EINVAL;
	nfd = fd_install(current, file_get(f), (int)arg, cloexec);
	if (nfd < 0)
		file_put(f);
	return nfd;
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
	struct file *f = fd_file(fd);

	if (f == NULL)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fcntl_dupfd(f, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fd_get_cloexec(current, fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		return fd_set_cloexec(current, fd, arg & FD_CLOEXEC);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		if (f->flags & O_PATH)
			return -EBADF;
		f->flags = (f->flags & ~(uint32_t)SETFL_MASK) |
			   ((uint32_t)arg & SETFL_MASK);
		return 0;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		if (f->flags & O_PATH)
			return -EBADF;
		return fcntl_lock(f, cmd, arg);
	case F_GETOWN:
	case F_SETOWN:
	case F_SETSIG:
	case F_GETSIG:
		return 0;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		return file_is_pipe(f) ? pipe_fcntl(f, cmd, arg) : -EBADF;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return memfd_fcntl(f, cmd, (unsigned int)arg);
	default:
		return -EINVAL;
	}
}
SYSCALL3(fcntl);

/* FIONREAD on a regular file: bytes between the position and the end. */
static long fionread(struct file *f, uintptr_t arg)
{
	int n = 0;

	if (f->vn->reg.size > f->pos)
		n = (int)(f->vn->reg.size - f->pos);
	return copy_to_user(arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

long sys_ioctl(int fd, unsigned int cmd, uintptr_t arg)
{
	struct file *f = fd_file(fd);
	int on;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		return fd_set_cloexec(current, fd, cmd == FIOCLEX);
	case FIONBIO:
		if (copy_from_user(&on, arg, sizeof(on)) < 0)
			return -EFAULT;
		if (on)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~(uint32_t)O_NONBLOCK;
		return 0;
	case FIOASYNC:
		return 0;
	}
	if (f->ops->ioctl != NULL)
		return f->ops->ioctl(f, cmd, arg);
	if (cmd == FIONREAD && f->vn != NULL && S_ISREG(f->vn->mode))
		return fionread(f, arg);
	return -ENOTTY;
}
SYSCALL3(ioctl);

/*
 * flock: one whole-file lock per open file description, shared by its
 * dups and forks, gone at its last close. Files without a node (pipes,
 * sockets) take the call and hold nothing.
 */
long sys_flock(int fd, int op)
{
	struct file *f = fd_file(fd);
	int kind = op & ~LOCK_NB;
	struct vfs_lock_req r = { .kind = VFS_LOCK_FLOCK, .end = VFS_LOCK_EOF };

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN)
		return -EINVAL;
	if (f->vn == NULL)
		return 0;
	r.type = kind == LOCK_SH ? F_RDLCK :
		 kind == LOCK_EX ? F_WRLCK :
				   F_UNLCK;
	r.owner = f;
	r.pid = current->pid;
	return vfs_lock_set(f->vn, &r, !(op & LOCK_NB));
}
SYSCALL2(flock);
