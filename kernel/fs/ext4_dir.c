/* ext4_dir.c - directories read: entries checked and checksummed, a pass reading each block once, lookups through the hash index. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "fs/ext4_htree.h"
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
 * every block in order finds exactly the live names: readdir does,
 * in block order (Linux returns an indexed directory in hash order,
 * with hashes as cookies; Kiln's cookies stay byte offsets, stable
 * across changes, for either kind). Lookups in an indexed directory
 * go through the index (ext4_htree.c).
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

/*
 * ext4_read_checked's check of a leaf of dir (arg): its tail's crc32c.
 * A block without a tail (an index block of the dir) is left unchecked:
 * 1, so the cache does not mark it verified and dx_read still checks it.
 */
static int leaf_csum_check(struct ext4_fs *fs, const uint8_t *blk,
			   const void *arg)
{
	const struct ext4_inode *dir = arg;

	if (!fs->csum)
		return 0;
	if (!has_tail(fs, blk))
		return 1;
	if (crc32c(dir->csum_seed, blk, fs->block_size - TAIL_SIZE) !=
	    ext4_le32(blk + fs->block_size - 4))
		return -EIO;
	return 0;
}

/*
 * Read directory block lblk into blk; *empty for a hole. 0 or -EIO.
 * The checksum is checked once per read from the disk, as Linux does.
 */
static int dir_block(struct ext4_fs *fs, const struct ext4_inode *dir,
		     uint64_t lblk, uint8_t *blk, bool *empty)
{
	uint64_t pblk, count;
	int err = ext4_bmap(fs, dir, lblk, &pblk, &count);

	*empty = err == 0 && pblk == 0;
	if (err < 0 || pblk == 0)
		return err;
	return ext4_read_checked(fs, pblk, blk, leaf_csum_check, dir);
}

/*
 * dir_block in place: the block's bytes, held by ref (ext4_bref_put),
 * or NULL with *err: 0 for a hole, -EIO, -ENOMEM.
 */
static const uint8_t *dir_block_ref(struct ext4_fs *fs,
				    const struct ext4_inode *dir, uint64_t lblk,
				    struct ext4_bref *ref, int *err)
{
	uint64_t pblk, count;

	ref->b = NULL;
	ref->copy = NULL;
	*err = ext4_bmap(fs, dir, lblk, &pblk, &count);
	if (*err < 0 || pblk == 0)
		return NULL;
	return ext4_bref_get(fs, pblk, leaf_csum_check, dir, ref, err);
}

/*
 * The entry at byte off of blk, checked as Linux's
 * ext4_check_dir_entry does: 0 and its rec_len, or -EIO.
 */
static inline __attribute__((always_inline)) int entry_check(struct ext4_fs *fs,
							     const uint8_t *blk,
							     uint32_t off,
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

/* cur holds dir's block lblk, read (and checked) since the last change. */
static int cursor_fill(struct ext4_fs *fs, const struct ext4_inode *dir,
		       struct ext4_dir_cursor *cur, uint64_t lblk)
{
	int err;

	if (cur->valid && cur->lblk == lblk && cur->ino == dir->ino &&
	    cur->stamp == fs->dir_changes)
		return 0;
	if (cur->blk == NULL && (cur->blk = kmalloc(fs->block_size)) == NULL)
		return -ENOMEM;
	cur->valid = false;
	err = dir_block(fs, dir, lblk, cur->blk, &cur->empty);
	if (err < 0)
		return err;
	cur->lblk = lblk;
	cur->ino = dir->ino;
	cur->stamp = fs->dir_changes;
	cur->valid = true;
	return 0;
}

void ext4_dir_cursor_drop(struct ext4_dir_cursor *cur)
{
	kfree(cur->blk);
	cur->blk = NULL;
	cur->valid = false;
}

int ext4_dir_next_cur(struct ext4_fs *fs, const struct ext4_inode *dir,
		      struct ext4_dir_cursor *cur, uint64_t *pos, char *name,
		      uint32_t *ino, unsigned int *type)
{
	int ret = 0;

	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	while (ret == 0 && *pos < dir->size) {
		uint64_t lblk = *pos / fs->block_size;
		uint32_t off = 0, want = (uint32_t)(*pos % fs->block_size);
		uint32_t len = 0;

		ret = cursor_fill(fs, dir, cur, lblk);
		for (; ret == 0 && !cur->empty && off < fs->block_size;
		     off += len) {
			const uint8_t *e = cur->blk + off;

			ret = entry_check(fs, cur->blk, off, &len);
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
	return ret;
}

int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir,
		  uint64_t *pos, char *name, uint32_t *ino, unsigned int *type)
{
	struct ext4_dir_cursor cur = { 0 };
	int ret = ext4_dir_next_cur(fs, dir, &cur, pos, name, ino, type);

	ext4_dir_cursor_drop(&cur);
	return ret;
}

/* Name's entry in blk (a checked directory block): 1 and *ino, 0, -EIO. */
static int block_find(struct ext4_fs *fs, const uint8_t *blk, const char *name,
		      size_t nlen, uint32_t *ino)
{
	uint8_t last = (uint8_t)name[nlen - 1];
	uint32_t len;

	for (uint32_t off = 0; off < fs->block_size; off += len) {
		const uint8_t *e = blk + off;

		if (entry_check(fs, blk, off, &len) < 0)
			return -EIO;
		/*
		 * The last byte first: names of one length in one directory
		 * mostly share their start (name-00017, name-00042), so this
		 * turns most of them away without a call.
		 */
		if (e[6] == nlen && e[DE_HEAD + nlen - 1] == last &&
		    ext4_le32(e) != 0 && memcmp(e + DE_HEAD, name, nlen) == 0) {
			*ino = ext4_le32(e);
			return 1;
		}
	}
	return 0;
}

/* Name in dir's block lblk (a hole holds none): 1 and *ino, 0, -errno. */
static int lblk_find(struct ext4_fs *fs, const struct ext4_inode *dir,
		     uint64_t lblk, const char *name, size_t nlen,
		     uint32_t *ino)
{
	struct ext4_bref ref;
	int r;
	const uint8_t *blk = dir_block_ref(fs, dir, lblk, &ref, &r);

	if (blk == NULL)
		return r;
	r = block_find(fs, blk, name, nlen, ino);
	ext4_bref_put(&ref);
	return r;
}

/* Through the index: the leaf for name's hash, then any it continues into. */
static int dx_lookup(struct ext4_fs *fs, const struct ext4_inode *dir,
		     struct ext4_dx_path *p, const char *name, size_t nlen,
		     uint32_t *ino)
{
	for (;;) {
		int r = lblk_find(fs, dir, p->leaf, name, nlen, ino);

		if (r != 0)
			return r;
		r = ext4_dx_next_leaf(fs, dir, p);
		if (r <= 0)
			return r;
	}
}

/*
 * Block by block: each is read and its checksum checked once, not once
 * per entry as a loop over ext4_dir_next would (O(n) block copies and
 * checksums per lookup, the cost of every create in a big directory).
 * An indexed directory reads its index and one leaf (or the few a
 * colliding hash spans). Blocks are searched where the cache holds
 * them, not copied.
 */
int ext4_dir_lookup(struct ext4_fs *fs, const struct ext4_inode *dir,
		    const char *name, uint32_t *ino)
{
	size_t nlen = strlen(name);
	struct ext4_dx_path p;
	int r = 0;

	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	if (nlen == 0 || nlen > EXT4_NAME_LEN)
		return -ENOENT;
	/* "." and ".." open block 0, the dx_root's head: never hashed. */
	if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
		r = ext4_dx_probe(fs, dir, name, nlen, &p);
	if (r == 1) {
		r = dx_lookup(fs, dir, &p, name, nlen, ino);
		ext4_dx_release(&p);
		return r < 0 ? r : r == 1 ? 0 : -ENOENT;
	}
	for (uint64_t l = 0; r == 0 && l * fs->block_size < dir->size; l++)
		r = lblk_find(fs, dir, l, name, nlen, ino);
	return r < 0 ? r : r == 1 ? 0 : -ENOENT;
}
