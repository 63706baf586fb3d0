/* xattr.c - extended attributes of nodes, as Linux 6.6+ tmpfs keeps them. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>
#include <linux/inotify.h>
#include <linux/xattr.h>

#include "core/cred.h"
#include "core/heap.h"
#include "fs/notify.h"
#include "lib/string.h"

/*
 * Every node of Kiln's tree answers as a node of Linux >= 6.6 tmpfs
 * (mm/shmem.c, fs/xattr.c) without POSIX ACLs: "user.", "trusted." and
 * "security." names are kept, in name order (a simple_xattrs tree);
 * "system." and anything else is EOPNOTSUPP. /proc's generated nodes
 * keep none, as procfs. The space all values and names may take is
 * bounded as tmpfs bounds it (its free_ispace): ENOSPC past the budget.
 */
#define XATTR_SPACE_MAX (16UL << 20)

struct vfs_xattr {
	struct vfs_xattr *next; /* sorted by name */
	size_t size;
	char *value;
	char name[];
};

static size_t xattr_space_used;

enum xattr_ns { NS_NONE, NS_USER, NS_TRUSTED, NS_SECURITY };

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* xattr_resolve_name: the namespace, -EINVAL for a bare "user.". */
static int xattr_ns(const char *name)
{
	static const struct {
		const char *prefix;
		int ns;
	} spaces[] = { { XATTR_USER_PREFIX, NS_USER },
		       { XATTR_TRUSTED_PREFIX, NS_TRUSTED },
		       { XATTR_SECURITY_PREFIX, NS_SECURITY } };

	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		if (!has_prefix(name, spaces[i].prefix))
			continue;
		return name[strlen(spaces[i].prefix)] ? spaces[i].ns : -EINVAL;
	}
	return NS_NONE;
}

/* Nodes of /proc (generated, with hooks) and pipes keep no attributes. */
static bool xattr_supported(const struct vnode *vn)
{
	return vn != NULL && (vn->ops == NULL || (vn->vflags & VN_MEMATTR) ||
			      S_ISCHR(vn->mode) || S_ISBLK(vn->mode));
}

static bool is_root(void)
{
	return current_cred()->euid == 0;
}

/* xattr_permission: 0, or the error a read or write gets here. */
static int xattr_permission(struct vnode *vn, const char *name, bool write)
{
	if (has_prefix(name, XATTR_SECURITY_PREFIX) ||
	    has_prefix(name, XATTR_SYSTEM_PREFIX))
		return 0;
	if (has_prefix(name, XATTR_TRUSTED_PREFIX)) {
		if (!is_root())
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, XATTR_USER_PREFIX)) {
		if (!S_ISREG(vn->mode) && !S_ISDIR(vn->mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(vn->mode) && (vn->mode & S_ISVTX) && write &&
		    !is_root() && current_cred()->euid != vn->uid)
			return -EPERM;
	}
	return vfs_permission(vn, write ? 2 : 4);
}

/* The permission check, then the namespace: 0 or -ERRNO. */
static int xattr_check(struct vnode *vn, const char *name, bool write)
{
	int err = xattr_permission(vn, name, write);
	int ns;

	if (err)
		return err;
	if (!xattr_supported(vn))
		return -EOPNOTSUPP;
	ns = xattr_ns(name);
	if (ns < 0)
		return ns;
	return ns == NS_NONE ? -EOPNOTSUPP : 0;
}

static struct vfs_xattr **xattr_slot(struct vnode *vn, const char *name)
{
	struct vfs_xattr **pp = &vn->xattrs;

	while (*pp != NULL && strcmp((*pp)->name, name) < 0)
		pp = &(*pp)->next;
	return pp;
}

static void xattr_free_one(struct vfs_xattr *x)
{
	xattr_space_used -= sizeof(*x) + strlen(x->name) + 1 + x->size;
	kfree(x->value);
	kfree(x);
}

int vfs_xattr_nodeless(const char *name, bool write)
{
	if (has_prefix(name, XATTR_USER_PREFIX))
		return write ? -EPERM : -ENODATA;
	if (has_prefix(name, XATTR_TRUSTED_PREFIX) && !is_root())
		return write ? -EPERM : -ENODATA;
	return -EOPNOTSUPP;
}

long vfs_getxattr(struct vnode *vn, const char *name, void *buf, size_t size)
{
	struct vfs_xattr *x;
	int err = xattr_check(vn, name, false);

	if (err)
		return err;
	x = *xattr_slot(vn, name);
	if (x == NULL || strcmp(x->name, name) != 0)
		return -ENODATA;
	if (size == 0)
		return (long)x->size;
	if (size < x->size)
		return -ERANGE;
	memcpy(buf, x->value, x->size);
	return (long)x->size;
}

/* A new attribute name = value, within the space budget; NULL: ENOSPC/ENOMEM. */
static struct vfs_xattr *xattr_new(const char *name, const void *value,
				   size_t size, int *err)
{
	size_t len = strlen(name) + 1,
	       space = sizeof(struct vfs_xattr) + len + size;
	struct vfs_xattr *x;

	*err = -ENOSPC;
	if (space > XATTR_SPACE_MAX - xattr_space_used)
		return NULL;
	*err = -ENOMEM;
	x = kzalloc(sizeof(*x) + len);
	if (x == NULL)
		return NULL;
	x->value = kmalloc(size ? size : 1);
	if (x->value == NULL) {
		kfree(x);
		return NULL;
	}
	memcpy(x->name, name, len);
	memcpy(x->value, value, size);
	x->size = size;
	xattr_space_used += space;
	return x;
}

int vfs_setxattr(struct vnode *vn, const char *name, const void *value,
		 size_t size, int flags)
{
	struct vfs_xattr **pp, *old, *x = NULL;
	int err = xattr_check(vn, name, true);

	if (err == 0)
		err = vfs_writable(vn);
	if (err)
		return err;
	pp = xattr_slot(vn, name);
	old = *pp != NULL && strcmp((*pp)->name, name) == 0 ? *pp : NULL;
	if (old != NULL && (flags & XATTR_CREATE))
		return -EEXIST;
	if (old == NULL && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (value != NULL) {
		x = xattr_new(name, value, size, &err);
		if (x == NULL)
			return err;
		x->next = old != NULL ? old->next : *pp;
		*pp = x;
	} else if (old != NULL) {
		*pp = old->next;
	}
	if (old != NULL)
		xattr_free_one(old);
	vfs_touch(vn, VFS_T_C);
	fsnotify_node(vn, IN_ATTRIB); /* fsnotify_xattr */
	return 0;
}

int vfs_removexattr(struct vnode *vn, const char *name)
{
	return vfs_setxattr(vn, name, NULL, 0, XATTR_REPLACE);
}

long vfs_listxattr(struct vnode *vn, char *buf, size_t size)
{
	size_t used = 0, len;

	if (!xattr_supported(vn))
		return 0;
	for (struct vfs_xattr *x = vn->xattrs; x != NULL; x = x->next) {
		if (has_prefix(x->name, XATTR_TRUSTED_PREFIX) && !is_root())
			continue; /* simple_xattr_list hides them */
		len = strlen(x->name) + 1;
		if (size != 0) {
			if (size - used < len)
				return -ERANGE;
			memcpy(buf + used, x->name, len);
		}
		used += len;
	}
	return (long)used;
}

void vfs_xattr_free(struct vnode *vn)
{
	while (vn->xattrs != NULL) {
		struct vfs_xattr *x = vn->xattrs;

		vn->xattrs = x->next;
		xattr_free_one(x);
	}
}
