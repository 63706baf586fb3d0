/* ext4_vfs_write.c - the VFS hooks that change an ext4 mount: write, fsync, create, symlink, unlink, rename, link, truncate, fallocate, setattr. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "core/cred.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_vfs.h"
#include "fs/ext4_write.h"
#include "fs/vfs.h"
#include "lib/string.h"

/*
 * Each hook holds the mount's lock (ext4_lock) for the whole change,
 * works on the shared in-memory inodes (ext4_vfs.h) and then
 * refreshes the vnode it was called on; other nodes of the same inode
 * refresh at their next stat. New inodes are owned by the caller's
 * effective ids (core/cred.h), with setgid directories' BSD rule.
 */
/* How far rename looks up for the moved directory among tdir's parents. */
#define RENAME_DEPTH_MAX 4096

static struct ext4_fs *fs_of(const struct vnode *vn)
{
	return node_of(vn)->m->fs;
}

static struct ext4_inode *in_of(const struct vnode *vn)
{
	return &node_of(vn)->ie->in;
}

static bool caller_is_root(void)
{
	return current_cred()->euid == 0;
}

static long write_locked(struct file *f, const void *buf, size_t n,
			 uint64_t *pos)
{
	struct ext4_inode *in = in_of(f->vn), before;
	long r;

	if (fs_of(f->vn)->ro)
		return -EROFS;
	if (f->flags & O_APPEND)
		*pos = in->size;
	if (n == 0)
		return 0;
	before = *in;
	ext4_now(&in->mtime, &in->mtime_ns);
	in->ctime = in->mtime;
	in->ctime_ns = in->mtime_ns;
	r = ext4_file_write(fs_of(f->vn), in, *pos, buf, n, caller_is_root());
	/* nothing written (no tree grown): the times were never either */
	if (r < 0 && in->blocks512 == before.blocks512)
		*in = before;
	ext4_node_sync(f->vn);
	if (r > 0) {
		ext4_cache_written(node_of(f->vn)->ie, *pos, buf, (uint64_t)r);
		*pos += (uint64_t)r;
	}
	return r;
}

long ext4_vfs_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	struct ext4_mount *m = node_of(f->vn)->m;
	long r;

	ext4_lock(m);
	r = write_locked(f, buf, n, pos);
	ext4_unlock(m);
	return r;
}

/* The commit's error, else a write-back error of this file's blocks, once. */
int ext4_vfs_fsync(struct file *f)
{
	struct ext4_fs *fs = fs_of(f->vn);
	int err, e;

	if (fs->ro)
		return 0;
	err = ext4_jbd2_commit(fs);
	e = bcache_take_owner_err(fs->dev, in_of(f->vn)->ino);
	return err < 0 ? err : e;
}

static int make_locked(struct vnode *dir, const char *name, uint32_t mode,
		       const char *target, struct vnode **out)
{
	struct ext4_inode made;
	struct cred *c = current_cred();
	struct ext4_new nw = { .mode = mode,
			       .uid = c->euid,
			       .gid = c->egid,
			       .target = target,
			       .root = c->euid == 0 };
	int err;

	if (fs_of(dir)->ro)
		return -EROFS;
	if ((mode & S_IFMT) == 0)
		nw.mode |= S_IFREG;
	if (dir->mode & S_ISGID) {
		nw.gid = dir->gid;
		if (S_ISDIR(mode))
			nw.mode |= S_ISGID;
	}
	ext4_now(&nw.sec, &nw.ns);
	err = ext4_create(fs_of(dir), in_of(dir), name, &nw, &made);
	ext4_node_sync(dir);
	if (err < 0 || out == NULL)
		return err;
	*out = ext4_vnode(dir, name, made.ino);
	return *out != NULL ? 0 : -EIO;
}

static int make(struct vnode *dir, const char *name, uint32_t mode,
		const char *target, struct vnode **out)
{
	struct ext4_mount *m = node_of(dir)->m;
	int r;

	ext4_lock(m);
	r = make_locked(dir, name, mode, target, out);
	ext4_unlock(m);
	return r;
}

int ext4_vfs_create(struct vnode *dir, const char *name, uint32_t mode,
		    struct vnode **out)
{
	return make(dir, name, mode, NULL, out);
}

int ext4_vfs_symlink(struct vnode *dir, const char *name, const char *target)
{
	return make(dir, name, S_IFLNK | 0777, target, NULL);
}

/* The shared inode named name in dir, referenced: NULL with *err. */
static struct ext4_ino *child(struct vnode *dir, const char *name, int *err)
{
	uint32_t ino;

	*err = ext4_dir_lookup(fs_of(dir), in_of(dir), name, &ino);
	if (*err < 0)
		return NULL;
	return ext4_ino_get(node_of(dir)->m, ino, err);
}

/* The syscall layer checked the type: a directory is removed as one. */
static int unlink_locked(struct vnode *dir, const char *name)
{
	struct ext4_mount *m = node_of(dir)->m;
	struct ext4_ino *v;
	int64_t sec;
	uint32_t ns;
	int err;

	if (m->fs->ro)
		return -EROFS;
	v = child(dir, name, &err);
	if (v == NULL)
		return err;
	ext4_now(&sec, &ns);
	err = ext4_unlink(m->fs, in_of(dir), name, &v->in, S_ISDIR(v->in.mode),
			  sec, ns);
	ext4_ino_put(m, v); /* evicted here unless still open */
	ext4_node_sync(dir);
	return err;
}

int ext4_vfs_unlink(struct vnode *dir, const char *name)
{
	struct ext4_mount *m = node_of(dir)->m;
	int r;

	ext4_lock(m);
	r = unlink_locked(dir, name);
	ext4_unlock(m);
	return r;
}

/* Is directory inode anc tdir itself or one of its parents? */
static int is_ancestor(struct ext4_mount *m, uint32_t anc, uint32_t tdir)
{
	uint32_t cur = tdir;
	int err = 0;

	for (int k = 0; k < RENAME_DEPTH_MAX; k++) {
		struct ext4_ino *ie;
		uint32_t up;

		if (cur == anc)
			return 1;
		if (cur == EXT4_ROOT_INO)
			return 0;
		ie = ext4_ino_get(m, cur, &err);
		if (ie == NULL)
			return err;
		err = ext4_dir_lookup(m->fs, &ie->in, "..", &up);
		ext4_ino_put(m, ie);
		if (err < 0)
			return err;
		cur = up;
	}
	return -ELOOP;
}

static int rename_locked(struct vnode *fdir, const char *fname,
			 struct vnode *tdir, const char *tname)
{
	struct ext4_mount *m = node_of(fdir)->m;
	struct ext4_ino *src, *dst;
	struct ext4_inode none;
	int64_t sec;
	uint32_t ns;
	int err;

	if (tdir->ops != &ext4_dir_vops || node_of(tdir)->m != m)
		return -EXDEV;
	if (m->fs->ro)
		return -EROFS;
	src = child(fdir, fname, &err);
	if (src == NULL)
		return err;
	dst = child(tdir, tname, &err);
	if (dst == NULL && err != -ENOENT)
		goto out_src;
	err = 0;
	if (S_ISDIR(src->in.mode) && fdir != tdir) {
		err = is_ancestor(m, src->in.ino, in_of(tdir)->ino);
		if (err > 0)
			err = -EINVAL; /* into itself */
	}
	ext4_now(&sec, &ns);
	if (err == 0)
		err = ext4_rename(m->fs, in_of(fdir), fname, in_of(tdir), tname,
				  &src->in, dst ? &dst->in : &none, dst != NULL,
				  sec, ns);
	if (dst != NULL)
		ext4_ino_put(m, dst);
	ext4_node_sync(fdir);
	ext4_node_sync(tdir);
out_src:
	ext4_ino_put(m, src);
	return err;
}

int ext4_vfs_rename(struct vnode *fdir, const char *fname, struct vnode *tdir,
		    const char *tname)
{
	struct ext4_mount *m = node_of(fdir)->m;
	int r;

	ext4_lock(m);
	r = rename_locked(fdir, fname, tdir, tname);
	ext4_unlock(m);
	return r;
}

static int link_locked(struct vnode *dir, const char *name, struct vnode *vn)
{
	int64_t sec;
	uint32_t ns;
	int err;

	if (vn->ops == NULL || vn->ops->setattr != ext4_vfs_setattr ||
	    node_of(vn)->m != node_of(dir)->m)
		return -EXDEV;
	if (fs_of(dir)->ro)
		return -EROFS;
	ext4_now(&sec, &ns);
	err = ext4_link(fs_of(dir), in_of(dir), name, in_of(vn), sec, ns);
	ext4_node_sync(dir);
	ext4_node_sync(vn);
	return err;
}

int ext4_vfs_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct ext4_mount *m = node_of(dir)->m;
	int r;

	ext4_lock(m);
	r = link_locked(dir, name, vn);
	ext4_unlock(m);
	return r;
}

static int truncate_locked(struct vnode *vn, uint64_t size)
{
	struct ext4_inode *in = in_of(vn);
	int64_t sec;
	uint32_t ns;
	int err;

	if (fs_of(vn)->ro)
		return -EROFS;
	if (!S_ISREG(in->mode))
		return S_ISDIR(in->mode) ? -EISDIR : -EINVAL;
	ext4_now(&sec, &ns);
	err = ext4_truncate(fs_of(vn), in, size, caller_is_root(), sec, ns);
	ext4_node_sync(vn);
	return err;
}

int ext4_vfs_truncate(struct vnode *vn, uint64_t size)
{
	struct ext4_mount *m = node_of(vn)->m;
	int r;

	ext4_lock(m);
	r = truncate_locked(vn, size);
	ext4_unlock(m);
	return r;
}

static int setattr_locked(struct vnode *vn, const struct vfs_attr *a)
{
	struct ext4_inode *in = in_of(vn), next;
	int err;

	if (fs_of(vn)->ro)
		return -EROFS;
	/*
	 * Only the fields the call set, onto the inode as it is now under
	 * the lock: vn's others may be stale (a writer's sync meanwhile,
	 * another name's vnode). The shared inode changes only once the
	 * journal has it, and a failure puts vn back from it.
	 */
	next = *in;
	if (a->mask & VFS_A_MODE)
		next.mode = a->mode;
	/* chown: from the inode's mode now, which another name may have set */
	next.mode = vfs_attr_kill(next.mode, a->mask);
	if (a->mask & VFS_A_UID)
		next.uid = a->uid;
	if (a->mask & VFS_A_GID)
		next.gid = a->gid;
	if (a->mask & VFS_A_ATIME) {
		next.atime = a->atime.sec;
		next.atime_ns = (uint32_t)a->atime.nsec;
	}
	if (a->mask & VFS_A_MTIME) {
		next.mtime = a->mtime.sec;
		next.mtime_ns = (uint32_t)a->mtime.nsec;
	}
	if (a->mask & VFS_A_CTIME) {
		next.ctime = a->ctime.sec;
		next.ctime_ns = (uint32_t)a->ctime.nsec;
	}
	err = ext4_setattr(fs_of(vn), in, &next);
	ext4_node_sync(vn);
	return err;
}

int ext4_vfs_setattr(struct vnode *vn, const struct vfs_attr *a)
{
	struct ext4_mount *m = node_of(vn)->m;
	int r;

	ext4_lock(m);
	r = setattr_locked(vn, a);
	ext4_unlock(m);
	return r;
}

static int fallocate_locked(struct vnode *vn, int mode, uint64_t off,
			    uint64_t len)
{
	struct ext4_inode *in = in_of(vn);
	uint64_t size = in->size;
	int err;

	if (fs_of(vn)->ro)
		return -EROFS;
	err = ext4_fallocate(fs_of(vn), in, mode, off, len, caller_is_root());
	if (err == 0 && in->size != size) {
		struct ext4_inode next = *in;

		ext4_now(&next.mtime, &next.mtime_ns);
		next.ctime = next.mtime;
		next.ctime_ns = next.mtime_ns;
		err = ext4_setattr(fs_of(vn), in, &next);
	}
	ext4_node_sync(vn);
	return err;
}

int ext4_vfs_fallocate(struct vnode *vn, int mode, uint64_t off, uint64_t len)
{
	struct ext4_mount *m = node_of(vn)->m;
	int r;

	ext4_lock(m);
	r = fallocate_locked(vn, mode, off, len);
	ext4_unlock(m);
	return r;
}
