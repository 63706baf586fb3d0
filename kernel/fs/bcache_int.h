/* bcache_int.h - what the block cache's buffers (bcache.c) and its write-back (bcache_wb.c) share. */
#ifndef KILN_FS_BCACHE_INT_H
#define KILN_FS_BCACHE_INT_H

#include "fs/bcache.h"

/* Every device bcache_register added, newest first. */
extern struct bcache_dev *bcache_devices;

/*
 * Sleep until a BUSY buffer may have become free (another thread's
 * transfer ended): the caller looks again. bcache_wake_busy is what
 * the end of a transfer calls.
 */
void bcache_wait_busy(void);
void bcache_wake_busy(void);

/*
 * b holds newer bytes than the disk: DIRTY, and on its device's dirty
 * list unless PINNED. Whose bytes they are (b->owner) is the caller's
 * business (bcache_mark_dirty makes them nobody's).
 */
void bcache_set_dirty(struct bcache_buf *b);
/* b is clean now (written, or its bytes dropped): off the dirty list. */
void bcache_clear_dirty(struct bcache_buf *b);

/*
 * Eviction found no clean buffer: write back one batch of dirty ones of
 * the first device that has some, and wait for it. May sleep.
 */
void bcache_write_back_oldest(void);

#endif
