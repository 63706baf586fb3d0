/* ext4_jbd2_stub.c - the journal's interface without a journal, for hosted tests of the file system's writes: blocks go straight to the cache, and each handle's credits are checked. */
#include <stdlib.h>
#include <string.h>

#include <asm-generic/errno.h>

#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"

#define MAX_CREDITS 1024

struct ext4_handle {
	struct ext4_fs *fs;
	unsigned int credits, used;
	bool aborted;
	uint64_t blocks[MAX_CREDITS];
};

/* How many handles went over their credits, and blocks freed (tests). */
unsigned int ext4_stub_overdrawn;
unsigned long ext4_stub_freed_meta, ext4_stub_freed_data;

int ext4_handle_start(struct ext4_fs *fs, unsigned int credits,
		      struct ext4_handle **out)
{
	struct ext4_handle *h;

	if (fs->ro)
		return -EROFS;
	if (credits > MAX_CREDITS)
		return -ENOSPC;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->fs = fs;
	h->credits = credits;
	*out = h;
	return 0;
}

int ext4_handle_stop(struct ext4_handle *h)
{
	free(h);
	return 0;
}

unsigned int ext4_handle_left(const struct ext4_handle *h)
{
	return h->credits - h->used;
}

/* Operations that aborted (a half change the journal would drop). */
unsigned int ext4_stub_aborted;

void ext4_handle_abort(struct ext4_handle *h, int err)
{
	(void)err;
	h->aborted = true;
	ext4_stub_aborted++;
}

/* Only h's own abort: the stub's handles share no journal. */
bool ext4_handle_aborted(const struct ext4_handle *h)
{
	return h->aborted;
}

struct bcache_buf *ext4_jbd2_get(struct ext4_handle *h, uint64_t blk, bool fill,
				 int *err)
{
	if (blk >= h->fs->blocks_count) {
		*err = -EINVAL;
		return NULL;
	}
	return bcache_get(h->fs->dev, blk, fill, err);
}

void ext4_jbd2_dirty(struct ext4_handle *h, struct bcache_buf *b)
{
	unsigned int i;

	bcache_mark_dirty(b);
	for (i = 0; i < h->used; i++)
		if (h->blocks[i] == b->block)
			return;
	if (h->used == h->credits) {
		ext4_stub_overdrawn++;
		return;
	}
	h->blocks[h->used++] = b->block;
}

void ext4_jbd2_free_meta(struct ext4_handle *h, uint64_t blk)
{
	(void)h, (void)blk;
	ext4_stub_freed_meta++;
}

void ext4_jbd2_free_data(struct ext4_handle *h, uint64_t blk, uint64_t n)
{
	(void)h, (void)blk;
	ext4_stub_freed_data += n;
}

bool ext4_jbd2_block_busy(struct ext4_fs *fs, uint64_t blk)
{
	(void)fs, (void)blk;
	return false;
}

int ext4_jbd2_commit(struct ext4_fs *fs)
{
	return bcache_sync(fs->dev);
}

int ext4_jbd2_open(struct ext4_fs *fs, uint32_t journal_inum)
{
	(void)fs, (void)journal_inum;
	return 0;
}

int ext4_jbd2_close(struct ext4_fs *fs)
{
	return bcache_sync(fs->dev);
}
