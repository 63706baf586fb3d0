/* attr.c - node attributes as stat(2) reports them. */
#include "fs/vfs.h"

#include <asm/stat.h>
#include <linux/stat.h>

#include "core/cred.h"
#include "lib/string.h"

/*
 * vfs_stat stores each field by name and no memset covers the gaps: the
 * fields must tile the struct, or a gap would carry kernel stack bytes out.
 */
#define STAT_FIELD(f) sizeof(((struct stat *)0)->f)
_Static_assert(
	STAT_FIELD(st_dev) + STAT_FIELD(st_ino) + STAT_FIELD(st_nlink) +
			STAT_FIELD(st_mode) + STAT_FIELD(st_uid) +
			STAT_FIELD(st_gid) + STAT_FIELD(__pad0) +
			STAT_FIELD(st_rdev) + STAT_FIELD(st_size) +
			STAT_FIELD(st_blksize) + STAT_FIELD(st_blocks) +
			STAT_FIELD(st_atime) + STAT_FIELD(st_atime_nsec) +
			STAT_FIELD(st_mtime) + STAT_FIELD(st_mtime_nsec) +
			STAT_FIELD(st_ctime) + STAT_FIELD(st_ctime_nsec) +
			STAT_FIELD(__unused) ==
		sizeof(struct stat),
	"struct stat has bytes vfs_stat does not store");

void vfs_stat(struct vnode *vn, struct stat *st)
{
	vfs_dir_populate(vn); /* its link count counts the delayed entries */
	/*
	 * Every field stored once, the padding too: a memset of the whole
	 * struct first cost more guest instructions than the fields (stat
	 * of a tmpfs file, counted with QEMU -icount).
	 */
	st->st_dev = VFS_DEV;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = vn->nlink;
	st->st_uid = vn->uid;
	st->st_gid = vn->gid;
	st->__pad0 = 0;
	st->st_rdev = vn->rdev;
	st->st_blksize = VFS_BLKSIZE;
	st->st_size = 0;
	st->st_blocks = 0;
	st->__unused[0] = st->__unused[1] = st->__unused[2] = 0;
	if (S_ISREG(vn->mode)) {
		st->st_size = vn->reg.size;
		st->st_blocks = (tmpfs_allocated(vn) + 511) / 512;
	} else if (S_ISLNK(vn->mode)) {
		st->st_size = vn->lnk.len;
	} else if (S_ISDIR(vn->mode)) {
		st->st_size = VFS_BLKSIZE; /* as ext4 reports; tmpfs differs */
		st->st_blocks = 8;
	}
	st->st_atime = (unsigned long)vn->atime.sec;
	st->st_atime_nsec = (unsigned long)vn->atime.nsec;
	st->st_mtime = (unsigned long)vn->mtime.sec;
	st->st_mtime_nsec = (unsigned long)vn->mtime.nsec;
	st->st_ctime = (unsigned long)vn->ctime.sec;
	st->st_ctime_nsec = (unsigned long)vn->ctime.nsec;
	if (vn->ops != NULL && vn->ops->stat != NULL)
		vn->ops->stat(vn, st);
}

void vfs_stat_nodeless(struct stat *st, uint32_t mode, uint64_t ino,
		       uint64_t dev)
{
	const struct cred *cred = current_cred();

	st->st_mode = mode;
	st->st_nlink = 1;
	st->st_ino = ino;
	st->st_dev = dev;
	st->st_uid = cred->euid;
	st->st_gid = cred->egid;
}
