/* 9pfs.h - host directories mounted over virtio-9p (9P2000.L): kiln run -v HOSTDIR:GUESTDIR[:ro]. */
#ifndef KILN_FS_9PFS_H
#define KILN_FS_9PFS_H

#include <stddef.h>

/*
 * Mount what kiln.9p=TAG:/DIR[:ro],... names (the CLI checks the words;
 * the kernel checks them again: the command line is untrusted). DIR is
 * made in the root when missing. 0, or the first failure (logged):
 * -EINVAL (bad words), -ENODEV (no device with that tag), -EPROTO (the
 * server's answers), -ENOMEM. Boot only, after the root is built.
 */
int p9fs_mount_boot(void);

/*
 * A mount point the image declares (kiln build --volume): path, made in
 * the root when missing. 0, -ENOTDIR (a file, /proc, /dev), -EBUSY (/),
 * -EINVAL (relative), -ENOMEM. Boot only.
 */
int p9fs_declare(const char *path);

/* The mounts' lines of /proc/mounts, appended to buf at *len. */
void p9fs_mounts_text(char *buf, size_t size, size_t *len);

#endif
