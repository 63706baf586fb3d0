/* vfs_test.c - the in-memory file system hosted: nodes, path lookup, symlinks, file data, rename, xattrs, notification marks. */
/* Built with -include sys/stat.h: glibc's S_IS* macros, as UAPI hides them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>
#include <linux/fs.h>

#include "core/heap.h"
#include "core/cred.h"
#include "core/page.h"
#include "fs/notify.h"
#include "fs/procfs.h"
#include "fs/vfs.h"

/* ---- The environment the fs core expects from the kernel ---- */

static size_t live_allocs;
/* kmalloc_calls counts every call; the one numbered kmalloc_fail fails. */
static size_t kmalloc_calls, kmalloc_fail;

void *kmalloc(size_t size)
{
	void *p;

	if (++kmalloc_calls == kmalloc_fail)
		return NULL;
	p = size ? malloc(size) : NULL;

	live_allocs += p != NULL;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	live_allocs -= p != NULL;
	free(p);
}

/* The console's lines, appended (devfs.c says what it could not make). */
static char printk_log[1024];

void printk(const char *fmt, ...)
{
	size_t n = strlen(printk_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(printk_log + n, sizeof(printk_log) - n, fmt, ap);
	va_end(ap);
}

/* devfs.c's neighbours: plain nodes where theirs would be. */
void random_bytes(void *buf, size_t n)
{
	memset(buf, 4, n);
}

int devfs_console(struct vnode *dev, struct vnode **out)
{
	return vfs_create(dev, "console", S_IFCHR | 0600, out);
}

int devfs_tty(struct vnode *dev)
{
	return vfs_create(dev, "tty", S_IFCHR | 0666, NULL);
}

int blkdev_devfs(struct vnode *dev)
{
	int err = vfs_create(dev, "vda", S_IFBLK | 0660, NULL);

	return err == -EEXIST ? 0 : err; /* as blkdev.c: there already */
}

/* procfs.c's files of the whole system, empty here. */
#define PROCFS_GEN_STUB(name)               \
	size_t name(char *buf, size_t size) \
	{                                   \
		(void)buf, (void)size;      \
		return 0;                   \
	}
PROCFS_GEN_STUB(procfs_cpuinfo)
PROCFS_GEN_STUB(procfs_meminfo)
PROCFS_GEN_STUB(procfs_uptime)
PROCFS_GEN_STUB(procfs_version)
PROCFS_GEN_STUB(procfs_mounts)
PROCFS_GEN_STUB(procfs_filesystems)
PROCFS_GEN_STUB(procfs_loadavg)
PROCFS_GEN_STUB(procfs_stat)
PROCFS_GEN_STUB(procfs_partitions)

uint64_t clock_realtime_ns(void)
{
	return 1700000000ULL * 1000000000ULL;
}

/* Pages for file data; free_pages says how many tmpfs may see as free. */
static size_t free_pages = 1 << 20, live_pages;

void *page_alloc_zero(size_t n)
{
	void *p = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);

	if (p != NULL) {
		memset(p, 0, n * PAGE_SIZE);
		live_pages += n;
		free_pages -= n;
	}
	return p;
}

void page_free(void *p, size_t n)
{
	live_pages -= n;
	free_pages += n;
	free(p);
}

size_t page_free_count(void)
{
	return free_pages;
}

/* Extra holders of pages (the page cache's callers), by address. */
static struct {
	void *page;
	unsigned int extra;
} page_held[16];

/* The entry for p (NULL: a free entry), or -1. */
static int held_slot(const void *p)
{
	for (int i = 0; i < 16; i++)
		if (page_held[i].page == p)
			return i;
	return -1;
}

/* Pages held for the whole run (page_add_fixed): the archive's. */
static const char *fixed_start, *fixed_end;

bool page_fixed(const void *p)
{
	const char *c = p;

	return (uintptr_t)c % PAGE_SIZE == 0 && c >= fixed_start &&
	       c < fixed_end;
}

void page_get(void *p)
{
	int i;

	if (page_fixed(p))
		return;
	i = held_slot(p);

	if (i < 0) {
		i = held_slot(NULL);
		assert_true(i >= 0);
		page_held[i].page = p;
	}
	page_held[i].extra++;
}

/* Nothing here caches pages it could read again. */
size_t page_reclaim(size_t want)
{
	(void)want;
	return 0;
}

uint32_t page_refs(const void *p)
{
	int i = held_slot(p);

	return i < 0 ? 1 : 1 + page_held[i].extra;
}

bool page_put(void *p)
{
	int i;

	if (page_fixed(p))
		return false;
	i = held_slot(p);

	if (i >= 0) {
		if (--page_held[i].extra == 0)
			page_held[i].page = NULL;
		return false;
	}
	page_free(p, 1);
	return true;
}

/* ---- Helpers ---- */

static struct vnode *node(const char *path, unsigned int flags)
{
	struct vnode *vn = NULL;
	int err = vfs_resolve(vfs_root(), path, flags, &vn);

	if (err < 0)
		return NULL;
	vnode_put(vn); /* tests only compare and inspect: the tree keeps it */
	return vn;
}

static int lookup_err(const char *path, unsigned int flags)
{
	struct vnode *vn;
	int err = vfs_resolve(vfs_root(), path, flags, &vn);

	if (err == 0)
		vnode_put(vn);
	return err;
}

static struct vnode *mkdir_at(const char *parent, const char *name)
{
	struct vnode *dir = node(parent, 0), *vn;

	assert_non_null(dir);
	assert_int_equal(vfs_create(dir, name, S_IFDIR | 0755, &vn), 0);
	vnode_put(vn);
	return vn;
}

static struct vnode *mkfile_at(const char *parent, const char *name,
			       const char *text)
{
	struct vnode *dir = node(parent, 0), *vn;

	assert_non_null(dir);
	assert_int_equal(vfs_create(dir, name, S_IFREG | 0644, &vn), 0);
	if (text != NULL)
		assert_int_equal(tmpfs_write(vn, text, strlen(text), 0),
				 (long)strlen(text));
	vnode_put(vn);
	return vn;
}

static int setup_tree(void **state)
{
	(void)state;
	assert_non_null(vfs_root());
	mkdir_at("/", "a");
	mkdir_at("/a", "b");
	mkfile_at("/a/b", "f", "hello");
	assert_int_equal(vfs_symlink(node("/a", 0), "rel", "b/f"), 0);
	assert_int_equal(vfs_symlink(node("/", 0), "abs", "/a/b"), 0);
	assert_int_equal(vfs_symlink(node("/", 0), "loop1", "loop2"), 0);
	assert_int_equal(vfs_symlink(node("/", 0), "loop2", "loop1"), 0);
	assert_int_equal(vfs_symlink(node("/", 0), "dangling", "/a/new"), 0);
	return 0;
}

/* ---- Tests ---- */

static void test_lookup_basic(void **state)
{
	struct vnode *f = node("/a/b/f", 0);

	(void)state;
	assert_non_null(f);
	assert_ptr_equal(node("a/./b/../b/f", 0), f);
	assert_ptr_equal(node("//a///b//f", 0), f);
	assert_ptr_equal(node("/../../a/b/f", 0), f);
	assert_ptr_equal(node("/", 0), vfs_root());
	assert_int_equal(lookup_err("/a/x/f", 0), -ENOENT);
	assert_int_equal(lookup_err("/a/b/f/", 0), -ENOTDIR);
	assert_int_equal(lookup_err("/a/b/f/x", 0), -ENOTDIR);
	assert_int_equal(lookup_err("/a/b/f", LOOKUP_DIRECTORY), -ENOTDIR);
	assert_int_equal(lookup_err("", 0), -ENOENT);
	assert_int_equal(lookup_err("/a/b/", LOOKUP_DIRECTORY), 0);
}

static void test_lookup_limits(void **state)
{
	char name[300], path[5000];

	(void)state;
	memset(name, 'n', 256);
	name[256] = '\0';
	assert_int_equal(lookup_err(name, 0), -ENAMETOOLONG);
	name[255] = '\0';
	assert_int_equal(lookup_err(name, 0), -ENOENT);
	memset(path, '/', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(lookup_err(path, 0), -ENAMETOOLONG);
	path[4095] = '\0';
	assert_int_equal(lookup_err(path, 0), 0);
}

static void test_symlinks(void **state)
{
	struct lookup lk;
	struct vnode *f = node("/a/b/f", 0);

	(void)state;
	assert_ptr_equal(node("/a/rel", 0), f);
	assert_ptr_equal(node("/abs/f", 0), f);
	assert_ptr_equal(node("/abs/../b/f", 0), f);
	assert_true(S_ISLNK(node("/a/rel", LOOKUP_NOFOLLOW)->mode));
	assert_true(S_ISDIR(node("/abs/", LOOKUP_NOFOLLOW)->mode));
	assert_int_equal(lookup_err("/loop1", 0), -ELOOP);
	assert_int_equal(lookup_err("/loop1/x", 0), -ELOOP);
	assert_int_equal(lookup_err("/loop1", LOOKUP_NOFOLLOW), 0);
	/* A dangling link names where O_CREAT would create its target. */
	assert_int_equal(vfs_lookup(vfs_root(), "/dangling", 0, &lk), 0);
	assert_null(lk.node);
	assert_ptr_equal(lk.dir, node("/a", 0));
	assert_string_equal(lk.name, "new");
	lookup_done(&lk);
}

static void test_symlink_depth(void **state)
{
	char name[16], target[16];
	int i;

	(void)state;
	mkdir_at("/", "chain");
	for (i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(target, sizeof(target), i == 0 ? "/a" : "l%d", i - 1);
		assert_int_equal(vfs_symlink(node("/chain", 0), name, target),
				 0);
	}
	assert_ptr_equal(node("/chain/l39", 0), node("/a", 0)); /* 40 links */
	assert_int_equal(lookup_err("/chain/l40", 0), -ELOOP);	/* 41 */
}

static void test_paths(void **state)
{
	char buf[64];
	struct lookup lk;

	(void)state;
	assert_int_equal(vfs_dir_path(node("/a/b", 0), buf, sizeof(buf)), 4);
	assert_string_equal(buf, "/a/b");
	assert_int_equal(vfs_dir_path(vfs_root(), buf, sizeof(buf)), 1);
	assert_string_equal(buf, "/");
	assert_int_equal(vfs_dir_path(node("/a/b", 0), buf, 4), -ENAMETOOLONG);
	assert_int_equal(vfs_lookup(vfs_root(), "/a/rel", 0, &lk), 0);
	assert_int_equal(lookup_path(&lk, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "/a/b/f");
	lookup_done(&lk);
}

static void test_nlink(void **state)
{
	struct vnode *a = node("/a", 0), *d;
	uint32_t before = a->nlink;

	(void)state;
	d = mkdir_at("/a", "sub");
	assert_int_equal(d->nlink, 2);
	assert_int_equal(a->nlink, before + 1);
	assert_int_equal(vfs_dir_link(a, "sub", d), -EEXIST);
	assert_int_equal(vfs_dir_unlink(a, "sub"), 0);
	assert_int_equal(a->nlink, before);
	assert_null(node("/a/sub", 0));
}

static void test_file_data(void **state)
{
	struct vnode *f = mkfile_at("/", "data", NULL);
	char buf[32];

	(void)state;
	assert_int_equal(tmpfs_write(f, "xy", 2, 10), 2);
	assert_int_equal(f->reg.size, 12);
	assert_int_equal(tmpfs_read(f, buf, sizeof(buf), 0), 12);
	assert_memory_equal(buf, "\0\0\0\0\0\0\0\0\0\0xy", 12);
	assert_int_equal(tmpfs_read(f, buf, sizeof(buf), 12), 0);
	assert_int_equal(tmpfs_truncate(f, 4), 0);
	assert_int_equal(tmpfs_truncate(f, 1UL << 30),
			 0); /* sparse: no memory */
	assert_true(tmpfs_allocated(f) < 1UL << 20);
	assert_int_equal(tmpfs_read(f, buf, 4, (1UL << 30) - 4), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(tmpfs_truncate(f, 0), 0);
	assert_int_equal(tmpfs_write(f, "abc", 3, 0), 3);
	assert_int_equal(tmpfs_truncate(f, 1), 0);
	assert_int_equal(tmpfs_truncate(f, 3), 0);
	assert_int_equal(tmpfs_read(f, buf, 3, 0), 3);
	assert_memory_equal(buf, "a\0\0", 3); /* no stale bytes come back */
}

static void test_borrowed_data(void **state)
{
	static const char archive[] = "read-only archive bytes";
	struct vnode *f = mkfile_at("/", "ro", NULL);
	char buf[64];

	(void)state;
	tmpfs_borrow(f, archive, sizeof(archive) - 1);
	assert_int_equal(tmpfs_read(f, buf, 9, 0), 9);
	assert_memory_equal(buf, "read-only", 9);
	assert_int_equal(tmpfs_write(f, "READ", 4, 0), 4);
	assert_string_equal(archive, "read-only archive bytes");
	assert_int_equal(tmpfs_read(f, buf, sizeof(buf), 0), 23);
	assert_memory_equal(buf, "READ-only archive bytes", 23);
}

/*
 * The page cache: a borrowed file makes just the page asked for, from the
 * archive; that page is the file's data from then on (a store into it is
 * what read sees, a write lands in it); truncation drops the cache's hold
 * but not the caller's.
 */
static void test_page_cache(void **state)
{
	static char archive[3 * PAGE_SIZE + 100];
	struct vnode *f = mkfile_at("/", "lib.so", NULL);
	size_t before = live_pages;
	char buf[8], *p, *q;

	(void)state;
	for (size_t i = 0; i < sizeof(archive); i++)
		archive[i] = (char)('a' + i % 26);
	tmpfs_borrow(f, archive, sizeof(archive));
	p = tmpfs_page_get(f, 2);
	assert_non_null(p);
	/* One data page and the one node above it, nothing else. */
	assert_int_equal(live_pages, before + 2);
	assert_int_equal(f->reg.npages, 1);
	assert_memory_equal(p, archive + 2 * PAGE_SIZE, PAGE_SIZE);
	assert_ptr_equal(tmpfs_page_get(f, 2), p); /* the same page again */
	page_put(p);
	p[0] = '#';
	assert_int_equal(tmpfs_read(f, buf, 2, 2 * PAGE_SIZE), 2);
	assert_memory_equal(buf, "#", 1);
	assert_int_equal(archive[2 * PAGE_SIZE], 'a' + 2 * PAGE_SIZE % 26);
	/* The last page: the archive's 100 bytes, then zeros. */
	q = tmpfs_page_get(f, 3);
	assert_int_equal(q[99], archive[3 * PAGE_SIZE + 99]);
	assert_int_equal(q[100], 0);
	/* A write makes the rest of the file; the cache's pages stay. */
	assert_int_equal(tmpfs_write(f, "W", 1, 2 * PAGE_SIZE + 1), 1);
	assert_false(f->reg.borrowed);
	assert_int_equal(f->reg.npages, 4);
	assert_ptr_equal(tmpfs_page_get(f, 2), p);
	page_put(p);
	assert_memory_equal(p, "#W", 2);
	assert_int_equal(tmpfs_read(f, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'a');
	/*
	 * Bytes a holder stored past the end (a shared mapping's last page)
	 * are not the file's: growing it, by truncate or by a write past
	 * the end, shows zeros there.
	 */
	assert_int_equal(tmpfs_truncate(f, 2 * PAGE_SIZE + 10), 0);
	memcpy(p + 10, "stale", 5);
	memcpy(p + 100, "stale", 5);
	assert_int_equal(tmpfs_truncate(f, 2 * PAGE_SIZE + 20), 0);
	assert_int_equal(tmpfs_write(f, "w", 1, 2 * PAGE_SIZE + 200), 1);
	assert_int_equal(tmpfs_read(f, buf, 5, 2 * PAGE_SIZE + 10), 5);
	assert_memory_equal(buf, "\0\0\0\0\0", 5);
	assert_int_equal(tmpfs_read(f, buf, 5, 2 * PAGE_SIZE + 100), 5);
	assert_memory_equal(buf, "\0\0\0\0\0", 5);
	/* Truncated away: the file lets go, the holder keeps its page. */
	assert_int_equal(tmpfs_truncate(f, PAGE_SIZE), 0);
	assert_int_equal(f->reg.npages, 1);
	assert_int_equal(q[0], archive[3 * PAGE_SIZE]);
	assert_memory_equal(p, "#W", 2);
	assert_true(page_put(q));
	assert_true(page_put(p));
	assert_int_equal(tmpfs_truncate(f, 0), 0);
	tmpfs_free(f);
	assert_int_equal(live_pages, before);
}

/*
 * The archive's own pages: a borrowed file whose whole pages lie on page
 * boundaries in memory held for the run gets them in its page cache
 * without a copy (only the node above them is allocated); its partial
 * last page is still a copy ending in zeros; write and truncate then
 * change the archive's bytes in place, and dropping the file frees none
 * of them.
 */
static void test_page_cache_in_place(void **state)
{
	size_t size = 3 * PAGE_SIZE + 100;
	char *archive = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
	struct vnode *f = mkfile_at("/", "big.so", NULL);
	size_t before = live_pages;
	char buf[8], *p, *q;

	(void)state;
	assert_non_null(archive);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		archive[i] = (char)('a' + i % 26);
	fixed_start = archive;
	fixed_end = archive + 4 * PAGE_SIZE;
	tmpfs_borrow(f, archive, size);
	p = tmpfs_page_get(f, 1);
	assert_ptr_equal(p, archive + PAGE_SIZE);
	assert_int_equal(live_pages, before + 1); /* the node */
	assert_int_equal(f->reg.npages, 1);
	assert_ptr_equal(tmpfs_page_get(f, 1), p);
	page_put(p);
	q = tmpfs_page_get(f, 3); /* 100 bytes: a copy */
	assert_ptr_not_equal(q, archive + 3 * PAGE_SIZE);
	assert_int_equal(live_pages, before + 2);
	assert_int_equal(q[99], archive[3 * PAGE_SIZE + 99]);
	assert_int_equal(q[100], 0);
	/* A write: the other whole pages join in place, the byte lands there. */
	assert_int_equal(tmpfs_write(f, "W", 1, PAGE_SIZE + 5), 1);
	assert_false(f->reg.borrowed);
	assert_int_equal(f->reg.npages, 4);
	assert_int_equal(live_pages, before + 2);
	assert_int_equal(archive[PAGE_SIZE + 5], 'W');
	assert_int_equal(tmpfs_write(f, "V", 1, 7), 1);
	assert_int_equal(archive[7], 'V');
	assert_int_equal(tmpfs_read(f, buf, 2, PAGE_SIZE + 5), 2);
	assert_memory_equal(buf, "W", 1);
	/* Truncate zeroes the cut tail in place; the archive is never freed. */
	assert_int_equal(tmpfs_truncate(f, PAGE_SIZE + 6), 0);
	assert_int_equal(archive[PAGE_SIZE + 6], 0);
	assert_int_equal(f->reg.npages, 2);
	assert_true(page_put(q));
	page_put(p); /* the caller's hold: nothing to do */
	tmpfs_free(f);
	assert_int_equal(live_pages, before);
	fixed_start = fixed_end = NULL;
	free(archive);
}

/* The whole file in one piece for exec: borrowed as is, else a copy. */
static void test_contiguous(void **state)
{
	static const char archive[] = "\177ELF and the rest";
	struct vnode *f = mkfile_at("/", "prog", NULL);
	const void *data;
	void *copy;

	(void)state;
	tmpfs_borrow(f, archive, sizeof(archive) - 1);
	assert_int_equal(tmpfs_contiguous(f, &data, &copy), 0);
	assert_ptr_equal(data, archive);
	assert_null(copy);
	assert_int_equal(tmpfs_write(f, "!", 1, 5000), 1);
	assert_int_equal(tmpfs_contiguous(f, &data, &copy), 0);
	assert_ptr_equal(data, copy);
	assert_memory_equal(data, archive, sizeof(archive) - 1);
	assert_int_equal(((const char *)data)[4999], 0);
	assert_int_equal(((const char *)data)[5000], '!');
	kfree(copy);
}

/* Tiny files take a small heap buffer, not a page, until they grow. */
static void test_small_files(void **state)
{
	struct vnode *f = mkfile_at("/", "tiny", NULL);
	static char big[3000], back[3000];
	size_t before = live_pages;

	(void)state;
	assert_int_equal(tmpfs_write(f, "abcd", 4, 0), 4);
	assert_int_equal(tmpfs_write(f, "xy", 2, 1000), 2);
	assert_int_equal(live_pages, before);
	assert_int_equal(tmpfs_allocated(f), PAGE_SIZE); /* as Linux says */
	assert_int_equal(tmpfs_truncate(f, 2), 0);
	assert_int_equal(tmpfs_truncate(f, 1002), 0);
	assert_int_equal(tmpfs_read(f, back, 1002, 0), 1002);
	assert_memory_equal(back, "ab\0\0", 4);
	assert_int_equal(back[1000], 0);
	memset(big, 'q', sizeof(big));
	assert_int_equal(tmpfs_write(f, big, sizeof(big), 2), sizeof(big));
	assert_int_equal(live_pages, before + 1); /* now a page */
	assert_int_equal(tmpfs_read(f, back, sizeof(back), 0), sizeof(back));
	assert_memory_equal(back, "abqq", 4);
	assert_int_equal(tmpfs_truncate(f, 0), 0);
	assert_int_equal(live_pages, before);
}

/*
 * Pages, not one buffer: a file bigger than what a doubling buffer could
 * hold, holes that cost nothing, truncation that frees, and ENOSPC (a
 * short write first) when memory runs short.
 */
static void test_file_pages(void **state)
{
	struct vnode *f = mkfile_at("/", "big", NULL);
	static char chunk[3 * PAGE_SIZE + 5], back[sizeof(chunk)];
	size_t before = live_pages;
	uint64_t far = 600ULL << 30; /* a tree of height 4 */

	(void)state;
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)(i * 7 + 1);
	for (uint64_t off = 0; off < (8 << 20); off += sizeof(chunk))
		assert_int_equal(tmpfs_write(f, chunk, sizeof(chunk), off),
				 sizeof(chunk));
	assert_int_equal(tmpfs_read(f, back, sizeof(back), 5 * sizeof(chunk)),
			 sizeof(back));
	assert_memory_equal(back, chunk, sizeof(chunk));
	assert_int_equal(tmpfs_allocated(f), f->reg.npages * PAGE_SIZE);
	assert_int_equal(tmpfs_write(f, "z", 1, far), 1);
	assert_int_equal(f->reg.height, 4);
	assert_int_equal(tmpfs_read(f, back, 2, far - 1), 2);
	assert_memory_equal(back, "\0z", 2);
	assert_int_equal(tmpfs_truncate(f, PAGE_SIZE + 1), 0);
	assert_int_equal(f->reg.npages, 2);
	assert_int_equal(tmpfs_truncate(f, 3 * PAGE_SIZE), 0);
	assert_int_equal(tmpfs_read(f, back, 2, PAGE_SIZE), 2);
	assert_int_equal(back[0], chunk[PAGE_SIZE]);
	assert_int_equal(back[1], 0);
	assert_int_equal(tmpfs_truncate(f, 0), 0);
	assert_int_equal(live_pages, before);

	free_pages = 512 + 3; /* the reserve and three pages */
	assert_int_equal(tmpfs_write(f, chunk, sizeof(chunk), 0),
			 2 * PAGE_SIZE);
	assert_int_equal(tmpfs_write(f, chunk, 1, 2 * PAGE_SIZE), -ENOSPC);
	assert_int_equal(f->reg.size, 2 * PAGE_SIZE);
	assert_int_equal(tmpfs_truncate(f, 0), 0);
	free_pages = 1 << 20;
	assert_int_equal(live_pages, before);
}

/*
 * A big directory: every name found (hash), getdents order is creation
 * order, a position survives unlinks (of the entry there, too) and the
 * compaction that many unlinks bring, and each entry comes once.
 */
static void test_big_directory(void **state)
{
	enum { N = 5000 };
	struct vnode *dir = mkdir_at("/", "bigdir");
	struct vfs_dirent *d;
	char name[16];
	uint64_t mid;
	int n = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		assert_int_equal(vfs_create(dir, name, S_IFREG | 0644, NULL),
				 0);
	}
	assert_int_equal(vfs_create(dir, "e7", S_IFREG | 0644, NULL), -EEXIST);
	for (int i = 0; i < N; i++) {
		struct vnode *vn;

		snprintf(name, sizeof(name), "e%d", i);
		vn = vfs_dir_lookup(dir, name);
		assert_non_null(vn);
		vnode_put(vn);
	}
	for (d = vfs_dir_seek(dir, 0); d != NULL; d = vfs_dir_next(dir, d)) {
		snprintf(name, sizeof(name), "e%d", n++);
		assert_string_equal(d->name, name);
	}
	assert_int_equal(n, N);
	mid = vfs_dir_seek(dir, 0)->cookie + N / 2; /* e2500's position */
	assert_int_equal(vfs_dir_unlink(dir, "e2500"), 0);
	assert_string_equal(vfs_dir_seek(dir, mid)->name, "e2501");
	for (int i = 0; i < N - 10; i++) { /* holes, compaction */
		snprintf(name, sizeof(name), "e%d", i);
		if (i != 2500)
			assert_int_equal(vfs_dir_unlink(dir, name), 0);
	}
	assert_null(vfs_dir_lookup(dir, "e100"));
	assert_int_equal(vfs_create(dir, "new", S_IFREG | 0644, NULL), 0);
	assert_true(dir->dir.nslots < N / 2); /* compacted */
	n = 0;
	for (d = vfs_dir_seek(dir, mid); d != NULL; d = vfs_dir_next(dir, d)) {
		if (n < 10) {
			snprintf(name, sizeof(name), "e%d", N - 10 + n);
			assert_string_equal(d->name, name);
		} else {
			assert_string_equal(d->name, "new");
		}
		n++;
	}
	assert_int_equal(n, 11);
	for (int i = N - 10; i < N; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		assert_int_equal(vfs_dir_unlink(dir, name), 0);
	}
	assert_int_equal(vfs_dir_unlink(dir, "new"), 0);
	assert_true(vfs_dir_empty(dir));
	assert_null(vfs_dir_seek(dir, 0));
}

static int rename_paths(const char *from, const char *to, unsigned int fl)
{
	struct lookup a, b;
	int err;

	assert_int_equal(vfs_lookup(vfs_root(), from, LOOKUP_NOFOLLOW, &a), 0);
	assert_int_equal(vfs_lookup(vfs_root(), to, LOOKUP_NOFOLLOW, &b), 0);
	err = vfs_rename(&a, &b, fl);
	lookup_done(&b);
	lookup_done(&a);
	return err;
}

static void test_rename(void **state)
{
	struct vnode *x, *d;

	(void)state;
	d = mkdir_at("/", "r");
	mkdir_at("/r", "d1");
	mkdir_at("/r/d1", "inner");
	x = mkfile_at("/r", "x", "X");
	mkfile_at("/r", "y", "Y");
	assert_int_equal(rename_paths("/r/x", "/r/y", RENAME_NOREPLACE),
			 -EEXIST);
	assert_int_equal(rename_paths("/r/x", "/r/y", 0), 0);
	assert_ptr_equal(node("/r/y", 0), x);
	assert_null(node("/r/x", 0));
	assert_int_equal(rename_paths("/r/d1", "/r/d1/inner/z", 0), -EINVAL);
	assert_int_equal(rename_paths("/r/d1", "/r/y", 0), -ENOTDIR);
	assert_int_equal(rename_paths("/r/y", "/r/d1", 0), -EISDIR);
	mkdir_at("/r", "d2");
	assert_int_equal(rename_paths("/r/d2", "/r/d1", 0), -ENOTEMPTY);
	assert_int_equal(rename_paths("/r/d1", "/a/moved", 0), 0);
	assert_int_equal(d->nlink, 3); /* ".", its entry, d2's ".." */
	assert_ptr_equal(node("/a/moved/inner/..", 0), node("/a/moved", 0));
	assert_int_equal(rename_paths("/r/y", "/r/y", 0), 0);
	assert_int_equal(rename_paths("/r/y", "/a/moved", RENAME_EXCHANGE), 0);
	assert_ptr_equal(node("/a/moved", 0), x);
	assert_true(S_ISDIR(node("/r/y/inner", 0)->mode));
	assert_int_equal(rename_paths("/r/nope", "/r/z", 0), -ENOENT);
}

static void test_unlinked_open_node(void **state)
{
	struct vnode *f = mkfile_at("/", "gone", "data"), *held;
	char buf[8];

	(void)state;
	held = vnode_get(f);
	assert_int_equal(vfs_dir_unlink(vfs_root(), "gone"), 0);
	assert_null(node("/gone", 0));
	assert_int_equal(tmpfs_read(held, buf, 4, 0), 4); /* still readable */
	assert_int_equal(held->nlink, 0);
	vnode_put(held);
}

/*
 * fs/ takes the caller's credentials from the process (core/cred.h): new
 * nodes belong to its effective ids, and access is checked against them.
 */
static void test_credentials(void **state)
{
	struct vnode *root_file = mkfile_at("/", "rootf", "x"), *mine;
	struct cred *cred = current_cred(), saved = *cred;

	(void)state;
	assert_int_equal(root_file->uid, 0);
	assert_int_equal(vfs_permission(root_file, 2), 0);	 /* root */
	assert_int_equal(vfs_permission(root_file, 1), -EACCES); /* no x bit */
	cred->euid = 1000;
	cred->egid = 0;
	assert_int_equal(vfs_permission(root_file, 4), 0); /* group r */
	assert_int_equal(vfs_permission(root_file, 2), -EACCES);
	cred->egid = 100;
	assert_int_equal(vfs_permission(root_file, 4), 0); /* other r */
	assert_int_equal(vfs_permission(root_file, 6), -EACCES);
	assert_int_equal(vfs_permission(vfs_root(), 2), -EACCES);
	mine = mkfile_at("/", "mine", NULL);
	assert_int_equal(mine->uid, 1000);
	assert_int_equal(mine->gid, 100);
	assert_int_equal(vfs_permission(mine, 6), 0); /* owner rw */
	*cred = saved;
}

/*
 * The path walk skips the permission call only for directories everybody
 * may search: root's 0700 and 0710 still stop euid 1000, 0711 lets it by.
 */
static void test_search_shortcut(void **state)
{
	static const struct {
		uint32_t mode;
		int err;
	} cases[] = {
		{ 0700, -EACCES }, { 0710, -EACCES }, { 0711, 0 }, { 0755, 0 }
	};
	struct cred *cred = current_cred(), saved = *cred;
	struct vnode *dir = mkdir_at("/", "srch");

	(void)state;
	mkfile_at("/srch", "f", "x");
	assert_int_equal(dir->uid, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir->mode = S_IFDIR | cases[i].mode;
		cred->euid = 1000;
		cred->egid = 100;
		assert_int_equal(lookup_err("/srch/f", 0), cases[i].err);
		*cred = saved;
	}
	dir->mode = S_IFDIR | 0755;
}

/* Group bits count for a supplementary group, as on Linux. */
static void test_supplementary_groups(void **state)
{
	struct cred *cred = current_cred(), saved = *cred;
	struct vnode *f = mkfile_at("/", "grpf", "x");

	(void)state;
	f->mode = S_IFREG | 0070;
	f->gid = 50;
	cred->euid = 1000;
	cred->egid = 100;
	assert_int_equal(vfs_permission(f, 4), -EACCES);
	cred->ngroups = 2;
	cred->groups[0] = 7;
	cred->groups[1] = 50;
	assert_int_equal(vfs_permission(f, 6), 0);
	f->uid = 1000; /* the owner's bits win even when they deny */
	assert_int_equal(vfs_permission(f, 4), -EACCES);
	*cred = saved;
	assert_int_equal(vfs_dir_unlink(vfs_root(), "grpf"), 0);
}

/* The longest hash chain of dir's entries. */
static size_t longest_chain(const struct vnode *dir)
{
	size_t most = 0;

	for (size_t i = 0; i < dir->dir.nbuckets; i++) {
		size_t n = 0;

		for (struct vfs_dirent *d = dir->dir.hash[i]; d; d = d->hnext)
			n++;
		if (n > most)
			most = n;
	}
	return most;
}

/*
 * Names that differ only in their last bytes spread over the chains (a
 * hash whose tail reached only its high bits put abcde00..abcde99 in one);
 * names differing only in their ends, or one a prefix of another, stay apart.
 */
static void test_name_hash_spread(void **state)
{
	struct vnode *a = mkdir_at("/", "spread1"),
		     *b = mkdir_at("/", "spread2");
	struct vnode *vn;
	char name[24];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "file%03d", i);
		assert_int_equal(vfs_create(a, name, S_IFREG | 0644, NULL), 0);
	}
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "abcde%02d", i);
		assert_int_equal(vfs_create(b, name, S_IFREG | 0644, NULL), 0);
	}
	assert_true(longest_chain(a) <= 8);
	assert_true(longest_chain(b) <= 6);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "file%03d", i);
		vn = vfs_dir_lookup(a, name);
		assert_non_null(vn);
		vnode_put(vn);
	}
	assert_int_equal(vfs_create(b, "ab", S_IFREG | 0644, NULL), 0);
	assert_int_equal(vfs_create(b, "abc", S_IFDIR | 0755, NULL), 0);
	vn = vfs_dir_lookup(b, "ab");
	assert_true(S_ISREG(vn->mode));
	vnode_put(vn);
	vn = vfs_dir_lookup_len(b, "abc", 3);
	assert_true(S_ISDIR(vn->mode));
	vnode_put(vn);
	assert_null(vfs_dir_lookup(b, "a"));
	assert_null(vfs_dir_lookup(b, "abcd"));
	assert_null(vfs_dir_lookup(b, "abcde100"));
}

/* Attributes list in name order; the space budget ends in ENOSPC, not a crash. */
static void test_xattrs(void **state)
{
	struct vnode *f = mkfile_at("/", "xf", NULL);
	static char big[65536];
	char list[64], name[32];
	int i, err = 0;

	(void)state;
	assert_int_equal(vfs_setxattr(f, "user.b", "2", 1, 0), 0);
	assert_int_equal(vfs_setxattr(f, "user.a", "1", 1, 0), 0);
	assert_int_equal(vfs_setxattr(f, "trusted.t", "", 0, 0), 0);
	assert_int_equal(vfs_listxattr(f, list, sizeof(list)), 24);
	assert_memory_equal(list, "trusted.t\0user.a\0user.b\0", 24);
	assert_int_equal(vfs_listxattr(f, list, 23), -ERANGE);
	assert_int_equal(vfs_getxattr(f, "user.c", list, 8), -ENODATA);
	assert_int_equal(vfs_setxattr(f, "other.x", "", 0, 0), -EOPNOTSUPP);
	assert_int_equal(vfs_setxattr(f, "user.", "", 0, 0), -EINVAL);
	assert_int_equal(vfs_removexattr(f, "user.a"), 0);
	assert_int_equal(vfs_removexattr(f, "user.a"), -ENODATA);
	for (i = 0; i < 300 && err == 0; i++) {
		snprintf(name, sizeof(name), "user.big%d", i);
		err = vfs_setxattr(f, name, big, sizeof(big), 0);
	}
	assert_int_equal(err, -ENOSPC); /* 16 MiB: about 255 of them */
	assert_true(i > 200 && i < 300);
	assert_int_equal(vfs_dir_unlink(vfs_root(), "xf"), 0); /* frees all */
	assert_int_equal(vfs_setxattr(mkfile_at("/", "xg", NULL), "user.big",
				      big, sizeof(big), 0),
			 0);
	assert_int_equal(vfs_dir_unlink(vfs_root(), "xg"), 0);
}

/* A recording watcher: one line per event it hears. */
struct rec_mark {
	struct fsnotify_mark m;
	const char *who;
	char log[256];
	int gone;
};

static void rec_event(struct fsnotify_mark *m, uint32_t mask, uint32_t cookie,
		      const char *name, const struct vnode *subject)
{
	struct rec_mark *r = (struct rec_mark *)m;
	size_t n = strlen(r->log);

	(void)cookie;
	(void)subject;
	snprintf(r->log + n, sizeof(r->log) - n, "%s:%x:%s;", r->who, mask,
		 name ? name : "");
}

static void rec_gone(struct fsnotify_mark *m)
{
	((struct rec_mark *)m)->gone++;
}

/* The directory hears of its entries by name, the node of itself; freeing tells both. */
static void test_notify_marks(void **state)
{
	struct vnode *dir = mkdir_at("/", "nd"), *f;
	struct rec_mark d = { .m = { rec_event, rec_gone }, .who = "d" };
	struct rec_mark n = { .m = { rec_event, rec_gone }, .who = "n" };

	(void)state;
	fsnotify_mark_add(dir, &d.m);
	f = mkfile_at("/nd", "f", NULL);
	fsnotify_mark_add(f, &n.m);
	fsnotify_node(f, 0x2); /* IN_MODIFY */
	assert_string_equal(d.log, "d:2:f;");
	assert_string_equal(n.log, "n:2:;");
	assert_int_equal(vfs_dir_unlink(dir, "f"), 0); /* nothing holds it */
	assert_string_equal(n.log, "n:2:;n:400:;");    /* IN_DELETE_SELF */
	assert_int_equal(n.gone, 1);
	assert_null(n.m.vn);
	fsnotify_mark_remove(&d.m);
	fsnotify_node(dir, 0x4);
	assert_string_equal(d.log, "d:2:f;");
	assert_int_equal(d.gone, 0);
}

/*
 * /dev at its first look: a node that cannot be made (its allocation
 * fails) is named on the console and the others are still made; /dev
 * stays flagged, and the next look makes the missing node, quietly,
 * leaving the others as they were.
 */
/* name is among dir's entries now: no lookup, so no population either */
static bool has_entry(const struct vnode *dir, const char *name)
{
	for (struct vfs_dirent *d = vfs_dir_seek(dir, 0); d != NULL;
	     d = vfs_dir_next(dir, d))
		if (strcmp(d->name, name) == 0)
			return true;
	return false;
}

/*
 * A node that fails for want of memory is named once, however often it
 * fails, and only it is tried again at the next look: a node the app
 * removed meanwhile stays removed.
 */
static void test_devfs_fill_errors(void **state)
{
	static const char *const made[] = {
		"null", "full",	 "random", "urandom", "console",
		"tty",	"stdin", "stdout", "stderr",  "fd",
		"vda",	"shm",	 "pts",
	};
	struct vnode *dev = mkdir_at("/", "dev");

	(void)state;
	assert_int_equal(devfs_init(dev), 0);
	assert_true(dev->vflags & VN_POPULATE);
	printk_log[0] = '\0';
	kmalloc_fail = kmalloc_calls + 1; /* /dev/null's node */
	vfs_dir_populate(dev);
	kmalloc_fail = 0;
	assert_string_equal(printk_log, "kiln: no /dev/null (error 12)\n");
	assert_true(dev->vflags & VN_POPULATE); /* to be tried again */
	assert_true(has_entry(dev, "zero"));
	assert_false(has_entry(dev, "null"));
	/* it fails again as the app removes zero: nothing more is said */
	printk_log[0] = '\0';
	kmalloc_fail = kmalloc_calls + 1;
	assert_int_equal(vfs_dir_unlink(dev, "zero"), 0);
	kmalloc_fail = 0;
	assert_string_equal(printk_log, "");
	assert_true(dev->vflags & VN_POPULATE);
	assert_false(has_entry(dev, "null"));
	/* the next look makes null, and neither says nor remakes the rest */
	assert_non_null(node("/dev/null", LOOKUP_NOFOLLOW));
	assert_string_equal(printk_log, "");
	assert_false(dev->vflags & VN_POPULATE);
	assert_false(has_entry(dev, "zero"));
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char path[32];

		snprintf(path, sizeof(path), "/dev/%s", made[i]);
		assert_non_null(node(path, LOOKUP_NOFOLLOW));
	}
}

/*
 * procfs_defer's makers: each notes its number in the order they ran,
 * and whether /proc was still flagged then; maker 2 fails.
 */
static char maker_order[16];

static int maker_note(struct vnode *proc, char c)
{
	size_t n = strlen(maker_order);

	maker_order[n] = (proc->vflags & VN_POPULATE) ? 'F' : c;
	maker_order[n + 1] = '\0';
	return c == '2' ? -ENOMEM : 0;
}

#define MAKER(c)                                 \
	static int maker_##c(struct vnode *proc) \
	{                                        \
		return maker_note(proc, #c[0]);  \
	}
MAKER(1)
MAKER(2)
MAKER(3)
MAKER(4)
MAKER(5)

/*
 * Makers wait for the first look, in order, and one failing is said and
 * does not stop the next; one more than can wait runs at once, but after
 * those waiting, on a /proc no longer flagged (else a maker that reads
 * the flag, as make_deferred does, would leave its part for a look
 * that no longer makes anything).
 */
static void test_procfs_defer(void **state)
{
	struct vnode *proc = mkdir_at("/", "proc");

	(void)state;
	assert_int_equal(procfs_init(proc), 0);
	assert_int_equal(procfs_defer(maker_1), 0);
	assert_int_equal(procfs_defer(maker_2), 0);
	assert_int_equal(procfs_defer(maker_3), 0);
	assert_true(proc->vflags & VN_POPULATE);
	assert_string_equal(maker_order, "");
	printk_log[0] = '\0';
	assert_non_null(node("/proc/cpuinfo", 0));
	assert_string_equal(maker_order, "123");
	assert_string_equal(printk_log,
			    "kiln: /proc: part of it not made (error 12)\n");
	/* the table full: the four waiting run, then the fifth */
	maker_order[0] = '\0';
	assert_int_equal(procfs_defer(maker_1), 0);
	assert_int_equal(procfs_defer(maker_3), 0);
	assert_int_equal(procfs_defer(maker_4), 0);
	assert_int_equal(procfs_defer(maker_1), 0);
	assert_string_equal(maker_order, "");
	assert_int_equal(procfs_defer(maker_5), 0);
	assert_string_equal(maker_order, "13415");
	assert_false(proc->vflags & VN_POPULATE);
}

/*
 * A VN_POPULATE directory: its hook runs once, at the first look, as
 * root. The hook counts every call it gets, whatever the directory, and
 * makes "made" in each: only flagged directories may reach it.
 */
static int lazy_calls;
static struct vnode *lazy_last;
static uint32_t lazy_euid, lazy_egid;

static int lazy_populate(struct vnode *dir)
{
	lazy_calls++;
	lazy_last = dir;
	lazy_euid = current_cred()->euid;
	lazy_egid = current_cred()->egid;
	assert_int_equal(vfs_create(dir, "made", S_IFDIR | 0755, NULL), 0);
	return 0;
}

static struct vnode *lazy_mkdir(const char *name)
{
	struct vnode *dir = mkdir_at("/", name);

	dir->vflags |= VN_POPULATE;
	return dir;
}

/* The look just made ran the hook once more, on dir, and cleared its flag. */
static void lazy_ran(struct vnode *dir, int calls)
{
	assert_int_equal(lazy_calls, calls);
	assert_ptr_equal(lazy_last, dir);
	assert_false(dir->vflags & VN_POPULATE);
}

static void test_populate(void **state)
{
	struct vnode *dir, *vn;
	struct vfs_time m;

	(void)state;
	assert_int_equal(vfs_dir_add_populate(lazy_populate), 0);
	assert_int_equal(vfs_dir_add_populate(lazy_populate), 0); /* once */
	dir = lazy_mkdir("lazy");
	m = dir->mtime;
	assert_int_equal(dir->nlink, 2);
	assert_int_equal(lazy_calls, 0); /* making and flagging: no look */
	assert_non_null(node("/lazy/made", 0)); /* the walk looked */
	lazy_ran(dir, 1);
	vn = vfs_dir_lookup(dir, "made");
	assert_non_null(vn);
	vnode_put(vn);
	assert_int_equal(lazy_calls, 1);
	/* the delayed entry shows in the link count, not in the times */
	assert_int_equal(dir->nlink, 3);
	assert_int_equal(dir->mtime.sec, m.sec);
	assert_int_equal(dir->mtime.nsec, m.nsec);
	/* a creation in it makes the delayed entries first, then its own */
	dir = lazy_mkdir("lazy2");
	assert_int_equal(vfs_create(dir, "made", S_IFREG | 0644, NULL),
			 -EEXIST);
	lazy_ran(dir, 2);
	/* nor does an unflagged directory run it: it would make "made" */
	assert_null(node("/a/made", 0));
	assert_true(vfs_dir_empty(node("/lazy/made", 0)));
	assert_int_equal(lazy_calls, 2);
	/* an unlink finds the delayed entry */
	dir = lazy_mkdir("lazy3");
	assert_int_equal(vfs_dir_unlink(dir, "made"), 0);
	lazy_ran(dir, 3);
	/* rmdir's emptiness check counts it */
	dir = lazy_mkdir("lazy4");
	assert_false(vfs_dir_empty(dir));
	lazy_ran(dir, 4);
}

/* A watch is the first look: it finds the delayed entries there. */
static void test_populate_notify(void **state)
{
	struct vnode *dir = lazy_mkdir("lazyn"), *made;
	struct rec_mark d = { .m = { rec_event, rec_gone }, .who = "d" };
	int calls = lazy_calls;

	(void)state;
	fsnotify_mark_add(dir, &d.m);
	lazy_ran(dir, calls + 1);
	assert_string_equal(d.log, "");
	made = node("/lazyn/made", 0);
	assert_non_null(made);
	fsnotify_node(made, 0x2); /* IN_MODIFY: heard by name */
	assert_string_equal(d.log, "d:40000002:made;"); /* IN_ISDIR */
	assert_int_equal(lazy_calls, calls + 1);
	fsnotify_mark_remove(&d.m);
}

/* Whoever looks first, the hook runs as root and the looker stays itself. */
static void test_populate_as_root(void **state)
{
	struct cred *cred = current_cred(), saved = *cred;
	struct vnode *dir = lazy_mkdir("lazyr"), *made;
	int calls = lazy_calls;

	(void)state;
	cred->euid = cred->uid = 1000;
	cred->egid = cred->gid = 100;
	made = node("/lazyr/made", 0);
	lazy_ran(dir, calls + 1);
	assert_non_null(made);
	assert_int_equal(lazy_euid, 0);
	assert_int_equal(lazy_egid, 0);
	assert_int_equal(made->uid, 0);
	assert_int_equal(made->gid, 0);
	assert_int_equal(cred->euid, 1000);
	assert_int_equal(cred->egid, 100);
	assert_int_equal(cred->uid, 1000);
	assert_int_equal(mkfile_at("/", "mine2", NULL)->uid, 1000);
	*cred = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_basic),
		cmocka_unit_test(test_lookup_limits),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_symlink_depth),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_nlink),
		cmocka_unit_test(test_file_data),
		cmocka_unit_test(test_borrowed_data),
		cmocka_unit_test(test_page_cache),
		cmocka_unit_test(test_page_cache_in_place),
		cmocka_unit_test(test_contiguous),
		cmocka_unit_test(test_small_files),
		cmocka_unit_test(test_file_pages),
		cmocka_unit_test(test_big_directory),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_unlinked_open_node),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_search_shortcut),
		cmocka_unit_test(test_supplementary_groups),
		cmocka_unit_test(test_name_hash_spread),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_notify_marks),
		cmocka_unit_test(test_devfs_fill_errors),
		cmocka_unit_test(test_procfs_defer),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_populate_notify),
		cmocka_unit_test(test_populate_as_root),
	};

	return cmocka_run_group_tests(tests, setup_tree, NULL);
}
