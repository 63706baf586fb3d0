/* ext4_jbd2_fmt.h - the jbd2 journal's on-disk format, shared by recovery (ext4_journal.c) and the writer (ext4_jbd2.c). */
#ifndef KILN_FS_EXT4_JBD2_FMT_H
#define KILN_FS_EXT4_JBD2_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The journal (Linux's Documentation/filesystems/ext4/journal.rst) is
 * a circular log in the blocks of inode s_journal_inum, big-endian.
 * Block 0 is its superblock; the log runs from s_first to s_maxlen
 * and, when s_start != 0, holds transactions from s_start with
 * sequence s_sequence on:
 *
 *   revoke (home blocks whose earlier copies must not be replayed)
 *   descriptor (tags: home block numbers) | data blocks... | commit
 *
 * A transaction counts only when its commit block is found (with a
 * good checksum under csum v2/v3).
 */
#define JBD2_MAGIC 0xC03B3998U
#define JT_DESCRIPTOR 1
#define JT_COMMIT 2
#define JT_SB_V1 3
#define JT_SB_V2 4
#define JT_REVOKE 5
#define JC_CHECKSUM 0x1
#define JI_REVOKE 0x1
#define JI_64BIT 0x2
#define JI_ASYNC_COMMIT 0x4
#define JI_CSUM_V2 0x8
#define JI_CSUM_V3 0x10
#define JI_KNOWN \
	(JI_REVOKE | JI_64BIT | JI_ASYNC_COMMIT | JI_CSUM_V2 | JI_CSUM_V3)
#define TAG_ESCAPE 1
#define TAG_SAME_UUID 2
#define TAG_LAST 8
/* Journal superblock fields (journal.rst, "Super Block"). */
#define JSB_SEQUENCE 0x18
#define JSB_START 0x1C
#define JSB_COMPAT 0x24
#define JSB_INCOMPAT 0x28
#define JSB_UUID 0x30
#define JSB_CSUM_TYPE 0x50
#define JSB_CSUM 0xFC
#define JSB_CSUM_CRC32C 4
/* The block header: magic, type, sequence. */
#define JHDR_SIZE 12
/* A revoke block's r_count: bytes used, header included. */
#define JREVOKE_HDR 16

/* A journal superblock, decoded and checked. */
struct jbd2_sb {
	uint32_t bs, maxlen, first, seq, start;
	uint32_t compat, incompat;
	uint32_t seed; /* crc32c(~0, s_uuid): every checksum starts here */
	bool csum;     /* v2 or v3 */
	uint8_t uuid[16];
};

uint32_t jbd2_be32(const uint8_t *p);
void jbd2_put_be32(uint8_t *p, uint32_t v);

/*
 * Decode the journal superblock in b (bs bytes; untrusted), for a
 * journal inode of isize bytes. 0, -EINVAL (features it does not
 * know), -EIO (bad magic, geometry or checksum). b is left unchanged.
 */
int jbd2_sb_decode(struct jbd2_sb *s, uint8_t *b, uint32_t bs, uint64_t isize);
/* Store s's sequence, start and features into b and redo its checksum. */
void jbd2_sb_encode(const struct jbd2_sb *s, uint8_t *b);

/* Bytes of one descriptor tag (without the uuid that may follow). */
size_t jbd2_tag_bytes(const struct jbd2_sb *s);
/* Where tags and revoke records must end: before the checksum tail. */
size_t jbd2_tail_start(const struct jbd2_sb *s);
/* A descriptor's or revoke block's tail checksum: check, or set. */
bool jbd2_tail_ok(const struct jbd2_sb *s, uint8_t *b);
void jbd2_tail_set(const struct jbd2_sb *s, uint8_t *b);
/* A commit block's checksum (h_chksum[0]): check, or set. */
bool jbd2_commit_ok(const struct jbd2_sb *s, uint8_t *b);
void jbd2_commit_set(const struct jbd2_sb *s, uint8_t *b);
/* A logged block's checksum for its tag, as logged by transaction seq. */
uint32_t jbd2_block_csum(const struct jbd2_sb *s, uint32_t seq,
			 const uint8_t *data);
/* Does tag checksum csum match c (16 bits under v2, 32 under v3)? */
bool jbd2_block_csum_match(const struct jbd2_sb *s, uint32_t c, uint32_t csum);

/*
 * The tags of descriptor b, one at a time: *off moves past tag and
 * uuid. 1 with the home block and flags, 0 after the last. Untrusted:
 * tags never run past the block's end (or its checksum tail).
 */
int jbd2_next_tag(const struct jbd2_sb *s, const uint8_t *b, size_t *off,
		  uint64_t *home, uint32_t *flags, uint32_t *csum);
/*
 * Append a tag at *off of descriptor b (the uuid follows the first
 * one); false when it would not fit. The caller sets TAG_LAST on the
 * last tag with jbd2_tag_set_last (at the offset it was put at).
 */
bool jbd2_put_tag(const struct jbd2_sb *s, uint8_t *b, size_t *off,
		  uint64_t home, uint32_t flags, uint32_t csum);
void jbd2_tag_set_last(const struct jbd2_sb *s, uint8_t *b, size_t tag_off);
/* Bytes of one revoke record: 8 with 64bit, else 4. */
size_t jbd2_revoke_bytes(const struct jbd2_sb *s);
/* A block header: magic, type and sequence. */
void jbd2_put_header(uint8_t *b, uint32_t type, uint32_t seq);

#endif
