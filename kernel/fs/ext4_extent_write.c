/* ext4_extent_write.c - growing and cutting extent trees: insert with merging, leaf and index splits, depth growth, unwritten conversion, truncation. */
#include <asm-generic/errno.h>

#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * The layout is in ext4_extent.c. Changes are made by walking from the
 * root to the leaf that holds (or would hold) a logical block, keeping
 * each node of the path held; a full leaf is split by moving its upper
 * half to a new block whose index goes into the parent, splitting the
 * parent first when it is full too, and a full root moves into a new
 * block under it (the tree grows one level). After a split the walk is
 * simply made again.
 */
#define EH_MAGIC 0xF30A
#define INIT_MAX 32768U
#define UNWRITTEN_MAX 32767U
/* The highest logical block + 1 an extent can map (32-bit ee_block). */
#define LBLK_LIMIT (1ULL << 32)

struct level {
	struct bcache_buf *b; /* NULL: the root, in i_block */
	uint8_t *p;
	int i; /* the entry of the path here, -1 when before them all */
};

struct path {
	struct level l[EXT4_MAX_DEPTH + 1];
	uint32_t depth;
};

static uint8_t *entry(uint8_t *p, int i)
{
	return p + 12 + 12 * i;
}

static uint32_t n_entries(const uint8_t *p)
{
	return ext4_le16(p + 2);
}

static uint32_t n_max(const uint8_t *p)
{
	return ext4_le16(p + 4);
}

static uint64_t leaf_start(const uint8_t *e)
{
	return ext4_le32(e + 8) | (uint64_t)ext4_le16(e + 6) << 32;
}

static void leaf_set(uint8_t *e, uint64_t first, uint32_t len, uint64_t start,
		     bool unwritten)
{
	ext4_put32(e, (uint32_t)first);
	ext4_put16(e + 4, unwritten ? len + INIT_MAX : len);
	ext4_put16(e + 6, (uint32_t)(start >> 32));
	ext4_put32(e + 8, (uint32_t)start);
}

static uint32_t leaf_len(const uint8_t *e)
{
	uint32_t len = ext4_le16(e + 4);

	return len > INIT_MAX ? len - INIT_MAX : len;
}

static bool leaf_unwritten(const uint8_t *e)
{
	return ext4_le16(e + 4) > INIT_MAX;
}

static uint64_t index_child(const uint8_t *e)
{
	return ext4_le32(e + 4) | (uint64_t)ext4_le16(e + 8) << 32;
}

static void index_set(uint8_t *e, uint64_t first, uint64_t child)
{
	ext4_put32(e, (uint32_t)first);
	ext4_put32(e + 4, (uint32_t)child);
	ext4_put16(e + 8, (uint32_t)(child >> 32));
	ext4_put16(e + 10, 0);
}

static void header_set(uint8_t *p, uint32_t entries, uint32_t max,
		       uint32_t depth)
{
	ext4_put16(p, EH_MAGIC);
	ext4_put16(p + 2, entries);
	ext4_put16(p + 4, max);
	ext4_put16(p + 6, depth);
	ext4_put32(p + 8, 0);
}

static uint32_t block_cap(struct ext4_fs *fs)
{
	return (fs->block_size - 12) / 12;
}

/* A tree block was changed: its tail checksum, then the journal. */
static void node_dirty(struct ext4_op *op, const struct ext4_inode *in,
		       struct bcache_buf *b)
{
	uint32_t end;

	if (b == NULL)
		return; /* the root: written with the inode */
	end = 12 + 12 * n_max(b->data);
	if (op->fs->csum)
		ext4_put32(b->data + end, crc32c(in->csum_seed, b->data, end));
	ext4_jbd2_dirty(op->h, b);
}

static int header_ok(const uint8_t *p, uint32_t cap, uint32_t depth)
{
	uint32_t max = n_max(p);

	if (ext4_le16(p) != EH_MAGIC || max > cap || n_entries(p) > max ||
	    ext4_le16(p + 6) != depth)
		return -EIO;
	return 0;
}

/* A child tree block held for changing, its header and checksum checked. */
static struct bcache_buf *node_get(struct ext4_op *op,
				   const struct ext4_inode *in, uint64_t blk,
				   uint32_t depth, int *err)
{
	struct ext4_fs *fs = op->fs;
	struct bcache_buf *b;
	uint32_t end;

	*err = ext4_block_valid(fs, in->ino, blk, 1, "extent tree");
	if (*err < 0)
		return NULL;
	b = ext4_jbd2_get(op->h, blk, true, err);
	if (b == NULL)
		return NULL;
	*err = header_ok(b->data, block_cap(fs), depth);
	end = 12 + 12 * n_max(b->data);
	if (*err == 0 && fs->csum &&
	    crc32c(in->csum_seed, b->data, end) != ext4_le32(b->data + end))
		*err = -EIO;
	if (*err < 0) {
		bcache_put(b);
		return NULL;
	}
	return b;
}

static void path_put(struct path *pa)
{
	for (uint32_t k = 1; k <= pa->depth; k++)
		if (pa->l[k].b != NULL)
			bcache_put(pa->l[k].b);
	memset(pa, 0, sizeof(*pa));
}

static int last_le(uint8_t *p, uint64_t lblk)
{
	int i = -1;

	for (uint32_t k = 0; k < n_entries(p); k++)
		if (ext4_le32(entry(p, (int)k)) <= lblk)
			i = (int)k;
	return i;
}

/*
 * The path to lblk. An index entry whose first block lies past lblk
 * (lblk goes before the whole subtree) is moved down to lblk, so an
 * insert there keeps the index right. 0 or -EIO.
 */
static int path_walk(struct ext4_op *op, struct ext4_inode *in, uint64_t lblk,
		     struct path *pa)
{
	uint8_t *p = in->block;
	struct bcache_buf *b = NULL;
	int err = 0;

	memset(pa, 0, sizeof(*pa));
	pa->depth = ext4_le16(p + 6);
	if (pa->depth > EXT4_MAX_DEPTH || header_ok(p, 4, pa->depth) < 0)
		return -EIO;
	for (uint32_t k = 0;; k++) {
		pa->l[k].p = p;
		pa->l[k].b = b;
		pa->l[k].i = last_le(p, lblk);
		if (k == pa->depth)
			return 0;
		if (n_entries(p) == 0) {
			pa->depth = k;
			path_put(pa);
			return -EIO;
		}
		if (pa->l[k].i < 0) {
			pa->l[k].i = 0;
			ext4_put32(entry(p, 0), (uint32_t)lblk);
			node_dirty(op, in, b);
		}
		b = node_get(op, in, index_child(entry(p, pa->l[k].i)),
			     pa->depth - k - 1, &err);
		if (b == NULL) {
			pa->depth = k;
			path_put(pa);
			return err;
		}
		p = b->data;
	}
}

/* A new, zeroed tree block near goal; counted in in's blocks. */
static struct bcache_buf *node_new(struct ext4_op *op, struct ext4_inode *in,
				   uint64_t goal, int *err)
{
	uint32_t n = 1;
	uint64_t blk;
	struct bcache_buf *b;

	*err = ext4_balloc(op, goal, &blk, &n);
	if (*err < 0)
		return NULL;
	b = ext4_jbd2_get(op->h, blk, false, err);
	if (b == NULL) {
		int e = ext4_bfree(op, blk, 1, true);

		/* a block neither in the tree nor free: the journal aborts */
		if (e < 0)
			*err = e;
		return NULL;
	}
	memset(b->data, 0, op->fs->block_size);
	in->blocks512 += op->fs->block_size / 512;
	return b;
}

/* The root is full at every level: move it into a new block below it. */
static int tree_grow(struct ext4_op *op, struct ext4_inode *in)
{
	uint8_t *root = in->block;
	uint32_t depth = ext4_le16(root + 6), n = n_entries(root);
	uint64_t first = n ? ext4_le32(entry(root, 0)) : 0;
	struct bcache_buf *b;
	int err;

	if (depth >= EXT4_MAX_DEPTH)
		return -EFBIG;
	b = node_new(op, in, 0, &err);
	if (b == NULL)
		return err;
	header_set(b->data, n, block_cap(op->fs), depth);
	memcpy(entry(b->data, 0), entry(root, 0), 12 * n);
	node_dirty(op, in, b);
	header_set(root, 1, 4, depth + 1);
	index_set(entry(root, 0), first, b->block);
	bcache_put(b);
	return 0;
}

/* Insert a 12-byte entry e at position at of node p (room checked). */
static void entry_insert(uint8_t *p, int at, const uint8_t *e)
{
	uint32_t n = n_entries(p);

	memmove(entry(p, at + 1), entry(p, at), 12 * (n - (uint32_t)at));
	memcpy(entry(p, at), e, 12);
	ext4_put16(p + 2, n + 1);
}

/*
 * The node at level k + 1 of the path is full and level k has room:
 * its upper half moves to a new block indexed right after it.
 */
static int node_split(struct ext4_op *op, struct ext4_inode *in,
		      struct path *pa, uint32_t k)
{
	struct level *c = &pa->l[k + 1], *par = &pa->l[k];
	uint32_t n = n_entries(c->p), keep = n / 2;
	uint8_t ix[12];
	struct bcache_buf *b;
	int err;

	b = node_new(op, in, c->b ? c->b->block : 0, &err);
	if (b == NULL)
		return err;
	header_set(b->data, n - keep, block_cap(op->fs), pa->depth - k - 1);
	memcpy(entry(b->data, 0), entry(c->p, (int)keep), 12 * (n - keep));
	ext4_put16(c->p + 2, keep);
	node_dirty(op, in, b);
	node_dirty(op, in, c->b);
	index_set(ix, ext4_le32(entry(b->data, 0)), b->block);
	entry_insert(par->p, par->i + 1, ix);
	node_dirty(op, in, par->b);
	bcache_put(b);
	return 0;
}

/*
 * pa's leaf is full: split its lowest ancestor with room, or grow the
 * tree when none has any, then let the path go (the caller walks again).
 * 0 or -ERRNO.
 */
static int split_for_room(struct ext4_op *op, struct ext4_inode *in,
			  struct path *pa)
{
	int k, err;

	for (k = (int)pa->depth - 1; k >= 0; k--)
		if (n_entries(pa->l[k].p) < n_max(pa->l[k].p))
			break;
	err = k < 0 ? tree_grow(op, in) : node_split(op, in, pa, k);
	path_put(pa);
	return err;
}

/* Can extent e take [first, first+len) at start on its right side? */
static bool merges_after(const uint8_t *e, uint64_t first, uint64_t start,
			 uint32_t len, bool unw)
{
	uint32_t elen = leaf_len(e);

	return leaf_unwritten(e) == unw && ext4_le32(e) + elen == first &&
	       leaf_start(e) + elen == start &&
	       elen + len <= (unw ? UNWRITTEN_MAX : INIT_MAX);
}

/* Map [first, first+len) (a hole) to start in in's tree. 0 or -ERRNO. */
static int extent_insert(struct ext4_op *op, struct ext4_inode *in,
			 uint64_t first, uint64_t start, uint32_t len, bool unw)
{
	struct path pa;
	int err;

	for (;;) {
		struct level *lf;
		uint8_t e[12];
		int i;

		err = path_walk(op, in, first, &pa);
		if (err < 0)
			return err;
		lf = &pa.l[pa.depth];
		i = lf->i;
		if (i >= 0 &&
		    merges_after(entry(lf->p, i), first, start, len, unw)) {
			uint8_t *x = entry(lf->p, i);

			leaf_set(x, ext4_le32(x), leaf_len(x) + len,
				 leaf_start(x), unw);
			break;
		}
		if (n_entries(lf->p) < n_max(lf->p)) {
			leaf_set(e, first, len, start, unw);
			entry_insert(lf->p, i + 1, e);
			break;
		}
		err = split_for_room(op, in, &pa);
		if (err < 0)
			return err;
	}
	node_dirty(op, in, pa.l[pa.depth].b);
	path_put(&pa);
	return 0;
}

/* Where to look for blocks for lblk: after the block before it. */
static uint64_t alloc_goal(struct ext4_fs *fs, const struct ext4_inode *in,
			   uint64_t lblk)
{
	uint64_t pblk = 0, count;

	if (lblk > 0 && ext4_bmap(fs, in, lblk - 1, &pblk, &count) == 0 &&
	    pblk != 0)
		return pblk + 1;
	return fs->first_data_block +
	       (uint64_t)((in->ino - 1) / fs->inodes_per_group) *
		       fs->blocks_per_group;
}

int ext4_extent_alloc(struct ext4_op *op, struct ext4_inode *in, uint64_t lblk,
		      uint64_t *pblk, uint32_t *n, bool unwritten)
{
	struct ext4_fs *fs = op->fs;
	uint32_t limit = unwritten ? UNWRITTEN_MAX : INIT_MAX;
	int err;

	if (!(in->flags & EXT4_EXTENTS_FL))
		return -EIO; /* old block maps are read, not grown */
	if (lblk >= LBLK_LIMIT)
		return -EFBIG;
	if (*n > limit)
		*n = limit;
	if (lblk + *n > LBLK_LIMIT)
		*n = (uint32_t)(LBLK_LIMIT - lblk);
	err = ext4_balloc(op, alloc_goal(fs, in, lblk), pblk, n);
	if (err < 0)
		return err;
	err = extent_insert(op, in, lblk, *pblk, *n, unwritten);
	if (err < 0) {
		int e = ext4_bfree(op, *pblk, *n, false);

		/* blocks taken that no tree maps: the journal aborts */
		return e < 0 ? e : err;
	}
	in->blocks512 += (uint64_t)*n * (fs->block_size / 512);
	return 0;
}

/*
 * The leaf that holds lblk gets at least need free entries, splitting
 * nodes (or growing the tree) as extent_insert would. Each split
 * either happens whole or not at all (-ENOSPC: no block for it), so on
 * failure the tree maps exactly what it did. 0 or -ERRNO.
 */
static int leaf_room(struct ext4_op *op, struct ext4_inode *in, uint64_t lblk,
		     uint32_t need)
{
	struct path pa;
	int err;

	for (;;) {
		struct level *lf;

		err = path_walk(op, in, lblk, &pa);
		if (err < 0)
			return err;
		lf = &pa.l[pa.depth];
		if (n_max(lf->p) - n_entries(lf->p) >= need) {
			path_put(&pa);
			return 0;
		}
		err = split_for_room(op, in, &pa);
		if (err < 0)
			return err;
	}
}

/*
 * The unwritten extent is split in up to three (unwritten head, written
 * middle, unwritten tail). The leaf is given room for the new entries
 * first, so the inserts never need a block: an ENOSPC comes before any
 * entry changed, and the extent stays as it was (a failure halfway
 * would lose the mapping of the blocks after the head).
 */
int ext4_extent_convert(struct ext4_op *op, struct ext4_inode *in,
			uint64_t lblk, uint64_t *pblk, uint32_t *n)
{
	uint64_t first, start, tail_first;
	uint32_t len, tail;
	struct path pa;
	uint8_t *e;
	int err = path_walk(op, in, lblk, &pa);

	if (err < 0)
		return err;
	if (pa.l[pa.depth].i < 0)
		goto err_path;
	e = entry(pa.l[pa.depth].p, pa.l[pa.depth].i);
	first = ext4_le32(e);
	len = leaf_len(e);
	start = leaf_start(e);
	if (!leaf_unwritten(e) || lblk >= first + len)
		goto err_path;
	if (*n > first + len - lblk)
		*n = (uint32_t)(first + len - lblk);
	*pblk = start + (lblk - first);
	tail_first = lblk + *n;
	tail = (uint32_t)(first + len - tail_first);
	if (lblk > first || tail > 0) {
		path_put(&pa);
		err = leaf_room(op, in, lblk,
				(lblk > first ? 1U : 0U) +
					(tail > 0 ? 1U : 0U));
		if (err < 0)
			return err;
		err = path_walk(op, in, lblk, &pa);
		if (err < 0)
			return err;
		if (pa.l[pa.depth].i < 0)
			goto err_path;
		e = entry(pa.l[pa.depth].p, pa.l[pa.depth].i);
		if (ext4_le32(e) != first || leaf_len(e) != len)
			goto err_path;
	}
	if (lblk > first)
		leaf_set(e, first, (uint32_t)(lblk - first), start, true);
	else
		leaf_set(e, first, *n, start, false);
	node_dirty(op, in, pa.l[pa.depth].b);
	path_put(&pa);
	if (lblk > first)
		err = extent_insert(op, in, lblk, *pblk, *n, false);
	if (err == 0 && tail > 0)
		err = extent_insert(op, in, tail_first, *pblk + *n, tail, true);
	return err;
err_path:
	path_put(&pa);
	return -EIO;
}

/*
 * Truncation, in steps: extents are cut from the end of the file, one
 * group's worth of blocks at a time (an extent Linux made may cross
 * groups), and before each piece the handle must still have the
 * credits the worst piece takes: its bitmap and descriptor, the
 * superblock, the leaf, and every tree block above it emptied and
 * freed (a bitmap and a descriptor each, its parent changed). When it
 * has not, the walk stops with the tree whole (every node holds what
 * lies before the cut so far, i_blocks counts what is left) and the
 * handle is restarted (Linux's ext4_ext_truncate_extend_restart).
 */
#define TRUNC_STEP_CREDITS (4 + 3 * EXT4_MAX_DEPTH + 2)

struct trunc {
	struct ext4_op *op;
	struct ext4_inode *in;
	uint64_t from;
	bool more; /* stopped for credits: restart and go on */
};

static bool trunc_room(struct trunc *t)
{
	if (ext4_handle_left(t->op->h) >= TRUNC_STEP_CREDITS)
		return true;
	t->more = true;
	return false;
}

/* The first block of the group holding blk. */
static uint64_t group_start(const struct ext4_fs *fs, uint64_t blk)
{
	return blk - (blk - fs->first_data_block) % fs->blocks_per_group;
}

/* Cut leaf p down to the blocks before t->from; *changed if it was. */
static int leaf_truncate(struct trunc *t, uint8_t *p, bool *changed)
{
	struct ext4_fs *fs = t->op->fs;
	uint32_t n, len, cut;
	uint64_t first, start, keep, lo;
	uint8_t *e;
	int err;

	while ((n = n_entries(p)) > 0) {
		e = entry(p, (int)n - 1);
		first = ext4_le32(e);
		len = leaf_len(e);
		start = leaf_start(e);
		if (first + len <= t->from || !trunc_room(t))
			return 0;
		/* the whole extent, as a read checks it (block_validity) */
		err = ext4_block_valid(fs, t->in->ino, start, len, "extent");
		if (err < 0)
			return err;
		keep = first >= t->from ? 0 : t->from - first;
		lo = group_start(fs, start + len - 1);
		if (lo < start + keep)
			lo = start + keep;
		cut = (uint32_t)(start + len - lo);
		err = ext4_bfree(t->op, lo, cut, false);
		if (err < 0)
			return err;
		t->in->blocks512 -= (uint64_t)cut * (fs->block_size / 512);
		if (cut < len)
			leaf_set(e, first, len - cut, start, leaf_unwritten(e));
		else
			ext4_put16(p + 2, n - 1);
		*changed = true;
	}
	return 0;
}

/*
 * Cut the subtree at p (depth levels above its leaves) before t->from,
 * from its last entry back; *changed if p was.
 */
static int node_truncate(struct trunc *t, uint8_t *p, uint32_t depth,
			 bool *changed)
{
	struct ext4_op *op = t->op;
	uint32_t n;
	int err = 0;

	if (depth == 0)
		return leaf_truncate(t, p, changed);
	while ((n = n_entries(p)) > 0 && trunc_room(t)) {
		uint8_t *e = entry(p, (int)n - 1);
		uint64_t first = ext4_le32(e), child = index_child(e);
		struct bcache_buf *b = node_get(op, t->in, child, depth - 1,
						&err);
		bool cc = false;

		if (b == NULL)
			return err;
		err = node_truncate(t, b->data, depth - 1, &cc);
		if (err == 0 && n_entries(b->data) == 0) {
			bcache_put(b);
			err = ext4_bfree(op, child, 1, true);
			t->in->blocks512 -= op->fs->block_size / 512;
			ext4_put16(p + 2, n - 1);
			*changed = true;
		} else {
			if (cc)
				node_dirty(op, t->in, b);
			bcache_put(b);
		}
		if (err < 0 || t->more || first < t->from)
			return err;
	}
	return 0;
}

int ext4_extent_truncate(struct ext4_op *op, struct ext4_inode *in,
			 uint64_t from)
{
	struct trunc t = { op, in, from, false };
	uint32_t depth;
	bool changed = false;
	int err;

	if (!(in->flags & EXT4_EXTENTS_FL))
		return -EIO;
	for (;;) {
		depth = ext4_le16(in->block + 6);
		if (depth > EXT4_MAX_DEPTH ||
		    header_ok(in->block, 4, depth) < 0)
			return -EIO;
		t.more = false;
		err = node_truncate(&t, in->block, depth, &changed);
		if (err < 0 || !t.more)
			break;
		/* A restart point: the inode as the tree now is. */
		err = ext4_iput(op, in, false);
		if (err == 0)
			err = ext4_op_restart(op);
		if (err < 0)
			return err;
	}
	if (err == 0 && n_entries(in->block) == 0)
		header_set(in->block, 0, 4, 0);
	return err;
}
