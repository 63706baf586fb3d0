/* sys_size.c - truncate, ftruncate, fallocate, the syncs (fsync ... sync_file_range), fadvise64, readahead. */
#include <asm-generic/errno.h>
#include <linux/fadvise.h>
#include <linux/falloc.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "fs/bcache.h"
#include "fs/blkdev.h"
#include "fs/notify.h"
#include "linux/mm.h"
#include "linux/pipe.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * Set the size of vn to len. Pages cut off leave the mappings too: one
 * process holds every mapping, so its areas are walked here, where
 * truncate comes in, rather than a list of areas kept per node in fs/.
 */
static int resize(struct vnode *vn, int64_t len)
{
	/* The pages' node: its size is exact (a disk's nodes lag) */
	struct vnode *mn = vfs_mapped_node(vn);
	uint64_t old = mn ? mn->reg.size : 0;
	int err;

	if (len < 0)
		return -EINVAL;
	err = tmpfs_truncate(vn, (uint64_t)len);
	if (err == 0 && (uint64_t)len < old)
		mm_file_truncated_all(mn, (uint64_t)len);
	if (err == 0) {
		vfs_touch(vn, VFS_T_M | VFS_T_C);
		vn->mode &= ~(uint32_t)S_ISUID;
		fsnotify_node(vn, IN_MODIFY); /* fsnotify_change, ATTR_SIZE */
	}
	return err;
}

long sys_truncate(uintptr_t path, int64_t len)
{
	struct vnode *vn;
	int err;

	if (len < 0)
		return -EINVAL;
	err = at_node(AT_FDCWD, path, 0, &vn);
	if (err < 0)
		return err;
	if (S_ISDIR(vn->mode))
		err = -EISDIR;
	else if (!S_ISREG(vn->mode))
		err = -EINVAL;
	else
		err = vfs_permission(vn, 2);
	if (err == 0)
		err = resize(vn, len);
	vnode_put(vn);
	return err;
}
SYSCALL2(truncate);

/* The regular file behind fd, open for writing; -EBADF/-EINVAL. */
static int writable_reg(int fd, struct file **out)
{
	struct file *f = fd_file(fd);

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (f->vn == NULL || !S_ISREG(f->vn->mode) ||
	    (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	*out = f;
	return 0;
}

long sys_ftruncate(int fd, int64_t len)
{
	struct file *f;
	int err = writable_reg(fd, &f);

	if (err < 0)
		return err;
	return resize(f->vn, len);
}
SYSCALL2(ftruncate);

/* Zero [off, off+len) inside the file without changing its size. */
static int punch_hole(struct vnode *vn, uint64_t off, uint64_t len)
{
	static const char zeros[256];
	uint64_t end = off + len;

	if (end > vn->reg.size)
		end = vn->reg.size;
	while (off < end) {
		size_t n = end - off < sizeof(zeros) ? end - off :
						       sizeof(zeros);
		long r = tmpfs_write(vn, zeros, n, off);

		if (r < 0)
			return (int)r;
		off += (uint64_t)r;
	}
	return 0;
}

/*
 * Mode 0 reserves and extends; KEEP_SIZE alone has nothing to reserve in
 * memory; PUNCH_HOLE|KEEP_SIZE zeroes the range. Others: -EOPNOTSUPP.
 */
static long do_fallocate(struct vnode *vn, int mode, int64_t off, int64_t len)
{
	if (vn->ops != NULL && vn->ops->fallocate != NULL)
		return vn->ops->fallocate(vn, mode, (uint64_t)off,
					  (uint64_t)len);
	/* A volume's data is the host's: only growing goes through it. */
	if (vn->ops != NULL && vn->ops->truncate != NULL && mode != 0)
		return -EOPNOTSUPP;
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return punch_hole(vn, (uint64_t)off, (uint64_t)len);
	if (mode == FALLOC_FL_KEEP_SIZE)
		return 0;
	if (mode != 0)
		return -EOPNOTSUPP;
	if ((uint64_t)(off + len) <= vn->reg.size)
		return 0;
	return resize(vn, off + len);
}

long sys_fallocate(int fd, int mode, int64_t off, int64_t len)
{
	long r;
	struct file *f = fd_file(fd);
	struct vnode *vn;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (f == NULL || (f->flags & O_PATH) ||
	    (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (f->vn == NULL)
		return -ESPIPE;
	vn = f->vn;
	if (S_ISDIR(vn->mode))
		return -EISDIR;
	if (!S_ISREG(vn->mode))
		return -ENODEV;
	if (off > INT64_MAX - len)
		return -EFBIG;
	r = do_fallocate(vn, mode, off, len);
	if (r == 0) /* vfs_fallocate's fsnotify_modify, once */
		fsnotify_node(vn, IN_MODIFY);
	return r;
}
SYSCALL4(fallocate);

/*
 * Files in memory have nothing to write back; a disk's device file
 * writes its dirty blocks and flushes the device (fs/blkdev.c).
 */
long sys_fsync(int fd)
{
	struct file *f = fd_file(fd);
	int err = 0, e;

	if (f == NULL)
		return -EBADF;
	/* a disk file's stores through shared maps first (linux/mm.h) */
	if (f->vn != NULL && S_ISREG(f->vn->mode))
		err = mm_file_writeback(vfs_mapped_node(f->vn), 0, UINT64_MAX,
					VFS_WB_REPORT);
	e = f->ops->fsync ? f->ops->fsync(f) : 0;
	return err < 0 ? err : e;
}
SYSCALL1(fsync);

long sys_fdatasync(int fd)
{
	return sys_fsync(fd);
}
SYSCALL1(fdatasync);

/*
 * Every disk: the file systems on disks share one cache. A write-back
 * error of any block since the last syncfs is reported once, whoever's
 * it was, as Linux's superblock errseq (simplified: once per disk, not
 * once per open file; fsync's per-file errors are apart).
 */
long sys_syncfs(int fd)
{
	int err, e, s;

	if (fd_file(fd) == NULL)
		return -EBADF;
	err = mm_writeback_all();
	e = blkdev_sync_all(true);
	s = bcache_take_sync_err_all();
	return e < 0 ? e : err < 0 ? err : s;
}
SYSCALL1(syncfs);

/* sync(2) reports nothing: errors wait for an fsync. */
long sys_sync(void)
{
	mm_writeback_all();
	blkdev_sync_all(false);
	return 0;
}
SYSCALL0(sync);

#define SFR_WAIT_BEFORE 1U
#define SFR_WRITE 2U
#define SFR_WAIT_AFTER 4U
#define SFR_ALL (SFR_WAIT_BEFORE | SFR_WRITE | SFR_WAIT_AFTER)

/*
 * sync_file_range(2): Linux's checks (flags, a negative or wrapping
 * range: EINVAL; not a regular file, directory or symlink: ESPIPE),
 * then nothing to write back.
 */
long sys_sync_file_range(int fd, int64_t off, int64_t nbytes,
			 unsigned int flags)
{
	struct file *f = fd_file(fd);
	uint64_t end = (uint64_t)off + (uint64_t)nbytes;

	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if ((flags & ~SFR_ALL) || off < 0 || (int64_t)end < 0 ||
	    end < (uint64_t)off)
		return -EINVAL;
	if (f->vn == NULL || !(S_ISREG(f->vn->mode) || S_ISDIR(f->vn->mode) ||
			       S_ISLNK(f->vn->mode)))
		return -ESPIPE;
	return 0;
}
SYSCALL4(sync_file_range);

/*
 * fadvise64(2) as tmpfs (Linux's generic_fadvise with no backing
 * device) answers: a pipe is ESPIPE, a negative length or an advice
 * outside POSIX_FADV_NORMAL..NOREUSE is EINVAL, the rest is accepted and
 * changes nothing (there is no page cache to tune).
 */
long sys_fadvise64(int fd, int64_t off, int64_t len, int advice)
{
	struct file *f = fd_file(fd);

	(void)off;
	if (f == NULL || (f->flags & O_PATH))
		return -EBADF;
	if (file_is_pipe(f))
		return -ESPIPE;
	if (len < 0 || advice < POSIX_FADV_NORMAL ||
	    advice > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0;
}
SYSCALL4(fadvise64);

/*
 * readahead(2): fadvise WILLNEED of a readable regular file, else EBADF
 * or EINVAL (a count past INT64_MAX is a negative length there).
 */
long sys_readahead(int fd, int64_t off, size_t count)
{
	struct file *f = fd_file(fd);

	(void)off;
	if (f == NULL || rw_check_read(f) == -EBADF)
		return -EBADF;
	if (f->vn == NULL || !S_ISREG(f->vn->mode) || (int64_t)count < 0)
		return -EINVAL;
	return 0;
}
SYSCALL3(readahead);
