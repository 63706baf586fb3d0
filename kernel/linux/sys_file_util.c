/* sys_file_util.c - user paths and dirfd-relative lookup for the file syscalls. */
#include "linux/sys_file.h"

#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "linux/proc.h"

int upath_get(uintptr_t upath, char **out)
{
	char *buf = vfs_pathbuf_get();
	long n;

	if (buf == NULL)
		return -ENOMEM;
	n = strncpy_from_user(buf, upath, VFS_PATH_MAX);
	if (n < 0) {
		vfs_pathbuf_put(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

void upath_put(char *path)
{
	vfs_pathbuf_put(path);
}

struct file *fd_file(int fd)
{
	return fd_get(current, fd);
}

int at_start(int dirfd, struct vnode **out)
{
	struct file *f;

	if (dirfd == AT_FDCWD) {
		*out = vnode_get(current->cwd != NULL ? current->cwd :
							vfs_root());
		return 0;
	}
	f = fd_file(dirfd);
	if (f == NULL)
		return -EBADF;
	if (f->vn == NULL || !S_ISDIR(f->vn->mode))
		return -ENOTDIR;
	*out = vnode_get(f->vn);
	return 0;
}

/* Where a non-empty path starts: the root, or dirfd (AT_FDCWD: the cwd). */
static int path_start(int dirfd, const char *path, struct vnode **start)
{
	if (path[0] == '\0')
		return -ENOENT;
	if (path[0] == '/') {
		*start = vnode_get(vfs_root());
		return 0;
	}
	return at_start(dirfd, start);
}

int at_lookup(int dirfd, const char *path, unsigned int flags,
	      struct lookup *lk)
{
	struct vnode *start;
	int err = path_start(dirfd, path, &start);

	if (err < 0)
		return err;
	err = vfs_lookup(start, path, flags, lk);
	vnode_put(start);
	return err;
}

int at_lookup_user(int dirfd, uintptr_t upath, unsigned int flags,
		   struct lookup *lk)
{
	char *path;
	int err = upath_get(upath, &path);

	if (err < 0)
		return err;
	err = at_lookup(dirfd, path, flags | LOOKUP_SHORT, lk);
	upath_put(path);
	return err;
}

/* AT_EMPTY_PATH with "": the node of dirfd itself (any type) or the cwd. */
static int empty_path_node(int dirfd, struct vnode **out)
{
	struct file *f;

	if (dirfd == AT_FDCWD)
		return at_start(dirfd, out);
	f = fd_file(dirfd);
	if (f == NULL)
		return -EBADF;
	if (f->vn == NULL)
		return -EBADF; /* pipes and sockets: callers use the file */
	*out = vnode_get(f->vn);
	return 0;
}

int at_node(int dirfd, uintptr_t upath, int atflags, struct vnode **out)
{
	unsigned int lf = LOOKUP_SHORT; /* upath_get bounds the length */
	struct vnode *start;
	char *path = NULL;
	int err = upath_get(upath, &path);

	if (atflags & AT_SYMLINK_NOFOLLOW)
		lf |= LOOKUP_NOFOLLOW;
	if (err < 0)
		return err;
	if (path[0] == '\0' && (atflags & AT_EMPTY_PATH)) {
		err = empty_path_node(dirfd, out);
	} else if ((err = path_start(dirfd, path, &start)) == 0) {
		err = vfs_resolve(start, path, lf, out);
		vnode_put(start);
	}
	upath_put(path);
	return err;
}
