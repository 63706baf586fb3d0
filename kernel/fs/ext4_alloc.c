/* ext4_alloc.c - allocating blocks and inodes: bitmaps, group descriptors and the superblock's counts, through the journal. */
#include <asm-generic/errno.h>

#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * Group descriptor fields (ext4 docs, "Block Group Descriptors"): 16-bit
 * counts have their high half at +0x20 in 64-byte descriptors.
 */
#define GD_BLOCK_BITMAP 0x0
#define GD_INODE_BITMAP 0x4
#define GD_FREE_BLOCKS 0xC
#define GD_FREE_INODES 0xE
#define GD_USED_DIRS 0x10
#define GD_FLAGS 0x12
#define GD_BB_CSUM 0x18
#define GD_IB_CSUM 0x1A
#define GD_ITABLE_UNUSED 0x1C
#define GD_CSUM 0x1E
#define GD_HI 0x20
#define BG_INODE_UNINIT 0x1
#define BG_BLOCK_UNINIT 0x2
/* Superblock fields written back. */
#define SB_FREE_BLOCKS 0xC
#define SB_FREE_INODES 0x10
#define SB_LAST_ORPHAN 0xE8
#define SB_FREE_BLOCKS_HI 0x158
#define SB_CSUM 0x3FC

/* A descriptor held for changing: its block and where in it. */
struct gd_ref {
	struct bcache_buf *b;
	uint8_t *p;
	uint32_t g;
};

static uint32_t gd16(struct ext4_fs *fs, const uint8_t *gd, uint32_t off)
{
	uint32_t v = ext4_le16(gd + off);

	if (fs->desc_size >= 64)
		v |= (uint32_t)ext4_le16(gd + off + GD_HI) << 16;
	return v;
}

static void gd16_set(struct ext4_fs *fs, uint8_t *gd, uint32_t off, uint32_t v)
{
	ext4_put16(gd + off, v);
	if (fs->desc_size >= 64)
		ext4_put16(gd + off + GD_HI, v >> 16);
}

static uint64_t gd32(struct ext4_fs *fs, const uint8_t *gd, uint32_t off)
{
	uint64_t v = ext4_le32(gd + off);

	if (fs->desc_size >= 64)
		v |= (uint64_t)ext4_le32(gd + off + GD_HI) << 32;
	return v;
}

static int gd_get(struct ext4_op *op, uint32_t g, struct gd_ref *r)
{
	struct ext4_fs *fs = op->fs;
	uint64_t off = (uint64_t)(fs->first_data_block + 1) * fs->block_size +
		       (uint64_t)g * fs->desc_size;
	int err = 0;

	r->b = ext4_jbd2_get(op->h, off / fs->block_size, true, &err);
	if (r->b == NULL)
		return err;
	r->p = r->b->data + off % fs->block_size;
	r->g = g;
	if (fs->csum &&
	    ext4_group_csum(fs, g, r->p) != ext4_le16(r->p + GD_CSUM)) {
		bcache_put(r->b);
		return -EIO;
	}
	return 0;
}

static void gd_put(struct ext4_op *op, struct gd_ref *r, bool dirty)
{
	if (dirty) {
		if (op->fs->csum)
			ext4_put16(r->p + GD_CSUM,
				   ext4_group_csum(op->fs, r->g, r->p));
		ext4_jbd2_dirty(op->h, r->b);
	}
	bcache_put(r->b);
}

static void bit_set(uint8_t *map, uint64_t i)
{
	map[i / 8] |= (uint8_t)(1U << (i % 8));
}

static bool bit_test(const uint8_t *map, uint64_t i)
{
	return map[i / 8] & (1U << (i % 8));
}

/* 64 bits of a bitmap at once (bitmaps are cache pages: aligned). */
typedef uint64_t __attribute__((may_alias)) map_word;

/*
 * The first clear bit of map in [i, end), else end. Full words and
 * bytes are passed whole: the used part of a bitmap is mostly full,
 * and testing it a bit at a time from the group's start cost each
 * create ~480K instructions in a group of 10000 used inodes and 14000
 * used blocks (bench/blk.py's).
 */
uint32_t ext4_bit_next_zero(const uint8_t *map, uint32_t i, uint32_t end)
{
	while (i < end) {
		if (i % 64 == 0 && end - i >= 64 &&
		    ((const map_word *)map)[i / 64] == ~0ULL)
			i += 64;
		else if (map[i / 8] == 0xff)
			i = (i / 8 + 1) * 8;
		else if (bit_test(map, i))
			i++;
		else
			return i;
	}
	return end;
}

static uint64_t group_first(struct ext4_fs *fs, uint32_t g)
{
	return fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
}

/* Blocks of group g inside the file system (the last may be short). */
static uint32_t group_blocks(struct ext4_fs *fs, uint32_t g)
{
	uint64_t left = fs->blocks_count - group_first(fs, g);

	return left < fs->blocks_per_group ? (uint32_t)left :
					     fs->blocks_per_group;
}

/* Mark block blk in group g's map if it lies in the group. */
static void mark_in_group(struct ext4_fs *fs, uint8_t *map, uint32_t g,
			  uint64_t blk, uint64_t n)
{
	uint64_t first = group_first(fs, g);

	for (uint64_t b = blk; b < blk + n; b++)
		if (b >= first && b < first + fs->blocks_per_group)
			bit_set(map, b - first);
}

/*
 * BLOCK_UNINIT: the bitmap was never written; what it would say is the
 * group's own metadata (Linux's ext4_init_block_bitmap): the superblock
 * and descriptor backups, its bitmaps and inode table when they lie in
 * it, and the bits past its end.
 */
static void block_bitmap_init(struct ext4_fs *fs, uint32_t g, const uint8_t *gd,
			      uint8_t *map)
{
	uint64_t itable = gd32(fs, gd, 0x8);
	uint64_t itb = ((uint64_t)fs->inodes_per_group * fs->inode_size +
			fs->block_size - 1) /
		       fs->block_size;
	uint32_t n = group_blocks(fs, g);

	memset(map, 0, fs->block_size);
	if (ext4_group_has_super(fs, g)) {
		uint64_t gdt = ((uint64_t)fs->groups * fs->desc_size +
				fs->block_size - 1) /
			       fs->block_size;

		mark_in_group(fs, map, g, group_first(fs, g),
			      1 + gdt + fs->reserved_gdt);
	}
	mark_in_group(fs, map, g, gd32(fs, gd, GD_BLOCK_BITMAP), 1);
	mark_in_group(fs, map, g, gd32(fs, gd, GD_INODE_BITMAP), 1);
	mark_in_group(fs, map, g, itable, itb);
	for (uint64_t i = n; i < 8ULL * fs->block_size; i++)
		bit_set(map, i);
}

static void bitmap_csum(struct ext4_op *op, struct gd_ref *r,
			const uint8_t *map, bool inode)
{
	struct ext4_fs *fs = op->fs;
	uint32_t len = (inode ? fs->inodes_per_group : fs->blocks_per_group) /
		       8;
	uint32_t c, off = inode ? GD_IB_CSUM : GD_BB_CSUM;

	if (!fs->csum)
		return;
	c = crc32c(fs->csum_seed, map, len);
	ext4_put16(r->p + off, c);
	if (fs->desc_size >= 64)
		ext4_put16(r->p + off + GD_HI, c >> 16);
}

/*
 * Group r's block (or inode) bitmap held for changing, made on first
 * use from what BLOCK_UNINIT / INODE_UNINIT imply (the flag is then
 * cleared in the descriptor, which the caller writes).
 */
static struct bcache_buf *bitmap_get(struct ext4_op *op, struct gd_ref *r,
				     bool inode, int *err)
{
	struct ext4_fs *fs = op->fs;
	uint64_t blk = gd32(fs, r->p,
			    inode ? GD_INODE_BITMAP : GD_BLOCK_BITMAP);
	uint32_t flag = inode ? BG_INODE_UNINIT : BG_BLOCK_UNINIT;
	uint32_t flags = ext4_le16(r->p + GD_FLAGS);
	bool uninit = fs->csum && (flags & flag);
	struct bcache_buf *b;

	if (blk <= fs->first_data_block || blk >= fs->blocks_count) {
		*err = -EIO;
		return NULL;
	}
	b = ext4_jbd2_get(op->h, blk, !uninit, err);
	if (b == NULL || !uninit)
		return b;
	if (inode) {
		memset(b->data, 0, fs->block_size);
		for (uint64_t i = fs->inodes_per_group;
		     i < 8ULL * fs->block_size; i++)
			bit_set(b->data, i);
	} else {
		block_bitmap_init(fs, r->g, r->p, b->data);
	}
	ext4_put16(r->p + GD_FLAGS, flags & ~flag);
	return b;
}

int ext4_super_write(struct ext4_op *op)
{
	struct ext4_fs *fs = op->fs;
	int err = 0;
	struct bcache_buf *b = ext4_jbd2_get(op->h, 1024 / fs->block_size, true,
					     &err);
	uint8_t *sb;

	if (b == NULL)
		return err;
	sb = b->data + 1024 % fs->block_size;
	ext4_put32(sb + SB_FREE_BLOCKS, (uint32_t)fs->free_blocks);
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		ext4_put32(sb + SB_FREE_BLOCKS_HI,
			   (uint32_t)(fs->free_blocks >> 32));
	ext4_put32(sb + SB_FREE_INODES, fs->free_inodes);
	ext4_put32(sb + SB_LAST_ORPHAN, fs->last_orphan);
	if (fs->csum)
		ext4_put32(sb + SB_CSUM, crc32c(~0U, sb, SB_CSUM));
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	return 0;
}

/*
 * Linux keeps 2% (at most 4096 blocks) back from everyone, and
 * s_r_blocks_count back from all but root (ext4_has_free_clusters).
 */
static uint64_t blocks_usable(struct ext4_op *op)
{
	struct ext4_fs *fs = op->fs;
	uint64_t keep = fs->blocks_count / 50;

	if (keep > 4096)
		keep = 4096;
	if (!op->root)
		keep += fs->r_blocks;
	return fs->free_blocks > keep ? fs->free_blocks - keep : 0;
}

/* The first free run in map from start: *len blocks at most, or -1. */
static int64_t run_find(struct ext4_op *op, const uint8_t *map, uint32_t g,
			uint32_t start, uint32_t *len)
{
	struct ext4_fs *fs = op->fs;
	uint32_t end = group_blocks(fs, g), i, n;
	uint64_t first = group_first(fs, g);

	for (i = ext4_bit_next_zero(map, start, end); i < end;
	     i = ext4_bit_next_zero(map, i + 1, end)) {
		if (ext4_jbd2_block_busy(fs, first + i))
			continue;
		for (n = 1; n < *len && i + n < end; n++)
			if (bit_test(map, i + n) ||
			    ext4_jbd2_block_busy(fs, first + i + n))
				break;
		*len = n;
		return i;
	}
	return -1;
}

/* Take up to *n blocks from group g, from start on: 1 taken, 0 none. */
static int group_balloc(struct ext4_op *op, uint32_t g, uint32_t start,
			uint64_t *blk, uint32_t *n)
{
	struct ext4_fs *fs = op->fs;
	struct bcache_buf *b;
	struct gd_ref r;
	int64_t at;
	int err = gd_get(op, g, &r);

	if (err < 0)
		return err;
	if (gd16(fs, r.p, GD_FREE_BLOCKS) == 0) {
		gd_put(op, &r, false);
		return 0;
	}
	b = bitmap_get(op, &r, false, &err);
	if (b == NULL) {
		gd_put(op, &r, false);
		return err;
	}
	at = run_find(op, b->data, g, start, n);
	if (at < 0 && start > 0)
		at = run_find(op, b->data, g, 0, n);
	if (at >= 0) {
		uint32_t free = gd16(fs, r.p, GD_FREE_BLOCKS);

		if (free < *n) {
			err = -EIO; /* the count and the bitmap disagree */
			goto out;
		}
		/* a bitmap that says metadata is free must not hand it out */
		err = ext4_block_valid(fs, 0, group_first(fs, g) + (uint64_t)at,
				       *n, "allocated");
		if (err < 0)
			goto out;
		for (uint32_t i = 0; i < *n; i++)
			bit_set(b->data, (uint64_t)at + i);
		gd16_set(fs, r.p, GD_FREE_BLOCKS, free - *n);
		*blk = group_first(fs, g) + (uint64_t)at;
		err = 1;
	}
out:
	bitmap_csum(op, &r, b->data, false);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	gd_put(op, &r, true);
	return err;
}

int ext4_balloc(struct ext4_op *op, uint64_t goal, uint64_t *blk, uint32_t *n)
{
	struct ext4_fs *fs = op->fs;
	uint64_t usable = blocks_usable(op);
	uint32_t g0, start;
	int r = 0;

	if (usable == 0)
		return -ENOSPC;
	if (*n > usable)
		*n = (uint32_t)usable;
	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = group_first(fs, fs->alloc_rotor % fs->groups);
	g0 = (uint32_t)((goal - fs->first_data_block) / fs->blocks_per_group);
	start = (uint32_t)((goal - fs->first_data_block) %
			   fs->blocks_per_group);
	for (uint32_t k = 0; k < fs->groups && r == 0; k++) {
		uint32_t g = (g0 + k) % fs->groups;

		r = group_balloc(op, g, k == 0 ? start : 0, blk, n);
		if (r == 1)
			fs->alloc_rotor = g;
	}
	if (r <= 0)
		return r < 0 ? r : -ENOSPC;
	fs->free_blocks -= *n;
	return ext4_super_write(op);
}

/* Free [blk, blk+n), all inside group g. */
static int group_bfree(struct ext4_op *op, uint32_t g, uint64_t blk, uint32_t n)
{
	struct ext4_fs *fs = op->fs;
	uint64_t first = group_first(fs, g);
	struct bcache_buf *b;
	struct gd_ref r;
	int err = gd_get(op, g, &r);

	if (err < 0)
		return err;
	b = bitmap_get(op, &r, false, &err);
	if (b == NULL) {
		gd_put(op, &r, false);
		return err;
	}
	/*
	 * A block already free means the tree and the bitmap disagree (a
	 * corrupted image, or a bug): nothing changes, no count goes up
	 * twice; the caller's -EIO aborts the journal.
	 */
	for (uint32_t i = 0; i < n; i++)
		if (!bit_test(b->data, blk - first + i)) {
			printk("kiln: ext4 %s: block %llu freed twice\n",
			       fs->name, (unsigned long long)(blk + i));
			err = -EIO;
			goto out;
		}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t bit = blk - first + i;

		b->data[bit / 8] &= (uint8_t) ~(1U << (bit % 8));
	}
	gd16_set(fs, r.p, GD_FREE_BLOCKS, gd16(fs, r.p, GD_FREE_BLOCKS) + n);
	fs->free_blocks += n;
out: /* dirty even when refused: bitmap_get may have made it */
	bitmap_csum(op, &r, b->data, false);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	gd_put(op, &r, true);
	return err;
}

int ext4_bfree(struct ext4_op *op, uint64_t blk, uint32_t n, bool meta)
{
	struct ext4_fs *fs = op->fs;
	int err = 0;

	/* a tree naming metadata must not free it for reuse (block_validity) */
	err = ext4_block_valid(fs, 0, blk, n, "freed");
	while (n > 0 && err == 0) {
		uint32_t g = (uint32_t)((blk - fs->first_data_block) /
					fs->blocks_per_group);
		uint64_t end = group_first(fs, g) + fs->blocks_per_group;
		uint32_t k = end - blk < n ? (uint32_t)(end - blk) : n;

		err = group_bfree(op, g, blk, k);
		if (err < 0)
			break;
		if (meta)
			for (uint32_t i = 0; i < k; i++)
				ext4_jbd2_free_meta(op->h, blk + i);
		else {
			ext4_jbd2_free_data(op->h, blk, k);
			bcache_discard(fs->dev, blk * fs->block_size,
				       (uint64_t)k * fs->block_size);
		}
		blk += k;
		n -= k;
	}
	if (err == 0)
		err = ext4_super_write(op);
	return err;
}

/*
 * Number ino, free by its bitmap, is in use all the same: a node holds
 * its inode, or its slot (written before, so not past bg_itable_unused,
 * whose slots lazy_itable_init leaves unwritten) still counts links.
 * Only a bitmap the image got wrong says so; handing ino out would give
 * two files one inode. Linux's __ext4_new_inode ("doubly allocated?")
 * reports it and fails the create with EIO; so does this. 0 or -EIO.
 */
static int ialloc_in_use(struct ext4_fs *fs, uint32_t ino, bool slot_written)
{
	bool held = fs->held != NULL && fs->held(fs->held_arg, ino) != NULL;
	int links = 0;

	if (!held && slot_written)
		links = ext4_inode_links(fs, ino);
	if (links < 0)
		return links; /* unread: the create fails, the number stays */
	if (!held && links == 0)
		return 0;
	printk("kiln: ext4 %s: inode %u is in use but free in its bitmap "
	       "(doubly allocated?)\n",
	       fs->name, ino);
	return -EIO;
}

/* Take a free inode of group g: 1 with *ino, 0 when it has none. */
static int group_ialloc(struct ext4_op *op, uint32_t g, bool dir, uint32_t *ino)
{
	struct ext4_fs *fs = op->fs;
	struct bcache_buf *b;
	struct gd_ref r;
	uint32_t i, free, unused;
	int err = gd_get(op, g, &r);

	if (err < 0)
		return err;
	free = gd16(fs, r.p, GD_FREE_INODES);
	if (free == 0) {
		gd_put(op, &r, false);
		return 0;
	}
	/*
	 * No slot of an INODE_UNINIT group was written, whatever
	 * bg_itable_unused says (read before bitmap_get clears the flag).
	 */
	unused = fs->csum && (ext4_le16(r.p + GD_FLAGS) & BG_INODE_UNINIT) ?
			 fs->inodes_per_group :
			 gd16(fs, r.p, GD_ITABLE_UNUSED);
	b = bitmap_get(op, &r, true, &err);
	if (b == NULL) {
		gd_put(op, &r, false);
		return err;
	}
	for (i = ext4_bit_next_zero(b->data, 0, fs->inodes_per_group);
	     i < fs->inodes_per_group;
	     i = ext4_bit_next_zero(b->data, i + 1, fs->inodes_per_group))
		if ((uint64_t)g * fs->inodes_per_group + i + 1 >= fs->first_ino)
			break;
	err = -EIO; /* the count said there was one */
	if (i < fs->inodes_per_group)
		err = ialloc_in_use(fs, g * fs->inodes_per_group + i + 1,
				    !fs->csum ||
					    i < fs->inodes_per_group - unused);
	if (err == 0) {
		bit_set(b->data, i);
		gd16_set(fs, r.p, GD_FREE_INODES, free - 1);
		if (dir)
			gd16_set(fs, r.p, GD_USED_DIRS,
				 gd16(fs, r.p, GD_USED_DIRS) + 1);
		if (fs->csum && fs->inodes_per_group - unused <= i)
			gd16_set(fs, r.p, GD_ITABLE_UNUSED,
				 fs->inodes_per_group - i - 1);
		*ino = g * fs->inodes_per_group + i + 1;
		err = 1;
	}
	bitmap_csum(op, &r, b->data, true);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	gd_put(op, &r, true);
	return err;
}

int ext4_ialloc(struct ext4_op *op, uint32_t parent, bool dir, uint32_t *ino)
{
	struct ext4_fs *fs = op->fs;
	uint32_t g0 = parent ? (parent - 1) / fs->inodes_per_group : 0;
	int r = 0;

	if (fs->free_inodes == 0)
		return -ENOSPC;
	for (uint32_t k = 0; k < fs->groups && r == 0; k++)
		r = group_ialloc(op, (g0 + k) % fs->groups, dir, ino);
	if (r <= 0)
		return r < 0 ? r : -ENOSPC;
	fs->free_inodes--;
	/* a new file: its number's old blocks' errors are nobody's now */
	bcache_take_owner_err(fs->dev, *ino);
	return ext4_super_write(op);
}

int ext4_ifree(struct ext4_op *op, uint32_t ino, bool dir)
{
	struct ext4_fs *fs = op->fs;
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint32_t i = (ino - 1) % fs->inodes_per_group;
	struct bcache_buf *b;
	struct gd_ref r;
	int err;

	if (ino < fs->first_ino || ino > fs->inodes_count)
		return -EIO;
	err = gd_get(op, g, &r);
	if (err < 0)
		return err;
	b = bitmap_get(op, &r, true, &err);
	if (b == NULL) {
		gd_put(op, &r, false);
		return err;
	}
	if (!bit_test(b->data, i))
		err = -EIO;
	b->data[i / 8] &= (uint8_t) ~(1U << (i % 8));
	gd16_set(fs, r.p, GD_FREE_INODES, gd16(fs, r.p, GD_FREE_INODES) + 1);
	if (dir && gd16(fs, r.p, GD_USED_DIRS) > 0)
		gd16_set(fs, r.p, GD_USED_DIRS,
			 gd16(fs, r.p, GD_USED_DIRS) - 1);
	bitmap_csum(op, &r, b->data, true);
	ext4_jbd2_dirty(op->h, b);
	bcache_put(b);
	gd_put(op, &r, true);
	if (err == 0) {
		fs->free_inodes++;
		/* its blocks' errors die with it: the owner slot is free */
		bcache_take_owner_err(fs->dev, ino);
		err = ext4_super_write(op);
	}
	return err;
}

int ext4_op_start(struct ext4_op *op, struct ext4_fs *fs, bool root)
{
	op->fs = fs;
	op->root = root;
	op->restarts = 0;
	if (fs->ro)
		return -EROFS;
	return ext4_handle_start(fs, EXT4_OP_CREDITS, &op->h);
}

int ext4_op_restart(struct ext4_op *op)
{
	int err = ext4_handle_stop(op->h);

	op->h = NULL;
	op->restarts++;
	if (err == 0)
		err = ext4_handle_start(op->fs, EXT4_OP_CREDITS, &op->h);
	return err;
}

void ext4_op_abort(struct ext4_op *op, int err)
{
	if (op->h)
		ext4_handle_abort(op->h, err);
}

/*
 * An I/O error or bad metadata (-EIO, -EFSCORRUPTED) may come after the operation
 * changed something (a bitmap taken, then the superblock unreadable):
 * the journal is aborted, as Linux's ext4_error does with
 * errors=remount-ro, so the half change never commits.
 */
int ext4_op_stop(struct ext4_op *op, int err)
{
	int e;

	if (err == -EIO || err == -EFSCORRUPTED)
		ext4_op_abort(op, err);
	e = op->h ? ext4_handle_stop(op->h) : 0;

	op->h = NULL;
	return err < 0 ? err : e;
}
