/* ext4_namei.c - the namespace written: create, mkdir, symlink, link, unlink, rmdir, rename, and the orphan list. */
#include <asm-generic/errno.h>

#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/string.h"

/*
 * Each call is one handle: the entry, the inode and its parent commit
 * together. An inode whose last link goes while it may still be open
 * joins the orphan list (s_last_orphan, chained through i_dtime; ext4
 * docs, "Orphan List") in that same handle, and leaves it when
 * ext4_evict frees it: a crash in between leaves it on the list, and
 * the next mount frees it (ext4_orphans_process).
 */
/* Linux's EXT4_LINK_MAX: past it, dir_nlink counts a directory as 1. */
#define LINK_MAX 65000
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define S_IFCHR 0020000
#define S_IFBLK 0060000
#define S_IFIFO 0010000
#define S_IFSOCK 0140000
/* A symlink this short lives in i_block (a "fast" symlink). */
#define FAST_SYMLINK_MAX 60

static uint32_t ftype(const struct ext4_fs *fs, uint32_t mode)
{
	if (!(fs->incompat & EXT4_INCOMPAT_FILETYPE))
		return 0;
	switch (mode & S_IFMT) {
	case S_IFREG:
		return 1;
	case S_IFDIR:
		return 2;
	case S_IFCHR:
		return 3;
	case S_IFBLK:
		return 4;
	case S_IFIFO:
		return 5;
	case S_IFSOCK:
		return 6;
	case S_IFLNK:
		return 7;
	}
	return 0;
}

static bool is_dir(const struct ext4_inode *in)
{
	return (in->mode & S_IFMT) == S_IFDIR;
}

static void touch(struct ext4_inode *in, int64_t sec, uint32_t ns, bool data)
{
	in->ctime = sec;
	in->ctime_ns = ns;
	if (data) {
		in->mtime = sec;
		in->mtime_ns = ns;
	}
}

/* A directory gains a subdirectory's "..". */
static int nlink_inc(struct ext4_fs *fs, struct ext4_inode *dir)
{
	if (dir->nlink == 1 && (fs->ro_compat & EXT4_RO_COMPAT_DIR_NLINK))
		return 0;
	if (dir->nlink + 1 >= LINK_MAX) {
		if (!(fs->ro_compat & EXT4_RO_COMPAT_DIR_NLINK))
			return -EMLINK;
		dir->nlink = 1;
		return 0;
	}
	dir->nlink++;
	return 0;
}

static void nlink_dec(struct ext4_inode *dir)
{
	if (dir->nlink > 2)
		dir->nlink--;
}

static int name_check(struct ext4_fs *fs, struct ext4_inode *dir,
		      const char *name)
{
	size_t len = strlen(name);
	uint32_t ino;
	int err;

	if (len == 0 || len > EXT4_NAME_LEN)
		return -ENAMETOOLONG;
	if (!is_dir(dir))
		return -ENOTDIR;
	err = ext4_dir_lookup(fs, dir, name, &ino);
	return err == 0 ? -EEXIST : err == -ENOENT ? 0 : err;
}

static void inode_init(struct ext4_fs *fs, struct ext4_inode *in, uint32_t ino,
		       const struct ext4_new *nw)
{
	uint32_t type = nw->mode & S_IFMT;

	memset(in, 0, sizeof(*in));
	in->ino = ino;
	in->mode = nw->mode;
	in->uid = nw->uid;
	in->gid = nw->gid;
	in->nlink = type == S_IFDIR ? 2 : 1;
	in->atime = in->mtime = in->ctime = nw->sec;
	in->atime_ns = in->mtime_ns = in->ctime_ns = nw->ns;
	if ((fs->incompat & EXT4_INCOMPAT_EXTENTS) &&
	    (type == S_IFREG || type == S_IFDIR ||
	     (type == S_IFLNK && strlen(nw->target) >= FAST_SYMLINK_MAX))) {
		in->flags = EXT4_EXTENTS_FL;
		ext4_put16(in->block, 0xF30A);
		ext4_put16(in->block + 4, 4);
	} else if (type == S_IFLNK) {
		in->size = strlen(nw->target);
		memcpy(in->block, nw->target, in->size);
	} else if (type == S_IFCHR || type == S_IFBLK) {
		uint32_t major = (nw->rdev >> 8) & 0xfff;
		uint32_t minor = (nw->rdev & 0xff) |
				 ((nw->rdev >> 12) & 0xfff00);

		/* Linux's new_encode_dev, in i_block[1]. */
		ext4_put32(in->block + 4, (minor & 0xff) | (major << 8) |
						  ((minor & ~0xffU) << 12));
	}
}

/* A slow symlink's target: one block of its own (metadata). */
static int symlink_write(struct ext4_op *op, struct ext4_inode *in,
			 const char *target)
{
	size_t len = strlen(target);
	uint64_t pblk;
	uint32_t n = 1;
	struct bcache_buf *b;
	int err;

	if (len >= op->fs->block_size)
		return -ENAMETOOLONG;
	err = ext4_extent_alloc(op, in, 0, &pblk, &n, false);
	if (err < 0)
		return err;
	b = ext4_jbd2_get(op->h, pblk, false, &err);
	if (b == NULL)
		return err;
	memset(b->data, 0, op->fs->block_size);
	memcpy(b->data, target, len);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	in->size = len;
	return 0;
}

/* The new inode's contents: a directory's first block, a symlink's. */
static int create_body(struct ext4_op *op, struct ext4_inode *dir,
		       struct ext4_inode *in, const struct ext4_new *nw)
{
	int err = ext4_iput(op, in, true); /* sets the checksum seed */

	if (err == 0 && is_dir(in))
		err = ext4_dir_init(op, in, dir->ino);
	else if (err == 0 && (in->flags & EXT4_EXTENTS_FL) &&
		 (in->mode & S_IFMT) == S_IFLNK)
		err = symlink_write(op, in, nw->target);
	if (err == 0)
		err = ext4_iput(op, in, false);
	return err;
}

int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		const struct ext4_new *nw, struct ext4_inode *out)
{
	bool mkdir = (nw->mode & S_IFMT) == S_IFDIR;
	struct ext4_inode saved = *dir;
	struct ext4_op op;
	uint32_t ino;
	int err = name_check(fs, dir, name);

	if (err < 0)
		return err;
	if ((nw->mode & S_IFMT) == S_IFLNK &&
	    (nw->target == NULL || strlen(nw->target) >= fs->block_size))
		return -ENAMETOOLONG;
	if (mkdir && (err = nlink_inc(fs, dir)) < 0)
		return err;
	err = ext4_op_start(&op, fs, nw->root);
	if (err < 0)
		goto err_dir;
	err = ext4_ialloc(&op, dir->ino, mkdir, &ino);
	if (err < 0)
		goto err_op;
	inode_init(fs, out, ino, nw);
	err = create_body(&op, dir, out, nw);
	if (err == 0)
		err = ext4_dir_add(&op, dir, name, ino, ftype(fs, nw->mode));
	if (err < 0) {
		/*
		 * Undone in the same handle: the body has one block at most.
		 * The slot says no links again, as an evicted inode's does
		 * (ext4_ialloc refuses a free number whose slot has links).
		 * A FIFO, socket, device or short symlink has no extent tree.
		 */
		int e = 0;

		if (out->flags & EXT4_EXTENTS_FL)
			e = ext4_extent_truncate(&op, out, 0);

		out->nlink = 0;
		out->dtime = (uint32_t)nw->sec;
		if (e == 0)
			e = ext4_iput(&op, out, false);
		if (e == 0)
			e = ext4_ifree(&op, ino, mkdir);
		if (e < 0)
			ext4_op_abort(&op, err);
		goto err_op;
	}
	touch(dir, nw->sec, nw->ns, true);
	err = ext4_iput(&op, dir, false);
	if (err < 0)
		ext4_op_abort(&op, err);
	return ext4_op_stop(&op, err);
err_op:
	ext4_op_stop(&op, err);
err_dir:
	*dir = saved;
	return err;
}

/*
 * End op with err. A failure after the operation's first change
 * (changed) aborts the journal so no half of it commits (an -EIO
 * always does: ext4_op_stop).
 */
static int op_fail(struct ext4_op *op, int err, bool changed)
{
	if (err < 0 && changed)
		ext4_op_abort(op, err);
	return ext4_op_stop(op, err);
}

int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	      struct ext4_inode *in, int64_t sec, uint32_t ns)
{
	struct ext4_op op;
	int err = name_check(fs, dir, name);

	if (err < 0)
		return err;
	if (is_dir(in))
		return -EPERM;
	if (in->nlink >= LINK_MAX)
		return -EMLINK;
	if (in->nlink == 0)
		return -ENOENT;
	err = ext4_op_start(&op, fs, true);
	if (err < 0)
		return err;
	err = ext4_dir_add(&op, dir, name, in->ino, ftype(fs, in->mode));
	if (err < 0)
		return op_fail(&op, err, false);
	in->nlink++;
	touch(in, sec, ns, false);
	touch(dir, sec, ns, true);
	err = ext4_iput(&op, in, false);
	if (err == 0)
		err = ext4_iput(&op, dir, false);
	return op_fail(&op, err, true);
}

/*
 * in->orphan set if in is on the orphan list as the disk (or a held
 * copy) has it: ext4_iget cannot tell a tail that is not the head
 * (i_dtime 0) from an inode off the list. At most inodes_count steps,
 * so a list a crafted image loops ends; a link naming no inode ends it.
 */
int ext4_orphan_known(struct ext4_fs *fs, struct ext4_inode *in)
{
	uint32_t cur = fs->last_orphan;
	struct ext4_inode copy, *p;

	for (uint32_t k = 0; !in->orphan && cur != 0 &&
			     cur <= fs->inodes_count && k < fs->inodes_count;
	     k++) {
		int err = 0;

		if (cur == in->ino) {
			in->orphan = true;
			break;
		}
		p = fs->held != NULL ? fs->held(fs->held_arg, cur) : NULL;
		if (p == NULL) {
			p = &copy;
			err = ext4_iget(fs, cur, p);
		}
		if (err < 0)
			return err;
		cur = p->dtime;
	}
	return 0;
}

int ext4_orphan_add(struct ext4_op *op, struct ext4_inode *in)
{
	int err = ext4_orphan_known(op->fs, in);

	/* Twice would link it to itself (or close a cycle through it). */
	if (err < 0 || in->orphan)
		return err;
	in->dtime = op->fs->last_orphan;
	op->fs->last_orphan = in->ino;
	err = ext4_super_write(op);
	if (err == 0)
		in->orphan = true;
	return err;
}

/* A name of victim goes; victim loses the link (a directory: both). */
static int drop_link(struct ext4_op *op, struct ext4_inode *dir,
		     struct ext4_inode *victim, int64_t sec, uint32_t ns)
{
	if (is_dir(victim)) {
		victim->nlink = 0;
		nlink_dec(dir);
	} else if (victim->nlink > 0) {
		victim->nlink--;
	}
	touch(victim, sec, ns, false);
	if (victim->nlink == 0) {
		int err = ext4_orphan_add(op, victim);

		if (err < 0)
			return err;
	}
	return ext4_iput(op, victim, false);
}

/* May victim's name go (rmdir when isdir)? */
static int unlink_check(struct ext4_fs *fs, const struct ext4_inode *victim,
			bool isdir)
{
	int r;

	if (!isdir)
		return is_dir(victim) ? -EISDIR : 0;
	if (!is_dir(victim))
		return -ENOTDIR;
	r = ext4_dir_empty(fs, victim);
	return r < 0 ? r : r == 0 ? -ENOTEMPTY : 0;
}

int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		struct ext4_inode *victim, bool isdir, int64_t sec, uint32_t ns)
{
	struct ext4_op op;
	int err = unlink_check(fs, victim, isdir);

	if (err < 0)
		return err;
	err = ext4_op_start(&op, fs, true);
	if (err < 0)
		return err;
	err = ext4_dir_remove(&op, dir, name);
	if (err < 0)
		return op_fail(&op, err, false);
	err = drop_link(&op, dir, victim, sec, ns);
	if (err == 0) {
		touch(dir, sec, ns, true);
		err = ext4_iput(&op, dir, false);
	}
	return op_fail(&op, err, true);
}

static int rename_check(struct ext4_fs *fs, const struct ext4_inode *src,
			const struct ext4_inode *dst, bool has_dst)
{
	if (!has_dst)
		return 0;
	if (is_dir(src))
		return unlink_check(fs, dst, true);
	return is_dir(dst) ? -EISDIR : 0;
}

int ext4_rename(struct ext4_fs *fs, struct ext4_inode *fdir, const char *fname,
		struct ext4_inode *tdir, const char *tname,
		struct ext4_inode *src, struct ext4_inode *dst, bool has_dst,
		int64_t sec, uint32_t ns)
{
	bool moved = is_dir(src) && fdir->ino != tdir->ino;
	struct ext4_inode saved;
	struct ext4_op op;
	int err;

	if (strlen(tname) == 0 || strlen(tname) > EXT4_NAME_LEN)
		return -ENAMETOOLONG;
	if (has_dst && dst->ino == src->ino)
		return 0; /* two names of one inode: nothing happens */
	err = rename_check(fs, src, dst, has_dst);
	if (err < 0)
		return err;
	if (moved) {
		/* The one check that could fail late: made first. */
		saved = *tdir;
		err = nlink_inc(fs, tdir);
		if (err < 0)
			return err;
	}
	err = ext4_op_start(&op, fs, true);
	if (err < 0)
		goto err_tdir;
	/*
	 * Linux's order: the new name first (over dst's entry in place, or
	 * added: the only step that may need a block), then the old name
	 * goes, then dst loses its link. A failure before the first change
	 * changes nothing; one after it aborts the journal (op_fail).
	 */
	if (has_dst)
		err = ext4_dir_set_ino(&op, tdir, tname, src->ino,
				       ftype(fs, src->mode));
	else
		err = ext4_dir_add(&op, tdir, tname, src->ino,
				   ftype(fs, src->mode));
	if (err < 0) {
		op_fail(&op, err, false);
		goto err_tdir;
	}
	err = ext4_dir_remove(&op, fdir, fname);
	if (err == 0 && has_dst)
		err = drop_link(&op, tdir, dst, sec, ns);
	if (err == 0 && moved) {
		err = ext4_dir_set_dotdot(&op, src, tdir->ino);
		nlink_dec(fdir);
	}
	touch(src, sec, ns, false);
	touch(fdir, sec, ns, true);
	touch(tdir, sec, ns, true);
	if (err == 0)
		err = ext4_iput(&op, src, false);
	if (err == 0)
		err = ext4_iput(&op, fdir, false);
	if (err == 0 && tdir != fdir)
		err = ext4_iput(&op, tdir, false);
	return op_fail(&op, err, true);
err_tdir:
	if (moved)
		*tdir = saved;
	return err;
}

/*
 * Take in off the orphan list, wherever it is on it. The inode before
 * it gets in's link: in its in-memory copy when one is held (it may be
 * open, unlinked too), so that a later write of that copy keeps it.
 */
int ext4_orphan_del(struct ext4_op *op, struct ext4_inode *in)
{
	struct ext4_fs *fs = op->fs;
	uint32_t cur = fs->last_orphan;
	struct ext4_inode copy, *prev;

	if (cur == in->ino) {
		int err;

		fs->last_orphan = in->dtime;
		err = ext4_super_write(op);
		if (err == 0)
			in->orphan = false;
		return err;
	}
	for (uint32_t k = 0; cur != 0 && k < fs->inodes_count; k++) {
		int err = 0;

		prev = fs->held != NULL ? fs->held(fs->held_arg, cur) : NULL;
		if (prev == NULL) {
			prev = &copy;
			err = ext4_iget(fs, cur, prev);
		}
		if (err < 0)
			return err;
		if (prev->dtime == in->ino) {
			prev->dtime = in->dtime;
			err = ext4_iput(op, prev, false);
			if (err < 0)
				prev->dtime = in->ino;
			else
				in->orphan = false;
			return err;
		}
		cur = prev->dtime;
	}
	in->orphan = false;
	return 0; /* not on it */
}

int ext4_evict(struct ext4_fs *fs, struct ext4_inode *in, int64_t now)
{
	struct ext4_op op;
	int err = ext4_op_start(&op, fs, true);

	if (err < 0)
		return err;
	if (in->flags & EXT4_EXTENTS_FL)
		err = ext4_extent_truncate(&op, in, 0);
	if (err == 0)
		err = ext4_orphan_del(&op, in);
	if (err == 0) {
		in->size = 0;
		in->nlink = 0;
		in->dtime = (uint32_t)now;
		err = ext4_iput(&op, in, false);
	}
	if (err == 0)
		err = ext4_ifree(&op, in->ino, is_dir(in));
	return ext4_op_stop(&op, err);
}

int ext4_orphans_process(struct ext4_fs *fs, int64_t now)
{
	struct ext4_inode in;
	struct ext4_op op;
	uint32_t k;
	int err = 0;

	for (k = 0; fs->last_orphan != 0 && k < fs->inodes_count; k++) {
		err = ext4_iget(fs, fs->last_orphan, &in);
		if (err < 0)
			break;
		if (in.nlink == 0) {
			err = ext4_evict(fs, &in, now);
			if (err < 0)
				break;
			continue;
		}
		/* A truncate the crash cut short: finish it, then off. */
		err = ext4_op_start(&op, fs, true);
		if (err < 0)
			break;
		/*
		 * Only a regular file's extent tree is cut (as ext4_truncate):
		 * a fast symlink's or a device's i_block is no map, and
		 * reading it as one would zero a block the image names.
		 */
		if ((in.mode & S_IFMT) == S_IFREG &&
		    (in.flags & EXT4_EXTENTS_FL)) {
			err = ext4_extent_truncate(&op, &in,
						   (in.size + fs->block_size -
						    1) / fs->block_size);
			/* the cut's tail may hold old bytes (Linux zeroes too) */
			if (err == 0)
				err = ext4_zero_tail(fs, &in, in.size);
		}
		if (err == 0)
			err = ext4_orphan_del(&op, &in);
		if (err == 0) {
			in.dtime = 0;
			err = ext4_iput(&op, &in, false);
		}
		err = ext4_op_stop(&op, err);
		if (err < 0)
			break;
	}
	return err;
}
