/* ext4_htree.h - hashed (dir_index) directories: the hashes and the index's on-disk layout, read and written. */
#ifndef KILN_FS_EXT4_HTREE_H
#define KILN_FS_EXT4_HTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/ext4.h"

/*
 * ext4 docs, "Hash Tree Directories". Block 0 of an indexed directory
 * (EXT4_INDEX_FL) is the dx_root: "." (rec_len 12), ".." (rec_len over
 * the rest of the block), then
 *
 *   0x18 dx_root_info: reserved_zero 32 | hash_version 8 |
 *                      info_length 8 (= 8) | indirect_levels 8 | flags 8
 *   0x20 limit 16 | count 16 | block 32       (entry 0: no hash)
 *   0x28 hash 32  | block 32                  (entries 1..count-1)
 *   ...
 *   0x20 + limit * 8: dx_tail (metadata_csum): reserved 32 | crc32c 32
 *
 * An interior node (indirect_levels 1 or 2) starts with a fake empty
 * entry over the whole block (inode 0, rec_len block_size), then the
 * same limit/count/entries at offset 8. Entries are sorted by hash;
 * entry i covers names whose hash is >= its hash and below the next
 * one's. A hash with the low bit set marks a leaf that continues the
 * previous one's last hash (a collision split across two leaves).
 * Leaves are ordinary directory blocks. The dx_tail's crc32c covers
 * the block up to the last used entry, then the tail's reserved word.
 */
#define EXT4_COMPAT_DIR_INDEX 0x20
#define EXT4_DX_ROOT_INFO 0x18
#define EXT4_DX_ROOT_BASE 0x20
#define EXT4_DX_NODE_BASE 8
#define EXT4_DX_TAIL 8
/* Levels of index blocks below the root: 1, or 2 with largedir. */
#define EXT4_DX_MAX_LEVELS 3
/* The block number of an entry (Linux keeps the top 4 bits free). */
#define EXT4_DX_BLOCK_MASK 0x0fffffffU

/* Hash versions: dx_root's 0..2, plus 3 when chars are unsigned. */
#define EXT4_DX_HASH_LEGACY 0
#define EXT4_DX_HASH_HALF_MD4 1
#define EXT4_DX_HASH_TEA 2
#define EXT4_DX_HASH_LEGACY_UNSIGNED 3
#define EXT4_DX_HASH_HALF_MD4_UNSIGNED 4
#define EXT4_DX_HASH_TEA_UNSIGNED 5

/*
 * ext4_hash.c. The hash of name[0, len) by version (0..5) with seed
 * (NULL or all zero: the default): 0 with *hash (low bit clear) and
 * *minor, or -1 for a version it does not know.
 */
int ext4_dx_hash(const uint32_t seed[4], unsigned int version, const char *name,
		 size_t len, uint32_t *hash, uint32_t *minor);

/*
 * The way from the root to the leaf for one hash: level 0 is the root,
 * levels are the index blocks (1 + indirect_levels). blk[i] is level
 * i's logical block, at[i] the entry taken in it, count[i] its count;
 * buf[i] its checked bytes, read in place (ref[i] holds them). leaf is
 * the leaf's logical block.
 */
struct ext4_dx_path {
	int levels;
	unsigned int version; /* the hash version with the fs's signedness */
	uint32_t hash;
	uint64_t blk[EXT4_DX_MAX_LEVELS];
	uint32_t at[EXT4_DX_MAX_LEVELS];
	uint32_t count[EXT4_DX_MAX_LEVELS];
	const uint8_t *buf[EXT4_DX_MAX_LEVELS];
	struct ext4_bref ref[EXT4_DX_MAX_LEVELS];
	uint64_t leaf;
};

/* The directory has an index Kiln should use (flag and feature). */
bool ext4_dx_indexed(const struct ext4_fs *fs, const struct ext4_inode *dir);
/* The hash version a directory of fs gets: dx_root's value plus signedness. */
unsigned int ext4_dx_version(const struct ext4_fs *fs, unsigned int root_ver);
/* Entry limit of an index block whose limit/count word is at base. */
uint32_t ext4_dx_limit(const struct ext4_fs *fs, uint32_t base);
/*
 * Index block blk of level lvl of dir, untrusted: header, limit, count
 * and every entry (a block inside dir, hashes rising). 0, or -EIO.
 */
int ext4_dx_block_check(struct ext4_fs *fs, const struct ext4_inode *dir,
			const uint8_t *blk, int lvl);
/* crc32c of index block blk (limit/count at base) for its dx_tail. */
uint32_t ext4_dx_csum(const struct ext4_fs *fs, const struct ext4_inode *dir,
		      const uint8_t *blk, uint32_t base);

/*
 * ext4_htree.c. Find the leaf for name in dir: 1 with *p filled (its
 * buffers released by ext4_dx_release, whatever later happens), 0
 * when dir is not indexed or its index is one Kiln does not use (a
 * hash it does not know, a depth past the format's, or, without
 * metadata_csum, a broken index: read it linearly, as Linux does),
 * -EIO (a broken index under metadata_csum), -ENOMEM.
 */
int ext4_dx_probe(struct ext4_fs *fs, const struct ext4_inode *dir,
		  const char *name, size_t len, struct ext4_dx_path *p);
/*
 * The next leaf that may hold p's hash (the following leaf, when its
 * first hash continues p's): 1 with p->leaf, 0 when none, -EIO.
 */
int ext4_dx_next_leaf(struct ext4_fs *fs, const struct ext4_inode *dir,
		      struct ext4_dx_path *p);
void ext4_dx_release(struct ext4_dx_path *p);

#endif
