/* sys_open.c - open, openat, creat, close, close_range. */
#include <asm-generic/errno.h>
#include <linux/close_range.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/notify.h"
#include "lib/format.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

#define OPEN_VALID                                                      \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
	 O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE |       \
	 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | __O_SYNC |  \
	 O_PATH | __O_TMPFILE)

/* Create the regular file lk names (it does not exist yet). */
static int create_file(struct lookup *lk, uint32_t mode)
{
	struct vnode *vn;
	int err;

	if (lk->trailing_slash)
		return -EISDIR;
	err = vfs_permission(lk->dir, 3);
	if (err < 0)
		return err;
	err = vfs_create(lk->dir, lk->name,
			 S_IFREG | (mode & 07777 & ~current->umask), &vn);
	if (err < 0)
		return err;
	lk->node = vn;
	fsnotify_dir(lk->dir, IN_CREATE, 0, lk->name, vn);
	return 0;
}

/* Find or create the node for open; *created says it is new. */
static int open_lookup(int dirfd, const char *path, uint32_t flags,
		       uint32_t mode, struct lookup *lk, bool *created)
{
	unsigned int lf = LOOKUP_SHORT; /* path came from upath_get */
	int err;

	if ((flags & O_NOFOLLOW) ||
	    (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		lf |= LOOKUP_NOFOLLOW;
	if (flags & O_DIRECTORY)
		lf |= LOOKUP_DIRECTORY;
	err = at_lookup(dirfd, path, lf, lk);
	if (err < 0)
		return err;
	*created = false;
	if (lk->node == NULL) {
		err = (flags & O_CREAT) ? create_file(lk, mode) : -ENOENT;
		*created = err == 0;
	} else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		err = -EEXIST;
	} else if (S_ISLNK(lk->node->mode) && !(flags & O_PATH)) {
		err = -ELOOP;
	} else if (S_ISDIR(lk->node->mode) && (flags & O_CREAT)) {
		err = -EISDIR;
	}
	if (err < 0)
		lookup_done(lk);
	return err;
}

/* O_TMPFILE: an unnamed regular file in the directory path names. */
static int open_tmpfile(int dirfd, const char *path, uint32_t flags,
			uint32_t mode, struct file **out)
{
	struct lookup lk;
	struct vnode *vn;
	int err;

	if ((flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	err = at_lookup(dirfd, path, LOOKUP_DIRECTORY, &lk);
	if (err == 0 && lk.node == NULL)
		err = -ENOENT;
	if (err < 0)
		return err;
	vn = vnode_new(S_IFREG | (mode & 07777 & ~current->umask));
	err = vn == NULL ? -ENOMEM : 0;
	if (err == 0)
		err = vfs_open_node(vn, flags & ~(uint32_t)O_TMPFILE, NULL,
				    out);
	vnode_put(vn); /* nlink 0: freed with the last file */
	lookup_done(&lk);
	return err;
}

static int open_path(int dirfd, const char *path, uint32_t flags, uint32_t mode,
		     struct file **out)
{
	struct lookup lk;
	bool created;
	char *abs;
	int err;

	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return open_tmpfile(dirfd, path, flags, mode, out);
	err = open_lookup(dirfd, path, flags, mode, &lk, &created);
	if (err < 0)
		return err;
	abs = vfs_pathbuf_get();
	if (abs != NULL && lookup_path(&lk, abs, VFS_PATH_MAX) < 0) {
		vfs_pathbuf_put(abs);
		abs = NULL; /* the node may be unreachable: no name then */
	}
	/* The creator may use the new file whatever its mode says. */
	err = vfs_open_node(lk.node, created ? flags | VFS_OPEN_NOPERM : flags,
			    abs, out);
	vfs_pathbuf_put(abs);
	/* Linux truncates even for O_RDONLY, given write permission. */
	if (err == 0 && !created && (flags & O_TRUNC) && !(flags & O_PATH) &&
	    S_ISREG(lk.node->mode)) {
		err = vfs_permission(lk.node, 2);
		if (err == 0)
			err = tmpfs_truncate(lk.node, 0);
		if (err == 0) {
			mm_file_truncated_all(vfs_mapped_node(lk.node), 0);
			vfs_touch(lk.node, VFS_T_M | VFS_T_C);
			/* after IN_OPEN, as Linux 6.8+ (do_dentry_open) */
			fsnotify_node(lk.node, IN_MODIFY);
		}
		if (err < 0)
			file_put(*out);
	}
	lookup_done(&lk);
	return err;
}

long sys_openat(int dirfd, uintptr_t upath, int flags, uint32_t mode)
{
	struct file *f;
	char *path;
	int err, fd;

	if ((uint32_t)flags & ~(uint32_t)OPEN_VALID)
		flags &= OPEN_VALID; /* Linux ignores unknown open flags */
	err = upath_get(upath, &path);
	if (err < 0)
		return err;
	err = open_path(dirfd, path, (uint32_t)flags, mode, &f);
	upath_put(path);
	if (err < 0)
		return err;
	fd = fd_install(current, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL4(openat);

long sys_open(uintptr_t path, int flags, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}
SYSCALL3(open);

long sys_creat(uintptr_t path, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
SYSCALL2(creat);

long sys_close(int fd)
{
	return fd_close(current, fd);
}
SYSCALL1(close);

long sys_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
	int fd, limit = fd_limit(current);

	if (first > last ||
	    (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0)
		return -EINVAL;
	for (fd = (int)(first < (unsigned)limit ? first : (unsigned)limit);
	     fd < limit && (unsigned int)fd <= last; fd++) {
		if (fd_get(current, fd) == NULL)
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec(current, fd, true);
		else
			fd_close(current, fd);
	}
	return 0;
}
SYSCALL3(close_range);
