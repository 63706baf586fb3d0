/* path.c - path resolution: components, ".", "..", symlinks, trailing slashes. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "lib/string.h"

#define X_OK_BIT 1
/* Freed path buffers kept for reuse (two pages each). */
#define PATHBUF_KEEP 4

static char *pathbuf_free[PATHBUF_KEEP];
static size_t pathbuf_nfree;

static int walk(struct lookup *lk, struct vnode *start, const char *path,
		bool follow_last);

/*
 * Copy the component at p into name (VFS_NAME_MAX + 1 bytes); its length
 * or -ENAMETOOLONG. Copied as it is scanned: a scan and then a memcpy
 * cost twice the guest instructions of short names.
 */
static long component(const char *p, char *name)
{
	size_t n = 0;
	char c;

	while ((c = p[n]) != '\0' && c != '/') {
		if (n == VFS_NAME_MAX) {
			name[n] = '\0'; /* nobody reads it, but a string */
			return -ENAMETOOLONG;
		}
		name[n++] = c;
	}
	name[n] = '\0';
	return (long)n;
}

/*
 * Follow the symlink vn found in dir: the walk continues from dir with the
 * link's text, replacing lk's result (depth bounded by VFS_SYMLOOP_MAX).
 */
static int follow(struct lookup *lk, struct vnode *dir, struct vnode *vn)
{
	char *target;
	long len;
	int err;

	if (++lk->links > VFS_SYMLOOP_MAX)
		return -ELOOP;
	if (vn->ops != NULL && vn->ops->follow != NULL) {
		struct vnode *to = vn->ops->follow(vn, &err);

		if (to == NULL)
			return err;
		lk->dir = vnode_get(dir);
		lk->node = to;
		return 0;
	}
	target = vfs_pathbuf_get();
	if (target == NULL)
		return -ENOMEM;
	len = vfs_readlink(vn, target, VFS_PATH_MAX - 1);
	if (len < 0) {
		vfs_pathbuf_put(target);
		return (int)len;
	}
	target[len] = '\0';
	err = len == 0 ? -ENOENT : walk(lk, dir, target, true);
	vfs_pathbuf_put(target);
	return err;
}

/* The last component: name it in lk, follow it when asked. */
static int walk_last(struct lookup *lk, struct vnode *cur, size_t len,
		     bool follow_last)
{
	struct vnode *child = vfs_dir_lookup_len(cur, lk->name, len);
	bool trailing = lk->trailing_slash;
	int err;

	if (child != NULL && S_ISLNK(child->mode) &&
	    (follow_last || trailing)) {
		err = follow(lk, cur, child);
		vnode_put(child);
		vnode_put(cur);
		lk->trailing_slash = trailing;
		if (err < 0)
			return err;
		child = lk->node;
	} else {
		lk->dir = cur;
		lk->node = child;
	}
	if (child != NULL && trailing && !S_ISDIR(child->mode) &&
	    !S_ISLNK(child->mode)) {
		lookup_done(lk);
		return -ENOTDIR;
	}
	return 0;
}

/*
 * Step from directory *cur into its child called name (not the last).
 * A symlink is followed with lk itself as scratch space: its dir/node are
 * unused until the last component.
 */
static int walk_step(struct lookup *lk, struct vnode **cur, const char *name,
		     size_t len)
{
	struct vnode *child = vfs_dir_lookup_len(*cur, name, len);
	int err;

	if (child == NULL)
		return -ENOENT;
	if (S_ISLNK(child->mode)) {
		err = follow(lk, *cur, child);
		vnode_put(child);
		if (err < 0)
			return err;
		child = lk->node;
		vnode_put(lk->dir);
		lk->dir = NULL;
		lk->node = NULL;
		if (child == NULL)
			return -ENOENT;
	}
	vnode_put(*cur);
	*cur = child;
	return 0;
}

static int walk(struct lookup *lk, struct vnode *start, const char *path,
		bool follow_last)
{
	struct vnode *cur;
	const char *p = path;
	long n;
	int err;

	if (*p == '\0')
		return -ENOENT;
	cur = vnode_get(*p == '/' ? vfs_root() : start);
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') { /* "/" or "a//": the node itself */
			lk->dir = cur;
			lk->node = vnode_get(cur);
			memcpy(lk->name, ".", 2);
			return 0;
		}
		if (!S_ISDIR(cur->mode)) {
			err = -ENOTDIR;
			break;
		}
		/*
		 * Searchable by everybody (0755, 01777): vfs_permission could
		 * only say yes, and its call showed in the counts of a stat.
		 */
		if ((cur->mode & 0111) != 0111 &&
		    (err = vfs_permission(cur, X_OK_BIT)) < 0)
			break;
		n = component(p, lk->name);
		if (n < 0) {
			err = (int)n;
			break;
		}
		p += n;
		lk->trailing_slash = *p == '/';
		while (*p == '/')
			p++;
		if (*p == '\0')
			return walk_last(lk, cur, (size_t)n, follow_last);
		err = walk_step(lk, &cur, lk->name, (size_t)n);
		if (err < 0)
			break;
	}
	vnode_put(cur);
	return err;
}

int vfs_lookup(struct vnode *start, const char *path, unsigned int flags,
	       struct lookup *lk)
{
	int err;

	lk->dir = NULL;
	lk->node = NULL;
	lk->name[0] = '\0';
	lk->trailing_slash = false;
	lk->links = 0;
	if (!(flags & LOOKUP_SHORT) &&
	    strnlen(path, VFS_PATH_MAX) >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	err = walk(lk, start, path, !(flags & LOOKUP_NOFOLLOW));
	if (err < 0)
		return err;
	if ((flags & LOOKUP_DIRECTORY) && lk->node != NULL &&
	    !S_ISDIR(lk->node->mode)) {
		lookup_done(lk);
		return -ENOTDIR;
	}
	return 0;
}

void lookup_done(struct lookup *lk)
{
	vnode_put(lk->node);
	vnode_put(lk->dir);
	lk->node = NULL;
	lk->dir = NULL;
}

int vfs_resolve(struct vnode *start, const char *path, unsigned int flags,
		struct vnode **out)
{
	struct lookup lk;
	int err = vfs_lookup(start, path, flags, &lk);

	if (err < 0)
		return err;
	if (lk.node == NULL) {
		lookup_done(&lk);
		return -ENOENT;
	}
	*out = vnode_get(lk.node);
	lookup_done(&lk);
	return 0;
}

long lookup_path(const struct lookup *lk, char *buf, size_t size)
{
	long n;
	size_t len;

	if (lk->node != NULL && S_ISDIR(lk->node->mode))
		return vfs_dir_path(lk->node, buf, size);
	n = vfs_dir_path(lk->dir, buf, size);
	if (n < 0)
		return n;
	len = strlen(lk->name);
	if ((size_t)n + 1 + len + 1 > size)
		return -ENAMETOOLONG;
	if (n > 1)
		buf[n++] = '/';
	memcpy(buf + n, lk->name, len + 1);
	return n + (long)len;
}

/* Walk up the parents, writing names from the end of buf backwards. */
long vfs_dir_path(struct vnode *dir, char *buf, size_t size)
{
	struct vnode *vn = dir;
	size_t end = size;
	struct vfs_dirent *d;

	if (size < 2)
		return -ENAMETOOLONG;
	buf[--end] = '\0';
	while (vn != vfs_root()) {
		struct vnode *up = vn->parent;
		const char *name;
		size_t len;

		if (vn->nlink == 0 || up == NULL)
			return -ENOENT; /* removed: Linux's "(unreachable)" */
		for (d = vfs_dir_seek(up, 0); d != NULL && d->vn != vn;
		     d = vfs_dir_next(up, d))
			;
		/* A node a lookup hook made (ext4) knows its own name. */
		name = d != NULL ? d->name : vn->ndir == up ? vn->nname : NULL;
		if (name == NULL)
			return -ENOENT;
		len = strlen(name);
		if (len + 1 > end)
			return -ENAMETOOLONG;
		end -= len;
		memcpy(buf + end, name, len);
		buf[--end] = '/';
		vn = up;
	}
	if (end == size - 1)
		buf[--end] = '/';
	memmove(buf, buf + end, size - end);
	return (long)(size - end - 1);
}

char *vfs_pathbuf_get(void)
{
	if (pathbuf_nfree > 0)
		return pathbuf_free[--pathbuf_nfree];
	return kmalloc(VFS_PATH_MAX);
}

void vfs_pathbuf_put(char *buf)
{
	if (buf != NULL && pathbuf_nfree < PATHBUF_KEEP)
		pathbuf_free[pathbuf_nfree++] = buf;
	else
		kfree(buf);
}
