/* ext4_dir_write.c - adding and removing directory entries, in linear blocks with checksum tails or through the hash index. */
#include <asm-generic/errno.h>

#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_dir_int.h"
#include "fs/ext4_htree.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * Block layout in ext4_dir.c, the index in ext4_htree.h. An indexed
 * directory gets new names through its index (ext4_htree_write.c); a
 * linear one in the first block with room, and when its one block is
 * full it is indexed (when the fs has dir_index), as Linux does. An
 * index Kiln does not use (a hash it does not know, a depth past the
 * format's, broken without metadata_csum, or dir_index off) is made
 * linear at the first change, as Linux does when its dx_probe fails:
 * the root keeps "." and "..", whose rec_len then covers the old
 * index; each interior index block (one empty entry over the whole
 * block) becomes an empty leaf, and EXT4_INDEX_FL goes.
 */
#define TAIL_SIZE 12
#define TAIL_FT 0xDE

uint32_t ext4_de_need(uint32_t name_len)
{
	return (EXT4_DE_HEAD + name_len + 3) & ~3U;
}

/* Where the entries of a block end: before the checksum tail. */
uint32_t ext4_de_usable(struct ext4_fs *fs)
{
	return fs->csum ? fs->block_size - TAIL_SIZE : fs->block_size;
}

static bool has_tail(struct ext4_fs *fs, const uint8_t *blk)
{
	const uint8_t *t = blk + fs->block_size - TAIL_SIZE;

	return ext4_le32(t) == 0 && ext4_le16(t + 4) == TAIL_SIZE &&
	       t[6] == 0 && t[7] == TAIL_FT;
}

void ext4_de_set(uint8_t *e, uint32_t ino, uint32_t rec_len, const char *name,
		 uint32_t name_len, uint32_t ft)
{
	ext4_put32(e, ino);
	ext4_put16(e + 4, rec_len);
	e[6] = (uint8_t)name_len;
	e[7] = (uint8_t)ft;
	memcpy(e + EXT4_DE_HEAD, name, name_len);
}

/* The tail (metadata_csum) made and summed, then the journal told. */
void ext4_dblock_dirty(struct ext4_op *op, const struct ext4_inode *dir,
		       struct bcache_buf *b)
{
	struct ext4_fs *fs = op->fs;

	if (fs->csum) {
		uint8_t *t = b->data + fs->block_size - TAIL_SIZE;

		ext4_de_set(t, 0, TAIL_SIZE, "", 0, TAIL_FT);
		ext4_put32(t + 8, crc32c(dir->csum_seed, b->data,
					 fs->block_size - TAIL_SIZE));
	}
	ext4_jbd2_dirty(op->h, b);
}

/* Directory block lblk held for changing; NULL at a hole (*err 0). */
struct bcache_buf *ext4_dblock_get(struct ext4_op *op,
				   const struct ext4_inode *dir, uint64_t lblk,
				   int *err)
{
	uint64_t pblk, count;

	*err = ext4_bmap(op->fs, dir, lblk, &pblk, &count);
	if (*err < 0 || pblk == 0)
		return NULL;
	return ext4_jbd2_get(op->h, pblk, true, err);
}

/* Entry at off, checked against the block's used area: its rec_len or 0. */
uint32_t ext4_de_len(struct ext4_fs *fs, const uint8_t *blk, uint32_t off)
{
	const uint8_t *e = blk + off;
	uint32_t len;

	if (off + EXT4_DE_HEAD > ext4_de_usable(fs))
		return 0;
	len = ext4_le16(e + 4);
	if (len < 12 || len % 4 || len < EXT4_DE_HEAD + (uint32_t)e[6] ||
	    off + len > ext4_de_usable(fs) || ext4_le32(e) > fs->inodes_count)
		return 0;
	return len;
}

/* Make a hashed directory linear (see the top). */
static int dir_unindex(struct ext4_op *op, struct ext4_inode *dir)
{
	struct ext4_fs *fs = op->fs;
	uint32_t end = ext4_de_usable(fs);
	int err = 0;

	if (!(dir->flags & EXT4_INDEX_FL))
		return 0;
	for (uint64_t lblk = 0; lblk < dir->size / fs->block_size; lblk++) {
		struct bcache_buf *b = ext4_dblock_get(op, dir, lblk, &err);
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
			ext4_dblock_dirty(op, dir, b);
		} else if (!(fs->csum && has_tail(fs, d)) &&
			   ext4_le32(d) == 0 &&
			   ext4_le16(d + 4) ==
				   (uint32_t)(fs->block_size % 65536)) {
			memset(d, 0, fs->block_size);
			ext4_de_set(d, 0, end, "", 0, 0);
			ext4_dblock_dirty(op, dir, b);
		}
		bcache_put(b);
	}
	dir->flags &= ~(uint32_t)EXT4_INDEX_FL;
	return 0;
}

/* Put the entry into block d if it has room: true when done. */
bool ext4_dblock_add(struct ext4_fs *fs, uint8_t *d, const char *name,
		     uint32_t len, uint32_t ino, uint32_t ft, int *err)
{
	uint32_t need = ext4_de_need(len), off, rl;

	for (off = 0; off < ext4_de_usable(fs); off += rl) {
		uint8_t *e = d + off;
		uint32_t used;

		rl = ext4_de_len(fs, d, off);
		if (rl == 0) {
			*err = -EIO;
			return false;
		}
		used = ext4_le32(e) ? ext4_de_need(e[6]) : 0;
		if (rl - used < need)
			continue;
		if (used) {
			ext4_put16(e + 4, used);
			e += used;
		}
		ext4_de_set(e, ino, rl - used, name, len, ft);
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

int ext4_dir_grow(struct ext4_op *op, struct ext4_inode *dir,
		  struct bcache_buf **bp, uint64_t *lblk)
{
	int err;

	*lblk = dir->size / op->fs->block_size;
	err = dir_block_new(op, dir, *lblk, bp);
	if (err == 0)
		dir->size += op->fs->block_size;
	return err;
}

/* The first linear block with room takes the entry: 0, 1 if none did. */
static int linear_add(struct ext4_op *op, struct ext4_inode *dir,
		      const char *name, uint32_t len, uint32_t ino, uint32_t ft)
{
	uint64_t nblk = dir->size / op->fs->block_size;
	int err = 0;

	for (uint64_t lblk = 0; lblk < nblk; lblk++) {
		struct bcache_buf *b = ext4_dblock_get(op, dir, lblk, &err);

		if (b == NULL && err < 0)
			return err;
		if (b == NULL)
			continue;
		if (ext4_dblock_add(op->fs, b->data, name, len, ino, ft,
				    &err)) {
			ext4_dblock_dirty(op, dir, b);
			bcache_put(b);
			return 0;
		}
		bcache_put(b);
		if (err < 0)
			return err;
	}
	return 1;
}

/*
 * A failure once a block was added leaves a grown directory that the
 * caller's copy of the inode (restored on failure) would not know:
 * the journal is aborted so none of it commits.
 */
static int dir_add_fail(struct ext4_op *op, struct ext4_inode *dir,
			uint64_t size0, int err)
{
	if (err < 0 && dir->size != size0)
		ext4_op_abort(op, err);
	return err;
}

int ext4_dir_add(struct ext4_op *op, struct ext4_inode *dir, const char *name,
		 uint32_t ino, uint32_t ft)
{
	struct ext4_fs *fs = op->fs;
	uint32_t len = (uint32_t)strlen(name);
	uint64_t size0 = dir->size;
	struct bcache_buf *b;
	uint64_t lblk;
	int err;

	fs->dir_changes++;
	if (!(fs->incompat & EXT4_INCOMPAT_FILETYPE))
		ft = 0;
	err = ext4_dx_add(op, dir, name, len, ino, ft);
	if (err != 1)
		return dir_add_fail(op, dir, size0, err);
	err = dir_unindex(op, dir);
	if (err == 0)
		err = linear_add(op, dir, name, len, ino, ft);
	if (err != 1)
		return err;
	/* One full block: indexed now, as Linux's make_indexed_dir. */
	if (dir->size == fs->block_size &&
	    (err = ext4_dx_make_indexed(op, dir)) != 1) {
		if (err == 0)
			err = ext4_dx_add(op, dir, name, len, ino, ft);
		return dir_add_fail(op, dir, size0, err == 1 ? -EIO : err);
	}
	/* No room: a new block at the end. */
	err = ext4_dir_grow(op, dir, &b, &lblk);
	if (err < 0)
		return err;
	ext4_de_set(b->data, ino, ext4_de_usable(fs), name, len, ft);
	ext4_dblock_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

/*
 * The live entry called name in block b: true with *off and the entry
 * before it in *prev (UINT32_MAX: first in its block); false, with
 * *err -EIO for a bad entry.
 */
static bool block_scan(struct ext4_fs *fs, struct bcache_buf *b,
		       const char *name, uint32_t len, uint32_t *off,
		       uint32_t *prev, int *err)
{
	uint32_t rl;

	*prev = UINT32_MAX;
	for (*off = 0; *off < ext4_de_usable(fs); *prev = *off, *off += rl) {
		uint8_t *e = b->data + *off;

		rl = ext4_de_len(fs, b->data, *off);
		if (rl == 0) {
			*err = -EIO;
			return false;
		}
		if (ext4_le32(e) != 0 && e[6] == len &&
		    memcmp(e + EXT4_DE_HEAD, name, len) == 0)
			return true;
	}
	return false;
}

/* The leaves name's hash leads to, in turn (see entry_find). */
static struct bcache_buf *dx_entry_find(struct ext4_op *op,
					struct ext4_inode *dir,
					struct ext4_dx_path *p,
					const char *name, uint32_t *off,
					uint32_t *prev, int *err)
{
	int more = 1;

	while (*err == 0 && more == 1) {
		struct bcache_buf *b = ext4_dblock_get(op, dir, p->leaf, err);

		if (b != NULL &&
		    block_scan(op->fs, b, name, (uint32_t)strlen(name), off,
			       prev, err))
			return b;
		if (b != NULL)
			bcache_put(b);
		if (*err == 0)
			more = ext4_dx_next_leaf(op->fs, dir, p);
		if (more < 0)
			*err = more;
	}
	return NULL;
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
	struct bcache_buf *b = NULL;
	struct ext4_dx_path p;
	int r = ext4_dx_probe(fs, dir, name, len, &p);

	*err = r < 0 ? r : 0;
	if (r == 1) {
		b = dx_entry_find(op, dir, &p, name, off, prev, err);
		ext4_dx_release(&p);
		if (b == NULL && *err == 0)
			*err = -ENOENT;
		return b;
	}
	if (*err == 0)
		*err = dir_unindex(op, dir);
	for (uint64_t lblk = 0; *err == 0 && lblk < dir->size / fs->block_size;
	     lblk++) {
		b = ext4_dblock_get(op, dir, lblk, err);
		if (b == NULL)
			continue;
		if (block_scan(fs, b, name, len, off, prev, err))
			return b;
		bcache_put(b);
	}
	if (*err == 0)
		*err = -ENOENT;
	return NULL;
}

int ext4_dir_remove(struct ext4_op *op, struct ext4_inode *dir,
		    const char *name)
{
	uint32_t off, prev, rl;
	int err;
	struct bcache_buf *b;

	op->fs->dir_changes++;
	b = entry_find(op, dir, name, &off, &prev, &err);
	if (b == NULL)
		return err;
	/*
	 * Linux's ext4_generic_delete_entry: merged into the entry before,
	 * or (first in its block) inode 0; either way the name is wiped,
	 * so no tool lists it and its bytes do not linger.
	 */
	rl = ext4_le16(b->data + off + 4);
	if (prev != UINT32_MAX) {
		ext4_put16(b->data + prev + 4,
			   ext4_le16(b->data + prev + 4) + rl);
		memset(b->data + off, 0, rl);
	} else {
		ext4_put32(b->data + off, 0);
		memset(b->data + off + 6, 0, rl - 6);
	}
	ext4_dblock_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

int ext4_dir_set_ino(struct ext4_op *op, struct ext4_inode *dir,
		     const char *name, uint32_t ino, uint32_t ft)
{
	uint32_t off, prev;
	int err;
	struct bcache_buf *b;

	op->fs->dir_changes++;
	b = entry_find(op, dir, name, &off, &prev, &err);
	if (b == NULL)
		return err;
	ext4_put32(b->data + off, ino);
	b->data[off + 7] = (op->fs->incompat & EXT4_INCOMPAT_FILETYPE) ?
				   (uint8_t)ft :
				   0;
	ext4_dblock_dirty(op, dir, b);
	bcache_put(b);
	return 0;
}

int ext4_dir_set_dotdot(struct ext4_op *op, struct ext4_inode *dir,
			uint32_t parent)
{
	struct ext4_dx_path p;
	int dx = ext4_dx_probe(op->fs, dir, "..", 2, &p), err = 0;
	struct bcache_buf *b;

	op->fs->dir_changes++;
	ext4_dx_release(&p);
	if (dx < 0)
		return dx;
	if (dx == 0)
		err = dir_unindex(op, dir);
	b = err ? NULL : ext4_dblock_get(op, dir, 0, &err);
	if (b == NULL)
		return err < 0 ? err : -EIO;
	if (ext4_le16(b->data + 4) != 12 || b->data[12 + 6] != 2 ||
	    memcmp(b->data + 12 + EXT4_DE_HEAD, "..", 2) != 0) {
		bcache_put(b);
		return -EIO;
	}
	ext4_put32(b->data + 12, parent);
	if (dx == 0) {
		ext4_dblock_dirty(op, dir, b);
	} else {
		/* The dx_root: its dx_tail covers "..". */
		if (op->fs->csum)
			ext4_put32(b->data + EXT4_DX_ROOT_BASE +
					   ext4_dx_limit(op->fs,
							 EXT4_DX_ROOT_BASE) *
						   8 +
					   4,
				   ext4_dx_csum(op->fs, dir, b->data,
						EXT4_DX_ROOT_BASE));
		ext4_jbd2_dirty(op->h, b);
	}
	bcache_put(b);
	return 0;
}

int ext4_dir_init(struct ext4_op *op, struct ext4_inode *dir, uint32_t parent)
{
	struct ext4_fs *fs = op->fs;
	uint32_t ft = (fs->incompat & EXT4_INCOMPAT_FILETYPE) ? EXT4_FT_DIR : 0;
	struct bcache_buf *b;
	int err = dir_block_new(op, dir, 0, &b);

	fs->dir_changes++;
	if (err < 0)
		return err;
	ext4_de_set(b->data, dir->ino, 12, ".", 1, ft);
	ext4_de_set(b->data + 12, parent, ext4_de_usable(fs) - 12, "..", 2, ft);
	ext4_dblock_dirty(op, dir, b);
	bcache_put(b);
	dir->size = fs->block_size;
	return 0;
}

int ext4_dir_empty(struct ext4_fs *fs, const struct ext4_inode *dir)
{
	struct ext4_dir_cursor cur = { 0 };
	char name[EXT4_NAME_LEN + 1];
	uint64_t pos = 0;
	uint32_t ino;
	unsigned int type;
	int r;

	while ((r = ext4_dir_next_cur(fs, dir, &cur, &pos, name, &ino,
				      &type)) == 1)
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			break;
	ext4_dir_cursor_drop(&cur);
	return r < 0 ? r : r == 1 ? 0 : 1;
}
