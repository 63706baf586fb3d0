/* ext4_vfs.c - ext4 in the VFS: mounts from the boot command line, one in-memory inode per number, nodes made by lookup, reads, statfs, /proc/mounts. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/clock.h"
#include "fs/bcache.h"
#include "fs/blkdev.h"
#include "fs/ext4_vfs.h"
#include "fs/ext4_write.h"
#include "fs/mount.h"
#include "fs/notify.h"
#include "fs/overlay.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"

/*
 * The VFS keeps one in-memory tree; an ext4 mount is a directory of it
 * whose hooks answer from the disk. Every node under it is made by a
 * lookup (VN_TRANSIENT, freed at its last put) and points at the one
 * in-memory inode of its number (struct ext4_ino), shared by every
 * node and so every open file of it: a write through one is seen by
 * all, and the last put of an inode whose links are gone evicts it.
 */
#define EXT4_MAX_MOUNTS 8
#define EXT4_MAGIC 0xEF53
#define ST_RDONLY 0x1
#define ST_RELATIME 0x400
#define ST_VALID 0x20

static size_t nmounts;

static const struct vnode_ops ext4_reg_vops, ext4_lnk_vops, ext4_other_vops;

struct ext4_node *node_of(const struct vnode *vn)
{
	return vn->priv;
}

void ext4_now(int64_t *sec, uint32_t *ns)
{
	uint64_t t = clock_realtime_ns();

	*sec = (int64_t)(t / 1000000000U);
	*ns = (uint32_t)(t % 1000000000U);
}

static void ino_hash_add(struct ext4_mount *m, struct ext4_ino *ie)
{
	struct ext4_ino **head = &m->inodes[ie->in.ino % EXT4_INO_HASH];

	ie->next = *head;
	if (ie->next != NULL)
		ie->next->pprev = &ie->next;
	ie->pprev = head;
	*head = ie;
}

/* Take ie (refs 0) off its chain and free it. */
static void ino_free(struct ext4_ino *ie)
{
	*ie->pprev = ie->next;
	if (ie->next != NULL)
		ie->next->pprev = ie->pprev;
	kfree(ie->dirty);
	kfree(ie);
}

static struct ext4_ino *ino_find(struct ext4_mount *m, uint32_t ino)
{
	struct ext4_ino *ie = m->inodes[ino % EXT4_INO_HASH];

	while (ie != NULL && ie->in.ino != ino)
		ie = ie->next;
	return ie;
}

struct ext4_ino *ext4_ino_get(struct ext4_mount *m, uint32_t ino, int *err)
{
	struct ext4_ino *ie = ino_find(m, ino);

	if (ie != NULL && ie->evicting) {
		/*
		 * Its last put is freeing it (and may sleep doing so): a
		 * name still leading here is a hostile image's second name
		 * of a one-link inode. Handed out, it would be freed while
		 * the caller still used it.
		 */
		*err = -EIO;
		return NULL;
	}
	if (ie != NULL) {
		ie->refs++;
		return ie;
	}
	ie = kzalloc(sizeof(*ie));
	if (ie == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = ext4_iget(m->fs, ino, &ie->in);
	if (*err == 0 && ((ie->in.mode & S_IFMT) == 0 || ie->in.nlink == 0))
		*err = -EIO; /* a freed inode still named */
	if (*err < 0) {
		kfree(ie);
		return NULL;
	}
	ie->refs = 1;
	ino_hash_add(m, ie);
	return ie;
}

/* ext4_fs.held: the in-memory inode of ino, if some node holds it. */
static struct ext4_inode *ino_held(void *arg, uint32_t ino)
{
	struct ext4_mount *m = arg;

	struct ext4_ino *ie = ino_find(m, ino);

	return ie != NULL ? &ie->in : NULL;
}

void ext4_lock(struct ext4_mount *m)
{
	struct waiter w;

	if (m->owner == current_thread) {
		m->depth++;
		return;
	}
	wait_add(&m->waiters, &w);
	while (m->owner != NULL)
		sched_sleep(0, false);
	wait_remove(&w);
	m->owner = current_thread;
	m->depth = 1;
}

void ext4_unlock(struct ext4_mount *m)
{
	if (--m->depth > 0)
		return;
	m->owner = NULL;
	wake_up(&m->waiters);
}

void ext4_ino_put(struct ext4_mount *m, struct ext4_ino *ie)
{
	int64_t sec;
	uint32_t ns;

	if (--ie->refs > 0)
		return;
	/*
	 * Still on its chain while ext4_lock and ext4_evict sleep: marked,
	 * so that ext4_ino_get fails rather than hands it out again.
	 */
	ie->evicting = true;
	if (ie->in.nlink == 0 && !m->fs->ro) {
		ext4_lock(m);
		ext4_now(&sec, &ns);
		if (ext4_evict(m->fs, &ie->in, sec) < 0)
			printk("kiln: ext4 %s: inode %u: not freed (left "
			       "on the orphan list)\n",
			       m->fs->name, ie->in.ino);
		/*
		 * Off its chain before the lock goes: its number is free
		 * now, and a create taking it must not find it held.
		 */
		ino_free(ie);
		ext4_unlock(m);
		return;
	}
	ino_free(ie);
}

static struct vfs_time vtime(int64_t sec, uint32_t ns)
{
	struct vfs_time t = { sec, ns };

	return t;
}

/* Linux's new_decode_dev of i_block[1], or old_decode_dev of i_block[0]. */
static uint32_t inode_rdev(const struct ext4_inode *in)
{
	uint32_t old = ext4_le32(in->block), dev = ext4_le32(in->block + 4);
	uint32_t major, minor;

	if (old != 0) {
		major = (old >> 8) & 0xff;
		minor = old & 0xff;
	} else {
		major = (dev & 0xfff00) >> 8;
		minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	}
	return (minor & 0xff) | (major & 0xfff) << 8 | (minor & ~0xffU) << 12;
}

void ext4_node_sync(struct vnode *vn)
{
	const struct ext4_inode *in = &node_of(vn)->ie->in;

	vn->mode = in->mode;
	vn->uid = in->uid;
	vn->gid = in->gid;
	vn->nlink = in->nlink;
	vn->atime = vtime(in->atime, in->atime_ns);
	vn->mtime = vtime(in->mtime, in->mtime_ns);
	vn->ctime = vtime(in->ctime, in->ctime_ns);
	if (S_ISREG(in->mode))
		vn->reg.size = in->size;
	else if (S_ISLNK(in->mode))
		vn->lnk.len = in->size;
	ext4_cache_sync(node_of(vn)->ie);
}

/* Fill vn's fields and hooks from node's inode. */
static void node_attach(struct vnode *vn, struct ext4_node *node)
{
	const struct ext4_inode *in = &node->ie->in;

	vn->ino = in->ino;
	vn->mode = in->mode;
	vn->uid = in->uid;
	vn->gid = in->gid;
	vn->nlink = in->nlink;
	vn->atime = vtime(in->atime, in->atime_ns);
	vn->mtime = vtime(in->mtime, in->mtime_ns);
	vn->ctime = vtime(in->ctime, in->ctime_ns);
	if (node->m->fs->ro)
		vn->vflags |= VN_RDONLY;
	vn->priv = node;
	if (S_ISDIR(in->mode)) {
		vn->ops = &ext4_dir_vops;
	} else if (S_ISREG(in->mode)) {
		vn->ops = &ext4_reg_vops;
		vn->reg.size = in->size; /* lseek's SEEK_END reads it */
	} else if (S_ISLNK(in->mode)) {
		vn->ops = &ext4_lnk_vops;
		vn->lnk.len = in->size;
	} else {
		vn->ops = &ext4_other_vops;
		if (S_ISCHR(in->mode) || S_ISBLK(in->mode))
			vn->rdev = inode_rdev(in);
	}
}

struct vnode *ext4_vnode(struct vnode *dir, const char *name, uint32_t ino)
{
	struct ext4_mount *m = node_of(dir)->m;
	struct ext4_node *node = kzalloc(sizeof(*node));
	struct vnode *vn = NULL;
	int err = -ENOMEM;

	if (node == NULL)
		return NULL;
	node->m = m;
	node->ie = ext4_ino_get(m, ino, &err);
	if (node->ie == NULL || (vn = vnode_new(node->ie->in.mode)) == NULL) {
		if (err == -EIO)
			printk("kiln: ext4 %s: inode %u: bad metadata\n",
			       m->fs->name, ino);
		if (node->ie != NULL)
			ext4_ino_put(m, node->ie);
		kfree(node);
		return NULL;
	}
	vn->vflags = VN_TRANSIENT;
	node_attach(vn, node);
	if (S_ISDIR(vn->mode))
		vn->parent = vnode_get(dir);
	fsnotify_linked(dir, name, vn); /* getcwd finds its name there */
	return vn;
}

/* Through the name cache (ext4_ncache.c), else the directory's blocks. */
static struct vnode *ext4_lookup(struct vnode *dir, const char *name)
{
	struct ext4_mount *m = node_of(dir)->m;
	const struct ext4_inode *in = &node_of(dir)->ie->in;
	uint64_t stamp = m->fs->dir_changes;
	bool idle = m->owner == NULL;
	uint32_t ino;
	int err;

	if (ext4_ncache_find(m, in->ino, name, &ino))
		return ino != 0 ? ext4_vnode(dir, name, ino) : NULL;
	err = ext4_dir_lookup(m->fs, in, name, &ino);
	if (err == -EIO)
		printk("kiln: ext4 %s: directory inode %u: bad entries\n",
		       m->fs->name, in->ino);
	/* A change under way when the lookup began may be half seen. */
	if (idle && (err == 0 || err == -ENOENT))
		ext4_ncache_add(m, in->ino, name, err == 0 ? ino : 0, stamp);
	return err == 0 ? ext4_vnode(dir, name, ino) : NULL;
}

/* Entry idx (from 0, "." and ".." left out: the caller adds them). */
static int ext4_readdir(struct vnode *dir, uint64_t idx, char *name,
			size_t size, uint64_t *ino, unsigned int *type)
{
	struct ext4_node *d = node_of(dir);
	char buf[EXT4_NAME_LEN + 1];
	uint32_t n;
	int r;

	if (idx < d->rd_idx) { /* rewound: start over */
		d->rd_idx = 0;
		d->rd_pos = 0;
	}
	for (;;) {
		uint64_t at = d->rd_pos;

		r = ext4_dir_next_cur(d->m->fs, &d->ie->in, &d->rd_cur,
				      &d->rd_pos, buf, &n, type);
		if (r < 0)
			printk("kiln: ext4 %s: directory inode %u: bad "
			       "entries\n",
			       d->m->fs->name, d->ie->in.ino);
		if (r <= 0)
			return r < 0 ? r : 0;
		if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
			continue;
		if (d->rd_idx++ == idx) {
			/* Seen again on the next call for the same idx. */
			d->rd_idx--;
			d->rd_pos = at;
			strlcpy(name, buf, size);
			*ino = n;
			return 1;
		}
	}
}

static long ext4_vn_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct ext4_node *node = node_of(vn);

	return ext4_readlink(node->m->fs, &node->ie->in, buf, size);
}

static long ext4_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct ext4_node *node = node_of(f->vn);
	long r = ext4_file_read(node->m->fs, &node->ie->in, *pos, buf, n);

	if (r > 0) {
		/* stores through shared maps not yet written back */
		ext4_cache_read_dirty(node->ie, *pos, buf, (size_t)r);
		*pos += (uint64_t)r;
	}
	return r;
}

static const struct file_ops ext4_file_ops = {
	.read = ext4_read,
	.write = ext4_vfs_write,
	.fsync = ext4_vfs_fsync,
	.seekable = true,
};

static int ext4_open(struct vnode *vn, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY && node_of(vn)->m->fs->ro)
		return -EROFS;
	f->ops = &ext4_file_ops;
	return 0;
}

/* What another node of the same inode changed shows here too. */
static void ext4_stat(struct vnode *vn, struct stat *st)
{
	struct ext4_node *node = node_of(vn);
	const struct ext4_inode *in = &node->ie->in;

	ext4_node_sync(vn);
	st->st_dev = node->m->dev;
	st->st_blksize = node->m->fs->block_size;
	st->st_blocks = in->blocks512;
	st->st_mode = in->mode;
	st->st_nlink = in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_size = (long)in->size;
	st->st_atime = in->atime;
	st->st_atime_nsec = in->atime_ns;
	st->st_mtime = in->mtime;
	st->st_mtime_nsec = in->mtime_ns;
	st->st_ctime = in->ctime;
	st->st_ctime_nsec = in->ctime_ns;
}

/* Linux's ext4_statfs: overhead left out, the reserve kept from bavail. */
static int ext4_statfs(struct vnode *vn, struct statfs *sf)
{
	const struct ext4_fs *fs = node_of(vn)->m->fs;
	uint64_t resv = fs->blocks_count / 50, avail;
	uint64_t fsid = 0;

	if (resv > 4096)
		resv = 4096; /* ext4_calculate_resv_clusters */
	if (!(fs->incompat & EXT4_INCOMPAT_EXTENTS))
		resv = 0;
	avail = fs->free_blocks > fs->r_blocks + resv ?
			fs->free_blocks - fs->r_blocks - resv :
			0;
	for (int i = 0; i < 8; i++)
		fsid |= (uint64_t)(fs->uuid[i] ^ fs->uuid[8 + i]) << (8 * i);
	memset(sf, 0, sizeof(*sf));
	sf->f_type = EXT4_MAGIC;
	sf->f_bsize = fs->block_size;
	sf->f_frsize = fs->block_size;
	sf->f_blocks = fs->blocks_count - fs->overhead;
	sf->f_bfree = fs->free_blocks;
	sf->f_bavail = avail;
	sf->f_files = fs->inodes_count;
	sf->f_ffree = fs->free_inodes;
	sf->f_fsid.val[0] = (int)(uint32_t)fsid;
	sf->f_fsid.val[1] = (int)(uint32_t)(fsid >> 32);
	sf->f_namelen = EXT4_NAME_LEN;
	sf->f_flags = ST_VALID | ST_RELATIME | (fs->ro ? ST_RDONLY : 0);
	return 0;
}

void ext4_release(struct vnode *vn)
{
	struct ext4_node *node = vn->priv;

	vnode_put(node->cache);
	if (node->ie->cache == vn)
		node->ie->cache = NULL; /* the page cache itself goes */
	ext4_ino_put(node->m, node->ie);
	ext4_dir_cursor_drop(&node->rd_cur);
	kfree(node);
	vn->priv = NULL;
}

#define EXT4_NODE_OPS                                                      \
	.stat = ext4_stat, .statfs = ext4_statfs, .release = ext4_release, \
	.truncate = ext4_vfs_truncate, .setattr = ext4_vfs_setattr

const struct vnode_ops ext4_dir_vops = {
	.lookup = ext4_lookup,
	.readdir = ext4_readdir,
	.create = ext4_vfs_create,
	.symlink = ext4_vfs_symlink,
	.unlink = ext4_vfs_unlink,
	.rename = ext4_vfs_rename,
	.link = ext4_vfs_link,
	EXT4_NODE_OPS,
};

static const struct vnode_ops ext4_reg_vops = {
	.open = ext4_open,
	.fallocate = ext4_vfs_fallocate,
	.pagecache = ext4_pagecache,
	EXT4_NODE_OPS,
};

static const struct vnode_ops ext4_lnk_vops = {
	.readlink = ext4_vn_readlink,
	EXT4_NODE_OPS,
};

/* FIFOs, sockets, devices: opened as the VFS opens them (ENXIO). */
static const struct vnode_ops ext4_other_vops = {
	EXT4_NODE_OPS,
};

int ext4_mount_at(const char *dev, const char *path, bool rw)
{
	struct ext4_mount *m;
	struct ext4_node *root;
	struct bcache_dev *bc;
	struct vnode *dir;
	uint32_t rdev, ns;
	int64_t sec;
	char src[32];
	int err;

	if (nmounts == EXT4_MAX_MOUNTS || path[0] != '/')
		return -EINVAL;
	bc = blkdev_find(dev, &rdev);
	if (bc == NULL)
		return -ENXIO;
	m = kzalloc(sizeof(*m));
	root = kzalloc(sizeof(*root));
	err = -ENOMEM;
	if (m == NULL || root == NULL)
		goto err_free;
	m->dev = rdev;
	strlcpy(m->path, path, sizeof(m->path));
	ext4_now(&sec, &ns);
	err = ext4_mount_rw(bc, dev, rw, sec, &m->fs);
	if (err < 0)
		goto err_free;
	m->fs->held = ino_held;
	m->fs->held_arg = m;
	root->m = m;
	root->ie = ext4_ino_get(m, EXT4_ROOT_INO, &err);
	if (root->ie != NULL && !S_ISDIR(root->ie->in.mode))
		err = -EIO;
	if (err == 0)
		err = mount_point(path, &dir);
	if (err < 0)
		goto err_unmount;
	node_attach(dir, root);
	vnode_put(dir); /* the tree keeps it */
	nmounts++;
	fmt_snprintf(src, sizeof(src), "/dev/%s", m->fs->name);
	mount_register(src, path, "ext4",
		       m->fs->ro ? "ro,relatime" : "rw,relatime");
	return 0;
err_unmount:
	kfree(root->ie); /* m and its inode list go with it */
	ext4_unmount(m->fs);
err_free:
	kfree(root);
	kfree(m);
	return err;
}

/* Names of the root disk's top level that stay the kernel's own. */
static const char *const root_skip[] = { "lost+found", "dev", "proc", "tmp" };
#define ROOT_NSKIP (sizeof(root_skip) / sizeof(root_skip[0]))

static bool root_skipped(const char *name)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return true;
	for (size_t i = 0; i < ROOT_NSKIP; i++)
		if (strcmp(name, root_skip[i]) == 0)
			return true;
	return false;
}

/*
 * The writable root: the memory root an overlay over the disk's root
 * directory (fs/overlay.c), the kernel's names of it hidden.
 */
static int root_overlay(struct ext4_mount *m)
{
	struct ext4_node *node = kzalloc(sizeof(*node));
	struct vnode *vn = NULL;
	int err = -ENOMEM;

	if (node == NULL)
		return err;
	node->m = m;
	node->ie = ext4_ino_get(m, EXT4_ROOT_INO, &err);
	if (node->ie == NULL || (vn = vnode_new(S_IFDIR)) == NULL) {
		if (node->ie != NULL)
			ext4_ino_put(m, node->ie);
		kfree(node);
		return err < 0 ? err : -ENOMEM;
	}
	vn->vflags = VN_TRANSIENT;
	node_attach(vn, node);
	return ovl_root_init(vfs_root(), vn, root_skip, ROOT_NSKIP);
}

/*
 * Directory inode ino of m's disk in place of the root's /name; 0 too
 * for an inode that is not a directory, left out.
 */
static int root_bind(struct ext4_mount *m, const char *name, uint32_t ino)
{
	struct ext4_node *node = kzalloc(sizeof(*node));
	char path[EXT4_NAME_LEN + 2] = "/";
	struct vnode *dir;
	int err = -ENOMEM;

	if (node == NULL)
		return err;
	node->m = m;
	err = 0;
	node->ie = ext4_ino_get(m, ino, &err);
	if (node->ie != NULL && !S_ISDIR(node->ie->in.mode)) {
		ext4_ino_put(m, node->ie);
		kfree(node); /* a file or link: the archive has those */
		return 0;
	}
	strlcpy(path + 1, name, sizeof(path) - 1);
	if (err == 0)
		err = mount_point(path, &dir);
	if (err < 0) {
		if (node->ie != NULL)
			ext4_ino_put(m, node->ie);
		kfree(node);
		return err;
	}
	node_attach(dir, node);
	vnode_put(dir);
	return 0;
}

/*
 * Each directory of the disk's top level in place of the root's own:
 * the root stays tmpfs (so /dev, /proc, /tmp and the archive's top-level
 * files are the kernel's), and everything under those directories is
 * the disk's, read only.
 */
static int root_bind_all(struct ext4_mount *m, const struct ext4_inode *top)
{
	char name[EXT4_NAME_LEN + 1];
	uint64_t pos = 0;
	unsigned int type;
	uint32_t ino;
	int r, err;

	while ((r = ext4_dir_next(m->fs, top, &pos, name, &ino, &type)) > 0) {
		if (root_skipped(name))
			continue;
		err = root_bind(m, name, ino);
		if (err < 0) {
			printk("kiln: root disk: cannot mount /%s (errno %d)\n",
			       name, -err);
			return err;
		}
	}
	if (r < 0)
		printk("kiln: ext4 %s: root directory: bad entries\n",
		       m->fs->name);
	return r;
}

int ext4_mount_root(const char *dev, const uint8_t uuid[16], bool overlay)
{
	struct ext4_inode top;
	struct ext4_mount *m;
	struct bcache_dev *bc;
	uint32_t rdev;
	int err;

	bc = blkdev_find(dev, &rdev);
	if (bc == NULL) {
		printk("kiln: the image's root disk is missing (no first "
		       "virtio-blk device)\n");
		return -ENXIO;
	}
	if (nmounts == EXT4_MAX_MOUNTS || (m = kzalloc(sizeof(*m))) == NULL)
		return -ENOMEM;
	m->dev = rdev;
	strlcpy(m->path, "/", sizeof(m->path));
	err = ext4_mount(bc, dev, &m->fs);
	if (err < 0)
		goto err_free;
	err = -EINVAL;
	if (memcmp(m->fs->uuid, uuid, 16) != 0) {
		printk("kiln: ext4 %s: not this image's root disk (uuid)\n",
		       dev);
		goto err_unmount;
	}
	err = ext4_iget(m->fs, EXT4_ROOT_INO, &top);
	if (err == 0 && !S_ISDIR(top.mode))
		err = -EIO;
	if (err < 0)
		goto err_unmount;
	nmounts++;
	/* Nodes point at m from here on: kept if this fails. */
	err = overlay ? root_overlay(m) : root_bind_all(m, &top);
	if (err < 0)
		return err;
	if (overlay)
		mount_register("overlay", "/", "overlay",
			       "rw,relatime,lowerdir=/dev/root,upperdir=tmpfs");
	else
		mount_register("/dev/root", "/", "ext4", "ro,relatime");
	return 0;
err_unmount:
	ext4_unmount(m->fs);
err_free:
	kfree(m);
	return err;
}
