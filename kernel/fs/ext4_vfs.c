/* ext4_vfs.c - ext4 in the VFS: mounts from the boot command line, nodes made by lookup, reads, statfs, /proc/mounts. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/blkdev.h"
#include "fs/mount.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"

/*
 * The VFS keeps one in-memory tree; an ext4 mount is a directory of it
 * whose hooks answer from the disk. Every node under it is made by a
 * lookup (VN_TRANSIENT, freed at its last put) and carries a copy of
 * its inode: mounts are read-only, so the copy never goes stale.
 */
#define EXT4_MAX_MOUNTS 8
#define EXT4_MAGIC 0xEF53
#define ST_RDONLY 0x1
#define ST_RELATIME 0x400
#define ST_VALID 0x20

struct ext4_mount {
	struct ext4_fs *fs;
	uint32_t dev; /* st_dev: the disk's number */
	char path[VFS_PATH_MAX];
};

struct ext4_node {
	struct ext4_mount *m;
	struct ext4_inode in;
	uint64_t rd_idx, rd_pos; /* readdir's cursor: entry idx is at rd_pos */
};

static size_t nmounts;

static const struct vnode_ops ext4_dir_vops, ext4_reg_vops, ext4_lnk_vops,
	ext4_other_vops;

static struct ext4_node *node_of(const struct vnode *vn)
{
	return vn->priv;
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

/* Fill vn's fields and hooks from node's inode. */
static void node_attach(struct vnode *vn, struct ext4_node *node)
{
	const struct ext4_inode *in = &node->in;

	vn->ino = in->ino;
	vn->mode = in->mode;
	vn->uid = in->uid;
	vn->gid = in->gid;
	vn->nlink = in->nlink;
	vn->atime = vtime(in->atime, in->atime_ns);
	vn->mtime = vtime(in->mtime, in->mtime_ns);
	vn->ctime = vtime(in->ctime, in->ctime_ns);
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

/* A node for inode ino found in dir as name; NULL on error (logged). */
static struct vnode *ext4_vnode(struct vnode *dir, const char *name,
				uint32_t ino)
{
	struct ext4_mount *m = node_of(dir)->m;
	struct ext4_node *node = kzalloc(sizeof(*node));
	struct vnode *vn;
	int err;

	if (node == NULL)
		return NULL;
	node->m = m;
	err = ext4_iget(m->fs, ino, &node->in);
	if (err == 0 && (node->in.mode & S_IFMT) == 0)
		err = -EIO; /* a freed inode still named */
	if (err < 0 || (vn = vnode_new(node->in.mode)) == NULL) {
		if (err == -EIO)
			printk("kiln: ext4 %s: inode %u: bad metadata\n",
			       m->fs->name, ino);
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

static struct vnode *ext4_lookup(struct vnode *dir, const char *name)
{
	uint32_t ino;
	int err = ext4_dir_lookup(node_of(dir)->m->fs, &node_of(dir)->in, name,
				  &ino);

	if (err == -EIO)
		printk("kiln: ext4 %s: directory inode %u: bad entries\n",
		       node_of(dir)->m->fs->name, node_of(dir)->in.ino);
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

		r = ext4_dir_next(d->m->fs, &d->in, &d->rd_pos, buf, &n, type);
		if (r < 0)
			printk("kiln: ext4 %s: directory inode %u: bad "
			       "entries\n",
			       d->m->fs->name, d->in.ino);
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

	return ext4_readlink(node->m->fs, &node->in, buf, size);
}

static long ext4_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct ext4_node *node = node_of(f->vn);
	long r = ext4_file_read(node->m->fs, &node->in, *pos, buf, n);

	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

static int ext4_fsync(struct file *f)
{
	(void)f;
	return 0; /* read-only: nothing of ours is dirty */
}

static const struct file_ops ext4_file_ops = {
	.read = ext4_read,
	.fsync = ext4_fsync,
	.seekable = true,
};

static int ext4_open(struct vnode *vn, struct file *f)
{
	(void)vn;
	f->ops = &ext4_file_ops;
	return 0;
}

static void ext4_stat(struct vnode *vn, struct stat *st)
{
	struct ext4_node *node = node_of(vn);

	st->st_dev = node->m->dev;
	st->st_blksize = node->m->fs->block_size;
	st->st_blocks = node->in.blocks512;
	if (S_ISDIR(vn->mode))
		st->st_size = node->in.size;
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

static void ext4_release(struct vnode *vn)
{
	kfree(vn->priv);
	vn->priv = NULL;
}

static const struct vnode_ops ext4_dir_vops = {
	.lookup = ext4_lookup,
	.readdir = ext4_readdir,
	.stat = ext4_stat,
	.statfs = ext4_statfs,
	.release = ext4_release,
};

/* The page cache's read (mmap): the disk is read-only, so never stale. */
static int ext4_readpage(struct vnode *vn, uint64_t idx, void *page)
{
	struct ext4_node *node = node_of(vn);
	long r = ext4_file_read(node->m->fs, &node->in, idx * 4096, page, 4096);

	if (r == -EIO)
		printk("kiln: ext4 %s: inode %u: bad metadata\n",
		       node->m->fs->name, node->in.ino);
	return r < 0 ? -EIO : 0;
}

static const struct vnode_ops ext4_reg_vops = {
	.open = ext4_open,
	.readpage = ext4_readpage,
	.stat = ext4_stat,
	.statfs = ext4_statfs,
	.release = ext4_release,
};

static const struct vnode_ops ext4_lnk_vops = {
	.readlink = ext4_vn_readlink,
	.stat = ext4_stat,
	.statfs = ext4_statfs,
	.release = ext4_release,
};

/* FIFOs, sockets, devices: opened as the VFS opens them (ENXIO). */
static const struct vnode_ops ext4_other_vops = {
	.stat = ext4_stat,
	.statfs = ext4_statfs,
	.release = ext4_release,
};

int ext4_mount_at(const char *dev, const char *path, bool rw)
{
	struct ext4_mount *m;
	struct ext4_node *root;
	struct bcache_dev *bc;
	struct vnode *dir;
	uint32_t rdev;
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
	err = ext4_mount(bc, dev, &m->fs);
	if (err < 0)
		goto err_free;
	root->m = m;
	err = ext4_iget(m->fs, EXT4_ROOT_INO, &root->in);
	if (err == 0 && !S_ISDIR(root->in.mode))
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
	if (rw)
		printk("kiln: ext4 %s: writing is not implemented yet: "
		       "mounted read-only on %s\n",
		       dev, path);
	return 0;
err_unmount:
	ext4_unmount(m->fs);
err_free:
	kfree(root);
	kfree(m);
	return err;
}

/* Names of the root disk's top level that stay the kernel's own. */
static bool root_skipped(const char *name)
{
	static const char *const skip[] = { ".",   "..",   "lost+found",
					    "dev", "proc", "tmp" };

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(name, skip[i]) == 0)
			return true;
	return false;
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
	err = ext4_iget(m->fs, ino, &node->in);
	if (err == 0 && !S_ISDIR(node->in.mode)) {
		kfree(node); /* a file or link: the archive has those */
		return 0;
	}
	strlcpy(path + 1, name, sizeof(path) - 1);
	if (err == 0)
		err = mount_point(path, &dir);
	if (err < 0) {
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

int ext4_mount_root(const char *dev, const uint8_t uuid[16])
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
	/* Bound directories point at m from here on: kept if this fails. */
	err = root_bind_all(m, &top);
	if (err < 0)
		return err;
	mount_register("/dev/root", "/", "ext4", "ro,relatime");
	return 0;
err_unmount:
	ext4_unmount(m->fs);
err_free:
	kfree(m);
	return err;
}
