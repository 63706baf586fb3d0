/* mm_file.c - what a file area maps (struct vma_file) and /proc/self/maps. */
#include <asm-generic/mman-common.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"

struct vma_file *vma_file_new(struct vnode *vn, const char *path, bool writable)
{
	size_t len = path ? strlen(path) : 0;
	struct vma_file *f = kmalloc(sizeof(*f) + len + 1);

	if (!f)
		return NULL;
	f->refs = 1;
	f->release = NULL;
	f->owner = NULL;
	f->owner_next = NULL;
	f->vn = vnode_get(vn);
	f->writable = writable;
	memcpy(f->path, path ? path : "", len + 1);
	return f;
}

void vma_file_put(struct vma_file *f)
{
	if (--f->refs > 0)
		return;
	if (f->release)
		f->release(f);
	vnode_put(f->vn);
	kfree(f);
}

/*
 * Linux's shmem_zero_setup: a shared anonymous mapping (or a shared
 * mapping of /dev/zero) maps an unlinked tmpfs node of its own size, so
 * it is a shared file mapping like any other: a fork shares its pages
 * with nothing special, and maps shows "/dev/zero (deleted)".
 */
struct vma_file *shmem_zero_file(size_t len)
{
	struct vnode *vn = vnode_new(S_IFREG | 0777);
	struct vma_file *f = NULL;

	if (!vn)
		return NULL;
	if (tmpfs_truncate(vn, len) == 0)
		f = vma_file_new(vn, "/dev/zero", true);
	vnode_put(vn); /* f holds it, or it is freed */
	return f;
}

/*
 * Column where Linux starts the name: show_vma_header_prefix pads the
 * line to 25 + 6 * sizeof(void *) - 1 characters and adds one space
 * (fs/proc/task_mmu.c, seq_setwidth and seq_pad).
 */
#define MAPS_NAME_COLUMN 73

/* One line of maps for v at buf (up to size bytes): snprintf's result. */
static int format_vma(char *buf, size_t size, const struct vma *v)
{
	const char *name = v->file ? v->file->path : v->name;
	const char *deleted = v->file && v->file->vn->nlink == 0 ?
				      " (deleted)" :
				      "";
	uint64_t ino = v->file ? v->file->vn->ino : 0;
	/* new_encode_dev's split of st_dev into major and minor */
	unsigned int dev = v->file ? VFS_DEV : 0;
	int n = fmt_snprintf(buf, size,
			     "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu",
			     v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
			     v->prot & PROT_WRITE ? 'w' : '-',
			     v->prot & PROT_EXEC ? 'x' : '-',
			     v->flags & VMA_SHARED ? 's' : 'p', v->offset,
			     (dev >> 8) & 0xfff,
			     (dev & 0xff) | ((dev >> 12) & 0xfff00), ino);
	int m;

	if (n < 0 || name[0] == '\0' || (size_t)n >= size)
		return n;
	m = fmt_snprintf(buf + n, size - (size_t)n, "%*s%s%s",
			 n < MAPS_NAME_COLUMN ? MAPS_NAME_COLUMN - n : 1, "",
			 name, deleted);
	return m < 0 ? m : n + m;
}

size_t mm_format_maps(struct mm *mm, char *buf, size_t size)
{
	size_t len = 0;

	for (struct vma *v = mm ? mm->vmas : NULL; v; v = v->next) {
		int n = format_vma(buf + len, size - len, v);

		if (n < 0 || (size_t)n + 1 >= size - len)
			break; /* truncated at a whole line */
		buf[len + (size_t)n] = '\n';
		len += (size_t)n + 1;
	}
	return len;
}
