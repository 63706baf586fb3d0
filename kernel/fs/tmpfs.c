/* tmpfs.c - regular file data in memory: pages in a radix tree, holes, archive borrowing. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "lib/string.h"

/*
 * A file's data is a radix tree of pages, indexed by page number, so a
 * file grows a page at a time up to the memory there is (a buffer that
 * doubled needed twice the file in one contiguous run, and stopped a
 * file at 32 MiB with 95 MiB free). Every node is one page of 512
 * pointers; a tree of height h covers 512^h pages:
 *
 *     root (height 2)  [0 .. 511] --> leaf [0 .. 511] --> data page
 *                                                    \--> NULL (a hole)
 *
 * A missing page reads as zeros (a hole: a seek past the end, a truncate
 * that grows). Files from the archive borrow its read-only memory (data,
 * the first valid bytes of it) until their first write, which copies
 * them into pages.
 *
 * Like Linux's tmpfs, a write that finds no memory fails with ENOSPC;
 * TMPFS_RESERVE pages stay free for the kernel (stacks, sockets, pipes).
 */
#define TMPFS_MAX_FILE (1UL << 40)
#define SLOT_BITS 9
#define SLOTS (1UL << SLOT_BITS)	/* PAGE_SIZE / sizeof(void *) */
#define TMPFS_RESERVE 512		/* 2 MiB */

_Static_assert(SLOTS * sizeof(void *) == PAGE_SIZE, "a node is one page");

/* Pages a tree of height h covers. */
static uint64_t span(unsigned int h)
{
	return h == 0 ? 0 : 1ULL << (SLOT_BITS * h);
}

/* A zeroed page for data or a node, or NULL when memory is short. */
static void *tmpfs_page(void)
{
	if (page_free_count() <= TMPFS_RESERVE)
		return NULL;
	return page_alloc_zero(1);
}

/* The data page at index idx, or NULL (a hole). */
static char *page_at(const struct vnode *vn, uint64_t idx)
{
	void **node = vn->reg.root;
	unsigned int h = vn->reg.height;

	if (idx >= span(h))
		return NULL;
	for (; node != NULL && h > 1; h--)
		node = node[(idx >> (SLOT_BITS * (h - 1))) & (SLOTS - 1)];
	return node != NULL ? node[idx & (SLOTS - 1)] : NULL;
}

/* The data page at idx, made (zeroed) with the nodes above it if missing. */
static char *page_make(struct vnode *vn, uint64_t idx)
{
	void **node, **slot;

	while (idx >= span(vn->reg.height)) { /* a taller tree: root goes under */
		node = tmpfs_page();
		if (node == NULL)
			return NULL;
		node[0] = vn->reg.root;
		vn->reg.root = node;
		vn->reg.height++;
	}
	node = vn->reg.root;
	for (unsigned int h = vn->reg.height; h > 0; h--) {
		slot = &node[(idx >> (SLOT_BITS * (h - 1))) & (SLOTS - 1)];
		if (*slot == NULL) {
			*slot = tmpfs_page();
			if (*slot == NULL)
				return NULL;
			if (h == 1)
				vn->reg.npages++;
		}
		node = *slot;
	}
	return (char *)node;
}

/*
 * Free the data pages at index >= from in the subtree node of height h
 * whose first index is base, and the nodes left empty; true when node
 * itself is left empty. Recursion is as deep as the tree (4 at most).
 */
static bool free_from(struct vnode *vn, void **node, unsigned int h,
		      uint64_t base, uint64_t from)
{
	uint64_t child = span(h - 1) ? span(h - 1) : 1;
	bool empty = true;

	for (uint64_t i = 0; i < SLOTS; i++) {
		if (node[i] == NULL)
			continue;
		if (base + (i + 1) * child <= from) {
			empty = false;
			continue;
		}
		if (h == 1)
			vn->reg.npages--;
		else if (!free_from(vn, node[i], h - 1, base + i * child, from)) {
			empty = false;
			continue;
		}
		page_free(node[i], 1);
		node[i] = NULL;
	}
	return empty;
}

static void free_pages_from(struct vnode *vn, uint64_t from)
{
	if (vn->reg.root == NULL)
		return;
	if (free_from(vn, vn->reg.root, vn->reg.height, 0, from)) {
		page_free(vn->reg.root, 1);
		vn->reg.root = NULL;
		vn->reg.height = 0;
	}
}

/* A borrowed file gets pages of its own: 0, or -ENOSPC (still borrowed). */
static int unborrow(struct vnode *vn)
{
	size_t n = vn->reg.valid < vn->reg.size ? vn->reg.valid : vn->reg.size;

	for (size_t off = 0; off < n; off += PAGE_SIZE) {
		char *p = page_make(vn, off / PAGE_SIZE);

		if (p == NULL) {
			free_pages_from(vn, 0);
			return -ENOSPC;
		}
		memcpy(p, vn->reg.data + off, n - off < PAGE_SIZE ? n - off : PAGE_SIZE);
	}
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
	if (vn->reg.borrowed) {
		done = off < vn->reg.valid ? vn->reg.valid - off : 0;
		done = done < n ? done : n;
		memcpy(buf, vn->reg.data + off, done);
		memset((char *)buf + done, 0, n - done);
		return (long)n;
	}
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos % PAGE_SIZE, k = PAGE_SIZE - in;
		const char *p = page_at(vn, pos / PAGE_SIZE);

		k = k < n - done ? k : n - done;
		if (p != NULL)
			memcpy((char *)buf + done, p + in, k);
		else
			memset((char *)buf + done, 0, k);
		done += k;
	}
	return (long)n;
}

long tmpfs_write(struct vnode *vn, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	int err;

	if (off >= TMPFS_MAX_FILE)
		return -EFBIG;
	if (n > TMPFS_MAX_FILE - off)
		n = TMPFS_MAX_FILE - off;
	if (n == 0)
		return 0;
	if (vn->reg.borrowed && (err = unborrow(vn)) < 0)
		return err;
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos % PAGE_SIZE, k = PAGE_SIZE - in;
		char *p = page_make(vn, pos / PAGE_SIZE);

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

	if (size > TMPFS_MAX_FILE)
		return -EFBIG;
	if (vn->reg.borrowed) {
		if (size < vn->reg.valid)
			vn->reg.valid = size; /* a prefix of the archive data */
	} else if (size < vn->reg.size) {
		/* Bytes cut off read as zeros if the file grows again. */
		free_pages_from(vn, (size + PAGE_SIZE - 1) / PAGE_SIZE);
		p = page_at(vn, size / PAGE_SIZE);
		if (p != NULL)
			memset(p + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	}
	vn->reg.size = size;
	return 0;
}

int tmpfs_contiguous(struct vnode *vn, const void **data, void **copy)
{
	char *buf;

	*copy = NULL;
	if (vn->reg.borrowed && vn->reg.valid >= vn->reg.size) {
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
	free_pages_from(vn, 0);
	vn->reg.data = NULL;
	vn->reg.size = vn->reg.valid = 0;
	vn->reg.borrowed = false;
}

uint64_t tmpfs_allocated(const struct vnode *vn)
{
	if (vn->reg.borrowed)
		return (vn->reg.valid + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return (uint64_t)vn->reg.npages * PAGE_SIZE;
}
