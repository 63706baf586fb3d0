/* ext4_jbd2.h - changing ext4 metadata through its jbd2 journal (ordered mode): the contract between the file system and the journal. */
#ifndef KILN_FS_EXT4_JBD2_H
#define KILN_FS_EXT4_JBD2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bcache_buf;
struct ext4_fs;

/*
 * Every change to ext4 metadata (superblock, group descriptors, bitmaps,
 * inode table blocks, extent tree blocks, directory blocks, symlink
 * blocks) is made inside a handle and reaches its home location only
 * after the transaction holding it has committed to the journal. File
 * data is not journaled (ordered mode): a commit first writes back and
 * flushes every dirty data block of the file system, so metadata that
 * points at data never reaches the disk before the data does.
 *
 * A handle brackets one operation (one syscall's worth of changes): all
 * of its blocks commit together or not at all. Kiln runs one CPU with
 * the kernel's interrupts off, but block I/O sleeps, so another thread
 * may open its own handle meanwhile: handles join the running
 * transaction, and a commit waits until none is open.
 *
 * Freed blocks: a block freed in the running transaction is not handed
 * out again until that transaction has committed (the allocator asks
 * ext4_jbd2_block_busy), and a freed metadata block is revoked so that
 * a replay never writes an old copy over what became file data.
 */
struct ext4_handle;

/*
 * Open a handle on fs for an operation that dirties at most credits
 * metadata blocks. May sleep to commit or checkpoint when the journal
 * is short of space. 0 and *out, -EROFS (mounted read-only, or the
 * journal was aborted after an I/O error), -ENOSPC (credits larger than
 * a transaction may be), -ENOMEM.
 */
int ext4_handle_start(struct ext4_fs *fs, unsigned int credits,
		      struct ext4_handle **out);
/*
 * Close h. The changes are in the running transaction, not yet durable.
 * 0, or the journal's error if it was aborted meanwhile.
 */
int ext4_handle_stop(struct ext4_handle *h);
/*
 * Credits h has left: blocks it may still bring into the transaction.
 * A long operation (a big truncate) checks this before each step and
 * restarts its handle when it runs low (Linux's
 * ext4_handle_has_enough_credits).
 */
unsigned int ext4_handle_left(const struct ext4_handle *h);
/*
 * The operation under h failed halfway (err) and cannot undo what it
 * changed: abort the journal (Linux's ext4_abort), so the running
 * transaction, with the half change, never commits; the file system
 * is read-only from now on and the next mount replays what committed.
 */
void ext4_handle_abort(struct ext4_handle *h, int err);
/*
 * Is the journal under h aborted (by h or anyone)? Then nothing h
 * holds commits: a caller puts back its in-memory state.
 */
bool ext4_handle_aborted(const struct ext4_handle *h);

/*
 * The metadata block blk for changing under h: held, read from the disk
 * unless fill is false (the caller then writes all of it). Change
 * b->data (checksums included), then ext4_jbd2_dirty, then bcache_put.
 * NULL with *err (-EIO, -ENOMEM, -EINVAL for a block outside the fs);
 * the journal is then aborted if h changed a block already.
 */
struct bcache_buf *ext4_jbd2_get(struct ext4_handle *h, uint64_t blk, bool fill,
				 int *err);
/* b (from ext4_jbd2_get) was changed: it joins h's transaction. */
void ext4_jbd2_dirty(struct ext4_handle *h, struct bcache_buf *b);

/*
 * Metadata block blk was freed under h: revoke it (a replay of older
 * transactions skips it) and keep it from being reused before commit.
 */
void ext4_jbd2_free_meta(struct ext4_handle *h, uint64_t blk);
/* Data blocks [blk, blk+n) were freed under h: not reused before commit. */
void ext4_jbd2_free_data(struct ext4_handle *h, uint64_t blk, uint64_t n);
/* May blk be allocated now? false while its freeing has not committed. */
bool ext4_jbd2_block_busy(struct ext4_fs *fs, uint64_t blk);

/*
 * Commit the running transaction and wait until it is durable (fsync,
 * fdatasync, sync, syncfs; also every few seconds and when the journal
 * fills). Data first, then the journal blocks, then the commit block,
 * each followed by a device flush. 0 or -EIO (the journal is then
 * aborted: every later handle gets -EROFS, as Linux remounts read-only).
 */
int ext4_jbd2_commit(struct ext4_fs *fs);

/*
 * Mount-time setup of the journal of a read-write mount (after any
 * recovery), and the clean unmount: commit, checkpoint every block home,
 * mark the journal empty. 0 or -EIO / -EINVAL / -ENOMEM.
 */
int ext4_jbd2_open(struct ext4_fs *fs, uint32_t journal_inum);
int ext4_jbd2_close(struct ext4_fs *fs);

/*
 * Every open journal: commit (syncfs, report: the first error; sync(2),
 * !report: errors stay for each fs's next fsync), and close (the VM's
 * exit path, after the last process: clean file systems).
 */
int ext4_jbd2_commit_all(bool report);
int ext4_jbd2_close_all(void);
/*
 * Commit a running transaction older than 5 s (Linux's commit
 * interval). Kiln has no kernel threads: the personality calls this on
 * each return to user mode (system calls and timer interrupts), where
 * the thread holds no handle and may sleep.
 */
void ext4_jbd2_commit_aged(void);

/* Every open journal, linked by their next field (ext4_jbd2.c's alone). */
extern struct ext4_jbd2 *ext4_jbd2_journals;

/* True when ext4_jbd2_commit_aged may have work: a journal is open. */
static inline bool ext4_jbd2_pending(void)
{
	return ext4_jbd2_journals != NULL;
}

#endif
