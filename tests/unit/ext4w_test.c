/* ext4w_test.c - ext4 written: files, extent trees, truncate, the namespace, htree directories and ENOSPC on images mke2fs makes, then e2fsck -fn and debugfs on the result. */
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
#include "ext4_bs.h"
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

extern unsigned int ext4_stub_overdrawn;

/*
 * The block size of the images mke2fs makes (-b): every test runs on
 * 4 KiB, 1 KiB and 2 KiB blocks (main); the cache then caches blocks of
 * that size, so file blocks are cache blocks.
 */
static uint32_t bs = 4096;

static char tmpdir[] = "/tmp/kiln-ext4w-XXXXXX";
static char img[600];

/* The output of a shell command (at most size - 1 bytes). */
static size_t sh_out(char *out, size_t size, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
	return n;
}

/* e2fsck -fn must find nothing at all to say. */
static void fsck_clean(void)
{
	char out[8192];

	sh_out(out, sizeof(out), "e2fsck -fn %s 2>&1; echo rc=$?", img);
	if (strstr(out, "rc=0\n") == NULL) {
		memdisk_sh("cp %s %s.bad", img,
			   img); /* kept with KILN_KEEP=1 */
		fail_msg("e2fsck -fn:\n%s", out);
	}
}

static void new_image(const char *size, const char *opts)
{
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	memdisk_sh(
		"rm -f %s && truncate -s %s %s && mke2fs -q -F -t ext4 -b %u %s "
		"%s",
		img, size, img, bs, opts, img);
}

/* *state: the block size to test with. */
static int setup(void **state)
{
	bs = *(const uint32_t *)*state;
	bcache_set_limit(256);
	/* Once: mkdtemp's random name may itself end in X. */
	if (strstr(tmpdir, "XXXXXX") != NULL)
		assert_non_null(mkdtemp(tmpdir));
	return 0;
}

/* ---- Helpers on paths ---- */

static int walk(struct ext4_fs *fs, const char *path, struct ext4_inode *in)
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

/* Split path into its directory (walked) and last name. */
static const char *parent(struct ext4_fs *fs, const char *path,
			  struct ext4_inode *dir)
{
	static char d[512];
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, dir), 0);
		return path;
	}
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	assert_int_equal(walk(fs, d, dir), 0);
	return slash + 1;
}

static int mk(struct ext4_fs *fs, const char *path, uint32_t mode,
	      const char *target, struct ext4_inode *out)
{
	struct ext4_inode dir;
	const char *name = parent(fs, path, &dir);
	struct ext4_new nw = { .mode = mode,
			       .uid = 1000,
			       .gid = 1000,
			       .sec = 1700000000,
			       .ns = 5,
			       .target = target,
			       .root = false };

	return ext4_create(fs, &dir, name, &nw, out);
}

static int rm(struct ext4_fs *fs, const char *path, bool isdir)
{
	struct ext4_inode dir, victim;
	const char *name = parent(fs, path, &dir);
	int err = walk(fs, path, &victim);

	if (err < 0)
		return err;
	err = ext4_unlink(fs, &dir, name, &victim, isdir, 1700000001, 0);
	if (err == 0 && victim.nlink == 0)
		err = ext4_evict(fs, &victim, 1700000001);
	return err;
}

static int mv(struct ext4_fs *fs, const char *from, const char *to)
{
	struct ext4_inode fdir, tdir, src, dst;
	char fname[256];
	const char *tname;
	bool has_dst;
	int err;

	strcpy(fname, parent(fs, from, &fdir));
	tname = parent(fs, to, &tdir);
	err = walk(fs, from, &src);
	if (err < 0)
		return err;
	has_dst = walk(fs, to, &dst) == 0;
	err = ext4_rename(fs, &fdir, fname,
			  tdir.ino == fdir.ino ? &fdir : &tdir, tname, &src,
			  &dst, has_dst, 1700000002, 0);
	if (err == 0 && has_dst && dst.nlink == 0)
		err = ext4_evict(fs, &dst, 1700000002);
	return err;
}

static uint8_t pat(uint64_t i, unsigned int seed)
{
	return (uint8_t)(i * 7 + seed + (i >> 11));
}

static void put(struct ext4_fs *fs, const char *path, uint64_t off, size_t n,
		unsigned int seed)
{
	struct ext4_inode in;
	uint8_t *buf = malloc(n);

	assert_int_equal(walk(fs, path, &in), 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = pat(off + i, seed);
	assert_int_equal(ext4_file_write(fs, &in, off, buf, n, false), (long)n);
	free(buf);
}

/* The file as the host's debugfs reads it from the image. */
static void host_check(const char *path, uint64_t size, unsigned int seed,
		       uint64_t hole_from, uint64_t hole_to)
{
	char cmd[800];
	FILE *p;
	uint64_t i = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /%s' %s 2>/dev/null", path,
		 img);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF) {
		uint8_t want = i >= hole_from && i < hole_to ? 0 : pat(i, seed);

		if ((uint8_t)c != want)
			fail_msg("%s: byte %llu is %d, not %d", path,
				 (unsigned long long)i, c, want);
		i++;
	}
	pclose(p);
	assert_int_equal(i, size);
}

/* File path holds size bytes, block i all (uint8_t)i (debugfs). */
static void host_check_fn(const char *path, uint64_t size)
{
	char cmd[800];
	FILE *p;
	uint64_t i = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /%s' %s 2>/dev/null", path,
		 img);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF) {
		if ((uint8_t)c != (uint8_t)(i / bs))
			fail_msg("%s: byte %llu is %d", path,
				 (unsigned long long)i, c);
		i++;
	}
	pclose(p);
	assert_int_equal(i, size);
}

/* ---- Tests ---- */

static void test_files(void **state)
{
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char buf[256];

	(void)state;
	new_image("64M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "a", 0100644, NULL, &in), 0);
	assert_int_equal(mk(fs, "a", 0100644, NULL, &in), -EEXIST);
	put(fs, "a", 0, 10000, 1);
	put(fs, "a", 3000, 2000, 1); /* overwrite in place */
	assert_int_equal(mk(fs, "d", 040755, NULL, &in), 0);
	assert_int_equal(mk(fs, "d/e", 040700, NULL, &in), 0);
	assert_int_equal(mk(fs, "d/e/f", 0100600, NULL, &in), 0);
	put(fs, "d/e/f", 0, 100000, 2);
	/* A hole of 1 MiB, then data. */
	assert_int_equal(mk(fs, "h", 0100644, NULL, &in), 0);
	put(fs, "h", 1 << 20, 5000, 3);
	assert_int_equal(walk(fs, "h", &in), 0);
	assert_int_equal(in.size, (1 << 20) + 5000);
	assert_int_equal(in.blocks512, (5000 + bs - 1) / bs * (bs / 512));
	assert_int_equal(mk(fs, "fast", 0120777, "d/e/f", &in), 0);
	assert_int_equal(mk(fs, "slow", 0120777,
			    "a/very/long/target/that/does/not/fit/in/sixty/"
			    "bytes/of/i_block/at/all",
			    &in),
			 0);
	assert_int_equal(walk(fs, "slow", &in), 0);
	assert_int_equal(ext4_readlink(fs, &in, buf, sizeof(buf)), 69);
	assert_int_equal(walk(fs, "d", &in), 0);
	assert_int_equal(in.nlink, 3);
	/* Fallocate: KEEP_SIZE past the end, then mode 0, then a write in. */
	assert_int_equal(mk(fs, "fa", 0100644, NULL, &in), 0);
	assert_int_equal(ext4_fallocate(fs, &in, 1, 0, 40960, false), 0);
	assert_int_equal(in.size, 0);
	assert_int_equal(in.blocks512, 80);
	assert_int_equal(ext4_fallocate(fs, &in, 0, 0, 20000, false), 0);
	assert_int_equal(in.size, 20000);
	assert_int_equal(ext4_fallocate(fs, &in, 2, 0, 20000, false),
			 -EOPNOTSUPP);
	put(fs, "fa", 5000, 3000, 4);
	assert_int_equal(walk(fs, "fa", &in), 0);
	{
		uint8_t got[20000];

		assert_int_equal(ext4_file_read(fs, &in, 0, got, 20000), 20000);
		for (int i = 0; i < 20000; i++)
			assert_int_equal(got[i], i >= 5000 && i < 8000 ?
							 pat((uint64_t)i, 4) :
							 0);
	}
	assert_int_equal(ext4_stub_overdrawn, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check("a", 10000, 1, 0, 0);
	host_check("d/e/f", 100000, 2, 0, 0);
	host_check("h", (1 << 20) + 5000, 3, 0, 1 << 20);
	sh_out(buf, sizeof(buf),
	       "debugfs -R 'stat /fast' %s 2>/dev/null | "
	       "grep -o 'Fast link dest: .*'",
	       img);
	assert_string_equal(buf, "Fast link dest: \"d/e/f\"\n");
}

/* Writers interleaved block by block: a depth-2 tree, then truncated. */
static void test_extent_trees(void **state)
{
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	const int nblk = 1000;
	uint8_t *blk = malloc(bs);

	(void)state;
	new_image("64M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "f0", 0100644, NULL, &in), 0);
	assert_int_equal(mk(fs, "f1", 0100644, NULL, &in), 0);
	assert_int_equal(mk(fs, "f2", 0100644, NULL, &in), 0);
	for (int i = 0; i < nblk; i++)
		for (int f = 0; f < 3; f++) {
			char name[4] = { 'f', (char)('0' + f), 0 };

			put(fs, name, (uint64_t)i * bs, bs, (unsigned int)f);
		}
	assert_int_equal(walk(fs, "f1", &in), 0);
	assert_int_equal(ext4_le16(in.block + 6), 2); /* depth */
	assert_int_equal(in.size, (uint64_t)nblk * bs);
	/* Backwards into holes: inserts before the first extent. */
	assert_int_equal(mk(fs, "back", 0100644, NULL, &in), 0);
	for (int i = 400; i >= 0; i -= 2)
		put(fs, "back", (uint64_t)i * bs, 100, 9);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check("f0", (uint64_t)nblk * bs, 0, 0, 0);
	host_check("f2", (uint64_t)nblk * bs, 2, 0, 0);

	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(walk(fs, "f0", &in), 0);
	assert_int_equal(
		ext4_truncate(fs, &in, 700 * bs + 100, false, 1700000003, 0),
		0);
	/* e2fsck below checks i_blocks, tree blocks included. */
	assert_int_equal(walk(fs, "f1", &in), 0);
	assert_int_equal(ext4_truncate(fs, &in, 0, false, 1700000003, 0), 0);
	assert_int_equal(in.blocks512, 0);
	assert_int_equal(ext4_le16(in.block + 6), 0);
	assert_int_equal(walk(fs, "f2", &in), 0);
	assert_int_equal(ext4_truncate(fs, &in, 3, false, 1700000003, 0), 0);
	assert_int_equal(ext4_truncate(fs, &in, 3 * bs, false, 1700000003, 0),
			 0);
	assert_int_equal(ext4_stub_overdrawn, 0); /* credits were enough */
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check("f0", 700 * bs + 100, 0, 0, 0);
	host_check("f2", 3 * bs, 2, 3, 3 * bs);
	free(blk);
}

static void test_namespace(void **state)
{
	struct ext4_inode in, dir;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint32_t free_before;

	(void)state;
	new_image("32M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	free_before = fs->free_inodes;
	assert_int_equal(mk(fs, "x", 040755, NULL, &in), 0);
	assert_int_equal(mk(fs, "x/y", 040755, NULL, &in), 0);
	assert_int_equal(mk(fs, "x/y/z", 0100644, NULL, &in), 0);
	put(fs, "x/y/z", 0, 5000, 5);
	assert_int_equal(mk(fs, "w", 040755, NULL, &in), 0);
	assert_int_equal(rm(fs, "x", true), -ENOTEMPTY);
	assert_int_equal(rm(fs, "x/y/z", true), -ENOTDIR);
	assert_int_equal(rm(fs, "x/y", false), -EISDIR);
	/* link: two names, nlink 2. */
	assert_int_equal(walk(fs, "x/y/z", &in), 0);
	assert_int_equal(walk(fs, "w", &dir), 0);
	assert_int_equal(ext4_link(fs, &dir, "z2", &in, 1700000003, 0), 0);
	assert_int_equal(walk(fs, "w/z2", &in), 0);
	assert_int_equal(in.nlink, 2);
	/* rename: a plain move, a replace, a directory to a new parent. */
	assert_int_equal(mv(fs, "x/y/z", "x/z"), 0);
	assert_int_equal(walk(fs, "x/y/z", &in), -ENOENT);
	assert_int_equal(mk(fs, "victim", 0100644, NULL, &in), 0);
	put(fs, "victim", 0, 9000, 6);
	assert_int_equal(mv(fs, "w/z2", "victim"), 0);
	assert_int_equal(walk(fs, "victim", &in), 0);
	assert_int_equal(in.size, 5000);
	assert_int_equal(mv(fs, "x/y", "w/y2"), 0);
	assert_int_equal(walk(fs, "x", &in), 0);
	assert_int_equal(in.nlink, 2);
	assert_int_equal(walk(fs, "w", &in), 0);
	assert_int_equal(in.nlink, 3);
	assert_int_equal(walk(fs, "w/y2/..", &in), 0);
	assert_int_equal(in.ino, dir.ino);
	/* A directory over an empty directory, then over a full one. */
	assert_int_equal(mk(fs, "e", 040755, NULL, &in), 0);
	assert_int_equal(mv(fs, "w/y2", "e"), 0);
	assert_int_equal(mv(fs, "x", "e"), 0);
	assert_int_equal(walk(fs, "e/z", &in), 0);
	assert_int_equal(mk(fs, "x", 040755, NULL, &in), 0);
	assert_int_equal(mk(fs, "x/q", 0100644, NULL, &in), 0);
	assert_int_equal(mv(fs, "w", "x"), -ENOTEMPTY);
	assert_int_equal(mv(fs, "victim", "x"), -EISDIR);
	assert_int_equal(mv(fs, "victim", "x/q"), 0);
	assert_int_equal(rm(fs, "x/q", false), 0);
	assert_int_equal(rm(fs, "x", true), 0);
	/* Many names: the root grows blocks, then loses most names. */
	for (int i = 0; i < 600; i++) {
		char name[64];

		snprintf(name, sizeof(name), "name-with-some-length-%04d", i);
		assert_int_equal(mk(fs, name, 0100644, NULL, &in), 0);
	}
	for (int i = 0; i < 600; i += 3) {
		char name[64];

		snprintf(name, sizeof(name), "name-with-some-length-%04d", i);
		assert_int_equal(rm(fs, name, false), 0);
	}
	/* Unlinked while open: on the orphan list until evicted. */
	assert_int_equal(mk(fs, "open", 0100644, NULL, &in), 0);
	put(fs, "open", 0, 50000, 7);
	assert_int_equal(walk(fs, "open", &in), 0);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &dir), 0);
	assert_int_equal(
		ext4_unlink(fs, &dir, "open", &in, false, 1700000004, 0), 0);
	assert_int_equal(fs->last_orphan, in.ino);
	assert_int_equal(ext4_stub_overdrawn, 0);
	ext4_unmount(fs); /* a crash with it open */
	memdisk_save(dk, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk); /* frees it */
	assert_int_equal(fs->last_orphan, 0);
	assert_int_equal(fs->free_inodes, free_before - 403);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check("e/z", 5000, 5, 0, 0);
}

/* A hashed directory (e2fsck -D indexes it) kept indexed through changes. */
static void test_htree(void **state)
{
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char name[64];

	(void)state;
	memdisk_sh("rm -rf %s/src && mkdir -p %s/src/big", tmpdir, tmpdir);
	memdisk_sh("cd %s/src/big && seq -f 'entry-%%05g' 0 2999 | xargs touch",
		   tmpdir);
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	memdisk_sh(
		"rm -f %s && truncate -s 32M %s && mke2fs -q -F -t ext4 -b %u "
		"-d %s/src %s && (e2fsck -fyD %s >/dev/null 2>&1; true)",
		img, img, bs, tmpdir, img, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(walk(fs, "big", &in), 0);
	assert_true(in.flags & EXT4_INDEX_FL);
	for (int i = 0; i < 3000; i += 2) {
		snprintf(name, sizeof(name), "big/entry-%05d", i);
		assert_int_equal(rm(fs, name, false), 0);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "big/new-%d", i);
		assert_int_equal(mk(fs, name, 0100644, NULL, &in), 0);
	}
	assert_int_equal(walk(fs, "big", &in), 0);
	assert_true(in.flags & EXT4_INDEX_FL);
	assert_int_equal(walk(fs, "big/entry-02999", &in), 0);
	assert_int_equal(walk(fs, "big/entry-02998", &in), -ENOENT);
	assert_int_equal(walk(fs, "big/new-499", &in), 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
}

/*
 * Two writers interleaved block by block over groups of 256 blocks:
 * each file is 20000 one-block extents spread over 160 groups, so
 * cutting one touches far more bitmaps than a handle's credits. The
 * truncate and the unlink go in steps (no handle past its credits),
 * the free counts come back exactly, e2fsck finds nothing.
 */
static void test_big_truncate(void **state)
{
	enum { NBLK = 20000 };
	struct ext4_inode in, b;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t free0;
	uint8_t *buf = malloc(bs);

	(void)state;
	new_image("256M", "-g 256 -N 4096 -O ^resize_inode");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	free0 = fs->free_blocks;
	assert_int_equal(mk(fs, "a", 0100644, NULL, &in), 0);
	assert_int_equal(mk(fs, "b", 0100644, NULL, &b), 0);
	for (int i = 0; i < NBLK; i++) {
		memset(buf, i, bs);
		assert_int_equal(ext4_file_write(fs, &in, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
		assert_int_equal(ext4_file_write(fs, &b, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
	}
	/* depth: 2, or 3 with 1 KiB blocks (84 extents a node) */
	assert_int_equal(ext4_le16(in.block + 6), bs == 1024 ? 3 : 2);
	ext4_stub_overdrawn = 0;
	/* Down to 5000 blocks and a bit, then the other file unlinked. */
	assert_int_equal(ext4_truncate(fs, &in, 5000ULL * bs + 100, false,
				       1700000003, 0),
			 0);
	assert_int_equal(in.size, 5000ULL * bs + 100);
	assert_int_equal(in.dtime, 0);
	assert_int_equal(fs->last_orphan, 0);
	assert_int_equal(rm(fs, "b", false), 0);
	assert_int_equal(walk(fs, "a", &in), 0);
	assert_int_equal(fs->free_blocks, free0 - in.blocks512 / (bs / 512));
	assert_int_equal(ext4_stub_overdrawn, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check_fn("a", 5000ULL * bs + 100);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(walk(fs, "a", &in), 0);
	assert_int_equal(ext4_truncate(fs, &in, 0, false, 1700000003, 0), 0);
	assert_int_equal(in.blocks512, 0);
	assert_int_equal(fs->free_blocks, free0);
	assert_int_equal(ext4_stub_overdrawn, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	free(buf);
}

/*
 * A write into the middle of an unwritten extent whose leaf (the
 * inode's four entries) is full, on a file system with no block left
 * for the new tree block: ENOSPC, and the extent maps what it did
 * (before, the head was cut and the rest lost: e2fsck found blocks
 * owned by nobody).
 */
static void test_convert_enospc(void **state)
{
	struct ext4_inode in, fill;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint8_t *buf = calloc(1, 1 << 20);
	uint64_t off = 0;
	uint8_t got[4096];

	(void)state;
	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "u", 0100644, NULL, &in), 0);
	assert_int_equal(ext4_fallocate(fs, &in, 1, 0, 16 * bs, false), 0);
	for (int i = 20; i <= 24; i += 2) {
		memset(buf, 0x5a, bs);
		assert_int_equal(ext4_file_write(fs, &in, (uint64_t)i * bs, buf,
						 bs, false),
				 bs);
	}
	assert_int_equal(ext4_le16(in.block + 2), 4); /* the root is full */
	assert_int_equal(mk(fs, "fill", 0100644, NULL, &fill), 0);
	memset(buf, 0, 1 << 20);
	while (ext4_file_write(fs, &fill, off, buf, 1 << 20, true) > 0)
		off = fill.size;
	memset(buf, 0x77, bs);
	assert_int_equal(ext4_file_write(fs, &in, 5 * bs, buf, bs, true),
			 -ENOSPC);
	assert_int_equal(ext4_le16(in.block + 2), 4);
	assert_int_equal(ext4_le16(in.block + 6), 0);
	assert_int_equal(ext4_file_read(fs, &in, 5 * bs, got, bs), bs);
	for (uint32_t i = 0; i < bs; i++)
		assert_int_equal(got[i], 0);
	/* Room again: the same write splits it. */
	assert_int_equal(ext4_truncate(fs, &fill, 0, true, 1700000003, 0), 0);
	assert_int_equal(ext4_file_write(fs, &in, 5 * bs, buf, bs, false), bs);
	assert_int_equal(ext4_le16(in.block + 6), 1);
	assert_int_equal(ext4_file_read(fs, &in, 5 * bs, got, bs), bs);
	assert_int_equal(got[7], 0x77);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	free(buf);
}

/*
 * Freeing blocks that are free already (a tree pointing at free
 * blocks: a corrupted image) changes no count; the op is refused with
 * a log line and -EIO, which aborts the journal.
 */
static void test_double_free(void **state)
{
	extern unsigned int ext4_stub_aborted;
	struct ext4_fs *fs;
	struct memdisk *dk;
	struct ext4_op op;
	uint64_t free0, blk;

	(void)state;
	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	free0 = fs->free_blocks;
	blk = fs->blocks_count - 10; /* free on a fresh image */
	ext4_stub_aborted = 0;
	assert_int_equal(ext4_op_start(&op, fs, true), 0);
	assert_int_equal(ext4_bfree(&op, blk - 1, 2, false), -EIO);
	assert_int_equal(ext4_op_stop(&op, -EIO), -EIO);
	assert_int_equal(fs->free_blocks, free0);
	assert_non_null(strstr(last_log, "freed twice"));
	assert_int_equal(ext4_stub_aborted, 1);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
}

/* The number dumpe2fs gives after "what" for group 0 (e.g. "Block bitmap at "). */
static uint64_t group0_block(const char *what)
{
	char out[64];

	sh_out(out, sizeof(out),
	       "dumpe2fs %s 2>/dev/null | grep -m1 '%s' | "
	       "sed 's/.*%s\\([0-9]*\\).*/\\1/'",
	       img, what, what);
	return strtoull(out, NULL, 10);
}

/* The journal's first block (inode 8's logical block 0). */
static uint64_t journal_block(void)
{
	char out[64];

	sh_out(out, sizeof(out), "debugfs -R 'bmap <8> 0' %s 2>/dev/null", img);
	return strtoull(out, NULL, 10);
}

/* Block blk of the image on the host. */
static void image_block(uint64_t blk, uint8_t *buf)
{
	FILE *f = fopen(img, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)(blk * bs), SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, bs, f), bs);
	fclose(f);
}

/*
 * One corruption, then the operations that would write through it: file
 * f's only extent (3 blocks) is pointed at target (debugfs sif on
 * i_block[5], ee_start_lo). Reading, truncating and unlinking are each
 * refused with EUCLEAN and a log line, abort their journal handle, and
 * leave target and the block bitmap as they were (the journal stub
 * writes the inode through: the real journal's abort would drop that).
 */
static void validity_case(uint64_t target, const char *why)
{
	extern unsigned int ext4_stub_aborted;
	uint64_t bb = group0_block("Block bitmap at ");
	uint8_t *was = malloc(bs), *was_bb = malloc(bs), *now = malloc(bs);
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char buf[64];

	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "f", 0100644, NULL, &in), 0);
	put(fs, "f", 0, 3 * bs, 1);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	memdisk_sh("debugfs -w -R 'sif /f block[5] %llu' %s >/dev/null 2>&1",
		   (unsigned long long)target, img);
	if (target < 16 * 1024 * 1024 / bs)
		image_block(target, was);
	image_block(bb, was_bb);

	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(walk(fs, "f", &in), 0);
	last_log[0] = '\0';
	assert_int_equal(ext4_file_read(fs, &in, 0, buf, sizeof(buf)),
			 -EUCLEAN);
	assert_non_null(strstr(last_log, why));
	assert_non_null(strstr(last_log, "kiln: ext4 vda: inode 12: extent"));
	ext4_stub_aborted = 0;
	assert_int_equal(ext4_truncate(fs, &in, bs, false, 1700000003, 0),
			 -EUCLEAN);
	assert_int_equal(ext4_stub_aborted, 1);
	assert_int_equal(walk(fs, "f", &in), 0);
	assert_int_equal(ext4_truncate(fs, &in, 0, false, 1700000003, 0),
			 -EUCLEAN);
	assert_int_equal(ext4_stub_aborted, 2);
	assert_int_equal(rm(fs, "f", false) < 0, true);
	ext4_unmount(fs);
	memdisk_save(dk, img);

	if (target < 16 * 1024 * 1024 / bs) {
		image_block(target, now);
		assert_memory_equal(was, now, bs);
	}
	image_block(bb, now);
	assert_memory_equal(was_bb, now, bs);
	free(was);
	free(was_bb);
	free(now);
}

static void test_block_validity(void **state)
{
	(void)state;
	new_image("16M", "");
	validity_case(group0_block("Block bitmap at "), "own metadata");
	new_image("16M", "");
	/* not block 0: it holds f's inode, which the stub writes through */
	validity_case(group0_block("Inode table at ") + 5, "own metadata");
	/* past the end of the 16 MiB file system */
	validity_case(16 * 1024 * 1024 / bs + 100, "outside the file system");
	/* the journal's blocks belong to the journal inode alone */
	new_image("16M", "");
	validity_case(journal_block(), "own metadata");
}

/*
 * A block bitmap that says part of the inode table is free (debugfs
 * freeb): the allocator must not hand it out for file data.
 */
static void test_bitmap_frees_metadata(void **state)
{
	extern unsigned int ext4_stub_aborted;
	uint8_t *was = malloc(bs), *now = malloc(bs);
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t itable;
	char buf[4096];
	long r = 0;

	(void)state;
	new_image("16M", "");
	itable = group0_block("Inode table at ");
	/* the table's tail: past the blocks inodes in use live in */
	memdisk_sh("debugfs -w -R 'freeb %llu 64' %s >/dev/null 2>&1",
		   (unsigned long long)(itable + 64), img);
	image_block(itable + 64, was);
	memset(buf, 0x5a, sizeof(buf));
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "f", 0100644, NULL, &in), 0);
	ext4_stub_aborted = 0;
	last_log[0] = '\0';
	for (int i = 0; i < 2048 && r >= 0; i++)
		r = ext4_file_write(fs, &in, (uint64_t)i * bs, buf, bs, false);
	assert_int_equal(r, -EUCLEAN);
	assert_non_null(strstr(last_log, "allocated blocks"));
	assert_non_null(strstr(last_log, "own metadata"));
	assert_true(ext4_stub_aborted >= 1);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	image_block(itable + 64, now);
	assert_memory_equal(was, now, bs);
	free(was);
	free(now);
}

/* The inodes "open" (the VFS's one in-memory copy each): ext4_fs.held. */
static struct ext4_inode *held_tab[2];

static struct ext4_inode *held_find(void *arg, uint32_t ino)
{
	(void)arg;
	for (int i = 0; i < 2; i++)
		if (held_tab[i] != NULL && held_tab[i]->ino == ino)
			return held_tab[i];
	return NULL;
}

enum orphan_end { CLOSE_BOTH, CRASH_BOTH, CLOSE_A_CRASH };

/*
 * a and b open, both unlinked: the list is b -> a. Closing a first
 * rewrites b's link; b's in-memory copy must get it, or writing b
 * (setattr, a write) puts the link to the freed a back and the list
 * points at a free inode (before the fix: e2fsck, and a remount
 * freeing a second time). end: how b (and a) leave the list.
 */
static void orphan_pair(enum orphan_end end)
{
	struct ext4_inode a, b, dir, disk;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t free_b;
	uint32_t free_i;
	uint8_t buf[100];

	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	fs->held = held_find;
	free_b = fs->free_blocks;
	free_i = fs->free_inodes;
	assert_int_equal(mk(fs, "a", 0100644, NULL, &a), 0);
	assert_int_equal(mk(fs, "b", 0100644, NULL, &b), 0);
	put(fs, "a", 0, 20000, 1);
	put(fs, "b", 0, 30000, 2);
	assert_int_equal(walk(fs, "a", &a), 0);
	assert_int_equal(walk(fs, "b", &b), 0);
	held_tab[0] = &a;
	held_tab[1] = &b;
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &dir), 0);
	assert_int_equal(ext4_unlink(fs, &dir, "a", &a, false, 1700000004, 0),
			 0);
	assert_int_equal(ext4_unlink(fs, &dir, "b", &b, false, 1700000004, 0),
			 0);
	assert_int_equal(fs->last_orphan, b.ino);
	assert_int_equal(b.dtime, a.ino);
	assert_int_equal(a.dtime, 0);
	if (end != CRASH_BOTH) {
		assert_int_equal(ext4_evict(fs, &a, 1700000005), 0);
		held_tab[0] = NULL;
		assert_int_equal(fs->last_orphan, b.ino);
		assert_int_equal(b.dtime, 0);
		b.mode = 0100600;
		assert_int_equal(ext4_setattr(fs, &b, &b), 0);
		memset(buf, 0x33, sizeof(buf));
		assert_int_equal(
			ext4_file_write(fs, &b, 30000, buf, sizeof(buf), false),
			(long)sizeof(buf));
		assert_int_equal(ext4_iget(fs, b.ino, &disk), 0);
		assert_int_equal(disk.dtime, 0);
	}
	if (end == CLOSE_BOTH) {
		assert_int_equal(ext4_evict(fs, &b, 1700000006), 0);
	} else { /* a crash with b (and a) open: the next mount frees them */
		ext4_unmount(fs);
		memdisk_save(dk, img);
		dk = memdisk_load(img);
		fs = memdisk_mount_rw(dk);
	}
	held_tab[0] = held_tab[1] = NULL;
	assert_int_equal(fs->last_orphan, 0);
	assert_int_equal(fs->free_blocks, free_b);
	assert_int_equal(fs->free_inodes, free_i);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
}

static void test_orphan_middle(void **state)
{
	(void)state;
	orphan_pair(CLOSE_BOTH);
	orphan_pair(CRASH_BOTH);
	orphan_pair(CLOSE_A_CRASH);
}

/* Full: ENOSPC for a user short of the reserve, root goes on. */
static void test_enospc(void **state)
{
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint8_t *buf = calloc(1, 1 << 20);
	uint64_t off = 0;
	long r;

	(void)state;
	new_image("16M", "-m 5");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "fill", 0100644, NULL, &in), 0);
	while ((r = ext4_file_write(fs, &in, off, buf, 1 << 20, false)) ==
	       1 << 20)
		off += 1 << 20;
	assert_true(r > 0); /* the last one short */
	off += (uint64_t)r;
	assert_int_equal(ext4_file_write(fs, &in, off, buf, 4096, false),
			 -ENOSPC);
	assert_int_equal(ext4_file_write(fs, &in, off, buf, 4096, true), 4096);
	off += 4096;
	assert_int_equal(in.size, off);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	free(buf);
}

/* Mounts that stay read-only, with the reason logged. */
static void test_ro_refusals(void **state)
{
	struct ext4_fs *fs;
	struct memdisk *dk;

	(void)state;
	new_image("16M", "-O ^has_journal");
	dk = memdisk_load(img);
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000009, &fs),
			 0);
	assert_true(fs->ro);
	assert_non_null(strstr(last_log, "no journal: mounted read-only"));
	ext4_unmount(fs);
	memdisk_save(dk, img);
	new_image("16M", "");
	dk = memdisk_load(img);
	dk->bc.ro = true;
	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000009, &fs),
			 0);
	assert_true(fs->ro);
	assert_non_null(strstr(last_log, "read-only"));
	ext4_unmount(fs);
	memdisk_save(dk, img);
}

/* An optional argument: run only the tests it matches (a cmocka glob). */
/*
 * A hostile image whose inode bitmap says in-use inode 12 (f) is free.
 * A create must not hand 12 out again (two files, one inode): whether
 * f is held in memory (open) or only its slot says so (links 1), it
 * fails with EIO and one line, as Linux's "doubly allocated?" does.
 */
static void test_ialloc_in_use(void **state)
{
	struct ext4_inode f, made, dir;
	struct ext4_fs *fs;
	struct memdisk *dk;

	(void)state;
	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "f", 0100644, NULL, &f), 0);
	assert_int_equal(f.ino, 12);
	put(fs, "f", 0, 5000, 1);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	memdisk_sh("debugfs -w -R 'freei <12>' %s >/dev/null 2>&1", img);

	for (int held = 1; held >= 0; held--) {
		dk = memdisk_load(img);
		fs = memdisk_mount_rw(dk);
		assert_int_equal(walk(fs, "f", &f), 0);
		held_tab[0] = held ? &f : NULL;
		fs->held = held_find;
		last_log[0] = '\0';
		assert_int_equal(mk(fs, "g", 0100644, NULL, &made), -EIO);
		assert_string_equal(
			last_log, "kiln: ext4 vda: inode 12 is in use but free "
				  "in its bitmap (doubly allocated?)\n");
		assert_int_equal(walk(fs, "g", &made), -ENOENT);
		assert_int_equal(walk(fs, "f", &made), 0);
		assert_int_equal(made.nlink, 1);
		assert_int_equal(made.size, 5000);
		held_tab[0] = NULL;
		ext4_unmount(fs);
		memdisk_free(dk);
	}
	/* the slot alone decides once it says nothing links it */
	memdisk_sh("debugfs -w -R 'sif <12> links_count 0' %s >/dev/null 2>&1",
		   img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &dir), 0);
	assert_int_equal(mk(fs, "g", 0100644, NULL, &made), 0);
	assert_int_equal(made.ino, 12);
	ext4_unmount(fs);
	memdisk_free(dk);
}

/*
 * An INODE_UNINIT group whose bg_itable_unused is small (a hostile or
 * odd image): its slots were never written, so what they hold says
 * nothing (here: one link in the first). The create takes the number
 * (before: the slot was read as written, and the create failed, EIO).
 */
static void test_ialloc_uninit(void **state)
{
	struct ext4_inode in;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char out[64], name[16];
	unsigned long itable;
	int err = 0, i;

	(void)state;
	new_image("16M", "-g 8192 -N 64");
	memdisk_sh("printf 'set_bg 1 itable_unused 30\\nset_bg 1 checksum "
		   "calc\\n' | debugfs -w -f - %s >/dev/null 2>&1",
		   img);
	sh_out(out, sizeof(out),
	       "debugfs -R show_super_stats %s 2>/dev/null | sed -n "
	       "'s/.*Group  1:.*inode table at \\([0-9]*\\).*/\\1/p'",
	       img);
	itable = strtoul(out, NULL, 10);
	assert_true(itable > 0);
	memdisk_sh("printf '\\001' | dd of=%s bs=1 seek=%lu conv=notrunc "
		   "2>/dev/null",
		   img, itable * bs + 26); /* i_links_count */
	sh_out(out, sizeof(out),
	       "debugfs -R show_super_stats %s 2>/dev/null | grep -c "
	       "'Inode not init'",
	       img);
	assert_int_equal(atoi(out), 1);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	for (i = 0; i < 40 && err == 0; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		err = mk(fs, name, 0100644, NULL, &in);
		if (err == 0 && in.ino == 33)
			break;
	}
	assert_int_equal(err, 0);
	assert_int_equal(in.ino, 33);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
}

/*
 * A create that fails after its inode was written (no block for the
 * directory to grow: ENOSPC) gives its number back with a slot that
 * says no links, so the next create takes the number again (before:
 * the slot kept one link, and ext4_ialloc refused the number as in
 * use with EIO).
 */
static void test_create_undone(void **state)
{
	struct ext4_inode in, d;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint8_t *buf = calloc(1, 1 << 20);
	char name[300];
	uint64_t off = 0;
	uint32_t freed, undone;
	int err = 0;

	(void)state;
	assert_non_null(buf);
	new_image("16M", "-m 5");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "d", 040755, NULL, &d), 0);
	assert_int_equal(mk(fs, "fill", 0100644, NULL, &in), 0);
	while (ext4_file_write(fs, &in, off, buf, 1 << 20, false) > 0)
		off += 1 << 20;
	for (int i = 0; i < 1000 && err == 0; i++) {
		snprintf(name, sizeof(name), "d/%0200d", i);
		err = mk(fs, name, 0100644, NULL, &in);
	}
	assert_int_equal(err, -ENOSPC);
	undone = in.ino;
	freed = fs->free_inodes;
	/*
	 * No extent tree to cut for a FIFO or a short symlink: the undo
	 * must not fail on it (before: EIO from the cut, the journal
	 * aborted and the file system read-only).
	 */
	assert_int_equal(mk(fs, name, 010644, NULL, &in), -ENOSPC);
	assert_int_equal(in.ino, undone);
	assert_int_equal(mk(fs, name, 0120777, "short", &in), -ENOSPC);
	assert_int_equal(in.ino, undone);
	assert_false(fs->ro);
	assert_int_equal(fs->free_inodes, freed);
	assert_int_equal(mk(fs, "again", 0100644, NULL, &in), 0);
	assert_int_equal(in.ino, undone);
	assert_int_equal(fs->free_inodes, freed - 1);
	assert_int_equal(walk(fs, name, &d), -ENOENT);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	free(buf);
}

/*
 * A fast symlink (nlink 1) on the orphan list of a crafted image, its
 * i_block[0] (target text, no map) naming another file's block: the
 * mount takes it off the list and writes no byte of that block (before
 * the fix: zeroed from the link's size to the block's end).
 */
static void test_orphan_symlink(void **state)
{
	struct ext4_inode v, ln;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t pblk, count;
	uint8_t *before = malloc(bs), *after = malloc(bs);

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(mk(fs, "victim", 0100644, NULL, &v), 0);
	put(fs, "victim", 0, bs, 3);
	assert_int_equal(mk(fs, "ln", 0120777, "abc", &ln), 0);
	assert_int_equal(walk(fs, "victim", &v), 0);
	assert_int_equal(ext4_bmap(fs, &v, 0, &pblk, &count), 0);
	assert_true(pblk != 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	memdisk_sh("debugfs -w -R 'sif <%u> block[0] %llu' %s >/dev/null 2>&1",
		   ln.ino, (unsigned long long)pblk, img);
	memdisk_sh("debugfs -w -R 'ssv last_orphan %u' %s >/dev/null 2>&1",
		   ln.ino, img);
	image_block(pblk, before);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(fs->last_orphan, 0);
	assert_int_equal(walk(fs, "ln", &ln), 0);
	assert_int_equal(ln.nlink, 1);
	assert_int_equal(ln.size, 3);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	image_block(pblk, after);
	assert_memory_equal(before, after, bs);
	host_check("victim", bs, 3, 0, 0);
	free(before);
	free(after);
}

/*
 * a, linked, is the list's tail (i_dtime 0) as a cut that stopped
 * partway leaves it; b, unlinked while open, joins it as the head
 * (b -> a). a's copy read again cannot tell it is on the list: a
 * truncate must not add it a second time (before the fix: a -> b -> a,
 * and a left on the list behind b once the cut was done).
 */
static void test_orphan_tail_reread(void **state)
{
	struct ext4_inode a, b, dir, disk;
	struct ext4_fs *fs;
	struct ext4_op op;
	struct memdisk *dk;

	(void)state;
	new_image("16M", "");
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	fs->held = held_find;
	assert_int_equal(mk(fs, "a", 0100644, NULL, &a), 0);
	assert_int_equal(mk(fs, "b", 0100644, NULL, &b), 0);
	put(fs, "a", 0, 3 * bs, 1);
	put(fs, "b", 0, 100, 2);
	assert_int_equal(walk(fs, "a", &a), 0);
	assert_int_equal(walk(fs, "b", &b), 0);
	/* a as a cut that stopped leaves it: on the list, the blocks kept */
	assert_int_equal(ext4_op_start(&op, fs, false), 0);
	assert_int_equal(ext4_orphan_add(&op, &a), 0);
	assert_int_equal(ext4_iput(&op, &a, false), 0);
	assert_int_equal(ext4_op_stop(&op, 0), 0);
	assert_int_equal(fs->last_orphan, a.ino);
	held_tab[1] = &b;
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &dir), 0);
	assert_int_equal(ext4_unlink(fs, &dir, "b", &b, false, 1700000004, 0),
			 0);
	assert_int_equal(fs->last_orphan, b.ino);
	assert_int_equal(b.dtime, a.ino);
	/* a read again: the list's tail, not its head */
	assert_int_equal(walk(fs, "a", &a), 0);
	assert_int_equal(a.dtime, 0);
	assert_int_equal(ext4_truncate(fs, &a, 100, false, 1700000005, 0), 0);
	assert_int_equal(fs->last_orphan, b.ino);
	assert_int_equal(b.dtime, 0);
	assert_int_equal(ext4_iget(fs, b.ino, &disk), 0);
	assert_int_equal(disk.dtime, 0);
	assert_int_equal(ext4_iget(fs, a.ino, &disk), 0);
	assert_int_equal(disk.dtime, 0);
	assert_int_equal(disk.size, 100);
	assert_int_equal(ext4_evict(fs, &b, 1700000006), 0);
	held_tab[1] = NULL;
	assert_int_equal(fs->last_orphan, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(fs->last_orphan, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	host_check("a", 100, 1, 0, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		ALL_BS(test_namespace),
		ALL_BS(test_files),
		ALL_BS(test_extent_trees),
		ALL_BS(test_htree),
		ALL_BS(test_enospc),
		/* the slowest (~40 s each): 2 KiB adds nothing 1 KiB lacks */
		ON_BS(test_big_truncate, 4k),
		ON_BS(test_big_truncate, 1k),
		ALL_BS(test_convert_enospc),
		ALL_BS(test_double_free),
		ALL_BS(test_block_validity),
		ALL_BS(test_bitmap_frees_metadata),
		ALL_BS(test_ro_refusals),
		ALL_BS(test_orphan_middle),
		ALL_BS(test_ialloc_in_use),
		ALL_BS(test_create_undone),
		ON_BS(test_ialloc_uninit, 1k),
		ALL_BS(test_orphan_symlink),
		ALL_BS(test_orphan_tail_reread),
	};
	int r;

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	r = cmocka_run_group_tests(tests, NULL, NULL);

	if (getenv("KILN_KEEP") == NULL)
		memdisk_sh("rm -rf %s", tmpdir);
	return r;
}
