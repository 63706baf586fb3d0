/* 9pfs.h - host directories mounted over virtio-9p (9P2000.L): kiln run -v HOSTDIR:GUESTDIR[:ro]. */
#ifndef KILN_FS_9PFS_H
#define KILN_FS_9PFS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Mount the host directory the virtio-9p device tagged tag shares at
 * absolute path (made when missing; fs/mount.c parses kiln.9p=). 0,
 * -ENODEV (no device with that tag), -EBUSY (/, a mount, /proc, /dev),
 * -EPROTO (the server's answers), -EINVAL, -ENOMEM. Boot only.
 */
int p9fs_mount_at(const char *tag, const char *path, bool ro);

/*
 * A mount point the image declares (kiln build --volume): path, made in
 * the root when missing. 0, -ENOTDIR (a file, /proc, /dev), -EBUSY (/),
 * -EINVAL (relative), -ENOMEM. Boot only.
 */
int p9fs_declare(const char *path);

#endif
