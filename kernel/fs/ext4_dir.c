/* ext4_dir.c - directories: entries in linear blocks (htree leaves read linearly), checked and checksummed. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * A directory block is a chain of entries (ext4 docs, "Directory
 * Entries"): inode 32 | rec_len 16 | name_len 8 | file_type 8 | name,
 * rec_len covering the entry and the free space after it. With
 * metadata_csum a leaf block ends in a 12-byte fake entry (inode 0,
 * rec_len 12, type 0xDE) holding crc32c(inode seed, the block before
 * it). An htree's root and nodes look like blocks of entries whose
 * space is taken by one unused entry ("..", or inode 0), so reading
 * every block in order finds exactly the live names.
 */
#define DE_HEAD 8
#define TAIL_SIZE 12
#define TAIL_FT 0xDE

/* EXT4_FT_* (1..7) to DT_* (dirent.h). */
static const uint8_t ft_to_dt[8] = { 0, 8, 4, 2, 6, 1, 12, 10 };

static bool has_tail(struct ext4_fs *fs, const uint8_t *blk)
{
	const uint8_t *t = blk + fs->block_size - TAIL_SIZE;

	return ext4_le32(t) == 0 && ext4_le16(t + 4) == TAIL_SIZE &&
	       t[6] == 0 && t[7] == TAIL_FT;
}

/* Read directory block lblk into blk; *empty for a hole. 0 or -EIO. */
static int dir_block(struct ext4_fs *fs, const struct ext4_inode *dir,
		     uint64_t lblk, uint8_t *blk, bool *empty)
{
	uint64_t pblk, count;
	int err = ext4_bmap(fs, dir, lblk, &pblk, &count);

	*empty = err == 0 && pblk == 0;
	if (err < 0 || pblk == 0)
		return err;
	err = ext4_read_block(fs, pblk, blk);
	if (err < 0)
		return err;
	if (fs->csum && has_tail(fs, blk) &&
	    crc32c(dir->csum_seed, blk, fs->block_size - TAIL_SIZE) !=
		    ext4_le32(blk + fs->block_size - 4))
		return -EIO;
	return 0;
}

/*
 * The entry at byte off of blk, checked as Linux's
 * ext4_check_dir_entry does: 0 and its rec_len, or -EIO.
 */
static int entry_check(struct ext4_fs *fs, const uint8_t *blk, uint32_t off,
		       uint32_t *rec_len)
{
	const uint8_t *e = blk + off;
	uint32_t len, nlen;

	if (off + DE_HEAD > fs->block_size)
		return -EIO;
	len = ext4_le16(e + 4);
	if (fs->block_size == 65536 && (len == 0 || len == 65535))
		len = 65536;
	nlen = e[6];
	if (len < 12 || len % 4 != 0 || len < DE_HEAD + nlen ||
	    off + len > fs->block_size || ext4_le32(e) > fs->inodes_count)
		return -EIO;
	*rec_len = len;
	return 0;
}

int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir,
		  uint64_t *pos, char *name, uint32_t *ino, unsigned int *type)
{
	uint8_t *blk;
	int ret = 0;

	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	blk = kmalloc(fs->block_size);
	if (blk == NULL)
		return -ENOMEM;
	while (ret == 0 && *pos < dir->size) {
		uint64_t lblk = *pos / fs->block_size;
		uint32_t off = 0, want = (uint32_t)(*pos % fs->block_size);
		uint32_t len = 0;
		bool empty;

		ret = dir_block(fs, dir, lblk, blk, &empty);
		for (; ret == 0 && !empty && off < fs->block_size; off += len) {
			const uint8_t *e = blk + off;

			ret = entry_check(fs, blk, off, &len);
			if (ret < 0 || off < want || ext4_le32(e) == 0 ||
			    e[6] == 0)
				continue;
			memcpy(name, e + DE_HEAD, e[6]);
			name[e[6]] = '\0';
			*ino = ext4_le32(e);
			*type = (fs->incompat & EXT4_INCOMPAT_FILETYPE) &&
						e[7] < 8 ?
					ft_to_dt[e[7]] :
					0;
			*pos = lblk * fs->block_size + off + len;
			ret = 1;
			break;
		}
		if (ret == 0)
			*pos = (lblk + 1) * fs->block_size;
	}
	kfree(blk);
	return ret;
}

/* Name's entry in blk (a checked directory block): 1 and *ino, 0, -EIO. */
static int block_find(struct ext4_fs *fs, const uint8_t *blk, const char *name,
		      size_t nlen, uint32_t *ino)
{
	uint32_t len;

	for (uint32_t off = 0; off < fs->block_size; off += len) {
		const uint8_t *e = blk + off;

		if (entry_check(fs, blk, off, &len) < 0)
			return -EIO;
		if (ext4_le32(e) != 0 && e[6] == nlen &&
		    memcmp(e + DE_HEAD, name, nlen) == 0) {
			*ino = ext4_le32(e);
			return 1;
		}
	}
	return 0;
}

/*
 * Block by block: each is read and its checksum checked once, not once
 * per entry as a loop over ext4_dir_next would (O(n) block copies and
 * checksums per lookup, the cost of every create in a big directory).
 */
int ext4_dir_lookup(struct ext4_fs *fs, const struct ext4_inode *dir,
		    const char *name, uint32_t *ino)
{
	size_t nlen = strlen(name);
	uint8_t *blk;
	int r = 0;

	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	if (nlen == 0 || nlen > EXT4_NAME_LEN)
		return -ENOENT;
	blk = kmalloc(fs->block_size);
	if (blk == NULL)
		return -ENOMEM;
	for (uint64_t l = 0; r == 0 && l * fs->block_size < dir->size; l++) {
		bool empty;

		r = dir_block(fs, dir, l, blk, &empty);
		if (r == 0 && !empty)
			r = block_find(fs, blk, name, nlen, ino);
	}
	kfree(blk);
	return r < 0 ? r : r == 1 ? 0 : -ENOENT;
}
