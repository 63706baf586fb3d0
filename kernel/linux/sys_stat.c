/* sys_stat.c - stat, fstat, lstat, newfstatat, statx, access, faccessat(2), statfs, fstatfs. */
#include <asm-generic/errno.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <linux/fcntl.h>
#include <linux/magic.h>
#include <linux/stat.h>

#include "core/page.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

_Static_assert(sizeof(struct stat) == 144, "x86_64 struct stat");
_Static_assert(sizeof(struct statx) == 256, "struct statx");

/* stat of an open file: its node, or what its ops say (pipes, sockets). */
static int stat_file(struct file *f, struct stat *st)
{
	if (f->vn != NULL) {
		vfs_stat(f->vn, st);
		return 0;
	}
	memset(st, 0, sizeof(*st));
	st->st_blksize = VFS_BLKSIZE;
	if (f->ops->stat != NULL)
		return f->ops->stat(f, st);
	return 0;
}

/* The stat of (dirfd, path, flags), with AT_EMPTY_PATH on any open file. */
static int stat_at(int dirfd, uintptr_t upath, int flags, struct stat *st)
{
	struct vnode *vn;
	struct file *f;
	char c;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
		      AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD &&
	    copy_from_user(&c, upath, 1) == 0 && c == '\0') {
		f = fd_file(dirfd);
		return f == NULL ? -EBADF : stat_file(f, st);
	}
	err = at_node(dirfd, upath, flags, &vn);
	if (err < 0)
		return err;
	vfs_stat(vn, st);
	vnode_put(vn);
	return 0;
}

static long put_stat(uintptr_t ubuf, const struct stat *st)
{
	return copy_to_user(ubuf, st, sizeof(*st)) < 0 ? -EFAULT : 0;
}

long sys_newfstatat(int dirfd, uintptr_t path, uintptr_t buf, int flags)
{
	struct stat st;
	int err = stat_at(dirfd, path, flags, &st);

	return err < 0 ? err : put_stat(buf, &st);
}
SYSCALL4(newfstatat);

long sys_stat(uintptr_t path, uintptr_t buf)
{
	return sys_newfstatat(AT_FDCWD, path, buf, 0);
}
SYSCALL2(stat);

long sys_lstat(uintptr_t path, uintptr_t buf)
{
	return sys_newfstatat(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}
SYSCALL2(lstat);

long sys_fstat(int fd, uintptr_t buf)
{
	struct file *f = fd_file(fd);
	struct stat st;
	int err;

	if (f == NULL)
		return -EBADF;
	err = stat_file(f, &st);
	return err < 0 ? err : put_stat(buf, &st);
}
SYSCALL2(fstat);

static struct statx_timestamp stx_time(unsigned long sec, unsigned long nsec)
{
	struct statx_timestamp t = { (int64_t)sec, (uint32_t)nsec, 0 };

	return t;
}

long sys_statx(int dirfd, uintptr_t path, int flags, unsigned int mask,
	       uintptr_t buf)
{
	struct statx sx;
	struct stat st;
	int err;

	(void)mask; /* everything basic is always there */
	err = stat_at(dirfd, path, flags, &st);
	if (err < 0)
		return err;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = st.st_size;
	sx.stx_blocks = st.st_blocks;
	sx.stx_atime = stx_time(st.st_atime, st.st_atime_nsec);
	sx.stx_ctime = stx_time(st.st_ctime, st.st_ctime_nsec);
	sx.stx_mtime = stx_time(st.st_mtime, st.st_mtime_nsec);
	sx.stx_rdev_major = (uint32_t)(st.st_rdev >> 8);
	sx.stx_rdev_minor = (uint32_t)(st.st_rdev & 0xff);
	sx.stx_dev_major = (uint32_t)(st.st_dev >> 8);
	sx.stx_dev_minor = (uint32_t)(st.st_dev & 0xff);
	return copy_to_user(buf, &sx, sizeof(sx)) < 0 ? -EFAULT : 0;
}
SYSCALL5(statx);

long sys_faccessat2(int dirfd, uintptr_t path, int mode, int flags)
{
	struct vnode *vn;
	int err;

	if ((mode & ~7) != 0 ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	err = at_node(dirfd, path, flags, &vn);
	if (err < 0)
		return err;
	err = mode == 0 ? 0 : vfs_permission(vn, mode);
	vnode_put(vn);
	return err;
}
SYSCALL4(faccessat2);

long sys_faccessat(int dirfd, uintptr_t path, int mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}
SYSCALL3(faccessat);

long sys_access(uintptr_t path, int mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}
SYSCALL2(access);

static long put_statfs(struct vnode *vn, uintptr_t buf)
{
	struct statfs sf;

	if (vn != NULL && vn->ops != NULL && vn->ops->statfs != NULL) {
		int err = vn->ops->statfs(vn, &sf);

		if (err < 0)
			return err;
		return copy_to_user(buf, &sf, sizeof(sf)) < 0 ? -EFAULT : 0;
	}
	memset(&sf, 0, sizeof(sf));
	sf.f_type = TMPFS_MAGIC;
	sf.f_bsize = PAGE_SIZE;
	sf.f_frsize = PAGE_SIZE;
	sf.f_blocks = page_total();
	sf.f_bfree = page_free_count();
	sf.f_bavail = page_free_count();
	sf.f_files = page_total();
	sf.f_ffree = page_free_count();
	sf.f_namelen = VFS_NAME_MAX;
	return copy_to_user(buf, &sf, sizeof(sf)) < 0 ? -EFAULT : 0;
}

long sys_statfs(uintptr_t path, uintptr_t buf)
{
	struct vnode *vn;
	int err = at_node(AT_FDCWD, path, 0, &vn);
	long r;

	if (err < 0)
		return err;
	r = put_statfs(vn, buf);
	vnode_put(vn);
	return r;
}
SYSCALL2(statfs);

long sys_fstatfs(int fd, uintptr_t buf)
{
	struct file *f = fd_file(fd);

	if (f == NULL)
		return -EBADF;
	return put_statfs(f->vn, buf);
}
SYSCALL2(fstatfs);
