/* ext4_jbd2.c - the jbd2 journal of a read-write ext4 mount: handles, the running transaction, opening and closing the log. */
#include "fs/ext4_jbd2.h"

#include <asm-generic/errno.h>

#include "core/clock.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2_int.h"
#include "lib/crc32c.h"
#include "lib/string.h"

/* Linux's default commit interval (JBD2_DEFAULT_MAX_COMMIT_AGE). */
#define COMMIT_AGE_NS (5ULL * 1000000000)
/* The ext4 superblock: s_feature_incompat and the checksum. */
#define SB_OFFSET 1024
#define SB_SIZE 1024
#define SB_INCOMPAT 0x60
#define SB_CSUM 0x3FC

struct ext4_handle {
	struct ext4_jbd2 *j;
	uint32_t credits; /* reserved at start */
	uint32_t added;	  /* blocks it brought into the transaction */
	bool changed;	  /* it dirtied a block (perhaps one already in) */
};

/* every open journal (ext4_jbd2.h: ext4_jbd2_pending reads it) */
struct ext4_jbd2 *ext4_jbd2_journals;

uint32_t jbd2_txn_blocks(const struct ext4_jbd2 *j, size_t nbufs,
			 size_t nrevokes)
{
	size_t tags = (jbd2_tail_start(&j->sb) - JHDR_SIZE - 16) /
		      jbd2_tag_bytes(&j->sb),
	       recs = (jbd2_tail_start(&j->sb) - JREVOKE_HDR) /
		      jbd2_revoke_bytes(&j->sb);

	return (uint32_t)((nbufs + tags - 1) / tags + nbufs +
			  (nrevokes + recs - 1) / recs + 1);
}

/* Wait on j's queue once (the caller loops on its condition). */
static void jbd2_wait(struct ext4_jbd2 *j)
{
	struct waiter w;

	wait_add(&j->wq, &w);
	sched_sleep(0, false);
	wait_remove(&w);
}

/* Should the running transaction commit before credits more join it? */
static bool commit_due(const struct ext4_jbd2 *j, uint32_t credits)
{
	if (j->nbufs == 0 && j->nrevokes == 0)
		return false;
	return jbd2_txn_blocks(j, j->credits + credits, j->nrevokes) >
		       j->max_txn ||
	       j->nbufs + credits > bcache_limit() / 2 ||
	       clock_monotonic_ns() - j->started_ns > COMMIT_AGE_NS;
}

/* Grow *v (elements of size sz) to hold at least want: 0 or -ENOMEM. */
static int grow(void **v, size_t *cap, size_t want, size_t sz)
{
	size_t ncap = *cap ? *cap : 16;
	void *n;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	n = kmalloc(ncap * sz);
	if (!n)
		return -ENOMEM;
	if (*cap)
		memcpy(n, *v, *cap * sz);
	kfree(*v);
	*v = n;
	*cap = ncap;
	return 0;
}

/*
 * A commit nobody waits on (a full or old transaction, sync(2)): its
 * data write-back error stays for the next fsync, as commit would
 * have consumed it. An abort is the journal's own (j->err).
 */
static void commit_keeping(struct ext4_fs *fs)
{
	struct ext4_jbd2 *j = fs->jbd2;
	int err = ext4_jbd2_commit(fs);

	if (err < 0 && err != -ENOMEM && j && !j->err && !j->data_err)
		j->data_err = err;
}

int ext4_handle_start(struct ext4_fs *fs, unsigned int credits,
		      struct ext4_handle **out)
{
	struct ext4_jbd2 *j = fs->jbd2;
	struct ext4_handle *h;
	int err;

	if (fs->ro || j == NULL || j->err)
		return -EROFS;
	if (jbd2_txn_blocks(j, credits, 0) > j->max_txn)
		return -ENOSPC;
	h = kmalloc(sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	for (;;) {
		while (j->committing)
			jbd2_wait(j);
		if (j->err) {
			kfree(h);
			return -EROFS;
		}
		if (!commit_due(j, credits))
			break;
		/*
		 * With handles open (perhaps this thread's own: a commit
		 * would wait for it forever) join, while the log has room.
		 */
		if (j->nhandles > 0) {
			if (jbd2_txn_blocks(j, j->credits + credits,
					    j->nrevokes) <
			    j->sb.maxlen - j->sb.first)
				break;
			kfree(h);
			return -ENOSPC;
		}
		commit_keeping(fs); /* an abort is seen above */
	}
	err = grow((void **)&j->bufs, &j->bufcap,
		   j->nbufs + j->credits + credits, sizeof(*j->bufs));
	if (err < 0) {
		kfree(h);
		return err;
	}
	j->credits += credits;
	j->nhandles++;
	*h = (struct ext4_handle){ j, credits, 0, false };
	*out = h;
	return 0;
}

int ext4_handle_stop(struct ext4_handle *h)
{
	struct ext4_jbd2 *j = h->j;

	/* Unused credits go back (Linux's jbd2_journal_stop). */
	j->credits = j->credits >= h->credits ?
			     j->credits - h->credits + h->added :
			     h->added;
	kfree(h);
	if (--j->nhandles == 0)
		wake_up(&j->wq);
	return j->err;
}

unsigned int ext4_handle_left(const struct ext4_handle *h)
{
	return h->added < h->credits ? h->credits - h->added : 0;
}

void ext4_handle_abort(struct ext4_handle *h, int err)
{
	jbd2_abort(h->j, err);
}

/* One of h's credits used: a block it changed. */
static void use_credit(struct ext4_handle *h)
{
	struct ext4_jbd2 *j = h->j;

	/* Past its credits the transaction may outgrow the log: say so. */
	if (h->added++ == h->credits && j->overdrawn++ == 0)
		printk("kiln: ext4 %s: a handle went past its %u credits\n",
		       j->fs->name, h->credits);
}

/*
 * b (held) joins the running transaction: pinned, off the write-back
 * list; a credit used when changed (else b is UNCHANGED until
 * ext4_jbd2_dirty). 0, or -ENOMEM with nothing changed.
 */
static int join(struct ext4_handle *h, struct bcache_buf *b, bool changed)
{
	struct ext4_jbd2 *j = h->j;

	/* Only a handle going past its credits can need this. */
	if (grow((void **)&j->bufs, &j->bufcap, j->nbufs + 1,
		 sizeof(*j->bufs)) < 0)
		return -ENOMEM;
	if (j->nbufs == 0 && j->nrevokes == 0)
		j->started_ns = clock_monotonic_ns();
	b->refs++;
	bcache_pin(b);
	j->bufs[j->nbufs++] = b;
	if (changed)
		use_credit(h);
	else
		b->flags |= BCACHE_UNCHANGED;
	return 0;
}

/*
 * b (held) is a committed block not yet home that the caller is about
 * to change. Its log copy may be checkpointed away before the running
 * transaction commits (make_room), so its committed bytes are kept
 * (frozen) for the checkpoint to write home, and b joins the running
 * transaction now, so that its new bytes never go home before they
 * commit (Linux's do_get_write_access). Without the memory for that,
 * or on an aborted journal, b goes home first. 0 or -ERRNO.
 */
static int freeze(struct ext4_handle *h, struct bcache_buf *b)
{
	struct ext4_jbd2 *j = h->j;
	unsigned verified;
	uint8_t *copy;

	if (j->err ||
	    grow((void **)&j->frozen, &j->frozencap, j->nfrozen + 1,
		 sizeof(*j->frozen)) < 0 ||
	    (copy = page_alloc(1)) == NULL)
		return bcache_write_home(b);
	memcpy(copy, b->data, b->len);
	verified = b->flags & BCACHE_VERIFIED;
	if (join(h, b, false) < 0) {
		page_free(copy, 1);
		return bcache_write_home(b);
	}
	b->flags |= verified; /* the same bytes: as checked as they were */
	j->frozen[j->nfrozen++] = (struct jbd2_frozen){ b->block, copy };
	return 0;
}

bool ext4_handle_aborted(const struct ext4_handle *h)
{
	return h->j->err != 0;
}

struct bcache_buf *ext4_jbd2_get(struct ext4_handle *h, uint64_t blk, bool fill,
				 int *err)
{
	struct ext4_fs *fs = h->j->fs;
	struct bcache_buf *b;

	if (blk >= fs->blocks_count) {
		*err = -EINVAL;
		return NULL;
	}
	/*
	 * An aborted journal's handle gets nothing more (Linux's
	 * get_write_access on an aborted handle): the abort put the
	 * committed bytes back under what it may still hold, and a block
	 * got now (a bitmap the allocator looks at again) could be read
	 * before they are home or change what committed.
	 */
	if (h->j->err) {
		*err = h->j->err;
		return NULL;
	}
	b = bcache_get(fs->dev, blk, fill, err);
	if (b &&
	    (b->flags & (BCACHE_DIRTY | BCACHE_LOGGED | BCACHE_PINNED)) ==
		    (BCACHE_DIRTY | BCACHE_LOGGED) &&
	    (*err = freeze(h, b)) < 0) {
		bcache_put(b);
		b = NULL;
	}
	/*
	 * Half of an operation is in the transaction and the rest cannot
	 * follow (ENOMEM as much as EIO): abort, as Linux's failed
	 * get_write_access aborts the handle and its stop then the journal
	 * (ext4_journal_abort_handle, __ext4_journal_stop).
	 */
	if (b == NULL && h->changed)
		jbd2_abort(h->j, *err);
	return b;
}

void ext4_jbd2_dirty(struct ext4_handle *h, struct bcache_buf *b)
{
	struct ext4_jbd2 *j = h->j;

	h->changed = true;
	if (j->err) {
		bcache_unpin(b, false); /* never home: it did not commit */
		return;
	}
	if (b->flags & BCACHE_PINNED) {
		/* in the running transaction already; frozen, now changed */
		if (b->flags & BCACHE_UNCHANGED) {
			b->flags &= ~BCACHE_UNCHANGED;
			use_credit(h);
		}
		return;
	}
	if (join(h, b, true) < 0) {
		jbd2_abort(j, -ENOMEM);
		bcache_unpin(b, false);
	}
}

/* Blocks [blk, blk+n) not to be handed out before the commit. */
static void add_busy(struct ext4_jbd2 *j, uint64_t blk, uint64_t n)
{
	if (j->nbusy &&
	    j->busy[j->nbusy - 1].blk + j->busy[j->nbusy - 1].n == blk) {
		j->busy[j->nbusy - 1].n += n;
		return;
	}
	if (grow((void **)&j->busy, &j->busycap, j->nbusy + 1,
		 sizeof(*j->busy)) < 0) {
		jbd2_abort(j, -ENOMEM);
		return;
	}
	j->busy[j->nbusy++] = (struct jbd2_busy){ blk, n };
}

/* A block of the running transaction that was freed: out of it. */
static void forget_buf(struct ext4_jbd2 *j, uint64_t blk)
{
	struct bcache_buf *b = bcache_peek(j->fs->dev, blk);

	if (b == NULL)
		return;
	for (size_t i = 0; i < j->nbufs; i++)
		if (j->bufs[i] == b) {
			j->bufs[i] = j->bufs[--j->nbufs];
			bcache_unpin(b, false);
			bcache_put(b);
			break;
		}
	bcache_put(b);
}

void ext4_jbd2_free_meta(struct ext4_handle *h, uint64_t blk)
{
	struct ext4_jbd2 *j = h->j;
	size_t i;

	if (j->err)
		return;
	forget_buf(j, blk);
	for (i = 0; i < j->nrevokes && j->revokes[i] != blk; i++)
		;
	if (i == j->nrevokes) {
		if (grow((void **)&j->revokes, &j->revcap, j->nrevokes + 1,
			 sizeof(*j->revokes)) < 0) {
			jbd2_abort(j, -ENOMEM);
			return;
		}
		if (j->nbufs == 0 && j->nrevokes == 0)
			j->started_ns = clock_monotonic_ns();
		j->revokes[j->nrevokes++] = blk;
	}
	add_busy(j, blk, 1);
}

void ext4_jbd2_free_data(struct ext4_handle *h, uint64_t blk, uint64_t n)
{
	if (!h->j->err && n)
		add_busy(h->j, blk, n);
}

bool ext4_jbd2_block_busy(struct ext4_fs *fs, uint64_t blk)
{
	struct ext4_jbd2 *j = fs->jbd2;

	for (size_t i = 0; j && i < j->nbusy; i++)
		if (blk >= j->busy[i].blk &&
		    blk - j->busy[i].blk < j->busy[i].n)
			return true;
	return false;
}

int ext4_jbd2_commit(struct ext4_fs *fs)
{
	struct ext4_jbd2 *j = fs->jbd2;
	int err;

	if (j == NULL)
		return fs->ro ? 0 : bcache_sync(fs->dev);
	while (j->committing)
		jbd2_wait(j);
	j->committing = true;
	while (j->nhandles)
		jbd2_wait(j);
	err = jbd2_do_commit(j);
	j->committing = false;
	wake_up(&j->wq);
	return err;
}

/* Set or clear needs_recovery in the ext4 superblock, durably. */
static int set_needs_recovery(struct ext4_fs *fs, bool on)
{
	uint8_t sb[SB_SIZE];
	uint32_t c;

	if (ext4_read_bytes(fs, SB_OFFSET, sb, SB_SIZE) < 0)
		return -EIO;
	if (on)
		sb[SB_INCOMPAT] |= EXT4_INCOMPAT_RECOVER;
	else
		sb[SB_INCOMPAT] &= (uint8_t)~EXT4_INCOMPAT_RECOVER;
	if (fs->csum) {
		c = crc32c(~0U, sb, SB_CSUM);
		for (int i = 0; i < 4; i++)
			sb[SB_CSUM + i] = (uint8_t)(c >> (8 * i));
	}
	if (bcache_write(fs->dev, SB_OFFSET, sb, SB_SIZE) != SB_SIZE ||
	    bcache_sync(fs->dev) < 0)
		return -EIO;
	fs->incompat = on ? fs->incompat | EXT4_INCOMPAT_RECOVER :
			    fs->incompat & ~(uint32_t)EXT4_INCOMPAT_RECOVER;
	return 0;
}

/*
 * The journal's blocks on the disk, and the cache emptied of them (the
 * log is written around the cache from now on). 0, -EIO, -ENOMEM.
 */
static int map_journal(struct ext4_jbd2 *j, const struct ext4_inode *in)
{
	struct ext4_fs *fs = j->fs;
	uint64_t pblk, count;

	j->map = kmalloc(j->sb.maxlen * sizeof(*j->map));
	if (j->map == NULL)
		return -ENOMEM;
	for (uint32_t l = 0; l < j->sb.maxlen; l += (uint32_t)count) {
		if (ext4_bmap(fs, in, l, &pblk, &count) < 0 || pblk == 0 ||
		    pblk + count > fs->blocks_count)
			return -EIO;
		if (count > j->sb.maxlen - l)
			count = j->sb.maxlen - l;
		for (uint64_t k = 0; k < count; k++)
			j->map[l + k] = pblk + k;
		if (bcache_forget_range(fs->dev, pblk * fs->block_size,
					count * fs->block_size) < 0)
			return -EIO;
	}
	return 0;
}

/* Read, check and adopt the journal superblock (log empty). */
static int load_journal(struct ext4_jbd2 *j, uint32_t inum)
{
	struct ext4_fs *fs = j->fs;
	struct ext4_inode in;
	uint64_t pblk, count;
	int err = ext4_iget(fs, inum, &in);

	if (err == 0)
		err = ext4_bmap(fs, &in, 0, &pblk, &count);
	if (err == 0)
		err = pblk ? ext4_read_block(fs, pblk, j->sbuf) : -EIO;
	if (err == 0)
		err = jbd2_sb_decode(&j->sb, j->sbuf, fs->block_size, in.size);
	if (err < 0)
		return err;
	/* Recovery ran at mount; a v1 checksum journal is not written. */
	if (j->sb.start != 0 || ((j->sb.compat & JC_CHECKSUM) && !j->sb.csum))
		return -EINVAL;
	/* The features Linux's ext4 asks of jbd2 (ext4_set_journal_csum). */
	j->sb.incompat |= JI_REVOKE;
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		j->sb.incompat |= JI_64BIT;
	if (fs->csum)
		j->sb.incompat = (j->sb.incompat & ~(uint32_t)JI_CSUM_V2) |
				 JI_CSUM_V3;
	j->sb.csum = (j->sb.incompat & (JI_CSUM_V2 | JI_CSUM_V3)) != 0;
	j->max_txn = (j->sb.maxlen - j->sb.first) / 4;
	if (j->max_txn < 16)
		return -EINVAL;
	return map_journal(j, &in);
}

static void jbd2_free(struct ext4_jbd2 *j)
{
	jbd2_drop_frozen(j);
	if (j->sbuf)
		page_free(j->sbuf, 1);
	kfree(j->map);
	kfree(j->bufs);
	kfree(j->revokes);
	kfree(j->busy);
	kfree(j->frozen);
	kfree(j);
}

int ext4_jbd2_open(struct ext4_fs *fs, uint32_t journal_inum)
{
	struct ext4_jbd2 *j;
	int err;

	if (fs->dev->block_size != fs->block_size) {
		printk("kiln: ext4 %s: the journal needs %u-byte blocks: "
		       "not mounted read-write\n",
		       fs->name, fs->dev->block_size);
		return -EINVAL;
	}
	j = kzalloc(sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->fs = fs;
	j->sbuf = page_alloc_zero(1);
	err = j->sbuf ? load_journal(j, journal_inum) : -ENOMEM;
	if (err == 0) {
		j->tid = j->sb.seq;
		j->head = j->sb.first;
		/* The features, durable before any transaction uses them. */
		err = jbd2_write_sb(j);
	}
	if (err == 0)
		err = set_needs_recovery(fs, true);
	if (err < 0) {
		printk("kiln: ext4 %s: cannot open the journal (error %d)\n",
		       fs->name, -err);
		jbd2_free(j);
		return err;
	}
	fs->jbd2 = j;
	j->next = ext4_jbd2_journals;
	ext4_jbd2_journals = j;
	return 0;
}

int ext4_jbd2_close(struct ext4_fs *fs)
{
	struct ext4_jbd2 *j = fs->jbd2, **pp = &ext4_jbd2_journals;
	int err;

	if (j == NULL)
		return 0;
	err = ext4_jbd2_commit(fs);
	if (j->err == 0) {
		/* Everything home, then the log empty, then the flag off. */
		err = jbd2_checkpoint(j, 0);
		if (err == 0)
			err = set_needs_recovery(fs, false);
	} else {
		bcache_sync(fs->dev); /* what did commit may go home */
		err = j->err;
	}
	while (*pp != j)
		pp = &(*pp)->next;
	*pp = j->next;
	fs->jbd2 = NULL;
	jbd2_free(j);
	return err;
}

int ext4_jbd2_commit_all(bool report)
{
	int err = 0, e;

	for (struct ext4_jbd2 *j = ext4_jbd2_journals; j; j = j->next) {
		if (!report)
			commit_keeping(j->fs);
		else if ((e = ext4_jbd2_commit(j->fs)) < 0 && err == 0)
			err = e;
	}
	return err;
}

void ext4_jbd2_commit_aged(void)
{
	/* The clock is read only while a transaction runs. */
	for (struct ext4_jbd2 *j = ext4_jbd2_journals; j; j = j->next)
		if (!j->committing && !j->err && (j->nbufs || j->nrevokes) &&
		    clock_monotonic_ns() - j->started_ns > COMMIT_AGE_NS) {
			commit_keeping(j->fs);
			return; /* it slept: the list may have changed */
		}
}

int ext4_jbd2_close_all(void)
{
	int err = 0, e;

	while (ext4_jbd2_journals)
		if ((e = ext4_jbd2_close(ext4_jbd2_journals->fs)) < 0 &&
		    err == 0)
			err = e;
	return err;
}
