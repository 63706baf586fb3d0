/* ext4_write.h - changing an ext4 mounted read-write: allocation, inodes written back, file data, the namespace. */
#ifndef KILN_FS_EXT4_WRITE_H
#define KILN_FS_EXT4_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/ext4.h"

struct ext4_handle;

/*
 * One operation in progress: every metadata block it changes goes
 * through h (ext4_jbd2.h). root may use the blocks reserved for root
 * (s_r_blocks_count); everyone else gets ENOSPC short of them.
 */
struct ext4_op {
	struct ext4_fs *fs;
	struct ext4_handle *h;
	bool root;
	/* handles ended by ext4_op_restart: what they hold may commit */
	unsigned int restarts;
};

/*
 * Credits (metadata blocks) one op may dirty: a leaf-to-root extent
 * path split at every level, bitmaps and descriptors of a few groups,
 * the superblock, two inode table blocks and two directory blocks.
 */
#define EXT4_OP_CREDITS 64

/* Open/close op's handle on fs. 0 or ext4_handle_start's error. */
int ext4_op_start(struct ext4_op *op, struct ext4_fs *fs, bool root);
int ext4_op_stop(struct ext4_op *op, int err);
/*
 * End op's handle and start another (Linux's ext4_truncate_restart_trans):
 * what was done so far joins the running transaction, which may commit
 * before the new handle starts, so the caller must have left everything
 * consistent (its inode written, on the orphan list if blocks past its
 * size remain). 0, or the new handle's error (op then has none:
 * ext4_op_stop still ends op).
 */
int ext4_op_restart(struct ext4_op *op);
/*
 * op failed with err after changing blocks it cannot put back: the
 * journal is aborted (ext4_handle_abort), so no half of it commits.
 */
void ext4_op_abort(struct ext4_op *op, int err);

/*
 * ext4_alloc.c. Up to *n (>= 1) free blocks, contiguous, the first as
 * near goal as found (0: anywhere): 0 with *blk and *n (>= 1), or
 * -ENOSPC, -EIO. The bitmaps, descriptors and superblock are updated.
 */
int ext4_balloc(struct ext4_op *op, uint64_t goal, uint64_t *blk, uint32_t *n);
/* Blocks [blk, blk+n) are free again (meta: a tree or directory block). */
int ext4_bfree(struct ext4_op *op, uint64_t blk, uint32_t n, bool meta);
/*
 * A free inode, in the group of parent if it has one: 0 and *ino, or
 * -ENOSPC, -EIO. dir counts it in bg_used_dirs.
 */
int ext4_ialloc(struct ext4_op *op, uint32_t parent, bool dir, uint32_t *ino);
int ext4_ifree(struct ext4_op *op, uint32_t ino, bool dir);
/* The superblock's free counts and orphan head from fs (through op). */
int ext4_super_write(struct ext4_op *op);

/*
 * ext4_inode.c. Write in's fields into its slot of the inode table with
 * a fresh checksum. fresh: the slot is (re)initialised first (a new
 * inode: zeroes, i_extra_isize, the generation kept). 0, or -EIO,
 * -ENOMEM with the journal aborted (ext4_op_abort): in is ahead of it.
 */
int ext4_iput(struct ext4_op *op, struct ext4_inode *in, bool fresh);

/*
 * ext4_extent_write.c. Map logical blocks [lblk, lblk+*n) of in, a
 * hole there, to new blocks: 0 with *pblk and *n (>= 1, perhaps fewer),
 * or -ENOSPC, -EIO, -EFBIG. unwritten makes a preallocated extent.
 * in->blocks512 counts the new blocks and any tree block; the caller
 * writes in back.
 */
int ext4_extent_alloc(struct ext4_op *op, struct ext4_inode *in, uint64_t lblk,
		      uint64_t *pblk, uint32_t *n, bool unwritten);
/*
 * Turn the unwritten blocks at lblk (up to *n of them) into written
 * ones, splitting their extent: 0 with *pblk and *n, -EIO.
 */
int ext4_extent_convert(struct ext4_op *op, struct ext4_inode *in,
			uint64_t lblk, uint64_t *pblk, uint32_t *n);
/*
 * Free every block of in at or past logical block from, from the end,
 * in steps: when op's handle runs short of credits, in is written back
 * and the handle restarted (ext4_op_restart), so a truncate of any size
 * never goes past a handle's credits. A caller whose in may be seen
 * half-truncated after a crash puts it on the orphan list first. 0,
 * -EIO, or the restart's error (-EROFS).
 */
int ext4_extent_truncate(struct ext4_op *op, struct ext4_inode *in,
			 uint64_t from);

/*
 * ext4_file_write.c. Whole operations, each its own handle(s), on the
 * in-memory inode *in (often the one copy every open file shares), kept
 * equal to what the journal holds: a failure puts back whatever it
 * changed in *in that no handle wrote, or that an aborted one did.
 *
 * write: the caller sets in's times it wants changed. Bytes written, or
 * -ERRNO with *in as on entry, except a tree that grew whole before the
 * failure (in->blocks512 then differs): *in is written with it.
 */
long ext4_file_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off,
		     const void *buf, size_t n, bool root);
/*
 * Cut or grow in to size, its mtime and ctime becoming sec.ns. On
 * failure *in is as on entry, unless the cut got past its first handle
 * (ext4_op_restart) or a failure that leaves the journal running came
 * halfway: *in is then what the journal has (the new size, blocks still
 * past it on the orphan list for the next mount to free).
 */
int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size,
		  bool root, int64_t sec, uint32_t ns);
/*
 * mode 0 or FALLOC_FL_KEEP_SIZE (1): 0, -EOPNOTSUPP, -ENOSPC, -EIO.
 * Each handle's worth of blocks stays mapped (and *in with them) when a
 * later one fails; the size moves only with its handle.
 */
int ext4_fallocate(struct ext4_fs *fs, struct ext4_inode *in, int mode,
		   uint64_t off, uint64_t len, bool root);
/*
 * Write next, a changed copy of *in (setattr: mode, owners, times, a
 * size that maps no new block), as in's inode: 0 and *in = *next, or
 * -ERRNO with *in untouched (next may be in itself).
 */
int ext4_setattr(struct ext4_fs *fs, struct ext4_inode *in,
		 const struct ext4_inode *next);

/* ext4_namei.c. What a new inode starts with. */
struct ext4_new {
	uint32_t mode, uid, gid;
	int64_t sec;
	uint32_t ns;
	uint32_t rdev;	    /* character/block devices */
	const char *target; /* symlinks */
	bool root;
};

/*
 * Make name in dir (whose in-memory inode is *dir, kept in step): 0 and
 * the new inode in *out, -EEXIST, -ENAMETOOLONG, -ENOSPC, -EMLINK, -EIO.
 */
int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		const struct ext4_new *nw, struct ext4_inode *out);
/* A new name for in (not a directory) in dir; in->nlink grows. */
int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	      struct ext4_inode *in, int64_t sec, uint32_t ns);
/*
 * Remove name (its inode is *victim, kept in step) from dir: rmdir when
 * isdir (-ENOTEMPTY, -ENOTDIR), unlink otherwise (-EISDIR). When
 * victim's last link goes, it joins the orphan list: the caller calls
 * ext4_evict once nobody has it open.
 */
int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		struct ext4_inode *victim, bool isdir, int64_t sec,
		uint32_t ns);
/*
 * rename(2) of fname in fdir to tname in tdir (the same inode when one
 * directory): src is fname's inode, dst tname's when *has_dst (replaced;
 * its nlink drops, evicted by the caller at nlink 0). -ENOTEMPTY,
 * -EISDIR, -ENOTDIR, -ENOSPC, -EIO.
 */
int ext4_rename(struct ext4_fs *fs, struct ext4_inode *fdir, const char *fname,
		struct ext4_inode *tdir, const char *tname,
		struct ext4_inode *src, struct ext4_inode *dst, bool has_dst,
		int64_t sec, uint32_t ns);
/*
 * in (nlink 0, closed) is gone at time now: its blocks, its inode, its
 * orphan entry (i_dtime becomes now, which e2fsck wants past any inode
 * number: a small i_dtime reads as an orphan link).
 */
int ext4_evict(struct ext4_fs *fs, struct ext4_inode *in, int64_t now);
/*
 * The orphan list (s_last_orphan, chained through i_dtime): in joins it
 * at its head (an unlinked inode still open, a truncate in progress),
 * or leaves it wherever it is (in->dtime is then free for the caller
 * to set). 0 or -EIO.
 */
int ext4_orphan_add(struct ext4_op *op, struct ext4_inode *in);
/* Sets in->orphan if the list holds in (a re-read tail): 0 or -ERRNO. */
int ext4_orphan_known(struct ext4_fs *fs, struct ext4_inode *in);
int ext4_orphan_del(struct ext4_op *op, struct ext4_inode *in);
/*
 * Mount: evict every unlinked inode on the orphan list, and finish the
 * truncate of every linked one (left by a crash).
 */
int ext4_orphans_process(struct ext4_fs *fs, int64_t now);
/*
 * Zeros from size to the end of its block (written past the journal,
 * as file data is), so a later grow reads 0s: 0, -ENOMEM or -EIO.
 */
int ext4_zero_tail(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size);

/* ext4_dir_write.c. Entries of a directory block (within one op). */
int ext4_dir_add(struct ext4_op *op, struct ext4_inode *dir, const char *name,
		 uint32_t ino, uint32_t ftype);
int ext4_dir_remove(struct ext4_op *op, struct ext4_inode *dir,
		    const char *name);
/* Point name's entry in dir at ino instead (rename over a name). */
int ext4_dir_set_ino(struct ext4_op *op, struct ext4_inode *dir,
		     const char *name, uint32_t ino, uint32_t ftype);
/* Point dir's ".." at parent (a directory moved by rename). */
int ext4_dir_set_dotdot(struct ext4_op *op, struct ext4_inode *dir,
			uint32_t parent);
/* The first block of a new directory: "." and "..". */
int ext4_dir_init(struct ext4_op *op, struct ext4_inode *dir, uint32_t parent);
/* 1 when dir holds nothing but "." and "..", 0 if more, -EIO. */
int ext4_dir_empty(struct ext4_fs *fs, const struct ext4_inode *dir);
/*
 * The first clear bit of bitmap map (8-byte aligned) in [i, end), else
 * end: the allocator's scan.
 */
uint32_t ext4_bit_next_zero(const uint8_t *map, uint32_t i, uint32_t end);

#endif
