/* ext4_journal.c - jbd2 journal recovery: scan, revoke and replay passes over a journal left by a crash. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/*
 * The journal (Linux's Documentation/filesystems/ext4/journal.rst) is
 * a circular log in the blocks of inode s_journal_inum, big-endian.
 * Block 0 is its superblock; the log runs from s_first to s_maxlen
 * and, when s_start != 0, holds transactions from s_start with
 * sequence s_sequence on:
 *
 *   descriptor (tags: home block numbers) | data blocks... | commit
 *   revoke (home blocks whose earlier copies must not be replayed)
 *
 * A transaction counts only when its commit block is found (with a
 * good checksum under csum v2/v3). Recovery is Linux's three passes
 * (fs/jbd2/recovery.c): find the end, collect revokes, copy each data
 * block not revoked by the same or a later transaction home.
 */
#define JBD2_MAGIC 0xC03B3998U
#define JT_DESCRIPTOR 1
#define JT_COMMIT 2
#define JT_SB_V1 3
#define JT_SB_V2 4
#define JT_REVOKE 5
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
#define SB_CSUM_OFF 0xFC
#define MAX_PASS_BLOCKS (1U << 24)

struct revoke {
	uint64_t block;
	uint32_t seq;
};

struct journal {
	struct ext4_fs *fs;
	struct ext4_inode in;
	uint32_t bs, first, maxlen, start, seq, incompat;
	uint32_t seed; /* crc32c(~0, s_uuid) */
	bool csum;     /* v2 or v3 */
	uint32_t end;  /* the first sequence not committed */
	struct revoke *revokes;
	size_t nrevokes, cap;
	uint8_t *blk, *data;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Journal block lblk (through the inode's map) into buf: 0 or -EIO. */
static int jread(struct journal *j, uint32_t lblk, uint8_t *buf)
{
	uint64_t pblk, count;
	int err = ext4_bmap(j->fs, &j->in, lblk, &pblk, &count);

	if (err < 0 || pblk == 0)
		return -EIO;
	return ext4_read_block(j->fs, pblk, buf);
}

static uint32_t wrap(const struct journal *j, uint32_t b)
{
	return b >= j->maxlen ? j->first + (b - j->maxlen) : b;
}

static size_t tag_bytes(const struct journal *j)
{
	if (j->incompat & JI_CSUM_V3)
		return 16;
	return 8 + ((j->incompat & JI_64BIT) ? 4 : 0) +
	       ((j->incompat & JI_CSUM_V2) ? 2 : 0);
}

/* A descriptor's or revoke block's tail checksum (csum v2/v3). */
static bool tail_ok(const struct journal *j, uint8_t *b)
{
	uint32_t want = be32(b + j->bs - 4), c;

	if (!j->csum)
		return true;
	put_be32(b + j->bs - 4, 0);
	c = crc32c(j->seed, b, j->bs);
	put_be32(b + j->bs - 4, want);
	return c == want;
}

static bool commit_ok(const struct journal *j, uint8_t *b)
{
	uint32_t want = be32(b + 16), c;

	if (!j->csum)
		return true;
	put_be32(b + 16, 0);
	c = crc32c(j->seed, b, j->bs);
	put_be32(b + 16, want);
	return c == want;
}

/*
 * The tags of descriptor b, one at a time: *off moves past tag and
 * uuid. 1 with the home block and flags, 0 after the last. Untrusted:
 * tags never run past the block's end (or its checksum tail).
 */
static int next_tag(const struct journal *j, const uint8_t *b, size_t *off,
		    uint64_t *home, uint32_t *flags, uint32_t *csum)
{
	size_t tb = tag_bytes(j), end = j->bs - (j->csum ? 4 : 0);
	const uint8_t *t = b + *off;

	if (*off + tb > end)
		return 0;
	*home = be32(t);
	if (j->incompat & JI_CSUM_V3) {
		*flags = be32(t + 4);
		if (j->incompat & JI_64BIT)
			*home |= (uint64_t)be32(t + 8) << 32;
		*csum = be32(t + 12);
	} else {
		*csum = (uint32_t)t[4] << 8 | t[5];
		*flags = (uint32_t)t[6] << 8 | t[7];
		if (j->incompat & JI_64BIT)
			*home |= (uint64_t)be32(t + 8) << 32;
	}
	*off += tb + ((*flags & TAG_SAME_UUID) ? 0 : 16);
	return 1;
}

static int revoke_add(struct journal *j, uint64_t block, uint32_t seq)
{
	for (size_t i = 0; i < j->nrevokes; i++)
		if (j->revokes[i].block == block) {
			if ((int32_t)(seq - j->revokes[i].seq) > 0)
				j->revokes[i].seq = seq;
			return 0;
		}
	if (j->nrevokes == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct revoke *r = kmalloc(cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		if (j->nrevokes)
			memcpy(r, j->revokes, j->nrevokes * sizeof(*r));
		kfree(j->revokes);
		j->revokes = r;
		j->cap = cap;
	}
	j->revokes[j->nrevokes++] = (struct revoke){ block, seq };
	return 0;
}

/* Revoked by a transaction at or after seq (jbd2_journal_test_revoke)? */
static bool revoked(const struct journal *j, uint64_t block, uint32_t seq)
{
	for (size_t i = 0; i < j->nrevokes; i++)
		if (j->revokes[i].block == block)
			return (int32_t)(j->revokes[i].seq - seq) >= 0;
	return false;
}

static int do_revokes(struct journal *j, const uint8_t *b, uint32_t seq)
{
	uint32_t used = be32(b + 12), rec = (j->incompat & JI_64BIT) ? 8 : 4;
	uint32_t limit = j->bs - (j->csum ? 4 : 0);

	if (used > limit)
		return -EIO;
	for (uint32_t off = 16; off + rec <= used; off += rec) {
		uint64_t blk = rec == 8 ? (uint64_t)be32(b + off) << 32 |
						  be32(b + off + 4) :
					  be32(b + off);
		int err = revoke_add(j, blk, seq);

		if (err < 0)
			return err;
	}
	return 0;
}

/* Copy one logged block home: ESCAPE puts the magic number back. */
static int replay_block(struct journal *j, uint32_t lblk, uint64_t home,
			uint32_t flags, uint32_t csum, uint32_t seq)
{
	uint8_t le[4];
	int err;

	if (home < j->fs->first_data_block || home >= j->fs->blocks_count)
		return -EIO;
	err = jread(j, lblk, j->data);
	if (err < 0)
		return err;
	if (j->incompat & (JI_CSUM_V2 | JI_CSUM_V3)) {
		uint32_t c;

		put_be32(le, seq);
		c = crc32c(crc32c(j->seed, le, 4), j->data, j->bs);
		if ((j->incompat & JI_CSUM_V3) ? c != csum :
						 (c & 0xFFFF) != csum) {
			printk("kiln: ext4 %s: journal block %u: bad checksum, "
			       "not replayed\n",
			       j->fs->name, lblk);
			return 0; /* as Linux: skipped, recovery goes on */
		}
	}
	if (flags & TAG_ESCAPE)
		put_be32(j->data, JBD2_MAGIC);
	return bcache_write(j->fs->dev, home * j->bs, j->data, j->bs) ==
			       (long)j->bs ?
		       0 :
		       -EIO;
}

enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

/* One walk of the log from s_start (Linux's do_one_pass). */
static int one_pass(struct journal *j, enum pass pass)
{
	uint32_t next = j->start, seq = j->seq, steps = 0;

	while (steps++ < MAX_PASS_BLOCKS) {
		uint8_t *b = j->blk;
		int err;

		if (pass != PASS_SCAN && seq == j->end)
			return 0;
		if (jread(j, next, b) < 0)
			return pass == PASS_SCAN ? (j->end = seq, 0) : -EIO;
		if (be32(b) != JBD2_MAGIC || be32(b + 8) != seq)
			break;
		next = wrap(j, next + 1);
		switch (be32(b + 4)) {
		case JT_DESCRIPTOR: {
			size_t off = 12;
			uint64_t home;
			uint32_t flags = 0, csum;

			if (!tail_ok(j, b))
				return -EIO;
			while (!(flags & TAG_LAST) &&
			       next_tag(j, b, &off, &home, &flags, &csum)) {
				if (pass == PASS_REPLAY &&
				    !revoked(j, home, seq)) {
					err = replay_block(j, next, home, flags,
							   csum, seq);
					if (err < 0)
						return err;
				}
				next = wrap(j, next + 1);
			}
			break;
		}
		case JT_COMMIT:
			if (pass == PASS_SCAN && !commit_ok(j, b))
				goto end;
			seq++;
			break;
		case JT_REVOKE:
			if (!tail_ok(j, b))
				return -EIO;
			if (pass == PASS_REVOKE) {
				err = do_revokes(j, b, seq);
				if (err < 0)
					return err;
			}
			break;
		default:
			goto end;
		}
	}
end:
	if (pass == PASS_SCAN)
		j->end = seq;
	return 0;
}

/* The journal superblock, checked; 0 with j filled, -EINVAL, -EIO. */
static int journal_load(struct journal *j, uint32_t inum)
{
	uint8_t *b = j->blk;
	uint32_t sum;
	int err = ext4_iget(j->fs, inum, &j->in);

	if (err == 0)
		err = jread(j, 0, b);
	if (err < 0)
		return -EIO;
	if (be32(b) != JBD2_MAGIC ||
	    (be32(b + 4) != JT_SB_V1 && be32(b + 4) != JT_SB_V2) ||
	    be32(b + 0xC) != j->bs)
		return -EIO;
	j->maxlen = be32(b + 0x10);
	j->first = be32(b + 0x14);
	j->seq = be32(b + 0x18);
	j->start = be32(b + 0x1C);
	j->incompat = be32(b + 4) == JT_SB_V2 ? be32(b + 0x28) : 0;
	if (j->incompat & ~(uint32_t)JI_KNOWN)
		return -EINVAL;
	if (j->first == 0 || j->first >= j->maxlen ||
	    j->maxlen > j->in.size / j->bs ||
	    (j->start != 0 && (j->start < j->first || j->start >= j->maxlen)))
		return -EIO;
	j->csum = (j->incompat & (JI_CSUM_V2 | JI_CSUM_V3)) != 0;
	j->seed = crc32c(~0U, b + 0x30, 16);
	if (j->csum) {
		sum = be32(b + SB_CSUM_OFF);
		put_be32(b + SB_CSUM_OFF, 0);
		if (crc32c(~0U, b, 1024) != sum)
			return -EIO;
	}
	return 0;
}

/* Mark the log empty: s_start 0, the next sequence after the last. */
static int journal_reset(struct journal *j)
{
	uint8_t *b = j->blk;
	uint64_t pblk, count;
	int err = jread(j, 0, b);

	if (err == 0)
		err = ext4_bmap(j->fs, &j->in, 0, &pblk, &count);
	if (err < 0)
		return err;
	put_be32(b + 0x18, j->end);
	put_be32(b + 0x1C, 0);
	if (j->csum) {
		put_be32(b + SB_CSUM_OFF, 0);
		put_be32(b + SB_CSUM_OFF, crc32c(~0U, b, 1024));
	}
	return bcache_write(j->fs->dev, pblk * j->bs, b, j->bs) == (long)j->bs ?
		       0 :
		       -EIO;
}

int ext4_journal_recover(struct ext4_fs *fs, uint32_t inum)
{
	struct journal j = { .fs = fs, .bs = fs->block_size };
	int err = -ENOMEM;

	j.blk = kmalloc(fs->block_size);
	j.data = kmalloc(fs->block_size);
	if (j.blk == NULL || j.data == NULL)
		goto out;
	err = journal_load(&j, inum);
	if (err == 0 && j.start != 0)
		err = one_pass(&j, PASS_SCAN);
	if (err == 0 && j.start != 0 && (j.incompat & JI_REVOKE))
		err = one_pass(&j, PASS_REVOKE);
	if (err == 0 && j.start != 0)
		err = one_pass(&j, PASS_REPLAY);
	if (err == 0 && j.start == 0)
		j.end = j.seq;
	/* The replayed blocks are on the disk before the log is emptied. */
	if (err == 0)
		err = bcache_sync(fs->dev);
	if (err == 0)
		err = journal_reset(&j);
	if (err == 0)
		err = bcache_sync(fs->dev);
	if (err == 0)
		printk("kiln: ext4 %s: journal recovered (transactions %u to "
		       "%u)\n",
		       fs->name, j.seq, j.end);
out:
	kfree(j.revokes);
	kfree(j.blk);
	kfree(j.data);
	return err;
}
