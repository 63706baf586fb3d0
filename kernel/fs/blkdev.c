/* blkdev.c - disks as block device files (/dev/vda...) through the block cache, and /proc/partitions. */
#include "fs/blkdev.h"

#include <asm-generic/errno.h>
#include <asm/fcntl.h>
#include <linux/fs.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/uaccess.h"
#include "drivers/virtio_blk.h"
#include "fs/ext4_jbd2.h"
#include "fs/bcache.h"
#include "fs/procfs.h"
#include "lib/string.h"

/*
 * Linux gives virtio-blk a dynamic major; hosts show 254 ("254 virtblk"
 * in /proc/devices) and 16 minors a disk (vdb is 254:16).
 */
#define VIRTBLK_MAJOR 254
#define VIRTBLK_MINORS 16
#define MKDEV(ma, mi) (((ma) << 8) | (mi))
/* The cache's block until a file system sets its own (ext4: its block size). */
#define CACHE_BLOCK 4096
/* Requests in flight per batch of the cache's transfers. */
#define BATCH_REQS 32

struct disk {
	struct bcache_dev bc;
	unsigned index; /* virtio_blk's disk number */
	char name[8];
};

static struct disk disks[VIRTIO_BLK_MAX_DISKS];
static unsigned ndisks;
/* The image's root disk (blkdev_init's root_disk), when there is one. */
static struct disk root;
static bool have_root;
/* Its st_dev: past the minors of the 8 disks a VM may have. */
#define ROOT_MINOR (VIRTIO_BLK_MAX_DISKS * VIRTBLK_MINORS)

/* A batch: up to BATCH_REQS requests of up to VIRTIO_BLK_MAX_SEGS blocks. */
struct batch {
	struct virtio_blk_req req[BATCH_REQS];
	struct virtio_blk_seg seg[BATCH_REQS][VIRTIO_BLK_MAX_SEGS];
	size_t first[BATCH_REQS]; /* its first io */
	unsigned nreq;
};

/* Can io join the request that ends with prev? Same way, next block. */
static bool joins(const struct disk *dk, const struct bcache_io *prev,
		  const struct bcache_io *io, unsigned nsegs)
{
	return prev->write == io->write && io->block == prev->block + 1 &&
	       prev->len == dk->bc.block_size && nsegs < VIRTIO_BLK_MAX_SEGS;
}

/* Submit ios[from..) as requests until the batch is full; returns next. */
static size_t batch_fill(struct disk *dk, struct batch *bt,
			 struct bcache_io *ios, size_t from, size_t n)
{
	size_t i = from;

	bt->nreq = 0;
	while (i < n && bt->nreq < BATCH_REQS) {
		struct virtio_blk_req *r = &bt->req[bt->nreq];
		unsigned k = 0;

		bt->first[bt->nreq] = i;
		do {
			bt->seg[bt->nreq][k++] = (struct virtio_blk_seg){
				ios[i].buf, ios[i].len
			};
			i++;
		} while (i < n && joins(dk, &ios[i - 1], &ios[i], k));
		*r = (struct virtio_blk_req){
			.type = ios[i - 1].write ? VIRTIO_BLK_T_OUT :
						   VIRTIO_BLK_T_IN,
			.sector = ios[bt->first[bt->nreq]].block *
				  (dk->bc.block_size / VIRTIO_BLK_SECTOR),
			.segs = bt->seg[bt->nreq],
			.nsegs = k,
		};
		r->result = virtio_blk_submit(dk->index, r);
		r->done = r->result != 0; /* refused: done already */
		bt->nreq++;
	}
	return i;
}

/* The cache's transfers: contiguous blocks merged, many in flight. */
static int disk_io(struct bcache_dev *d, struct bcache_io *ios, size_t n)
{
	struct disk *dk = d->priv;
	struct batch *bt = kmalloc(sizeof(*bt));
	size_t i = 0, end;
	int first_err = 0, err;

	if (!bt) {
		for (i = 0; i < n; i++)
			ios[i].err = -ENOMEM;
		return -ENOMEM;
	}
	while (i < n) {
		size_t from = i;

		i = batch_fill(dk, bt, ios, from, n);
		for (unsigned r = 0; r < bt->nreq; r++) {
			err = bt->req[r].done ?
				      bt->req[r].result :
				      virtio_blk_wait(dk->index, &bt->req[r]);
			end = r + 1 < bt->nreq ? bt->first[r + 1] : i;
			for (size_t j = bt->first[r]; j < end; j++)
				ios[j].err = err;
			if (err && !first_err)
				first_err = err;
		}
	}
	kfree(bt);
	return first_err;
}

static int disk_flush(struct bcache_dev *d)
{
	struct disk *dk = d->priv;

	return virtio_blk_io(dk->index, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

static const struct bcache_dev_ops disk_ops = {
	.io = disk_io,
	.flush = disk_flush,
};

static const struct bcache_dev_ops disk_ops_noflush = { .io = disk_io };

/* ---- The device file ---- */

static struct disk *file_disk(struct file *f)
{
	return f->vn->priv;
}

static long blk_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	long r = bcache_read(&file_disk(f)->bc, *pos, buf, n);

	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

/*
 * Linux refuses writes to a read-only disk with EPERM (block/fops.c,
 * blkdev_write_iter: "if (bdev_read_only(bdev)) return -EPERM"); the
 * cache's EROFS is for file systems.
 */
static long blk_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	struct disk *dk = file_disk(f);
	long r;

	if (dk->bc.ro)
		return -EPERM;
	r = bcache_write(&dk->bc, *pos, buf, n);
	if (r > 0)
		*pos += (uint64_t)r;
	/* O_SYNC, O_DSYNC: durable before write returns (generic_write_sync). */
	if (r > 0 && (f->flags & (O_DSYNC | __O_SYNC))) {
		int err = bcache_sync(&dk->bc);

		if (err)
			return err;
	}
	return r;
}

/* Linux's blkdev_llseek: fixed_size_llseek over the capacity. */
static int64_t blk_llseek(struct file *f, int64_t off, int whence)
{
	int64_t size = (int64_t)file_disk(f)->bc.size, pos;

	switch (whence) {
	case 0: /* SEEK_SET */
		pos = off;
		break;
	case 1: /* SEEK_CUR */
		pos = (int64_t)f->pos + off;
		break;
	case 2: /* SEEK_END */
		pos = size + off;
		break;
	case 3: /* SEEK_DATA */
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = off;
		break;
	case 4: /* SEEK_HOLE */
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = size;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0 || pos > size)
		return -EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

/*
 * BLKDISCARD and BLKZEROOUT's range {start, len} in bytes, checked as
 * Linux's blk_ioctl_discard/blk_ioctl_zeroout do: an fd open for
 * writing (EBADF), a writable disk (EPERM), whole logical blocks
 * (EINVAL; zeroout: 512 bytes), inside the disk (EINVAL).
 */
static long blk_range(struct file *f, uintptr_t arg, uint32_t align,
		      uint64_t *start, uint64_t *len)
{
	struct disk *dk = file_disk(f);
	uint64_t r[2];

	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (dk->bc.ro)
		return -EPERM;
	if (copy_from_user(r, arg, sizeof(r)) < 0)
		return -EFAULT;
	if ((r[0] | r[1]) & (align - 1))
		return -EINVAL;
	if (r[0] > dk->bc.size || r[1] > dk->bc.size - r[0])
		return -EINVAL;
	*start = r[0];
	*len = r[1];
	return 0;
}

/* The device does it: chunks of at most max sectors (0: no limit given). */
static long blk_device_range(struct disk *dk, uint32_t type, uint64_t start,
			     uint64_t len, uint32_t max)
{
	uint32_t bs = virtio_blk_info(dk->index)->blk_size / VIRTIO_BLK_SECTOR;
	uint64_t sect = start / VIRTIO_BLK_SECTOR,
		 left = len / VIRTIO_BLK_SECTOR;
	long err = bcache_forget_range(&dk->bc, start, len);

	if (max == 0 || max > (1U << 22))
		max = 1U << 22;
	max -= max % bs;
	while (!err && left) {
		struct virtio_blk_req r = { .type = type, .sector = sect };

		r.nsectors = left < max ? (uint32_t)left : max;
		err = virtio_blk_submit(dk->index, &r);
		if (!err)
			err = virtio_blk_wait(dk->index, &r);
		sect += r.nsectors;
		left -= r.nsectors;
	}
	return err;
}

/* Without WRITE_ZEROES: zeroes written through the cache, as Linux falls back. */
static long blk_write_zeroes(struct disk *dk, uint64_t start, uint64_t len)
{
	uint8_t *zero = page_alloc_zero(1);
	long r = 0;

	if (!zero)
		return -ENOMEM;
	while (len && r >= 0) {
		r = bcache_write(&dk->bc, start, zero,
				 len < PAGE_SIZE ? len : PAGE_SIZE);
		if (r > 0) {
			start += (uint64_t)r;
			len -= (uint64_t)r;
		}
	}
	page_free(zero, 1);
	return r < 0 ? r : 0;
}

static long blk_discard_ioctl(struct file *f, uintptr_t arg, bool zero)
{
	struct disk *dk = file_disk(f);
	const struct virtio_blk_info *in = virtio_blk_info(dk->index);
	uint64_t start, len;
	long err = blk_range(f, arg, zero ? VIRTIO_BLK_SECTOR : in->blk_size,
			     &start, &len);

	if (err || len == 0)
		return err;
	if (!zero)
		return in->discard ?
			       blk_device_range(dk, VIRTIO_BLK_T_DISCARD, start,
						len, in->max_discard) :
			       -EOPNOTSUPP;
	if (in->write_zeroes && start % in->blk_size == 0 &&
	    len % in->blk_size == 0)
		return blk_device_range(dk, VIRTIO_BLK_T_WRITE_ZEROES, start,
					len, in->max_write_zeroes);
	return blk_write_zeroes(dk, start, len);
}

static long put_user_u64(uintptr_t arg, uint64_t v)
{
	return copy_to_user(arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

static long put_user_int(uintptr_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

static long blk_ioctl(struct file *f, unsigned int cmd, uintptr_t arg)
{
	struct disk *dk = file_disk(f);
	const struct virtio_blk_info *in = virtio_blk_info(dk->index);

	switch (cmd) {
	case BLKGETSIZE64:
		return put_user_u64(arg, dk->bc.size);
	case BLKGETSIZE: /* unsigned long: 512-byte sectors */
		return put_user_u64(arg, dk->bc.size / 512);
	case BLKSSZGET:
		return put_user_int(arg, (int)in->blk_size);
	case BLKPBSZGET:
		return put_user_int(arg, (int)in->blk_size);
	case BLKBSZGET: /* Linux's soft block size: a mount's sb_set_blocksize */
		return put_user_int(arg, (int)dk->bc.block_size);
	case BLKROGET:
		return put_user_int(arg, dk->bc.ro);
	case BLKFLSBUF:
		return bcache_invalidate(&dk->bc);
	case BLKDISCARD:
		return blk_discard_ioctl(f, arg, false);
	case BLKZEROOUT:
		return blk_discard_ioctl(f, arg, true);
	default:
		return -ENOTTY;
	}
}

static int blk_fsync(struct file *f)
{
	return bcache_sync(&file_disk(f)->bc);
}

static unsigned int blk_poll(struct file *f, unsigned int events)
{
	(void)f;
	return events & 0x5; /* POLLIN | POLLOUT */
}

static const struct file_ops blk_ops = {
	.read = blk_read,
	.write = blk_write,
	.ioctl = blk_ioctl,
	.poll = blk_poll,
	.llseek = blk_llseek,
	.fsync = blk_fsync,
	.seekable = true,
};

static int blk_open(struct vnode *vn, struct file *f)
{
	(void)vn;
	f->ops = &blk_ops;
	return 0;
}

static const struct vnode_ops blk_vops = { .open = blk_open };

int blkdev_devfs(struct vnode *dev)
{
	struct vnode *vn;
	int err, first = 0;

	for (unsigned i = 0; i < ndisks; i++) {
		err = vfs_create(dev, disks[i].name, S_IFBLK | 0660, &vn);
		if (err == -EEXIST)
			continue;
		if (err < 0) { /* the other disks still get theirs */
			printk("kiln: no /dev/%s (error %d)\n", disks[i].name,
			       -err);
			if (first == 0)
				first = err;
			continue;
		}
		vn->rdev = MKDEV(VIRTBLK_MAJOR, i * VIRTBLK_MINORS);
		vn->ops = &blk_vops;
		vn->priv = &disks[i];
		vnode_put(vn);
	}
	return first;
}

/* Linux's format (block/genhd.c, show_partition): sizes in KiB. */
size_t procfs_partitions(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "major minor  #blocks  name\n\n");
	for (unsigned i = 0; i < ndisks; i++)
		procfs_put(buf, size, &len, "%4d  %7d %10lu %s\n",
			   VIRTBLK_MAJOR, (int)(i * VIRTBLK_MINORS),
			   (unsigned long)(disks[i].bc.size / 1024),
			   disks[i].name);
	return len;
}

/* A cache of an eighth of free memory, at least 64 buffers. */
static void size_cache(void)
{
	size_t n = page_free_count() / 8;

	bcache_set_limit(n < 64 ? 64 : n);
}

/* Disk dk is virtio_blk's disk index, called name. */
static void disk_setup(struct disk *dk, unsigned index, const char *name)
{
	const struct virtio_blk_info *in = virtio_blk_info(index);

	dk->index = index;
	strlcpy(dk->name, name, sizeof(dk->name));
	dk->bc = (struct bcache_dev){
		.ops = in->flush ? &disk_ops : &disk_ops_noflush,
		.priv = dk,
		.size = in->sectors * VIRTIO_BLK_SECTOR,
		.block_size = CACHE_BLOCK,
		.min_block_size = in->blk_size,
		.ro = in->ro,
	};
	bcache_register(&dk->bc);
}

void blkdev_init(bool root_disk)
{
	unsigned n = (unsigned)virtio_blk_init(), first = 0;
	char name[4] = "vd?";

	if (root_disk && n > 0) {
		disk_setup(&root, 0, "root");
		have_root = true;
		first = 1;
	}
	for (unsigned i = first; i < n && i < VIRTIO_BLK_MAX_DISKS; i++) {
		name[2] = (char)('a' + ndisks);
		disk_setup(&disks[ndisks++], i, name);
	}
	size_cache();
}

struct bcache_dev *blkdev_find(const char *name, uint32_t *rdev)
{
	if (have_root && strcmp(name, root.name) == 0) {
		*rdev = MKDEV(VIRTBLK_MAJOR, ROOT_MINOR);
		return &root.bc;
	}
	for (unsigned i = 0; i < ndisks; i++)
		if (strcmp(disks[i].name, name) == 0) {
			*rdev = MKDEV(VIRTBLK_MAJOR, i * VIRTBLK_MINORS);
			return &disks[i].bc;
		}
	return NULL;
}

int blkdev_sync_all(bool report)
{
	/* The journals first: a commit writes the data it orders. */
	int err = ext4_jbd2_commit_all(report), e = bcache_sync_all(report);

	return err ? err : e;
}
