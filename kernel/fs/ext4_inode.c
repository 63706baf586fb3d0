/* ext4_inode.c - reading an inode: where it lives, its checksum, its fields. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "fs/bcache.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/* Inode fields (ext4 docs, "Index Nodes"). */
#define I_MODE 0x0
#define I_UID 0x2
#define I_SIZE_LO 0x4
#define I_ATIME 0x8
#define I_CTIME 0xC
#define I_MTIME 0x10
#define I_DTIME 0x14
#define I_GID 0x18
#define I_LINKS 0x1A
#define I_BLOCKS_LO 0x1C
#define I_FLAGS 0x20
#define I_BLOCK 0x28
#define I_GENERATION 0x64
#define I_SIZE_HI 0x6C
#define I_BLOCKS_HI 0x74
#define I_UID_HI 0x78
#define I_GID_HI 0x7A
#define I_CSUM_LO 0x7C
#define I_EXTRA_ISIZE 0x80
#define I_CSUM_HI 0x82
#define I_CTIME_EXTRA 0x84
#define I_MTIME_EXTRA 0x88
#define I_ATIME_EXTRA 0x8C
#define I_CRTIME 0x90
#define I_CRTIME_EXTRA 0x94
/* Linux's s_want_extra_isize default: the fields up to i_projid. */
#define WANT_EXTRA_ISIZE 32
#define GOOD_OLD_SIZE 128

/* Does the inode's extra space reach past field offset end? */
static bool has_extra(const uint8_t *raw, uint32_t isize, uint32_t end)
{
	return isize > GOOD_OLD_SIZE &&
	       GOOD_OLD_SIZE + (uint32_t)ext4_le16(raw + I_EXTRA_ISIZE) >= end;
}

/*
 * crc32c of the inode (ext4 docs, "Checksums"): seeded with the fs seed,
 * the inode number and generation, over the whole on-disk inode with
 * the checksum fields taken as zero. Only the low 16 bits are stored
 * when the inode has no room for the high half.
 */
static int inode_csum_check(struct ext4_fs *fs, uint8_t *raw,
			    struct ext4_inode *in)
{
	uint8_t le[4];
	uint32_t want = ext4_le16(raw + I_CSUM_LO), c;
	bool hi = has_extra(raw, fs->inode_size, I_CSUM_HI + 2);

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(in->ino >> (8 * i));
	c = crc32c(fs->csum_seed, le, 4);
	in->csum_seed = crc32c(c, raw + I_GENERATION, 4);
	if (!fs->csum)
		return 0;
	if (hi)
		want |= (uint32_t)ext4_le16(raw + I_CSUM_HI) << 16;
	raw[I_CSUM_LO] = raw[I_CSUM_LO + 1] = 0;
	if (hi)
		raw[I_CSUM_HI] = raw[I_CSUM_HI + 1] = 0;
	c = crc32c(in->csum_seed, raw, fs->inode_size);
	if (!hi)
		c &= 0xFFFF;
	return c == want ? 0 : -EIO;
}

/* A timestamp: 32 signed bits, plus 2 epoch bits and nanoseconds. */
static void inode_time(const uint8_t *raw, uint32_t isize, uint32_t base,
		       uint32_t extra, int64_t *sec, uint32_t *ns)
{
	*sec = (int32_t)ext4_le32(raw + base);
	*ns = 0;
	if (has_extra(raw, isize, extra + 4)) {
		uint32_t x = ext4_le32(raw + extra);

		*sec += (int64_t)(x & 3) << 32;
		*ns = x >> 2;
		if (*ns > 999999999)
			*ns = 0;
	}
}

static void inode_decode(struct ext4_fs *fs, const uint8_t *raw,
			 struct ext4_inode *in)
{
	uint32_t isize = fs->inode_size;

	in->mode = ext4_le16(raw + I_MODE);
	in->uid = ext4_le16(raw + I_UID) | (uint32_t)ext4_le16(raw + I_UID_HI)
						   << 16;
	in->gid = ext4_le16(raw + I_GID) | (uint32_t)ext4_le16(raw + I_GID_HI)
						   << 16;
	in->nlink = ext4_le16(raw + I_LINKS);
	in->dtime = ext4_le32(raw + I_DTIME);
	in->flags = ext4_le32(raw + I_FLAGS);
	in->generation = ext4_le32(raw + I_GENERATION);
	in->size = ext4_le32(raw + I_SIZE_LO) |
		   (uint64_t)ext4_le32(raw + I_SIZE_HI) << 32;
	in->blocks512 = ext4_le32(raw + I_BLOCKS_LO);
	if (fs->ro_compat & EXT4_RO_COMPAT_HUGE_FILE) {
		in->blocks512 |= (uint64_t)ext4_le16(raw + I_BLOCKS_HI) << 32;
		if (in->flags & EXT4_HUGE_FILE_FL) /* counted in fs blocks */
			in->blocks512 *= fs->block_size / 512;
	}
	inode_time(raw, isize, I_ATIME, I_ATIME_EXTRA, &in->atime,
		   &in->atime_ns);
	inode_time(raw, isize, I_MTIME, I_MTIME_EXTRA, &in->mtime,
		   &in->mtime_ns);
	inode_time(raw, isize, I_CTIME, I_CTIME_EXTRA, &in->ctime,
		   &in->ctime_ns);
	memcpy(in->block, raw + I_BLOCK, sizeof(in->block));
}

/*
 * Inode table block blk of group g is about to be read: when it is not
 * cached, read it and the next ones of the table with it (Linux's
 * inode_readahead_blks, 32), so a walk over a directory's inodes costs
 * one disk request per 32 blocks, not one per block.
 */
static void itable_readahead(struct ext4_fs *fs, uint64_t itable, uint64_t blk)
{
	uint64_t tblocks = ((uint64_t)fs->inodes_per_group * fs->inode_size +
			    fs->block_size - 1) /
			   fs->block_size;
	struct bcache_buf *b;

	if (fs->dev->block_size != fs->block_size)
		return; /* cached in other blocks (see mount_fs) */
	b = bcache_peek(fs->dev, blk);
	if (b != NULL) {
		bcache_put(b);
		return;
	}
	bcache_readahead(fs->dev, blk, (size_t)(itable + tblocks - blk));
}

int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *in)
{
	uint32_t g, idx;
	uint64_t itable;
	uint8_t *raw;
	int err;

	if (ino == 0 || ino > fs->inodes_count)
		return -EINVAL;
	g = (ino - 1) / fs->inodes_per_group;
	idx = (ino - 1) % fs->inodes_per_group;
	err = ext4_group_itable(fs, g, &itable);
	if (err < 0)
		return err;
	raw = kmalloc(fs->inode_size);
	if (raw == NULL)
		return -ENOMEM;
	itable_readahead(fs, itable,
			 itable + (uint64_t)idx * fs->inode_size /
					  fs->block_size);
	err = ext4_read_bytes(
		fs, itable * fs->block_size + (uint64_t)idx * fs->inode_size,
		raw, fs->inode_size);
	if (err == 0 && fs->inode_size > GOOD_OLD_SIZE &&
	    GOOD_OLD_SIZE + (uint32_t)ext4_le16(raw + I_EXTRA_ISIZE) >
		    fs->inode_size)
		err = -EIO;
	in->ino = ino;
	if (err == 0)
		err = inode_csum_check(fs, raw, in);
	if (err == 0)
		inode_decode(fs, raw, in);
	if (err == 0)
		in->orphan = ino == fs->last_orphan ||
			     (in->nlink > 0 && in->dtime != 0);
	kfree(raw);
	return err;
}

/* Where inode ino lives: its inode table block and byte offset in it. */
static int inode_place(struct ext4_fs *fs, uint32_t ino, uint64_t *blk,
		       uint32_t *off)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint64_t itable, byte;
	int err;

	if (ino == 0 || ino > fs->inodes_count)
		return -EINVAL;
	err = ext4_group_itable(fs, g, &itable);
	if (err < 0)
		return err;
	byte = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	*blk = itable + byte / fs->block_size;
	*off = (uint32_t)(byte % fs->block_size);
	return 0;
}

int ext4_inode_links(struct ext4_fs *fs, uint32_t ino)
{
	uint64_t blk;
	uint32_t off;
	uint8_t links[2];
	int err = inode_place(fs, ino, &blk, &off);

	if (err == 0)
		err = ext4_read_bytes(fs, blk * fs->block_size + off + I_LINKS,
				      links, sizeof(links));
	if (err < 0)
		return err == -EINVAL ? -EIO : err;
	return ext4_le16(links);
}

static void put_time(uint8_t *raw, uint32_t isize, uint32_t base,
		     uint32_t extra, int64_t sec, uint32_t ns)
{
	ext4_put32(raw + base, (uint32_t)sec);
	if (has_extra(raw, isize, extra + 4))
		ext4_put32(
			raw + extra,
			(uint32_t)(((uint64_t)(sec - (int32_t)sec) >> 32) & 3) |
				ns << 2);
}

static void inode_encode(struct ext4_fs *fs, const struct ext4_inode *in,
			 uint8_t *raw)
{
	uint32_t isize = fs->inode_size, flags = in->flags;
	uint64_t blocks = in->blocks512;

	ext4_put16(raw + I_MODE, in->mode);
	ext4_put16(raw + I_UID, in->uid);
	ext4_put16(raw + I_UID_HI, in->uid >> 16);
	ext4_put16(raw + I_GID, in->gid);
	ext4_put16(raw + I_GID_HI, in->gid >> 16);
	ext4_put16(raw + I_LINKS, in->nlink);
	ext4_put32(raw + I_DTIME, in->dtime);
	ext4_put32(raw + I_SIZE_LO, (uint32_t)in->size);
	ext4_put32(raw + I_SIZE_HI, (uint32_t)(in->size >> 32));
	/* Counted in 512-byte sectors unless 48 bits cannot hold them. */
	flags &= ~(uint32_t)EXT4_HUGE_FILE_FL;
	if (blocks >> 48) {
		flags |= EXT4_HUGE_FILE_FL;
		blocks /= fs->block_size / 512;
	}
	ext4_put32(raw + I_BLOCKS_LO, (uint32_t)blocks);
	ext4_put16(raw + I_BLOCKS_HI, (uint32_t)(blocks >> 32));
	ext4_put32(raw + I_FLAGS, flags);
	ext4_put32(raw + I_GENERATION, in->generation);
	put_time(raw, isize, I_ATIME, I_ATIME_EXTRA, in->atime, in->atime_ns);
	put_time(raw, isize, I_MTIME, I_MTIME_EXTRA, in->mtime, in->mtime_ns);
	put_time(raw, isize, I_CTIME, I_CTIME_EXTRA, in->ctime, in->ctime_ns);
	memcpy(raw + I_BLOCK, in->block, sizeof(in->block));
}

/* The inode's checksum (see inode_csum_check), stored. */
static void inode_csum_set(struct ext4_fs *fs, struct ext4_inode *in,
			   uint8_t *raw)
{
	bool hi = has_extra(raw, fs->inode_size, I_CSUM_HI + 2);
	uint8_t le[4];
	uint32_t c;

	ext4_put32(le, in->ino);
	c = crc32c(fs->csum_seed, le, 4);
	in->csum_seed = crc32c(c, raw + I_GENERATION, 4);
	if (!fs->csum)
		return;
	ext4_put16(raw + I_CSUM_LO, 0);
	if (hi)
		ext4_put16(raw + I_CSUM_HI, 0);
	c = crc32c(in->csum_seed, raw, fs->inode_size);
	ext4_put16(raw + I_CSUM_LO, c);
	if (hi)
		ext4_put16(raw + I_CSUM_HI, c >> 16);
}

/*
 * The caller changed in (and often blocks that point at or count on
 * it) and cannot take that back: as Linux's failed ext4_mark_inode_dirty
 * (ext4_error_inode, errors=remount-ro), the journal is aborted, so the
 * half change never commits and the next fsync and syncfs report it,
 * whatever the error (ENOMEM too).
 */
static int iput_failed(struct ext4_op *op, int err)
{
	ext4_op_abort(op, err);
	return err;
}

int ext4_iput(struct ext4_op *op, struct ext4_inode *in, bool fresh)
{
	struct ext4_fs *fs = op->fs;
	struct bcache_buf *b;
	uint64_t blk;
	uint32_t off;
	uint8_t *raw;
	int err = inode_place(fs, in->ino, &blk, &off);

	if (err < 0)
		return iput_failed(op, err == -EINVAL ? -EIO : err);
	b = ext4_jbd2_get(op->h, blk, true, &err);
	if (b == NULL)
		return iput_failed(op, err);
	raw = b->data + off;
	if (fresh) {
		in->generation = ext4_le32(raw + I_GENERATION) + 1;
		memset(raw, 0, fs->inode_size);
		if (fs->inode_size > GOOD_OLD_SIZE)
			ext4_put16(raw + I_EXTRA_ISIZE, WANT_EXTRA_ISIZE);
		put_time(raw, fs->inode_size, I_CRTIME, I_CRTIME_EXTRA,
			 in->ctime, in->ctime_ns);
	}
	inode_encode(fs, in, raw);
	inode_csum_set(fs, in, raw);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	return 0;
}
