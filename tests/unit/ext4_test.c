/* ext4_test.c - the ext4 reader against images mke2fs makes at test time (mke2fs -d), and against fuzzed copies of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/sched.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_write.h"
#include "memdisk.h"

/* ---- The kernel around the file system (allocators: kernel_host.c) ---- */

static char last_log[256];

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}

int sched_sleep(uint64_t deadline_ns, bool interruptible)
{
	(void)deadline_ns, (void)interruptible;
	return 0;
}

uint64_t clock_monotonic_ns(void)
{
	return 0;
}

uint64_t clock_realtime_ns(void)
{
	return 0;
}

/* ---- Images: a tree on the host, mke2fs -d, read back in ---- */

static char tmpdir[] = "/tmp/kiln-ext4-XXXXXX";

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 9) + (i >> 17));
}

static void write_at(const char *path, uint64_t off, size_t n)
{
	FILE *f = fopen(path, "r+b");
	uint8_t *buf = malloc(n);

	if (f == NULL)
		f = fopen(path, "w+b");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(off + i);
	assert_int_equal(fseeko(f, (off_t)off, SEEK_SET), 0);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
	free(buf);
}

#define BIG_OFF (5ULL << 30) /* past 4 GiB: size_high */
#define SLOW_TARGET                                                          \
	"a/very/long/target/that/does/not/fit/in/sixty/bytes/of/i_block/so/" \
	"it/gets/a/block"

/* The source tree every image is made from. */
static void make_tree(void)
{
	char p[512];

	assert_non_null(mkdtemp(tmpdir));
	memdisk_sh("mkdir -p %s/src/dir/sub %s/src/many", tmpdir, tmpdir);
	snprintf(p, sizeof(p), "%s/src/small", tmpdir);
	write_at(p, 0, 5);
	snprintf(p, sizeof(p), "%s/src/dir/sub/multi", tmpdir);
	write_at(p, 0, 300000);
	/* A block every other block: more extents than i_block holds. */
	snprintf(p, sizeof(p), "%s/src/frag", tmpdir);
	for (int i = 0; i < 300; i++)
		write_at(p, (uint64_t)i * 2 * 4096, 4096);
	snprintf(p, sizeof(p), "%s/src/big", tmpdir);
	write_at(p, BIG_OFF, 1000);
	for (int i = 0; i < 300; i++)
		memdisk_sh("echo %d > %s/src/many/file-%03d", i, tmpdir, i);
	memdisk_sh("ln -s small %s/src/fast", tmpdir);
	memdisk_sh("ln -s %s %s/src/slow", SLOW_TARGET, tmpdir);
	memdisk_sh("touch -d '2021-03-04 05:06:07.123456789 UTC' %s/src/small",
		   tmpdir);
	memdisk_sh("chmod 0640 %s/src/small", tmpdir);
}

static uint8_t *image;
static size_t image_size;

/* The image file at path, read into image/image_size. */
static void load_image(const char *path)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	free(image);
	image_size = 24 << 20;
	image = malloc(image_size);
	assert_int_equal(fread(image, 1, image_size, f), image_size);
	fclose(f);
}

/* mke2fs -t ext4 with opts over the tree; the image in image/image_size. */
static void make_image(const char *opts)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/img", tmpdir);
	memdisk_sh(
		"rm -f %s && truncate -s 24M %s && mke2fs -q -F -t ext4 %s -d "
		"%s/src %s",
		path, path, opts, tmpdir, path);
	/* mke2fs -d keeps whole seconds: nanoseconds and epoch bits by hand. */
	memdisk_sh(
		"debugfs -w -R 'sif /small mtime_extra %u' %s >/dev/null 2>&1",
		(123456789U << 2) | 1, path);
	load_image(path);
}

static int setup(void **state)
{
	(void)state;
	bcache_set_limit(256);
	return 0;
}

/* ---- Helpers ---- */

static int walk_path(struct ext4_fs *fs, const char *path,
		     struct ext4_inode *in)
{
	char name[256];
	int err = ext4_iget(fs, EXT4_ROOT_INO, in);

	while (err == 0 && *path) {
		size_t n = strcspn(path, "/");
		uint32_t ino;

		memcpy(name, path, n);
		name[n] = '\0';
		path += n + (path[n] == '/');
		err = ext4_dir_lookup(fs, in, name, &ino);
		if (err == 0)
			err = ext4_iget(fs, ino, in);
	}
	return err;
}

static void check_data(struct ext4_fs *fs, const char *path, uint64_t off,
		       size_t n)
{
	struct ext4_inode in;
	uint8_t *buf = malloc(n);

	assert_int_equal(walk_path(fs, path, &in), 0);
	assert_int_equal(ext4_file_read(fs, &in, off, buf, n), (long)n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern(off + i))
			fail_msg("%s byte %zu", path, (size_t)(off + i));
	free(buf);
}

/* ---- Tests against good images ---- */

static void check_tree(const char *opts)
{
	struct memdisk *dk;
	struct ext4_fs *fs;
	struct ext4_inode in;
	char buf[4096];
	uint8_t hole[8192], zero[8192] = { 0 };

	make_image(opts);
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), 0);

	assert_int_equal(walk_path(fs, "small", &in), 0);
	assert_int_equal(in.size, 5);
	assert_int_equal(in.mode, 0100640);
	assert_int_equal(in.mtime, 1614834367 + (1LL << 32));
	assert_int_equal(in.mtime_ns, 123456789);
	check_data(fs, "small", 0, 5);
	check_data(fs, "dir/sub/multi", 0, 300000);
	check_data(fs, "dir/sub/multi", 4000, 9000);

	/* frag: depth >= 1, with holes between the extents. */
	assert_int_equal(walk_path(fs, "frag", &in), 0);
	assert_true(in.flags & EXT4_EXTENTS_FL);
	assert_true(in.block[6] > 0 || in.block[7] > 0); /* eh_depth */
	for (int i = 0; i < 300; i += 37)
		check_data(fs, "frag", (uint64_t)i * 8192, 4096);
	assert_int_equal(ext4_file_read(fs, &in, 4096, hole, 4096), 4096);
	assert_memory_equal(hole, zero, 4096);
	/* All of it in one read: holes end where the next leaf begins. */
	{
		size_t size = 299 * 8192 + 4096;
		uint8_t *all = malloc(size);

		assert_int_equal(in.size, size);
		assert_int_equal(ext4_file_read(fs, &in, 0, all, size),
				 (long)size);
		for (size_t b = 0; b < size; b++) {
			size_t blk = b / 4096;
			uint8_t want = blk % 2 ? 0 :
						 pattern(blk / 2 * 8192 +
							 b % 4096);

			if (all[b] != want)
				fail_msg("frag byte %zu", b);
		}
		free(all);
	}

	assert_int_equal(walk_path(fs, "big", &in), 0);
	assert_int_equal(in.size, BIG_OFF + 1000);
	check_data(fs, "big", BIG_OFF, 1000);
	assert_int_equal(ext4_file_read(fs, &in, 1 << 20, hole, 8192), 8192);
	assert_memory_equal(hole, zero, 8192);
	assert_int_equal(ext4_file_read(fs, &in, BIG_OFF + 1000, hole, 10), 0);

	assert_int_equal(walk_path(fs, "fast", &in), 0);
	assert_int_equal(ext4_readlink(fs, &in, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "small", 5);
	assert_int_equal(walk_path(fs, "slow", &in), 0);
	assert_int_equal(ext4_readlink(fs, &in, buf, sizeof(buf)),
			 strlen(SLOW_TARGET));
	assert_memory_equal(buf, SLOW_TARGET, strlen(SLOW_TARGET));

	/* Every one of the 300 names, once, with its contents. */
	assert_int_equal(walk_path(fs, "many", &in), 0);
	{
		uint64_t pos = 0;
		uint32_t ino;
		unsigned int type;
		int seen = 0, r;
		char name[256];

		while ((r = ext4_dir_next(fs, &in, &pos, name, &ino, &type)) ==
		       1)
			if (strncmp(name, "file-", 5) == 0) {
				assert_int_equal(type, 8);
				seen++;
			}
		assert_int_equal(r, 0);
		assert_int_equal(seen, 300);
	}
	assert_int_equal(walk_path(fs, "many/file-123", &in), 0);
	assert_int_equal(ext4_file_read(fs, &in, 0, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "123\n", 4);
	assert_int_equal(walk_path(fs, "many/file-300", &in), -ENOENT);
	/* Names compare whole: no prefix, no longer name, the last one. */
	assert_int_equal(walk_path(fs, "many/file-12", &in), -ENOENT);
	assert_int_equal(walk_path(fs, "many/file-1234", &in), -ENOENT);
	assert_int_equal(walk_path(fs, "many/file-299", &in), 0);
	assert_int_equal(ext4_file_read(fs, &in, 0, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "299\n", 4);
	assert_int_equal(walk_path(fs, "small/x", &in), -ENOTDIR);
	ext4_unmount(fs);
	memdisk_free(dk);
}

static void test_default_4k(void **state)
{
	(void)state;
	check_tree("-b 4096");
}

static void test_1k_blocks(void **state)
{
	(void)state;
	check_tree("-b 1024");
}

static void test_no_csum(void **state)
{
	(void)state;
	check_tree("-b 4096 -O ^metadata_csum");
}

/* ---- Refusals ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_refusals(void **state)
{
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint8_t *sb;

	(void)state;
	make_image("-b 4096 -O ^metadata_csum");
	sb = image + 1024;
	/* An unknown incompat feature (inline_data): EINVAL, one line. */
	put32(sb + 0x60, (uint32_t)(sb[0x60] | sb[0x61] << 8 | sb[0x62] << 16 |
				    sb[0x63] << 24) |
				 0x8000);
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), -EINVAL);
	assert_non_null(strstr(last_log, "unsupported incompatible"));
	memdisk_free(dk);
	/* A journal that needs recovery, on a read-only disk. */
	put32(sb + 0x60, (uint32_t)(sb[0x60] | sb[0x61] << 8 | sb[0x62] << 16 |
				    sb[0x63] << 24) &
				 ~0x8000U);
	sb[0x60] |= 0x4;
	dk = memdisk_from(image, image_size);
	dk->bc.ro = true;
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), -EINVAL);
	assert_non_null(strstr(last_log, "needs recovery and the disk is"));
	memdisk_free(dk);
	/* Not ext4 at all. */
	memset(image, 0, 4096);
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), -EINVAL);
	memdisk_free(dk);
	/* A checksummed superblock changed by one byte. */
	make_image("-b 4096");
	image[1024 + 0x78] ^= 1; /* the volume name */
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), -EIO);
	memdisk_free(dk);
}

/*
 * A 64-bit descriptor whose inode table starts 0x7f blocks before 2^64:
 * start + table blocks wraps to a small block inside the disk, and an
 * inode of the group would be read and written there. Group 1 of a
 * 1 KiB-block image (its checksum made right again), so the mount,
 * which reads group 0's, still works.
 */
static void test_itable_wraps(void **state)
{
	char path[600];
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t blk = 0;

	(void)state;
	make_image("-b 1024 -O 64bit");
	snprintf(path, sizeof(path), "%s/img", tmpdir);
	memdisk_sh("printf 'set_bg 1 inode_table 0xffffffffffffff81\\n"
		   "set_bg 1 checksum calc\\n' | debugfs -w -f - %s "
		   ">/dev/null 2>&1",
		   path);
	load_image(path);
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), 0);
	assert_int_equal(ext4_group_itable(fs, 0, &blk), 0);
	assert_true(blk > 1 && blk < 8193);
	assert_int_equal(ext4_group_itable(fs, 1, &blk), -EIO);
	assert_int_equal(ext4_iget(fs, fs->inodes_per_group + 1, &in), -EIO);
	ext4_unmount(fs);
	memdisk_free(dk);
}

static void walk_all(struct ext4_fs *fs, uint32_t ino, int depth);

/* ---- Journal recovery: transactions debugfs logs and does not replay ---- */

static void replay(const char *jo, bool revoke)
{
	char path[600], blk[600], cmds[600], cmd[1400], buf[16];
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint8_t data[4096] = "LOGGED";
	unsigned home;
	FILE *f;

	make_image("-b 4096");
	snprintf(path, sizeof(path), "%s/img", tmpdir);
	snprintf(blk, sizeof(blk), "%s/blk", tmpdir);
	snprintf(cmds, sizeof(cmds), "%s/cmds", tmpdir);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'blocks /small' %s 2>/dev/null",
		 path);
	f = popen(cmd, "r"); /* the block holding /small */
	assert_int_equal(fscanf(f, "%u", &home), 1);
	pclose(f);
	f = fopen(blk, "wb");
	assert_int_equal(fwrite(data, 1, sizeof(data), f), sizeof(data));
	fclose(f);
	/* One transaction logs the block; another may revoke it. */
	f = fopen(cmds, "w");
	fprintf(f, "%s\njw -b %u %s\n", jo, home, blk);
	if (revoke)
		fprintf(f, "jw -r %u\n", home);
	fprintf(f, "jc\n");
	fclose(f);
	memdisk_sh("debugfs -w -f %s %s >/dev/null 2>&1", cmds, path);
	memdisk_sh("dumpe2fs -h %s 2>/dev/null | grep -q needs_recovery", path);
	f = fopen(path, "rb");
	assert_int_equal(fread(image, 1, image_size, f), image_size);
	fclose(f);
	dk = memdisk_from(image, image_size);
	assert_int_equal(ext4_mount(&dk->bc, "vda", &fs), 0);
	assert_non_null(strstr(last_log, "journal recovered"));
	assert_int_equal(walk_path(fs, "small", &in), 0);
	assert_int_equal(ext4_file_read(fs, &in, 0, buf, 5), 5);
	if (revoke)
		check_data(fs, "small", 0, 5); /* the revoke held it back */
	else
		assert_memory_equal(buf, "LOGGE", 5);
	ext4_unmount(fs);
	/* The disk as written back: log empty, e2fsck finds it clean. */
	f = fopen(path, "wb");
	assert_int_equal(fwrite(dk->bytes, 1, image_size, f), image_size);
	fclose(f);
	memdisk_free(dk);
	memdisk_sh("e2fsck -fn %s >/dev/null 2>&1", path);
	memdisk_sh("! dumpe2fs -h %s 2>/dev/null | grep -q needs_recovery",
		   path);
	if (!revoke)
		return;
	/* The same log with bytes flipped: errors, never a crash. */
	{
		uint8_t *copy = malloc(image_size);
		unsigned jblk;

		snprintf(cmd, sizeof(cmd),
			 "debugfs -R 'bmap <8> 0' %s 2>/dev/null", path);
		f = popen(cmd, "r");
		assert_int_equal(fscanf(f, "%u", &jblk), 1);
		pclose(f);
		srand(7);
		for (int round = 0; round < 80; round++) {
			memcpy(copy, image, image_size);
			for (int k = 0; k < 1 + rand() % 6; k++)
				copy[(size_t)jblk * 4096 +
				     (size_t)rand() % (5 * 4096)] ^=
					(uint8_t)(1 + rand() % 255);
			dk = memdisk_from(copy, image_size);
			if (ext4_mount(&dk->bc, "vda", &fs) == 0) {
				walk_all(fs, EXT4_ROOT_INO, 0);
				ext4_unmount(fs);
			}
			memdisk_free(dk);
		}
		free(copy);
	}
}

static void test_journal_replay(void **state)
{
	(void)state;
	replay("jo", false);
}

static void test_journal_replay_csum_v3(void **state)
{
	(void)state;
	replay("jo -c", false);
}

static void test_journal_revoke(void **state)
{
	(void)state;
	replay("jo -c", true);
}

/* ---- Fuzzed metadata: errors, never a crash (ASan watches) ---- */

/* Read everything reachable; depth-bounded against directory loops. */
static void walk_all(struct ext4_fs *fs, uint32_t ino, int depth)
{
	struct ext4_inode in;
	static uint8_t buf[65536];
	uint64_t pos = 0;
	char name[256];
	uint32_t child;
	unsigned int type;
	int n = 0;

	if (depth > 6 || ext4_iget(fs, ino, &in) < 0)
		return;
	if ((in.mode & 0170000) == 0100000) {
		for (uint64_t off = 0; off < in.size && off < (1 << 20);
		     off += sizeof(buf))
			if (ext4_file_read(fs, &in, off, buf, sizeof(buf)) < 0)
				break;
		ext4_file_read(fs, &in, in.size > 10 ? in.size - 10 : 0, buf,
			       100);
	} else if ((in.mode & 0170000) == 0120000) {
		ext4_readlink(fs, &in, (char *)buf, sizeof(buf));
	} else if ((in.mode & 0170000) == 0040000) {
		while (n++ < 400 &&
		       ext4_dir_next(fs, &in, &pos, name, &child, &type) == 1)
			if (strcmp(name, ".") && strcmp(name, ".."))
				walk_all(fs, child, depth + 1);
	}
}

static void fuzz_image(const char *opts, unsigned seed)
{
	uint8_t *copy = malloc(image_size);

	make_image(opts);
	srand(seed);
	for (int round = 0; round < 60; round++) {
		struct ext4_fs *fs;
		struct memdisk *dk;
		size_t meta = 1 << 20; /* metadata: sb, gdt, tables, dirs */

		memcpy(copy, image, image_size);
		for (int k = 0, n = 1 + rand() % 8; k < n; k++) {
			size_t at = round % 3 == 0 ?
					    1024 + (size_t)rand() % 2048 :
					    (size_t)rand() % meta;

			copy[at] ^= (uint8_t)(1 + rand() % 255);
		}
		dk = memdisk_from(copy, image_size);
		if (ext4_mount(&dk->bc, "vda", &fs) == 0) {
			walk_all(fs, EXT4_ROOT_INO, 0);
			ext4_unmount(fs);
		}
		memdisk_free(dk);
	}
	free(copy);
}

static void test_fuzz_csum(void **state)
{
	(void)state;
	fuzz_image("-b 4096", 1);
}

/* Without checksums the damage reaches the parsers themselves. */
static void test_fuzz_nocsum(void **state)
{
	(void)state;
	fuzz_image("-b 4096 -O ^metadata_csum", 2);
	fuzz_image("-b 1024 -O ^metadata_csum,^extent,^64bit", 3);
}

/*
 * ext4_bit_next_zero against a bit at a time: every start (mid-byte,
 * mid-word) and every end up to 200 bits (not multiples of 8 or 64, as
 * a last group's), over maps of full words and bytes, zeros right past
 * end (never returned), and single clear bits.
 */
static void test_bit_next_zero(void **state)
{
	static uint64_t words[4];
	uint8_t *map = (uint8_t *)words;

	(void)state;
	for (int pat = 0; pat < 6; pat++) {
		memset(words, 0xff, sizeof(words));
		if (pat == 1)
			map[9] = 0x7f; /* bit 79 */
		if (pat == 2)
			map[16] = 0xfe; /* bit 128: word-aligned */
		if (pat == 3)
			map[24] = 0xef; /* bit 196 */
		if (pat == 4)
			memset(map + 12, 0, 20); /* from bit 96 */
		if (pat == 5)
			for (int k = 0; k < 32; k++)
				map[k] = (uint8_t)(k * 37 | 0x81);
		for (uint32_t end = 0; end <= 200; end++)
			for (uint32_t i = 0; i <= end; i++) {
				uint32_t want = i;

				while (want < end &&
				       (map[want / 8] & (1U << (want % 8))))
					want++;
				assert_int_equal(
					ext4_bit_next_zero(map, i, end), want);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_next_zero),
		cmocka_unit_test(test_default_4k),
		cmocka_unit_test(test_1k_blocks),
		cmocka_unit_test(test_no_csum),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_itable_wraps),
		cmocka_unit_test(test_journal_replay),
		cmocka_unit_test(test_journal_replay_csum_v3),
		cmocka_unit_test(test_journal_revoke),
		cmocka_unit_test(test_fuzz_csum),
		cmocka_unit_test(test_fuzz_nocsum),
	};
	int r;

	make_tree();
	if (getenv("EXT4_TEST"))
		cmocka_set_test_filter(getenv("EXT4_TEST"));
	r = cmocka_run_group_tests(tests, setup, NULL);
	memdisk_sh("rm -rf %s", tmpdir);
	free(image);
	return r;
}
