/* ext4_dir_int.h - directory blocks changed: the helpers ext4_dir_write.c and ext4_htree_write.c share. */
#ifndef KILN_FS_EXT4_DIR_INT_H
#define KILN_FS_EXT4_DIR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/ext4.h"
#include "fs/ext4_write.h"

struct bcache_buf;

/* An entry's head: inode 32, rec_len 16, name_len 8, file_type 8. */
#define EXT4_DE_HEAD 8

/* Bytes an entry with a name of name_len needs (8-byte head, 4-aligned). */
uint32_t ext4_de_need(uint32_t name_len);
/* Where the entries of a leaf end: before the checksum tail. */
uint32_t ext4_de_usable(struct ext4_fs *fs);
void ext4_de_set(uint8_t *e, uint32_t ino, uint32_t rec_len, const char *name,
		 uint32_t name_len, uint32_t ft);
/* Entry at off of a leaf, checked against its used area: rec_len or 0. */
uint32_t ext4_de_len(struct ext4_fs *fs, const uint8_t *blk, uint32_t off);
/* A leaf changed: its tail (metadata_csum) summed, the journal told. */
void ext4_dblock_dirty(struct ext4_op *op, const struct ext4_inode *dir,
		       struct bcache_buf *b);
/* Directory block lblk held for changing; NULL at a hole (*err 0). */
struct bcache_buf *ext4_dblock_get(struct ext4_op *op,
				   const struct ext4_inode *dir, uint64_t lblk,
				   int *err);
/* Put the entry into leaf d if it has room: true when done (*err on -EIO). */
bool ext4_dblock_add(struct ext4_fs *fs, uint8_t *d, const char *name,
		     uint32_t len, uint32_t ino, uint32_t ft, int *err);
/*
 * A new zeroed block at dir's end (dir->size grows): 0 with *bp held
 * and *lblk, or -ENOSPC, -EIO.
 */
int ext4_dir_grow(struct ext4_op *op, struct ext4_inode *dir,
		  struct bcache_buf **bp, uint64_t *lblk);

/*
 * ext4_htree_write.c. Add name (ino, ft) to dir through its index:
 * 0, 1 when dir has no index Kiln uses (the caller adds it linearly),
 * -ENOSPC (no block, or an index at its deepest and full), -EIO.
 */
int ext4_dx_add(struct ext4_op *op, struct ext4_inode *dir, const char *name,
		uint32_t len, uint32_t ino, uint32_t ft);
/*
 * Index dir, one full linear block (Linux's make_indexed_dir): its
 * entries move to a new block 1, block 0 becomes the dx_root over it.
 * 0, 1 when fs does not index (no dir_index, a default hash Kiln does
 * not know), -ENOSPC, -EIO.
 */
int ext4_dx_make_indexed(struct ext4_op *op, struct ext4_inode *dir);

#endif
