/* ext4_dir_write.c - adding and removing directory entries in linear blocks with checksum tails; hashed directories made linear. */
#include <asm-generic/errno.h>

#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * Block layout in ext4_dir.c. Kiln keeps no htree index: the first
 * change to a hashed directory (EXT4_INDEX_FL) turns it into a linear
 * one, as Linux itself does when it finds an index it cannot use
 * (ext4_dx_find_entry failing clears the flag): the root keeps "." and
 * "..", whose rec_len then covers the old index; each interior index
 * block (one empty entry over the whole block) becomes an empty leaf.
 * The leaves are already valid linear blocks. Lookups read every block,
 * which they did already. Keeping the index right would need the
 * half-MD4 / TEA hashes and node splits; clearing it is what e2fsck
 * accepts without a word (e2fsck -fD would index it again).
 */
#define DE_HEAD 8
#define TAIL_SIZE 12
#define TAIL_FT 0xDE

static uint32_t rec_need(uint32_t name_len)
{
	return (DE_HEAD + name_len + 3) & ~3U;
}

/* Where the entries of a block end: before the checksum tail. */
static uint32_t usable(struct ext4_fs *fs)
{
	return fs->csum ? fs->block_size - TAIL_SIZE : fs->block_size;
}

static bool has_tail(struct ext4_fs *fs, const uint8_t *blk)
{
	const uint8_t *t = blk + fs->block_size - TAIL_SIZE;

	return ext4_le32(t) == 0 && ext4_le16(t + 4) == TAIL_SIZE &&
	       t[6] == 0 && t[7] == TAIL_FT;
}

static void de_set(uint8_t *e, uint32_t ino, uint32_t rec_len, const char *name,
		   uint32_t name_len, uint32_t ft)
{
	ext4_put32(e, ino);
	ext4_put16(e + 4, rec_len);
	e[6] = (uint8_t)name_len;
	e[7] = (uint8_t)ft;
	memcpy(e + DE_HEAD, name, name_len);
}

/* The tail (metadata_csum) made and summed, then the journal told. */
static void block_dirty(struct ext4_op *op, const struct ext4_inode *dir,
			struct bcache_buf *b)
{
	struct ext4_fs *fs = op->fs;

	if (fs->csum) {
		uint8_t *t = b->data + fs->block_size - TAIL_SIZE;

		de_set(t, 0, TAIL_SIZE, "", 0, TAIL_FT);
		ext4_put32(t + 8, crc32c(dir->csum_seed, b->data,
					 fs->block_size - TAIL_SIZE));
	}
	ext4_jbd2_dirty(op->h, b);
}

/* Directory block lblk held for changing; NULL at a hole (*err 0). */
static struct bcache_buf *dblock_get(struct ext4_op *op,
				     const struct ext4_inode *dir,
				     uint64_t lblk, int *err)
{
	uint64_t pblk, count;

	*err = ext4_bmap(op->fs, dir, lblk, &pblk, &count);
	if (*err < 0 || pblk == 0)
		return NULL;
	return ext4_jbd2_get(op->h, pblk, true, err);
}

/* Entry at off, checked against the block's used area: its rec_len or 0. */
static uint32_t de_len(struct ext4_fs *fs, const uint8_t *blk, uint32_t off)
{
	const uint8_t *e = blk + off;
	uint32_t len;

	if (off + DE_HEAD > usable(fs))
		return 0;
	len = ext4_le16(e + 4);
	if (len < 12 || len % 4 || len < DE_HEAD + (uint32_t)e[6] ||
	    off + len > usable(fs) || ext4_le32(e) > fs->inodes_count)
		return 0;
	return len;
}

/* Make a hashed directory linear (see the top). */
static int dir_unindex(struct ext4_op *op, struct ext4_inode *dir)
{
	struct ext4_fs *fs = op->fs;
	uint32_t end = usable(fs);
	int err = 0;

	if (!(dir->flags & EXT4_INDEX_FL))
		return 0;
	for (uint64_t lblk = 0; lblk < dir->size / fs->block_size; lblk++) {
		struct bcache_buf *b = dblock_get(op, dir, lblk, &err);
		uint8_t *d;

		if (b == NULL) {
			if (err < 0)
				return err;
			continue;
		}
		d = b->data;
		if (lblk == 0) {
			if (ext4_le16(d + 4) != 12 || d[6] != 1 ||
			    d[12 + 6] != 2) {
				bcache_put(b);
				return -EIO;
			}
			ext4_put16(d + 12 + 4, end - 12);
			block_dirty(op, dir, b);
		} else if (!(fs->csum && has_tail(fs, d)) &&
			   ext4_le32(d) == 0 &&
			   ext4_le16(d + 4) ==
				   (uint32_t)(fs->block_size % 65536)) {
			memset(d, 0, fs->block_size);
			de_set(d, 0, end, "", 0, 0);
			block_dirty(op, dir, b);
		}
		bcache_put(b);
	}
	dir->flags &= ~(uint32_t)EXT4_INDEX_FL;
	return 0;
}

/* Put the entry into block d if it has room: true when done. */
static bool block_add(struct ext4_fs *fs, uint8_t *d, const char *name,
		      uint32_t len, uint32_t ino, uint32_t ft, int *err)
{
	uint32_t need = rec_need(len), off, rl;

	for (off = 0; off < usable(fs); off += rl) {
		uint8_t *e = d + off;
		uint32_t used;

		rl = de_len(fs, d, off);
		if (rl == 0) {
			*err = -EIO;
			return false;
		}
		used = ext4_le32(e) ? rec_need(e[6]) : 0;
		if (rl - used < need)
			continue;
		if (used) {
			ext4_put16(e + 4, used);
			e += used;
		}
		de_set(e, ino, rl - used, name, len, ft);
		return true;
	}
	return false;
}

/*
 * A new block for dir at logical block lblk, zeroed and in op's
 * transaction: 0 with *bp held, or -ERRNO.
 */
static int dir_block_new(struct ext4_op *op, struct ext4_inode *dir,
			 uint64_t lblk, struct bcache_buf **bp)
{
	uint32_t n = 1;
	uint64_t pblk;
	int err = ext4_extent_alloc(op, dir, lblk, &pblk, &n, false);

	if (err < 0)
		return err;
	*bp = ext4_jbd2_get(op->h, pblk, false, &err);
	if (*bp == NULL)
		return err;
	memset((*bp)->data, 0, op->fs->block_size);
	return 0;
}

int ext4_dir_add(struct ext4_op *op, struct ext4_inode *dir, const char *name,
		 uint32_t ino, uint32_t ft)
{
	struct ext4_fs *fs = op->fs;
	uint32_t len = (uint32_t)strlen(name);
	uint64_t lblk, nblk = dir->size / fs->block_size;
	struct bcache_buf *b;
	int err = dir_unindex(op, dir);

	if (err < 0)
		return err;
	if (!(fs->incompat & EXT4_INCOMPAT_FILETYPE))
		ft = 0;
	for (lblk = 0; lblk < nblk; lblk++) {
		b = dblock_get(op, dir, lblk, &err);
		if (b == NULL && err < 0)
			return err;
		if (b == NULL)
			continue;
		if (block_add(fs, b->data, name, len, ino, ft, &err)) {
			block_dirty(op, dir, b);
			bcache_put(b);
			return 0;
		}
		bcache_put(b);
		if (err < 0)
			return err;
	}
	/* No room: a new block at the end. */
	err = dir_block_new(op, dir, nblk, &b);
	if (err < 0)
		return err;
	de_set(b->data, ino, usable(fs), name, len, ft);
	block_dirty(op, dir, b);
	bcache_put(b);
	dir->size += fs->block_size;
	return 0;
}

/*
 * The live entry called name in dir: its block held, *off and the
 * entry before it in *prev (UINT32_MAX: first in its block). NULL with
 * *err (-ENOENT, -EIO).
 */
static struct bcache_buf *entry_find(struct ext4_op *op, struct ext4_inode *dir,
				     const char *name, uint32_t *off,
				     uint32_t *prev, int *err)
{
	struct ext4_fs *fs = op->fs;
	uint32_t len = (uint32_t)strlen(name);

	*err = dir_unindex(op, dir);
	for (uint64_t lblk = 0; *err == 0 && lblk < dir->size / fs->block_size;
	     lblk++) {
		struct bcache_buf *b = dblock_get(op, dir, lblk, err);
		uint32_t rl;

		if (b == NULL)
			continue;
		*prev = UINT32_MAX;
		for (*off = 0; *off < usable(fs); *prev = *off, *off += rl) {
			uint8_t *e = b->data + *off;

			rl = de_len(fs, b->data, *off);
			if (rl == 0) {
				*err = -EIO;
				break;
			}
			if (ext4_le32(e) != 0 && e[6] == len &&
			    memcmp(e + DE_HEAD, name, len) == 0)
				return b;
		}
		bcache_put(b);
	}
	if (*err == 0)
		*err = -ENOENT;
	return NULL;
}

int ext4_dir_remove(struct ext4_op *op, struct ext4_inode *dir,
		    const char *name)
{
	uint32_t off, prev;
	int err;
	struct bcache_buf *b = entry_find(op, dir, name, &off, &prev, &err);

	if (b == NULL)
		return err;
	if (prev != UINT32_MAX)
		ext4_put16(b->data + prev + 4,
			   ext4_le16(b->data + prev + 4) +
				   ext4_le16(b->data + off + 4));
	else
		ext4_put32(b->data + off, 0);
	block_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

int ext4_dir_set_ino(struct ext4_op *op, struct ext4_inode *dir,
		     const char *name, uint32_t ino, uint32_t ft)
{
	uint32_t off, prev;
	int err;
	struct bcache_buf *b = entry_find(op, dir, name, &off, &prev, &err);

	if (b == NULL)
		return err;
	ext4_put32(b->data + off, ino);
	b->data[off + 7] = (op->fs->incompat & EXT4_INCOMPAT_FILETYPE) ?
				   (uint8_t)ft :
				   0;
	block_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

int ext4_dir_set_dotdot(struct ext4_op *op, struct ext4_inode *dir,
			uint32_t parent)
{
	int err = dir_unindex(op, dir);
	struct bcache_buf *b = err ? NULL : dblock_get(op, dir, 0, &err);

	if (b == NULL)
		return err < 0 ? err : -EIO;
	if (ext4_le16(b->data + 4) != 12 || b->data[12 + 6] != 2 ||
	    memcmp(b->data + 12 + DE_HEAD, "..", 2) != 0) {
		bcache_put(b);
		return -EIO;
	}
	ext4_put32(b->data + 12, parent);
	block_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

int ext4_dir_init(struct ext4_op *op, struct ext4_inode *dir, uint32_t parent)
{
	struct ext4_fs *fs = op->fs;
	uint32_t ft = (fs->incompat & EXT4_INCOMPAT_FILETYPE) ? EXT4_FT_DIR : 0;
	struct bcache_buf *b;
	int err = dir_block_new(op, dir, 0, &b);

	if (err < 0)
		return err;
	de_set(b->data, dir->ino, 12, ".", 1, ft);
	de_set(b->data + 12, parent, usable(fs) - 12, "..", 2, ft);
	block_dirty(op, dir, b);
	bcache_put(b);
	dir->size = fs->block_size;
	return 0;
}

int ext4_dir_empty(struct ext4_fs *fs, const struct ext4_inode *dir)
{
	char name[EXT4_NAME_LEN + 1];
	uint64_t pos = 0;
	uint32_t ino;
	unsigned int type;
	int r;

	while ((r = ext4_dir_next(fs, dir, &pos, name, &ino, &type)) == 1)
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			return 0;
	return r < 0 ? r : 1;
}
