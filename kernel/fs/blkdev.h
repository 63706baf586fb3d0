/* blkdev.h - disks as block device files (/dev/vda...) and /proc/partitions. */
#ifndef KILN_FS_BLKDEV_H
#define KILN_FS_BLKDEV_H

#include <stddef.h>
#include <stdint.h>

#include "fs/vfs.h"

/* Start the disks (virtio-blk) and their caches. Boot, before vfs_init. */
void blkdev_init(void);

/* /dev/vda, /dev/vdb...: called by devfs_init. 0 or -ERRNO. */
int blkdev_devfs(struct vnode *dev);

/* The cache device of disk name ("vda") and its device number, or NULL. */
struct bcache_dev *blkdev_find(const char *name, uint32_t *rdev);

/* Commit the ext4 journals, then write every disk's dirty blocks and flush the devices (sync, syncfs, exit). */
int blkdev_sync_all(void);

#endif
