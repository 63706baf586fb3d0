/* ext4_super.c - mounting ext4: the superblock, its features and checksum, and the group descriptors. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_write.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/* The superblock: 1024 bytes at byte 1024 (ext4 docs, "The Super Block"). */
#define SB_OFFSET 1024
#define SB_SIZE 1024
#define SB_CSUM 0x3FC
#define SB_CSUM_SEED 0x270
#define CSUM_TYPE_CRC32C 1
/* Groups whose inode table blocks are kept (64 KiB of them). */
#define ITABLES_MAX 8192
/* Group descriptor fields (ext4 docs, "Block Group Descriptors"). */
#define GD_ITABLE_LO 0x8
#define GD_CSUM 0x1E
#define GD_ITABLE_HI 0x28

/* What this code reads correctly; anything else is refused. */
#define INCOMPAT_KNOWN                                                         \
	(EXT4_INCOMPAT_FILETYPE | EXT4_INCOMPAT_RECOVER |                      \
	 EXT4_INCOMPAT_EXTENTS | EXT4_INCOMPAT_64BIT | EXT4_INCOMPAT_FLEX_BG | \
	 EXT4_INCOMPAT_CSUM_SEED | EXT4_INCOMPAT_LARGEDIR)
#define RO_COMPAT_KNOWN                                            \
	(EXT4_RO_COMPAT_SPARSE_SUPER | EXT4_RO_COMPAT_LARGE_FILE | \
	 EXT4_RO_COMPAT_HUGE_FILE | EXT4_RO_COMPAT_GDT_CSUM |      \
	 EXT4_RO_COMPAT_DIR_NLINK | EXT4_RO_COMPAT_EXTRA_ISIZE |   \
	 EXT4_RO_COMPAT_METADATA_CSUM)

int ext4_read_bytes(struct ext4_fs *fs, uint64_t off, void *buf, size_t n)
{
	long r = bcache_read(fs->dev, off, buf, n);

	return r == (long)n ? 0 : -EIO;
}

int ext4_read_block(struct ext4_fs *fs, uint64_t block, void *buf)
{
	if (block >= fs->blocks_count || block < fs->first_data_block)
		return -EIO;
	return ext4_read_bytes(fs, block * fs->block_size, buf, fs->block_size);
}

const uint8_t *ext4_bref_get(struct ext4_fs *fs, uint64_t block,
			     int (*check)(struct ext4_fs *fs,
					  const uint8_t *blk, const void *arg),
			     const void *arg, struct ext4_bref *ref, int *err)
{
	struct bcache_buf *b;
	int e;

	ref->b = NULL;
	ref->copy = NULL;
	*err = -EIO;
	if (block >= fs->blocks_count || block < fs->first_data_block)
		return NULL;
	/* A cache of other blocks (see mount_fs): checked every time. */
	if (fs->dev->block_size != fs->block_size) {
		ref->copy = kmalloc(fs->block_size);
		if (ref->copy == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
		e = ext4_read_block(fs, block, ref->copy);
		if (e == 0)
			e = check(fs, ref->copy, arg);
		if (e < 0) {
			*err = e;
			ext4_bref_put(ref);
			return NULL;
		}
		*err = 0;
		return ref->copy;
	}
	b = bcache_get(fs->dev, block, true, &e);
	if (b == NULL)
		return NULL;
	if (!(b->flags & BCACHE_VERIFIED)) {
		e = check(fs, b->data, arg);
		if (e < 0) {
			*err = e;
			bcache_put(b);
			return NULL;
		}
		if (e == 0)
			b->flags |= BCACHE_VERIFIED;
	}
	ref->b = b;
	*err = 0;
	return b->data;
}

void ext4_bref_put(struct ext4_bref *ref)
{
	if (ref->b != NULL)
		bcache_put(ref->b);
	kfree(ref->copy);
	ref->b = NULL;
	ref->copy = NULL;
}

int ext4_read_checked(struct ext4_fs *fs, uint64_t block, void *buf,
		      int (*check)(struct ext4_fs *fs, const uint8_t *blk,
				   const void *arg),
		      const void *arg)
{
	struct ext4_bref ref;
	int err;
	const uint8_t *d = ext4_bref_get(fs, block, check, arg, &ref, &err);

	if (d == NULL)
		return err;
	memcpy(buf, d, fs->block_size);
	ext4_bref_put(&ref);
	return 0;
}

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Sizes and counts, checked against each other and the device. */
static int super_geometry(struct ext4_fs *fs, const uint8_t *sb)
{
	uint32_t log = ext4_le32(sb + 0x18), rev = ext4_le32(sb + 0x4C);
	uint64_t span;

	if (log > 6)
		return -EINVAL;
	fs->block_size = 1024U << log;
	fs->blocks_count = ext4_le32(sb + 0x4);
	fs->r_blocks = ext4_le32(sb + 0x8);
	fs->free_blocks = ext4_le32(sb + 0xC);
	fs->inodes_count = ext4_le32(sb + 0x0);
	fs->free_inodes = ext4_le32(sb + 0x10);
	fs->first_data_block = ext4_le32(sb + 0x14);
	fs->blocks_per_group = ext4_le32(sb + 0x20);
	fs->inodes_per_group = ext4_le32(sb + 0x28);
	fs->inode_size = rev == 0 ? 128 : ext4_le16(sb + 0x58);
	fs->first_ino = rev == 0 ? 11 : ext4_le32(sb + 0x54);
	fs->desc_size = 32;
	fs->overhead = ext4_le32(sb + 0x248);
	fs->reserved_gdt = ext4_le16(sb + 0xCE);
	fs->journal_ino = ext4_le32(sb + 0xE0);
	fs->last_orphan = ext4_le32(sb + 0xE8);
	memcpy(fs->uuid, sb + 0x68, sizeof(fs->uuid));
	if (fs->incompat & EXT4_INCOMPAT_64BIT) {
		fs->blocks_count |= (uint64_t)ext4_le32(sb + 0x150) << 32;
		fs->r_blocks |= (uint64_t)ext4_le32(sb + 0x154) << 32;
		fs->free_blocks |= (uint64_t)ext4_le32(sb + 0x158) << 32;
		fs->desc_size = ext4_le16(sb + 0xFE);
		if (fs->desc_size < 64 || fs->desc_size > 1024 ||
		    !is_pow2(fs->desc_size))
			return -EINVAL;
	}
	if (fs->blocks_per_group == 0 ||
	    fs->blocks_per_group > 8 * fs->block_size ||
	    fs->inodes_per_group == 0 ||
	    fs->inodes_per_group > 8 * fs->block_size)
		return -EINVAL;
	if (fs->inode_size < 128 || fs->inode_size > fs->block_size ||
	    !is_pow2(fs->inode_size) || fs->first_ino < 11)
		return -EINVAL;
	if (fs->first_data_block >= fs->blocks_count ||
	    fs->blocks_count > fs->dev->size / fs->block_size)
		return -EINVAL;
	span = fs->blocks_count - fs->first_data_block;
	fs->groups = (uint32_t)((span + fs->blocks_per_group - 1) /
				fs->blocks_per_group);
	if ((uint64_t)fs->groups * fs->inodes_per_group < fs->inodes_count ||
	    fs->inodes_count < fs->first_ino)
		return -EINVAL;
	/* The descriptors follow the superblock's block (no meta_bg). */
	if ((uint64_t)fs->groups * fs->desc_size / fs->block_size + 2 +
		    fs->first_data_block >
	    fs->blocks_count)
		return -EINVAL;
	return 0;
}

/* crc32c of the superblock (ext4 docs: over the bytes before s_checksum). */
static int super_checksum(struct ext4_fs *fs, const uint8_t *sb)
{
	if (!(fs->ro_compat & EXT4_RO_COMPAT_METADATA_CSUM))
		return 0;
	fs->csum = true;
	if (sb[0x175] != CSUM_TYPE_CRC32C)
		return -EINVAL;
	if (crc32c(~0U, sb, SB_CSUM) != ext4_le32(sb + SB_CSUM))
		return -EIO;
	if (fs->incompat & EXT4_INCOMPAT_CSUM_SEED)
		fs->csum_seed = ext4_le32(sb + SB_CSUM_SEED);
	else
		fs->csum_seed = crc32c(~0U, sb + 0x68, 16); /* s_uuid */
	return 0;
}

/* The features: refuse what would be read wrong (one log line). */
static int super_features(struct ext4_fs *fs)
{
	uint32_t unknown = fs->incompat & ~(uint32_t)INCOMPAT_KNOWN;

	if (unknown) {
		printk("kiln: ext4 %s: unsupported incompatible features "
		       "0x%x: not mounted\n",
		       fs->name, unknown);
		return -EINVAL;
	}
	unknown = fs->ro_compat & ~(uint32_t)RO_COMPAT_KNOWN;
	if (unknown)
		printk("kiln: ext4 %s: unknown read-only features 0x%x: "
		       "read-only\n",
		       fs->name, unknown);
	return 0;
}

/*
 * A journal left by a crash: replayed (ext4_journal.c), then the
 * superblock, which the journal may have rewritten, is read again with
 * needs_recovery cleared and its checksum redone, and written back.
 * 0, or -EINVAL after one log line.
 */
static int super_recover(struct ext4_fs *fs, uint8_t *sb)
{
	int err = -EINVAL;

	if (fs->dev->ro)
		printk("kiln: ext4 %s: the journal needs recovery and the "
		       "disk is read-only: not mounted\n",
		       fs->name);
	else if (!(fs->compat & EXT4_COMPAT_HAS_JOURNAL) ||
		 ext4_le32(sb + 0xE0) == 0)
		printk("kiln: ext4 %s: needs recovery without an internal "
		       "journal: not mounted\n",
		       fs->name);
	else if ((err = ext4_journal_recover(fs, ext4_le32(sb + 0xE0))) < 0)
		printk("kiln: ext4 %s: journal recovery failed (errno %d): "
		       "not mounted\n",
		       fs->name, -err);
	if (err == 0)
		err = ext4_read_bytes(fs, SB_OFFSET, sb, SB_SIZE);
	if (err < 0)
		return -EINVAL;
	sb[0x60] &= (uint8_t)~EXT4_INCOMPAT_RECOVER;
	if (fs->csum) {
		uint32_t c = crc32c(~0U, sb, SB_CSUM);

		for (int i = 0; i < 4; i++)
			sb[SB_CSUM + i] = (uint8_t)(c >> (8 * i));
	}
	if (bcache_write(fs->dev, SB_OFFSET, sb, SB_SIZE) != SB_SIZE ||
	    bcache_sync(fs->dev) < 0)
		return -EINVAL;
	return 0;
}

/* Mount; may_recover is false on the second go after a recovery. */
static int mount_fs(struct bcache_dev *dev, const char *name,
		    struct ext4_fs **out, bool may_recover)
{
	uint8_t *sb = kmalloc(SB_SIZE);
	struct ext4_fs *fs = kzalloc(sizeof(*fs));
	int err = -ENOMEM;

	if (sb == NULL || fs == NULL)
		goto err_free;
	fs->dev = dev;
	fs->ro = true;
	for (size_t i = 0; name[i] && i + 1 < sizeof(fs->name); i++)
		fs->name[i] = name[i];
	err = -EINVAL;
	if (dev->size < SB_OFFSET + SB_SIZE ||
	    ext4_read_bytes(fs, SB_OFFSET, sb, SB_SIZE) < 0 ||
	    ext4_le16(sb + 0x38) != EXT4_SUPER_MAGIC) {
		printk("kiln: ext4 %s: no ext4 superblock\n", name);
		goto err_free;
	}
	fs->compat = ext4_le32(sb + 0x5C);
	fs->incompat = ext4_le32(sb + 0x60);
	fs->ro_compat = ext4_le32(sb + 0x64);
	for (int i = 0; i < 4; i++)
		fs->hash_seed[i] = ext4_le32(sb + 0xEC + 4 * i);
	fs->def_hash_version = sb[0xFC];
	/* s_flags: EXT2_FLAGS_UNSIGNED_HASH (2), else signed. */
	fs->hash_unsigned = (ext4_le32(sb + 0x160) & 2) != 0;
	err = super_checksum(fs, sb);
	if (err == 0)
		err = super_geometry(fs, sb);
	if (err < 0) {
		printk("kiln: ext4 %s: bad superblock (%s)\n", name,
		       err == -EIO ? "checksum" : "geometry");
		goto err_free;
	}
	err = super_features(fs);
	/*
	 * The cache's blocks become the file system's (1 KiB and 2 KiB
	 * ones too), so a bcache buffer is one ext4 block, as the writer and
	 * its journal need. When the disk cannot (its logical block is
	 * bigger), reads still work byte by byte; rw_refusal says no.
	 */
	if (err == 0 && bcache_set_block_size(dev, fs->block_size) < 0)
		printk("kiln: ext4 %s: cannot cache %u-byte blocks\n", name,
		       fs->block_size);
	if (err == 0 && (fs->incompat & EXT4_INCOMPAT_RECOVER)) {
		/* A disk that forgot what it was told: give up, not loop. */
		err = may_recover ? super_recover(fs, sb) : -EINVAL;
		kfree(sb);
		kfree(fs);
		/* Mounted afresh: the flag is off on the disk now. */
		return err < 0 ? err : mount_fs(dev, name, out, false);
	}
	if (err == 0)
		err = ext4_sysblk_init(fs);
	if (err < 0)
		goto err_free;
	/* Bounded: past ITABLES_MAX groups (or without memory) none kept. */
	if (fs->groups <= ITABLES_MAX)
		fs->itables = kzalloc(fs->groups * sizeof(*fs->itables));
	kfree(sb);
	*out = fs;
	return 0;
err_free:
	kfree(sb);
	kfree(fs);
	return err;
}

int ext4_mount(struct bcache_dev *dev, const char *name, struct ext4_fs **out)
{
	return mount_fs(dev, name, out, true);
}

/* Why fs cannot be written, or NULL when it can. */
static const char *rw_refusal(struct ext4_fs *fs)
{
	if (fs->dev->ro)
		return "the disk is read-only";
	if (fs->ro_compat & ~(uint32_t)RO_COMPAT_KNOWN)
		return "unknown read-only features";
	if ((fs->ro_compat & EXT4_RO_COMPAT_GDT_CSUM) && !fs->csum)
		return "uninit_bg without metadata_csum is not written";
	if (!(fs->incompat & EXT4_INCOMPAT_EXTENTS))
		return "no extents";
	if (!(fs->compat & EXT4_COMPAT_HAS_JOURNAL) || fs->journal_ino == 0)
		return "no journal";
	if (fs->block_size != fs->dev->block_size)
		return "its block size is not the disk's";
	return NULL;
}

int ext4_mount_rw(struct bcache_dev *dev, const char *name, bool rw,
		  int64_t now, struct ext4_fs **out)
{
	struct ext4_fs *fs;
	const char *why;
	int err = ext4_mount(dev, name, &fs);

	if (err < 0 || !rw)
		goto done;
	why = rw_refusal(fs);
	if (why == NULL && (err = ext4_jbd2_open(fs, fs->journal_ino)) < 0)
		why = "the journal cannot be opened";
	if (why != NULL) {
		printk("kiln: ext4 %s: %s: mounted read-only\n", name, why);
		err = 0;
		goto done;
	}
	fs->ro = false;
	err = ext4_orphans_process(fs, now);
	if (err < 0)
		printk("kiln: ext4 %s: orphan inodes left (errno %d)\n", name,
		       -err);
	err = 0;
done:
	if (err == 0)
		*out = fs;
	return err;
}

void ext4_unmount(struct ext4_fs *fs)
{
	if (!fs->ro)
		ext4_jbd2_close(fs);
	ext4_sysblk_free(fs);
	kfree(fs->itables);
	kfree(fs);
}

bool ext4_group_has_super(const struct ext4_fs *fs, uint32_t g)
{
	if (g <= 1 || !(fs->ro_compat & EXT4_RO_COMPAT_SPARSE_SUPER))
		return true;
	for (uint32_t p = 3; p <= 7; p += 2) {
		uint64_t v = p;

		while (v < g)
			v *= p;
		if (v == g)
			return true;
	}
	return false;
}

uint16_t ext4_group_csum(struct ext4_fs *fs, uint32_t g, const uint8_t *gd)
{
	uint8_t le[4] = { (uint8_t)g, (uint8_t)(g >> 8), (uint8_t)(g >> 16),
			  (uint8_t)(g >> 24) };
	uint8_t zero[2] = { 0, 0 };
	uint32_t c = crc32c(fs->csum_seed, le, 4);

	c = crc32c(c, gd, GD_CSUM);
	c = crc32c(c, zero, 2);
	c = crc32c(c, gd + GD_CSUM + 2, fs->desc_size - GD_CSUM - 2);
	return (uint16_t)c;
}

int ext4_group_itable(struct ext4_fs *fs, uint32_t g, uint64_t *block)
{
	uint8_t gd[1024];
	uint64_t off = (uint64_t)(fs->first_data_block + 1) * fs->block_size +
		       (uint64_t)g * fs->desc_size;
	uint64_t itable_blocks;
	int err;

	if (g >= fs->groups)
		return -EIO;
	if (fs->itables != NULL && fs->itables[g] != 0) {
		*block = fs->itables[g];
		return 0;
	}
	err = ext4_read_bytes(fs, off, gd, fs->desc_size);
	if (err < 0)
		return err;
	if (fs->csum && ext4_group_csum(fs, g, gd) != ext4_le16(gd + GD_CSUM))
		return -EIO;
	*block = ext4_le32(gd + GD_ITABLE_LO);
	if (fs->desc_size >= 64)
		*block |= (uint64_t)ext4_le32(gd + GD_ITABLE_HI) << 32;
	itable_blocks = ((uint64_t)fs->inodes_per_group * fs->inode_size +
			 fs->block_size - 1) /
			fs->block_size;
	/* 64-bit descriptors: *block + itable_blocks may wrap. */
	if (*block <= fs->first_data_block || *block >= fs->blocks_count ||
	    itable_blocks > fs->blocks_count - *block)
		return -EIO;
	if (fs->itables != NULL)
		fs->itables[g] = *block;
	return 0;
}
