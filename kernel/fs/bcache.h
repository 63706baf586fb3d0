/* bcache.h - the block cache: buffers of disk blocks shared by the file systems, written back on sync. */
#ifndef KILN_FS_BCACHE_H
#define KILN_FS_BCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bcache_dev;

/* One transfer of one block (the device's last one may be shorter). */
struct bcache_io {
	bool write;
	uint64_t block;
	void *buf; /* a page of the cache's */
	uint32_t len;
	int err; /* set by the device: 0 or -ERRNO */
};

/*
 * What a device provides. io does n transfers, sorted by block, and
 * may sleep; it returns 0 or the first error (each io's err says which
 * failed). flush makes what was written durable (a device FLUSH); NULL
 * when the device has no volatile cache.
 */
struct bcache_dev_ops {
	int (*io)(struct bcache_dev *d, struct bcache_io *ios, size_t n);
	int (*flush)(struct bcache_dev *d);
};

/*
 * A write-back error of an owner's buffers (bcache_write_owned: a
 * file's data blocks, keyed by its inode number), kept for that owner.
 */
#define BCACHE_OWNER_ERRS 8
struct bcache_owner_err {
	uint64_t owner; /* 0: a free slot */
	int err;
};

struct bcache_dev {
	const struct bcache_dev_ops *ops;
	void *priv;
	uint64_t size;	     /* bytes, a multiple of 512 */
	uint32_t block_size; /* a power of 2, 512..PAGE_SIZE */
	/* The device's logical block: no smaller block_size (0: 512). */
	uint32_t min_block_size;
	bool ro;
	/* The cache's: */
	int wb_err;   /* an unowned buffer's error the next sync reports */
	int log_err;  /* one of a LOGGED buffer: bcache_take_log_err */
	int sync_err; /* anyone's, for syncfs: bcache_take_sync_err_all */
	/* owned buffers' errors: bcache_take_owner_err */
	struct bcache_owner_err owner_errs[BCACHE_OWNER_ERRS];
	size_t ndirty; /* dirty buffers of this device */
	/* write-backs of its buffers in flight (a sync waits for them) */
	unsigned inflight;
	/* the dirty, unpinned ones, oldest first: what a sync writes */
	struct bcache_buf *dirty_head, *dirty_tail;
	struct bcache_dev *next;
};

/*
 * A cached block: data holds len bytes of block (VALID), perhaps newer
 * than the disk (DIRTY). BUSY while a transfer is in flight: nobody
 * else touches data then. Held (refs) buffers are never evicted.
 * PINNED: dirty, but must not reach its home yet (a journaled block
 * whose transaction has not committed); write-back, sync and eviction
 * pass it by until bcache_unpin.
 */
#define BCACHE_VALID 1U
#define BCACHE_DIRTY 2U
#define BCACHE_BUSY 4U
#define BCACHE_PINNED 8U
/*
 * VERIFIED: a file system checked this block's checksum after it was
 * read from the device, and may skip the crc32c while the flag stays
 * (Linux's buffer_verified). Cleared when the buffer is read again and
 * by bcache_mark_dirty (a write through the cache may bring anyone's
 * bytes: a replayed journal block, a write to the block device); the
 * writer that computed the checksum itself may set it again.
 */
#define BCACHE_VERIFIED 16U
/*
 * LOGGED: unpinned with keep, a journaled block whose transaction
 * committed, until its next write-back or a file's write over it: a
 * failed write of it is also the journal's to know
 * (bcache_take_log_err), where a file's data block that failed is only
 * the file's; and a commit leaves it to the checkpoint
 * (bcache_writeback without logged).
 */
#define BCACHE_LOGGED 32U
/*
 * UNCHANGED: pinned by a journal before a change that has not come
 * (a LOGGED block frozen when a handle got it, perhaps only to read):
 * its commit drops it rather than logging the same bytes again.
 * Cleared by the change, and by bcache_unpin.
 */
#define BCACHE_UNCHANGED 64U

struct bcache_buf {
	struct bcache_dev *dev;
	uint64_t block;
	uint8_t *data;
	uint32_t len;
	int refs;
	unsigned flags;
	/* whose bytes these are (bcache_write_owned), 0: nobody's */
	uint64_t owner;
	struct bcache_buf *hnext;
	struct bcache_buf *lru_prev, *lru_next;	    /* oldest first */
	struct bcache_buf *dirty_prev, *dirty_next; /* on dev->dirty_head */
	bool listed;				    /* on that list */
};

/*
 * Kiln runs one CPU with the kernel's interrupts off: nothing here takes
 * a lock, but device transfers sleep, so another thread may run while a
 * buffer is BUSY; it then waits for it.
 */

/* Add d to the devices the cache serves (d->size, block_size set). */
void bcache_register(struct bcache_dev *d);

/* Sync d, drop its buffers and forget it (unmount; no buffer may be held). */
int bcache_unregister(struct bcache_dev *d);

/* At most nbufs buffers (one page each) are kept; at least 16. */
void bcache_set_limit(size_t nbufs);

/* The limit: a journal keeps fewer buffers than this pinned. */
size_t bcache_limit(void);

/* Buffers now held, and how many of them are dirty (for tests and /proc). */
size_t bcache_count(void);
size_t bcache_dirty_count(void);

/*
 * The buffer of block, held: read from the device unless fill is false
 * (the caller then overwrites all of it and calls bcache_mark_dirty).
 * NULL with *err: -EINVAL (beyond the device), -ENOMEM, or the read's
 * error (-EIO).
 */
struct bcache_buf *bcache_get(struct bcache_dev *d, uint64_t block, bool fill,
			      int *err);
void bcache_put(struct bcache_buf *b);
/* The held buffer b now holds newer data than the disk (nobody's). */
void bcache_mark_dirty(struct bcache_buf *b);
/*
 * Pin the held buffer b (nobody's, a journal's now): dirty, and kept from its home until
 * bcache_unpin. Unpinning with keep leaves it dirty (to be written back
 * as any other); without keep its changes are dropped: clean and no
 * longer valid, so the next bcache_get reads the disk's copy again.
 */
void bcache_pin(struct bcache_buf *b);
void bcache_unpin(struct bcache_buf *b, bool keep);
/*
 * Write the held buffer b home now if it is dirty and not pinned, and
 * wait for it: 0 (a failed write is kept as write-back's are), or
 * -ENOMEM (it stays dirty). May sleep.
 */
int bcache_write_home(struct bcache_buf *b);
/*
 * The first write-back error of a LOGGED buffer since the last call, once
 * (0: none): a journal's checkpoint must not empty the log of a block
 * that did not reach its home. Any context that may call bcache_sync.
 */
int bcache_take_log_err(struct bcache_dev *d);
/*
 * The buffer of block if it is cached (held; waits while it is BUSY),
 * else NULL. Never reads the device.
 */
struct bcache_buf *bcache_peek(struct bcache_dev *d, uint64_t block);

/*
 * Start reading the blocks of [block, block+n) (at most
 * BCACHE_READAHEAD_MAX, not past the device) that are not cached, as
 * one batch the device may merge, and wait for it: what a file system
 * is about to read a block at a time (ext4's inode tables, as Linux's
 * inode_readahead_blks). The buffers are left valid and unheld; a
 * failed or refused one (no memory) is simply not cached.
 */
#define BCACHE_READAHEAD_MAX 32
void bcache_readahead(struct bcache_dev *d, uint64_t block, size_t n);

/*
 * Byte-level access at any offset and length (partial blocks are read,
 * modified and kept dirty). Bytes done: short at the device's end, 0
 * reading at or past it; -ENOSPC writing there, -EROFS on a read-only
 * device, -EIO.
 */
long bcache_read(struct bcache_dev *d, uint64_t off, void *buf, size_t n);
long bcache_write(struct bcache_dev *d, uint64_t off, const void *buf,
		  size_t n);
/*
 * bcache_write, with the buffers written marked as owner's (not 0: an
 * ext4 file's inode number) until they are next dirtied otherwise: a
 * failed write-back of one is owner's error (bcache_take_owner_err),
 * not the next sync's, as Linux keeps it in the file's address_space.
 */
long bcache_write_owned(struct bcache_dev *d, uint64_t off, const void *buf,
			size_t n, uint64_t owner);
/*
 * The first write-back error of owner's buffers since the last call,
 * once (0: none): what an fsync of the file reports. Also to forget
 * the errors of an owner reborn (an inode number allocated again).
 */
int bcache_take_owner_err(struct bcache_dev *d, uint64_t owner);
/*
 * The first write-back error of any buffer of any device since the
 * last call, once (0: none): what syncfs reports, as Linux's per
 * superblock errseq; fsync's and the sync's own errors are apart.
 */
int bcache_take_sync_err_all(void);

/*
 * Write every dirty buffer of d back (but the pinned ones), in block
 * order, and wait for write-backs other threads have in flight, then
 * flush the device. 0, or the first write-back error of an
 * unowned buffer since the last sync (once): an owned one's is the
 * owner's (bcache_take_owner_err), unless too many owners failed at
 * once and the slots ran out (then it is the disk's, as here).
 */
int bcache_sync(struct bcache_dev *d);
/*
 * Write back as bcache_sync does, without the flush (a journal commit
 * flushes once for this and its log): 0, -ENOMEM, or the error once.
 * Without logged, the LOGGED buffers are passed by: a journal's commit
 * writes the file data this way (ordered mode), and leaves the blocks
 * of earlier transactions, whose copies are in its log, to its
 * checkpoint.
 */
int bcache_writeback(struct bcache_dev *d, bool logged);
/* bcache_sync passing the LOGGED buffers by (a commit with no log). */
int bcache_sync_unlogged(struct bcache_dev *d);
/*
 * bcache_writeback(d, false), with the nextra transfers of extra (sorted
 * by block; blocks no buffer of d caches: a journal's log blocks) in
 * the same batch, so the device has both at once. *sent: extra went to
 * the device, each result in its err; false when memory ran short for
 * the one batch: the data went then in batches without extra, which the
 * caller sends. -ENOMEM: some data is still dirty, and a journal must
 * not commit.
 */
int bcache_writeback_unlogged_with(struct bcache_dev *d,
				   struct bcache_io *extra, size_t nextra,
				   bool *sent);
/*
 * The same for every device: syncfs (report: the first error, once);
 * sync(2) and the exit path (!report: errors stay for the next sync).
 */
int bcache_sync_all(bool report);
/*
 * The bytes [off, off+len) of d are garbage now (a deleted file's
 * blocks): drop the dirty, idle, unheld buffers wholly inside, unwritten,
 * so a stale block never goes home nor fails under another owner.
 */
void bcache_discard(struct bcache_dev *d, uint64_t off, uint64_t len);
/*
 * Before the device changes [off, off+len) itself (discard, write
 * zeroes): sync d, then drop every buffer overlapping the range. 0,
 * -EBUSY when one is held, or the sync's error.
 */
int bcache_forget_range(struct bcache_dev *d, uint64_t off, uint64_t len);
/* BLKFLSBUF: sync d, then drop its buffers nobody holds. */
int bcache_invalidate(struct bcache_dev *d);
/*
 * Cache d in blocks of bs bytes from now on (a file system mounting
 * with its own block size: ext4's 1 KiB and 2 KiB blocks): d is synced
 * and its buffers dropped first. 0, -EINVAL (bs not a power of 2 in
 * min_block_size..PAGE_SIZE), -EBUSY (a buffer of d is held or dirty), or the
 * sync's error. Buffers stay a page each whatever bs is.
 */
int bcache_set_block_size(struct bcache_dev *d, uint32_t bs);

#endif
