/* bcache_test.c - the block cache over a fake disk: read-through, write-back, block-order flushes, eviction within the bound, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/sched.h"
#include "fs/bcache.h"

/* ---- The kernel around the cache (allocators: kernel_host.c) ---- */

void printk(const char *fmt, ...)
{
	(void)fmt;
}

/* One thread: nothing is ever BUSY when another caller looks. */
int sched_sleep(uint64_t deadline_ns, bool interruptible)
{
	(void)deadline_ns, (void)interruptible;
	fail_msg("the cache slept with one thread");
	return 0;
}

/* ---- A fake disk: bytes in memory and a log of what was asked ---- */

#define BS 4096
#define FLUSH_MARK -1000000

struct fake {
	struct bcache_dev bc;
	uint8_t *bytes;
	long log[4096]; /* +block+1 write, -(block+1) read, FLUSH_MARK */
	size_t nlog;
	long fail_block; /* -1: none */
	int fail_err;	 /* its error: -EIO unless set */
	size_t max_batch;
};

static long io_count(const struct fake *f, bool write)
{
	long n = 0;

	for (size_t i = 0; i < f->nlog; i++)
		n += f->log[i] != FLUSH_MARK && (f->log[i] > 0) == write;
	return n;
}

static int fake_io(struct bcache_dev *d, struct bcache_io *ios, size_t n)
{
	struct fake *f = d->priv;
	int first = 0;

	if (n > f->max_batch)
		f->max_batch = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = ios[i].block * d->block_size;

		assert_true(off + ios[i].len <= d->size);
		assert_true(ios[i].len == d->block_size ||
			    off + ios[i].len == d->size);
		f->log[f->nlog++] = ios[i].write ? (long)ios[i].block + 1 :
						   -(long)ios[i].block - 1;
		ios[i].err = (long)ios[i].block == f->fail_block ?
				     (f->fail_err ? f->fail_err : -EIO) :
				     0;
		if (ios[i].err) {
			first = first ? first : ios[i].err;
			continue;
		}
		if (ios[i].write)
			memcpy(f->bytes + off, ios[i].buf, ios[i].len);
		else
			memcpy(ios[i].buf, f->bytes + off, ios[i].len);
	}
	return first;
}

static int fake_flush(struct bcache_dev *d)
{
	struct fake *f = d->priv;

	f->log[f->nlog++] = FLUSH_MARK;
	return 0;
}

static const struct bcache_dev_ops fake_ops = { fake_io, fake_flush };

static struct fake *fake_new(uint64_t size)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->bytes = malloc(size);
	for (uint64_t i = 0; i < size; i++)
		f->bytes[i] = (uint8_t)(i * 31 + (i >> 12));
	f->fail_block = -1;
	f->bc = (struct bcache_dev){
		.ops = &fake_ops, .priv = f, .size = size, .block_size = BS
	};
	bcache_register(&f->bc);
	return f;
}

static void fake_free(struct fake *f)
{
	bcache_unregister(&f->bc);
	free(f->bytes);
	free(f);
}

/*
 * Block blk as a journal leaves a committed block: its first byte c,
 * dirty and LOGGED (pinned, changed, unpinned with keep). Still held.
 */
static struct bcache_buf *logged_buf(struct fake *f, uint64_t blk, char c)
{
	struct bcache_buf *b;
	int err;

	b = bcache_get(&f->bc, blk, true, &err);
	assert_non_null(b);
	bcache_pin(b);
	b->data[0] = c;
	bcache_unpin(b, true);
	return b;
}

static int setup(void **state)
{
	(void)state;
	bcache_set_limit(1024);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(bcache_count(), 0);
	return 0;
}

/* ---- Tests ---- */

static void test_read_through_and_hit(void **state)
{
	struct fake *f = fake_new(64 * BS);
	uint8_t buf[10000];

	(void)state;
	assert_int_equal(bcache_read(&f->bc, 4093, buf, sizeof(buf)),
			 sizeof(buf));
	assert_memory_equal(buf, f->bytes + 4093, sizeof(buf));
	assert_int_equal(io_count(f, false), 4); /* blocks 0..3 */
	assert_int_equal(bcache_read(&f->bc, 5000, buf, 100), 100);
	assert_int_equal(io_count(f, false), 4); /* cached */
	fake_free(f);
}

static void test_write_back_waits_for_sync(void **state)
{
	struct fake *f = fake_new(64 * BS);
	uint8_t before[BS], buf[7];

	(void)state;
	memcpy(before, f->bytes + 3 * BS, BS);
	assert_int_equal(bcache_write(&f->bc, 3 * BS + 5, "written", 7), 7);
	assert_memory_equal(f->bytes + 3 * BS, before, BS); /* not yet */
	assert_int_equal(io_count(f, true), 0);
	assert_int_equal(bcache_dirty_count(), 1);
	assert_int_equal(bcache_read(&f->bc, 3 * BS + 5, buf, 7), 7);
	assert_memory_equal(buf, "written", 7);
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_memory_equal(f->bytes + 3 * BS + 5, "written", 7);
	assert_memory_equal(f->bytes + 3 * BS, before,
			    5); /* read-modify-write */
	assert_int_equal(bcache_dirty_count(), 0);
	fake_free(f);
}

static void test_whole_block_write_reads_nothing(void **state)
{
	struct fake *f = fake_new(64 * BS);
	static uint8_t blk[2 * BS];

	(void)state;
	memset(blk, 0xab, sizeof(blk));
	assert_int_equal(bcache_write(&f->bc, 8 * BS, blk, sizeof(blk)),
			 sizeof(blk));
	assert_int_equal(io_count(f, false), 0);
	fake_free(f);
}

/* Dirty blocks go out in block order, all before the device FLUSH. */
static void test_sync_order(void **state)
{
	struct fake *f = fake_new(64 * BS);
	static const long want[] = { 3, 8, 10, FLUSH_MARK };

	(void)state;
	assert_int_equal(bcache_write(&f->bc, 9 * BS, "a", 1), 1);
	assert_int_equal(bcache_write(&f->bc, 2 * BS, "b", 1), 1);
	assert_int_equal(bcache_write(&f->bc, 7 * BS + 100, "c", 1), 1);
	f->nlog = 0;
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(f->nlog, 4);
	assert_memory_equal(f->log, want, sizeof(want));
	f->nlog = 0;
	assert_int_equal(bcache_sync(&f->bc), 0); /* nothing dirty: a flush */
	assert_int_equal(f->nlog, 1);
	assert_int_equal(f->log[0], FLUSH_MARK);
	fake_free(f);
}

/* Reading more blocks than the bound keeps the cache within it. */
static void test_eviction_keeps_the_bound(void **state)
{
	struct fake *f = fake_new(256 * BS);
	uint8_t b;

	(void)state;
	bcache_set_limit(16);
	for (int i = 0; i < 200; i++)
		assert_int_equal(bcache_read(&f->bc, (uint64_t)i * BS, &b, 1),
				 1);
	assert_true(bcache_count() <= 16);
	/* Block 199 is recent: still cached. Block 0 was evicted. */
	f->nlog = 0;
	assert_int_equal(bcache_read(&f->bc, 199 * BS, &b, 1), 1);
	assert_int_equal(f->nlog, 0);
	assert_int_equal(bcache_read(&f->bc, 0, &b, 1), 1);
	assert_int_equal(f->nlog, 1);
	fake_free(f);
}

/* Dirty buffers are written back to make room; no data is lost. */
static void test_eviction_writes_dirty_back(void **state)
{
	struct fake *f = fake_new(256 * BS);
	uint8_t v, b;

	(void)state;
	bcache_set_limit(16);
	for (int i = 0; i < 100; i++) {
		v = (uint8_t)(i + 1);
		assert_int_equal(
			bcache_write(&f->bc, (uint64_t)i * BS + 17, &v, 1), 1);
		assert_true(bcache_count() <= 16);
	}
	assert_true(io_count(f, true) >= 84);
	assert_true(f->max_batch > 1); /* batched: many in flight */
	assert_int_equal(bcache_sync(&f->bc), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(f->bytes[i * BS + 17], (uint8_t)(i + 1));
		assert_int_equal(
			bcache_read(&f->bc, (uint64_t)i * BS + 17, &b, 1), 1);
		assert_int_equal(b, (uint8_t)(i + 1));
	}
	fake_free(f);
}

static void test_read_error_is_eio(void **state)
{
	struct fake *f = fake_new(64 * BS);
	uint8_t buf[2 * BS];

	(void)state;
	f->fail_block = 5;
	assert_int_equal(bcache_read(&f->bc, 5 * BS, buf, 10), -EIO);
	/* A read that fails part way returns what it got. */
	assert_int_equal(bcache_read(&f->bc, 4 * BS, buf, sizeof(buf)), BS);
	assert_int_equal(bcache_count(), 1); /* the failed block is not kept */
	f->fail_block = -1;
	assert_int_equal(bcache_read(&f->bc, 5 * BS, buf, 10), 10);
	assert_memory_equal(buf, f->bytes + 5 * BS, 10);
	fake_free(f);
}

/*
 * BCACHE_VERIFIED stays while the buffer holds what was checked, and
 * goes when anything may have brought other bytes: a write through the
 * cache, a dropped pin, a read of the block again after eviction.
 */
static void test_verified_flag(void **state)
{
	struct fake *f = fake_new(64 * BS);
	uint8_t byte = 0x5a;
	struct bcache_buf *b;
	int err;

	(void)state;
	b = bcache_get(&f->bc, 3, true, &err);
	assert_non_null(b);
	assert_false(b->flags & BCACHE_VERIFIED);
	b->flags |= BCACHE_VERIFIED;
	bcache_put(b);
	b = bcache_get(&f->bc, 3, true, &err);
	assert_true(b->flags & BCACHE_VERIFIED); /* a hit keeps it */
	bcache_put(b);
	assert_int_equal(bcache_write(&f->bc, 3 * BS + 7, &byte, 1), 1);
	b = bcache_get(&f->bc, 3, true, &err);
	assert_false(b->flags & BCACHE_VERIFIED);
	b->flags |= BCACHE_VERIFIED;
	bcache_pin(b); /* a journal's: dirty, and not checked as such */
	assert_false(b->flags & BCACHE_VERIFIED);
	b->flags |= BCACHE_VERIFIED;
	bcache_unpin(b, false);
	assert_false(b->flags & (BCACHE_VERIFIED | BCACHE_VALID));
	bcache_put(b);
	b = bcache_get(&f->bc, 3, true, &err); /* the disk's copy again */
	assert_false(b->flags & BCACHE_VERIFIED);
	b->flags |= BCACHE_VERIFIED;
	bcache_put(b);
	assert_int_equal(bcache_invalidate(&f->bc), 0);
	b = bcache_get(&f->bc, 3, true, &err);
	assert_false(b->flags & BCACHE_VERIFIED);
	bcache_put(b);
	fake_free(f);
}

/*
 * Readahead reads the blocks of a range not yet cached, in one batch,
 * leaves them valid and unheld, stops at the device's end, and keeps
 * no block whose read failed.
 */
static void test_readahead(void **state)
{
	struct fake *f = fake_new(40 * BS);
	uint8_t buf[16];
	struct bcache_buf *b;
	int err;

	(void)state;
	b = bcache_get(&f->bc, 12, true, &err);
	assert_non_null(b);
	bcache_put(b);
	f->nlog = 0;
	f->max_batch = 0;
	f->fail_block = 14;
	bcache_readahead(&f->bc, 10, 8);
	assert_int_equal(f->nlog, 7); /* 10..17 but 12, in one batch */
	assert_int_equal(f->max_batch, 7);
	assert_int_equal(bcache_count(), 7); /* 14 failed: not kept */
	f->nlog = 0;
	for (uint64_t blk = 10; blk < 18; blk++) {
		if (blk == 14)
			continue;
		assert_int_equal(bcache_read(&f->bc, blk * BS + 5, buf, 16),
				 16);
		assert_memory_equal(buf, f->bytes + blk * BS + 5, 16);
	}
	assert_int_equal(f->nlog, 0); /* all hits */
	for (uint64_t blk = 10; blk < 18; blk++) {
		b = bcache_peek(&f->bc, blk);
		if (b != NULL) {
			assert_int_equal(b->refs, 1); /* ours alone */
			assert_true(b->flags & BCACHE_VALID);
			bcache_put(b);
		}
	}
	f->fail_block = -1;
	bcache_readahead(&f->bc, 36, BCACHE_READAHEAD_MAX);
	assert_int_equal(f->nlog, 4); /* 36..39: the device ends */
	bcache_readahead(&f->bc, 40, 4);
	assert_int_equal(f->nlog, 4);
	fake_free(f);
}

/* A failed write-back is reported by the next sync, once (as Linux). */
static void test_write_error_reported_once(void **state)
{
	struct fake *f = fake_new(64 * BS);

	(void)state;
	assert_int_equal(bcache_write(&f->bc, 6 * BS, "x", 1), 1);
	assert_int_equal(bcache_write(&f->bc, 7 * BS, "y", 1), 1);
	f->fail_block = 6;
	assert_int_equal(bcache_sync(&f->bc), -EIO);
	assert_int_equal(f->bytes[7 * BS], 'y'); /* the other block went out */
	assert_int_equal(bcache_sync(&f->bc), 0);
	fake_free(f);
}

/*
 * A logged buffer (unpinned with keep: a committed journal block) that
 * fails its write-back is also the journal's error, once; a plain data
 * buffer's is not, and one logged buffer written home is plain again.
 */
static void test_logged_write_error(void **state)
{
	struct fake *f = fake_new(64 * BS);
	struct bcache_buf *b;

	(void)state;
	b = logged_buf(f, 6, 'l');
	assert_int_equal(bcache_write(&f->bc, 7 * BS, "d", 1), 1);
	f->fail_block = 7;
	assert_int_equal(bcache_sync(&f->bc), -EIO);
	assert_int_equal(bcache_take_log_err(&f->bc), 0);
	assert_int_equal(f->bytes[6 * BS], 'l'); /* home, and plain now */
	b->data[0] = 'm';
	bcache_mark_dirty(b);
	f->fail_block = 6;
	assert_int_equal(bcache_sync(&f->bc), -EIO);
	assert_int_equal(bcache_take_log_err(&f->bc), 0);
	bcache_pin(b);
	b->data[0] = 'n';
	bcache_unpin(b, true);
	assert_int_equal(bcache_sync(&f->bc), -EIO);
	assert_int_equal(bcache_take_log_err(&f->bc), -EIO);
	assert_int_equal(bcache_take_log_err(&f->bc), 0);
	/* Dropped from its transaction, or a file's data now: not logged. */
	bcache_pin(b);
	bcache_unpin(b, true);
	bcache_pin(b);
	bcache_unpin(b, false);
	assert_int_equal(b->flags & BCACHE_LOGGED, 0);
	bcache_pin(b);
	bcache_unpin(b, true);
	assert_int_equal(bcache_write_owned(&f->bc, 6 * BS, "o", 1, 5), 1);
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(bcache_take_log_err(&f->bc), 0);
	assert_int_equal(bcache_take_owner_err(&f->bc, 5), -EIO);
	bcache_take_sync_err_all();
	bcache_put(b);
	fake_free(f);
}

/*
 * bcache_writeback without logged writes file data and any plain write, and
 * leaves a journal's committed (LOGGED) blocks dirty for its
 * checkpoint. A file's write over a LOGGED block makes it plain again;
 * a raw one (the block device's, owner 0) leaves it the journal's.
 */
static void test_writeback_unlogged(void **state)
{
	struct fake *f = fake_new(64 * BS);
	struct bcache_buf *b;

	(void)state;
	b = logged_buf(f, 6, 'l');
	assert_int_equal(bcache_write_owned(&f->bc, 7 * BS, "d", 1, 5), 1);
	assert_int_equal(bcache_write(&f->bc, 8 * BS, "p", 1), 1);
	assert_int_equal(bcache_writeback(&f->bc, false), 0);
	assert_int_equal(f->bytes[7 * BS], 'd');
	assert_int_equal(f->bytes[8 * BS], 'p');
	assert_int_not_equal(f->bytes[6 * BS], 'l');
	assert_int_equal(b->flags & (BCACHE_DIRTY | BCACHE_LOGGED),
			 BCACHE_DIRTY | BCACHE_LOGGED);
	assert_int_equal(bcache_write(&f->bc, 6 * BS + 1, "w", 1), 1);
	assert_int_equal(b->flags & BCACHE_LOGGED, BCACHE_LOGGED);
	assert_int_equal(bcache_writeback(&f->bc, false), 0);
	assert_int_not_equal(f->bytes[6 * BS + 1], 'w');
	assert_int_equal(bcache_write_owned(&f->bc, 6 * BS + 2, "o", 1, 5), 1);
	assert_int_equal(b->flags & BCACHE_LOGGED, 0);
	assert_int_equal(bcache_writeback(&f->bc, false), 0);
	assert_int_equal(f->bytes[6 * BS], 'l');
	assert_int_equal(f->bytes[6 * BS + 1], 'w');
	assert_int_equal(f->bytes[6 * BS + 2], 'o');
	bcache_put(b);
	fake_free(f);
}

/* Blocks 3 and 7 a file's dirty data, block 5 committed (LOGGED). */
static void dirty_data_and_logged(struct fake *f)
{
	struct bcache_buf *b;

	assert_int_equal(bcache_write_owned(&f->bc, 3 * BS, "d3", 2, 5), 2);
	assert_int_equal(bcache_write_owned(&f->bc, 7 * BS, "d7", 2, 5), 2);
	b = logged_buf(f, 5, 'l');
	bcache_put(b);
	f->nlog = f->max_batch = 0; /* their reads */
}

/*
 * bcache_writeback_unlogged_with: the file data and a journal's log
 * blocks (2, 6, 9: between and around the data) in one sorted batch,
 * the LOGGED block left; a log block's failed write is only in its err.
 * With no memory for that batch (either allocation) the data still goes,
 * in batches, and the log is left to the caller (sent false). The
 * device out of memory for a data block: -ENOMEM, still dirty.
 */
static void test_writeback_with_log(void **state)
{
	extern long kernel_host_fail_one;
	static uint8_t logb[3][BS];
	struct fake *f = fake_new(64 * BS);
	struct bcache_io io[3];
	const long want[] = { 3, 4, 7, 8, 10 }; /* block + 1 */
	bool sent;

	(void)state;
	for (int i = 0; i < 3; i++)
		memset(logb[i], 'j', BS);
	dirty_data_and_logged(f);
	io[0] = (struct bcache_io){ true, 2, logb[0], BS, 0 };
	io[1] = (struct bcache_io){ true, 6, logb[1], BS, 0 };
	io[2] = (struct bcache_io){ true, 9, logb[2], BS, 0 };
	f->fail_block = 6;
	assert_int_equal(bcache_writeback_unlogged_with(&f->bc, io, 3, &sent),
			 0);
	assert_true(sent);
	assert_int_equal(io[0].err, 0);
	assert_int_equal(io[1].err, -EIO);
	assert_int_equal(io[2].err, 0);
	assert_int_equal(f->nlog, 5);
	assert_memory_equal(f->log, want, sizeof(want));
	assert_int_equal(f->max_batch, 5);
	assert_int_equal(f->bytes[2 * BS], 'j');
	assert_int_equal(f->bytes[3 * BS], 'd');
	assert_int_not_equal(f->bytes[5 * BS], 'l');
	assert_int_equal(f->bytes[7 * BS], 'd');
	assert_int_equal(bcache_take_log_err(&f->bc), 0);
	fake_free(f);

	/* The v, then the ios allocation failing: the data alone goes. */
	for (long n = 0; n < 2; n++) {
		f = fake_new(64 * BS);
		dirty_data_and_logged(f);
		kernel_host_fail_one = n;
		assert_int_equal(
			bcache_writeback_unlogged_with(&f->bc, io, 3, &sent),
			0);
		kernel_host_fail_one = -1;
		assert_false(sent);
		assert_int_equal(io_count(f, true), 2);
		assert_int_equal(f->bytes[3 * BS], 'd');
		assert_int_equal(f->bytes[7 * BS], 'd');
		assert_int_not_equal(f->bytes[2 * BS], 'j');
		assert_int_not_equal(f->bytes[5 * BS], 'l');
		fake_free(f);
	}

	/* A data block the device has no memory for stays dirty. */
	f = fake_new(64 * BS);
	dirty_data_and_logged(f);
	f->fail_block = 7;
	f->fail_err = -ENOMEM;
	assert_int_equal(bcache_writeback_unlogged_with(&f->bc, io, 3, &sent),
			 -ENOMEM);
	assert_true(sent);
	assert_int_equal(io[1].err, 0);
	f->fail_block = -1;
	assert_int_equal(bcache_writeback(&f->bc, false), 0);
	assert_int_equal(f->bytes[7 * BS], 'd');
	fake_free(f);
}

/*
 * An owned buffer's failed write-back is its owner's error, once, and
 * not the sync's or another owner's; syncfs's error sees it, once. A
 * buffer dirtied again by a plain write is nobody's. When the owners'
 * slots are full, the error is the disk's: never lost.
 */
static void test_owner_write_error(void **state)
{
	struct fake *f = fake_new(64 * BS);
	uint64_t i;

	(void)state;
	bcache_take_sync_err_all(); /* earlier tests' */
	assert_int_equal(bcache_write_owned(&f->bc, 6 * BS, "a", 1, 5), 1);
	assert_int_equal(bcache_write_owned(&f->bc, 7 * BS, "b", 1, 9), 1);
	assert_int_equal(bcache_write(&f->bc, 8 * BS, "c", 1), 1);
	f->fail_block = 6;
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(f->bytes[7 * BS], 'b');
	assert_int_equal(bcache_take_owner_err(&f->bc, 9), 0);
	assert_int_equal(bcache_take_owner_err(&f->bc, 5), -EIO);
	assert_int_equal(bcache_take_owner_err(&f->bc, 5), 0);
	assert_int_equal(bcache_take_sync_err_all(), -EIO);
	assert_int_equal(bcache_take_sync_err_all(), 0);

	assert_int_equal(bcache_write_owned(&f->bc, 6 * BS, "d", 1, 5), 1);
	assert_int_equal(bcache_write(&f->bc, 6 * BS, "e", 1), 1);
	assert_int_equal(bcache_sync(&f->bc), -EIO);
	assert_int_equal(bcache_take_owner_err(&f->bc, 5), 0);

	for (i = 0; i <= BCACHE_OWNER_ERRS; i++) {
		assert_int_equal(bcache_write_owned(&f->bc, (10 + i) * BS, "f",
						    1, 100 + i),
				 1);
		f->fail_block = (long)(10 + i);
		assert_int_equal(bcache_sync(&f->bc),
				 i < BCACHE_OWNER_ERRS ? 0 : -EIO);
	}
	for (i = 0; i <= BCACHE_OWNER_ERRS; i++)
		assert_int_equal(bcache_take_owner_err(&f->bc, 100 + i),
				 i < BCACHE_OWNER_ERRS ? -EIO : 0);
	/* out of memory for the transfer: dirty again, and still owner's */
	assert_int_equal(bcache_write_owned(&f->bc, 30 * BS, "g", 1, 7), 1);
	f->fail_block = 30;
	f->fail_err = -ENOMEM;
	assert_int_equal(bcache_sync(&f->bc), -ENOMEM);
	f->fail_err = -EIO;
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(bcache_take_owner_err(&f->bc, 7), -EIO);
	bcache_take_sync_err_all();
	fake_free(f);
}

/* Out of memory for the transfer: nothing was written, all stays dirty. */
static void test_write_enomem_keeps_dirty(void **state)
{
	struct fake *f = fake_new(64 * BS);

	(void)state;
	assert_int_equal(bcache_write(&f->bc, 6 * BS, "x", 1), 1);
	f->fail_block = 6;
	f->fail_err = -ENOMEM;
	assert_int_equal(bcache_sync(&f->bc), -ENOMEM);
	assert_int_equal(bcache_dirty_count(), 1);
	assert_int_not_equal(f->bytes[6 * BS], 'x');
	f->fail_block = -1;
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(f->bytes[6 * BS], 'x');
	fake_free(f);
}

/*
 * A write-back that ran out of memory says -ENOMEM even when an older
 * error is kept (a checkpoint must not take it for "all home"); the
 * older error stays for the next one.
 */
static void test_writeback_enomem_over_kept_error(void **state)
{
	struct fake *f = fake_new(64 * BS);

	struct bcache_buf *b;
	int err;

	(void)state;
	assert_int_equal(bcache_write(&f->bc, 6 * BS, "x", 1), 1);
	f->fail_block = 6;
	b = bcache_get(&f->bc, 6, true, &err);
	assert_non_null(b);
	assert_int_equal(bcache_write_home(b), 0); /* its error is kept */
	bcache_put(b);
	assert_int_equal(bcache_write(&f->bc, 7 * BS, "z", 1), 1);
	f->fail_block = 7;
	f->fail_err = -ENOMEM;
	assert_int_equal(bcache_writeback(&f->bc, true), -ENOMEM);
	assert_int_equal(bcache_dirty_count(), 1);
	f->fail_block = -1;
	f->fail_err = 0;
	assert_int_equal(bcache_writeback(&f->bc, true), -EIO);
	assert_int_equal(f->bytes[7 * BS], 'z');
	assert_int_equal(bcache_writeback(&f->bc, true), 0);
	bcache_take_sync_err_all();
	fake_free(f);
}

/*
 * Discarded blocks (a deleted file's): their dirty buffers go unwritten,
 * so a failure cannot reach anyone; a partly covered, a held and a
 * clean one stay.
 */
static void test_discard(void **state)
{
	struct fake *f = fake_new(64 * BS);
	struct bcache_buf *b;
	int err;

	(void)state;
	for (uint64_t i = 4; i < 9; i++)
		assert_int_equal(bcache_write_owned(&f->bc, i * BS, "d", 1, 3),
				 1);
	b = bcache_get(&f->bc, 6, true, &err);
	assert_non_null(b);
	assert_int_equal(bcache_dirty_count(), 5);
	/* 4 partly: 5, 6 (held), 7 */
	bcache_discard(&f->bc, 4 * BS + 512, 4 * BS - 512);
	assert_int_equal(bcache_dirty_count(), 3);
	bcache_put(b);
	f->fail_block = 5;
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_int_equal(bcache_take_owner_err(&f->bc, 3), 0);
	assert_int_not_equal(f->bytes[5 * BS], 'd');
	assert_int_not_equal(f->bytes[7 * BS], 'd');
	assert_int_equal(f->bytes[4 * BS], 'd');
	assert_int_equal(f->bytes[6 * BS], 'd');
	assert_int_equal(f->bytes[8 * BS], 'd');
	f->fail_block = -1;
	fake_free(f);
}

/* The last block is partial; the ends behave as a Linux block device. */
static void test_device_ends(void **state)
{
	struct fake *f = fake_new(10 * BS + 1536);
	uint64_t size = f->bc.size;
	uint8_t buf[4000];

	(void)state;
	assert_int_equal(bcache_read(&f->bc, size - 1000, buf, sizeof(buf)),
			 1000);
	assert_memory_equal(buf, f->bytes + size - 1000, 1000);
	assert_int_equal(bcache_read(&f->bc, size, buf, 1), 0);
	assert_int_equal(bcache_write(&f->bc, size, "z", 1), -ENOSPC);
	assert_int_equal(bcache_write(&f->bc, size - 2, "xyz", 3), 2);
	assert_int_equal(bcache_sync(&f->bc), 0);
	assert_memory_equal(f->bytes + size - 2, "xy", 2);
	f->bc.ro = true;
	assert_int_equal(bcache_write(&f->bc, 0, "z", 1), -EROFS);
	assert_int_equal(bcache_read(&f->bc, 0, buf, 1), 1);
	fake_free(f);
}

/* Two devices, same block numbers: separate buffers; sync_all does both. */
static void test_two_devices(void **state)
{
	struct fake *a = fake_new(16 * BS), *b = fake_new(16 * BS);
	uint8_t x;

	(void)state;
	assert_int_equal(bcache_write(&a->bc, 100, "A", 1), 1);
	assert_int_equal(bcache_write(&b->bc, 100, "B", 1), 1);
	assert_int_equal(bcache_read(&a->bc, 100, &x, 1), 1);
	assert_int_equal(x, 'A');
	assert_int_equal(bcache_sync_all(true), 0);
	assert_int_equal(a->bytes[100], 'A');
	assert_int_equal(b->bytes[100], 'B');
	assert_int_equal(a->log[a->nlog - 1], FLUSH_MARK);
	assert_int_equal(b->log[b->nlog - 1], FLUSH_MARK);
	fake_free(a);
	fake_free(b);
}

/* Held buffers; BLKFLSBUF drops the rest. */
static void test_get_put_invalidate(void **state)
{
	struct fake *f = fake_new(16 * BS);
	struct bcache_buf *b;
	int err = 0;

	(void)state;
	b = bcache_get(&f->bc, 3, true, &err);
	assert_non_null(b);
	assert_int_equal(b->len, BS);
	assert_memory_equal(b->data, f->bytes + 3 * BS, BS);
	assert_null(bcache_get(&f->bc, 16, true, &err));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(bcache_read(&f->bc, 0, &err, 1), 1);
	assert_int_equal(bcache_invalidate(&f->bc), 0);
	assert_int_equal(bcache_count(), 1); /* the held one stays */
	bcache_put(b);
	fake_free(f);
}

/*
 * A mount's block size (ext4 on 1 KiB blocks): the dirty buffers are
 * written first; refused while a buffer is held; then blocks are
 * numbered and sized anew.
 */
static void test_set_block_size(void **state)
{
	struct fake *f = fake_new(16 * BS + 1536);
	uint8_t patch[3] = { 0xAA, 0xBB, 0xCC };
	struct bcache_buf *b;
	int err = 0;

	(void)state;
	assert_int_equal(bcache_write(&f->bc, 5000, patch, 3), 3);
	b = bcache_get(&f->bc, 3, true, &err);
	assert_non_null(b);
	f->nlog = 0;
	assert_int_equal(bcache_set_block_size(&f->bc, 1024), -EBUSY);
	assert_int_equal(f->log[0], 1 + 1); /* block 1 (4 KiB) synced */
	assert_int_equal(f->bc.block_size, BS);
	bcache_put(b);
	assert_int_equal(bcache_set_block_size(&f->bc, 768), -EINVAL);
	assert_int_equal(bcache_set_block_size(&f->bc, 2 * BS), -EINVAL);
	f->bc.min_block_size = 2048; /* a disk of 2 KiB logical blocks */
	assert_int_equal(bcache_set_block_size(&f->bc, 1024), -EINVAL);
	f->bc.min_block_size = 0;
	assert_int_equal(bcache_set_block_size(&f->bc, 1024), 0);
	assert_int_equal(f->bc.block_size, 1024);
	assert_int_equal(bcache_count(), 0);
	assert_memory_equal(f->bytes + 5000, patch, 3);
	/* Block 4 of 1 KiB holds bytes 4096..5119, the patch in it. */
	b = bcache_get(&f->bc, 4, true, &err);
	assert_non_null(b);
	assert_int_equal(b->len, 1024);
	assert_memory_equal(b->data, f->bytes + 4096, 1024);
	assert_int_equal(b->data[5000 - 4096], 0xAA);
	bcache_put(b);
	/* 65 blocks and a half: the last is 512 bytes, the next beyond. */
	b = bcache_get(&f->bc, 65, true, &err);
	assert_non_null(b);
	assert_int_equal(b->len, 512);
	bcache_put(b);
	assert_null(bcache_get(&f->bc, 66, true, &err));
	assert_int_equal(err, -EINVAL);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_read_through_and_hit),
		T(test_write_back_waits_for_sync),
		T(test_whole_block_write_reads_nothing),
		T(test_sync_order),
		T(test_eviction_keeps_the_bound),
		T(test_eviction_writes_dirty_back),
		T(test_read_error_is_eio),
		T(test_write_error_reported_once),
		T(test_logged_write_error),
		T(test_writeback_unlogged),
		T(test_writeback_with_log),
		T(test_owner_write_error),
		T(test_write_enomem_keeps_dirty),
		T(test_writeback_enomem_over_kept_error),
		T(test_discard),
		T(test_device_ends),
		T(test_two_devices),
		T(test_get_put_invalidate),
		T(test_set_block_size),
		T(test_verified_flag),
		T(test_readahead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
