/* ext4_extent.c - file data: extent trees of any depth, old indirect block maps, reads, symlinks. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * An extent tree node (ext4 docs, "Extent Tree"): a 12-byte header,
 * then eh_entries 12-byte entries, sorted by logical block. In i_block
 * the root has room for 4; a tree block for (block_size - 12) / 12, and
 * a crc32c tail right after its eh_max entries.
 *
 *   header: magic 0xF30A | entries | max | depth | generation
 *   index (depth > 0): first lblk | child block lo32 | hi16 | -
 *   leaf  (depth 0):   first lblk | len16 | start hi16 | start lo32
 *
 * A leaf length above 32768 marks an unwritten extent (len - 32768
 * blocks that read as zeros).
 */
#define EH_MAGIC 0xF30A
#define EXT_INIT_MAX_LEN 32768U
/* A hole: how far to say it reaches when nothing after it is known. */
#define HOLE_MAX 0xFFFFFFFFULL

struct ext_node {
	const uint8_t *p;
	uint32_t entries;
	uint32_t depth;
};

/* Check a node's header against what its place allows. */
static int node_check(const uint8_t *p, uint32_t cap, uint32_t depth,
		      struct ext_node *n)
{
	uint32_t max = ext4_le16(p + 4);

	if (ext4_le16(p) != EH_MAGIC || max > cap || ext4_le16(p + 2) > max ||
	    ext4_le16(p + 6) != depth)
		return -EIO;
	n->p = p;
	n->entries = ext4_le16(p + 2);
	n->depth = depth;
	return 0;
}

/* The tree block's tail: crc32c(inode seed, bytes before the tail). */
static int node_csum(struct ext4_fs *fs, const struct ext4_inode *in,
		     const uint8_t *blk)
{
	uint32_t end = 12 + 12 * (uint32_t)ext4_le16(blk + 4);

	if (!fs->csum)
		return 0;
	if (end + 4 > fs->block_size)
		return -EIO;
	return crc32c(in->csum_seed, blk, end) == ext4_le32(blk + end) ? 0 :
									 -EIO;
}

/* The last entry of n whose first block is <= lblk, or -1. */
static int entry_at(const struct ext_node *n, uint64_t lblk)
{
	int found = -1;

	for (uint32_t i = 0; i < n->entries; i++) {
		if (ext4_le32(n->p + 12 + 12 * i) > lblk)
			break;
		found = (int)i;
	}
	return found;
}

/* Where the first entry after i starts (the end of a hole), if any. */
static uint64_t next_start(const struct ext_node *n, int i, uint64_t lblk)
{
	if ((uint32_t)(i + 1) < n->entries)
		return ext4_le32(n->p + 12 + 12 * (uint32_t)(i + 1)) - lblk;
	return HOLE_MAX;
}

static int leaf_map(struct ext4_fs *fs, const struct ext4_inode *in,
		    const struct ext_node *n, uint64_t lblk, uint64_t *pblk,
		    uint64_t *count, bool *unwritten)
{
	int i = entry_at(n, lblk);
	const uint8_t *e;
	uint64_t first, len, start;

	*pblk = 0;
	*count = i < 0 ? next_start(n, i, lblk) : 1;
	if (i < 0)
		return 0;
	e = n->p + 12 + 12 * (uint32_t)i;
	first = ext4_le32(e);
	len = ext4_le16(e + 4);
	start = ext4_le32(e + 8) | (uint64_t)ext4_le16(e + 6) << 32;
	if (len > EXT_INIT_MAX_LEN) {
		len -= EXT_INIT_MAX_LEN;
		*unwritten = true; /* reads as zeros */
	}
	if (lblk >= first + len) { /* a hole up to the next extent */
		*count = next_start(n, i, lblk);
		return 0;
	}
	if (start != 0 && ext4_block_valid(fs, in->ino, start, len, "extent"))
		return -EFSCORRUPTED;
	*count = first + len - lblk;
	if (start != 0)
		*pblk = start + (lblk - first);
	return 0;
}

static int extent_map(struct ext4_fs *fs, const struct ext4_inode *in,
		      uint64_t lblk, uint64_t *pblk, uint64_t *count,
		      bool *unwritten)
{
	uint32_t depth = ext4_le16(in->block + 6);
	uint64_t reach =
		HOLE_MAX; /* where our subtree ends: holes stop there */
	uint8_t *buf = NULL;
	struct ext_node n;
	int err;

	if (depth > EXT4_MAX_DEPTH)
		return -EIO;
	err = node_check(in->block, 4, depth, &n);
	while (err == 0 && n.depth > 0) {
		int i = entry_at(&n, lblk);
		const uint8_t *e = n.p + 12 + 12 * (uint32_t)i;
		uint64_t child, next = next_start(&n, i, lblk);

		if (next < reach)
			reach = next;
		if (i < 0) {
			*pblk = 0;
			*count = reach;
			goto out;
		}
		child = ext4_le32(e + 4) | (uint64_t)ext4_le16(e + 8) << 32;
		if (buf == NULL && (buf = kmalloc(fs->block_size)) == NULL) {
			err = -ENOMEM;
			break;
		}
		err = ext4_block_valid(fs, in->ino, child, 1, "extent tree");
		if (err == 0)
			err = ext4_read_block(fs, child, buf);
		if (err == 0)
			err = node_csum(fs, in, buf);
		if (err == 0)
			err = node_check(buf, (fs->block_size - 12) / 12,
					 n.depth - 1, &n);
	}
	if (err == 0)
		err = leaf_map(fs, in, &n, lblk, pblk, count, unwritten);
	if (err == 0 && *count > reach)
		*count = reach;
out:
	kfree(buf);
	return err;
}

/*
 * The ext2/ext3 map (ext4 docs, "Direct/Indirect Block Addressing"):
 * 12 direct blocks, then single, double and triple indirect blocks of
 * block_size / 4 numbers each. 0 is a hole.
 */
static int indirect_map(struct ext4_fs *fs, const struct ext4_inode *in,
			uint64_t lblk, uint64_t *pblk, uint64_t *count)
{
	uint64_t per = fs->block_size / 4, span = 1, idx = lblk;
	uint32_t slot, levels;
	uint64_t b;

	*count = 1;
	if (idx < 12) {
		b = ext4_le32(in->block + 4 * idx);
		levels = 0;
	} else {
		idx -= 12;
		for (levels = 1; levels <= 3; levels++) {
			span *= per;
			if (idx < span)
				break;
			idx -= span;
		}
		if (levels > 3)
			return -EIO; /* beyond what the map can hold */
		b = ext4_le32(in->block + 4 * (11 + levels));
		for (slot = 0; slot < levels && b != 0; slot++) {
			uint8_t le[4];

			span /= per;
			if (b >= fs->blocks_count)
				return -EIO;
			if (ext4_read_bytes(fs,
					    b * fs->block_size +
						    4 * ((idx / span) % per),
					    le, 4) < 0)
				return -EIO;
			b = ext4_le32(le);
		}
	}
	if (b != 0 && ext4_block_valid(fs, in->ino, b, 1, "block map"))
		return -EFSCORRUPTED;
	*pblk = b;
	return 0;
}

int ext4_bmap_raw(struct ext4_fs *fs, const struct ext4_inode *in,
		  uint64_t lblk, uint64_t *pblk, uint64_t *count,
		  bool *unwritten)
{
	*unwritten = false;
	if (in->flags & EXT4_INLINE_DATA_FL)
		return -EIO; /* inline_data is refused at mount */
	if (in->flags & EXT4_EXTENTS_FL)
		return extent_map(fs, in, lblk, pblk, count, unwritten);
	return indirect_map(fs, in, lblk, pblk, count);
}

int ext4_bmap(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk,
	      uint64_t *pblk, uint64_t *count)
{
	bool unwritten;
	int err = ext4_bmap_raw(fs, in, lblk, pblk, count, &unwritten);

	if (unwritten)
		*pblk = 0;
	return err;
}

long ext4_file_read(struct ext4_fs *fs, const struct ext4_inode *in,
		    uint64_t off, void *buf, size_t n)
{
	uint8_t *out = buf;
	size_t done = 0;

	if (off >= in->size)
		return 0;
	if (n > in->size - off)
		n = (size_t)(in->size - off);
	while (done < n) {
		uint64_t pos = off + done, lblk = pos / fs->block_size;
		uint64_t in_blk = pos % fs->block_size, pblk, count, want;
		int err = ext4_bmap(fs, in, lblk, &pblk, &count);

		if (err < 0)
			return done ? (long)done : err;
		want = count * fs->block_size - in_blk;
		if (count > HOLE_MAX / fs->block_size || want > n - done)
			want = n - done;
		if (pblk == 0)
			memset(out + done, 0, want);
		else if (ext4_read_bytes(fs, pblk * fs->block_size + in_blk,
					 out + done, want) < 0)
			return done ? (long)done : -EIO;
		done += want;
	}
	return (long)done;
}

long ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf,
		   size_t size)
{
	size_t len = in->size < size ? (size_t)in->size : size;

	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFLNK)
		return -EINVAL;
	/* A fast symlink keeps its target in i_block itself. */
	if (!(in->flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) &&
	    in->size < sizeof(in->block)) {
		memcpy(buf, in->block, len);
		return (long)len;
	}
	if (in->size > 65536)
		return -EIO;
	return ext4_file_read(fs, in, 0, buf, len);
}
