/* tmpfs.c - regular file data in memory: pages in a radix tree, holes, archive borrowing. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/fcntl.h>

#include "core/heap.h"
#include "core/page.h"
#include "lib/string.h"

/*
 * A file's data is a radix tree of pages, indexed by page number, so a
 * file grows a page at a time up to the memory there is (a buffer that
 * doubled needed twice the file in one contiguous run, and stopped a
 * file at 32 MiB with 95 MiB free). Every node is one page of 512
 * pointers; a tree of height h covers 512^h pages, and at height 0 the
 * root is the data page of index 0 itself:
 *
 *     root (height 2)  [0 .. 511] --> leaf [0 .. 511] --> data page
 *                                                    \--> NULL (a hole)
 *
 * A missing page reads as zeros (a hole: a seek past the end, a truncate
 * that grows). Two cheaper forms come first: files from the archive
 * borrow its read-only memory (data, the first valid bytes of it) until
 * their first write, and a file that never held more than SMALL_MAX
 * bytes keeps them in a small heap buffer (small: its size) rather than
 * a page: many tiny files are common, and they cost 64 bytes rather
 * than 4 KiB each.
 *
 * Like Linux's tmpfs, a write that finds no memory fails with ENOSPC;
 * TMPFS_RESERVE pages stay free for the kernel (stacks, sockets, pipes).
 */
#define SLOT_BITS 9
#define SLOTS (1UL << SLOT_BITS) /* PAGE_SIZE / sizeof(void *) */
#define TMPFS_RESERVE 512	 /* 2 MiB */
/*
 * A mapping's page is the app's working set, as its stack pages are: it
 * may take memory down to the last pages (architecture.md, "Memory"),
 * so code a program has not run yet can be had once its heap reached
 * the commit limit (which leaves 256 pages free).
 */
#define MAP_RESERVE 8
/* Free pages under which page_reclaim is asked first (a batch of them). */
#define TMPFS_RECLAIM_LOW 64
#define SMALL_MIN 64
#define SMALL_MAX 2048 /* the heap's largest class */

_Static_assert(SLOTS * sizeof(void *) == PAGE_SIZE, "a node is one page");

/* Pages a tree of height h covers. */
static uint64_t span(unsigned int h)
{
	return 1ULL << (SLOT_BITS * h);
}

/*
 * A zeroed page for data or a node, or NULL when no more than reserve
 * pages are free.
 */
static void *tmpfs_page(size_t reserve)
{
	/* clean cached pages go before the reserve is touched */
	if (page_free_count() <= reserve + TMPFS_RECLAIM_LOW)
		page_reclaim(reserve + TMPFS_RECLAIM_LOW + 1 -
			     page_free_count());
	if (page_free_count() <= reserve)
		return NULL;
	return page_alloc_zero(1);
}

/* Where a node of height h > 0 keeps the subtree holding index idx. */
static void **slot_of(void *node, unsigned int h, uint64_t idx)
{
	return &((void **)node)[(idx >> (SLOT_BITS * (h - 1))) & (SLOTS - 1)];
}

/* The data page at index idx, or NULL (a hole). */
static char *page_at(const struct vnode *vn, uint64_t idx)
{
	void *p = vn->reg.root;
	unsigned int h = vn->reg.height;

	if (idx >= span(h))
		return NULL;
	for (; p != NULL && h > 0; h--)
		p = *slot_of(p, h, idx);
	return p;
}

/*
 * The slot for the data page at idx, with the nodes above it made if
 * missing; NULL when memory is short.
 */
static void **slot_make(struct vnode *vn, uint64_t idx, size_t reserve)
{
	void **slot = &vn->reg.root;

	while (idx >= span(vn->reg.height)) { /* taller: the root goes under */
		void **node = tmpfs_page(reserve);

		if (node == NULL)
			return NULL;
		node[0] = vn->reg.root;
		vn->reg.root = node;
		vn->reg.height++;
	}
	for (unsigned int h = vn->reg.height; h > 0; h--) {
		if (*slot == NULL && (*slot = tmpfs_page(reserve)) == NULL)
			return NULL;
		slot = slot_of(*slot, h, idx);
	}
	return slot;
}

/* The data page at idx, made (zeroed) with the nodes above it if missing. */
static char *page_make(struct vnode *vn, uint64_t idx, size_t reserve)
{
	void **slot = slot_make(vn, idx, reserve);

	if (slot == NULL)
		return NULL;
	if (*slot == NULL) {
		*slot = tmpfs_page(reserve);
		if (*slot == NULL)
			return NULL;
		vn->reg.npages++;
	}
	return *slot;
}

/*
 * Free what *slot, a subtree of height h whose first index is base, holds
 * at index >= from, and the nodes left empty. Recursion is as deep as the
 * tree (4 at most).
 */
static void free_from(struct vnode *vn, void **slot, unsigned int h,
		      uint64_t base, uint64_t from)
{
	void **node = *slot;

	if (node == NULL || base + span(h) <= from)
		return;
	if (h == 0) {
		vn->reg.npages--;
	} else {
		bool empty = true;

		for (uint64_t i = 0; i < SLOTS; i++) {
			uint64_t first = base + i * span(h - 1);

			free_from(vn, &node[i], h - 1, first, from);
			empty &= node[i] == NULL;
		}
		if (!empty)
			return;
	}
	if (h == 0)
		page_put(node); /* mappings may still hold it */
	else
		page_free(node, 1);
	*slot = NULL;
}

static void free_pages_from(struct vnode *vn, uint64_t from)
{
	free_from(vn, &vn->reg.root, vn->reg.height, 0, from);
	if (vn->reg.root == NULL)
		vn->reg.height = 0;
}

/* The small buffer grown to hold [0, end) (end <= SMALL_MAX): 0, -ENOSPC. */
static int small_grow(struct vnode *vn, size_t end)
{
	size_t cap = vn->reg.small ? vn->reg.small : SMALL_MIN;
	char *buf;

	if (end <= vn->reg.small)
		return 0;
	while (cap < end)
		cap *= 2;
	if (page_free_count() <= TMPFS_RESERVE || (buf = kzalloc(cap)) == NULL)
		return -ENOSPC;
	if (vn->reg.small) {
		memcpy(buf, vn->reg.root, vn->reg.small);
		kfree(vn->reg.root);
	}
	vn->reg.root = buf;
	vn->reg.small = cap;
	return 0;
}

/* The small buffer's bytes moved into page 0 (a tree of height 0). */
static int small_to_page(struct vnode *vn)
{
	char *p;

	if (vn->reg.small == 0)
		return 0;
	p = tmpfs_page(TMPFS_RESERVE);
	if (p == NULL)
		return -ENOSPC;
	memcpy(p, vn->reg.root, vn->reg.small);
	kfree(vn->reg.root);
	vn->reg.root = p;
	vn->reg.small = 0;
	vn->reg.npages = 1;
	return 0;
}

/*
 * Copy the k bytes at in of page idx into buf: from the tree, else (a
 * page not made yet) from the archive while borrowed, else zeros (a hole).
 */
static void read_page(const struct vnode *vn, uint64_t idx, size_t in,
		      char *buf, size_t k)
{
	const char *p = page_at(vn, idx);
	uint64_t pos = idx * PAGE_SIZE + in;
	size_t have = 0;

	if (p != NULL) {
		memcpy(buf, p + in, k);
		return;
	}
	if (vn->reg.borrowed && pos < vn->reg.valid) {
		have = vn->reg.valid - pos < k ? vn->reg.valid - pos : k;
		memcpy(buf, vn->reg.data + pos, have);
	}
	memset(buf + have, 0, k - have);
}

/*
 * The archive's own page for page idx of a borrowed file, or NULL: one
 * wholly inside the file's valid bytes, on a page boundary, that the
 * allocator knows as held for the whole run (page_fixed: the image's
 * archive, which `kiln build` lays out so, include/kiln/image.h).
 */
static char *archive_page(const struct vnode *vn, uint64_t idx)
{
	const char *p = vn->reg.data + idx * PAGE_SIZE;

	if (!vn->reg.borrowed || vn->reg.valid / PAGE_SIZE <= idx ||
	    !page_fixed(p))
		return NULL;
	return (char *)(uintptr_t)p; /* tmpfs writes it only once unborrowed */
}

/*
 * The data page at idx, made if missing; a borrowed file's new page is
 * the archive's page itself when it can be (archive_page), else a copy of
 * the archive's bytes. NULL when memory is short.
 */
static char *page_fill(struct vnode *vn, uint64_t idx, size_t reserve)
{
	char *p = page_at(vn, idx);
	uint64_t pos = idx * PAGE_SIZE;
	void **slot;

	if (p != NULL)
		return p;
	p = archive_page(vn, idx);
	if (p != NULL) {
		slot = slot_make(vn, idx, reserve);
		if (slot == NULL)
			return NULL;
		*slot = p;
		vn->reg.npages++;
		return p;
	}
	p = page_make(vn, idx, reserve); /* zeroed */
	if (p != NULL && vn->reg.borrowed && pos < vn->reg.valid)
		memcpy(p, vn->reg.data + pos,
		       vn->reg.valid - pos < PAGE_SIZE ? vn->reg.valid - pos :
							 PAGE_SIZE);
	return p;
}

/*
 * A borrowed file gets memory of its own: 0, or -ENOSPC (still borrowed;
 * the pages made stay, they hold the archive's bytes). Pages already made
 * (by the page cache) are kept: mappings may hold them.
 */
static int unborrow(struct vnode *vn)
{
	size_t n = vn->reg.valid < vn->reg.size ? vn->reg.valid : vn->reg.size;
	const char *data = vn->reg.data;

	if (n > 0 && n <= SMALL_MAX && vn->reg.root == NULL) {
		vn->reg.borrowed = false;
		if (small_grow(vn, n) < 0) {
			vn->reg.borrowed = true;
			return -ENOSPC;
		}
		memcpy(vn->reg.root, data, n);
		goto done;
	}
	for (size_t off = 0; off < n; off += PAGE_SIZE)
		if (page_fill(vn, off / PAGE_SIZE, TMPFS_RESERVE) == NULL)
			return -ENOSPC;
done:
	vn->reg.borrowed = false;
	vn->reg.data = NULL;
	vn->reg.valid = 0;
	return 0;
}

long tmpfs_read(struct vnode *vn, void *buf, size_t n, uint64_t off)
{
	size_t size = vn->reg.size, done = 0;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = size - off;
	if (vn->reg.small) {
		done = off < vn->reg.small ? vn->reg.small - off : 0;
		done = done < n ? done : n;
		memcpy(buf, (const char *)vn->reg.root + off, done);
		memset((char *)buf + done, 0, n - done);
		return (long)n;
	}
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos % PAGE_SIZE, k = PAGE_SIZE - in;

		k = k < n - done ? k : n - done;
		read_page(vn, pos / PAGE_SIZE, in, (char *)buf + done, k);
		done += k;
	}
	return (long)n;
}

/*
 * The file grows from its size to end: zero what its last page holds past
 * the old end, which a shared mapping may have written (Linux's
 * pagecache_isize_extended), so the gap reads as zeros. Pages wholly past
 * the end never exist (faults there are SIGBUS; truncate frees them).
 */
static void zero_past_end(struct vnode *vn, uint64_t end)
{
	uint64_t size = vn->reg.size, stop = (size | (PAGE_SIZE - 1)) + 1;
	char *p = page_at(vn, size / PAGE_SIZE);

	if (p != NULL && size % PAGE_SIZE != 0 && end > size)
		memset(p + size % PAGE_SIZE, 0,
		       (end < stop ? end : stop) - size);
}

/*
 * What a sealed file lets a write of n bytes at off do: Linux checks
 * F_SEAL_GROW page by page (shmem_write_begin), so the pages that end
 * inside the file are written and the first that would grow it fails.
 */
static long sealed_write(const struct vnode *vn, size_t n, uint64_t off)
{
	uint64_t at = off, end = off + n, next;

	if (vn->reg.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if (!(vn->reg.seals & F_SEAL_GROW))
		return (long)n;
	for (; at < end; at = next) {
		next = (at / PAGE_SIZE + 1) * PAGE_SIZE;
		if (next > end)
			next = end;
		if (next > vn->reg.size)
			break;
	}
	return at > off ? (long)(at - off) : -EPERM;
}

long tmpfs_write(struct vnode *vn, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	long allowed;
	int err;

	if (off >= TMPFS_MAX_FILE)
		return -EFBIG;
	if (n > TMPFS_MAX_FILE - off)
		n = TMPFS_MAX_FILE - off;
	if (n == 0)
		return 0;
	if (vn->reg.seals & ~(uint32_t)F_SEAL_SEAL) {
		allowed = sealed_write(vn, n, off);
		if (allowed < 0)
			return allowed;
		n = (size_t)allowed;
	}
	if (vn->reg.borrowed && (err = unborrow(vn)) < 0)
		return err;
	if (vn->reg.root == NULL || vn->reg.small) {
		if (off + n <= SMALL_MAX) {
			if ((err = small_grow(vn, off + n)) < 0)
				return err;
			memcpy((char *)vn->reg.root + off, buf, n);
			if (off + n > vn->reg.size)
				vn->reg.size = off + n;
			return (long)n;
		}
		if ((err = small_to_page(vn)) < 0)
			return err;
	}
	zero_past_end(vn, off);
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos % PAGE_SIZE, k = PAGE_SIZE - in;
		char *p = page_make(vn, pos / PAGE_SIZE, TMPFS_RESERVE);

		if (p == NULL)
			break;
		k = k < n - done ? k : n - done;
		memcpy(p + in, (const char *)buf + done, k);
		done += k;
	}
	if (done == 0)
		return -ENOSPC;
	if (off + done > vn->reg.size)
		vn->reg.size = off + done;
	return (long)done; /* short when memory ran out, as on Linux */
}

int tmpfs_truncate(struct vnode *vn, uint64_t size)
{
	char *p;

	if (vn->ops != NULL && vn->ops->truncate != NULL)
		return vn->ops->truncate(vn, size);

	if (size > TMPFS_MAX_FILE)
		return -EFBIG;
	/* shmem_setattr */
	if ((size < vn->reg.size && (vn->reg.seals & F_SEAL_SHRINK)) ||
	    (size > vn->reg.size && (vn->reg.seals & F_SEAL_GROW)))
		return -EPERM;
	if (vn->reg.borrowed && size < vn->reg.valid)
		vn->reg.valid = size; /* a prefix of the archive data */
	if (vn->reg.small) {
		/* Bytes cut off read as zeros if the file grows again. */
		if (size < vn->reg.small)
			memset((char *)vn->reg.root + size, 0,
			       vn->reg.small - size);
	} else if (size > vn->reg.size) {
		zero_past_end(vn, size);
	} else if (size < vn->reg.size) {
		free_pages_from(vn, (size + PAGE_SIZE - 1) / PAGE_SIZE);
		p = page_at(vn, size / PAGE_SIZE);
		if (p != NULL)
			memset(p + size % PAGE_SIZE, 0,
			       PAGE_SIZE - size % PAGE_SIZE);
	}
	vn->reg.size = size;
	return 0;
}

int tmpfs_contiguous(struct vnode *vn, const void **data, void **copy)
{
	char *buf;

	*copy = NULL;
	if (vn->reg.borrowed && vn->reg.valid >= vn->reg.size &&
	    vn->reg.root == NULL) {
		*data = vn->reg.data;
		return 0;
	}
	buf = kmalloc(vn->reg.size ? vn->reg.size : 1);
	if (buf == NULL)
		return -ENOMEM;
	tmpfs_read(vn, buf, vn->reg.size, 0);
	*data = *copy = buf;
	return 0;
}

void tmpfs_borrow(struct vnode *vn, const void *data, size_t size)
{
	vn->reg.data = (const char *)data;
	vn->reg.size = size;
	vn->reg.valid = size;
	vn->reg.borrowed = true;
}

void tmpfs_free(struct vnode *vn)
{
	if (vn->reg.small)
		kfree(vn->reg.root);
	else
		free_pages_from(vn, 0);
	vn->reg.root = NULL;
	vn->reg.small = 0;
	vn->reg.data = NULL;
	vn->reg.size = vn->reg.valid = 0;
	vn->reg.borrowed = false;
}

uint64_t tmpfs_allocated(const struct vnode *vn)
{
	if (vn->reg.borrowed)
		return (vn->reg.valid + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (vn->reg.small)
		return PAGE_SIZE; /* what Linux's tmpfs charges */
	return (uint64_t)vn->reg.npages * PAGE_SIZE;
}

/*
 * Contract in vfs.h. Only the page asked for is made: a borrowed file's
 * other pages stay in the archive until something touches them, so
 * mapping a large library costs the pages used, copied once.
 */
void *tmpfs_page_read(struct vnode *vn, uint64_t idx, int *err)
{
	void **slot;
	char *p;

	*err = -ENOMEM;
	if (vn->ops == NULL || vn->ops->readpage == NULL)
		return tmpfs_page_get(vn, idx);
	if (idx >= TMPFS_MAX_FILE / PAGE_SIZE)
		return NULL;
	p = page_at(vn, idx);
	if (p == NULL) {
		/* Read before it is linked: a failed read leaves no page. */
		p = tmpfs_page(MAP_RESERVE);
		if (p == NULL)
			return NULL;
		*err = vn->ops->readpage(vn, idx, p);
		slot = *err == 0 ? slot_make(vn, idx, MAP_RESERVE) : NULL;
		if (slot == NULL || *slot != NULL) {
			/* failed, or another thread's read won while we slept */
			page_free(p, 1);
			if (slot == NULL)
				return NULL;
			p = *slot;
		} else {
			*slot = p;
			vn->reg.npages++;
		}
	}
	page_get(p);
	*err = 0;
	return p;
}

bool tmpfs_page_drop(struct vnode *vn, uint64_t idx)
{
	void **slot = &vn->reg.root;
	unsigned int h = vn->reg.height;

	if (vn->reg.small || idx >= span(h))
		return false;
	for (; *slot != NULL && h > 0; h--)
		slot = slot_of(*slot, h, idx);
	if (*slot == NULL || page_refs(*slot) != 1)
		return false;
	page_free(*slot, 1);
	*slot = NULL;
	vn->reg.npages--;
	return true;
}

void *tmpfs_page_peek(const struct vnode *vn, uint64_t idx)
{
	return vn->reg.small ? NULL : page_at(vn, idx);
}

void *tmpfs_page_get(struct vnode *vn, uint64_t idx)
{
	char *p;

	if (idx >= TMPFS_MAX_FILE / PAGE_SIZE || small_to_page(vn) < 0)
		return NULL;
	p = page_fill(vn, idx, MAP_RESERVE);
	if (p != NULL)
		page_get(p);
	return p;
}
