/* sys_xattr.c - getxattr, setxattr, listxattr, removexattr and their l- and f- forms. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/limits.h>
#include <linux/xattr.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * The application's name, value and buffer are untrusted: the name is
 * copied first (1..255 bytes, else ERANGE), a value to set is at most
 * XATTR_SIZE_MAX (E2BIG), a buffer to fill is clamped to it; all before
 * the path is looked up, in the order Linux 6.13+ (fs/xattr.c) checks
 * them. The f- forms look the fd up first. What each name means is
 * fs/xattr.c's business, files without a node (pipe, socket) included.
 */
#define XNAME_BUF (XATTR_NAME_MAX + 1)

/* How the node is named: by path (following the last symlink or not) or fd. */
struct xtarget {
	uintptr_t upath;
	int atflags; /* AT_SYMLINK_NOFOLLOW for the l- forms */
	bool by_fd;
	int fd;
};

static struct xtarget xfd(int fd)
{
	return (struct xtarget){ .by_fd = true, .fd = fd };
}

/* The name at uname into buf: 0, -ERANGE (empty or too long), -EFAULT. */
static int xname_in(uintptr_t uname, char *buf)
{
	long n = strncpy_from_user(buf, uname, XNAME_BUF);

	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? (int)n : 0;
}

/* The fd's file, checked as fdget does (O_PATH files are no files). */
static int xfd_check(const struct xtarget *t)
{
	struct file *f;

	if (!t->by_fd)
		return 0;
	f = fd_file(t->fd);
	return f == NULL || (f->flags & O_PATH) ? -EBADF : 0;
}

/* The node (referenced, or NULL for a pipe or socket): 0 or -ERRNO. */
static int xnode(const struct xtarget *t, struct vnode **out)
{
	struct file *f;

	if (!t->by_fd)
		return at_node(AT_FDCWD, t->upath, t->atflags, out);
	f = fd_file(t->fd);
	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	*out = f->vn != NULL ? vnode_get(f->vn) : NULL;
	return 0;
}

static long xget(struct xtarget t, uintptr_t uname, uintptr_t uvalue,
		 size_t size)
{
	char name[XNAME_BUF];
	struct vnode *vn;
	void *buf = NULL;
	long r = xfd_check(&t);

	if (r == 0)
		r = xname_in(uname, name);
	if (r == 0)
		r = xnode(&t, &vn);
	if (r < 0)
		return r;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	r = -ENOMEM;
	if (size != 0 && (buf = kmalloc(size)) == NULL)
		goto out;
	r = vn != NULL ? vfs_getxattr(vn, name, buf, size) :
			 vfs_xattr_nodeless(name, false);
	if (r > 0 && size != 0 && copy_to_user(uvalue, buf, (size_t)r) < 0)
		r = -EFAULT;
	kfree(buf);
out:
	vnode_put(vn);
	return r;
}

long sys_getxattr(uintptr_t path, uintptr_t name, uintptr_t value, size_t size)
{
	return xget((struct xtarget){ path, 0, false, 0 }, name, value, size);
}
SYSCALL4(getxattr);

long sys_lgetxattr(uintptr_t path, uintptr_t name, uintptr_t value, size_t size)
{
	return xget((struct xtarget){ path, AT_SYMLINK_NOFOLLOW, false, 0 },
		    name, value, size);
}
SYSCALL4(lgetxattr);

long sys_fgetxattr(int fd, uintptr_t name, uintptr_t value, size_t size)
{
	return xget(xfd(fd), name, value, size);
}
SYSCALL4(fgetxattr);

/* setxattr_copy, then the node: flags, name, size, value, lookup. */
static long xset(struct xtarget t, uintptr_t uname, uintptr_t uvalue,
		 size_t size, int flags)
{
	char name[XNAME_BUF];
	struct vnode *vn = NULL;
	void *buf = NULL;
	long r = xfd_check(&t);

	if (r == 0 && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		r = -EINVAL;
	if (r == 0)
		r = xname_in(uname, name);
	if (r == 0 && size > XATTR_SIZE_MAX)
		r = -E2BIG;
	if (r < 0)
		return r;
	if (size != 0 && (buf = kmalloc(size)) == NULL)
		return -ENOMEM;
	r = -EFAULT;
	if (size != 0 && copy_from_user(buf, uvalue, size) < 0)
		goto out;
	r = xnode(&t, &vn);
	if (r < 0)
		goto out;
	/* An empty value is a value (Linux passes ""), never a removal. */
	r = vn != NULL ? vfs_setxattr(vn, name, size ? buf : "", size, flags) :
			 vfs_xattr_nodeless(name, true);
	vnode_put(vn);
out:
	kfree(buf);
	return r;
}

long sys_setxattr(uintptr_t path, uintptr_t name, uintptr_t value, size_t size,
		  int flags)
{
	return xset((struct xtarget){ path, 0, false, 0 }, name, value, size,
		    flags);
}
SYSCALL5(setxattr);

long sys_lsetxattr(uintptr_t path, uintptr_t name, uintptr_t value, size_t size,
		   int flags)
{
	return xset((struct xtarget){ path, AT_SYMLINK_NOFOLLOW, false, 0 },
		    name, value, size, flags);
}
SYSCALL5(lsetxattr);

long sys_fsetxattr(int fd, uintptr_t name, uintptr_t value, size_t size,
		   int flags)
{
	return xset(xfd(fd), name, value, size, flags);
}
SYSCALL5(fsetxattr);

static long xlist(struct xtarget t, uintptr_t ulist, size_t size)
{
	struct vnode *vn;
	char *buf = NULL;
	long r = xnode(&t, &vn);

	if (r < 0)
		return r;
	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	r = -ENOMEM;
	if (size != 0 && (buf = kmalloc(size)) == NULL)
		goto out;
	r = vn != NULL ? vfs_listxattr(vn, buf, size) : 0;
	if (r > 0 && size != 0 && copy_to_user(ulist, buf, (size_t)r) < 0)
		r = -EFAULT;
	kfree(buf);
out:
	vnode_put(vn);
	return r;
}

long sys_listxattr(uintptr_t path, uintptr_t list, size_t size)
{
	return xlist((struct xtarget){ path, 0, false, 0 }, list, size);
}
SYSCALL3(listxattr);

long sys_llistxattr(uintptr_t path, uintptr_t list, size_t size)
{
	return xlist((struct xtarget){ path, AT_SYMLINK_NOFOLLOW, false, 0 },
		     list, size);
}
SYSCALL3(llistxattr);

long sys_flistxattr(int fd, uintptr_t list, size_t size)
{
	return xlist(xfd(fd), list, size);
}
SYSCALL3(flistxattr);

static long xremove(struct xtarget t, uintptr_t uname)
{
	char name[XNAME_BUF];
	struct vnode *vn;
	long r = xfd_check(&t);

	if (r == 0)
		r = xname_in(uname, name);
	if (r == 0)
		r = xnode(&t, &vn);
	if (r < 0)
		return r;
	r = vn != NULL ? vfs_removexattr(vn, name) :
			 vfs_xattr_nodeless(name, true);
	vnode_put(vn);
	return r;
}

long sys_removexattr(uintptr_t path, uintptr_t name)
{
	return xremove((struct xtarget){ path, 0, false, 0 }, name);
}
SYSCALL2(removexattr);

long sys_lremovexattr(uintptr_t path, uintptr_t name)
{
	return xremove((struct xtarget){ path, AT_SYMLINK_NOFOLLOW, false, 0 },
		       name);
}
SYSCALL2(lremovexattr);

long sys_fremovexattr(int fd, uintptr_t name)
{
	return xremove(xfd(fd), name);
}
SYSCALL2(fremovexattr);
