/* blkdev.h - disks as block device files (/dev/vda...) and /proc/partitions. */
#ifndef KILN_FS_BLKDEV_H
#define KILN_FS_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/vfs.h"

/*
 * Start the disks (virtio-blk) and their caches. Boot, before vfs_init.
 * With root_disk (the image's root is on a disk, docs/storage.md), the
 * first device is that disk: named "root", in neither /dev nor
 * /proc/partitions, so the user's disks are still vda, vdb...
 */
void blkdev_init(bool root_disk);

/*
 * /dev/vda, /dev/vdb...: called by devfs_init. A disk whose node fails
 * is named on the console and the rest still made: 0 or the first error.
 */
int blkdev_devfs(struct vnode *dev);

/*
 * The cache device of disk name ("vda", "root") and its device number,
 * or NULL.
 */
struct bcache_dev *blkdev_find(const char *name, uint32_t *rdev);

/*
 * Commit the ext4 journals, then write every disk's dirty blocks and
 * flush the devices: syncfs (report: the first error, once); sync(2)
 * and exit (!report: 0, errors kept for the next fsync).
 */
int blkdev_sync_all(bool report);

#endif
