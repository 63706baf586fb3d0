/* sys_dir.c - getdents64, getdents, mkdir, mkdirat, rmdir, chdir, fchdir, getcwd. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/notify.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/* The record getdents64 writes (linux/dirent.h is not UAPI). */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent64, d_name) == 19,
	       "linux_dirent64 layout");

/*
 * The old getdents record (fs/readdir.c): d_type is the last byte of the
 * record, after the name's NUL and any padding.
 */
struct linux_dirent {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent, d_name) == 18,
	       "linux_dirent layout");

#define DIRENT_CHUNK (64 * 1024U)

struct dirent_out {
	char *buf;
	size_t size, len;
	bool old; /* getdents: struct linux_dirent */
};

static bool emit_old(struct dirent_out *o, uint64_t ino, uint64_t next,
		     unsigned int type, const char *name)
{
	size_t nlen = strlen(name);
	size_t reclen = (18 + nlen + 2 + 7) & ~(size_t)7;
	struct linux_dirent *d;

	if (o->len + reclen > o->size)
		return false;
	d = (struct linux_dirent *)(o->buf + o->len);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)next;
	d->d_reclen = (uint16_t)reclen;
	memcpy(d->d_name, name, nlen + 1);
	o->buf[o->len + reclen - 1] = (char)type;
	o->len += reclen;
	return true;
}

/* Append one record; false when it does not fit. */
static bool emit(struct dirent_out *o, uint64_t ino, uint64_t next,
		 unsigned int type, const char *name)
{
	size_t nlen = strlen(name);
	size_t reclen = (19 + nlen + 1 + 7) & ~(size_t)7;
	struct linux_dirent64 *d;

	if (o->old)
		return emit_old(o, ino, next, type, name);
	if (o->len + reclen > o->size)
		return false;
	d = (struct linux_dirent64 *)(o->buf + o->len);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)type;
	memcpy(d->d_name, name, nlen + 1);
	o->len += reclen;
	return true;
}

#define DT_OF(mode) (((mode) >> 12) & 15)

/*
 * Positions: 0 is ".", 1 is "..", then entry cookies (they only grow, so
 * removing entries while reading never skips one) or, for synthetic
 * directories, 2 + the index their readdir hook takes.
 */
static bool fill_dirents(struct vnode *dir, uint64_t *pos, struct dirent_out *o)
{
	struct vfs_dirent *d;
	char name[VFS_NAME_MAX + 1];
	unsigned int type;
	uint64_t ino;

	vfs_dir_populate(dir);
	if (*pos == 0 && emit(o, dir->ino, 1, 4, "."))
		*pos = 1;
	if (*pos == 1 &&
	    emit(o, dir->parent ? dir->parent->ino : dir->ino, 2, 4, ".."))
		*pos = 2;
	if (*pos < 2)
		return true;
	if (dir->ops != NULL && dir->ops->readdir != NULL) {
		while (dir->ops->readdir(dir, *pos - 2, name, sizeof(name),
					 &ino, &type) == 1) {
			if (!emit(o, ino, *pos + 1, type, name))
				return true;
			(*pos)++;
		}
		return false;
	}
	for (d = vfs_dir_seek(dir, *pos); d != NULL; d = vfs_dir_next(dir, d)) {
		if (!emit(o, d->vn->ino, d->cookie + 1, DT_OF(d->vn->mode),
			  d->name))
			return true;
		*pos = d->cookie + 1;
	}
	return false;
}

static long getdents_common(int fd, uintptr_t ubuf, unsigned int count,
			    bool old)
{
	struct file *f = fd_file(fd);
	struct dirent_out o = { .old = old };
	long r;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (f->vn == NULL || !S_ISDIR(f->vn->mode))
		return -ENOTDIR;
	o.size = count < DIRENT_CHUNK ? count : DIRENT_CHUNK;
	o.buf = kmalloc(o.size > 0 ? o.size : 1);
	if (o.buf == NULL)
		return -ENOMEM;
	r = (long)o.len;
	if (fill_dirents(f->vn, &f->pos, &o) && o.len == 0)
		r = -EINVAL; /* the next entry does not fit at all */
	else
		r = (long)o.len;
	fsnotify_node(f->vn, IN_ACCESS); /* iterate_dir's, every call */
	if (r > 0 && copy_to_user(ubuf, o.buf, o.len) < 0)
		r = -EFAULT;
	kfree(o.buf);
	return r;
}

long sys_getdents64(int fd, uintptr_t ubuf, unsigned int count)
{
	return getdents_common(fd, ubuf, count, false);
}
SYSCALL3(getdents64);

long sys_getdents(int fd, uintptr_t ubuf, unsigned int count)
{
	return getdents_common(fd, ubuf, count, true);
}
SYSCALL3(getdents);

long sys_mkdirat(int dirfd, uintptr_t upath, uint32_t mode)
{
	struct lookup lk;
	int err = at_lookup_user(dirfd, upath, LOOKUP_NOFOLLOW, &lk);

	if (err < 0)
		return err;
	if (lk.node != NULL)
		err = -EEXIST;
	else
		err = vfs_permission(lk.dir, 3);
	if (err == 0)
		err = vfs_create(lk.dir, lk.name,
				 S_IFDIR | (mode & 01777 & ~current->umask),
				 NULL);
	if (err == 0)
		fsnotify_dir(lk.dir, IN_CREATE | IN_ISDIR, 0, lk.name, NULL);
	lookup_done(&lk);
	return err;
}
SYSCALL3(mkdirat);

long sys_mkdir(uintptr_t path, uint32_t mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}
SYSCALL2(mkdir);

/* Checks of rmdir on what lk names (Linux's order of errors). */
static int rmdir_check(const struct lookup *lk)
{
	if (lk->node == NULL)
		return -ENOENT;
	if (strcmp(lk->name, ".") == 0)
		return lk->node == vfs_root() ? -EBUSY : -EINVAL;
	if (strcmp(lk->name, "..") == 0)
		return -ENOTEMPTY;
	if (vfs_writable(lk->dir) < 0)
		return -EROFS; /* Linux's mnt_want_write comes next */
	if (!S_ISDIR(lk->node->mode))
		return -ENOTDIR;
	/* /proc's own directories, a mount point; a volume's are its own. */
	if (lk->node->ops != NULL && lk->node->ops->empty == NULL &&
	    (lk->dir->ops == NULL || lk->dir->ops->unlink == NULL))
		return -EBUSY;
	/* memory directories, and those that know their merged entries */
	if ((lk->node->ops == NULL || lk->node->ops->empty != NULL) &&
	    !vfs_dir_empty(lk->node))
		return -ENOTEMPTY;
	return vfs_permission(lk->dir, 3);
}

long dir_remove_at(int dirfd, uintptr_t upath)
{
	struct lookup lk;
	int err = at_lookup_user(dirfd, upath, LOOKUP_NOFOLLOW, &lk);

	if (err < 0)
		return err;
	err = rmdir_check(&lk);
	if (err == 0)
		err = vfs_dir_unlink(lk.dir, lk.name);
	if (err == 0)
		notify_removed(&lk);
	else
		lookup_done(&lk);
	return err;
}

long sys_rmdir(uintptr_t path)
{
	return dir_remove_at(AT_FDCWD, path);
}
SYSCALL1(rmdir);

long sys_chdir(uintptr_t upath)
{
	char *path;
	int err = upath_get(upath, &path);

	if (err < 0)
		return err;
	err = path[0] == '\0' ? -ENOENT : fs_set_cwd(current, path);
	upath_put(path);
	return err;
}
SYSCALL1(chdir);

long sys_fchdir(int fd)
{
	struct file *f = fd_file(fd);
	int err;

	if (f == NULL)
		return -EBADF;
	if (f->vn == NULL || !S_ISDIR(f->vn->mode))
		return -ENOTDIR;
	err = vfs_permission(f->vn, 1);
	if (err < 0)
		return err;
	vnode_put(current->cwd);
	current->cwd = vnode_get(f->vn);
	return 0;
}
SYSCALL1(fchdir);

long sys_getcwd(uintptr_t ubuf, size_t size)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	long n;

	if (buf == NULL)
		return -ENOMEM;
	n = vfs_dir_path(current->cwd, buf, VFS_PATH_MAX);
	if (n >= 0 && (size_t)n + 1 > size)
		n = -ERANGE;
	if (n >= 0 && copy_to_user(ubuf, buf, (size_t)n + 1) < 0)
		n = -EFAULT;
	kfree(buf);
	return n < 0 ? n : n + 1;
}
SYSCALL2(getcwd);
