/* perm.c - access checks of nodes against the caller's credentials. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/cred.h"

/*
 * POSIX permission check against the effective ids (mask: 4 read, 2 write,
 * 1 exec); the group bits apply when the effective group or any
 * supplementary one is the node's. Root passes everything except exec of
 * a file with no x bit.
 */
int vfs_writable(const struct vnode *vn)
{
	return (vn->vflags & VN_RDONLY) ? -EROFS : 0;
}

int vfs_permission(struct vnode *vn, int mask)
{
	const struct cred *cred = current_cred();
	uint32_t uid = cred->euid, bits = vn->mode;

	if ((mask & 2) && (vn->vflags & VN_RDONLY) &&
	    (S_ISREG(vn->mode) || S_ISDIR(vn->mode) || S_ISLNK(vn->mode)))
		return -EROFS;

	if (uid == 0) {
		if ((mask & 1) && !S_ISDIR(vn->mode) && !(vn->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (uid == vn->uid)
		bits >>= 6;
	else if (cred_in_group(cred, vn->gid)) /* supplementary ones too */
		bits >>= 3;
	return ((bits & 7) & (uint32_t)mask) == (uint32_t)mask ? 0 : -EACCES;
}
