/* ext4_jbd2_int.h - the journal writer's state, shared by its handle side (ext4_jbd2.c) and its commit side (ext4_jbd2_commit.c). */
#ifndef KILN_FS_EXT4_JBD2_INT_H
#define KILN_FS_EXT4_JBD2_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sched.h"
#include "fs/ext4_jbd2_fmt.h"

struct bcache_buf;
struct ext4_fs;

/* Blocks [blk, blk+n) freed by the running transaction. */
struct jbd2_busy {
	uint64_t blk, n;
};

/*
 * The committed bytes of a block that the running transaction changes
 * again before they went home (Linux's b_frozen_data): what a
 * checkpoint writes home for it until the running transaction commits.
 */
struct jbd2_frozen {
	uint64_t blk;
	uint8_t *data; /* a page of ours */
};

/*
 * One journal, of one read-write mount. The log on the disk runs from
 * sb.start (0: empty) to head, transactions sb.seq .. tid-1; every
 * transaction before the last commit has its blocks dirty in the cache
 * (LOGGED), or home already, or (changed again by the running one) a
 * frozen copy here, so a checkpoint is one sync of the device plus the
 * frozen copies. Commits leave those blocks where they are: they go
 * home at a checkpoint (half the log used, a wrap, unmount) or when the
 * cache needs the room, as Linux's jbd2 does.
 * Invariant: first <= sb.start <= head <= maxlen (sb.start 0 aside).
 */
struct ext4_jbd2 {
	struct ext4_fs *fs;
	struct jbd2_sb sb; /* as it is on the disk */
	uint8_t *sbuf;	   /* a page: the journal superblock's block */
	uint64_t *map;	   /* journal block -> disk block, [0, maxlen) */
	uint32_t head;	   /* where the next transaction goes */
	uint32_t tid;	   /* the running transaction's sequence */
	uint32_t max_txn;  /* log blocks one transaction may take */
	/* The running transaction: */
	struct bcache_buf **bufs; /* pinned, held */
	size_t nbufs, bufcap;
	uint64_t *revokes;
	size_t nrevokes, revcap;
	struct jbd2_busy *busy;
	size_t nbusy, busycap;
	struct jbd2_frozen *frozen;
	size_t nfrozen, frozencap;
	uint32_t credits;    /* reserved by its handles */
	uint64_t started_ns; /* its first change */
	int nhandles;	     /* open handles */
	bool committing;
	int err;      /* 0, or the error that aborted the journal */
	int data_err; /* a checkpoint's data write-back error, for a commit */
	unsigned int overdrawn; /* handles that went past their credits */
	struct wait_queue wq;
	struct ext4_jbd2 *next; /* the open journals */
};

/* Log blocks a transaction of nbufs blocks and nrevokes revokes takes. */
uint32_t jbd2_txn_blocks(const struct ext4_jbd2 *j, size_t nbufs,
			 size_t nrevokes);
/*
 * ext4_jbd2_commit.c. Commit the running transaction (no handle open,
 * j->committing set by the caller). 0, -EIO (the journal is aborted),
 * or a data write-back error (the journal goes on).
 */
int jbd2_do_commit(struct ext4_jbd2 *j);
/*
 * Everything committed home and durable, then the log marked empty at
 * start (0: the clean state of an unmounted file system). 0 or -EIO
 * (a logged block did not reach its home); a file data block that
 * failed is kept in j->data_err for the next commit to report.
 */
int jbd2_checkpoint(struct ext4_jbd2 *j, uint32_t start);
/* Write the journal superblock from j->sb (no flush). 0 or -EIO. */
int jbd2_write_sb(struct ext4_jbd2 *j);
/*
 * Abort after error err: one log line; the running transaction dropped,
 * the frozen copies put back in the cache (what committed stays what is
 * read, and goes home with the next sync). May sleep.
 */
void jbd2_abort(struct ext4_jbd2 *j, int err);
/* Free the frozen copies (their transaction committed). */
void jbd2_drop_frozen(struct ext4_jbd2 *j);

#endif
