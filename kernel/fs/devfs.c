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
 * What devfs_fill makes, one bit each: the plain nodes, console, tty,
 * the links, the disks, shm and pts. todo: still to make (all, at
 * first); told: named on the console already.
 */
enum {
	DEVFS_NODES = 0,
	DEVFS_CONSOLE = DEVFS_NODES +
			sizeof(devfs_nodes) / sizeof(devfs_nodes[0]),
	DEVFS_TTY,
	DEVFS_LINKS,
	DEVFS_DISKS = DEVFS_LINKS +
		      sizeof(devfs_links) / sizeof(devfs_links[0]),
	DEVFS_SHM,
	DEVFS_PTS,
	DEVFS_ITEMS
};
_Static_assert(DEVFS_ITEMS <= 32, "devfs items fit a uint32_t");

static uint32_t devfs_todo = (1u << DEVFS_ITEMS) - 1, devfs_told;

/*
 * Item bit's outcome: made (or there already: the archive's, left
 * alone), it is done; failed, it is named once, and only a lack of
 * memory leaves it to try at the next look. Keeps the first error.
 */
static void devfs_note(unsigned bit, const char *name, int err, int *first)
{
	if (err >= 0 || err == -EEXIST || err != -ENOMEM)
		devfs_todo &= ~(1u << bit);
	if (err >= 0 || err == -EEXIST)
		return;
	if (name != NULL && !(devfs_told & (1u << bit)))
		printk("kiln: no /dev/%s (error %d)\n", name, -err);
	devfs_told |= 1u << bit;
	if (*first == 0 || err == -ENOMEM)
		*first = err;
}

static bool devfs_want(unsigned bit)
{
	return devfs_todo & (1u << bit);
}

static void devfs_fill_nodes(struct vnode *dev, int *first)
{
	struct vnode *vn;
	int err;

	for (size_t i = 0; i < sizeof(devfs_nodes) / sizeof(devfs_nodes[0]);
	     i++) {
		if (!devfs_want(DEVFS_NODES + i))
			continue;
		err = vfs_create(dev, devfs_nodes[i].name, S_IFCHR | 0666, &vn);
		devfs_note(DEVFS_NODES + i, devfs_nodes[i].name, err, first);
		if (err < 0)
			continue;
		vn->rdev = devfs_nodes[i].rdev;
		vn->ops = &devfs_vops;
		vn->priv = (void *)(uintptr_t)&devfs_nodes[i];
		vnode_put(vn);
	}
}

/*
 * Populate dev with what is still to make; a name the archive put there
 * already is left alone, and so is a node the app has since removed.
 * A node that fails does not stop the rest: 0, or -ENOMEM when a later
 * look should try again, or another error of the first to fail.
 */
static int devfs_fill(struct vnode *dev)
{
	struct vnode *vn;
	int err, first = 0;

	devfs_fill_nodes(dev, &first);
	if (devfs_want(DEVFS_CONSOLE)) {
		err = devfs_console(dev, &vn);
		if (err == 0)
			vnode_put(vn);
		devfs_note(DEVFS_CONSOLE, "console", err, &first);
	}
	if (devfs_want(DEVFS_TTY))
		devfs_note(DEVFS_TTY, "tty", devfs_tty(dev), &first);
	for (size_t i = 0; i < sizeof(devfs_links) / sizeof(devfs_links[0]);
	     i++)
		if (devfs_want(DEVFS_LINKS + i))
			devfs_note(DEVFS_LINKS + i, devfs_links[i][0],
				   vfs_symlink(dev, devfs_links[i][0],
					       devfs_links[i][1]),
				   &first);
	if (devfs_want(DEVFS_DISKS)) /* it names its own failures */
		devfs_note(DEVFS_DISKS, NULL, blkdev_devfs(dev), &first);
	if (devfs_want(DEVFS_SHM))
		devfs_note(DEVFS_SHM, "shm",
			   vfs_create(dev, "shm", S_IFDIR | 01777, NULL),
			   &first);
	if (devfs_want(DEVFS_PTS))
		devfs_note(DEVFS_PTS, "pts",
			   vfs_create(dev, "pts", S_IFDIR | 0755, NULL),
			   &first);
	return first;
}

/*
 * /dev is filled when something first looks into it (vfs_dir_populate),
 * not at boot: an app that never opens a device does not pay for the
 * nodes (~50 translated blocks under TCG). A node that cannot be made
 * then is missing, as a lookup finds it, and named on the console once;
 * when memory was short /dev stays flagged, and the next look makes
 * only what failed (devfs_fill remembers what it made).
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
