/* ext4_htree_write.c - hashed directories kept: names added through the index, full leaves split by hash, full nodes split or a level added, one-block directories indexed as they grow. */
#include <asm-generic/errno.h>

#include "core/heap.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_dir_int.h"
#include "fs/ext4_htree.h"
#include "fs/ext4_jbd2.h"
#include "lib/string.h"

/*
 * Layout in ext4_htree.h. Linux's ext4_dx_add_entry is the model: the
 * name goes into the leaf its hash leads to; a full leaf is split by
 * hash (its entries sorted, the upper half by size moved to a new
 * block whose dx_entry goes in after the old one's); when the leaf's
 * index node is full too, the lowest ancestor with room takes a new
 * entry for each node split below it, and when even the root is full a
 * level is added (the root's entries move to a new node). Nothing ever
 * shrinks: a removed name leaves its leaf, the index stays (as Linux).
 * The path is found by ext4_dx_probe on the cache's buffers; the blocks are
 * then taken for changing through the journal, read from the same
 * cache, and checked again before use (dx_hold).
 */
/* An entry's size and hash, for sorting a leaf (Linux's dx_map_entry). */
struct dx_map {
	uint32_t hash;
	uint16_t off, size;
};

/* The index blocks of a path, held for changing. */
struct dx_held {
	struct bcache_buf *b[EXT4_DX_MAX_LEVELS];
	bool changed[EXT4_DX_MAX_LEVELS];
};

static uint32_t dx_base(int lvl)
{
	return lvl == 0 ? EXT4_DX_ROOT_BASE : EXT4_DX_NODE_BASE;
}

static uint8_t *dx_ents(struct dx_held *h, int lvl)
{
	return h->b[lvl]->data + dx_base(lvl);
}

static uint32_t dx_count(struct dx_held *h, int lvl)
{
	return ext4_le16(dx_ents(h, lvl) + 2);
}

/* Index block b of level lvl changed: its dx_tail summed, the journal told. */
static void dx_dirty(struct ext4_op *op, const struct ext4_inode *dir,
		     struct bcache_buf *b, int lvl)
{
	struct ext4_fs *fs = op->fs;
	uint32_t base = dx_base(lvl);

	if (fs->csum) {
		uint8_t *t = b->data + base + ext4_dx_limit(fs, base) * 8;

		ext4_put32(t, 0);
		ext4_put32(t + 4, ext4_dx_csum(fs, dir, b->data, base));
	}
	ext4_jbd2_dirty(op->h, b);
}

static void dx_put(struct ext4_op *op, const struct ext4_inode *dir,
		   struct dx_held *h)
{
	for (int i = 0; i < EXT4_DX_MAX_LEVELS; i++) {
		if (h->b[i] == NULL)
			continue;
		if (h->changed[i])
			dx_dirty(op, dir, h->b[i], i);
		bcache_put(h->b[i]);
		h->b[i] = NULL;
	}
}

/*
 * Take p's index blocks for changing. The buffer taken is usually the
 * very one the probe read in place (p->buf[i]), so comparing the two
 * proves nothing: what the changes below rely on is checked again on
 * the bytes they will change instead. Each block is a sound index
 * block with the probe's count, and the entry the probe took still
 * leads to the next level's block (or to the leaf).
 */
static int dx_hold(struct ext4_op *op, const struct ext4_inode *dir,
		   const struct ext4_dx_path *p, struct dx_held *h)
{
	for (int i = 0; i <= p->levels; i++) {
		uint64_t next = i < p->levels ? p->blk[i + 1] : p->leaf;
		int err;

		h->b[i] = ext4_dblock_get(op, dir, p->blk[i], &err);
		if (h->b[i] == NULL)
			return err < 0 ? err : -EIO;
		if (ext4_dx_block_check(op->fs, dir, h->b[i]->data, i) < 0 ||
		    dx_count(h, i) != p->count[i] || p->at[i] >= p->count[i] ||
		    (ext4_le32(dx_ents(h, i) + p->at[i] * 8 + 4) &
		     EXT4_DX_BLOCK_MASK) != next)
			return -EIO;
	}
	return 0;
}

/* Entry (hash, blk) at position pos of level lvl, which has room. */
static void dx_insert(struct dx_held *h, int lvl, uint32_t pos, uint32_t hash,
		      uint32_t blk)
{
	uint8_t *e = dx_ents(h, lvl);
	uint32_t count = dx_count(h, lvl);

	memmove(e + (pos + 1) * 8, e + pos * 8, (count - pos) * 8);
	ext4_put32(e + pos * 8, hash);
	ext4_put32(e + pos * 8 + 4, blk);
	ext4_put16(e + 2, count + 1);
	h->changed[lvl] = true;
}

/*
 * A new interior node holding the n (>= 1) entries at src: the fake
 * entry over the block, then limit, count n and the entries. Entry 0's
 * hash is not copied: its place holds the limit and count (ext4_htree.h).
 */
static int dx_node_new(struct ext4_op *op, struct ext4_inode *dir,
		       const uint8_t *src, uint32_t n, struct bcache_buf **bp,
		       uint64_t *lblk)
{
	struct ext4_fs *fs = op->fs;
	int err = ext4_dir_grow(op, dir, bp, lblk);
	uint8_t *ne;

	if (err < 0)
		return err;
	/* A 64 KiB rec_len is written as 65535 (Linux's ext4_rec_len_to_disk). */
	ext4_put16((*bp)->data + 4,
		   fs->block_size == 65536 ? 65535 : fs->block_size);
	ne = (*bp)->data + EXT4_DX_NODE_BASE;
	ext4_put16(ne, ext4_dx_limit(fs, EXT4_DX_NODE_BASE));
	ext4_put16(ne + 2, n);
	memcpy(ne + 4, src + 4, n * 8 - 4);
	return 0;
}

/* The root's entries move to a new node under it: one level more. */
static int dx_add_level(struct ext4_op *op, struct ext4_inode *dir,
			struct ext4_dx_path *p, struct dx_held *h)
{
	uint8_t *root = dx_ents(h, 0);
	struct bcache_buf *nb;
	uint64_t nblk;
	int err = dx_node_new(op, dir, root, dx_count(h, 0), &nb, &nblk);

	if (err < 0)
		return err;
	ext4_put16(root + 2, 1);
	ext4_put32(root + 4, (uint32_t)nblk);
	h->b[0]->data[EXT4_DX_ROOT_INFO + 6] = (uint8_t)(p->levels + 1);
	for (int i = p->levels; i >= 1; i--) {
		h->b[i + 1] = h->b[i];
		h->changed[i + 1] = h->changed[i];
		p->at[i + 1] = p->at[i];
		p->blk[i + 1] = p->blk[i];
	}
	h->b[1] = nb;
	h->changed[0] = h->changed[1] = true;
	p->at[1] = p->at[0];
	p->at[0] = 0;
	p->blk[1] = nblk;
	p->levels++;
	return 0;
}

/*
 * Full node of level lvl split in two (its parent has room): the upper
 * half goes to a new node, entered in the parent; the path follows
 * whichever half holds its entry.
 */
static int dx_split_node(struct ext4_op *op, struct ext4_inode *dir,
			 struct ext4_dx_path *p, struct dx_held *h, int lvl)
{
	uint32_t n = dx_count(h, lvl), n1 = n / 2;
	uint8_t *upper = dx_ents(h, lvl) + n1 * 8;
	uint32_t hash = ext4_le32(upper);
	struct bcache_buf *nb;
	uint64_t nblk;
	int err = dx_node_new(op, dir, upper, n - n1, &nb, &nblk);

	if (err < 0)
		return err;
	ext4_put16(dx_ents(h, lvl) + 2, n1);
	dx_insert(h, lvl - 1, p->at[lvl - 1] + 1, hash, (uint32_t)nblk);
	h->changed[lvl] = true;
	if (p->at[lvl] >= n1) {
		dx_dirty(op, dir, h->b[lvl], lvl);
		bcache_put(h->b[lvl]);
		h->b[lvl] = nb;
		p->at[lvl] -= n1;
		p->at[lvl - 1]++;
		p->blk[lvl] = nblk;
	} else {
		dx_dirty(op, dir, nb, lvl);
		bcache_put(nb);
	}
	return 0;
}

/* Make room for one more entry in the leaf's parent node. */
static int dx_make_room(struct ext4_op *op, struct ext4_inode *dir,
			struct ext4_dx_path *p, struct dx_held *h)
{
	int max = (op->fs->incompat & EXT4_INCOMPAT_LARGEDIR) ? 2 : 1;
	int k = p->levels, err = 0;

	while (k >= 0 && dx_count(h, k) >= ext4_dx_limit(op->fs, dx_base(k)))
		k--;
	if (k < 0) {
		/* Linux says "Directory index full!" here. */
		if (p->levels >= max)
			return -ENOSPC;
		err = dx_add_level(op, dir, p, h);
		k = 0;
	}
	for (int lvl = k + 1; err == 0 && lvl <= p->levels; lvl++)
		if (dx_count(h, lvl) >= ext4_dx_limit(op->fs, dx_base(lvl)))
			err = dx_split_node(op, dir, p, h, lvl);
	return err;
}

/* Shell sort by hash (a leaf holds at most block_size / 12 entries). */
static void map_sort(struct dx_map *m, uint32_t n)
{
	for (uint32_t gap = n / 2; gap > 0; gap /= 2)
		for (uint32_t i = gap; i < n; i++)
			for (uint32_t j = i;
			     j >= gap && m[j - gap].hash > m[j].hash;
			     j -= gap) {
				struct dx_map t = m[j];

				m[j] = m[j - gap];
				m[j - gap] = t;
			}
}

/* The live entries of leaf d, hashed, into m: their number, or -EIO. */
static long map_make(struct ext4_fs *fs, const struct ext4_dx_path *p,
		     const uint8_t *d, struct dx_map *m)
{
	uint32_t n = 0, rl, minor;

	for (uint32_t off = 0; off < ext4_de_usable(fs); off += rl) {
		const uint8_t *e = d + off;

		rl = ext4_de_len(fs, d, off);
		if (rl == 0)
			return -EIO;
		if (ext4_le32(e) == 0 || e[6] == 0)
			continue;
		ext4_dx_hash(fs->hash_seed, p->version,
			     (const char *)e + EXT4_DE_HEAD, e[6], &m[n].hash,
			     &minor);
		m[n].off = (uint16_t)off;
		m[n].size = (uint16_t)ext4_de_need(e[6]);
		n++;
	}
	return n;
}

/* Entries m[0, n) of src written packed into dst (a whole leaf). */
static void map_pack(struct ext4_fs *fs, uint8_t *dst, const uint8_t *src,
		     const struct dx_map *m, uint32_t n)
{
	uint32_t at = 0, end = ext4_de_usable(fs);

	memset(dst, 0, fs->block_size);
	if (n == 0) {
		ext4_de_set(dst, 0, end, "", 0, 0);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		memcpy(dst + at, src + m[i].off, m[i].size);
		ext4_put16(dst + at + 4, i + 1 == n ? end - at : m[i].size);
		at += m[i].size;
	}
}

/*
 * Split the full leaf *lb (Linux's do_split): sorted by hash, entries
 * from the top whose sizes come to half the block move to a new leaf,
 * entered after the old one with the first moved hash (low bit set
 * when the hash goes on from the old leaf). *lb becomes the half the
 * new name's hash belongs in.
 */
static int dx_split_leaf(struct ext4_op *op, struct ext4_inode *dir,
			 struct ext4_dx_path *p, struct dx_held *h,
			 struct bcache_buf **lb)
{
	struct ext4_fs *fs = op->fs;
	uint32_t split, size = 0, hash2, lvl = (uint32_t)p->levels;
	struct dx_map *m = kmalloc((fs->block_size / 12 + 1) * sizeof(*m));
	uint8_t *tmp = kmalloc(fs->block_size);
	struct bcache_buf *nb;
	uint64_t nblk;
	long n;
	int err = -ENOMEM;

	if (m == NULL || tmp == NULL)
		goto out;
	err = -EIO;
	n = map_make(fs, p, (*lb)->data, m);
	if (n < 0)
		goto out;
	map_sort(m, (uint32_t)n);
	for (split = (uint32_t)n; split > 0; split--, size += m[split].size)
		if (size + m[split - 1].size / 2 > fs->block_size / 2)
			break;
	memcpy(tmp, (*lb)->data, fs->block_size);
	if (split == 0 || split == n) {
		/* Room made by packing alone (slack scattered in gaps). */
		map_pack(fs, (*lb)->data, tmp, m, (uint32_t)n);
		err = 0;
		goto out;
	}
	err = ext4_dir_grow(op, dir, &nb, &nblk);
	if (err < 0)
		goto out;
	hash2 = m[split].hash;
	map_pack(fs, nb->data, tmp, m + split, (uint32_t)n - split);
	map_pack(fs, (*lb)->data, tmp, m, split);
	dx_insert(h, (int)lvl, p->at[lvl] + 1,
		  hash2 | (m[split - 1].hash == hash2), (uint32_t)nblk);
	if (p->hash >= hash2) {
		ext4_dblock_dirty(op, dir, *lb);
		bcache_put(*lb);
		*lb = nb;
	} else {
		ext4_dblock_dirty(op, dir, nb);
		bcache_put(nb);
	}
out:
	kfree(tmp);
	kfree(m);
	return err;
}

int ext4_dx_add(struct ext4_op *op, struct ext4_inode *dir, const char *name,
		uint32_t len, uint32_t ino, uint32_t ft)
{
	struct ext4_fs *fs = op->fs;
	struct dx_held h = { 0 };
	struct ext4_dx_path p;
	struct bcache_buf *lb;
	int err = ext4_dx_probe(fs, dir, name, len, &p);

	if (err <= 0)
		return err == 0 ? 1 : err;
	lb = ext4_dblock_get(op, dir, p.leaf, &err);
	if (lb == NULL) {
		err = err < 0 ? err : -EIO; /* a leaf in a hole */
		goto out;
	}
	if (!ext4_dblock_add(fs, lb->data, name, len, ino, ft, &err) &&
	    err == 0) {
		err = dx_hold(op, dir, &p, &h);
		if (err == 0)
			err = dx_make_room(op, dir, &p, &h);
		if (err == 0)
			err = dx_split_leaf(op, dir, &p, &h, &lb);
		if (err == 0 &&
		    !ext4_dblock_add(fs, lb->data, name, len, ino, ft, &err))
			err = err < 0 ? err : -EIO;
	}
	if (err == 0)
		ext4_dblock_dirty(op, dir, lb);
	bcache_put(lb);
	dx_put(op, dir, &h);
out:
	ext4_dx_release(&p);
	return err;
}

int ext4_dx_make_indexed(struct ext4_op *op, struct ext4_inode *dir)
{
	struct ext4_fs *fs = op->fs;
	uint32_t start, end = ext4_de_usable(fs);
	struct bcache_buf *b0, *b1;
	uint64_t lblk;
	uint8_t *d;
	int err;

	if (!(fs->compat & EXT4_COMPAT_DIR_INDEX) ||
	    fs->def_hash_version > EXT4_DX_HASH_TEA)
		return 1;
	b0 = ext4_dblock_get(op, dir, 0, &err);
	if (b0 == NULL)
		return err < 0 ? err : -EIO;
	d = b0->data;
	start = 12 + ext4_de_len(fs, d, 12);
	if (ext4_de_len(fs, d, 0) != 12 || d[6] != 1 || d[12 + 6] != 2 ||
	    start == 12) {
		bcache_put(b0);
		return -EIO;
	}
	err = ext4_dir_grow(op, dir, &b1, &lblk);
	if (err < 0) {
		bcache_put(b0);
		return err;
	}
	/* The entries after ".." move down by start: the last one grows. */
	if (start < end) {
		uint32_t off = 0, rl;

		memcpy(b1->data, d + start, end - start);
		while ((rl = ext4_de_len(fs, b1->data, off)) != 0 &&
		       off + rl < end - start)
			off += rl;
		if (rl == 0) {
			bcache_put(b1);
			bcache_put(b0);
			return -EIO;
		}
		ext4_put16(b1->data + off + 4, end - off);
	} else {
		ext4_de_set(b1->data, 0, end, "", 0, 0);
	}
	ext4_dblock_dirty(op, dir, b1);
	bcache_put(b1);
	memset(d + 24, 0, fs->block_size - 24);
	ext4_put16(d + 12 + 4, fs->block_size - 12);
	d[EXT4_DX_ROOT_INFO + 4] = fs->def_hash_version;
	d[EXT4_DX_ROOT_INFO + 5] = 8;
	ext4_put16(d + EXT4_DX_ROOT_BASE, ext4_dx_limit(fs, EXT4_DX_ROOT_BASE));
	ext4_put16(d + EXT4_DX_ROOT_BASE + 2, 1);
	ext4_put32(d + EXT4_DX_ROOT_BASE + 4, (uint32_t)lblk);
	dx_dirty(op, dir, b0, 0);
	bcache_put(b0);
	dir->flags |= EXT4_INDEX_FL;
	return 0;
}
