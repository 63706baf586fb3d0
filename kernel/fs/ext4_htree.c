/* ext4_htree.c - hashed directories read: the dx_root and nodes checked, the leaf for a name found by hash, collisions followed. */
#include "fs/ext4_htree.h"

#include <asm-generic/errno.h>

#include "lib/crc32c.h"
#include "lib/string.h"

bool ext4_dx_indexed(const struct ext4_fs *fs, const struct ext4_inode *dir)
{
	return (dir->flags & EXT4_INDEX_FL) &&
	       (fs->compat & EXT4_COMPAT_DIR_INDEX);
}

unsigned int ext4_dx_version(const struct ext4_fs *fs, unsigned int root_ver)
{
	return root_ver <= EXT4_DX_HASH_TEA && fs->hash_unsigned ?
		       root_ver + 3 :
		       root_ver;
}

uint32_t ext4_dx_limit(const struct ext4_fs *fs, uint32_t base)
{
	return (fs->block_size - base - (fs->csum ? EXT4_DX_TAIL : 0)) / 8;
}

/* ext4 docs, "Hash Tree Directories", dx_tail: Linux's ext4_dx_csum. */
uint32_t ext4_dx_csum(const struct ext4_fs *fs, const struct ext4_inode *dir,
		      const uint8_t *blk, uint32_t base)
{
	static const uint8_t zero[4];
	const uint8_t *tail = blk + base + ext4_dx_limit(fs, base) * 8;
	uint32_t c = crc32c(dir->csum_seed, blk,
			    base + ext4_le16(blk + base + 2) * 8);

	c = crc32c(c, tail, 4);
	return crc32c(c, zero, 4);
}

/*
 * Index block blk of level lvl (0: the root), read from the disk and
 * untrusted (its checksum is dx_csum_check's, once per read from the
 * disk). Linux checks only the entries it takes; checking all (a few
 * hundred compares) means an index is used whole or not at all.
 */
int ext4_dx_block_check(struct ext4_fs *fs, const struct ext4_inode *dir,
			const uint8_t *blk, int lvl)
{
	uint32_t base = lvl == 0 ? EXT4_DX_ROOT_BASE : EXT4_DX_NODE_BASE;
	uint32_t count = ext4_le16(blk + base + 2);
	uint64_t nblocks = dir->size / fs->block_size; /* once: a division */

	if (lvl > 0) {
		uint32_t rl = ext4_le16(blk + 4);

		if (fs->block_size == 65536 && (rl == 0 || rl == 65535))
			rl = 65536;
		if (ext4_le32(blk) != 0 || rl != fs->block_size || blk[6] != 0)
			return -EIO;
	}
	if (ext4_le16(blk + base) != ext4_dx_limit(fs, base) || count == 0 ||
	    count > ext4_dx_limit(fs, base))
		return -EIO;
	/* Every entry, not just the one taken: blocks inside, hashes rising. */
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = blk + base + i * 8;
		uint32_t b = ext4_le32(e + 4) & EXT4_DX_BLOCK_MASK;

		if (b == 0 || (uint64_t)b >= nblocks ||
		    (i >= 2 && ext4_le32(e) < ext4_le32(e - 8)))
			return -EIO;
	}
	return 0;
}

/* What ext4_read_checked checks of an index block: its dx_tail's crc32c. */
struct dx_csum_arg {
	const struct ext4_inode *dir;
	int lvl;
};

/*
 * The crc32c of an index block, once per read from the disk
 * (ext4_bref_get), before ext4_dx_block_check: its count is checked here.
 */
static int dx_csum_check(struct ext4_fs *fs, const uint8_t *blk,
			 const void *arg)
{
	const struct dx_csum_arg *a = arg;
	uint32_t base = a->lvl == 0 ? EXT4_DX_ROOT_BASE : EXT4_DX_NODE_BASE;
	uint32_t count = ext4_le16(blk + base + 2);

	if (!fs->csum)
		return 0;
	/* The sum covers count entries: never past the block. */
	if (count > ext4_dx_limit(fs, base) ||
	    ext4_dx_csum(fs, a->dir, blk, base) !=
		    ext4_le32(blk + base + ext4_dx_limit(fs, base) * 8 + 4))
		return -EIO;
	return 0;
}

/* The root's header: 0 with *levels and *ver, or -EIO. */
static int dx_root_check(struct ext4_fs *fs, const uint8_t *blk, int *levels,
			 unsigned int *ver)
{
	const uint8_t *info = blk + EXT4_DX_ROOT_INFO;
	int max = (fs->incompat & EXT4_INCOMPAT_LARGEDIR) ? 2 : 1;

	if (ext4_le16(blk + 4) != 12 || blk[6] != 1 || blk[8] != '.' ||
	    ext4_le16(blk + 12 + 4) != fs->block_size - 12 || blk[12 + 6] != 2)
		return -EIO;
	if (ext4_le32(info) != 0 || info[4] > EXT4_DX_HASH_TEA ||
	    info[5] != 8 || info[6] > max)
		return -EIO;
	*levels = info[6];
	*ver = info[4];
	return 0;
}

/* The entry of level lvl that covers p->hash: binary search (Linux's dx_probe). */
static uint32_t dx_search(const uint8_t *ents, uint32_t count, uint32_t hash)
{
	uint32_t lo = 1, hi = count;

	/* Entries [1, lo) hash <= hash; [hi, count) above it. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ext4_le32(ents + mid * 8) > hash)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo - 1;
}

static const uint8_t *dx_ents(const struct ext4_dx_path *p, int lvl)
{
	return p->buf[lvl] + (lvl == 0 ? EXT4_DX_ROOT_BASE : EXT4_DX_NODE_BASE);
}

/* Logical block of entry at of level lvl, checked to lie in dir. */
static int dx_child(struct ext4_fs *fs, const struct ext4_inode *dir,
		    const struct ext4_dx_path *p, int lvl, uint64_t *lblk)
{
	uint32_t b = ext4_le32(dx_ents(p, lvl) + p->at[lvl] * 8 + 4) &
		     EXT4_DX_BLOCK_MASK;

	if (b == 0 || (uint64_t)b >= dir->size / fs->block_size)
		return -EIO;
	*lblk = b;
	return 0;
}

/*
 * Level lvl's block p->blk[lvl] in p->buf[lvl], held in the cache (no
 * copy) and checked; what the level held before is let go.
 */
static int dx_read(struct ext4_fs *fs, const struct ext4_inode *dir,
		   struct ext4_dx_path *p, int lvl)
{
	uint64_t pblk, n;
	int err;

	ext4_bref_put(&p->ref[lvl]);
	p->buf[lvl] = NULL;
	err = ext4_bmap(fs, dir, p->blk[lvl], &pblk, &n);
	if (err == 0 && pblk == 0)
		err = -EIO; /* an index block in a hole */
	if (err == 0) {
		struct dx_csum_arg a = { dir, lvl };

		p->buf[lvl] = ext4_bref_get(fs, pblk, dx_csum_check, &a,
					    &p->ref[lvl], &err);
	}
	if (err == 0)
		err = ext4_dx_block_check(fs, dir, p->buf[lvl], lvl);
	if (err == 0)
		p->count[lvl] = ext4_le16(dx_ents(p, lvl) + 2);
	return err;
}

/* From level lvl (read, at[lvl] set) down to the leaf, by p->hash. */
static int dx_descend(struct ext4_fs *fs, const struct ext4_inode *dir,
		      struct ext4_dx_path *p, int lvl, bool search)
{
	for (;; lvl++) {
		int err;

		if (search)
			p->at[lvl] = dx_search(dx_ents(p, lvl), p->count[lvl],
					       p->hash);
		err = dx_child(fs, dir, p, lvl,
			       lvl == p->levels ? &p->leaf : &p->blk[lvl + 1]);
		if (err < 0 || lvl == p->levels)
			return err;
		err = dx_read(fs, dir, p, lvl + 1);
		if (err < 0)
			return err;
		if (!search)
			p->at[lvl + 1] = 0;
	}
}

void ext4_dx_release(struct ext4_dx_path *p)
{
	for (int i = 0; i < EXT4_DX_MAX_LEVELS; i++) {
		ext4_bref_put(&p->ref[i]);
		p->buf[i] = NULL;
	}
}

int ext4_dx_probe(struct ext4_fs *fs, const struct ext4_inode *dir,
		  const char *name, size_t len, struct ext4_dx_path *p)
{
	uint32_t minor;
	unsigned int ver = 0;
	int err;

	memset(p, 0, sizeof(*p));
	if (!ext4_dx_indexed(fs, dir))
		return 0;
	err = dx_read(fs, dir, p, 0);
	if (err == 0)
		err = dx_root_check(fs, p->buf[0], &p->levels, &ver);
	if (err == 0) {
		p->version = ext4_dx_version(fs, ver);
		ext4_dx_hash(fs->hash_seed, p->version, name, len, &p->hash,
			     &minor);
		err = dx_descend(fs, dir, p, 0, true);
	}
	if (err == 0)
		return 1;
	ext4_dx_release(p);
	/* Linux too reads a broken index linearly unless checksummed. */
	return err == -EIO && !fs->csum ? 0 : err;
}

/* Linux's ext4_htree_next_block. */
int ext4_dx_next_leaf(struct ext4_fs *fs, const struct ext4_inode *dir,
		      struct ext4_dx_path *p)
{
	int lvl = p->levels;

	while (lvl >= 0 && p->at[lvl] + 1 >= p->count[lvl])
		lvl--;
	if (lvl < 0)
		return 0;
	p->at[lvl]++;
	if ((ext4_le32(dx_ents(p, lvl) + p->at[lvl] * 8) & ~1U) != p->hash)
		return 0;
	return dx_descend(fs, dir, p, lvl, false) < 0 ? -EIO : 1;
}
