/* ext4_htree_test.c - hashed directories written by Kiln on images mke2fs makes: thousands of names, unlinks and re-creates, renames, hash collisions, every hash algorithm; e2fsck -fn and debugfs are the oracles. */
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

#include "core/printk.h"
#include "core/sched.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_htree.h"
#include "fs/ext4_write.h"
#include "memdisk.h"

void printk(const char *fmt, ...)
{
	(void)fmt;
}

int sched_sleep(uint64_t deadline_ns, bool interruptible)
{
	(void)deadline_ns, (void)interruptible;
	return 0;
}

extern unsigned int ext4_stub_overdrawn, ext4_stub_aborted;

static char tmpdir[] = "/tmp/kiln-htree-XXXXXX";
static char img[600];

static int setup(void **state)
{
	(void)state;
	bcache_set_limit(512);
	if (strstr(tmpdir, "XXXXXX") != NULL)
		assert_non_null(mkdtemp(tmpdir));
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	return 0;
}

/* The first line of a shell command's output (at most size - 1 bytes). */
static void sh_line(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(out, (int)size, p) == NULL)
		out[0] = '\0';
	pclose(p);
}

/* e2fsck -fn (which checks hash order, counts and dx checksums) is silent. */
static void fsck_clean(void)
{
	char out[64];

	sh_line(out, sizeof(out), "e2fsck -fn %s >%s/fsck.out 2>&1; echo $?",
		img, tmpdir);
	if (strcmp(out, "0\n") != 0) {
		memdisk_sh("cat %s/fsck.out | head -40 >&2", tmpdir);
		fail_msg("e2fsck -fn: status %s", out);
	}
}

/* What debugfs says of directory dir: entries listed, index parsed. */
/* ls -p shows a block's first entry when deleted too (inode 0). */
static long host_count(const char *dir)
{
	char out[64];

	sh_line(out, sizeof(out),
		"debugfs -R 'ls -p /%s' %s 2>/dev/null | grep / | "
		"grep -vc '^/0/'",
		dir, img);
	return atol(out);
}

static void host_htree_ok(const char *dir, bool want_continued)
{
	char out[64];

	sh_line(out, sizeof(out),
		"debugfs -R 'htree /%s' %s 2>&1 | grep -c '^Entry #'", dir,
		img);
	assert_true(atol(out) > 1);
	if (!want_continued)
		return;
	/* A dx_entry hash with the low bit: a collision spans two leaves. */
	sh_line(out, sizeof(out),
		"debugfs -R 'htree /%s' %s 2>&1 | "
		"grep -c '^Entry #.*: Hash 0x.......[13579bdf],'",
		dir, img);
	assert_true(atol(out) > 0);
}

static void get(struct ext4_fs *fs, const char *name, struct ext4_inode *in)
{
	struct ext4_inode root;
	uint32_t ino;

	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	assert_int_equal(ext4_dir_lookup(fs, &root, name, &ino), 0);
	assert_int_equal(ext4_iget(fs, ino, in), 0);
}

static int mk(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	      uint32_t mode, uint32_t *ino)
{
	struct ext4_new nw = { .mode = mode, .sec = 1700000000 };
	struct ext4_inode out;
	int err = ext4_create(fs, dir, name, &nw, &out);

	if (err == 0)
		*ino = out.ino;
	return err;
}

static int rm(struct ext4_fs *fs, struct ext4_inode *dir, const char *name)
{
	struct ext4_inode victim;
	uint32_t ino;
	int err = ext4_dir_lookup(fs, dir, name, &ino);

	if (err == 0)
		err = ext4_iget(fs, ino, &victim);
	if (err == 0)
		err = ext4_unlink(fs, dir, name, &victim, false, 1700000001, 0);
	if (err == 0)
		err = ext4_evict(fs, &victim, 1700000001);
	return err;
}

static int lookup(struct ext4_fs *fs, const struct ext4_inode *dir,
		  const char *name, uint32_t *ino)
{
	return ext4_dir_lookup(fs, dir, name, ino);
}

/* A fresh image; hash_alg (NULL: mke2fs's half_md4), unsigned chars. */
static void new_image(const char *hash_alg, bool is_unsigned)
{
	memdisk_sh("rm -f %s && truncate -s 256M %s && mke2fs -q -F -t ext4 "
		   "-b 4096 -N 50000 %s",
		   img, img, img);
	if (hash_alg != NULL)
		memdisk_sh("tune2fs -E hash_alg=%s %s >/dev/null", hash_alg,
			   img);
	if (is_unsigned)
		memdisk_sh("debugfs -w -R 'ssv flags 2' %s 2>/dev/null", img);
}

/* Name i of a big directory (varied lengths, some high bytes). */
static int name_pad; /* long names: more leaves, hence index levels */

static void big_name(char *out, size_t size, const char *prefix, int i)
{
	static const char *tails[] = { "", "-x", "-\xc3\xa9t\xc3\xa9",
				       "-a-rather-longer-name-for-spread" };

	snprintf(out, size, "%s%05d%s%0*d", prefix, i, tails[i % 4], name_pad,
		 0);
}

/* readdir of dir lists exactly n names (besides . and ..). */
static void readdir_count(struct ext4_fs *fs, const struct ext4_inode *dir,
			  long n)
{
	struct ext4_dir_cursor cur = { 0 };
	char name[EXT4_NAME_LEN + 1];
	unsigned int type;
	uint64_t pos = 0;
	uint32_t ino;
	long seen = 0;
	int r;

	while ((r = ext4_dir_next_cur(fs, dir, &cur, &pos, name, &ino,
				      &type)) == 1)
		seen += strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	ext4_dir_cursor_drop(&cur);
	assert_int_equal(r, 0);
	assert_int_equal(seen, n);
}

/*
 * Directory dname made in parent and filled with n files that name_of
 * names (their inode numbers into inos unless NULL): linear while it
 * holds one entry, indexed by the end. *dir is the directory after.
 */
static void make_indexed_dir(struct ext4_fs *fs, struct ext4_inode *parent,
			     const char *dname, struct ext4_inode *dir, int n,
			     void (*name_of)(char *out, size_t size, int i),
			     uint32_t *inos)
{
	char name[300];
	uint32_t ino;

	assert_int_equal(mk(fs, parent, dname, 040755, &ino), 0);
	assert_int_equal(ext4_iget(fs, ino, dir), 0);
	for (int i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		assert_int_equal(
			mk(fs, dir, name, 0100644, inos ? &inos[i] : &ino), 0);
		if (i == 0)
			assert_false(dir->flags & EXT4_INDEX_FL);
	}
	assert_true(dir->flags & EXT4_INDEX_FL);
}

static void f_name(char *out, size_t size, int i)
{
	big_name(out, size, "f-", i);
}

static void n_name(char *out, size_t size, int i)
{
	snprintf(out, size, "n-%d", i);
}

/*
 * N names in a new directory (indexed once past a block), all found;
 * half unlinked and others made; e2fsck and debugfs agree throughout.
 */
static void big_dir(const char *hash_alg, bool is_unsigned, int n)
{
	struct ext4_inode root, dir;
	uint32_t *inos = calloc((size_t)n, sizeof(*inos)), ino;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char name[300];

	new_image(hash_alg, is_unsigned);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	make_indexed_dir(fs, &root, "big", &dir, n, f_name, inos);
	big_name(name, sizeof(name), "f-", n / 2);
	assert_int_equal(mk(fs, &dir, name, 0100644, &ino), -EEXIST);
	for (int i = 0; i < n; i++) {
		big_name(name, sizeof(name), "f-", i);
		assert_int_equal(lookup(fs, &dir, name, &ino), 0);
		assert_int_equal(ino, inos[i]);
	}
	assert_int_equal(lookup(fs, &dir, "f-nothing", &ino), -ENOENT);
	readdir_count(fs, &dir, n);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	assert_int_equal(host_count("big"), n + 2);
	host_htree_ok("big", false);

	/* Half go, others come, after a fresh mount. */
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	get(fs, "big", &dir);
	for (int i = 0; i < n; i += 2) {
		big_name(name, sizeof(name), "f-", i);
		assert_int_equal(rm(fs, &dir, name), 0);
	}
	for (int i = 0; i < n / 2; i++) {
		big_name(name, sizeof(name), "g-", i);
		assert_int_equal(mk(fs, &dir, name, 0100644, &ino), 0);
	}
	for (int i = 0; i < n; i++) {
		big_name(name, sizeof(name), "f-", i);
		assert_int_equal(lookup(fs, &dir, name, &ino),
				 i % 2 ? 0 : -ENOENT);
	}
	readdir_count(fs, &dir, n / 2 + n / 2);
	assert_true(dir.flags & EXT4_INDEX_FL);
	assert_int_equal(ext4_stub_overdrawn, 0);
	assert_int_equal(ext4_stub_aborted, 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	assert_int_equal(host_count("big"), n / 2 + n / 2 + 2);
	host_htree_ok("big", false);
	free(inos);
}

/* half_md4, signed chars: mke2fs's default. */
static void test_half_md4(void **state)
{
	(void)state;
	name_pad = 0;
	big_dir(NULL, false, 20000);
}

static void test_tea_unsigned(void **state)
{
	(void)state;
	name_pad = 0;
	big_dir("tea", true, 3000);
}

static void test_legacy(void **state)
{
	(void)state;
	name_pad = 0;
	big_dir("legacy", false, 3000);
}

static void test_half_md4_unsigned(void **state)
{
	(void)state;
	name_pad = 0;
	big_dir("half_md4", true, 3000);
}

/*
 * Names of ~200 bytes: a leaf holds few, so the root (507 entries)
 * fills, a level is added, and the level's nodes split.
 */
static void test_two_levels(void **state)
{
	char out[64];

	(void)state;
	name_pad = 180;
	big_dir(NULL, false, 9000);
	name_pad = 0;
	sh_line(out, sizeof(out),
		"debugfs -R 'htree /big' %s 2>&1 | grep -c 'Indirect levels: 1'",
		img);
	assert_string_equal(out, "1\n");
	sh_line(out, sizeof(out),
		"debugfs -R 'htree /big' %s 2>&1 | "
		"sed -n 's/^Number of entries (count): //p' | head -1",
		img);
	assert_true(atoi(out) >= 2); /* the root over two nodes or more */
}

struct hashed {
	uint32_t hash, i;
};

static int hashed_cmp(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/*
 * Pairs of names with one hash under fs's seed and version, found by
 * brute force over 2^22 names (about 2^44 / 2^32 = 4096 pairs, 31-bit
 * hashes): *np names into out, paired (2k and 2k+1 collide).
 */
static int collisions(struct ext4_fs *fs, char (*out)[16], int max)
{
	enum { TRIES = 1 << 22 };
	unsigned int ver = ext4_dx_version(fs, fs->def_hash_version);
	struct hashed *h = malloc(TRIES * sizeof(*h));
	char name[16];
	uint32_t minor;
	int n = 0;

	assert_non_null(h);
	for (uint32_t i = 0; i < TRIES; i++) {
		snprintf(name, sizeof(name), "c%07x", i);
		ext4_dx_hash(fs->hash_seed, ver, name, strlen(name), &h[i].hash,
			     &minor);
		h[i].i = i;
	}
	qsort(h, TRIES, sizeof(*h), hashed_cmp);
	for (uint32_t i = 0; i + 1 < TRIES && n + 2 <= max; i++)
		if (h[i].hash == h[i + 1].hash) {
			snprintf(out[n++], 16, "c%07x", h[i].i);
			snprintf(out[n++], 16, "c%07x", h[i + 1].i);
			i++;
		}
	free(h);
	return n;
}

/*
 * Thousands of colliding pairs in one directory: splits fall between
 * the two names of a pair, whose second leaf's dx_entry then has the
 * continuation bit, and lookups must follow it.
 */
static char col_names[6000][16];

static void col_name(char *out, size_t size, int i)
{
	snprintf(out, size, "%s", col_names[i]);
}

static void test_collisions(void **state)
{
	struct ext4_inode root, dir;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint32_t ino, want;
	int n;

	(void)state;
	new_image(NULL, false);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	n = collisions(fs, col_names, 6000);
	assert_true(n >= 2000);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	make_indexed_dir(fs, &root, "col", &dir, n, col_name, NULL);
	for (int i = 0; i < n; i++)
		assert_int_equal(lookup(fs, &dir, col_names[i], &ino), 0);
	/* One of each pair goes; its twin is still found, it is not. */
	for (int i = 0; i < n; i += 2) {
		assert_int_equal(lookup(fs, &dir, col_names[i + 1], &want), 0);
		assert_int_equal(rm(fs, &dir, col_names[i]), 0);
		assert_int_equal(lookup(fs, &dir, col_names[i], &ino), -ENOENT);
		assert_int_equal(lookup(fs, &dir, col_names[i + 1], &ino), 0);
		assert_int_equal(ino, want);
	}
	for (int i = 0; i < n; i += 2)
		assert_int_equal(mk(fs, &dir, col_names[i], 0100644, &ino), 0);
	readdir_count(fs, &dir, n);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	assert_int_equal(host_count("col"), n + 2);
	host_htree_ok("col", true);
}

static void name_name(char *out, size_t size, int i)
{
	snprintf(out, size, "name-%d", i);
}

static void s_name(char *out, size_t size, int i)
{
	snprintf(out, size, "s-%d", i);
}

/* rename within an indexed directory, across two, and a moved indexed directory's "..". */
static void test_rename(void **state)
{
	struct ext4_inode root, a, b, src, dst, sub;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char from[64], to[64];
	uint32_t ino;

	(void)state;
	new_image(NULL, false);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	make_indexed_dir(fs, &root, "a", &a, 3000, name_name, NULL);
	make_indexed_dir(fs, &root, "b", &b, 3000, name_name, NULL);
	make_indexed_dir(fs, &a, "sub", &sub, 1000, s_name, NULL);
	for (int i = 0; i < 3000; i += 3) {
		snprintf(from, sizeof(from), "name-%d", i);
		assert_int_equal(lookup(fs, &a, from, &ino), 0);
		assert_int_equal(ext4_iget(fs, ino, &src), 0);
		if (i % 2) { /* within a */
			snprintf(to, sizeof(to), "moved-%d", i);
			assert_int_equal(ext4_rename(fs, &a, from, &a, to, &src,
						     &dst, false, 1700000002,
						     0),
					 0);
		} else { /* into b, over b's own name-i */
			assert_int_equal(lookup(fs, &b, from, &ino), 0);
			assert_int_equal(ext4_iget(fs, ino, &dst), 0);
			assert_int_equal(ext4_rename(fs, &a, from, &b, from,
						     &src, &dst, true,
						     1700000002, 0),
					 0);
			assert_int_equal(ext4_evict(fs, &dst, 1700000002), 0);
		}
	}
	/* An indexed directory to a new parent: its root's ".." and dx_tail. */
	assert_int_equal(lookup(fs, &a, "sub", &ino), 0);
	assert_int_equal(ino, sub.ino);
	assert_int_equal(ext4_rename(fs, &a, "sub", &b, "sub", &sub, &dst,
				     false, 1700000002, 0),
			 0);
	assert_int_equal(lookup(fs, &sub, "..", &ino), 0);
	assert_int_equal(ino, b.ino);
	assert_int_equal(lookup(fs, &sub, "s-999", &ino), 0);
	assert_int_equal(lookup(fs, &a, "name-3", &ino), -ENOENT);
	assert_int_equal(lookup(fs, &a, "moved-3", &ino), 0);
	assert_int_equal(lookup(fs, &b, "name-6", &ino), 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	assert_int_equal(host_count("a"), 3000 - 500 + 2 + 0);
	assert_int_equal(host_count("b"), 3000 + 1 + 2);
	assert_int_equal(host_count("b/sub"), 1000 + 2);
}

/* A directory Linux's tools indexed (mke2fs -d, e2fsck -fD) stays indexed and right through changes. */
static void test_linux_indexed(void **state)
{
	struct ext4_inode dir;
	struct ext4_fs *fs;
	struct memdisk *dk;
	char name[64];
	uint32_t ino;

	(void)state;
	memdisk_sh("rm -rf %s/src && mkdir -p %s/src/big", tmpdir, tmpdir);
	memdisk_sh("cd %s/src/big && seq -f 'entry-%%05g' 0 4999 | xargs touch",
		   tmpdir);
	memdisk_sh("rm -f %s && truncate -s 64M %s && mke2fs -q -F -t ext4 "
		   "-b 4096 -d %s/src %s && (e2fsck -fyD %s >/dev/null 2>&1; "
		   "true)",
		   img, img, tmpdir, img, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	get(fs, "big", &dir);
	assert_true(dir.flags & EXT4_INDEX_FL);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "entry-%05d", i);
		assert_int_equal(lookup(fs, &dir, name, &ino), 0);
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(name, sizeof(name), "entry-%05d", i);
		assert_int_equal(rm(fs, &dir, name), 0);
	}
	for (int i = 0; i < 4000; i++) {
		snprintf(name, sizeof(name), "new-%d", i);
		assert_int_equal(mk(fs, &dir, name, 0100644, &ino), 0);
	}
	assert_true(dir.flags & EXT4_INDEX_FL);
	assert_int_equal(lookup(fs, &dir, "entry-04999", &ino), 0);
	assert_int_equal(lookup(fs, &dir, "entry-04998", &ino), -ENOENT);
	assert_int_equal(lookup(fs, &dir, "new-3999", &ino), 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
	assert_int_equal(host_count("big"), 2500 + 4000 + 2);
	host_htree_ok("big", false);
}

/*
 * Hostile index fields, each in a fresh copy of a 3000-name indexed
 * directory: without metadata_csum the index is read around (linear
 * lookups, and a change makes the directory linear, e2fsck clean);
 * with it, EIO. Never a fault (ASan), never a wrong answer.
 */
static void corrupt_one(bool csum, uint32_t off, uint32_t len, uint32_t val)
{
	struct ext4_inode dir;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t pblk, count;
	uint32_t ino;
	FILE *f;

	memdisk_sh("cp %s/clean-%d %s", tmpdir, csum, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	get(fs, "big", &dir);
	assert_int_equal(ext4_bmap(fs, &dir, 0, &pblk, &count), 0);
	ext4_unmount(fs);
	memdisk_free(dk);
	f = fopen(img, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)(pblk * 4096 + off), SEEK_SET), 0);
	assert_int_equal(fwrite(&val, len, 1, f), 1);
	fclose(f);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	get(fs, "big", &dir);
	if (csum) {
		assert_int_equal(lookup(fs, &dir, "n-1234", &ino), -EIO);
		/* A failed check is not remembered: checked again. */
		assert_int_equal(lookup(fs, &dir, "n-1234", &ino), -EIO);
		assert_int_equal(mk(fs, &dir, "another", 0100644, &ino), -EIO);
		ext4_unmount(fs);
		memdisk_free(dk);
		return;
	}
	for (int i = 0; i < 3000; i += 7) {
		char name[32];

		snprintf(name, sizeof(name), "n-%d", i);
		assert_int_equal(lookup(fs, &dir, name, &ino), 0);
	}
	assert_int_equal(mk(fs, &dir, "another", 0100644, &ino), 0);
	assert_int_equal(lookup(fs, &dir, "another", &ino), 0);
	ext4_unmount(fs);
	memdisk_save(dk, img);
	fsck_clean();
}

static void test_hostile_index(void **state)
{
	/* Fields of the dx_root (ext4_htree.h), and a value each. */
	static const struct {
		uint32_t off, len, val;
	} bad[] = {
		{ 0x18, 4, 1 },	     /* reserved_zero */
		{ 0x1C, 1, 9 },	     /* hash_version */
		{ 0x1D, 1, 7 },	     /* info_length */
		{ 0x1E, 1, 3 },	     /* indirect_levels */
		{ 0x20, 2, 600 },    /* limit */
		{ 0x22, 2, 0 },	     /* count */
		{ 0x22, 2, 510 },    /* count past limit */
		{ 0x24, 4, 0 },	     /* entry 0's block: the root */
		{ 0x24, 4, 99999 },  /* past the directory */
		{ 0x2C, 4, 0xffff }, /* entry 1's block */
	};

	(void)state;
	for (int csum = 0; csum < 2; csum++) {
		struct ext4_inode root, dir;
		struct ext4_fs *fs;
		struct memdisk *dk;

		memdisk_sh("rm -f %s && truncate -s 64M %s && mke2fs -q -F -t "
			   "ext4 -b 4096 %s %s",
			   img, img, csum ? "" : "-O ^metadata_csum", img);
		dk = memdisk_load(img);
		fs = memdisk_mount_rw(dk);
		assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
		make_indexed_dir(fs, &root, "big", &dir, 3000, n_name, NULL);
		ext4_unmount(fs);
		memdisk_save(dk, img);
		fsck_clean();
		memdisk_sh("cp %s %s/clean-%d", img, tmpdir, csum);
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
			corrupt_one(csum, bad[k].off, bad[k].len, bad[k].val);
	}
}

/*
 * The dx_root's checksum is checked once per read from the disk: a
 * lookup that finds the cache's copy checked skips it, but a write
 * through the cache (as to the block device) and a copy read again
 * from a changed disk are checked anew, even after a readdir read the
 * root as a leaf (which has no tail to check). The stored sum is the
 * byte changed, which nothing but the checksum check can see.
 */
static void test_checked_once_per_read(void **state)
{
	struct ext4_inode root, dir;
	struct ext4_fs *fs;
	struct memdisk *dk;
	uint64_t pblk, count, at;
	uint8_t good[4], bad[4];
	uint32_t ino;

	(void)state;
	memdisk_sh("rm -f %s && truncate -s 64M %s && mke2fs -q -F -t ext4 "
		   "-b 4096 %s",
		   img, img, img);
	dk = memdisk_load(img);
	fs = memdisk_mount_rw(dk);
	assert_int_equal(ext4_iget(fs, EXT4_ROOT_INO, &root), 0);
	make_indexed_dir(fs, &root, "big", &dir, 600, n_name, NULL);
	assert_int_equal(ext4_bmap(fs, &dir, 0, &pblk, &count), 0);
	at = pblk * 4096 + EXT4_DX_ROOT_BASE +
	     ext4_dx_limit(fs, EXT4_DX_ROOT_BASE) * 8 + 4;
	assert_int_equal(bcache_sync(&dk->bc), 0);
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), 0);
	memcpy(good, dk->bytes + at, 4);
	memcpy(bad, good, 4);
	bad[0] ^= 1;
	assert_int_equal(bcache_write(&dk->bc, at, bad, 4), 4);
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), -EIO);
	assert_int_equal(bcache_write(&dk->bc, at, good, 4), 4);
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), 0);
	assert_int_equal(bcache_sync(&dk->bc), 0);
	memcpy(dk->bytes + at, bad, 4); /* the disk changes under the cache */
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), 0); /* cached */
	assert_int_equal(bcache_invalidate(&dk->bc), 0);
	/* readdir reads the root as a leaf: that checks no dx sum */
	readdir_count(fs, &dir, 600);
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), -EIO);
	memcpy(dk->bytes + at, good, 4);
	assert_int_equal(bcache_invalidate(&dk->bc), 0);
	assert_int_equal(lookup(fs, &dir, "n-321", &ino), 0);
	ext4_unmount(fs);
	memdisk_free(dk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_half_md4, setup),
		cmocka_unit_test_setup(test_half_md4_unsigned, setup),
		cmocka_unit_test_setup(test_tea_unsigned, setup),
		cmocka_unit_test_setup(test_legacy, setup),
		cmocka_unit_test_setup(test_two_levels, setup),
		cmocka_unit_test_setup(test_collisions, setup),
		cmocka_unit_test_setup(test_rename, setup),
		cmocka_unit_test_setup(test_linux_indexed, setup),
		cmocka_unit_test_setup(test_checked_once_per_read, setup),
		cmocka_unit_test_setup(test_hostile_index, setup),
	};
	int r;

	if (getenv("KILN_TEST") != NULL) /* one test by name (a pattern) */
		cmocka_set_test_filter(getenv("KILN_TEST"));
	r = cmocka_run_group_tests(tests, NULL, NULL);

	if (getenv("KILN_KEEP") == NULL)
		memdisk_sh("rm -rf %s", tmpdir);
	return r;
}
