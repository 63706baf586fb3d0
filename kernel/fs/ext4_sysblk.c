/* ext4_sysblk.c - block_validity: the file system's own blocks (superblocks, descriptors, bitmaps, inode tables, the journal), which no file may map or free. */
#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/printk.h"
#include "fs/ext4.h"

/*
 * Linux's block_validity (fs/ext4/block_validity.c) keeps the same set,
 * the "system zone", and checks every extent read from a tree and every
 * block freed against it: a corrupted extent that points at an inode
 * table or a bitmap is then an error, not a write that destroys it.
 * Here the set is a sorted array of disjoint runs, built once at mount
 * from the (checked) group descriptors and the journal inode's map.
 */
struct ext4_zone {
	uint64_t start, len;
};

/* Descriptor fields (ext4 docs, "Block Group Descriptors"). */
#define GD_BLOCK_BITMAP 0x0
#define GD_INODE_BITMAP 0x4
#define GD_ITABLE 0x8
#define GD_CSUM 0x1E
#define GD_HI 0x20

struct zone_set {
	struct ext4_zone *z;
	uint32_t n, cap;
};

static int zone_add(struct zone_set *s, uint64_t start, uint64_t len)
{
	if (len == 0)
		return 0;
	if (s->n > 0 && s->z[s->n - 1].start + s->z[s->n - 1].len == start) {
		s->z[s->n - 1].len += len; /* the common case: flex_bg runs */
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct ext4_zone *z = kmalloc(cap * sizeof(*z));

		if (z == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->n; i++)
			z[i] = s->z[i];
		kfree(s->z);
		s->z = z;
		s->cap = cap;
	}
	s->z[s->n].start = start;
	s->z[s->n].len = len;
	s->n++;
	return 0;
}

/* Sort by start (Shell's gaps: the array is mostly sorted already). */
static void zone_sort(struct ext4_zone *z, uint32_t n)
{
	for (uint32_t gap = n / 2; gap > 0; gap /= 2)
		for (uint32_t i = gap; i < n; i++) {
			struct ext4_zone t = z[i];
			uint32_t j = i;

			for (; j >= gap && z[j - gap].start > t.start; j -= gap)
				z[j] = z[j - gap];
			z[j] = t;
		}
}

/* Sort, then merge runs that overlap or touch. */
static void zone_merge(struct zone_set *s)
{
	uint32_t out = 0;

	zone_sort(s->z, s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		struct ext4_zone *last = out ? &s->z[out - 1] : NULL;

		if (last && s->z[i].start <= last->start + last->len) {
			uint64_t end = s->z[i].start + s->z[i].len;

			if (end > last->start + last->len)
				last->len = end - last->start;
		} else {
			s->z[out++] = s->z[i];
		}
	}
	s->n = out;
}

static uint64_t gd_block(const struct ext4_fs *fs, const uint8_t *gd,
			 uint32_t off)
{
	uint64_t v = ext4_le32(gd + off);

	if (fs->desc_size >= 64)
		v |= (uint64_t)ext4_le32(gd + off + GD_HI) << 32;
	return v;
}

/* A run the descriptors name, if it lies inside the file system. */
static int zone_add_checked(struct ext4_fs *fs, struct zone_set *s,
			    uint64_t start, uint64_t len)
{
	if (start <= fs->first_data_block || start + len > fs->blocks_count ||
	    start + len < start)
		return 0; /* refused where it is used (bitmap_get, iget) */
	return zone_add(s, start, len);
}

/* Group g's metadata. A descriptor failing its checksum adds nothing. */
static int zone_add_group(struct ext4_fs *fs, struct zone_set *s, uint32_t g)
{
	uint8_t gd[1024];
	uint64_t first = fs->first_data_block +
			 (uint64_t)g * fs->blocks_per_group;
	uint64_t off = (uint64_t)(fs->first_data_block + 1) * fs->block_size +
		       (uint64_t)g * fs->desc_size;
	uint64_t itb = ((uint64_t)fs->inodes_per_group * fs->inode_size +
			fs->block_size - 1) /
		       fs->block_size;
	int err = 0;

	if (ext4_group_has_super(fs, g)) {
		uint64_t gdt = ((uint64_t)fs->groups * fs->desc_size +
				fs->block_size - 1) /
			       fs->block_size;

		err = zone_add(s, first, 1 + gdt + fs->reserved_gdt);
	}
	if (err < 0 || ext4_read_bytes(fs, off, gd, fs->desc_size) < 0)
		return err;
	if (fs->csum && ext4_group_csum(fs, g, gd) != ext4_le16(gd + GD_CSUM))
		return 0;
	err = zone_add_checked(fs, s, gd_block(fs, gd, GD_BLOCK_BITMAP), 1);
	if (err == 0)
		err = zone_add_checked(fs, s, gd_block(fs, gd, GD_INODE_BITMAP),
				       1);
	if (err == 0)
		err = zone_add_checked(fs, s, gd_block(fs, gd, GD_ITABLE), itb);
	return err;
}

/* The journal inode's blocks (and its tree's, not counted: rare, small). */
static int zone_add_journal(struct ext4_fs *fs, struct zone_set *s)
{
	struct ext4_inode in;
	uint64_t nblk, pblk, count;

	if (fs->journal_ino == 0 || ext4_iget(fs, fs->journal_ino, &in) < 0)
		return 0; /* the journal's own checks refuse it */
	nblk = (in.size + fs->block_size - 1) / fs->block_size;
	for (uint64_t l = 0; l < nblk; l += count) {
		int err;

		if (ext4_bmap(fs, &in, l, &pblk, &count) < 0)
			return 0;
		if (count > nblk - l)
			count = nblk - l;
		if (pblk != 0 && (err = zone_add(s, pblk, count)) < 0)
			return err;
	}
	return 0;
}

int ext4_sysblk_init(struct ext4_fs *fs)
{
	struct zone_set s = { NULL, 0, 0 };
	int err = 0;

	for (uint32_t g = 0; g < fs->groups && err == 0; g++)
		err = zone_add_group(fs, &s, g);
	if (err == 0)
		err = zone_add_journal(fs, &s);
	if (err < 0) {
		kfree(s.z);
		return err;
	}
	zone_merge(&s);
	fs->zones = s.z;
	fs->nzones = s.n;
	return 0;
}

void ext4_sysblk_free(struct ext4_fs *fs)
{
	kfree(fs->zones);
	fs->zones = NULL;
	fs->nzones = 0;
}

/* Does [blk, blk+n) meet a run of the system zone? */
static bool zone_meets(const struct ext4_fs *fs, uint64_t blk, uint64_t n)
{
	uint32_t lo = 0, hi = fs->nzones;

	/* the first run ending after blk */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct ext4_zone *z = &fs->zones[mid];

		if (z->start + z->len <= blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fs->nzones && fs->zones[lo].start < blk + n;
}

int ext4_block_valid(struct ext4_fs *fs, uint32_t ino, uint64_t blk, uint64_t n,
		     const char *what)
{
	const char *why = NULL;

	if (n == 0)
		return 0;
	if (blk <= fs->first_data_block || blk + n > fs->blocks_count ||
	    blk + n < blk)
		why = "outside the file system";
	else if ((ino == 0 || ino != fs->journal_ino) && zone_meets(fs, blk, n))
		why = "the file system's own metadata";
	if (why == NULL)
		return 0;
	printk("kiln: ext4 %s: inode %u: %s blocks %llu+%llu are %s\n",
	       fs->name, ino, what, (unsigned long long)blk,
	       (unsigned long long)n, why);
	return -EFSCORRUPTED;
}
