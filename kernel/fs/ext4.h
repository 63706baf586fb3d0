/* ext4.h - ext4 on a block device: the on-disk format Kiln reads and the file system's internal interface. */
#ifndef KILN_FS_EXT4_H
#define KILN_FS_EXT4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bcache_dev;
struct ext4_jbd2;
struct ext4_zone;

/*
 * Kiln reads ext4 as Linux's e2fsprogs make it (Documentation/
 * filesystems/ext4/ in Linux is the reference cited below as "ext4
 * docs"). Everything read from the disk is untrusted: each structure is
 * checked (magic, counts, bounds, crc32c when metadata_csum) before a
 * field of it is used, and a bad one is -EIO (-EUCLEAN would say more,
 * but apps know EIO). Writing is ext4_write.h's; how both work is in
 * docs/storage.md.
 */
#define EXT4_SUPER_MAGIC 0xEF53
/*
 * A block map that points into the file system's own metadata (or out
 * of it): Linux's -EFSCORRUPTED, EUCLEAN to apps (block_validity).
 */
#define EFSCORRUPTED EUCLEAN
#define EXT4_ROOT_INO 2
#define EXT4_NAME_LEN 255
#define EXT4_N_BLOCKS 15
/* The deepest extent tree the format allows (ext4 docs, "Extent Tree"). */
#define EXT4_MAX_DEPTH 5

/* Feature bits Kiln acts on (ext4 docs, "The Super Block"). */
#define EXT4_COMPAT_HAS_JOURNAL 0x4
#define EXT4_INCOMPAT_FILETYPE 0x2
#define EXT4_INCOMPAT_RECOVER 0x4
#define EXT4_INCOMPAT_EXTENTS 0x40
#define EXT4_INCOMPAT_64BIT 0x80
#define EXT4_INCOMPAT_FLEX_BG 0x200
#define EXT4_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_INCOMPAT_LARGEDIR 0x4000
#define EXT4_RO_COMPAT_SPARSE_SUPER 0x1
#define EXT4_RO_COMPAT_LARGE_FILE 0x2
#define EXT4_RO_COMPAT_HUGE_FILE 0x8
#define EXT4_RO_COMPAT_GDT_CSUM 0x10
#define EXT4_RO_COMPAT_DIR_NLINK 0x20
#define EXT4_RO_COMPAT_EXTRA_ISIZE 0x40
#define EXT4_RO_COMPAT_METADATA_CSUM 0x400

/* i_mode's type bits (the same values as Linux's S_IF*). */
#define EXT4_S_IFMT 0170000
#define EXT4_S_IFLNK 0120000
#define EXT4_S_IFDIR 0040000
#define EXT4_S_IFREG 0100000

/* Directory entry file types (ext4 docs, "Directory Entries"). */
#define EXT4_FT_REG 1
#define EXT4_FT_DIR 2
#define EXT4_FT_SYMLINK 7

/* Inode flags (i_flags). */
#define EXT4_HUGE_FILE_FL 0x40000
#define EXT4_EXTENTS_FL 0x80000
#define EXT4_INDEX_FL 0x1000
#define EXT4_INLINE_DATA_FL 0x10000000

/* A mounted file system. */
struct ext4_fs {
	struct bcache_dev *dev;
	char name[16]; /* the device, for log lines */
	uint32_t block_size;
	uint64_t blocks_count, free_blocks, r_blocks;
	uint32_t inodes_count, free_inodes;
	uint32_t first_data_block;
	uint32_t blocks_per_group, inodes_per_group;
	uint32_t groups;
	uint32_t inode_size, desc_size;
	uint32_t first_ino;
	uint32_t incompat, ro_compat, compat;
	bool csum;	       /* metadata_csum: crc32c everywhere */
	uint32_t csum_seed;    /* crc32c(~0, uuid) or s_checksum_seed */
	bool ro;	       /* mounted read-only */
	uint32_t reserved_gdt; /* s_reserved_gdt_blocks after each gdt */
	uint32_t journal_ino;  /* s_journal_inum, 0 without a journal */
	uint32_t last_orphan;  /* s_last_orphan: the orphan list's head */
	uint32_t alloc_rotor;  /* the group the last block came from */
	uint64_t overhead;     /* s_overhead_clusters: metadata blocks */
	uint8_t uuid[16];
	/* Directory hashes: s_hash_seed, s_def_hash_version, s_flags. */
	uint32_t hash_seed[4];
	uint8_t def_hash_version;
	bool hash_unsigned; /* EXT2_FLAGS_UNSIGNED_HASH */
	/* Bumped by every change to a directory block (readdir cursors). */
	uint64_t dir_changes;
	/*
	 * Each group's inode table block once its descriptor was read and
	 * checked (0: not yet), or NULL: mkfs placed the tables and nothing
	 * moves them (Linux checks the descriptors once, at mount).
	 */
	uint64_t *itables;
	struct ext4_jbd2 *jbd2;	 /* the journal writer of a rw mount, or NULL */
	struct ext4_zone *zones; /* the system zone, sorted (ext4_sysblk) */
	uint32_t nzones;
	/*
	 * The in-memory inode of ino that held_arg's owner keeps (ext4_vfs:
	 * one per number), or NULL; NULL hook: none kept. A change to an
	 * inode the caller did not pass (the orphan list's links) is made
	 * in it, or a later write of it would undo the change.
	 */
	struct ext4_inode *(*held)(void *held_arg, uint32_t ino);
	void *held_arg;
};

/*
 * An inode, decoded and checked. raw keeps i_block (extent root, symlink).
 * ext4_iput writes these fields back; the rest of the disk's inode is
 * kept as it was.
 */
struct ext4_inode {
	uint32_t ino;
	uint32_t dtime; /* for orphans: the next orphan's number */
	uint32_t mode, uid, gid, nlink, flags, generation;
	uint64_t size;
	uint64_t blocks512; /* st_blocks */
	int64_t atime, mtime, ctime;
	uint32_t atime_ns, mtime_ns, ctime_ns;
	uint32_t csum_seed; /* crc32c of the fs seed, ino, generation */
	uint8_t block[EXT4_N_BLOCKS * 4];
	/*
	 * In memory only: on the orphan list (Linux's i_orphan), which
	 * i_dtime cannot tell for the list's tail (0). ext4_iget sets it
	 * for the head and an inode with links whose i_dtime is a link.
	 */
	bool orphan;
};

/*
 * ext4_super.c. Mount the ext4 on dev (name is for log lines), read-only;
 * a journal that needs recovery is replayed first (which writes dev).
 * 0 and *out (kfree'd by ext4_unmount), or -EINVAL (not ext4, a feature
 * it does not know, a journal it cannot replay, or needing recovery on
 * a read-only disk: one "kiln: " line says which), -EIO (a bad
 * superblock checksum), -ENOMEM.
 */
int ext4_mount(struct bcache_dev *dev, const char *name, struct ext4_fs **out);
/*
 * The same, read-write when rw asks, the disk is writable, every feature
 * is one ext4_write knows (metadata_csum or no group checksums at all)
 * and the journal opens; otherwise read-only with one log line saying
 * why. The orphan list left by a crash is then processed (now: the
 * time of day, for i_dtime).
 */
int ext4_mount_rw(struct bcache_dev *dev, const char *name, bool rw,
		  int64_t now, struct ext4_fs **out);
void ext4_unmount(struct ext4_fs *fs);

/* Bytes [off, off+n) of the device; 0 or -EIO (short, or past the end). */
int ext4_read_bytes(struct ext4_fs *fs, uint64_t off, void *buf, size_t n);
/* One whole block (checked to lie inside the file system): 0 or -EIO. */
int ext4_read_block(struct ext4_fs *fs, uint64_t block, void *buf);
/*
 * ext4_read_block of a metadata block whose checksum check(fs, blk,
 * arg) verifies (0, -EIO, or > 0 when it found nothing it could check:
 * a pass that leaves the flag clear; it runs on the cache's copy, held,
 * and only reads it): once after the block was read from the device (the
 * cache's BCACHE_VERIFIED), then skipped until the buffer is read or
 * written through the cache again. 0, or -EIO (a failed check leaves
 * the flag clear: the next read checks again).
 */
int ext4_read_checked(struct ext4_fs *fs, uint64_t block, void *buf,
		      int (*check)(struct ext4_fs *fs, const uint8_t *blk,
				   const void *arg),
		      const void *arg);
/*
 * A metadata block read in place: the cache's buffer, held, or (a cache
 * of another block size, see mount_fs) a checked copy of the block.
 */
struct ext4_bref {
	struct bcache_buf *b;
	uint8_t *copy;
};
/*
 * ext4_read_checked without the copy: the block's bytes, checked as
 * ext4_read_checked checks them, read-only and valid until
 * ext4_bref_put(ref); NULL with *err (-EIO, -ENOMEM). Holding a buffer
 * does not stop a writer from changing its bytes while the holder
 * sleeps (a read of another block): re-check what is read after that.
 */
const uint8_t *ext4_bref_get(struct ext4_fs *fs, uint64_t block,
			     int (*check)(struct ext4_fs *fs,
					  const uint8_t *blk, const void *arg),
			     const void *arg, struct ext4_bref *ref, int *err);
/* Let go of ref's block (a zeroed or already put ref: nothing). */
void ext4_bref_put(struct ext4_bref *ref);
/* crc32c of descriptor g with its checksum field taken as zero. */
uint16_t ext4_group_csum(struct ext4_fs *fs, uint32_t g, const uint8_t *gd);
/* Whether group g holds a superblock copy (sparse_super: 0, 1, powers of 3, 5, 7). */
bool ext4_group_has_super(const struct ext4_fs *fs, uint32_t g);
/* The inode table's first block for inode group g (its descriptor checked the first time). */
int ext4_group_itable(struct ext4_fs *fs, uint32_t g, uint64_t *block);

/*
 * ext4_journal.c. Replay the jbd2 journal in inode inum onto the disk
 * and mark it empty (mount, when needs_recovery is set; the disk must
 * be writable). 0, -EINVAL (journal features it does not know), -EIO
 * (a bad journal superblock or block), -ENOMEM. Logs a line on success.
 */
int ext4_journal_recover(struct ext4_fs *fs, uint32_t inum);

/*
 * ext4_sysblk.c. The system zone (every group's superblock copy,
 * descriptors, bitmaps and inode table, and the journal's blocks),
 * built at mount after any recovery: 0 or -ENOMEM. Freed by
 * ext4_sysblk_free (ext4_unmount).
 */
int ext4_sysblk_init(struct ext4_fs *fs);
void ext4_sysblk_free(struct ext4_fs *fs);
/*
 * May blocks [blk, blk+n) hold inode ino's data or tree (ino 0: any
 * block a file may own, for frees)? 0, or -EFSCORRUPTED after one log
 * line naming what ("extent", "freed") when they lie outside the file
 * system or meet the system zone. Only the journal inode may map the
 * journal's blocks.
 */
int ext4_block_valid(struct ext4_fs *fs, uint32_t ino, uint64_t blk, uint64_t n,
		     const char *what);

/* ext4_inode.c. Read inode ino: 0, -EINVAL (no such number), -EIO. */
int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *in);
/*
 * i_links_count of inode ino's slot as the table has it, whatever else
 * the slot holds (no checksum asked): >= 0, or -EIO, -ENOMEM.
 */
int ext4_inode_links(struct ext4_fs *fs, uint32_t ino);

/*
 * ext4_extent.c. The physical block of logical block lblk of in, and how
 * many blocks from there are contiguous (*count >= 1). *pblk = 0 for a
 * hole or an unwritten extent (reads as zeros). 0 or -EIO.
 */
int ext4_bmap(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk,
	      uint64_t *pblk, uint64_t *count);
/* The same, an unwritten extent's blocks given too (*unwritten). */
int ext4_bmap_raw(struct ext4_fs *fs, const struct ext4_inode *in,
		  uint64_t lblk, uint64_t *pblk, uint64_t *count,
		  bool *unwritten);
/* Read n bytes at off of in's data (not past its size): bytes or -EIO. */
long ext4_file_read(struct ext4_fs *fs, const struct ext4_inode *in,
		    uint64_t off, void *buf, size_t n);
/* A symlink's target (not terminated) into buf: length or -EIO. */
long ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf,
		   size_t size);

/*
 * ext4_dir.c. Walking a directory: *pos is a byte offset into it (0 to
 * start). The next live entry at or after *pos: 1 with name (terminated),
 * *ino, *type (DT_*), *pos moved past it; 0 at the end; -EIO for a bad
 * block, -ENOTDIR. "." and ".." are returned as the disk has them.
 */
int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir,
		  uint64_t *pos, char *name, uint32_t *ino, unsigned int *type);
/*
 * A readdir pass's copy of the block it is in, so each block is read
 * and checksummed once per pass, not once per entry. Zeroed to start;
 * a change to any directory of fs (fs->dir_changes) makes it stale.
 * ext4_dir_cursor_drop frees it.
 */
struct ext4_dir_cursor {
	uint8_t *blk;
	uint64_t lblk;
	uint64_t stamp;
	uint32_t ino;
	bool valid, empty;
};
/* ext4_dir_next through cur (as many calls as the caller likes). */
int ext4_dir_next_cur(struct ext4_fs *fs, const struct ext4_inode *dir,
		      struct ext4_dir_cursor *cur, uint64_t *pos, char *name,
		      uint32_t *ino, unsigned int *type);
void ext4_dir_cursor_drop(struct ext4_dir_cursor *cur);
/* The inode number of name in dir: 0 and *ino, -ENOENT, -ENOTDIR, -EIO. */
int ext4_dir_lookup(struct ext4_fs *fs, const struct ext4_inode *dir,
		    const char *name, uint32_t *ino);

/*
 * ext4_vfs.c. Mount the ext4 on disk dev ("vda") at absolute path (made
 * if missing), read-only whatever rw asks (a log line says so when it
 * asked for writing): 0, -ENXIO (no such disk), -EBUSY (a mount, /,
 * /proc or /dev there), -ENOTDIR, or ext4_mount's errors. Boot only.
 */
int ext4_mount_at(const char *dev, const char *path, bool rw);

static inline void ext4_put16(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void ext4_put32(void *p, uint32_t v)
{
	uint8_t *b = p;

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The image's root on disk dev ("root"), whose superblock uuid must be
 * uuid, mounted read only. With overlay the memory root becomes an
 * overlay over the disk's root directory (fs/overlay.c: writable, the
 * changes in memory); without, each directory of its top level becomes
 * the root's directory of that name, read only (kiln run --read-only).
 * lost+found, dev, proc and tmp of the disk are never shown. 0, -ENXIO
 * (no disk), -EINVAL (another file system), -ENOMEM, or ext4_mount's
 * and the disk's errors, logged. Boot only, from vfs_init, after the
 * archive.
 */
int ext4_mount_root(const char *dev, const uint8_t uuid[16], bool overlay);

/*
 * Little-endian fields of on-disk structures (any alignment). Always
 * inline: a directory lookup reads a few of them per entry, and -Os
 * made them calls.
 */
static inline __attribute__((always_inline)) uint16_t ext4_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline __attribute__((always_inline)) uint32_t ext4_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

#endif
