/* ext4_jbd2_test.c - the jbd2 journal writer: transactions it commits are replayed by Kiln's recovery and by e2fsck; torn commits are not; revokes hold; the cache keeps uncommitted blocks home-less. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/sched.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_jbd2_int.h"
#include "fs/ext4_write.h"
#include "ext4_bs.h"
#include "memdisk.h"

/* ---- The kernel around the file system (allocators: kernel_host.c) ---- */

static char last_log[256];
static int nlogs;
/* Every line since a test last emptied it (as much as fits). */
static char all_logs[4096];

void printk(const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(all_logs);

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	snprintf(all_logs + used, sizeof(all_logs) - used, "%s", last_log);
	nlogs++;
}

int sched_sleep(uint64_t deadline_ns, bool interruptible)
{
	(void)deadline_ns, (void)interruptible;
	return 0;
}

static uint64_t now_ns;

uint64_t clock_monotonic_ns(void)
{
	return now_ns;
}

uint64_t clock_realtime_ns(void)
{
	return 1700000000ULL * 1000000000 + now_ns;
}

/* ---- A disk in memory that counts flushes and can fail writes ---- */

/*
 * The file system's block size (mke2fs -b): each test runs on 4 KiB,
 * 1 KiB and 2 KiB blocks (main). The disk registers with the kernel's
 * 4 KiB cache blocks; the mount makes them the file system's.
 */
static uint32_t bs = 4096;
#define DISK_BS 4096
/* The disk's size: 32 MiB, more for a test that needs many groups. */
static size_t img_size = 32 << 20;
#define IMG_SIZE img_size

/*
 * With volatile set, the disk models a write cache: durable holds what
 * the last FLUSH made safe; writes since are pending (block numbers in
 * pend). At write number crash_at, crash_img becomes what a power cut
 * there could leave: durable plus a random subset of the pending writes.
 */
#define MAX_PEND 8192

struct disk {
	struct bcache_dev bc;
	uint8_t *bytes;
	int flushes, writes, reads;
	bool fail_writes;
	uint64_t fail_blk; /* writes of this block fail (EIO); 0: none */
	int fail_read_at;  /* the read with this number fails (EIO) */
	bool volatile_cache;
	uint8_t *durable, *crash_img;
	uint64_t pend[MAX_PEND];
	size_t npend;
	int crash_at;
};

static void disk_crash(struct disk *dk)
{
	dk->crash_img = malloc(IMG_SIZE);
	memcpy(dk->crash_img, dk->durable, IMG_SIZE);
	for (size_t i = 0; i < dk->npend; i++)
		if (rand() % 2)
			memcpy(dk->crash_img + dk->pend[i] * dk->bc.block_size,
			       dk->bytes + dk->pend[i] * dk->bc.block_size,
			       dk->bc.block_size);
}

static void disk_wrote(struct disk *dk, uint64_t block)
{
	if (!dk->volatile_cache)
		return;
	assert_true(dk->npend < MAX_PEND);
	dk->pend[dk->npend++] = block;
	if (dk->writes == dk->crash_at && dk->crash_img == NULL)
		disk_crash(dk);
}

static int disk_io(struct bcache_dev *d, struct bcache_io *ios, size_t n)
{
	struct disk *dk = d->priv;

	for (size_t i = 0; i < n; i++) {
		uint64_t off = ios[i].block * d->block_size;

		ios[i].err = 0;
		if (i > 0)
			assert_true(ios[i - 1].block < ios[i].block);
		if (ios[i].write &&
		    (dk->fail_writes ||
		     (dk->fail_blk && ios[i].block == dk->fail_blk))) {
			ios[i].err = -EIO;
		} else if (ios[i].write) {
			memcpy(dk->bytes + off, ios[i].buf, ios[i].len);
			dk->writes++;
			disk_wrote(dk, ios[i].block);
		} else if (++dk->reads == dk->fail_read_at) {
			ios[i].err = -EIO;
		} else {
			memcpy(ios[i].buf, dk->bytes + off, ios[i].len);
		}
	}
	return 0;
}

static int disk_flush(struct bcache_dev *d)
{
	struct disk *dk = d->priv;

	dk->flushes++;
	if (dk->volatile_cache) {
		for (size_t i = 0; i < dk->npend; i++)
			memcpy(dk->durable + dk->pend[i] * dk->bc.block_size,
			       dk->bytes + dk->pend[i] * dk->bc.block_size,
			       dk->bc.block_size);
		dk->npend = 0;
	}
	return 0;
}

static const struct bcache_dev_ops disk_ops = { disk_io, disk_flush };

static struct disk *disk_load(const char *path)
{
	struct disk *dk = calloc(1, sizeof(*dk));
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	dk->bytes = malloc(IMG_SIZE);
	assert_int_equal(fread(dk->bytes, 1, IMG_SIZE, f), IMG_SIZE);
	fclose(f);
	dk->bc = (struct bcache_dev){ .ops = &disk_ops,
				      .priv = dk,
				      .size = IMG_SIZE,
				      .block_size = DISK_BS };
	bcache_register(&dk->bc);
	return dk;
}

static void disk_save(const struct disk *dk, const char *path)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(dk->bytes, 1, IMG_SIZE, f), IMG_SIZE);
	fclose(f);
}

static void disk_free(struct disk *dk)
{
	bcache_unregister(&dk->bc);
	free(dk->durable);
	free(dk->crash_img);
	free(dk->bytes);
	free(dk);
}

/* ---- Images ---- */

static char tmpdir[] = "/tmp/kiln-jbd2-XXXXXX";
static char img[600], copy[600];

/* A fresh ext4 as Debian's mke2fs makes it, of block size *state. */
static int setup(void **state)
{
	bs = *(const uint32_t *)*state;
	bcache_set_limit(256);
	/* Once: mkdtemp's random name may itself end in X. */
	if (strstr(tmpdir, "XXXXXX") != NULL)
		assert_non_null(mkdtemp(tmpdir));
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	snprintf(copy, sizeof(copy), "%s/copy", tmpdir);
	memdisk_sh(
		"rm -f %s && truncate -s 32M %s && mke2fs -q -F -t ext4 -b %u %s",
		img, img, bs, img);
	now_ns = 0;
	return 0;
}

/* Blocks near the end: free on a fresh file system, any bytes will do. */
#define FREE_BLK(i) (IMG_SIZE / bs - 64 + (i))

static struct ext4_fs *mount_rw(struct disk *dk)
{
	struct ext4_fs *fs;

	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), 0);
	fs->ro = false;
	assert_int_equal(ext4_jbd2_open(fs, 8), 0);
	return fs;
}

/* One transaction writing text at the start of block blk. */
static void log_block(struct ext4_fs *fs, uint64_t blk, const char *text)
{
	struct ext4_handle *h;
	struct bcache_buf *b;
	int err;

	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, blk, true, &err);
	assert_non_null(b);
	memset(b->data, 0, bs);
	strcpy((char *)b->data, text);
	ext4_jbd2_dirty(h, b);
	bcache_put(b);
	assert_int_equal(ext4_handle_stop(h), 0);
}

static bool block_says(const uint8_t *bytes, uint64_t blk, const char *text)
{
	return strcmp((const char *)bytes + blk * bs, text) == 0;
}

/* The image file's block blk says text? */
static bool file_block_says(const char *path, uint64_t blk, const char *text)
{
	char buf[64] = { 0 };
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fseeko(f, (off_t)(blk * bs), SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), sizeof(buf) - 1);
	fclose(f);
	return strcmp(buf, text) == 0;
}

static bool needs_recovery(const uint8_t *bytes)
{
	return bytes[1024 + 0x60] & EXT4_INCOMPAT_RECOVER;
}

/*
 * The disk as a crash leaves it: saved to copy, then replayed by
 * e2fsck -fy (which must find nothing else to fix) and checked.
 */
static void e2fsck_replays(const struct disk *dk)
{
	disk_save(dk, copy);
	memdisk_sh("e2fsck -fy %s >/dev/null 2>&1", copy);
	memdisk_sh("e2fsck -fn %s >/dev/null 2>&1", copy);
}

/* ---- Tests ---- */

/* Open marks the fs; a commit makes a transaction e2fsck and Kiln replay. */
static void test_commit_replayed(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk), *fs2;
	struct disk *crash;

	(void)state;
	assert_true(needs_recovery(dk->bytes));
	log_block(fs, FREE_BLK(0), "first");
	/* Before the commit, a sync writes nothing of it home. */
	assert_int_equal(bcache_sync(&dk->bc), 0);
	assert_false(block_says(dk->bytes, FREE_BLK(0), "first"));
	dk->flushes = 0;
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	/* make_room sets the log start (a sync, a flush), then the commit's two. */
	assert_int_equal(dk->flushes, 4);
	log_block(fs, FREE_BLK(1), "second");
	dk->flushes = 0;
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(dk->flushes, 2);
	/* Committed, not yet home: what the log is for. */
	assert_false(block_says(dk->bytes, FREE_BLK(1), "second"));
	e2fsck_replays(dk);
	assert_true(file_block_says(copy, FREE_BLK(0), "first"));
	assert_true(file_block_says(copy, FREE_BLK(1), "second"));
	/* Kiln's recovery on the same crashed disk. */
	crash = disk_load(copy);
	memcpy(crash->bytes, dk->bytes, IMG_SIZE);
	assert_int_equal(ext4_mount(&crash->bc, "vdb", &fs2), 0);
	assert_non_null(strstr(last_log, "journal recovered"));
	assert_true(block_says(crash->bytes, FREE_BLK(1), "second"));
	assert_false(needs_recovery(crash->bytes));
	ext4_unmount(fs2);
	disk_save(crash, copy);
	disk_free(crash);
	memdisk_sh("e2fsck -fn %s >/dev/null 2>&1", copy);
	/* A clean close: all home, the log empty, the flag off. */
	assert_int_equal(ext4_jbd2_close(fs), 0);
	assert_true(block_says(dk->bytes, FREE_BLK(1), "second"));
	assert_false(needs_recovery(dk->bytes));
	ext4_unmount(fs);
	disk_save(dk, copy);
	disk_free(dk);
	memdisk_sh("e2fsck -fn %s >/dev/null 2>&1", copy);
	memdisk_sh("dumpe2fs -h %s 2>/dev/null | grep -q '^Journal start: *0$'",
		   copy);
	memdisk_sh("dumpe2fs -h %s 2>/dev/null | grep -q 'journal_checksum_v3'",
		   copy);
}

/* A transaction whose commit block never reached the disk is not replayed. */
static void test_torn_commit(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_jbd2 *j = fs->jbd2;

	(void)state;
	log_block(fs, FREE_BLK(0), "kept");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	log_block(fs, FREE_BLK(0), "torn");
	log_block(fs, FREE_BLK(1), "torn");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	/* Its commit block is the last one written: lose it. */
	memset(dk->bytes + j->map[j->head - 1] * bs, 0, bs);
	e2fsck_replays(dk);
	assert_true(file_block_says(copy, FREE_BLK(0), "kept"));
	assert_false(file_block_says(copy, FREE_BLK(1), "torn"));
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_free(dk);
}

/* One transaction writing text at the start of blocks blk to blk + n - 1. */
static void log_blocks(struct ext4_fs *fs, uint64_t blk, int n,
		       const char *text)
{
	struct ext4_handle *h;
	struct bcache_buf *b;
	int err;

	assert_int_equal(ext4_handle_start(fs, n, &h), 0);
	for (int i = 0; i < n; i++) {
		b = ext4_jbd2_get(h, blk + i, true, &err);
		assert_non_null(b);
		memset(b->data, 0, bs);
		strcpy((char *)b->data, text);
		ext4_jbd2_dirty(h, b);
		bcache_put(b);
	}
	assert_int_equal(ext4_handle_stop(h), 0);
}

/* What a tear leaves after a block's first sector: zeros or old bytes. */
enum tear { TEAR_ZEROS, TEAR_OLD };

/*
 * Tear log block lblk after its first sector. The old bytes are what a
 * journal that wrapped holds there: an older transaction's block, here
 * one of 0xa5 (tags whose flags say neither LAST nor SAME_UUID).
 */
static void tear_block(struct disk *dk, const struct ext4_jbd2 *j,
		       uint32_t lblk, enum tear tear)
{
	memset(dk->bytes + j->map[lblk] * bs + 512, tear == TEAR_OLD ? 0xa5 : 0,
	       bs - 512);
}

/* Mount a copy of dk: ext4_mount's result, all_logs holding its lines. */
static int mount_copy(const struct disk *dk, struct disk **crash)
{
	struct ext4_fs *fs2;
	int err;

	disk_save(dk, copy);
	*crash = disk_load(copy);
	all_logs[0] = '\0';
	err = ext4_mount(&(*crash)->bc, "vdb", &fs2);
	if (err == 0)
		ext4_unmount(fs2);
	return err;
}

/* The log ended at transaction tid because of a bad kind block: said? */
/* A crashed copy, mounted: nothing left to recover, e2fsck finds it clean. */
static void recovered_clean(struct disk *crash)
{
	assert_false(needs_recovery(crash->bytes));
	disk_save(crash, copy);
	disk_free(crash);
	memdisk_sh("e2fsck -fn %s >/dev/null 2>&1", copy);
}

static void close_rw(struct ext4_fs *fs, struct disk *dk)
{
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_free(dk);
}

static void said_log_ends(uint32_t tid, const char *kind)
{
	char line[128];

	snprintf(line, sizeof(line),
		 "kiln: ext4 vdb: journal transaction %u: bad %s checksum, "
		 "the log ends here\n",
		 tid, kind);
	assert_non_null(strstr(all_logs, line));
	assert_non_null(strstr(all_logs, "journal recovered"));
}

/*
 * A power cut in the middle of writing T2's descriptor block (its end,
 * with the block tail's checksum, never written) and before its commit
 * block: Kiln's recovery ends the log at T2, says so, and mounts with
 * T1 replayed, as Linux's and e2fsck's do (before: the bad tail failed
 * the whole recovery, and the disk did not mount). The same damage
 * with T2's commit block on the disk is corruption: the mount fails.
 * The tear may leave zeros or old bytes behind the first sector.
 */
static void torn_descriptor(enum tear tear)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_jbd2 *j = fs->jbd2;
	uint32_t t2 = jbd2_txn_blocks(j, 1, 0), tid2;
	struct disk *crash;

	log_block(fs, FREE_BLK(0), "kept");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	tid2 = j->tid;
	log_block(fs, FREE_BLK(1), "torn");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(t2, 3); /* descriptor, copy, commit */
	/* Only the descriptor's first sector reached the disk. */
	tear_block(dk, j, j->head - t2, tear);
	assert_int_equal(mount_copy(dk, &crash), -EINVAL);
	disk_free(crash);
	/* Its commit block lost too: T2 never committed. */
	memset(dk->bytes + j->map[j->head - 1] * bs, 0, bs);
	assert_int_equal(mount_copy(dk, &crash), 0);
	said_log_ends(tid2, "descriptor");
	assert_true(block_says(crash->bytes, FREE_BLK(0), "kept"));
	assert_false(block_says(crash->bytes, FREE_BLK(1), "torn"));
	recovered_clean(crash);
	close_rw(fs, dk);
}

/*
 * T2 frees T1's block (a revoke block first in T2's log) and logs
 * another; the revoke block torn after its first sector. With T2's
 * commit block on the disk the mount fails; without it the log ends at
 * T2, so T2's revoke does not hold and T1's copy goes home.
 */
static void torn_revoke(void)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_jbd2 *j = fs->jbd2;
	uint32_t t2 = jbd2_txn_blocks(j, 1, 1), tid2;
	struct ext4_handle *h;
	struct disk *crash;

	log_block(fs, FREE_BLK(2), "meta");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	tid2 = j->tid;
	assert_int_equal(ext4_handle_start(fs, 2, &h), 0);
	ext4_jbd2_free_meta(h, FREE_BLK(2));
	assert_int_equal(ext4_handle_stop(h), 0);
	log_block(fs, FREE_BLK(3), "torn");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(j->tid, tid2 + 1);
	assert_int_equal(t2, 4); /* revoke, descriptor, copy, commit */
	assert_int_equal(jbd2_be32(dk->bytes + j->map[j->head - t2] * bs + 4),
			 JT_REVOKE);
	/* Reused as data since: only a replay of T1 puts "meta" back. */
	memset(dk->bytes + FREE_BLK(2) * bs, 0, bs);
	strcpy((char *)dk->bytes + FREE_BLK(2) * bs, "data");
	tear_block(dk, j, j->head - t2, TEAR_OLD);
	assert_int_equal(mount_copy(dk, &crash), -EINVAL);
	disk_free(crash);
	memset(dk->bytes + j->map[j->head - 1] * bs, 0, bs);
	assert_int_equal(mount_copy(dk, &crash), 0);
	said_log_ends(tid2, "revoke");
	assert_true(block_says(crash->bytes, FREE_BLK(2), "meta"));
	assert_false(block_says(crash->bytes, FREE_BLK(3), "torn"));
	recovered_clean(crash);
	close_rw(fs, dk);
}

/*
 * T2 logs 40 blocks: its descriptor's tags run past the first sector,
 * so the torn descriptor's tag walk cannot tell where T2's commit block
 * is (as Linux's count_tags, it skips what the torn tags say). Whether
 * or not the commit block reached the disk, the log ends at T2, said,
 * and T1 alone is replayed.
 */
static void torn_long_descriptor(void)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_jbd2 *j = fs->jbd2;
	uint32_t t2 = jbd2_txn_blocks(j, 40, 0), tid2;
	struct disk *crash;

	log_block(fs, FREE_BLK(0), "kept");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	tid2 = j->tid;
	log_blocks(fs, FREE_BLK(10), 40, "torn");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(t2, 42); /* descriptor, 40 copies, commit */
	/* header, first tag, uuid, 39 tags: past 512 bytes */
	assert_true(JHDR_SIZE + 16 + 40 * jbd2_tag_bytes(&j->sb) > 512);
	tear_block(dk, j, j->head - t2, TEAR_ZEROS);
	for (int lost = 0; lost < 2; lost++) {
		if (lost)
			memset(dk->bytes + j->map[j->head - 1] * bs, 0, bs);
		assert_int_equal(mount_copy(dk, &crash), 0);
		said_log_ends(tid2, "descriptor");
		assert_true(block_says(crash->bytes, FREE_BLK(0), "kept"));
		for (int i = 0; i < 40; i++)
			assert_false(block_says(crash->bytes, FREE_BLK(10 + i),
						"torn"));
		recovered_clean(crash);
	}
	close_rw(fs, dk);
}

static void test_torn_descriptor(void **state)
{
	(void)state;
	torn_descriptor(TEAR_ZEROS);
	torn_descriptor(TEAR_OLD);
	torn_revoke();
	torn_long_descriptor();
}

/* A freed metadata block's revoke keeps old copies from being replayed. */
static void test_revoke(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	uint8_t data[4096] = "data";

	(void)state;
	log_block(fs, FREE_BLK(2), "meta");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_handle_start(fs, 2, &h), 0);
	ext4_jbd2_free_meta(h, FREE_BLK(2));
	assert_true(ext4_jbd2_block_busy(fs, FREE_BLK(2)));
	assert_int_equal(ext4_handle_stop(h), 0);
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_false(ext4_jbd2_block_busy(fs, FREE_BLK(2)));
	/*
	 * Reused as a file's data (ext4's writes name the inode), written
	 * back by the next (ordered) commit.
	 */
	assert_int_equal(
		bcache_write_owned(&dk->bc, FREE_BLK(2) * bs, data, bs, 12),
		bs);
	log_block(fs, FREE_BLK(3), "other");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_true(block_says(dk->bytes, FREE_BLK(2), "data"));
	e2fsck_replays(dk);
	assert_true(file_block_says(copy, FREE_BLK(2), "data"));
	assert_true(file_block_says(copy, FREE_BLK(3), "other"));
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_free(dk);
}

/* Hundreds of commits wrap the log: the last ones are still replayed. */
static void test_wrap(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	char text[32];
	uint32_t tid0 = fs->jbd2->tid;

	(void)state;
	for (int i = 0; i < 600; i++) {
		snprintf(text, sizeof(text), "round %d", i);
		log_block(fs, FREE_BLK(i % 8), text);
		log_block(fs, FREE_BLK(8 + i % 5), text);
		assert_int_equal(ext4_jbd2_commit(fs), 0);
	}
	assert_int_equal(fs->jbd2->tid, tid0 + 600);
	e2fsck_replays(dk);
	assert_true(file_block_says(copy, FREE_BLK(599 % 8), "round 599"));
	assert_true(file_block_says(copy, FREE_BLK(8 + 599 % 5), "round 599"));
	assert_true(file_block_says(copy, FREE_BLK(598 % 8), "round 598"));
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A block committed in T1, not yet home, changed again in T2 whose
 * commit wraps the log: make_room's checkpoint frees the log of T1.
 * A crash before T2's commit block must find all of T1 home: A as T1
 * left it too, not only B (before: A, pinned in T2, was passed by).
 */
static void test_wrap_repinned(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_jbd2 *j = fs->jbd2;
	uint32_t t1 = jbd2_txn_blocks(j, 2, 0), t2 = jbd2_txn_blocks(j, 1, 0);

	(void)state;
	/* Fill the log until T1 fits at its end and T2 does not. */
	while (j->sb.maxlen - j->head >= t1 + t2) {
		log_block(fs, FREE_BLK(5), "filler");
		assert_int_equal(ext4_jbd2_commit(fs), 0);
	}
	assert_true(j->head + t1 <= j->sb.maxlen);
	/* So T1's own commit does not checkpoint (half the log used). */
	assert_int_equal(jbd2_checkpoint(j, j->head), 0);
	log_block(fs, FREE_BLK(0), "A1");
	log_block(fs, FREE_BLK(1), "B1");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_false(block_says(dk->bytes, FREE_BLK(0), "A1"));
	log_block(fs, FREE_BLK(0), "A2");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(j->sb.start, j->sb.first); /* it wrapped */
	/* The crash: T2's commit block is lost. */
	memset(dk->bytes + j->map[j->head - 1] * bs, 0, bs);
	e2fsck_replays(dk);
	assert_true(file_block_says(copy, FREE_BLK(0), "A1"));
	assert_true(file_block_says(copy, FREE_BLK(1), "B1"));
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A commit writes its log and nothing of earlier transactions (their
 * copies stay in the log until a checkpoint, as Linux's jbd2 keeps
 * them): three writes for one block. A block committed, not yet home
 * and changed again is frozen; when that change is aborted, the cache
 * and then the disk hold what committed, not the change and not the
 * disk's older bytes.
 */
static void test_commit_leaves_checkpoint(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	struct bcache_buf *b;
	char back[8] = { 0 };
	int writes, err;

	(void)state;
	log_block(fs, FREE_BLK(0), "a1");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	log_block(fs, FREE_BLK(1), "b1");
	writes = dk->writes;
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(dk->writes - writes, 3); /* descriptor, B, commit */
	assert_false(block_says(dk->bytes, FREE_BLK(0), "a1"));
	assert_false(block_says(dk->bytes, FREE_BLK(1), "b1"));
	/* A changed again, then the change fails halfway. */
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, FREE_BLK(0), true, &err);
	assert_non_null(b);
	assert_int_equal(fs->jbd2->nfrozen, 1);
	assert_int_equal(dk->writes - writes, 3); /* frozen, not written */
	strcpy((char *)b->data, "a2");
	ext4_jbd2_dirty(h, b);
	bcache_put(b);
	ext4_handle_abort(h, -EIO);
	ext4_handle_stop(h);
	assert_int_equal(fs->jbd2->nfrozen, 0);
	assert_int_equal(bcache_read(&dk->bc, FREE_BLK(0) * bs, back, 3), 3);
	assert_string_equal(back, "a1");
	assert_int_equal(ext4_jbd2_close(fs), -EIO);
	assert_true(block_says(dk->bytes, FREE_BLK(0), "a1"));
	assert_true(block_says(dk->bytes, FREE_BLK(1), "b1"));
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A committed block not yet home that a handle gets only to read is
 * frozen (the handle might change it) but costs no credit, and its
 * commit logs nothing for it: the block stays LOGGED for the
 * checkpoint. Before: a credit, a log copy and its crc32c each time.
 */
static void test_frozen_unchanged_dropped(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	struct bcache_buf *b;
	int writes, err;

	(void)state;
	log_block(fs, FREE_BLK(0), "a1");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, FREE_BLK(0), true, &err);
	assert_non_null(b);
	assert_int_equal(fs->jbd2->nfrozen, 1);
	assert_int_equal(ext4_handle_left(h), 4);
	bcache_put(b);
	assert_int_equal(ext4_handle_stop(h), 0);
	writes = dk->writes;
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(dk->writes - writes, 0);
	assert_int_equal(fs->jbd2->nfrozen, 0);
	assert_int_equal(fs->jbd2->nbufs, 0);
	assert_int_equal(b->flags & (BCACHE_DIRTY | BCACHE_LOGGED |
				     BCACHE_PINNED | BCACHE_UNCHANGED),
			 BCACHE_DIRTY | BCACHE_LOGGED);
	assert_false(block_says(dk->bytes, FREE_BLK(0), "a1"));
	/* Got, then changed: a credit, and logged. */
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, FREE_BLK(0), true, &err);
	assert_non_null(b);
	strcpy((char *)b->data, "a2");
	ext4_jbd2_dirty(h, b);
	assert_int_equal(ext4_handle_left(h), 3);
	bcache_put(b);
	assert_int_equal(ext4_handle_stop(h), 0);
	writes = dk->writes;
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(dk->writes - writes, 3); /* descriptor, copy, commit */
	assert_int_equal(ext4_jbd2_close(fs), 0);
	assert_true(block_says(dk->bytes, FREE_BLK(0), "a2"));
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * An abort while a handle is still open: a frozen block read before the
 * handle stops (the handle's own, or one it no longer holds) has the
 * committed bytes, and the handle gets no block any more. Before: the
 * abort dropped them from the cache until the last stop, and a read
 * refilled the bytes from before the commit.
 */
static void test_abort_reads_committed(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	struct bcache_buf *b, *c;
	char back[8] = { 0 };
	int err;

	(void)state;
	log_block(fs, FREE_BLK(0), "a1");
	log_block(fs, FREE_BLK(1), "b1");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, FREE_BLK(0), true, &err);
	assert_non_null(b);
	strcpy((char *)b->data, "a2");
	ext4_jbd2_dirty(h, b);
	c = ext4_jbd2_get(h, FREE_BLK(1), true, &err);
	assert_non_null(c);
	strcpy((char *)c->data, "b2");
	ext4_jbd2_dirty(h, c);
	bcache_put(c);
	assert_int_equal(fs->jbd2->nfrozen, 2);
	ext4_handle_abort(h, -EIO);
	assert_int_equal(bcache_read(&dk->bc, FREE_BLK(0) * bs, back, 3), 3);
	assert_string_equal(back, "a1");
	assert_int_equal(bcache_read(&dk->bc, FREE_BLK(1) * bs, back, 3), 3);
	assert_string_equal(back, "b1");
	assert_null(ext4_jbd2_get(h, FREE_BLK(1), true, &err));
	assert_int_equal(err, -EIO);
	bcache_put(b);
	assert_int_equal(ext4_handle_stop(h), -EIO);
	assert_int_equal(bcache_read(&dk->bc, FREE_BLK(1) * bs, back, 3), 3);
	assert_string_equal(back, "b1");
	assert_int_equal(ext4_jbd2_close(fs), -EIO);
	assert_true(block_says(dk->bytes, FREE_BLK(0), "a1"));
	assert_true(block_says(dk->bytes, FREE_BLK(1), "b1"));
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A handle open across an abort allocates again: it fails, and hands
 * out no block the committed transaction allocated (its bitmap not yet
 * home says free on disk). Before: the allocator re-read the bitmap
 * from the disk and gave that block out again.
 */
static void test_abort_then_alloc_fails(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_op op;
	uint64_t x, y, z = 0;
	uint32_t n = 1;

	(void)state;
	assert_int_equal(ext4_op_start(&op, fs, true), 0);
	assert_int_equal(ext4_balloc(&op, 0, &x, &n), 0);
	assert_int_equal(ext4_op_stop(&op, 0), 0);
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_op_start(&op, fs, true), 0);
	n = 1;
	assert_int_equal(ext4_balloc(&op, 0, &y, &n), 0);
	assert_int_not_equal(y, x);
	assert_int_not_equal(fs->jbd2->nfrozen, 0);
	ext4_op_abort(&op, -EIO);
	n = 1;
	assert_int_equal(ext4_balloc(&op, 0, &z, &n), -EIO);
	assert_int_equal(z, 0);
	assert_int_equal(ext4_op_stop(&op, -EIO), -EIO);
	assert_int_equal(ext4_jbd2_close(fs), -EIO);
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A raw write (the block device's) over a committed block not yet home
 * leaves it the journal's: a transaction changing it again freezes it,
 * and the checkpoint that frees its log copy writes the raw bytes home
 * first. Before: the raw write made it plain, it joined unfrozen, and
 * a crash after the checkpoint lost both the commit and the raw write.
 */
static void test_raw_write_keeps_logged(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	struct bcache_buf *b;
	int err;

	(void)state;
	log_block(fs, FREE_BLK(0), "a1");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(bcache_write(&dk->bc, FREE_BLK(0) * bs, "r", 1), 1);
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	b = ext4_jbd2_get(h, FREE_BLK(0), true, &err);
	assert_non_null(b);
	assert_int_equal(fs->jbd2->nfrozen, 1);
	strcpy((char *)b->data, "a2");
	ext4_jbd2_dirty(h, b);
	bcache_put(b);
	assert_int_equal(ext4_handle_stop(h), 0);
	/* The log emptied, as make_room does, with a2 not committed. */
	assert_int_equal(jbd2_checkpoint(fs->jbd2, fs->jbd2->head), 0);
	assert_true(block_says(dk->bytes, FREE_BLK(0), "r1"));
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_jbd2_close(fs), 0);
	assert_true(block_says(dk->bytes, FREE_BLK(0), "a2"));
	ext4_unmount(fs);
	disk_free(dk);
}

/*
 * A crash now: dk's bytes replayed on another disk. Metadata block
 * meta says mtext there only with data block data saying dtext (ordered
 * mode); returns whether meta was replayed.
 */
static bool crash_keeps_order(const struct disk *dk, uint64_t meta,
			      const char *mtext, uint64_t data,
			      const char *dtext)
{
	struct disk *crash = disk_load(img);
	struct ext4_fs *fs;
	bool replayed;

	memcpy(crash->bytes, dk->bytes, IMG_SIZE);
	assert_int_equal(ext4_mount(&crash->bc, "vdb", &fs), 0);
	replayed = block_says(crash->bytes, meta, mtext);
	if (replayed)
		assert_true(block_says(crash->bytes, data, dtext));
	ext4_unmount(fs);
	disk_free(crash);
	return replayed;
}

/*
 * A commit with allocation N failing (from N on, or N alone), for each
 * N until it succeeds: when its file data cannot all be written, no
 * commit block may be, else a crash replays metadata pointing at data
 * the disk lacks. A commit that returned 0 is replayed. Before: the
 * one batch of data and log failing to allocate sent the log alone and
 * then the commit block.
 */
static void test_commit_data_enomem(void **state)
{
	extern long kernel_host_allocs_left, kernel_host_fail_one;
	struct disk *dk;
	struct ext4_fs *fs;
	int c = -ENOMEM, failed = 0;

	(void)state;
	for (long n = 0; n < 400 && (c != 0 || n % 2 == 0); n++) {
		dk = disk_load(img);
		fs = mount_rw(dk);
		log_block(fs, FREE_BLK(0), "m0");
		assert_int_equal(ext4_jbd2_commit(fs), 0); /* the log started */
		log_block(fs, FREE_BLK(1), "m1");
		assert_int_equal(bcache_write_owned(&dk->bc, FREE_BLK(2) * bs,
						    "d1", 3, 5),
				 3);
		if (n % 2)
			kernel_host_fail_one = n / 2;
		else
			kernel_host_allocs_left = n / 2;
		c = ext4_jbd2_commit(fs);
		kernel_host_allocs_left = kernel_host_fail_one = -1;
		failed += c != 0;
		if (crash_keeps_order(dk, FREE_BLK(1), "m1", FREE_BLK(2), "d1"))
			assert_int_equal(c, 0);
		else
			assert_int_not_equal(c, 0);
		ext4_jbd2_close(fs);
		ext4_unmount(fs);
		disk_free(dk);
	}
	assert_int_equal(c, 0);
	assert_true(failed > 0);
}

/*
 * A commit nobody waits for (the 5 s one, sync(2)'s) that meets a data
 * block's failed write-back keeps the error for the next fsync's
 * commit, once (before: it took the error and dropped it).
 */
static void test_background_commit_keeps_error(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	uint8_t data[4096] = "data";
	uint32_t tid;

	(void)state;
	log_block(fs, FREE_BLK(0), "meta");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	log_block(fs, FREE_BLK(1), "aged");
	assert_int_equal(bcache_write(&dk->bc, FREE_BLK(20) * bs, data, bs),
			 bs);
	dk->fail_blk = FREE_BLK(20);
	tid = fs->jbd2->tid;
	now_ns += 6ULL * 1000000000;
	ext4_jbd2_commit_aged();
	assert_int_equal(fs->jbd2->tid, tid + 1);
	dk->fail_blk = 0;
	log_block(fs, FREE_BLK(2), "fsync");
	assert_int_equal(ext4_jbd2_commit(fs), -EIO);
	log_block(fs, FREE_BLK(2), "again");
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	/* sync(2): commits, reports nothing, keeps the error. */
	log_block(fs, FREE_BLK(3), "sync");
	assert_int_equal(bcache_write(&dk->bc, FREE_BLK(20) * bs, data, bs),
			 bs);
	dk->fail_blk = FREE_BLK(20);
	assert_int_equal(ext4_jbd2_commit_all(false), 0);
	assert_int_equal(fs->jbd2->tid, tid + 4);
	dk->fail_blk = 0;
	assert_int_equal(ext4_jbd2_commit(fs), -EIO);
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	assert_int_equal(ext4_jbd2_close(fs), 0);
	ext4_unmount(fs);
	disk_free(dk);
}

/* Handles: too many credits, the 5 s commit, an I/O error's abort. */
static void test_handles_and_abort(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs = mount_rw(dk);
	struct ext4_handle *h;
	uint32_t tid;

	(void)state;
	assert_int_equal(ext4_handle_start(fs, 100000, &h), -ENOSPC);
	log_block(fs, FREE_BLK(0), "old");
	tid = fs->jbd2->tid;
	now_ns += 6ULL * 1000000000;
	log_block(fs, FREE_BLK(1), "new"); /* the old one committed first */
	assert_int_equal(fs->jbd2->tid, tid + 1);
	/* The return-to-user check: nothing before 5 s, a commit after. */
	now_ns += 4ULL * 1000000000;
	ext4_jbd2_commit_aged();
	assert_int_equal(fs->jbd2->tid, tid + 1);
	now_ns += 2ULL * 1000000000;
	ext4_jbd2_commit_aged();
	assert_int_equal(fs->jbd2->tid, tid + 2);
	log_block(fs, FREE_BLK(1), "newer");
	/* Due, but a handle is open (a nested one would deadlock): join. */
	assert_int_equal(ext4_handle_start(fs, 4, &h), 0);
	now_ns += 6ULL * 1000000000;
	log_block(fs, FREE_BLK(2), "nested");
	assert_int_equal(fs->jbd2->tid, tid + 2);
	assert_int_equal(ext4_handle_stop(h), 0);
	dk->fail_writes = true;
	nlogs = 0;
	assert_int_equal(ext4_jbd2_commit(fs), -EIO);
	assert_non_null(strstr(last_log, "journal aborted"));
	assert_int_equal(ext4_handle_start(fs, 1, &h), -EROFS);
	assert_int_equal(ext4_jbd2_commit(fs), -EIO);
	dk->fail_writes = false;
	assert_int_equal(ext4_jbd2_close(fs), -EIO);
	/*
	 * The uncommitted change never went home (the committed one did,
	 * when changed again); the flag stays for e2fsck.
	 */
	assert_false(block_says(dk->bytes, FREE_BLK(1), "newer"));
	assert_true(block_says(dk->bytes, FREE_BLK(1), "new"));
	assert_true(needs_recovery(dk->bytes));
	ext4_unmount(fs);
	disk_free(dk);
}

/* The e2fsck on path: exit status 0, else the test fails with its words. */
static void fsck_clean(const char *path)
{
	char cmd[700], out[8192];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s 2>&1; echo rc=$?", path);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	if (strstr(out, "rc=0\n") == NULL)
		fail_msg("e2fsck -fn:\n%s", out);
}

/* File i: 3000 * (i + 1) bytes of a pattern. */
static void make_file(struct ext4_fs *fs, int i)
{
	struct ext4_inode root, in;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	char name[32];
	size_t n = 3000 * (size_t)(i + 1);
	uint8_t *buf = malloc(n);

	snprintf(name, sizeof(name), "f%02d", i);
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(k * 7 + (unsigned)i);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_create(fs, &root, name, &nw, &in), 0);
	assert_int_equal(ext4_file_write(fs, &in, 0, buf, n, false), (long)n);
	free(buf);
}

/* Does path's file i hold its pattern (debugfs on the host)? */
static void host_has_file(const char *path, int i)
{
	char cmd[800];

	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'cat /f%02d' %s 2>/dev/null | cmp -s - %s/f%02d",
		 i, path, tmpdir, i);
	if (system(cmd) != 0)
		fail_msg("f%02d is not intact in %s", i, path);
}

/*
 * ext4's own writes (files made and written, one commit each, as fsync
 * would) through the real journal; the disk as a crash after each
 * commit leaves it is replayed by e2fsck: every committed file intact,
 * nothing else to fix. Then a clean unmount: e2fsck -fn finds it clean.
 */
static void test_fs_writes_survive_crash(void **state)
{
	struct disk *dk = disk_load(img);
	struct ext4_fs *fs;
	enum { FILES = 12 };

	(void)state;
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	assert_false(fs->ro);
	assert_non_null(fs->jbd2);
	for (int i = 0; i < FILES; i++) {
		char p[700];
		FILE *f;

		snprintf(p, sizeof(p), "%s/f%02d", tmpdir, i);
		f = fopen(p, "wb");
		for (size_t k = 0; k < 3000 * (size_t)(i + 1); k++)
			fputc((uint8_t)(k * 7 + (unsigned)i), f);
		fclose(f);
		make_file(fs, i);
		assert_int_equal(ext4_jbd2_commit(fs), 0);
		if (i % 4 != 3)
			continue;
		disk_save(dk, copy);
		memdisk_sh("e2fsck -fy %s >/dev/null 2>&1", copy);
		fsck_clean(copy);
		for (int k = 0; k <= i; k++)
			host_has_file(copy, k);
	}
	ext4_unmount(fs);
	disk_save(dk, copy);
	disk_free(dk);
	fsck_clean(copy);
	memdisk_sh("dumpe2fs -h %s 2>/dev/null | grep -q '^Journal start: *0$'",
		   copy);
	for (int k = 0; k < FILES; k++)
		host_has_file(copy, k);
}

/*
 * Power cuts at random device writes, with a volatile write cache (any
 * subset of the writes since the last FLUSH may be lost): the files
 * whose commit returned before the cut are intact after e2fsck's
 * replay, and e2fsck finds nothing else to fix. The ordering of data,
 * log, flushes and commit block is what this checks.
 */
static void test_power_cuts(void **state)
{
	enum { FILES = 10, ROUNDS = 6 };

	(void)state;
	srand(11);
	for (int i = 0; i < FILES; i++) {
		char p[700];
		FILE *f;

		snprintf(p, sizeof(p), "%s/f%02d", tmpdir, i);
		f = fopen(p, "wb");
		for (size_t k = 0; k < 3000 * (size_t)(i + 1); k++)
			fputc((uint8_t)(k * 7 + (unsigned)i), f);
		fclose(f);
	}
	for (int round = 0; round < ROUNDS; round++) {
		struct disk *dk = disk_load(img);
		struct ext4_fs *fs;
		int acked = -1;

		dk->volatile_cache = true;
		dk->durable = malloc(IMG_SIZE);
		memcpy(dk->durable, dk->bytes, IMG_SIZE);
		dk->crash_at = 5 + rand() % 150;
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			0);
		for (int i = 0; i < FILES && dk->crash_img == NULL; i++) {
			make_file(fs, i);
			assert_int_equal(ext4_jbd2_commit(fs), 0);
			if (dk->crash_img == NULL)
				acked = i;
		}
		if (dk->crash_img == NULL)
			disk_crash(dk);
		ext4_jbd2_close(fs);
		ext4_unmount(fs);
		/* Booted again: Kiln's recovery, then e2fsck must agree. */
		memcpy(dk->bytes, dk->crash_img, IMG_SIZE);
		disk_save(dk, copy);
		disk_free(dk);
		dk = disk_load(copy);
		assert_int_equal(ext4_mount(&dk->bc, "vdb", &fs), 0);
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		fsck_clean(copy);
		for (int k = 0; k <= acked; k++)
			host_has_file(copy, k);
	}
}

/* An optional argument: run only the tests it matches (a cmocka glob). */
/* A file of n one-block extents (written interleaved with another). */
static void write_interleaved(struct ext4_fs *fs, int n)
{
	struct ext4_inode root, a, b;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	uint8_t buf[4096];

	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_create(fs, &root, "a", &nw, &a), 0);
	assert_int_equal(ext4_create(fs, &root, "b", &nw, &b), 0);
	for (int i = 0; i < n; i++) {
		memset(buf, i, bs);
		assert_int_equal(ext4_file_write(fs, &a, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
		assert_int_equal(ext4_file_write(fs, &b, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
	}
}

/* Cut a to keep blocks and unlink b: each goes in several handles. */
static void cut_both(struct ext4_fs *fs, uint64_t keep)
{
	struct ext4_inode root, in;
	uint32_t ino;

	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_dir_lookup(fs, &root, "a", &ino), 0);
	assert_int_equal(ext4_iget(fs, ino, &in), 0);
	assert_int_equal(
		ext4_truncate(fs, &in, keep * bs, false, 1700000003, 0), 0);
	assert_int_equal(ext4_dir_lookup(fs, &root, "b", &ino), 0);
	assert_int_equal(ext4_iget(fs, ino, &in), 0);
	assert_int_equal(ext4_unlink(fs, &root, "b", &in, false, 1700000001, 0),
			 0);
	assert_int_equal(ext4_evict(fs, &in, 1700000001), 0);
}

/* The size of /a in path (debugfs). */
static uint64_t host_size_a(const char *path)
{
	char cmd[800], out[64] = { 0 };
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'stat /a' %s 2>/dev/null | "
		 "sed -n 's/.*Size: \\([0-9]*\\).*/\\1/p' | head -1",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	return strtoull(out, NULL, 10);
}

/*
 * A big truncate and a big unlink (files of 12000 one-block extents
 * over ~100 groups of 256 blocks, a 4 MiB journal) run in many
 * handles, with commits between them. Power cuts at random writes
 * during them: the next mount replays the log and finishes the cut
 * from the orphan list; e2fsck then finds nothing (free counts, i_size
 * against the extents, the list). No handle goes past its credits.
 */
static void test_truncate_power_cuts(void **state)
{
	enum { NBLK = 12000, KEEP = 300, ROUNDS = 5 };
	char filled[700];
	struct disk *dk;
	struct ext4_fs *fs;
	int w0, span, cut_short = 0;

	(void)state;
	img_size = 128 << 20;
	snprintf(filled, sizeof(filled), "%s/filled", tmpdir);
	memdisk_sh("rm -f %s && truncate -s 128M %s && mke2fs -q -F -t ext4 -b "
		   "%u -g 256 -N 2048 -O ^resize_inode -J size=4 %s",
		   filled, filled, bs, filled);
	dk = disk_load(filled);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	write_interleaved(fs, NBLK);
	ext4_unmount(fs);
	disk_save(dk, filled);
	disk_free(dk);
	/* A run without a cut: how many writes the cut makes. */
	dk = disk_load(filled);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	w0 = dk->writes;
	cut_both(fs, KEEP);
	assert_int_equal(ext4_jbd2_commit(fs), 0);
	span = dk->writes - w0;
	assert_int_equal(fs->jbd2->overdrawn, 0);
	assert_true(fs->jbd2->tid > 2); /* it did commit midway */
	ext4_unmount(fs);
	disk_save(dk, copy);
	disk_free(dk);
	fsck_clean(copy);
	assert_int_equal(host_size_a(copy), KEEP * bs);
	srand(5);
	for (int round = 0; round < ROUNDS; round++) {
		uint64_t size;

		dk = disk_load(filled);
		dk->volatile_cache = true;
		dk->durable = malloc(IMG_SIZE);
		memcpy(dk->durable, dk->bytes, IMG_SIZE);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			0);
		dk->crash_at = dk->writes + 1 + rand() % span;
		cut_both(fs, KEEP);
		assert_int_equal(ext4_jbd2_commit(fs), 0);
		if (dk->crash_img == NULL)
			disk_crash(dk);
		ext4_jbd2_close(fs);
		ext4_unmount(fs);
		memcpy(dk->bytes, dk->crash_img, IMG_SIZE);
		disk_save(dk, copy);
		disk_free(dk);
		/* Booted again: the replay, then (read-write) the orphans. */
		dk = disk_load(copy);
		assert_int_equal(ext4_mount(&dk->bc, "vdb", &fs), 0);
		cut_short += fs->last_orphan != 0;
		ext4_unmount(fs);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vdb", true, 1700000002, &fs),
			0);
		assert_int_equal(fs->last_orphan, 0);
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		fsck_clean(copy);
		size = host_size_a(copy);
		assert_true(size == KEEP * bs || size == (uint64_t)NBLK * bs);
	}
	assert_true(cut_short > 0); /* some cut was finished at mount */
	img_size = 32 << 20;
}

/* The inode at path (a/b, one level at most) into *in. */
static void lookup(struct ext4_fs *fs, const char *dir, const char *name,
		   struct ext4_inode *d, struct ext4_inode *in)
{
	uint32_t ino;

	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, d), 0);
	if (dir) {
		assert_int_equal(ext4_dir_lookup(fs, d, dir, &ino), 0);
		assert_int_equal(ext4_iget(fs, ino, d), 0);
	}
	if (name) {
		assert_int_equal(ext4_dir_lookup(fs, d, name, &ino), 0);
		assert_int_equal(ext4_iget(fs, ino, in), 0);
	}
}

/* Operation k of test_failed_ops, its lookups made before fail_at. */
static int failing_op(struct ext4_fs *fs, int k, struct disk *dk, int fail_at)
{
	struct ext4_inode fd, td, src, dst, scratch;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	int err;

	lookup(fs, "d", k == 4 ? "sub" : k == 1 ? "z" : "x", &fd, &src);
	lookup(fs, "e", k == 0 || k == 3 ? "y" : NULL, &td, &dst);
	dk->fail_read_at = dk->reads + fail_at;
	switch (k) {
	case 0: /* over a name in another directory */
		err = ext4_rename(fs, &fd, "x", &td, "y", &src, &dst, true,
				  1700000001, 0);
		break;
	case 1: /* to a new name there */
		err = ext4_rename(fs, &fd, "z", &td, "new", &src, &dst, false,
				  1700000001, 0);
		break;
	case 2:
		err = ext4_link(fs, &td, "l", &src, 1700000001, 0);
		break;
	case 3:
		err = ext4_unlink(fs, &td, "y", &dst, false, 1700000001, 0);
		break;
	case 4: /* a directory to a new parent */
		err = ext4_rename(fs, &fd, "sub", &td, "sub", &src, &dst, false,
				  1700000001, 0);
		break;
	default:
		err = ext4_create(fs, &td, "c", &nw, &scratch);
		break;
	}
	dk->fail_read_at = 0;
	return err;
}

/*
 * Renames, link, unlink and create with the Nth disk read failing
 * (EIO), for every N until one succeeds, each from the same image
 * with an empty cache: the operation fails whole or succeeds whole.
 * A failure after its first change aborts the journal, so after the
 * next mount's replay e2fsck finds nothing (before: a rename over a
 * name could drop the name and keep the old one, with wrong counts).
 */
static void test_failed_ops(void **state)
{
	char base[700];
	struct disk *dk;
	struct ext4_fs *fs;
	struct ext4_inode root, in;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	uint8_t data[3 * 4096]; /* three blocks: 3 * bs of it */

	(void)state;
	snprintf(base, sizeof(base), "%s/base", tmpdir);
	dk = disk_load(img);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	nw.mode = 040755;
	assert_int_equal(ext4_create(fs, &root, "d", &nw, &in), 0);
	assert_int_equal(ext4_create(fs, &root, "e", &nw, &in), 0);
	lookup(fs, "d", NULL, &root, NULL);
	assert_int_equal(ext4_create(fs, &root, "sub", &nw, &in), 0);
	nw.mode = 0100644;
	memset(data, 7, sizeof(data));
	assert_int_equal(ext4_create(fs, &root, "x", &nw, &in), 0);
	assert_int_equal(ext4_file_write(fs, &in, 0, data, 3 * bs, true),
			 3 * bs);
	assert_int_equal(ext4_create(fs, &root, "z", &nw, &in), 0);
	lookup(fs, "e", NULL, &root, NULL);
	assert_int_equal(ext4_create(fs, &root, "y", &nw, &in), 0);
	assert_int_equal(ext4_file_write(fs, &in, 0, data, 3 * bs, true),
			 3 * bs);
	ext4_unmount(fs);
	disk_save(dk, base);
	disk_free(dk);
	for (int k = 0; k < 6; k++) {
		int n, err = -EIO, failed = 0;

		for (n = 1; n < 60 && err < 0; n++) {
			dk = disk_load(base);
			assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true,
						       1700000000, &fs),
					 0);
			assert_int_equal(
				bcache_forget_range(&dk->bc, 0, IMG_SIZE), 0);
			err = failing_op(fs, k, dk, n);
			failed += err < 0;
			ext4_jbd2_close(fs);
			ext4_unmount(fs);
			disk_save(dk, copy);
			disk_free(dk);
			/* Booted again: the replay, the orphans, e2fsck. */
			dk = disk_load(copy);
			assert_int_equal(ext4_mount_rw(&dk->bc, "vdb", true,
						       1700000002, &fs),
					 0);
			ext4_unmount(fs);
			disk_save(dk, copy);
			disk_free(dk);
			fsck_clean(copy);
		}
		assert_int_equal(err, 0);
		assert_true(failed > 0);
	}
}

/*
 * An append with allocation N failing (ENOMEM, as when the kernel's
 * memory runs out), for every N until it succeeds, from the same image
 * with an empty cache. Bytes write() reported, followed by a commit
 * (what fsync does) that returned 0, must be in the file after the
 * next boot, and e2fsck must find nothing. Before: the inode's update
 * failing (no buffer for its inode table block) left write() saying
 * the bytes were written and the commit saying 0, while the disk kept
 * the old size (and, for a new block, an allocation nothing pointed to).
 */
static void test_write_enomem(void **state)
{
	extern long kernel_host_allocs_left;
	char base[700];
	struct disk *dk;
	struct ext4_fs *fs;
	struct ext4_inode root, in;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	uint8_t data[4096], back[4096 + 100];
	long r = -ENOMEM;
	int failed = 0;

	(void)state;
	snprintf(base, sizeof(base), "%s/base", tmpdir);
	dk = disk_load(img);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_create(fs, &root, "f", &nw, &in), 0);
	memset(data, 'a', sizeof(data));
	assert_int_equal(ext4_file_write(fs, &in, 0, data, 100, true), 100);
	ext4_unmount(fs);
	disk_save(dk, base);
	disk_free(dk);
	memset(data, 'b', sizeof(data));
	/* bs bytes at 100: the rest of block 0, then a new block. */
	for (long n = 0; n < 500 && r != (long)bs; n++) {
		int c;

		dk = disk_load(base);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			0);
		lookup(fs, NULL, "f", &root, &in);
		assert_int_equal(bcache_forget_range(&dk->bc, 0, IMG_SIZE), 0);
		kernel_host_allocs_left = n;
		r = ext4_file_write(fs, &in, 100, data, bs, true);
		kernel_host_allocs_left = -1;
		c = ext4_jbd2_commit(fs);
		failed += r < (long)bs;
		ext4_jbd2_close(fs);
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		/* Booted again: what the commit said is durable must be. */
		dk = disk_load(copy);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vdb", true, 1700000002, &fs),
			0);
		lookup(fs, NULL, "f", &root, &in);
		if (r > 0 && c == 0) {
			assert_int_equal(in.size, 100 + r);
			assert_int_equal(ext4_file_read(fs, &in, 0, back,
							100 + (size_t)r),
					 100 + r);
			assert_memory_equal(back + 100, data, (size_t)r);
		}
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		fsck_clean(copy);
	}
	assert_int_equal(r, bs);
	assert_true(failed > 0);
}

/* The fields stat shows of an inode, and where its blocks are. */
static void inode_same(const struct ext4_inode *a, const struct ext4_inode *b)
{
	assert_int_equal(a->ino, b->ino);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->blocks512, b->blocks512);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_int_equal(a->nlink, b->nlink);
	assert_int_equal(a->dtime, b->dtime);
	assert_int_equal(a->mtime, b->mtime);
	assert_int_equal(a->mtime_ns, b->mtime_ns);
	assert_int_equal(a->ctime, b->ctime);
	assert_int_equal(a->ctime_ns, b->ctime_ns);
	assert_int_equal(a->atime, b->atime);
	assert_memory_equal(a->block, b->block, sizeof(a->block));
}

enum attr_op { ATTR_CHMOD, ATTR_SHRINK, ATTR_GROW, ATTR_APPEND, ATTR_OPS };

/*
 * Operation k on *in (what the VFS shares between f's open files), the
 * way ext4_vfs_write.c calls it; *want is *in as a success leaves it.
 * Bytes written, 0, or -ERRNO.
 */
static long attr_op(struct ext4_fs *fs, int k, struct ext4_inode *in,
		    struct ext4_inode *want)
{
	static uint8_t data[2 * 4096];
	long r;

	*want = *in;
	switch (k) {
	case ATTR_CHMOD: /* chmod, chown and utimens at once */
		want->mode = 0100600;
		want->uid = 1234;
		want->gid = 99;
		want->mtime = 1700000100;
		want->ctime = 1700000101;
		return ext4_setattr(fs, in, want);
	case ATTR_SHRINK:
	case ATTR_GROW:
		r = ext4_truncate(fs, in, k == ATTR_SHRINK ? 100 : 10 * bs,
				  false, 1700000200, 7);
		want->size = k == ATTR_SHRINK ? 100 : 10 * bs;
		want->mtime = want->ctime = 1700000200;
		want->mtime_ns = want->ctime_ns = 7;
		return r;
	default: /* the VFS stamps the times first; on failure they go back */
		in->mtime = in->ctime = 1700000300;
		*want = *in;
		memset(data, 'b', sizeof(data));
		r = ext4_file_write(fs, in, in->size, data, 2 * bs, false);
		want->size += 2 * bs;
		return r;
	}
}

/*
 * Run k on f of base, the Nth allocation (enomem) or disk read failing.
 * The in-memory inode after a failure must be as before (or, for a cut
 * that went halfway with the journal running, at the new size), and
 * the next boot's disk must agree with it: stat never shows what the
 * disk does not have.
 */
static long attr_op_failing(const char *base, int k, int n, bool enomem)
{
	extern long kernel_host_allocs_left;
	struct ext4_inode root, in, orig, before, want, disk;
	static uint8_t bytes[3 * 4096 + 100];
	struct disk *dk = disk_load(base);
	uint64_t kept;
	struct ext4_fs *fs;
	long r;
	int c;

	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	lookup(fs, NULL, "f", &root, &in);
	assert_int_equal(bcache_forget_range(&dk->bc, 0, IMG_SIZE), 0);
	orig = before = in;
	if (k == ATTR_APPEND) /* the caller's times are the caller's */
		before.mtime = before.ctime = 1700000300;
	if (enomem)
		kernel_host_allocs_left = n;
	else
		dk->fail_read_at = dk->reads + n;
	r = attr_op(fs, k, &in, &want);
	kernel_host_allocs_left = -1;
	dk->fail_read_at = 0;
	if (r >= 0) {
		assert_int_equal(in.size, k == ATTR_APPEND ?
						  before.size + (uint64_t)r :
						  want.size);
		assert_int_equal(in.mode, want.mode);
		assert_int_equal(in.uid, want.uid);
		assert_int_equal(in.mtime, want.mtime);
	} else if ((k == ATTR_SHRINK || k == ATTR_GROW) &&
		   in.size != before.size) {
		assert_int_equal(in.size, want.size); /* the cut went halfway */
	} else {
		inode_same(&in, &before);
	}
	c = ext4_jbd2_commit(fs);
	/* aborted: no handle of it commits (f is small: one handle each) */
	if (c < 0 && r < 0)
		inode_same(&in, &before);
	ext4_jbd2_close(fs);
	ext4_unmount(fs);
	disk_save(dk, copy);
	disk_free(dk);
	/* Booted again: the replay, the orphans finishing a cut. */
	dk = disk_load(copy);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vdb", true, 1700000002, &fs),
			 0);
	lookup(fs, NULL, "f", &root, &disk);
	/* what the file held before, up to its size now, is still there */
	kept = disk.size < orig.size ? disk.size : orig.size;
	assert_int_equal(ext4_file_read(fs, &disk, 0, bytes, kept), kept);
	for (uint64_t i = 0; i < kept; i++)
		if (bytes[i] != 'a')
			fail_msg("byte %llu of f is %d", (unsigned long long)i,
				 bytes[i]);
	if (r < 0 && in.size == before.size) {
		inode_same(&disk, &orig);
	} else if (c == 0) {
		assert_int_equal(disk.size, in.size);
		assert_int_equal(disk.mode, in.mode);
		assert_int_equal(disk.uid, in.uid);
		assert_int_equal(disk.gid, in.gid);
		assert_int_equal(disk.mtime, in.mtime);
		assert_int_equal(disk.ctime, in.ctime);
		assert_int_equal(disk.ctime_ns, in.ctime_ns);
	}
	ext4_unmount(fs);
	disk_save(dk, copy);
	disk_free(dk);
	fsck_clean(copy);
	return r;
}

/*
 * chmod/chown/utimens, a shrinking and a growing truncate and an
 * append, with the Nth allocation failing (ENOMEM), then with the Nth
 * disk read failing (EIO), for every N until the operation succeeds.
 * Before: the in-memory inode took the new fields before the journal
 * step and kept them when it failed (stat said size N, the disk M).
 */
static void test_failed_attrs(void **state)
{
	char base[700];
	struct disk *dk;
	struct ext4_fs *fs;
	struct ext4_inode root, in;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	uint8_t data[3 * 4096 + 100];

	(void)state;
	snprintf(base, sizeof(base), "%s/base", tmpdir);
	dk = disk_load(img);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_create(fs, &root, "f", &nw, &in), 0);
	memset(data, 'a', sizeof(data));
	assert_int_equal(ext4_file_write(fs, &in, 0, data, 3 * bs + 100, true),
			 3 * bs + 100);
	ext4_unmount(fs);
	disk_save(dk, base);
	disk_free(dk);
	for (int k = 0; k < ATTR_OPS; k++) {
		for (int enomem = 0; enomem < 2; enomem++) {
			long r = -EIO, want = k == ATTR_APPEND ? 2 * bs : 0;
			int failed = 0;

			for (int n = enomem ? 0 : 1; n < 300 && r != want;
			     n++) {
				r = attr_op_failing(base, k, n, enomem);
				failed += r < 0;
			}
			assert_int_equal(r, want);
			assert_true(failed > 0);
		}
	}
}

/*
 * A cut that stops partway: f's blocks lie one in each of SPREAD
 * groups (g's fill the rest), so the cut to 100 bytes restarts its
 * handle; with the Nth allocation failing (ENOMEM, the journal runs
 * on) after a restart, the new size stands with blocks past it and f
 * on the orphan list. Then, in the same mount, a grow or a write past
 * the end (every byte past 100 reads 0: before, the tail of block 0
 * kept its old bytes, and a write left the old blocks) and a second
 * cut, or an unlink: f joins the list once only (before: it
 * joined again and the list looped), and the next mount and e2fsck
 * find the list empty and nothing leaked.
 */
static void test_partway_cut(void **state)
{
	extern long kernel_host_allocs_left;
	enum { SPREAD = 80, FILL = 255 };
	char base[700];
	struct disk *dk;
	struct ext4_fs *fs;
	struct ext4_inode root, f, g;
	struct ext4_new nw = { .mode = 0100644, .sec = 1700000000 };
	uint8_t *buf = malloc((size_t)FILL * 4096);
	int partway = 0;
	long r = -ENOMEM;

	(void)state;
	assert_non_null(buf);
	img_size = 128 << 20;
	snprintf(base, sizeof(base), "%s/base", tmpdir);
	memdisk_sh("rm -f %s && truncate -s 128M %s && mke2fs -q -F -t ext4 -b "
		   "%u -g 256 -N 2048 -O ^resize_inode -J size=4 %s",
		   base, base, bs, base);
	dk = disk_load(base);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			 0);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_create(fs, &root, "f", &nw, &f), 0);
	assert_int_equal(ext4_create(fs, &root, "g", &nw, &g), 0);
	memset(buf, 'a', (size_t)FILL * bs);
	for (int i = 0; i < SPREAD; i++) {
		assert_int_equal(ext4_file_write(fs, &f, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
		assert_int_equal(ext4_file_write(fs, &g,
						 (uint64_t)i * FILL * bs, buf,
						 (size_t)FILL * bs, false),
				 (long)FILL * bs);
	}
	ext4_unmount(fs);
	disk_save(dk, base);
	disk_free(dk);
	for (long n = 0; n < 3000 && r != 0 && partway < 6; n++) {
		struct ext4_inode disk;
		int how = partway % 3; /* 0 grow, 1 unlink, 2 write past EOF */
		struct ext4_handle *h;
		int probe;
		bool unlink = how == 1;

		dk = disk_load(base);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vda", true, 1700000000, &fs),
			0);
		lookup(fs, NULL, "f", &root, &f);
		assert_int_equal(bcache_forget_range(&dk->bc, 0, IMG_SIZE), 0);
		kernel_host_allocs_left = n;
		r = ext4_truncate(fs, &f, 100, false, 1700000100, 0);
		kernel_host_allocs_left = -1;
		/* the journal must run on (an ENOMEM in a commit ends it) */
		probe = ext4_handle_start(fs, 1, &h);
		if (probe == 0)
			assert_int_equal(ext4_handle_stop(h), 0);
		if (r == 0 || f.size != 100 || fs->ro || probe < 0 ||
		    !f.orphan) {
			ext4_jbd2_close(fs);
			ext4_unmount(fs);
			disk_free(dk);
			continue;
		}
		partway++;
		assert_int_equal(fs->last_orphan, f.ino);
		assert_true(f.orphan);
		if (unlink) {
			assert_int_equal(ext4_unlink(fs, &root, "f", &f, false,
						     1700000101, 0),
					 0);
			assert_int_equal(fs->last_orphan, f.ino);
			assert_int_equal(f.dtime, 0);
			assert_int_equal(ext4_evict(fs, &f, 1700000102), 0);
		} else {
			/* 10 bytes 'b' at 2 blocks + 5, or a grow to 2 blocks */
			uint32_t end = how == 2 ? 2 * bs + 15 : 2 * bs;

			if (how == 2)
				assert_int_equal(ext4_file_write(fs, &f,
								 2 * bs + 5,
								 "bbbbbbbbbb",
								 10, false),
						 10);
			else
				assert_int_equal(ext4_truncate(fs, &f, 2 * bs,
							       false,
							       1700000101, 0),
						 0);
			assert_int_equal(ext4_file_read(fs, &f, 0, buf, end),
					 end);
			for (uint32_t i = 0; i < end; i++)
				if (buf[i] != (i < 100	      ? 'a' :
					       i < 2 * bs + 5 ? 0 :
								'b'))
					fail_msg("byte %u of f is %d", i,
						 buf[i]);
			assert_int_equal(
				ext4_truncate(fs, &f, 50, false, 1700000102, 0),
				0);
		}
		assert_int_equal(fs->last_orphan, 0);
		assert_int_equal(ext4_jbd2_commit(fs), 0);
		ext4_jbd2_close(fs);
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		/* Booted again: nothing on the list, nothing leaked. */
		dk = disk_load(copy);
		assert_int_equal(
			ext4_mount_rw(&dk->bc, "vdb", true, 1700000002, &fs),
			0);
		assert_int_equal(fs->last_orphan, 0);
		assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
		if (!unlink) {
			lookup(fs, NULL, "f", &root, &disk);
			assert_int_equal(disk.size, 50);
		}
		ext4_unmount(fs);
		disk_save(dk, copy);
		disk_free(dk);
		fsck_clean(copy);
		memset(buf, 'a', (size_t)FILL * bs);
	}
	assert_true(partway >= 3); /* each of the three ran */
	img_size = 32 << 20;
	free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		ALL_BS(test_commit_replayed),
		ALL_BS(test_torn_commit),
		ALL_BS(test_torn_descriptor),
		ALL_BS(test_revoke),
		ALL_BS(test_wrap),
		ALL_BS(test_wrap_repinned),
		ALL_BS(test_commit_leaves_checkpoint),
		ALL_BS(test_commit_data_enomem),
		ALL_BS(test_raw_write_keeps_logged),
		ALL_BS(test_frozen_unchanged_dropped),
		ALL_BS(test_abort_reads_committed),
		ALL_BS(test_abort_then_alloc_fails),
		ALL_BS(test_background_commit_keeps_error),
		ALL_BS(test_handles_and_abort),
		ALL_BS(test_fs_writes_survive_crash),
		/* the slowest (1-4 min each): 2 KiB adds nothing 1 KiB lacks */
		ON_BS(test_power_cuts, 4k),
		ON_BS(test_power_cuts, 1k),
		ON_BS(test_truncate_power_cuts, 4k),
		ON_BS(test_truncate_power_cuts, 1k),
		ALL_BS(test_failed_ops),
		ALL_BS(test_write_enomem),
		ALL_BS(test_failed_attrs),
		ALL_BS(test_partway_cut),
	};
	int r;

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	r = cmocka_run_group_tests(tests, NULL, NULL);

	memdisk_sh("rm -rf %s", tmpdir);
	return r;
}
