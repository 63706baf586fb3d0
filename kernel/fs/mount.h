/* mount.h - the one mount table: ext4 disks (kiln.mount=) and 9p volumes (kiln.9p=) mounted in one pass, listed in /proc/mounts. */
#ifndef KILN_FS_MOUNT_H
#define KILN_FS_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

struct vnode;

/* Mounts one boot may make: 8 disks and 8 volumes. */
#define MOUNT_MAX 16

/*
 * Mount what kiln.mount=DEV:/DIR[:ro],... (ext4 on a disk) and
 * kiln.9p=TAG:/DIR[:ro],... (a host directory) name, the disks first,
 * each in its option's order. The command line is untrusted: every word
 * is checked here. 0, or the first failure (logged), with *what set to
 * "cannot mount a disk" or "cannot mount a volume". Boot only, after the root is built.
 */
int mount_boot(const char **what);

/*
 * kiln.readonly with the root in memory (no root disk): every node of
 * the image's tree, as the boot left it (mounts, /etc defaults made),
 * turns read-only (VN_RDONLY: writes are -EROFS), as docker run
 * --read-only; /dev, /proc, /tmp and mounts keep their own rules (as
 * with a root disk). Boot only.
 * 0, -ENOMEM, or -ELOOP for a tree deeper than any path can be.
 */
int mount_root_readonly(void);

/*
 * The directory at absolute path for a new mount, made (0755) where
 * missing; referenced in *out. -EBUSY when it is / or already a mount,
 * /proc or /dev, or lies inside one; -ENOTDIR, -ENAMETOOLONG, -ENOMEM.
 */
int mount_point(const char *path, struct vnode **out);

/*
 * A file system mounted at path: its /proc/mounts line from source,
 * type and options. Called by the file system once the mount is made.
 */
void mount_register(const char *source, const char *path, const char *type,
		    const char *opts);

/* /proc/mounts: root, /dev, /proc, /dev/shm, then the mounts in order. */
size_t mount_text(char *buf, size_t size);

#endif
