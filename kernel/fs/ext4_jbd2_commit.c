/* ext4_jbd2_commit.c - writing a transaction into the jbd2 log (ordered mode), checkpointing, aborting. */
#include <asm-generic/errno.h>

#include "core/clock.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2_int.h"
#include "lib/string.h"

/*
 * A commit, as Linux's jbd2_journal_commit_transaction in ordered mode
 * without async_commit, with two device flushes:
 *
 *   1. write back the file data the cache holds dirty (ordered: it
 *      reaches the disk before metadata that points at it), and
 *      the revoke blocks, descriptors and copies of the pinned
 *      blocks into the log at head, in one batch;   then FLUSH;
 *   2. write the commit block;                      then FLUSH.
 *
 * Only then are the blocks unpinned (LOGGED): they go home at a
 * checkpoint, or earlier when the cache evicts them. The blocks of
 * earlier transactions are not written here: their copies are in the
 * log until a checkpoint (Linux defers its checkpoint the same way),
 * so a commit writes what Linux's does: the data, the log, the commit
 * block. A crash before 2 is durable leaves a transaction without its
 * commit block, which recovery ignores.
 */

/* The journal's writes, gathered and sent in block order. */
struct jio {
	struct bcache_io *ios;
	void **pages; /* pages of ours to free afterwards */
	size_t n, npages, cap;
};

static int jio_init(struct jio *w, size_t cap)
{
	w->ios = kmalloc(cap * sizeof(*w->ios));
	w->pages = kmalloc(cap * sizeof(*w->pages));
	w->n = w->npages = 0;
	w->cap = cap;
	return w->ios && w->pages ? 0 : -ENOMEM;
}

static void jio_free(struct jio *w)
{
	for (size_t i = 0; i < w->npages; i++)
		page_free(w->pages[i], 1);
	kfree(w->ios);
	kfree(w->pages);
}

/* A zeroed page of ours, freed by jio_free; NULL: -ENOMEM. */
static uint8_t *jio_page(struct jio *w)
{
	uint8_t *p = page_alloc_zero(1);

	if (p)
		w->pages[w->npages++] = p;
	return p;
}

static void jio_add(struct ext4_jbd2 *j, struct jio *w, uint32_t lblk,
		    void *buf)
{
	w->ios[w->n++] = (struct bcache_io){ true, j->map[lblk], buf, j->sb.bs,
					     0 };
}

/* Sort w's writes by block (insertion: few), as io wants them. */
static void jio_sort(struct jio *w)
{
	for (size_t i = 1; i < w->n; i++)
		for (size_t k = i;
		     k > 0 && w->ios[k - 1].block > w->ios[k].block; k--) {
			struct bcache_io t = w->ios[k];

			w->ios[k] = w->ios[k - 1];
			w->ios[k - 1] = t;
		}
}

/* 0, or -EIO when one of w's sent writes failed. */
static int jio_result(const struct jio *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->ios[i].err)
			return -EIO;
	return 0;
}

/* Send w's writes: 0 or -EIO. */
static int jio_send(struct ext4_jbd2 *j, struct jio *w)
{
	struct bcache_dev *d = j->fs->dev;

	jio_sort(w);
	if (w->n && d->ops->io(d, w->ios, w->n))
		return -EIO;
	return jio_result(w);
}

static int dev_flush(struct ext4_jbd2 *j)
{
	struct bcache_dev *d = j->fs->dev;

	return d->ops->flush && d->ops->flush(d) < 0 ? -EIO : 0;
}

int jbd2_write_sb(struct ext4_jbd2 *j)
{
	struct jio w;
	int err = jio_init(&w, 1);

	if (err == 0) {
		jbd2_sb_encode(&j->sb, j->sbuf);
		jio_add(j, &w, 0, j->sbuf);
		err = jio_send(j, &w);
	}
	jio_free(&w);
	return err;
}

void jbd2_drop_frozen(struct ext4_jbd2 *j)
{
	for (size_t i = 0; i < j->nfrozen; i++)
		page_free(j->frozen[i].data, 1);
	j->nfrozen = 0;
}

/*
 * The frozen copies back into the cache, dirty, as their blocks' bytes
 * (an aborted journal commits no more, and the running transaction's
 * copies were just dropped): what committed stays what is read, and
 * goes home with the next sync (unmount's). Without memory for one,
 * the log's copy is left for the next mount's recovery.
 */
static void thaw(struct ext4_jbd2 *j)
{
	struct bcache_buf *b;
	int err;

	for (size_t i = 0; i < j->nfrozen; i++) {
		b = bcache_get(j->fs->dev, j->frozen[i].blk, false, &err);
		if (b == NULL)
			continue;
		memcpy(b->data, j->frozen[i].data, b->len);
		bcache_mark_dirty(b);
		b->flags |= BCACHE_LOGGED;
		bcache_put(b);
	}
	jbd2_drop_frozen(j);
}

void jbd2_abort(struct ext4_jbd2 *j, int err)
{
	if (j->err == 0)
		printk("kiln: ext4 %s: journal aborted (error %d): the file "
		       "system is read-only now\n",
		       j->fs->name, -err);
	j->err = -EIO;
	for (size_t i = 0; i < j->nbufs; i++) {
		bcache_unpin(j->bufs[i], false);
		bcache_put(j->bufs[i]);
	}
	j->nbufs = j->nrevokes = j->nbusy = 0;
	j->credits = 0;
	thaw(j);
	/* Directory blocks went back to the disk's: what was looked up goes. */
	j->fs->dir_changes++;
}

/* The frozen copies home (a checkpoint's): 0 or -EIO. */
static int write_frozen(struct ext4_jbd2 *j)
{
	struct jio w;
	int err = j->nfrozen ? jio_init(&w, j->nfrozen) : 0;

	if (j->nfrozen == 0 || err < 0)
		return err;
	for (size_t i = 0; i < j->nfrozen; i++)
		w.ios[w.n++] = (struct bcache_io){ true, j->frozen[i].blk,
						   j->frozen[i].data, j->sb.bs,
						   0 };
	err = jio_send(j, &w);
	jio_free(&w);
	return err;
}

int jbd2_checkpoint(struct ext4_jbd2 *j, uint32_t start)
{
	int err = bcache_writeback(j->fs->dev, true);

	/*
	 * A file's data block that failed does not keep the log (Linux's
	 * default data_err=ignore): its error is the file's, at fsync.
	 */
	if (err == -ENOMEM || bcache_take_log_err(j->fs->dev) < 0)
		return -EIO;
	if (err < 0 && j->data_err == 0)
		j->data_err = err;
	if (write_frozen(j) < 0)
		return -EIO;
	err = dev_flush(j);
	if (err < 0)
		return -EIO;
	j->sb.start = start;
	j->sb.seq = j->tid;
	err = jbd2_write_sb(j);
	if (err == 0)
		err = dev_flush(j);
	if (err == 0 && start)
		j->head = start;
	return err;
}

/* The revoke blocks of the running transaction into w. */
static int put_revokes(struct ext4_jbd2 *j, struct jio *w, uint32_t *lblk)
{
	size_t rec = jbd2_revoke_bytes(&j->sb), end = jbd2_tail_start(&j->sb);
	size_t i = 0;

	while (i < j->nrevokes) {
		uint8_t *b = jio_page(w);
		size_t off = JREVOKE_HDR;

		if (!b)
			return -ENOMEM;
		jbd2_put_header(b, JT_REVOKE, j->tid);
		for (; i < j->nrevokes && off + rec <= end; i++, off += rec) {
			uint64_t blk = j->revokes[i];

			if (rec == 8) {
				jbd2_put_be32(b + off, (uint32_t)(blk >> 32));
				jbd2_put_be32(b + off + 4, (uint32_t)blk);
			} else {
				jbd2_put_be32(b + off, (uint32_t)blk);
			}
		}
		jbd2_put_be32(b + 12, (uint32_t)off);
		jbd2_tail_set(&j->sb, b);
		jio_add(j, w, (*lblk)++, b);
	}
	return 0;
}

/*
 * The copy of pinned block b into w at *lblk. A block that starts with
 * the journal's magic number is escaped (zeroed there, TAG_ESCAPE), so
 * recovery never takes it for a journal block.
 */
static int put_copy(struct ext4_jbd2 *j, struct jio *w, uint8_t *desc,
		    size_t *off, struct bcache_buf *b, uint32_t lblk)
{
	uint8_t *data = b->data;
	uint32_t flags = 0;

	if (jbd2_be32(data) == JBD2_MAGIC) {
		data = jio_page(w);
		if (!data)
			return -ENOMEM;
		memcpy(data, b->data, j->sb.bs);
		jbd2_put_be32(data, 0);
		flags = TAG_ESCAPE;
	}
	jbd2_put_tag(&j->sb, desc, off, b->block, flags,
		     j->sb.csum ? jbd2_block_csum(&j->sb, j->tid, data) : 0);
	jio_add(j, w, lblk, data);
	return 0;
}

/* Descriptors and copies of every pinned block into w, from *lblk. */
static int put_blocks(struct ext4_jbd2 *j, struct jio *w, uint32_t *lblk)
{
	size_t i = 0;

	while (i < j->nbufs) {
		uint8_t *desc = jio_page(w);
		size_t off = JHDR_SIZE, last = 0;
		int err;

		if (!desc)
			return -ENOMEM;
		jbd2_put_header(desc, JT_DESCRIPTOR, j->tid);
		jio_add(j, w, (*lblk)++, desc);
		/* A tag (and the first one's uuid) must fit: see put_tag. */
		while (i < j->nbufs &&
		       off + jbd2_tag_bytes(&j->sb) +
				       (off == JHDR_SIZE ? 16 : 0) <=
			       jbd2_tail_start(&j->sb)) {
			last = off;
			err = put_copy(j, w, desc, &off, j->bufs[i++],
				       (*lblk)++);
			if (err < 0)
				return err;
		}
		jbd2_tag_set_last(&j->sb, desc, last);
		jbd2_tail_set(&j->sb, desc);
	}
	return 0;
}

/* The commit block (struct commit_header) of the running transaction. */
static int put_commit(struct ext4_jbd2 *j, struct jio *w, uint32_t lblk)
{
	uint8_t *b = jio_page(w);
	uint64_t now = clock_realtime_ns();

	if (!b)
		return -ENOMEM;
	jbd2_put_header(b, JT_COMMIT, j->tid);
	jbd2_put_be32(b + 48, (uint32_t)(now / 1000000000 >> 32));
	jbd2_put_be32(b + 52, (uint32_t)(now / 1000000000));
	jbd2_put_be32(b + 56, (uint32_t)(now % 1000000000));
	jbd2_commit_set(&j->sb, b);
	jio_add(j, w, lblk, b);
	return 0;
}

/* Room for need blocks at head: checkpoint to an empty log when short. */
static int make_room(struct ext4_jbd2 *j, uint32_t need)
{
	if (j->head + need > j->sb.maxlen)
		return jbd2_checkpoint(j, j->sb.first);
	if (j->sb.start == 0) /* an empty log: say where it starts now */
		return jbd2_checkpoint(j, j->head);
	return 0;
}

/* The log part of a commit: steps 1 and 2 above. 0 or -ERRNO. */
static int write_log(struct ext4_jbd2 *j, uint32_t need, int *data_err)
{
	struct jio w;
	uint32_t lblk = j->head;
	int err = jio_init(&w, 2 * (size_t)need);
	bool sent;

	if (err == 0)
		err = put_revokes(j, &w, &lblk);
	if (err == 0)
		err = put_blocks(j, &w, &lblk);
	if (err == 0) {
		/* The data and the log in one batch: one wait, not two. */
		jio_sort(&w);
		*data_err = bcache_writeback_unlogged_with(j->fs->dev, w.ios,
							   w.n, &sent);
		err = sent ? jio_result(&w) : jio_send(j, &w);
		/*
		 * Data the log's metadata may point at is not on the disk:
		 * no commit block (Linux aborts the journal when it cannot
		 * submit a commit's data).
		 */
		if (err == 0 && *data_err == -ENOMEM)
			err = -ENOMEM;
	}
	if (err == 0)
		err = dev_flush(j);
	w.n = 0;
	if (err == 0)
		err = put_commit(j, &w, lblk);
	if (err == 0)
		err = jio_send(j, &w);
	if (err == 0)
		err = dev_flush(j);
	jio_free(&w);
	return err;
}

/*
 * The blocks frozen and never changed (a handle got them only to read
 * them) out of the running transaction, and their frozen copies freed:
 * back as they were, committed, LOGGED, waiting for the checkpoint.
 */
static void drop_unchanged(struct ext4_jbd2 *j)
{
	struct bcache_buf *b;

	for (size_t i = 0; i < j->nbufs;) {
		b = j->bufs[i];
		size_t k = 0;

		if (!(b->flags & BCACHE_UNCHANGED)) {
			i++;
			continue;
		}
		while (k < j->nfrozen && j->frozen[k].blk != b->block)
			k++;
		/* Changed without ext4_jbd2_dirty after all: logged. */
		if (k == j->nfrozen ||
		    memcmp(b->data, j->frozen[k].data, b->len) != 0) {
			b->flags &= ~BCACHE_UNCHANGED;
			i++;
			continue;
		}
		page_free(j->frozen[k].data, 1);
		j->frozen[k] = j->frozen[--j->nfrozen];
		j->bufs[i] = j->bufs[--j->nbufs];
		bcache_unpin(b, true);
		bcache_put(b);
	}
}

int jbd2_do_commit(struct ext4_jbd2 *j)
{
	uint32_t need, usable = j->sb.maxlen - j->sb.first;
	int err, data_err = 0;

	if (j->err)
		return j->err;
	drop_unchanged(j);
	if (j->nbufs == 0 && j->nrevokes == 0 && j->nfrozen == 0) {
		/* Nothing to log: the data alone, as an fsync wants. */
		j->nbusy = 0;
		j->credits = 0;
		data_err = bcache_sync_unlogged(j->fs->dev);
		goto report;
	}
	need = jbd2_txn_blocks(j, j->nbufs, j->nrevokes);
	err = need > usable ? -ENOSPC : make_room(j, need);
	if (err == 0)
		err = write_log(j, need, &data_err);
	if (err < 0) {
		jbd2_abort(j, err);
		return -EIO;
	}
	for (size_t i = 0; i < j->nbufs; i++) {
		bcache_unpin(j->bufs[i], true);
		bcache_put(j->bufs[i]);
	}
	jbd2_drop_frozen(j); /* the log has their newer copies or revokes */
	j->head += need;
	j->tid++;
	j->nbufs = j->nrevokes = j->nbusy = 0;
	j->credits = 0;
	/* Half the log used: checkpoint, so the next commits find room. */
	if (j->head - j->sb.start > usable / 2) {
		err = jbd2_checkpoint(j, j->head < j->sb.maxlen ? j->head :
								  j->sb.first);
		if (err < 0) {
			jbd2_abort(j, err);
			return -EIO;
		}
	}
report:
	/* the first data write-back error, a checkpoint's included, once */
	if (data_err == 0)
		data_err = j->data_err;
	j->data_err = 0;
	return data_err < 0 ? data_err : 0;
}
