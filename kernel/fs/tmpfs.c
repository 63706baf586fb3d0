/* tmpfs.c - regular file data in memory: a growable buffer, sparse tail, archive borrowing. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/page.h"
#include "lib/string.h"

/*
 * A file's bytes [0, valid) live in data; [valid, size) read as zeros
 * without memory (a truncate that grows, or a seek past the end). Files
 * from the archive borrow its read-only memory until the first change,
 * when they get a copy of their own.
 */
#define TMPFS_MAX_FILE (1UL << 40)

static size_t grow_cap(size_t cap, size_t need)
{
	size_t c = cap < 64 ? 64 : cap;

	while (c < need)
		c = c < (1UL << 30) ? c * 2 : c + (1UL << 30);
	if (c > 2048)
		c = (c + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return c;
}

/* Make data hold at least need bytes of our own (zero-filled beyond valid). */
static int reserve(struct vnode *vn, size_t need)
{
	size_t cap;
	char *data;

	if (!vn->reg.borrowed && need <= vn->reg.cap)
		return 0;
	cap = grow_cap(vn->reg.cap, need);
	data = kmalloc(cap);
	if (data == NULL)
		return -ENOMEM;
	if (vn->reg.valid > 0)
		memcpy(data, vn->reg.data, vn->reg.valid);
	memset(data + vn->reg.valid, 0, cap - vn->reg.valid);
	if (!vn->reg.borrowed)
		kfree(vn->reg.data);
	vn->reg.data = data;
	vn->reg.cap = cap;
	vn->reg.borrowed = false;
	return 0;
}

long tmpfs_read(struct vnode *vn, void *buf, size_t n, uint64_t off)
{
	size_t size = vn->reg.size, from_data;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = size - off;
	from_data = off < vn->reg.valid ? vn->reg.valid - off : 0;
	if (from_data > n)
		from_data = n;
	if (from_data > 0)
		memcpy(buf, vn->reg.data + off, from_data);
	memset((char *)buf + from_data, 0, n - from_data);
	return (long)n;
}

long tmpfs_write(struct vnode *vn, const void *buf, size_t n, uint64_t off)
{
	size_t end;
	int err;

	if (off >= TMPFS_MAX_FILE)
		return -EFBIG;
	if (n > TMPFS_MAX_FILE - off)
		n = TMPFS_MAX_FILE - off;
	if (n == 0)
		return 0;
	end = (size_t)off + n;
	err = reserve(vn, end);
	if (err < 0)
		return err;
	if (off > vn->reg.valid) /* the gap is zeros already (reserve) */
		memset(vn->reg.data + vn->reg.valid, 0, off - vn->reg.valid);
	memcpy(vn->reg.data + off, buf, n);
	if (end > vn->reg.valid)
		vn->reg.valid = end;
	if (end > vn->reg.size)
		vn->reg.size = end;
	return (long)n;
}

int tmpfs_truncate(struct vnode *vn, uint64_t size)
{
	if (size > TMPFS_MAX_FILE)
		return -EFBIG;
	if (size < vn->reg.valid) {
		if (vn->reg.borrowed) {
			vn->reg.valid = size; /* a prefix of the archive data */
		} else {
			memset(vn->reg.data + size, 0, vn->reg.valid - size);
			vn->reg.valid = size;
		}
	}
	vn->reg.size = size;
	return 0;
}

int tmpfs_materialize(struct vnode *vn)
{
	int err;

	if (vn->reg.valid == vn->reg.size)
		return 0;
	err = reserve(vn, vn->reg.size);
	if (err < 0)
		return err;
	vn->reg.valid = vn->reg.size;
	return 0;
}

void tmpfs_borrow(struct vnode *vn, const void *data, size_t size)
{
	vn->reg.data = (char *)(uintptr_t)data; /* never written: borrowed */
	vn->reg.size = size;
	vn->reg.valid = size;
	vn->reg.cap = 0;
	vn->reg.borrowed = true;
}

void tmpfs_free(struct vnode *vn)
{
	if (!vn->reg.borrowed)
		kfree(vn->reg.data);
	vn->reg.data = NULL;
	vn->reg.size = vn->reg.valid = vn->reg.cap = 0;
}

uint64_t tmpfs_allocated(const struct vnode *vn)
{
	if (vn->reg.borrowed)
		return (vn->reg.valid + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return vn->reg.cap;
}
