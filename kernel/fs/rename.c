/* rename.c - moving and exchanging directory entries (rename(2) semantics). */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/fs.h>
#include <linux/stat.h>

#include "lib/string.h"

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* True when dir is node or lies below it (a move would make a loop). */
static bool inside(struct vnode *dir, struct vnode *node)
{
	struct vnode *vn = dir;

	for (;;) {
		if (vn == node)
			return true;
		if (vn == vfs_root() || vn->parent == NULL || vn->parent == vn)
			return false;
		vn = vn->parent;
	}
}

/* The type checks between source and an existing target (rename(2)). */
static int check_target(struct vnode *src, struct vnode *dst, bool exchange)
{
	if (exchange)
		return 0;
	if (S_ISDIR(src->mode)) {
		if (!S_ISDIR(dst->mode))
			return -ENOTDIR;
		if (!vfs_dir_empty(dst))
			return -ENOTEMPTY;
	} else if (S_ISDIR(dst->mode)) {
		return -EISDIR;
	}
	return 0;
}

static int check_rename(struct lookup *from, struct lookup *to,
			unsigned int flags)
{
	bool exchange = flags & RENAME_EXCHANGE;
	int err;

	if (from->node == NULL)
		return -ENOENT;
	if (is_dot(from->name))
		return -EBUSY;
	if (is_dot(to->name))
		return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	if (to->node != NULL && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (to->node == NULL && exchange)
		return -ENOENT;
	if (to->node == from->node)
		return 1; /* the same file: POSIX says do nothing */
	if (!S_ISDIR(from->node->mode) && to->trailing_slash)
		return -ENOTDIR;
	if (S_ISDIR(from->node->mode) && inside(to->dir, from->node))
		return -EINVAL;
	if (exchange && S_ISDIR(to->node->mode) && inside(from->dir, to->node))
		return -EINVAL;
	err = vfs_permission(from->dir, 3);
	if (err == 0)
		err = vfs_permission(to->dir, 3);
	if (err == 0 && to->node != NULL)
		err = check_target(from->node, to->node, exchange);
	return err;
}

/* Swap what two entries name; both stay linked throughout. */
static int exchange(struct lookup *from, struct lookup *to)
{
	struct vnode *a = vnode_get(from->node), *b = vnode_get(to->node);
	int err;

	err = vfs_dir_unlink(from->dir, from->name);
	if (err == 0)
		err = vfs_dir_unlink(to->dir, to->name);
	if (err == 0)
		err = vfs_dir_link(from->dir, from->name, b);
	if (err == 0)
		err = vfs_dir_link(to->dir, to->name, a);
	vnode_put(a);
	vnode_put(b);
	return err;
}

/*
 * A file system with its own directories does the rename; the checks
 * it cannot make (a name that exists for NOREPLACE) are made here.
 */
static int rename_foreign(struct lookup *from, struct lookup *to,
			  unsigned int flags)
{
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	if (from->node == NULL)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && to->node != NULL)
		return -EEXIST;
	if (from->node == to->node)
		return 0;
	return from->dir->ops->rename(from->dir, from->name, to->dir, to->name);
}

int vfs_rename(struct lookup *from, struct lookup *to, unsigned int flags)
{
	struct vnode *src;
	int err;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (from->dir->ops != NULL && from->dir->ops->rename != NULL)
		return rename_foreign(from, to, flags);
	if (to->dir->ops != NULL && to->dir->ops->rename != NULL)
		return -EXDEV;
	err = check_rename(from, to, flags);
	if (err != 0)
		return err < 0 ? err : 0;
	if (flags & RENAME_EXCHANGE)
		return exchange(from, to);
	src = vnode_get(from->node);
	if (to->node != NULL)
		err = vfs_dir_unlink(to->dir, to->name);
	if (err == 0)
		err = vfs_dir_unlink(from->dir, from->name);
	if (err == 0) {
		err = vfs_dir_link(to->dir, to->name, src);
		if (err < 0) /* out of memory: put it back where it was */
			vfs_dir_link(from->dir, from->name, src);
	}
	vnode_put(src);
	return err;
}
