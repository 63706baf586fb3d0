/* sys_path.c - unlink, rename, link, symlink, readlink, mknod and their *at forms. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/notify.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/* Sticky directories: only the owner of the entry or the dir may remove it. */
static int may_delete(struct vnode *dir, struct vnode *vn)
{
	uint32_t uid = current->cred.euid;
	int err = vfs_permission(dir, 3);

	if (err == 0 && (dir->mode & S_ISVTX) && uid != 0 && uid != vn->uid &&
	    uid != dir->uid)
		err = -EPERM;
	return err;
}

/*
 * After an unlink or rmdir (lk is done here): a file's link count
 * changed (IN_ATTRIB, its own watchers), the node goes if nothing holds
 * it (IN_DELETE_SELF), then the directory's IN_DELETE, in Linux's
 * order (vfs_unlink, d_delete_notify).
 */
void notify_removed(struct lookup *lk)
{
	struct vnode *dir = vnode_get(lk->dir);
	uint32_t mask = IN_DELETE;

	if (S_ISDIR(lk->node->mode))
		mask |= IN_ISDIR;
	else
		fsnotify_inode(lk->node, IN_ATTRIB);
	lookup_done(lk);
	fsnotify_dir(dir, mask, 0, lk->name, NULL);
	vnode_put(dir);
}

/* fsnotify_move for each node that moved; the replaced one's link count. */
static void notify_rename(struct lookup *from, struct lookup *to, bool exchange)
{
	uint32_t cookie = fsnotify_cookie();

	fsnotify_dir(from->dir, IN_MOVED_FROM, cookie, from->name, from->node);
	fsnotify_dir(to->dir, IN_MOVED_TO, cookie, to->name, from->node);
	if (to->node != NULL && !exchange)
		fsnotify_inode(to->node, IN_ATTRIB);
	fsnotify_inode(from->node, IN_MOVE_SELF);
	if (exchange) {
		cookie = fsnotify_cookie();
		fsnotify_dir(to->dir, IN_MOVED_FROM, cookie, to->name,
			     to->node);
		fsnotify_dir(from->dir, IN_MOVED_TO, cookie, from->name,
			     to->node);
		fsnotify_inode(to->node, IN_MOVE_SELF);
	}
}

static long unlink_file(int dirfd, uintptr_t upath)
{
	struct lookup lk;
	int err = at_lookup_user(dirfd, upath, LOOKUP_NOFOLLOW, &lk);

	if (err < 0)
		return err;
	if (lk.node == NULL)
		err = -ENOENT;
	else if (S_ISDIR(lk.node->mode))
		err = -EISDIR;
	else
		err = may_delete(lk.dir, lk.node);
	if (err == 0)
		err = vfs_dir_unlink(lk.dir, lk.name);
	if (err == 0)
		notify_removed(&lk);
	else
		lookup_done(&lk);
	return err;
}

long sys_unlinkat(int dirfd, uintptr_t path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	if (flags & AT_REMOVEDIR)
		return dir_remove_at(dirfd, path);
	return unlink_file(dirfd, path);
}
SYSCALL3(unlinkat);

long sys_unlink(uintptr_t path)
{
	return unlink_file(AT_FDCWD, path);
}
SYSCALL1(unlink);

long sys_renameat2(int olddirfd, uintptr_t oldpath, int newdirfd,
		   uintptr_t newpath, unsigned int flags)
{
	struct lookup from, to;
	int err = at_lookup_user(olddirfd, oldpath, LOOKUP_NOFOLLOW, &from);
	bool same;

	if (err < 0)
		return err;
	err = at_lookup_user(newdirfd, newpath, LOOKUP_NOFOLLOW, &to);
	if (err < 0) {
		lookup_done(&from);
		return err;
	}
	same = from.node != NULL && from.node == to.node;
	err = vfs_rename(&from, &to, flags);
	if (err == 0 && !same)
		notify_rename(&from, &to, flags & RENAME_EXCHANGE);
	lookup_done(&to);
	lookup_done(&from);
	return err;
}
SYSCALL5(renameat2);

long sys_renameat(int olddirfd, uintptr_t oldpath, int newdirfd,
		  uintptr_t newpath)
{
	return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}
SYSCALL4(renameat);

long sys_rename(uintptr_t oldpath, uintptr_t newpath)
{
	return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}
SYSCALL2(rename);

long sys_linkat(int olddirfd, uintptr_t oldpath, int newdirfd,
		uintptr_t newpath, int flags)
{
	struct vnode *vn;
	struct lookup to;
	int err;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = at_node(
		olddirfd, oldpath,
		(flags & AT_EMPTY_PATH) |
			((flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW),
		&vn);
	if (err < 0)
		return err;
	err = at_lookup_user(newdirfd, newpath, LOOKUP_NOFOLLOW, &to);
	if (err == 0) {
		if (S_ISDIR(vn->mode))
			err = -EPERM;
		else if (to.node != NULL)
			err = -EEXIST;
		else if (to.trailing_slash)
			err = -ENOENT;
		else if (vn->nlink == 0)
			err = -ENOENT; /* removed files stay removed */
		else
			err = vfs_permission(to.dir, 3);
		if (err == 0)
			err = vfs_dir_link(to.dir, to.name, vn);
		if (err == 0) {
			vfs_touch(vn, VFS_T_C);
			fsnotify_inode(vn, IN_ATTRIB); /* its link count */
			fsnotify_dir(to.dir, IN_CREATE, 0, to.name, vn);
		}
		lookup_done(&to);
	}
	vnode_put(vn);
	return err;
}
SYSCALL5(linkat);

long sys_link(uintptr_t oldpath, uintptr_t newpath)
{
	return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}
SYSCALL2(link);

long sys_symlinkat(uintptr_t utarget, int dirfd, uintptr_t newpath)
{
	struct lookup lk;
	char *target;
	int err = upath_get(utarget, &target);

	if (err < 0)
		return err;
	err = target[0] == '\0' ?
		      -ENOENT :
		      at_lookup_user(dirfd, newpath, LOOKUP_NOFOLLOW, &lk);
	if (err == 0) {
		if (lk.node != NULL)
			err = -EEXIST;
		else
			err = vfs_permission(lk.dir, 3);
		if (err == 0)
			err = vfs_symlink(lk.dir, lk.name, target);
		if (err == 0)
			fsnotify_dir(lk.dir, IN_CREATE, 0, lk.name, NULL);
		lookup_done(&lk);
	}
	upath_put(target);
	return err;
}
SYSCALL3(symlinkat);

long sys_symlink(uintptr_t target, uintptr_t newpath)
{
	return sys_symlinkat(target, AT_FDCWD, newpath);
}
SYSCALL2(symlink);

long sys_readlinkat(int dirfd, uintptr_t path, uintptr_t ubuf, int size)
{
	struct vnode *vn;
	char *buf;
	long n;
	int err;

	if (size <= 0)
		return -EINVAL;
	err = at_node(dirfd, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &vn);
	if (err < 0)
		return err;
	buf = kmalloc(VFS_PATH_MAX);
	n = buf == NULL ? -ENOMEM : vfs_readlink(vn, buf, VFS_PATH_MAX);
	if (n > size)
		n = size;
	if (n > 0 && copy_to_user(ubuf, buf, (size_t)n) < 0)
		n = -EFAULT;
	kfree(buf);
	vnode_put(vn);
	return n;
}
SYSCALL4(readlinkat);

long sys_readlink(uintptr_t path, uintptr_t buf, int size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}
SYSCALL3(readlink);

/* Regular files, device and socket nodes; FIFOs wait for pipes (EPERM). */
long sys_mknodat(int dirfd, uintptr_t upath, uint32_t mode, unsigned int dev)
{
	uint32_t type = mode & S_IFMT;
	struct lookup lk;
	struct vnode *vn;
	int err;

	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR || type == S_IFIFO)
		return -EPERM;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK &&
	    type != S_IFSOCK)
		return -EINVAL;
	err = at_lookup_user(dirfd, upath, LOOKUP_NOFOLLOW, &lk);
	if (err < 0)
		return err;
	err = lk.node != NULL ? -EEXIST : vfs_permission(lk.dir, 3);
	if (err == 0)
		err = vfs_create(lk.dir, lk.name,
				 type | (mode & 07777 & ~current->umask), &vn);
	if (err == 0) {
		vn->rdev = dev;
		fsnotify_dir(lk.dir, IN_CREATE, 0, lk.name, vn);
		vnode_put(vn);
	}
	lookup_done(&lk);
	return err;
}
SYSCALL4(mknodat);

long sys_mknod(uintptr_t path, uint32_t mode, unsigned int dev)
{
	return sys_mknodat(AT_FDCWD, path, mode, dev);
}
SYSCALL3(mknod);
