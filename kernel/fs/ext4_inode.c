/* ext4_inode.c - reading an inode: where it lives, its checksum, its fields. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/* Inode fields (ext4 docs, "Index Nodes"). */
#define I_MODE 0x0
#define I_UID 0x2
#define I_SIZE_LO 0x4
#define I_ATIME 0x8
#define I_CTIME 0xC
#define I_MTIME 0x10
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
	kfree(raw);
	return err;
}
