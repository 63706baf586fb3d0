/* ext4_file_write.c - a file's data written: into holes and unwritten extents, extending it, truncate, fallocate, setattr. */
#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/string.h"

/*
 * Data is not journaled (ordered mode, ext4_jbd2.h): it goes to the
 * block cache, and the commit that makes the extent pointing at it
 * durable writes it first. Each extent's worth of a write is one
 * handle, so a big write never needs more credits than one op.
 */
#define FALLOC_FL_KEEP_SIZE 1
/* 32-bit logical block numbers: the largest file ext4 extents map. */
#define LBLK_LIMIT (1ULL << 32)

/*
 * Write bytes [in_blk, in_blk+n) of block pblk of inode ino from src; a
 * block that held no data before (fresh) gets zeros around them. The
 * buffer is the inode's, so a failed write-back of it is that file's
 * fsync's error, not any file's on the disk.
 */
static int data_put(struct ext4_fs *fs, uint32_t ino, uint64_t pblk,
		    uint32_t in_blk, const uint8_t *src, uint32_t n, bool fresh,
		    uint8_t *tmp)
{
	uint64_t off = pblk * fs->block_size;
	long r;

	if (fresh && n < fs->block_size) {
		memset(tmp, 0, fs->block_size);
		memcpy(tmp + in_blk, src, n);
		src = tmp;
		in_blk = 0;
		n = fs->block_size;
	}
	r = bcache_write_owned(fs->dev, off + in_blk, src, n, ino);
	return r == (long)n ? 0 : -EIO;
}

/*
 * Did op's failure err end the journal (ext4_op_stop aborts on EIO, a
 * failed ext4_jbd2_get or ext4_iput aborted already)? Then nothing
 * its handle holds commits, and *in goes back with it.
 */
static bool op_aborts(const struct ext4_op *op, int err)
{
	return err == -EIO || err == -EFSCORRUPTED ||
	       (op->h != NULL && ext4_handle_aborted(op->h));
}

/*
 * The end of one handle of a write or fallocate that changed *in from
 * saved: done bytes written (fallocate: 0), err the step's failure if
 * any. Nothing done and the tree as it was, or the journal ended: *in
 * goes back. Else in is written, since the handle may hold a new tree
 * block in points at, or the block would belong to nobody; a failed
 * update puts *in back too and is the result. done, or -ERRNO.
 */
static long step_end(struct ext4_op *op, struct ext4_inode *in,
		     const struct ext4_inode *saved, size_t done, int err)
{
	int e;

	if (done == 0 && err < 0 &&
	    (in->blocks512 == saved->blocks512 || op_aborts(op, err))) {
		*in = *saved;
		return ext4_op_stop(op, err);
	}
	e = ext4_iput(op, in, false);
	if (e < 0) {
		*in = *saved;
		ext4_op_stop(op, e);
		return e;
	}
	err = ext4_op_stop(op, err);
	return done > 0 ? (long)done : err;
}

/* Blocks for [lblk, lblk+*n): mapped now, *fresh when just made. */
static int map_for_write(struct ext4_op *op, struct ext4_inode *in,
			 uint64_t lblk, uint64_t *pblk, uint32_t *n,
			 bool *fresh)
{
	uint64_t count;
	bool unw;
	int err = ext4_bmap_raw(op->fs, in, lblk, pblk, &count, &unw);

	if (err < 0)
		return err;
	if (count < *n)
		*n = (uint32_t)count;
	*fresh = *pblk == 0 || unw;
	if (*pblk == 0)
		return ext4_extent_alloc(op, in, lblk, pblk, n, false);
	if (unw)
		return ext4_extent_convert(op, in, lblk, pblk, n);
	return 0;
}

/* One handle's worth of ext4_file_write: bytes written or -ERRNO. */
static long write_step(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off,
		       const uint8_t *src, size_t n, bool root, uint8_t *tmp)
{
	uint32_t bs = fs->block_size, in_blk = (uint32_t)(off % bs), nblk;
	uint64_t lblk = off / bs, pblk, last = (off + n - 1) / bs;
	struct ext4_op op;
	size_t done = 0;
	struct ext4_inode saved = *in;
	bool fresh = false, mapped;
	int err;

	nblk = last - lblk + 1 > 32768 ? 32768 : (uint32_t)(last - lblk + 1);
	err = ext4_op_start(&op, fs, root);
	if (err < 0)
		return err;
	err = map_for_write(&op, in, lblk, &pblk, &nblk, &fresh);
	mapped = err == 0;
	for (uint32_t k = 0; err == 0 && k < nblk; k++) {
		uint32_t m = bs - in_blk;

		/* Blocks mapped by an aborted handle may be the last commit's. */
		if (op.h != NULL && ext4_handle_aborted(op.h)) {
			err = -EIO;
			break;
		}

		if (m > n - done)
			m = (uint32_t)(n - done);
		err = data_put(fs, in->ino, pblk + k, in_blk, src + done, m,
			       fresh, tmp);
		if (err == 0)
			done += m;
		in_blk = 0;
	}
	/*
	 * Blocks mapped for this step but not written would show what the
	 * disk held before (another file's bytes): the mapping must not
	 * commit, so the journal is aborted, as for any failure halfway.
	 */
	if (err < 0 && mapped && fresh) {
		*in = saved; /* the tree as the disk still has it */
		ext4_op_abort(&op, err);
		ext4_op_stop(&op, err);
		return err;
	}
	if (done > 0 && off + done > in->size)
		in->size = off + done;
	/*
	 * Nothing written: *in goes back, unless the tree grew whole before
	 * the failure and the journal keeps running (ENOSPC for the next
	 * level). The bytes count only once the inode saying where they
	 * are and how far the file goes is in the transaction (Linux's
	 * ext4_write_end returns the error instead): a failed update has
	 * aborted the journal, so fsync reports it too.
	 */
	return step_end(&op, in, &saved, done, err);
}

/*
 * Before a write or fallocate past i_size of a linked inode an earlier
 * cut left on the orphan list (it stopped partway): that cut first, or
 * blocks past the old size would show their old bytes inside the new
 * size. The cut's times are the inode's own mtime.
 */
static int cut_first(struct ext4_fs *fs, struct ext4_inode *in, bool root)
{
	int err;

	if (in->nlink == 0 || fs->last_orphan == 0)
		return 0;
	err = ext4_orphan_known(fs, in);
	if (err < 0 || !in->orphan)
		return err;
	return ext4_truncate(fs, in, in->size, root, in->mtime, in->mtime_ns);
}

long ext4_file_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off,
		     const void *buf, size_t n, bool root)
{
	uint64_t limit = LBLK_LIMIT * fs->block_size;
	uint8_t *tmp;
	size_t done = 0;
	long r = 0;

	if (off >= limit)
		return n ? -EFBIG : 0;
	if (n > limit - off)
		n = (size_t)(limit - off);
	if (n > 0 && off + n > in->size && (r = cut_first(fs, in, root)) < 0)
		return r;
	tmp = kmalloc(fs->block_size);
	if (tmp == NULL)
		return -ENOMEM;
	while (done < n) {
		r = write_step(fs, in, off + done, (const uint8_t *)buf + done,
			       n - done, root, tmp);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	kfree(tmp);
	return done > 0 ? (long)done : r;
}

int ext4_zero_tail(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size)
{
	uint32_t bs = fs->block_size, at = (uint32_t)(size % bs);
	uint64_t pblk, count;
	uint8_t *zero;
	long r;
	int err;

	/* a fast symlink's or a device's i_block maps nothing */
	if (at == 0 || (in->mode & S_IFMT) != S_IFREG)
		return 0;
	err = ext4_bmap(fs, in, size / bs, &pblk, &count);
	if (err < 0 || pblk == 0)
		return err;
	/* written past the journal: never a block of the metadata */
	err = ext4_block_valid(fs, in->ino, pblk, 1, "tail");
	if (err < 0)
		return err;
	zero = kzalloc(bs);
	if (zero == NULL)
		return -ENOMEM;
	r = bcache_write_owned(fs->dev, pblk * bs + at, zero, bs - at, in->ino);
	kfree(zero);
	return r == (long)(bs - at) ? 0 : -EIO;
}

/*
 * *in and the orphan list's head (head) as before a truncate none of
 * which commits.
 */
static void truncate_put_back(struct ext4_fs *fs, struct ext4_inode *in,
			      const struct ext4_inode *saved, uint32_t head)
{
	/* in joined (added) or left (orphan_del went through) in memory */
	fs->last_orphan = head;
	*in = *saved;
}

/*
 * The new size is written first and the blocks past it freed in steps
 * (ext4_extent_truncate restarts the handle when it runs low), with
 * the inode on the orphan list meanwhile, as Linux's ext4_truncate does:
 * a crash between two steps leaves blocks past i_size, and the next
 * mount finishes the cut (ext4_orphans_process). An unlinked inode is
 * on the list already, and so is one an earlier cut left there: this
 * call finishes that cut too (blocks past the old size go even when
 * growing, and the old size's tail is zeroed), and takes it off.
 */
int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size,
		  bool root, int64_t sec, uint32_t ns)
{
	uint32_t bs = fs->block_size, head = fs->last_orphan;
	bool orphan, added, unfinished;
	uint64_t cut;
	struct ext4_inode saved;
	struct ext4_op op;
	int err, e;

	if (size > LBLK_LIMIT * bs)
		return -EFBIG;
	/* a copy read again does not know it is a tail of the list */
	if (in->nlink > 0 && (err = ext4_orphan_known(fs, in)) < 0)
		return err;
	/*
	 * Growing over a cut that stopped: that cut first, so the larger
	 * size stands only with no old block past the old size (else a
	 * failure would leave old bytes inside the new size, and the next
	 * mount would cut past the new size only).
	 */
	if (in->nlink > 0 && in->orphan && size > in->size) {
		err = ext4_truncate(fs, in, in->size, root, sec, ns);
		if (err < 0)
			return err;
		head = fs->last_orphan;
	}
	orphan = in->nlink > 0 &&
		 (in->orphan ||
		  (in->blocks512 > 0 && (in->flags & EXT4_EXTENTS_FL)));
	added = orphan && !in->orphan;
	unfinished = orphan && in->orphan;
	/* where the cut starts: the old size, if an earlier cut stopped */
	cut = unfinished && in->size < size ? in->size : size;
	saved = *in;
	err = ext4_op_start(&op, fs, root);
	if (err < 0)
		return err;
	in->size = size;
	in->mtime = in->ctime = sec;
	in->mtime_ns = in->ctime_ns = ns;
	if (added && (err = ext4_orphan_add(&op, in)) < 0) {
		/* the superblock was not written: the list is as it was */
		truncate_put_back(fs, in, &saved, head);
		return ext4_op_stop(&op, err);
	}
	/* Also what fallocate kept past the old size. */
	err = ext4_extent_truncate(&op, in, (cut + bs - 1) / bs);
	/*
	 * Off the list only once every block past size is gone: a failure
	 * leaves in on it (i_dtime its link), for the next mount to finish.
	 */
	if (err == 0 && orphan && (err = ext4_orphan_del(&op, in)) == 0)
		in->dtime = 0;
	e = op.h != NULL ? ext4_iput(&op, in, false) : 0;
	if (e < 0 && err == 0)
		err = e;
	/*
	 * The journal aborted before any handle of the cut ended: none of
	 * it commits, so *in is as the disk still has it.
	 */
	if (err < 0 && op.restarts == 0 && (e < 0 || op_aborts(&op, err)))
		truncate_put_back(fs, in, &saved, head);
	/*
	 * Zeros past size in its block, so a later grow reads 0s: whenever
	 * the new size stands, a cut that stopped partway too (Linux's
	 * ext4_truncate zeroes it before the cut), so a truncate put back
	 * leaves every byte as it was. A failure here is the call's error;
	 * the cut stands.
	 */
	e = 0;
	if (in->size == size && (cut < saved.size || unfinished))
		e = ext4_zero_tail(fs, in, cut);
	err = ext4_op_stop(&op, err);
	return err < 0 ? err : e;
}

/*
 * One handle of fallocate: up to *n unwritten blocks at lblk (a hole),
 * the size growing with them up to grow_to. 0 or -ERRNO, *in as for
 * write_step.
 */
static int falloc_step(struct ext4_fs *fs, struct ext4_inode *in, uint64_t lblk,
		       uint32_t *n, uint64_t grow_to, bool root)
{
	struct ext4_inode saved = *in;
	struct ext4_op op;
	uint64_t pblk;
	int err = ext4_op_start(&op, fs, root);

	if (err < 0)
		return err;
	err = ext4_extent_alloc(&op, in, lblk, &pblk, n, true);
	if (err == 0 && in->size < grow_to) {
		uint64_t end = (lblk + *n) * fs->block_size;

		in->size = end < grow_to ? end : grow_to;
	}
	return (int)step_end(&op, in, &saved, 0, err);
}

int ext4_fallocate(struct ext4_fs *fs, struct ext4_inode *in, int mode,
		   uint64_t off, uint64_t len, bool root)
{
	uint32_t bs = fs->block_size;
	uint64_t lblk, end, grow_to;
	int err = 0;

	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	if (len == 0 || off + len < off || off + len > LBLK_LIMIT * bs)
		return len == 0 ? -EINVAL : -EFBIG;
	if (off + len > in->size && (err = cut_first(fs, in, root)) < 0)
		return err;
	grow_to = mode & FALLOC_FL_KEEP_SIZE ? 0 : off + len;
	end = (off + len + bs - 1) / bs;
	for (lblk = off / bs; lblk < end && err == 0;) {
		uint64_t pblk, count;
		uint32_t n;
		bool unw;

		err = ext4_bmap_raw(fs, in, lblk, &pblk, &count, &unw);
		if (err < 0)
			break;
		if (pblk != 0) {
			lblk += count < end - lblk ? count : end - lblk;
			continue;
		}
		n = end - lblk < count ?
			    (uint32_t)(end - lblk) :
			    (uint32_t)(count < 32767 ? count : 32767);
		err = falloc_step(fs, in, lblk, &n, grow_to, root);
		if (err == 0)
			lblk += n;
	}
	if (err == 0 && in->size < grow_to) {
		struct ext4_inode next = *in;

		next.size = grow_to; /* the range was all mapped already */
		err = ext4_setattr(fs, in, &next);
	}
	return err;
}

int ext4_setattr(struct ext4_fs *fs, struct ext4_inode *in,
		 const struct ext4_inode *next)
{
	struct ext4_inode copy = *next;
	struct ext4_op op;
	int err = ext4_op_start(&op, fs, true);

	if (err < 0)
		return err;
	err = ext4_op_stop(&op, ext4_iput(&op, &copy, false));
	/* a journal aborted meanwhile (the stop's error) commits none of it */
	if (err == 0)
		*in = copy;
	return err;
}
