/* bcache_wb.c - the block cache's write-back: dirty buffers home in block order, each failed write's error kept for whom it belongs to. */
#include "fs/bcache.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/printk.h"
#include "fs/bcache_int.h"

/* Dirty buffers written back per batch when eviction finds no clean one. */
#define EVICT_BATCH 64

/* Block order, for the disk: a shell sort (no qsort in the kernel). */
static void sort_by_block(struct bcache_buf **v, size_t n)
{
	for (size_t gap = n / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < n; i++)
			for (size_t j = i;
			     j >= gap && v[j - gap]->block > v[j]->block;
			     j -= gap) {
				struct bcache_buf *t = v[j];

				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

/* The slot of owner's error: its own, else a free one; NULL when full. */
static struct bcache_owner_err *owner_slot(struct bcache_dev *d, uint64_t owner)
{
	struct bcache_owner_err *free = NULL;

	for (size_t i = 0; i < BCACHE_OWNER_ERRS; i++) {
		if (d->owner_errs[i].owner == owner)
			return &d->owner_errs[i];
		if (d->owner_errs[i].owner == 0 && free == NULL)
			free = &d->owner_errs[i];
	}
	return free;
}

/*
 * Keep the failed write of b (err): for syncfs, for the journal when it
 * was LOGGED, and for its owner, else (nobody's, or no slot left: the
 * error must not be lost) for the disk's next sync. Each one's first.
 */
static void record_err(struct bcache_dev *d, const struct bcache_buf *b,
		       int err)
{
	struct bcache_owner_err *o = NULL;
	int *slot = &d->wb_err;

	if (!d->sync_err)
		d->sync_err = err;
	if ((b->flags & BCACHE_LOGGED) && !d->log_err)
		d->log_err = err;
	if (b->owner != 0 && (o = owner_slot(d, b->owner)) != NULL) {
		o->owner = b->owner;
		slot = &o->err;
	}
	if (*slot)
		return;
	*slot = err;
	printk("kiln: bcache: write of block %lu failed (error %d)\n",
	       (unsigned long)b->block, -err);
}

/*
 * Write the n buffers of v (all of device d, dirty, not BUSY) in block
 * order, and the nextra transfers of extra (sorted by block, blocks no
 * buffer of d holds: a journal's log) in the same batch. A failed write
 * is recorded (record_err) and the buffer counted clean, as Linux does:
 * the error goes to the next fsync, once; an extra one's is in its err.
 * Only running out of memory keeps buffers dirty: -ENOMEM, else 0.
 * *sent (when extra is given): the batch went to the device.
 */
static int write_back_with(struct bcache_dev *d, struct bcache_buf **v,
			   size_t n, struct bcache_io *extra, size_t nextra,
			   bool *sent)
{
	struct bcache_io *ios = kmalloc((n + nextra) * sizeof(*ios));
	int ret = 0;
	size_t i, k, m;

	if (!ios)
		return -ENOMEM;
	if (sent)
		*sent = true;
	sort_by_block(v, n);
	/* The two sorted lists merged; the second loop walks it again. */
	for (i = k = m = 0; m < n + nextra; m++) {
		if (k < nextra && (i == n || extra[k].block < v[i]->block)) {
			ios[m] = extra[k++];
			continue;
		}
		v[i]->refs++;
		v[i]->flags |= BCACHE_BUSY;
		bcache_clear_dirty(v[i]); /* writers wait while it is BUSY */
		ios[m] = (struct bcache_io){ true, v[i]->block, v[i]->data,
					     v[i]->len, 0 };
		i++;
	}
	d->inflight++;
	d->ops->io(d, ios, n + nextra);
	for (i = k = m = 0; m < n + nextra; m++) {
		if (k < nextra && (i == n || extra[k].block < v[i]->block)) {
			extra[k++].err = ios[m].err;
			continue;
		}
		if (ios[m].err == -ENOMEM) {
			bcache_set_dirty(v[i]); /* still owner's bytes */
			ret = -ENOMEM;
		} else {
			if (ios[m].err)
				record_err(d, v[i], ios[m].err);
			v[i]->flags &= ~BCACHE_LOGGED;
		}
		v[i]->flags &= ~BCACHE_BUSY;
		v[i]->refs--;
		i++;
	}
	d->inflight--;
	kfree(ios);
	bcache_wake_busy();
	return ret;
}

static int write_back(struct bcache_dev *d, struct bcache_buf **v, size_t n)
{
	return write_back_with(d, v, n, NULL, 0, NULL);
}

/* Dirty, and free to go home now: not in flight, not pinned. */
static bool writable(const struct bcache_buf *b)
{
	return (b->flags & (BCACHE_DIRTY | BCACHE_BUSY | BCACHE_PINNED)) ==
	       BCACHE_DIRTY;
}

/*
 * Collect up to max dirty, idle buffers of d (first dirtied first) into
 * v, from d's dirty list: a PINNED one, which waits for its
 * transaction's commit, is not on it; a BUSY one is another thread's
 * transfer (re-dirtied after a failed write): left to it. LOGGED ones
 * only with logged.
 */
static size_t collect_dirty(struct bcache_dev *d, struct bcache_buf **v,
			    size_t max, bool logged)
{
	size_t n = 0;

	for (struct bcache_buf *b = d->dirty_head; b && n < max;
	     b = b->dirty_next)
		if (writable(b) && (logged || !(b->flags & BCACHE_LOGGED)))
			v[n++] = b;
	return n;
}

int bcache_write_home(struct bcache_buf *b)
{
	struct bcache_buf *v[1] = { b };

	while (b->flags & BCACHE_BUSY)
		bcache_wait_busy();
	return writable(b) ? write_back(b->dev, v, 1) : 0;
}

void bcache_write_back_oldest(void)
{
	struct bcache_buf *v[EVICT_BATCH];

	for (struct bcache_dev *d = bcache_devices; d; d = d->next) {
		size_t n = collect_dirty(d, v, EVICT_BATCH, true);

		if (n > 0) {
			write_back(d, v, n);
			return;
		}
	}
}

/*
 * Write d's dirty buffers (not the pinned; the LOGGED ones only with
 * logged) back: 0 or -ENOMEM. All of them in one sorted transfer when
 * memory allows, so the device merges runs across the whole set and
 * keeps many requests in flight; else (or for what was dirtied
 * meanwhile) in batches.
 */
static int write_back_all(struct bcache_dev *d, bool logged)
{
	struct bcache_buf *v[EVICT_BATCH], **all;
	size_t n;
	int err;

	if (d->ndirty > EVICT_BATCH &&
	    (all = kmalloc(d->ndirty * sizeof(*all))) != NULL) {
		n = collect_dirty(d, all, d->ndirty, logged);
		err = n ? write_back(d, all, n) : 0;
		kfree(all);
		if (err < 0)
			return err;
	}
	while ((n = collect_dirty(d, v, EVICT_BATCH, logged)) > 0)
		if ((err = write_back(d, v, n)) < 0)
			return err; /* still dirty: a later sync retries */
	return 0;
}

/*
 * write_back_all, and wait for other threads' write-backs of d already
 * in flight (an evicting thread's batch, a BUSY buffer collect_dirty
 * passed by): what a sync or checkpoint returns for must be home and
 * its error recorded. Then once more for what those left dirty.
 */
static int write_back_settled(struct bcache_dev *d, bool logged)
{
	int err = write_back_all(d, logged);

	if (err < 0 || d->inflight == 0)
		return err;
	while (d->inflight)
		bcache_wait_busy();
	return write_back_all(d, logged);
}

/* The write-back error to report, once. */
static int take_wb_err(struct bcache_dev *d, int err)
{
	if (d->wb_err) {
		err = d->wb_err;
		d->wb_err = 0;
	}
	return err;
}

int bcache_take_log_err(struct bcache_dev *d)
{
	int err = d->log_err;

	d->log_err = 0;
	return err;
}

int bcache_take_owner_err(struct bcache_dev *d, uint64_t owner)
{
	struct bcache_owner_err *o = NULL;
	int err = 0;

	for (size_t i = 0; i < BCACHE_OWNER_ERRS && o == NULL; i++)
		if (owner != 0 && d->owner_errs[i].owner == owner)
			o = &d->owner_errs[i];
	if (o != NULL) {
		err = o->err;
		*o = (struct bcache_owner_err){ 0, 0 };
	}
	return err;
}

int bcache_take_sync_err_all(void)
{
	int err = 0;

	for (struct bcache_dev *d = bcache_devices; d; d = d->next) {
		if (!err)
			err = d->sync_err;
		d->sync_err = 0;
	}
	return err;
}

/*
 * Write d's dirty buffers back (the LOGGED ones only with logged), then
 * flush the device with flush: 0, -ENOMEM (still dirty: said even with
 * an older error kept), or the write-back's error, once, else the
 * flush's.
 */
static int write_out(struct bcache_dev *d, bool logged, bool flush)
{
	int err = write_back_settled(d, logged);

	if (err < 0)
		return err;
	if (flush)
		err = d->ops->flush && !d->ro ? d->ops->flush(d) : 0;
	return take_wb_err(d, err);
}

int bcache_writeback(struct bcache_dev *d, bool logged)
{
	return write_out(d, logged, false);
}

int bcache_writeback_unlogged_with(struct bcache_dev *d,
				   struct bcache_io *extra, size_t nextra,
				   bool *sent)
{
	struct bcache_buf **v = kmalloc((d->ndirty + 1) * sizeof(*v));
	*sent = false;
	if (v != NULL) {
		write_back_with(d, v, collect_dirty(d, v, d->ndirty, false),
				extra, nextra, sent);
		kfree(v);
	}
	/*
	 * Then always: what other threads had in flight, what the device
	 * left dirty (ENOMEM), and, when memory ran short for the one
	 * batch above, all of the data, in batches of at most 64 (each a
	 * small allocation):
	 * the caller's log must not go alone. -ENOMEM: some still dirty.
	 */
	return write_out(d, false, false);
}

int bcache_sync(struct bcache_dev *d)
{
	return write_out(d, true, true);
}

int bcache_sync_unlogged(struct bcache_dev *d)
{
	return write_out(d, false, true);
}

int bcache_sync_all(bool report)
{
	int err = 0, e;

	for (struct bcache_dev *d = bcache_devices; d; d = d->next) {
		e = bcache_sync(d);
		if (!report && e < 0 && e != -ENOMEM && !d->wb_err)
			d->wb_err = e; /* taken: put back */
		if (e < 0 && !err)
			err = e;
	}
	return report ? err : 0;
}
