/* sys_file.h - helpers shared by the file syscalls: user paths, dirfd-relative lookup. */
#ifndef KILN_LINUX_SYS_FILE_H
#define KILN_LINUX_SYS_FILE_H

#include <stdint.h>

#include "fs/vfs.h"

/*
 * Copy the NUL-terminated path at user address upath into a new kernel
 * buffer (free with upath_put). Returns 0, -EFAULT, -ENAMETOOLONG (no NUL
 * within PATH_MAX), -ENOMEM. An empty path is returned as is: callers
 * report -ENOENT unless they take AT_EMPTY_PATH.
 */
int upath_get(uintptr_t upath, char **out);
void upath_put(char *path);

/*
 * The directory a relative path starts from: the cwd for AT_FDCWD, else
 * dirfd's node (referenced). -EBADF, -ENOTDIR.
 */
int at_start(int dirfd, struct vnode **out);

/* vfs_lookup relative to dirfd; -ENOENT for an empty path. */
int at_lookup(int dirfd, const char *path, unsigned int flags,
	      struct lookup *lk);
/* The same for a path at user address upath (upath_get's errors too). */
int at_lookup_user(int dirfd, uintptr_t upath, unsigned int flags,
		   struct lookup *lk);

/*
 * The existing node named by (dirfd, upath) with *at flags
 * (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH: then dirfd's own node, even when
 * it is not a directory). Referenced in *out.
 */
int at_node(int dirfd, uintptr_t upath, int atflags, struct vnode **out);

/*
 * The events of a finished unlink or rmdir of lk's node (IN_ATTRIB,
 * IN_DELETE_SELF when it goes, IN_DELETE), in Linux's order; ends lk.
 */
void notify_removed(struct lookup *lk);

/* rmdir relative to dirfd (rmdir, unlinkat AT_REMOVEDIR). */
long dir_remove_at(int dirfd, uintptr_t upath);

struct iovec;

/*
 * May f be read (written) with read(2) (write(2))? 0, -EBADF (O_PATH, the
 * wrong access mode), -EINVAL (a file without that operation).
 */
int rw_check_read(struct file *f);
int rw_check_write(struct file *f);

/*
 * Copy and check the app's iovec array of cnt entries into *out (kfree
 * it): the total length, or -EINVAL (cnt beyond UIO_MAXIOV, a total past
 * INT64_MAX), -EFAULT, -ENOMEM.
 */
long rw_get_iov(uintptr_t uiov, int cnt, struct iovec **out);

/*
 * fcntl F_ADD_SEALS and F_GET_SEALS (memfd.c): the seals, 0, -EINVAL
 * (not a tmpfs regular file, unknown seals), -EPERM (not open for
 * writing, or F_SEAL_SEAL already set).
 */
long memfd_fcntl(struct file *f, int cmd, unsigned int seals);

/* Open-file pointer for fd or NULL: shorthand for fd_get(current, fd). */
struct file *fd_file(int fd);

#endif
