/* ext4_pagecache.c - an ext4 inode's one page cache: the pages mmap maps, kept coherent with read/write, and the stores of shared maps written back. */
#include <asm-generic/errno.h>
#include <linux/falloc.h>
#include <linux/stat.h>

#include "core/cred.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "fs/bcache.h"
#include "fs/ext4.h"
#include "fs/ext4_jbd2.h"
#include "fs/ext4_vfs.h"
#include "fs/ext4_write.h"
#include "fs/vfs.h"
#include "lib/string.h"

/*
 * One page cache per inode, whatever node or mount path reached it: a
 * node of its own (VN_TRANSIENT, the inode's number and size) whose
 * pages tmpfs_page_read fills through readpage. Every mapping holds it,
 * and so does each node of the inode that asked for it, so it lives as
 * long as a node or a mapping of the file does (and holds the inode: an
 * unlinked file mapped is freed at the munmap).
 *
 * A page holds the disk's bytes, or newer ones when a shared mapping
 * stored into it: such a page is dirty (ie->dirty, page numbers kept
 * sorted) from its write fault (page_mkwrite) until a writeback writes
 * it through ext4_file_write, which allocates the blocks of a hole with
 * the journal's ordered mode like any write. write(2) copies its bytes
 * into the cached pages (ext4_cache_written) and read(2) takes a dirty
 * page's bytes over the disk's (ext4_cache_read_dirty), so both see
 * the stores at once. The syscall layer write-protects the mappings
 * before each writeback (mm_file_writeback), so a later store faults
 * and dirties the page again.
 */
static const struct vnode_ops ext4_cache_vops;

static int ext4_readpage(struct vnode *vn, uint64_t idx, void *page)
{
	struct ext4_node *node = node_of(vn);
	const struct ext4_inode *in = &node->ie->in;
	long r = ext4_file_read(node->m->fs, in, idx * PAGE_SIZE, page,
				PAGE_SIZE);

	if (r == -EIO)
		printk("kiln: ext4 %s: inode %u: bad metadata\n",
		       node->m->fs->name, in->ino);
	return r < 0 ? -EIO : 0;
}

/* The first slot of ie->dirty not below idx. */
static size_t dirty_find(const struct ext4_ino *ie, uint64_t idx)
{
	size_t lo = 0, hi = ie->ndirty;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ie->dirty[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Mark page idx dirty: 0 or -ENOMEM. Never sleeps. */
static int dirty_add(struct ext4_ino *ie, uint64_t idx)
{
	size_t at = dirty_find(ie, idx);

	if (at < ie->ndirty && ie->dirty[at] == idx)
		return 0;
	if (ie->ndirty == ie->dirty_cap) {
		size_t cap = ie->dirty_cap ? ie->dirty_cap * 2 : 16;
		uint64_t *d = kmalloc(cap * sizeof(*d));

		if (d == NULL)
			return -ENOMEM;
		if (ie->ndirty)
			memcpy(d, ie->dirty, ie->ndirty * sizeof(*d));
		kfree(ie->dirty);
		ie->dirty = d;
		ie->dirty_cap = cap;
	}
	memmove(ie->dirty + at + 1, ie->dirty + at,
		(ie->ndirty - at) * sizeof(*ie->dirty));
	ie->dirty[at] = idx;
	ie->ndirty++;
	return 0;
}

/* Forget the dirty pages at or past idx (they are gone: truncate). */
static void dirty_cut(struct ext4_ino *ie, uint64_t idx)
{
	ie->ndirty = dirty_find(ie, idx);
}

/*
 * The page cache's size and links from the inode. Pages past a smaller
 * end go (mappings keep theirs until the syscall layer unmaps them) and
 * the last page's tail is zeroed, as ext4_truncate zeroes the block's.
 */
void ext4_cache_sync(struct ext4_ino *ie)
{
	struct vnode *c = ie->cache;
	uint64_t size = ie->in.size;

	if (c == NULL)
		return;
	c->nlink = ie->in.nlink;
	c->mode = ie->in.mode;
	if (c->reg.size != size) {
		/* tmpfs's own bound: pages past it are never cached */
		tmpfs_truncate(c,
			       size < TMPFS_MAX_FILE ? size : TMPFS_MAX_FILE);
		c->reg.size = size;
		dirty_cut(ie, (size + PAGE_SIZE - 1) / PAGE_SIZE);
	}
}

/*
 * Every live cache, for the reclaimer: when memory runs short, clean
 * pages nothing maps or holds are dropped (readpage reads them again),
 * each cache from where the last pass stopped, so a file read through
 * a window of mappings once does not keep all of it. A page a mapping
 * maps is held by it (page_refs > 1) and stays; a dirty one stays
 * until its writeback.
 */
static struct ext4_node *caches;
static struct ext4_node *reclaim_next; /* the cache the next pass starts at */
/* Page slots looked at per page wanted: a pass's bound when all are held. */
#define RECLAIM_SCAN 16

static size_t cache_reclaim_one(struct ext4_node *cn, size_t want,
				size_t *budget)
{
	struct vnode *c = cn->ie->cache;
	uint64_t end = (c->reg.size + PAGE_SIZE - 1) / PAGE_SIZE;
	size_t got = 0;

	if (cn->reclaim_at >= end)
		cn->reclaim_at = 0;
	for (; cn->reclaim_at < end && got<want && * budget> 0;
	     cn->reclaim_at++, (*budget)--) {
		uint64_t idx = cn->reclaim_at;
		size_t at = dirty_find(cn->ie, idx);

		if (at < cn->ie->ndirty && cn->ie->dirty[at] == idx)
			continue;
		if (tmpfs_page_drop(c, idx))
			got++;
	}
	return got;
}

static size_t cache_reclaim(size_t want)
{
	size_t got = 0, budget = want * RECLAIM_SCAN + 1024;
	struct ext4_node *cn = reclaim_next ? reclaim_next : caches;

	for (struct ext4_node *first = cn; cn && got < want && budget > 0;) {
		/* a cache being released is no longer the inode's */
		if (cn->ie->cache != NULL && node_of(cn->ie->cache) == cn)
			got += cache_reclaim_one(cn, want - got, &budget);
		if (got >= want || budget == 0)
			break;
		cn = cn->cache_next ? cn->cache_next : caches;
		if (cn == first)
			break;
	}
	reclaim_next = cn;
	return got;
}

static void cache_list_add(struct ext4_node *cn)
{
	cn->cache_prev = NULL;
	cn->cache_next = caches;
	if (caches)
		caches->cache_prev = cn;
	caches = cn;
	page_reclaimer_add(cache_reclaim);
}

static void cache_list_del(struct ext4_node *cn)
{
	if (reclaim_next == cn)
		reclaim_next = cn->cache_next;
	*(cn->cache_prev ? &cn->cache_prev->cache_next :
			   &caches) = cn->cache_next;
	if (cn->cache_next)
		cn->cache_next->cache_prev = cn->cache_prev;
	cn->cache_prev = cn->cache_next = NULL;
}

static struct vnode *cache_new(struct ext4_node *node)
{
	struct ext4_node *cn = kzalloc(sizeof(*cn));
	struct vnode *c = cn != NULL ? vnode_new(S_IFREG) : NULL;

	if (c == NULL) {
		kfree(cn);
		return NULL;
	}
	cn->m = node->m;
	cn->ie = node->ie;
	cn->ie->refs++;
	c->vflags = VN_TRANSIENT;
	c->ino = cn->ie->in.ino;
	c->ops = &ext4_cache_vops;
	c->priv = cn;
	cn->ie->cache = c;
	ext4_cache_sync(cn->ie);
	cache_list_add(cn);
	return c;
}

struct vnode *ext4_pagecache(struct vnode *vn, bool make)
{
	struct ext4_node *node = node_of(vn);

	if (node->cache == NULL && node->ie->cache != NULL)
		node->cache = vnode_get(node->ie->cache);
	else if (node->cache == NULL && make)
		node->cache = cache_new(node);
	return node->cache;
}

void ext4_cache_written(struct ext4_ino *ie, uint64_t pos, const void *buf,
			uint64_t len)
{
	uint64_t idx, last = (pos + len - 1) / PAGE_SIZE;

	if (ie->cache == NULL || len == 0)
		return;
	ext4_cache_sync(ie);
	for (idx = pos / PAGE_SIZE; idx <= last; idx++) {
		char *page = tmpfs_page_peek(ie->cache, idx);
		uint64_t from = idx * PAGE_SIZE > pos ? idx * PAGE_SIZE : pos;
		uint64_t to = (idx + 1) * PAGE_SIZE < pos + len ?
				      (idx + 1) * PAGE_SIZE :
				      pos + len;

		/* the disk has the same bytes now; a dirty page keeps the rest */
		if (page != NULL)
			memcpy(page + (from - idx * PAGE_SIZE),
			       (const char *)buf + (from - pos), to - from);
	}
}

void ext4_cache_read_dirty(struct ext4_ino *ie, uint64_t pos, void *buf,
			   size_t n)
{
	size_t at;

	if (ie->cache == NULL || ie->ndirty == 0 || n == 0)
		return;
	for (at = dirty_find(ie, pos / PAGE_SIZE);
	     at < ie->ndirty && ie->dirty[at] * PAGE_SIZE < pos + n; at++) {
		uint64_t idx = ie->dirty[at];
		const char *page = tmpfs_page_peek(ie->cache, idx);
		uint64_t from = idx * PAGE_SIZE > pos ? idx * PAGE_SIZE : pos;
		uint64_t to = (idx + 1) * PAGE_SIZE < pos + n ?
				      (idx + 1) * PAGE_SIZE :
				      pos + n;

		if (page != NULL)
			memcpy((char *)buf + (from - pos),
			       page + (from - idx * PAGE_SIZE), to - from);
	}
}

/*
 * The blocks of page idx inside the file, allocated now if a hole is
 * there: unwritten extents (reading as zeros) that the writeback fills
 * and converts, as Linux's ext4_page_mkwrite without delayed
 * allocation. So a store a full disk cannot take fails at its fault
 * (SIGBUS), not later at writeback. 0, -ENOSPC, -EIO. Sleeps.
 */
static int page_blocks(struct ext4_node *node, uint64_t idx, bool root)
{
	struct ext4_inode *in = &node->ie->in;
	uint64_t pos = idx * PAGE_SIZE, len;
	int err = 0;

	ext4_lock(node->m);
	/* the part of the page inside the file (a truncate may have cut it) */
	if (pos < in->size) {
		len = in->size - pos < PAGE_SIZE ? in->size - pos : PAGE_SIZE;
		err = ext4_fallocate(node->m->fs, in, FALLOC_FL_KEEP_SIZE, pos,
				     len, root);
	}
	ext4_unlock(node->m);
	return err;
}

static int ext4_page_mkwrite(struct vnode *vn, uint64_t idx, bool alloc)
{
	struct ext4_node *node = node_of(vn);
	/* the root reserve is the storer's, as Linux's allocation at fault */
	bool root = current_cred()->euid == 0;
	int err;

	if (node->m->fs->ro)
		return -EROFS;
	/* without alloc: only the mark, under the fault's area (no sleep) */
	err = alloc ? page_blocks(node, idx, root) : 0;
	if (err < 0)
		return err;
	if (root)
		node->ie->dirty_root = true;
	return dirty_add(node->ie, idx);
}

/*
 * Take the dirty pages first..last out of ie->dirty into a new array
 * (*n of them), before anything sleeps. NULL and *n 0 when there are
 * none; NULL with *n 1 when memory ran out (nothing taken).
 */
static uint64_t *dirty_take(struct ext4_ino *ie, uint64_t first, uint64_t last,
			    size_t *n)
{
	size_t lo = dirty_find(ie, first), hi = lo;
	uint64_t *taken;

	while (hi < ie->ndirty && ie->dirty[hi] <= last)
		hi++;
	*n = hi - lo;
	if (*n == 0)
		return NULL;
	taken = kmalloc(*n * sizeof(*taken));
	if (taken == NULL) {
		*n = 1;
		return NULL;
	}
	memcpy(taken, ie->dirty + lo, *n * sizeof(*taken));
	memmove(ie->dirty + lo, ie->dirty + hi,
		(ie->ndirty - hi) * sizeof(*ie->dirty));
	ie->ndirty -= *n;
	return taken;
}

/* Write page idx of cache c (its bytes inside the file). 0 or -ERRNO. */
static int write_page(struct vnode *c, uint64_t idx)
{
	struct ext4_node *node = node_of(c);
	struct ext4_inode *in = &node->ie->in;
	void *page = tmpfs_page_peek(c, idx);
	uint64_t pos = idx * PAGE_SIZE;
	size_t len;
	long r;

	/* gone with a truncate, or past the end: nothing of the file */
	if (page == NULL || pos >= in->size)
		return 0;
	len = in->size - pos < PAGE_SIZE ? (size_t)(in->size - pos) : PAGE_SIZE;
	ext4_now(&in->mtime, &in->mtime_ns);
	in->ctime = in->mtime;
	in->ctime_ns = in->mtime_ns;
	/* held: the write allocates, and reclaim drops pages no one holds */
	page_get(page);
	r = ext4_file_write(node->m->fs, in, pos, page, len,
			    node->ie->dirty_root);
	page_put(page);
	if (r < 0)
		return (int)r;
	return (size_t)r == len ? 0 : -ENOSPC;
}

/*
 * Write the pages taken (n of them): the first error. A page that
 * failed is not retried (Linux's end_page_writeback with an error: the
 * page is clean, the error is the file's, ext4_writeback), unless
 * memory ran out: then it is dirty again for a later writeback, as
 * Linux's redirty_page_for_writepage (a clean page may be dropped).
 */
static int write_taken(struct vnode *c, const uint64_t *taken, size_t n)
{
	struct ext4_node *node = node_of(c);
	int err = 0;

	ext4_lock(node->m);
	for (size_t i = 0; i < n; i++) {
		int e = write_page(c, taken[i]);

		if (e < 0 && err == 0)
			err = e;
		if (e == -ENOMEM && c == node->ie->cache)
			dirty_add(node->ie, taken[i]);
	}
	ext4_unlock(node->m);
	return err;
}

static int ext4_writeback(struct vnode *c, uint64_t first, uint64_t last,
			  unsigned int how)
{
	struct ext4_node *node = node_of(c);
	struct ext4_ino *ie = node->ie;
	size_t n;
	uint64_t *taken = dirty_take(ie, first, last, &n);
	int err = 0;

	if (taken == NULL && n)
		return -ENOMEM;
	if (taken != NULL)
		err = write_taken(c, taken, n);
	kfree(taken);
	if ((how & VFS_WB_COMMIT) && !node->m->fs->ro) {
		int e = ext4_jbd2_commit(node->m->fs);

		if (err == 0)
			err = e;
	}
	/*
	 * errseq, simplified: one error kept per file, reported once; the
	 * cache keeps the one of the file's blocks written back since.
	 */
	if (how & VFS_WB_REPORT) {
		int e = bcache_take_owner_err(node->m->fs->dev, ie->in.ino);

		if (err == 0)
			err = ie->wb_err ? ie->wb_err : e;
		ie->wb_err = 0;
	} else if (err < 0 && err != -ENOMEM) {
		ie->wb_err = err;
	}
	return err;
}

/*
 * The last mapping and node let go: nothing maps the pages any more,
 * so the dirty ones are written without write-protecting anything.
 * The inode forgets this cache first (a mapping made while the writes
 * sleep gets a new one, reading the disk). What cannot be written now
 * is lost, and said so.
 */
static void cache_release(struct vnode *c)
{
	struct ext4_node *node = node_of(c);
	struct ext4_ino *ie = node->ie;
	size_t n;
	uint64_t *taken = dirty_take(ie, 0, UINT64_MAX, &n);
	int err = taken == NULL && n ? -ENOMEM : 0;

	if (ie->cache == c)
		ie->cache = NULL;
	if (taken != NULL)
		err = write_taken(c, taken, n);
	if (err < 0)
		printk("kiln: ext4 %s: inode %u: stores through mmap not "
		       "written (error %d)\n",
		       node->m->fs->name, ie->in.ino, err);
	kfree(taken);
	cache_list_del(node);
	ext4_release(c);
}

/* Only the pages: it is never looked up, opened or changed itself. */
static const struct vnode_ops ext4_cache_vops = {
	.readpage = ext4_readpage,
	.release = cache_release,
	.page_mkwrite = ext4_page_mkwrite,
	.writeback = ext4_writeback,
};
