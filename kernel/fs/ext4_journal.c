/* ext4_journal.c - jbd2 journal recovery: scan, revoke and replay passes over a journal left by a crash. */
#include "fs/ext4.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4_jbd2_fmt.h"
#include "lib/string.h"

/*
 * Recovery is Linux's three passes (fs/jbd2/recovery.c) over the log
 * from s_start (the format: ext4_jbd2_fmt.h): find the end, collect
 * revokes, copy each data block not revoked by the same or a later
 * transaction home.
 */
#define MAX_PASS_BLOCKS (1U << 24)

struct revoke {
	uint64_t block;
	uint32_t seq;
};

struct journal {
	struct ext4_fs *fs;
	struct ext4_inode in;
	struct jbd2_sb sb;
	uint32_t end; /* the first sequence not committed */
	struct revoke *revokes;
	size_t nrevokes, cap;
	uint8_t *blk, *data;
};

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
	return b >= j->sb.maxlen ? j->sb.first + (b - j->sb.maxlen) : b;
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
	uint32_t used = jbd2_be32(b + 12),
		 rec = (uint32_t)jbd2_revoke_bytes(&j->sb);

	if (used > jbd2_tail_start(&j->sb))
		return -EIO;
	for (uint32_t off = JREVOKE_HDR; off + rec <= used; off += rec) {
		uint64_t blk = rec == 8 ? (uint64_t)jbd2_be32(b + off) << 32 |
						  jbd2_be32(b + off + 4) :
					  jbd2_be32(b + off);
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
	uint32_t bs = j->sb.bs;
	int err;

	if (home < j->fs->first_data_block || home >= j->fs->blocks_count)
		return -EIO;
	err = jread(j, lblk, j->data);
	if (err < 0)
		return err;
	if (j->sb.csum &&
	    !jbd2_block_csum_match(
		    &j->sb, jbd2_block_csum(&j->sb, seq, j->data), csum)) {
		printk("kiln: ext4 %s: journal block %u: bad checksum, "
		       "not replayed\n",
		       j->fs->name, lblk);
		return 0; /* as Linux: skipped, recovery goes on */
	}
	if (flags & TAG_ESCAPE)
		jbd2_put_be32(j->data, JBD2_MAGIC);
	return bcache_write(j->fs->dev, home * bs, j->data, bs) == (long)bs ?
		       0 :
		       -EIO;
}

enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

/*
 * A descriptor or revoke block of seq whose tail checksum is wrong: in
 * the scan, the end of the log if no commit block of seq follows (a
 * power cut tore the block of a transaction that never committed), a
 * damaged log if one does (the commit block is written only after the
 * flush that made the rest durable). Linux's need_check_commit_time.
 * The later passes stop before such a transaction.
 */
static int bad_tail(enum pass pass, bool *torn)
{
	if (pass != PASS_SCAN)
		return -EIO;
	*torn = true;
	return 0;
}

/* One walk of the log from s_start (Linux's do_one_pass). */
static int one_pass(struct journal *j, enum pass pass)
{
	uint32_t next = j->sb.start, seq = j->sb.seq, steps = 0;
	bool torn = false; /* a block of seq failed its checksum */

	while (steps++ < MAX_PASS_BLOCKS) {
		uint8_t *b = j->blk;
		int err;

		if (pass != PASS_SCAN && seq == j->end)
			return 0;
		if (jread(j, next, b) < 0)
			return pass == PASS_SCAN ? (j->end = seq, 0) : -EIO;
		if (jbd2_be32(b) != JBD2_MAGIC || jbd2_be32(b + 8) != seq)
			break;
		next = wrap(j, next + 1);
		switch (jbd2_be32(b + 4)) {
		case JT_DESCRIPTOR: {
			size_t off = JHDR_SIZE;
			uint64_t home;
			uint32_t flags = 0, csum;

			if (!jbd2_tail_ok(&j->sb, b) &&
			    (err = bad_tail(pass, &torn)) < 0)
				return err;
			while (!(flags & TAG_LAST) &&
			       jbd2_next_tag(&j->sb, b, &off, &home, &flags,
					     &csum)) {
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
			if (pass == PASS_SCAN && !jbd2_commit_ok(&j->sb, b))
				goto end;
			if (torn) {
				printk("kiln: ext4 %s: journal transaction %u: "
				       "bad block checksum\n",
				       j->fs->name, seq);
				return -EIO;
			}
			seq++;
			break;
		case JT_REVOKE:
			if (!jbd2_tail_ok(&j->sb, b) &&
			    (err = bad_tail(pass, &torn)) < 0)
				return err;
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
	int err = ext4_iget(j->fs, inum, &j->in);

	if (err == 0)
		err = jread(j, 0, j->blk);
	if (err < 0)
		return -EIO;
	return jbd2_sb_decode(&j->sb, j->blk, j->fs->block_size, j->in.size);
}

/* Mark the log empty: s_start 0, the next sequence after the last. */
static int journal_reset(struct journal *j)
{
	uint8_t *b = j->blk;
	uint64_t pblk, count;
	uint32_t bs = j->sb.bs;
	int err = jread(j, 0, b);

	if (err == 0)
		err = ext4_bmap(j->fs, &j->in, 0, &pblk, &count);
	if (err < 0)
		return err;
	/* As Linux: past the end, so a torn transaction's blocks never match. */
	j->sb.seq = j->end + 1;
	j->sb.start = 0;
	jbd2_sb_encode(&j->sb, b);
	return bcache_write(j->fs->dev, pblk * bs, b, bs) == (long)bs ? 0 :
									-EIO;
}

int ext4_journal_recover(struct ext4_fs *fs, uint32_t inum)
{
	struct journal j = { .fs = fs };
	int err = -ENOMEM;

	j.blk = kmalloc(fs->block_size);
	j.data = kmalloc(fs->block_size);
	if (j.blk == NULL || j.data == NULL)
		goto out;
	err = journal_load(&j, inum);
	if (err == 0 && j.sb.start != 0)
		err = one_pass(&j, PASS_SCAN);
	if (err == 0 && j.sb.start != 0 && (j.sb.incompat & JI_REVOKE))
		err = one_pass(&j, PASS_REVOKE);
	if (err == 0 && j.sb.start != 0)
		err = one_pass(&j, PASS_REPLAY);
	if (err == 0 && j.sb.start == 0)
		j.end = j.sb.seq;
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
		       fs->name, j.sb.seq, j.end);
out:
	kfree(j.revokes);
	kfree(j.blk);
	kfree(j.data);
	return err;
}
