/* bcache.c - the block cache: buffers keyed by (device, block), dirty tracking, bounded memory (write-back: bcache_wb.c). */
#include "fs/bcache.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/sched.h"
#include "fs/bcache_int.h"
#include "lib/string.h"

#define HASH_SIZE 1024
#define LIMIT_MIN 16

static struct bcache_buf *hash[HASH_SIZE];
static struct bcache_buf *lru_head, *lru_tail; /* oldest ... newest */
struct bcache_dev *bcache_devices;
static size_t nbufs, ndirty_all, limit = 1024;
static struct wait_queue busy_wait; /* a BUSY buffer became free */

static size_t hash_of(const struct bcache_dev *d, uint64_t block)
{
	uint64_t h = (uint64_t)(uintptr_t)d ^ (block * 0x9e3779b97f4a7c15ULL);

	return (size_t)(h >> 40) & (HASH_SIZE - 1);
}

void bcache_register(struct bcache_dev *d)
{
	d->dirty_head = d->dirty_tail = NULL;
	d->next = bcache_devices;
	bcache_devices = d;
}

int bcache_unregister(struct bcache_dev *d)
{
	int err = bcache_invalidate(d);
	struct bcache_dev **pp = &bcache_devices;

	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	return err;
}

void bcache_set_limit(size_t n)
{
	limit = n < LIMIT_MIN ? LIMIT_MIN : n;
}

size_t bcache_limit(void)
{
	return limit;
}

size_t bcache_count(void)
{
	return nbufs;
}

size_t bcache_dirty_count(void)
{
	return ndirty_all;
}

static void lru_unlink(struct bcache_buf *b)
{
	*(b->lru_prev ? &b->lru_prev->lru_next : &lru_head) = b->lru_next;
	*(b->lru_next ? &b->lru_next->lru_prev : &lru_tail) = b->lru_prev;
	b->lru_prev = b->lru_next = NULL;
}

static void lru_append(struct bcache_buf *b)
{
	b->lru_prev = lru_tail;
	b->lru_next = NULL;
	*(lru_tail ? &lru_tail->lru_next : &lru_head) = b;
	lru_tail = b;
}

static struct bcache_buf *lookup(const struct bcache_dev *d, uint64_t block)
{
	struct bcache_buf *b = hash[hash_of(d, block)];

	while (b && (b->dev != d || b->block != block))
		b = b->hnext;
	return b;
}

static void unhash(struct bcache_buf *b)
{
	struct bcache_buf **pp = &hash[hash_of(b->dev, b->block)];

	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
}

/*
 * The device's dirty list holds its DIRTY buffers but the PINNED ones,
 * so a sync walks what it may write, not the whole cache.
 */
static void dirty_unlink(struct bcache_buf *b)
{
	struct bcache_dev *d = b->dev;

	if (!b->listed)
		return;
	*(b->dirty_prev ? &b->dirty_prev->dirty_next :
			  &d->dirty_head) = b->dirty_next;
	*(b->dirty_next ? &b->dirty_next->dirty_prev :
			  &d->dirty_tail) = b->dirty_prev;
	b->dirty_prev = b->dirty_next = NULL;
	b->listed = false;
}

static void dirty_append(struct bcache_buf *b)
{
	struct bcache_dev *d = b->dev;

	if (b->listed)
		return;
	b->dirty_prev = d->dirty_tail;
	b->dirty_next = NULL;
	*(d->dirty_tail ? &d->dirty_tail->dirty_next : &d->dirty_head) = b;
	d->dirty_tail = b;
	b->listed = true;
}

static void buf_free(struct bcache_buf *b)
{
	unhash(b);
	lru_unlink(b);
	dirty_unlink(b);
	page_free(b->data, 1);
	kfree(b);
	nbufs--;
}

void bcache_wait_busy(void)
{
	struct waiter w;

	wait_add(&busy_wait, &w);
	sched_sleep(0, false);
	wait_remove(&w);
}

void bcache_wake_busy(void)
{
	wake_up(&busy_wait);
}

void bcache_clear_dirty(struct bcache_buf *b)
{
	if (b->flags & BCACHE_DIRTY) {
		b->flags &= ~BCACHE_DIRTY;
		b->dev->ndirty--;
		ndirty_all--;
	}
	dirty_unlink(b);
}

void bcache_set_dirty(struct bcache_buf *b)
{
	b->flags |= BCACHE_VALID;
	b->flags &= ~BCACHE_VERIFIED;
	if (!(b->flags & BCACHE_DIRTY)) {
		b->flags |= BCACHE_DIRTY;
		b->dev->ndirty++;
		ndirty_all++;
	}
	if (!(b->flags & BCACHE_PINNED))
		dirty_append(b);
}

void bcache_mark_dirty(struct bcache_buf *b)
{
	b->owner = 0;
	bcache_set_dirty(b);
}

void bcache_pin(struct bcache_buf *b)
{
	bcache_mark_dirty(b);
	b->flags |= BCACHE_PINNED;
	dirty_unlink(b);
}

void bcache_unpin(struct bcache_buf *b, bool keep)
{
	b->flags &= ~(BCACHE_PINNED | BCACHE_UNCHANGED);
	if (!keep) {
		bcache_clear_dirty(b);
		b->flags &= ~(BCACHE_VALID | BCACHE_VERIFIED | BCACHE_LOGGED);
	} else if (b->flags & BCACHE_DIRTY) {
		b->flags |= BCACHE_LOGGED;
		dirty_append(b);
	}
}

/* The oldest buffer nobody holds, clean and idle: to reuse. */
static struct bcache_buf *find_victim(void)
{
	for (struct bcache_buf *b = lru_head; b; b = b->lru_next)
		if (b->refs == 0 && !(b->flags & (BCACHE_DIRTY | BCACHE_BUSY)))
			return b;
	return NULL;
}

/* A new, hashed, held, BUSY buffer for (d, block); NULL: -ENOMEM. */
static struct bcache_buf *buf_new(struct bcache_dev *d, uint64_t block)
{
	struct bcache_buf *b = NULL;
	uint64_t start = block * d->block_size;

	if (nbufs >= limit) {
		b = find_victim();
		if (!b) {
			bcache_write_back_oldest();
			b = find_victim();
		}
		/* Writing back slept: the block may have arrived meanwhile. */
		if (lookup(d, block))
			return NULL;
	}
	if (b) {
		unhash(b);
		lru_unlink(b);
	} else {
		b = kzalloc(sizeof(*b));
		if (!b)
			return NULL;
		b->data = page_alloc_zero(1);
		if (!b->data) {
			kfree(b);
			return NULL;
		}
		nbufs++;
	}
	b->dev = d;
	b->block = block;
	b->len = d->size - start < d->block_size ? (uint32_t)(d->size - start) :
						   d->block_size;
	b->refs = 1;
	b->flags = BCACHE_BUSY;
	b->owner = 0;
	b->hnext = hash[hash_of(d, block)];
	hash[hash_of(d, block)] = b;
	lru_append(b);
	return b;
}

/* Read b (held, BUSY) from its device; on failure it is freed. */
static int fill_buf(struct bcache_buf *b)
{
	struct bcache_io io = { false, b->block, b->data, b->len, 0 };
	int err = b->dev->ops->io(b->dev, &io, 1);

	if (!err)
		err = io.err;
	if (!err) /* the device's bytes: nobody has checked these */
		b->flags = (b->flags | BCACHE_VALID) & ~BCACHE_VERIFIED;
	return err;
}

struct bcache_buf *bcache_get(struct bcache_dev *d, uint64_t block, bool fill,
			      int *err)
{
	struct bcache_buf *b;

	if (block >= (d->size + d->block_size - 1) / d->block_size) {
		*err = -EINVAL;
		return NULL;
	}
	for (;;) {
		b = lookup(d, block);
		if (b && (b->flags & BCACHE_BUSY)) {
			bcache_wait_busy();
			continue;
		}
		if (b) {
			b->refs++;
			lru_unlink(b);
			lru_append(b);
			break;
		}
		b = buf_new(d, block);
		if (b)
			break;
		if (!lookup(d, block)) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	if (fill && !(b->flags & BCACHE_VALID)) {
		b->flags |= BCACHE_BUSY;
		*err = fill_buf(b);
		b->flags &= ~BCACHE_BUSY;
		bcache_wake_busy();
		if (*err) {
			if (--b->refs == 0)
				buf_free(b);
			return NULL;
		}
	}
	b->flags &= ~BCACHE_BUSY;
	return b;
}

void bcache_readahead(struct bcache_dev *d, uint64_t block, size_t n)
{
	uint64_t end = (d->size + d->block_size - 1) / d->block_size;
	struct bcache_io *ios;
	struct bcache_buf **v;
	size_t k = 0;

	if (n > BCACHE_READAHEAD_MAX)
		n = BCACHE_READAHEAD_MAX;
	if (block >= end || n == 0)
		return;
	if (n > end - block)
		n = (size_t)(end - block);
	ios = kmalloc(n * sizeof(*ios));
	v = kmalloc(n * sizeof(*v));
	if (ios == NULL || v == NULL)
		goto out;
	for (uint64_t b = block; b < block + n; b++) {
		/* buf_new may write back and sleep: anyone's reads may land. */
		if (lookup(d, b))
			continue;
		/* NULL: out of memory, or the block came in while it slept */
		if ((v[k] = buf_new(d, b)) == NULL) {
			if (lookup(d, b))
				continue;
			break;
		}
		ios[k] = (struct bcache_io){ false, b, v[k]->data, v[k]->len,
					     0 };
		k++;
	}
	if (k > 0)
		d->ops->io(d, ios, k); /* each io's err says how it went */
	for (size_t i = 0; i < k; i++) {
		bool ok = ios[i].err == 0;

		v[i]->flags &= ~BCACHE_BUSY;
		if (ok)
			v[i]->flags |= BCACHE_VALID;
		if (--v[i]->refs == 0 && !ok)
			buf_free(v[i]);
	}
	bcache_wake_busy();
out:
	kfree(ios);
	kfree(v);
}

struct bcache_buf *bcache_peek(struct bcache_dev *d, uint64_t block)
{
	struct bcache_buf *b;

	while ((b = lookup(d, block)) && (b->flags & BCACHE_BUSY))
		bcache_wait_busy();
	if (b)
		b->refs++;
	return b;
}

void bcache_put(struct bcache_buf *b)
{
	b->refs--;
}

/* One block's part of a byte-level transfer; bytes done or -ERRNO. */
static long rw_block(struct bcache_dev *d, uint64_t off, void *buf, size_t n,
		     bool write, uint64_t owner)
{
	uint64_t block = off / d->block_size;
	uint32_t in = (uint32_t)(off % d->block_size);
	struct bcache_buf *b;
	int err;

	b = bcache_get(d, block, !write || in != 0 || n < d->block_size, &err);
	if (!b)
		return err;
	if (n > b->len - in)
		n = b->len - in;
	if (write) {
		memcpy(b->data + in, buf, n);
		b->owner = owner;
		bcache_set_dirty(b);
		/*
		 * A file's data now, not the journal's business: a commit
		 * writes it before its log. A raw write (owner 0: the block
		 * device's) over a committed block leaves it the journal's,
		 * so that a transaction changing it again freezes it and a
		 * checkpoint writes it home before freeing its log copy.
		 */
		if (owner != 0)
			b->flags &= ~BCACHE_LOGGED;
	} else {
		memcpy(buf, b->data + in, n);
	}
	bcache_put(b);
	return (long)n;
}

static long rw_bytes(struct bcache_dev *d, uint64_t off, void *buf, size_t n,
		     bool write, uint64_t owner)
{
	size_t done = 0;
	long r;

	if (write && d->ro)
		return -EROFS;
	if (off >= d->size)
		return write && n ? -ENOSPC : 0;
	if (n > d->size - off)
		n = (size_t)(d->size - off);
	while (done < n) {
		r = rw_block(d, off + done, (uint8_t *)buf + done, n - done,
			     write, owner);
		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
	}
	return (long)done;
}

long bcache_read(struct bcache_dev *d, uint64_t off, void *buf, size_t n)
{
	return rw_bytes(d, off, buf, n, false, 0);
}

long bcache_write(struct bcache_dev *d, uint64_t off, const void *buf, size_t n)
{
	return bcache_write_owned(d, off, buf, n, 0);
}

long bcache_write_owned(struct bcache_dev *d, uint64_t off, const void *buf,
			size_t n, uint64_t owner)
{
	/* rw_bytes only reads from buf when writing. */
	return rw_bytes(d, off, (void *)(uintptr_t)buf, n, true, owner);
}

int bcache_forget_range(struct bcache_dev *d, uint64_t off, uint64_t len)
{
	uint64_t first = off / d->block_size,
		 last = (off + len + d->block_size - 1) / d->block_size;
	struct bcache_buf *b, *next;
	int err = bcache_sync(d);

	if (err)
		return err;
	for (b = lru_head; b; b = next) {
		next = b->lru_next;
		if (b->dev != d || b->block < first || b->block >= last)
			continue;
		if (b->refs || (b->flags & (BCACHE_DIRTY | BCACHE_BUSY)))
			return -EBUSY;
		buf_free(b);
	}
	return 0;
}

void bcache_discard(struct bcache_dev *d, uint64_t off, uint64_t len)
{
	/* Only blocks wholly inside: a partial one holds others' bytes. */
	uint64_t first = (off + d->block_size - 1) / d->block_size,
		 last = (off + len) / d->block_size;
	struct bcache_buf *b = d->dirty_head, *next;

	for (; b; b = next) {
		next = b->dirty_next;
		if (b->block >= first && b->block < last && b->refs == 0 &&
		    !(b->flags & BCACHE_BUSY)) {
			bcache_clear_dirty(b);
			buf_free(b);
		}
	}
}

int bcache_invalidate(struct bcache_dev *d)
{
	int err = bcache_sync(d);
	struct bcache_buf *b = lru_head, *next;

	for (; b; b = next) {
		next = b->lru_next;
		if (b->dev == d && b->refs == 0 &&
		    !(b->flags & (BCACHE_DIRTY | BCACHE_BUSY)))
			buf_free(b);
	}
	return err;
}

int bcache_set_block_size(struct bcache_dev *d, uint32_t bs)
{
	int err;

	if (bs < 512 || bs < d->min_block_size || bs > PAGE_SIZE ||
	    (bs & (bs - 1)))
		return -EINVAL;
	if (bs == d->block_size)
		return 0;
	err = bcache_invalidate(d);
	if (err)
		return err;
	/* Anything left is held or dirty: keyed by the old block numbers. */
	for (struct bcache_buf *b = lru_head; b; b = b->lru_next)
		if (b->dev == d)
			return -EBUSY;
	d->block_size = bs;
	return 0;
}
