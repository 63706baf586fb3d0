/* overlay.c - the writable root over the read-only root disk: merged directories, whiteouts, nodes made from the lower on lookup. */
#include "fs/overlay.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/overlay_int.h"
#include "fs/vfs.h"
#include "lib/string.h"

/*
 * The upper layer is the memory tree itself. A merged directory is a
 * tmpfs directory (its own entries are the upper's) with hooks and a
 * lower directory (a read-only file system's node, referenced):
 *
 *  - lookup: the directory's own entry; else, unless whited out, the
 *    lower's entry, made into a memory node linked here at its first
 *    lookup (a directory: a merged one over it; a regular file: a node
 *    reading the lower's data until copied up, overlay_file.c; a
 *    symlink or device: a plain copy). Its st_ino is OVL_INO(lower).
 *  - unlink (unlink, rmdir, a rename's source or target): the own
 *    entry goes; a lower name under it is whited out.
 *  - link (create, mkdir, a rename's target): over a whiteout it
 *    removes the whiteout. A directory made there is a plain memory
 *    one, so opaque: what the lower had under that name stays hidden.
 *  - readdir: the lower's names in its order (whited-out ones left out;
 *    one an own entry covers shows that entry's type and number), then
 *    the own entries the lower lacks, in creation order. Made nodes
 *    never move a position; each name is listed once.
 *
 * The lower's names are read once per directory into a table (the
 * lower never changes) that also keeps the whiteouts. A renamed merged
 * directory keeps its lower (Linux's redirect_dir).
 */
#define TABLE_MIN 16

struct ovl_name {
	struct ovl_name *hnext;
	uint64_t ino;	   /* the lower's */
	unsigned int type; /* DT_* */
	bool whiteout;
	char name[];
};

struct ovl_dirdata {
	struct vnode *lower;
	bool loaded;
	struct ovl_name **hash; /* nbuckets chains */
	size_t nbuckets;
	struct ovl_name **order; /* the lower's order, count of them */
	size_t count, cap;
	/* readdir's place: entry rd_idx is order[rd_li] or own rd_cookie */
	bool rd_valid;
	uint64_t rd_idx, rd_cookie;
	size_t rd_li;
};

static uint64_t name_hash(const char *name)
{
	return vfs_name_hash(name, strlen(name));
}

static struct ovl_dirdata *dd_of(const struct vnode *dir)
{
	return dir->priv;
}

static struct ovl_name *table_find(const struct ovl_dirdata *dd,
				   const char *name)
{
	struct ovl_name *n;

	if (dd->nbuckets == 0)
		return NULL;
	n = dd->hash[name_hash(name) & (dd->nbuckets - 1)];
	for (; n != NULL; n = n->hnext)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static void table_free(struct ovl_dirdata *dd)
{
	for (size_t i = 0; i < dd->count; i++)
		kfree(dd->order[i]);
	kfree(dd->order);
	kfree(dd->hash);
	dd->order = NULL;
	dd->hash = NULL;
	dd->count = dd->cap = dd->nbuckets = 0;
}

/* Append one lower name: 0 or -ENOMEM. */
static int table_add(struct ovl_dirdata *dd, const char *name, uint64_t ino,
		     unsigned int type)
{
	size_t len = strlen(name);
	struct ovl_name *n;

	if (dd->count == dd->cap) {
		size_t cap = dd->cap ? dd->cap * 2 : TABLE_MIN;
		struct ovl_name **o = kmalloc(cap * sizeof(*o));

		if (o == NULL)
			return -ENOMEM;
		if (dd->count)
			memcpy(o, dd->order, dd->count * sizeof(*o));
		kfree(dd->order);
		dd->order = o;
		dd->cap = cap;
	}
	n = kzalloc(sizeof(*n) + len + 1);
	if (n == NULL)
		return -ENOMEM;
	memcpy(n->name, name, len + 1);
	n->ino = ino;
	n->type = type;
	dd->order[dd->count++] = n;
	return 0;
}

/* The hash over order[]: as many chains as names (a power of two). */
static int table_index(struct ovl_dirdata *dd)
{
	size_t nb = TABLE_MIN;

	while (nb < dd->count)
		nb *= 2;
	dd->hash = kzalloc(nb * sizeof(*dd->hash));
	if (dd->hash == NULL)
		return -ENOMEM;
	dd->nbuckets = nb;
	for (size_t i = 0; i < dd->count; i++) {
		struct ovl_name **c =
			&dd->hash[name_hash(dd->order[i]->name) & (nb - 1)];

		dd->order[i]->hnext = *c;
		*c = dd->order[i];
	}
	return 0;
}

/*
 * Read the lower's names once: 0 or -ENOMEM (a lower that cannot be
 * read, -EIO, logged by its file system, shows what was read).
 */
static int table_load(struct vnode *dir)
{
	struct ovl_dirdata *dd = dd_of(dir), t = { 0 };
	struct vnode *lower = dd->lower;
	char name[VFS_NAME_MAX + 1];
	unsigned int type;
	uint64_t ino;
	int err = 0;

	if (dd->loaded)
		return 0;
	/* into t: a lookup that sleeps in readdir meanwhile loads its own */
	for (uint64_t i = 0; err == 0; i++) {
		if (lower->ops->readdir(lower, i, name, sizeof(name), &ino,
					&type) != 1)
			break;
		err = table_add(&t, name, ino, type);
	}
	if (err == 0)
		err = table_index(&t);
	if (err < 0 || dd->loaded) {
		table_free(&t);
		return dd->loaded ? 0 : err;
	}
	dd->hash = t.hash;
	dd->nbuckets = t.nbuckets;
	dd->order = t.order;
	dd->count = t.count;
	dd->cap = t.cap;
	dd->loaded = true;
	return 0;
}

/* Undo what linking a made node did to dir (its times, its links). */
static int link_quietly(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct vfs_time m = dir->mtime, c = dir->ctime;
	uint32_t nlink = dir->nlink;
	int err = vfs_dir_link_own(dir, name, vn);

	dir->mtime = m;
	dir->ctime = c;
	dir->nlink = nlink;
	return err;
}

static struct vnode *merged_new(struct vnode *lower)
{
	struct ovl_dirdata *dd = kzalloc(sizeof(*dd));
	struct vnode *vn = dd != NULL ? vnode_new(S_IFDIR) : NULL;

	if (vn == NULL) {
		kfree(dd);
		return NULL;
	}
	dd->lower = lower;
	vn->vflags |= VN_MEMATTR;
	vn->ops = &ovl_dir_vops;
	vn->priv = dd;
	return vn;
}

/* A symlink's copy: its target text. */
static struct vnode *symlink_new(struct vnode *lower)
{
	struct vnode *vn;
	char *t = kmalloc(VFS_PATH_MAX);
	long n = t != NULL ? vfs_readlink(lower, t, VFS_PATH_MAX - 1) : -1;

	if (n < 0 || (vn = vnode_new(S_IFLNK)) == NULL) {
		kfree(t);
		return NULL;
	}
	t[n] = '\0';
	vn->lnk.target = t;
	vn->lnk.len = (size_t)n;
	vnode_put(lower);
	return vn;
}

/* The memory node for lower node lower (the reference passes to it). */
static struct vnode *node_from(struct vnode *lower)
{
	struct vnode *vn;

	if (S_ISDIR(lower->mode))
		vn = merged_new(lower);
	else if (S_ISREG(lower->mode))
		vn = ovl_reg_new(lower);
	else if (S_ISLNK(lower->mode))
		return symlink_new(lower);
	else if ((vn = vnode_new(lower->mode & S_IFMT)) != NULL)
		vn->rdev = lower->rdev;
	if (vn != NULL && !S_ISDIR(lower->mode) && !S_ISREG(lower->mode))
		vnode_put(lower);
	return vn;
}

/* Make the lower's entry n of dir a node linked in dir; referenced. */
static struct vnode *make_node(struct vnode *dir, const struct ovl_name *n)
{
	struct vnode *lower = vfs_dir_lookup(dd_of(dir)->lower, n->name);
	struct vnode *vn, attrs;
	int err;

	if (lower == NULL)
		return NULL;
	attrs = *lower; /* node_from may drop lower */
	vn = node_from(lower);
	if (vn == NULL) {
		vnode_put(lower);
		return NULL;
	}
	vn->ino = OVL_INO(attrs.ino);
	vn->mode = attrs.mode;
	vn->uid = attrs.uid;
	vn->gid = attrs.gid;
	if (S_ISDIR(vn->mode))
		vn->parent = vnode_get(dir);
	err = link_quietly(dir, n->name, vn);
	if (err < 0) { /* -EEXIST: a lookup that slept made it first */
		vnode_put(vn);
		return vfs_dir_lookup_own(dir, n->name);
	}
	/* the lower's own count: 2 + its subdirectories for a directory */
	vn->nlink = S_ISDIR(vn->mode) ? attrs.nlink : 1;
	vn->atime = attrs.atime;
	vn->mtime = attrs.mtime;
	vn->ctime = attrs.ctime;
	return vn;
}

/* Is name shown from the lower (there and not whited out)? */
static const struct ovl_name *lower_name(struct vnode *dir, const char *name)
{
	const struct ovl_name *n;

	if (table_load(dir) < 0)
		return NULL;
	n = table_find(dd_of(dir), name);
	return n != NULL && !n->whiteout ? n : NULL;
}

static struct vnode *ovl_lookup(struct vnode *dir, const char *name)
{
	struct vnode *vn = vfs_dir_lookup_own(dir, name);
	const struct ovl_name *n;

	if (vn != NULL)
		return vn;
	n = lower_name(dir, name);
	return n != NULL ? make_node(dir, n) : NULL;
}

static int ovl_unlink(struct vnode *dir, const char *name)
{
	struct vnode *vn = ovl_lookup(dir, name);
	struct ovl_name *n;
	int err;

	if (vn == NULL)
		return -ENOENT;
	err = vfs_dir_unlink_own(dir, name);
	vnode_put(vn);
	n = table_find(dd_of(dir), name);
	if (err == 0 && n != NULL)
		n->whiteout = true;
	return err;
}

static int ovl_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct vnode *there = ovl_lookup(dir, name);
	struct ovl_name *n;
	int err;

	if (there != NULL) {
		vnode_put(there);
		return -EEXIST;
	}
	if (vn->ops != NULL && vn->ops->link != NULL &&
	    !(vn->vflags & VN_MEMATTR))
		return -EXDEV; /* a volume's node into memory */
	err = vfs_dir_link_own(dir, name, vn);
	n = table_find(dd_of(dir), name);
	if (err == 0 && n != NULL)
		n->whiteout = false; /* the own entry covers the lower's */
	return err;
}

static bool ovl_empty(struct vnode *dir)
{
	struct ovl_dirdata *dd = dd_of(dir);

	if (dir->dir.count > 0 || table_load(dir) < 0)
		return false;
	for (size_t i = 0; i < dd->count; i++)
		if (!dd->order[i]->whiteout)
			return false;
	return true;
}

/*
 * readdir's place, moved to the first entry shown at or after it: a
 * lower name not whited out, else an own entry the lower lacks. NULL
 * *own and false at the end.
 */
static bool rd_settle(struct vnode *dir, struct vfs_dirent **own)
{
	struct ovl_dirdata *dd = dd_of(dir);
	struct vfs_dirent *d;

	*own = NULL;
	while (dd->rd_li < dd->count && dd->order[dd->rd_li]->whiteout)
		dd->rd_li++;
	if (dd->rd_li < dd->count)
		return true;
	for (d = vfs_dir_seek(dir, dd->rd_cookie); d != NULL;
	     d = vfs_dir_next(dir, d)) {
		const struct ovl_name *n = table_find(dd, d->name);

		if (n == NULL || n->whiteout) /* not listed from the lower */
			break;
	}
	if (d == NULL)
		return false;
	dd->rd_cookie = d->cookie;
	*own = d;
	return true;
}

static int ovl_readdir(struct vnode *dir, uint64_t idx, char *name, size_t size,
		       uint64_t *ino, unsigned int *type)
{
	struct ovl_dirdata *dd = dd_of(dir);
	struct vfs_dirent *own;
	const struct ovl_name *n;
	struct vnode *vn;
	int err = table_load(dir);

	if (err < 0)
		return err;
	if (!dd->rd_valid || idx < dd->rd_idx) { /* rewound: start over */
		dd->rd_valid = true;
		dd->rd_idx = 0;
		dd->rd_li = 0;
		dd->rd_cookie = 0;
	}
	for (;;) {
		if (!rd_settle(dir, &own))
			return 0;
		if (dd->rd_idx == idx)
			break;
		if (own != NULL)
			dd->rd_cookie = own->cookie + 1;
		else
			dd->rd_li++;
		dd->rd_idx++;
	}
	if (own != NULL) {
		strlcpy(name, own->name, size);
		*ino = own->vn->ino;
		*type = (own->vn->mode >> 12) & 15;
		return 1;
	}
	n = dd->order[dd->rd_li];
	strlcpy(name, n->name, size);
	*ino = OVL_INO(n->ino);
	*type = n->type;
	vn = vfs_dir_lookup_own(dir, n->name);
	if (vn != NULL) { /* an own entry covers it: its number, its type */
		*ino = vn->ino;
		*type = (vn->mode >> 12) & 15;
		vnode_put(vn);
	}
	return 1;
}

static void ovl_dir_release(struct vnode *dir)
{
	struct ovl_dirdata *dd = dd_of(dir);

	table_free(dd);
	vnode_put(dd->lower);
	kfree(dd);
	dir->priv = NULL;
}

static int ovl_setattr(struct vnode *vn, const struct vfs_attr *a)
{
	(void)vn, (void)a;
	return 0;
}

const struct vnode_ops ovl_dir_vops = {
	.lookup = ovl_lookup,
	.readdir = ovl_readdir,
	.unlink = ovl_unlink,
	.link = ovl_link,
	.empty = ovl_empty,
	.setattr = ovl_setattr,
	.release = ovl_dir_release,
};

bool ovl_dir(const struct vnode *vn)
{
	return vn->ops == &ovl_dir_vops;
}

int ovl_root_init(struct vnode *root, struct vnode *lower,
		  const char *const *hidden, size_t nhidden)
{
	struct ovl_dirdata *dd = kzalloc(sizeof(*dd));
	struct ovl_name *n;
	int err;

	if (dd == NULL) {
		vnode_put(lower);
		return -ENOMEM;
	}
	dd->lower = lower;
	root->vflags |= VN_MEMATTR;
	root->ops = &ovl_dir_vops;
	root->priv = dd;
	err = table_load(root);
	if (err < 0)
		return err; /* root keeps dd: it is never freed */
	for (size_t i = 0; i < nhidden; i++)
		if ((n = table_find(dd, hidden[i])) != NULL)
			n->whiteout = true;
	/* the root's links: its own directories and the lower's shown */
	for (size_t i = 0; i < dd->count; i++) {
		struct vnode *own;

		if (dd->order[i]->whiteout || dd->order[i]->type != 4)
			continue;
		own = vfs_dir_lookup_own(root, dd->order[i]->name);
		if (own == NULL)
			root->nlink++;
		vnode_put(own);
	}
	return 0;
}
