/* sys_attr.c - chmod, chown, utimensat and friends, truncate, fallocate, fsync, umask. */
#include <asm-generic/errno.h>
#include <linux/falloc.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>
#include <linux/time_types.h>
#include <linux/utime.h>

#include "core/uaccess.h"
#include "fs/notify.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/* Not in the UAPI headers (include/linux/stat.h of the kernel). */
#define UTIME_NOW ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)

static bool owner_or_root(struct vnode *vn)
{
	return current->cred.euid == 0 || current->cred.euid == vn->uid;
}

/*
 * A file system on a disk writes what chmod, chown, utimensat changed:
 * the fields mask names (VFS_A_*), with the values just set in vn,
 * taken before the file system's lock can sleep (while it waits, a
 * writer may sync vn from the inode again).
 */
static int attr_write(struct vnode *vn, unsigned int mask)
{
	struct vfs_attr a = { mask,	 vn->mode,  vn->uid,  vn->gid,
			      vn->atime, vn->mtime, vn->ctime };

	if (vn->ops != NULL && vn->ops->setattr != NULL)
		return vn->ops->setattr(vn, &a);
	return 0;
}

static int do_chmod(struct vnode *vn, uint32_t mode)
{
	int err;

	if (vfs_writable(vn) < 0)
		return -EROFS;
	if (!owner_or_root(vn))
		return -EPERM;
	/* A memfd sealed with F_SEAL_EXEC keeps its x bits (shmem_setattr). */
	if (S_ISREG(vn->mode) && (vn->reg.seals & VFS_SEAL_EXEC) &&
	    ((vn->mode ^ mode) & 0111))
		return -EPERM;
	vn->mode = (vn->mode & S_IFMT) | (mode & 07777);
	vfs_touch(vn, VFS_T_C);
	err = attr_write(vn, VFS_A_MODE | VFS_A_CTIME);
	if (err < 0)
		return err;
	fsnotify_node(vn, IN_ATTRIB);
	return 0;
}

long sys_fchmodat(int dirfd, uintptr_t path, uint32_t mode)
{
	struct vnode *vn;
	int err = at_node(dirfd, path, 0, &vn);

	if (err < 0)
		return err;
	err = do_chmod(vn, mode);
	vnode_put(vn);
	return err;
}
SYSCALL3(fchmodat);

long sys_chmod(uintptr_t path, uint32_t mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}
SYSCALL2(chmod);

long sys_fchmod(int fd, uint32_t mode)
{
	struct file *f = fd_file(fd);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (f->vn == NULL)
		return 0; /* pipes: Linux changes an invisible inode */
	return do_chmod(f->vn, mode);
}
SYSCALL2(fchmod);

/* Only root changes owners (we do not model CAP_CHOWN for others). */
static int do_chown(struct vnode *vn, uint32_t uid, uint32_t gid)
{
	unsigned int kill;
	int err;

	if (vfs_writable(vn) < 0)
		return -EROFS;
	if (current->cred.euid != 0 &&
	    (uid != (uint32_t)-1 ||
	     (gid != (uint32_t)-1 &&
	      (vn->uid != current->cred.euid || gid != current->cred.egid))))
		return -EPERM;
	/*
	 * chown drops set-id bits, as Linux's chown_common: S_ISUID always,
	 * S_ISGID with S_IXGRP, or for a caller outside the file's group
	 * unless root (setattr_should_drop_sgid, with the group before the
	 * change). The file system applies it to the mode it has (vn's may
	 * be a stale copy: another name's node), so no mode is sent.
	 */
	kill = VFS_A_KILL_SUID | VFS_A_KILL_SGID;
	if (current->cred.euid != 0 && !cred_in_group(&current->cred, vn->gid))
		kill |= VFS_A_KILL_SGID_ANY;
	if (uid != (uint32_t)-1)
		vn->uid = uid;
	if (gid != (uint32_t)-1)
		vn->gid = gid;
	vn->mode = vfs_attr_kill(vn->mode, kill);
	vfs_touch(vn, VFS_T_C);
	err = attr_write(vn, kill | VFS_A_CTIME |
				     (uid != (uint32_t)-1 ? VFS_A_UID : 0) |
				     (gid != (uint32_t)-1 ? VFS_A_GID : 0));
	if (err < 0)
		return err;
	if (uid != (uint32_t)-1 || gid != (uint32_t)-1)
		fsnotify_node(vn, IN_ATTRIB);
	return 0;
}

long sys_fchownat(int dirfd, uintptr_t path, uint32_t uid, uint32_t gid,
		  int flags)
{
	struct vnode *vn;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = at_node(dirfd, path, flags, &vn);
	if (err < 0)
		return err;
	err = do_chown(vn, uid, gid);
	vnode_put(vn);
	return err;
}
SYSCALL5(fchownat);

long sys_chown(uintptr_t path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}
SYSCALL3(chown);

long sys_lchown(uintptr_t path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}
SYSCALL3(lchown);

long sys_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct file *f = fd_file(fd);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	return f->vn == NULL ? 0 : do_chown(f->vn, uid, gid);
}
SYSCALL3(fchown);

/* fsnotify_change: both times IN_ATTRIB, atime alone IN_ACCESS, mtime IN_MODIFY. */
static uint32_t times_event(const struct __kernel_timespec *ts)
{
	if (ts != NULL && ts[1].tv_nsec == UTIME_OMIT)
		return IN_ACCESS;
	if (ts != NULL && ts[0].tv_nsec == UTIME_OMIT)
		return IN_MODIFY;
	return IN_ATTRIB;
}

/* Apply times[2] (atime, mtime; NULL: now) to vn. */
static int set_times(struct vnode *vn, const struct __kernel_timespec *ts)
{
	struct vfs_time now = vfs_now();
	int i;

	for (i = 0; ts != NULL && i < 2; i++)
		if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
		    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
			return -EINVAL;
	if (ts != NULL && ts[0].tv_nsec == UTIME_OMIT &&
	    ts[1].tv_nsec == UTIME_OMIT)
		return 0;
	if (vfs_writable(vn) < 0)
		return -EROFS;
	if (!owner_or_root(vn) && (ts == NULL || ts[0].tv_nsec != UTIME_NOW ||
				   ts[1].tv_nsec != UTIME_NOW))
		return ts == NULL ? vfs_permission(vn, 2) : -EPERM;
	for (i = 0; i < 2; i++) {
		struct vfs_time t = now,
				*dst = i == 0 ? &vn->atime : &vn->mtime;

		if (ts != NULL && ts[i].tv_nsec == UTIME_OMIT)
			continue;
		if (ts != NULL && ts[i].tv_nsec != UTIME_NOW) {
			t.sec = ts[i].tv_sec;
			t.nsec = ts[i].tv_nsec;
		}
		*dst = t;
	}
	vn->ctime = now;
	i = attr_write(vn, VFS_A_CTIME |
				   (ts == NULL || ts[0].tv_nsec != UTIME_OMIT ?
					    VFS_A_ATIME :
					    0) |
				   (ts == NULL || ts[1].tv_nsec != UTIME_OMIT ?
					    VFS_A_MTIME :
					    0));
	if (i < 0)
		return i;
	fsnotify_node(vn, times_event(ts));
	return 0;
}

/* The node utimensat works on: path, or dirfd itself when path is NULL. */
static int times_node(int dirfd, uintptr_t path, int flags, struct vnode **out)
{
	struct file *f;

	if (path != 0)
		return at_node(dirfd, path, flags, out);
	f = fd_file(dirfd);
	if (f == NULL)
		return -EBADF;
	if (f->vn == NULL)
		return -EBADF;
	*out = vnode_get(f->vn);
	return 0;
}

static long utimes_at(int dirfd, uintptr_t path,
		      const struct __kernel_timespec *ts, int flags)
{
	struct vnode *vn;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = times_node(dirfd, path, flags, &vn);
	if (err < 0)
		return err;
	err = set_times(vn, ts);
	vnode_put(vn);
	return err;
}

long sys_utimensat(int dirfd, uintptr_t path, uintptr_t utimes, int flags)
{
	struct __kernel_timespec ts[2];

	if (utimes != 0 && copy_from_user(ts, utimes, sizeof(ts)) < 0)
		return -EFAULT;
	return utimes_at(dirfd, path, utimes != 0 ? ts : NULL, flags);
}
SYSCALL4(utimensat);

long sys_futimesat(int dirfd, uintptr_t path, uintptr_t utimes)
{
	struct __kernel_old_timeval tv[2];
	struct __kernel_timespec ts[2];
	int i;

	if (utimes == 0)
		return utimes_at(dirfd, path, NULL, 0);
	if (copy_from_user(tv, utimes, sizeof(tv)) < 0)
		return -EFAULT;
	for (i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return utimes_at(dirfd, path, ts, 0);
}
SYSCALL3(futimesat);

long sys_utimes(uintptr_t path, uintptr_t utimes)
{
	return sys_futimesat(AT_FDCWD, path, utimes);
}
SYSCALL2(utimes);

long sys_utime(uintptr_t path, uintptr_t ubuf)
{
	struct utimbuf b;
	struct __kernel_timespec ts[2];

	if (ubuf == 0)
		return utimes_at(AT_FDCWD, path, NULL, 0);
	if (copy_from_user(&b, ubuf, sizeof(b)) < 0)
		return -EFAULT;
	ts[0].tv_sec = b.actime;
	ts[1].tv_sec = b.modtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimes_at(AT_FDCWD, path, ts, 0);
}
SYSCALL2(utime);

long sys_umask(uint32_t mask)
{
	uint32_t old = current->umask;

	current->umask = mask & 0777;
	return old;
}
SYSCALL1(umask);
