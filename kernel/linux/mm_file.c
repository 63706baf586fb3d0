/* mm_file.c - what a file area maps (struct vma_file), the write-back of shared maps' stores, and /proc/self/maps. */
#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/clock.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
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

/* When the oldest store not yet written back was marked, or 0. */
uint64_t mm_dirty_since_ns;

bool mm_tracks_stores(const struct vma *v)
{
	return (v->flags & VMA_SHARED) && v->file && v->file->vn->ops &&
	       v->file->vn->ops->page_mkwrite;
}

int mm_page_mkwrite(struct vma *v, uintptr_t va, bool alloc)
{
	/* held: the hook may sleep, and v may be unmapped meanwhile */
	struct vnode *vn = vnode_get(v->file->vn);
	int err = vn->ops->page_mkwrite(
		vn, (v->offset + (va - v->start)) / PAGE_SIZE, alloc);

	vnode_put(vn);

	if (err == 0 && mm_dirty_since_ns == 0)
		mm_dirty_since_ns = clock_monotonic_ns();
	/* a file system that cannot take the store: SIGBUS, as Linux */
	return err == 0 || err == -ENOMEM ? err : -EIO;
}

/* The pages first..last of vn, to make read-only in each address space. */
struct wp_range {
	const struct vnode *vn;
	uint64_t first, last;
};

static void wrprotect_in(struct proc *p, void *ctx)
{
	const struct wp_range *w = ctx;

	for (struct vma *v = p->mm ? p->mm->vmas : NULL; v; v = v->next) {
		uint64_t lo = v->offset / PAGE_SIZE,
			 hi = lo + (v->end - v->start) / PAGE_SIZE - 1;
		uintptr_t start, end;

		if (!mm_tracks_stores(v) || v->file->vn != w->vn ||
		    hi < w->first || lo > w->last)
			continue;
		start = v->start +
			(w->first > lo ? w->first - lo : 0) * PAGE_SIZE;
		end = v->end - (w->last < hi ? hi - w->last : 0) * PAGE_SIZE;
		for (uintptr_t va = paging_next_user(p->mm->as, start, end);
		     va < end;
		     va = paging_next_user(p->mm->as, va + PAGE_SIZE, end))
			paging_protect_user(p->mm->as, va,
					    v->prot & ~PROT_WRITE);
	}
}

int mm_file_writeback(struct vnode *vn, uint64_t first, uint64_t last,
		      unsigned int how)
{
	struct wp_range w = { vn, first, last };

	if (vn == NULL || vn->ops == NULL || vn->ops->writeback == NULL)
		return 0;
	/* nothing sleeps between this and the hook taking the pages */
	proc_for_each(wrprotect_in, &w);
	return vn->ops->writeback(vn, first, last, how);
}

int mm_writeback_range(struct mm *mm, uintptr_t start, size_t len,
		       unsigned int how)
{
	uintptr_t end = start + len;
	int err = 0;

	/* one area at a time, found again after each (writes sleep) */
	for (uintptr_t at = start; at < end;) {
		struct vma *v = mm->vmas;
		struct vnode *vn;
		uintptr_t lo, hi;
		int e;

		while (v && (v->end <= at || !mm_tracks_stores(v)))
			v = v->next;
		if (v == NULL || v->start >= end)
			break;
		lo = v->start > at ? v->start : at;
		hi = v->end < end ? v->end : end;
		vn = vnode_get(v->file->vn);
		e = mm_file_writeback(
			vn, (v->offset + (lo - v->start)) / PAGE_SIZE,
			(v->offset + (hi - v->start)) / PAGE_SIZE - 1, how);
		vnode_put(vn);
		if (e < 0 && err == 0)
			err = e;
		at = hi;
	}
	return err;
}

/* The nodes some shared area maps (referenced), gathered without sleeping. */
struct wb_set {
	struct vnode **vn;
	size_t n, cap;
	bool short_of_memory;
};

static void gather_in(struct proc *p, void *ctx)
{
	struct wb_set *s = ctx;

	for (struct vma *v = p->mm ? p->mm->vmas : NULL; v; v = v->next) {
		size_t i = 0;

		if (!mm_tracks_stores(v))
			continue;
		while (i < s->n && s->vn[i] != v->file->vn)
			i++;
		if (i < s->n)
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 8;
			struct vnode **a = kmalloc(cap * sizeof(*a));

			if (a == NULL) {
				s->short_of_memory = true;
				return;
			}
			if (s->n)
				memcpy(a, s->vn, s->n * sizeof(*a));
			kfree(s->vn);
			s->vn = a;
			s->cap = cap;
		}
		s->vn[s->n++] = vnode_get(v->file->vn);
	}
}

int mm_writeback_all(void)
{
	struct wb_set s = { NULL, 0, 0, false };
	int err = 0;

	mm_dirty_since_ns = 0;
	proc_for_each(gather_in, &s);
	for (size_t i = 0; i < s.n; i++) {
		int e = mm_file_writeback(s.vn[i], 0, UINT64_MAX, 0);

		if (e < 0 && err == 0)
			err = e;
		vnode_put(s.vn[i]);
	}
	kfree(s.vn);
	if (s.short_of_memory && err == 0)
		err = -ENOMEM;
	if (err < 0)
		printk("kiln: stores through shared mmap not written back "
		       "(error %d)\n",
		       err);
	return err;
}

void mm_writeback_aged(void)
{
	if (mm_dirty_since_ns != 0 &&
	    clock_monotonic_ns() - mm_dirty_since_ns > MM_WRITEBACK_AGE_NS)
		mm_writeback_all();
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
