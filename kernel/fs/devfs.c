/* devfs.c - /dev: null, zero, full, random, urandom, console, tty and the std* links. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/printk.h"
#include "core/random.h"
#include "fs/blkdev.h"
#include "lib/string.h"

/* Linux's device numbers (Documentation/admin-guide/devices.txt). */
#define MKDEV(ma, mi) (((ma) << 8) | (mi))

static long null_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)buf, (void)n, (void)pos;
	return 0;
}

static long sink_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)buf, (void)pos;
	return (long)n;
}

static long zero_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)pos;
	memset(buf, 0, n);
	return (long)n;
}

static long full_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)buf, (void)n, (void)pos;
	return -ENOSPC;
}

static long random_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)pos;
	random_bytes(buf, n);
	return (long)n;
}

static unsigned int dev_ready(struct file *f, unsigned int events)
{
	(void)f;
	return events & 0x5; /* POLLIN | POLLOUT */
}

/* Linux's null_lseek (also /dev/zero and /dev/full) and noop_llseek. */
static int64_t null_llseek(struct file *f, int64_t off, int whence)
{
	(void)off, (void)whence;
	f->pos = 0;
	return 0;
}

static int64_t noop_llseek(struct file *f, int64_t off, int whence)
{
	(void)off, (void)whence;
	return (int64_t)f->pos;
}

static const struct file_ops null_ops = {
	.read = null_read,
	.write = sink_write,
	.poll = dev_ready,
	.llseek = null_llseek,
	.seekable = true,
};
static const struct file_ops zero_ops = {
	.read = zero_read,
	.write = sink_write,
	.poll = dev_ready,
	.llseek = null_llseek,
	.seekable = true,
};
static const struct file_ops full_ops = {
	.read = zero_read,
	.write = full_write,
	.poll = dev_ready,
	.llseek = null_llseek,
	.seekable = true,
};
static const struct file_ops random_ops = {
	.read = random_read,
	.write = sink_write,
	.poll = dev_ready,
	.llseek = noop_llseek,
};

struct devfs_node {
	const char *name;
	uint32_t rdev;
	const struct file_ops *ops;
};

static const struct devfs_node devfs_nodes[] = {
	{ "null", MKDEV(1, 3), &null_ops },
	{ "zero", MKDEV(1, 5), &zero_ops },
	{ "full", MKDEV(1, 7), &full_ops },
	{ "random", MKDEV(1, 8), &random_ops },
	{ "urandom", MKDEV(1, 9), &random_ops },
};

static int devfs_open(struct vnode *vn, struct file *f)
{
	const struct devfs_node *d = vn->priv;

	f->ops = d->ops;
	return 0;
}

static const struct vnode_ops devfs_vops = { .open = devfs_open };

static const char *const devfs_links[][2] = {
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
	{ "fd", "/proc/self/fd" },
};

/*
 * A node of /dev that could not be made: say so, and keep the first
 * error for the caller. One that is there already is not an error.
 */
static void devfs_note(const char *name, int err, int *first)
{
	if (err >= 0 || err == -EEXIST)
		return;
	printk("kiln: no /dev/%s (error %d)\n", name, -err);
	if (*first == 0)
		*first = err;
}

/*
 * Populate dev; names the archive already put there are left alone. A
 * node that fails does not stop the rest: 0 or the first error.
 */
static int devfs_fill(struct vnode *dev)
{
	struct vnode *vn;
	size_t i;
	int err, first = 0;

	for (i = 0; i < sizeof(devfs_nodes) / sizeof(devfs_nodes[0]); i++) {
		err = vfs_create(dev, devfs_nodes[i].name, S_IFCHR | 0666, &vn);
		devfs_note(devfs_nodes[i].name, err, &first);
		if (err < 0)
			continue;
		vn->rdev = devfs_nodes[i].rdev;
		vn->ops = &devfs_vops;
		vn->priv = (void *)(uintptr_t)&devfs_nodes[i];
		vnode_put(vn);
	}
	err = devfs_console(dev, &vn);
	if (err == 0)
		vnode_put(vn);
	devfs_note("console", err, &first);
	devfs_note("tty", devfs_tty(dev), &first);
	for (i = 0; i < sizeof(devfs_links) / sizeof(devfs_links[0]); i++)
		devfs_note(
			devfs_links[i][0],
			vfs_symlink(dev, devfs_links[i][0], devfs_links[i][1]),
			&first);
	err = blkdev_devfs(dev); /* it names its own failures */
	if (err < 0 && first == 0)
		first = err;
	devfs_note("shm", vfs_create(dev, "shm", S_IFDIR | 01777, NULL),
		   &first);
	devfs_note("pts", vfs_create(dev, "pts", S_IFDIR | 0755, NULL), &first);
	return first;
}

/*
 * /dev is filled when something first looks into it (vfs_dir_populate),
 * not at boot: an app that never opens a device does not pay for the
 * nodes (~50 translated blocks under TCG). A node that cannot be made
 * then is missing, as a lookup finds it, and named on the console; /dev
 * stays flagged, so the next look makes what is missing (devfs_fill
 * leaves the nodes already there alone).
 */
static struct vnode *dev_dir;

static int devfs_populate(struct vnode *dir)
{
	return dir == dev_dir ? devfs_fill(dir) : 0;
}

int devfs_init(struct vnode *dev)
{
	/* only a memory directory: a disk's has its own lookup hook */
	if (dev->ops != NULL || dev_dir != NULL ||
	    vfs_dir_add_populate(devfs_populate) < 0)
		return devfs_fill(dev);
	dev_dir = vnode_get(dev);
	dev->vflags |= VN_POPULATE;
	return 0;
}
