/* mm.c - the application's address space: areas (VMAs), mapping, protection, moving, fork (faults: mm_fault.c). */
#include "linux/mm.h"

#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	mm->as = paging_as_create();
	if (!mm->as) {
		kfree(mm);
		return NULL;
	}
	mm->mmap_top = 0x7f0000000000UL;
	mm->users = 1;
	return mm;
}

struct vma *mm_find(struct mm *mm, uintptr_t addr)
{
	for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
		if (addr < v->end)
			return v;
	return NULL;
}

/* The first area that ends above addr (holding it or above it), or NULL. */
static struct vma *mm_find_from(struct mm *mm, uintptr_t addr)
{
	struct vma *v = mm->vmas;

	while (v && v->end <= addr)
		v = v->next;
	return v;
}

bool mm_range_mapped(struct mm *mm, uintptr_t start, size_t len)
{
	uintptr_t at = start;

	for (struct vma *v = mm_find(mm, start); at < start + len;
	     v = v->next) {
		if (!v || v->start > at)
			return false;
		at = v->end;
	}
	return true;
}

bool mm_range_free(struct mm *mm, uintptr_t start, size_t len)
{
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start < start + len && start < v->end)
			return false;
	return true;
}

static size_t pages_of(const struct vma *v)
{
	return (v->end - v->start) / PAGE_SIZE;
}

static bool needs_charge(int prot, int flags)
{
	return (prot & PROT_WRITE) && !(flags & (VMA_STACK | VMA_SHARED));
}

/*
 * The protection page phys gets in v: the area's, less write when the
 * area is private and others hold the page (the file's page in the page
 * cache, or after fork a page two processes share): a write copies it.
 */
static int pte_prot(const struct vma *v, uint64_t phys)
{
	/* a store must fault first to mark the page dirty (mm_file.c) */
	if (mm_tracks_stores(v))
		return v->prot & ~PROT_WRITE;
	if (!(v->flags & VMA_SHARED) && page_refs(phys_to_virt(phys)) > 1)
		return v->prot & ~PROT_WRITE;
	return v->prot;
}

/* Promise n more pages, or -ENOMEM when the machine can't keep it. */
static int charge(struct mm *mm, size_t n)
{
	size_t avail = page_free_count() + mm->resident;

	if (avail < MM_COMMIT_RESERVE ||
	    mm->committed + n > avail - MM_COMMIT_RESERVE)
		return -ENOMEM;
	mm->committed += n;
	return 0;
}

/* The mapped pages of [start, end), in order, skipping unmapped stretches. */
#define for_each_mapped_page(mm, va, start, end)                    \
	for (uintptr_t va = paging_next_user((mm)->as, start, end); \
	     va < (end); va = paging_next_user((mm)->as, va + PAGE_SIZE, end))

/* Free the frames mapped in [start, end) (a kernel area's: unmap only). */
static void free_pages(struct mm *mm, uintptr_t start, uintptr_t end,
		       bool kernel)
{
	for_each_mapped_page(mm, va, start, end)
	{
		uint64_t phys = paging_unmap_user(mm->as, va);

		if (phys && !kernel) {
			page_put(phys_to_virt(phys));
			mm->resident--;
		}
	}
}

int mm_discard(struct mm *mm, uintptr_t start, size_t len)
{
	uintptr_t end = start + len;

	/* Not the loader's filled copies (no file): nothing would refill them. */
	for (struct vma *v = mm_find_from(mm, start); v && v->start < end;
	     v = v->next)
		if ((v->flags & VMA_ANON) || v->file)
			free_pages(mm, v->start > start ? v->start : start,
				   v->end < end ? v->end : end, false);
	return mm_range_mapped(mm, start, len) ? 0 : -ENOMEM;
}

struct file_cut {
	const struct vnode *vn;
	uint64_t size;
	bool mapped;
};

static void cut_in(struct proc *p, void *ctx)
{
	struct file_cut *c = ctx;

	if (p->mm)
		mm_file_truncated(p->mm, c->vn, c->size);
}

void mm_file_truncated_all(const struct vnode *vn, uint64_t size)
{
	proc_for_each(cut_in, &(struct file_cut){ vn, size, false });
}

static void mapped_in(struct proc *p, void *ctx)
{
	struct file_cut *c = ctx;

	if (p->mm && mm_file_writably_mapped(p->mm, c->vn))
		c->mapped = true;
}

bool mm_file_writably_mapped_any(const struct vnode *vn)
{
	struct file_cut c = { vn, 0, false };

	proc_for_each(mapped_in, &c);
	return c.mapped;
}

void mm_file_truncated(struct mm *mm, const struct vnode *vn, uint64_t size)
{
	uint64_t cut = page_up(size);

	for (struct vma *v = mm ? mm->vmas : NULL; v; v = v->next) {
		if (!v->file || v->file->vn != vn ||
		    v->offset + (v->end - v->start) <= cut)
			continue;
		free_pages(mm,
			   cut > v->offset ? v->start + (cut - v->offset) :
					     v->start,
			   v->end, false);
	}
}

bool mm_file_writably_mapped(struct mm *mm, const struct vnode *vn)
{
	for (struct vma *v = mm ? mm->vmas : NULL; v; v = v->next)
		if ((v->flags & VMA_SHARED) && v->file->vn == vn &&
		    v->file->writable)
			return true;
	return false;
}

/* Split v at addr (strictly inside it); v keeps the lower part. */
static int split(struct vma *v, uintptr_t addr)
{
	struct vma *hi = kmalloc(sizeof(*hi));

	if (!hi)
		return -ENOMEM;
	*hi = *v;
	hi->start = addr;
	if (v->flags & VMA_FILE)
		hi->offset += addr - v->start;
	if (hi->file)
		hi->file->refs++;
	v->end = addr;
	v->next = hi;
	return 0;
}

/* Make start and end area boundaries (splitting the areas they fall in). */
static int isolate(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct vma *v = mm_find(mm, start);
	int err = 0;

	if (v && v->start < start)
		err = split(v, start);
	v = mm_find(mm, end - 1);
	if (!err && v && end < v->end)
		err = split(v, end);
	return err;
}

int mm_unmap(struct mm *mm, uintptr_t start, size_t len)
{
	uintptr_t end = start + len;
	struct vma **link = &mm->vmas;
	int err = isolate(mm, start, end);

	if (err)
		return err;
	while (*link) {
		struct vma *v = *link;

		if (v->start >= start && v->end <= end) {
			free_pages(mm, v->start, v->end, v->flags & VMA_KERNEL);
			if (v->flags & VMA_CHARGED)
				mm->committed -= pages_of(v);
			if (v->file)
				vma_file_put(v->file);
			*link = v->next;
			kfree(v);
		} else {
			link = &v->next;
		}
	}
	return 0;
}

int mm_map(struct mm *mm, uintptr_t start, size_t len, int prot, int flags,
	   const char *name, uint64_t offset)
{
	int err = mm_map_file(mm, start, len, prot, flags, NULL, offset);
	struct vma *v = err ? NULL : mm_find(mm, start);

	if (v)
		strlcpy(v->name, name ? name : "", sizeof(v->name));
	return err;
}

int mm_map_file(struct mm *mm, uintptr_t start, size_t len, int prot, int flags,
		struct vma_file *file, uint64_t offset)
{
	struct vma *v, **link;
	int err = mm_unmap(mm, start, len);

	if (err)
		return err;
	flags &= ~VMA_CHARGED; /* decided here, not inherited */
	if (needs_charge(prot, flags)) {
		if (charge(mm, len / PAGE_SIZE))
			return -ENOMEM;
		flags |= VMA_CHARGED;
	}
	v = kzalloc(sizeof(*v));
	if (!v) {
		if (flags & VMA_CHARGED)
			mm->committed -= len / PAGE_SIZE;
		return -ENOMEM;
	}
	*v = (struct vma){ .start = start,
			   .end = start + len,
			   .prot = prot,
			   .flags = flags,
			   .offset = offset,
			   .file = file };
	if (file)
		file->refs++;
	for (link = &mm->vmas; *link && (*link)->start < start;
	     link = &(*link)->next)
		;
	v->next = *link;
	*link = v;
	return 0;
}

int mm_map_kernel_page(struct mm *mm, uintptr_t start, uint64_t phys,
		       const char *name)
{
	int err = mm_map(mm, start, PAGE_SIZE, PROT_READ, VMA_KERNEL, name, 0);

	if (!err && paging_map_user(mm->as, start, phys, PROT_READ) < 0) {
		mm_unmap(mm, start, PAGE_SIZE);
		err = -ENOMEM;
	}
	return err;
}

bool mm_range_has(struct mm *mm, uintptr_t start, size_t len, int flags)
{
	for (struct vma *v = mm_find_from(mm, start);
	     v && v->start < start + len; v = v->next)
		if ((v->flags & flags) == flags)
			return true;
	return false;
}

/* Charge (or refund) what making [start, end) prot changes; all or nothing. */
static int protect_charge(struct mm *mm, uintptr_t start, uintptr_t end,
			  int prot)
{
	size_t add = 0, drop = 0;

	for (struct vma *v = mm_find(mm, start); v && v->start < end;
	     v = v->next) {
		uintptr_t lo = v->start > start ? v->start : start;
		uintptr_t hi = v->end < end ? v->end : end;
		bool was = v->flags & VMA_CHARGED,
		     will = needs_charge(prot, v->flags);

		if (will && !was)
			add += (hi - lo) / PAGE_SIZE;
		if (was && !will)
			drop += (hi - lo) / PAGE_SIZE;
	}
	if (add > drop)
		return charge(mm, add - drop);
	mm->committed -= drop - add;
	return 0;
}

int mm_protect(struct mm *mm, uintptr_t start, size_t len, int prot)
{
	uintptr_t end = start + len;
	int err;

	/* The whole range must be mapped, as Linux requires (else ENOMEM). */
	if (!mm_range_mapped(mm, start, len))
		return -ENOMEM;
	/* A shared mapping writes to the file: only if the fd could. */
	for (struct vma *v = mm_find(mm, start); v && v->start < end;
	     v = v->next)
		if ((v->flags & VMA_SHARED) && (prot & PROT_WRITE) &&
		    !v->file->writable)
			return -EACCES;
	/* The kernel's pages stay read-only (Linux: [vvar] lacks VM_MAYWRITE). */
	if ((prot & ~PROT_READ) && mm_range_has(mm, start, len, VMA_KERNEL))
		return -EACCES;
	err = protect_charge(mm, start, end, prot);
	if (err)
		return err;
	err = isolate(mm, start, end);
	if (err)
		return err;
	for (struct vma *v = mm_find(mm, start); v && v->start < end;
	     v = v->next) {
		bool charged = needs_charge(prot, v->flags);

		v->flags = charged ? v->flags | VMA_CHARGED :
				     v->flags & ~VMA_CHARGED;
		v->prot = prot;
		for_each_mapped_page(mm, va, v->start, v->end)
		{
			uint64_t phys = 0;

			paging_user_lookup(mm->as, va, &phys);
			paging_protect_user(mm->as, va, pte_prot(v, phys));
		}
	}
	return 0;
}

/*
 * The highest gap below mmap_top that holds len, in one walk up the
 * sorted areas. (Stepping down one area at a time, with a walk of all of
 * them per step, was quadratic per call: with a thread stack mapped per
 * thread, creating the 2,250th thread took 20 ms of mmap alone.)
 */
uintptr_t mm_find_free(struct mm *mm, size_t len)
{
	uintptr_t top = mm->mmap_top, low = MM_BOTTOM, best = 0;

	if (len > top - MM_BOTTOM)
		return 0;
	for (struct vma *v = mm->vmas;; v = v->next) {
		uintptr_t high = v && v->start < top ? v->start : top;

		if (high > low && high - low >= len)
			best = high - len;
		if (!v || v->start >= top)
			return best;
		if (v->end > low)
			low = v->end;
	}
}

int mm_move(struct mm *mm, uintptr_t old, uintptr_t new_addr, size_t len)
{
	for_each_mapped_page(mm, va, old, old + len)
	{
		struct vma *v = mm_find(mm, new_addr + (va - old));
		uint64_t phys = paging_unmap_user(mm->as, va);

		if (phys && paging_map_user(mm->as, new_addr + (va - old), phys,
					    v ? pte_prot(v, phys) : 0) < 0) {
			if (!v || !(v->flags & VMA_KERNEL)) {
				page_put(phys_to_virt(phys));
				mm->resident--;
			}
			return -ENOMEM;
		}
	}
	return 0;
}

void mm_destroy(struct mm *mm)
{
	mm_unmap(mm, MM_BOTTOM, USER_TOP - MM_BOTTOM);
	paging_as_destroy(mm->as);
	kfree(mm);
}

/*
 * Give child the pages of v (its copy of the area is made): private
 * pages become shared by both, read-only on both sides (pte_prot sees
 * the second holder), so the first write of either copies the page.
 */
static int fork_pages(struct mm *mm, struct mm *child, const struct vma *v)
{
	for_each_mapped_page(mm, va, v->start, v->end)
	{
		uint64_t phys = 0;
		void *page;

		paging_user_lookup(mm->as, va, &phys);
		if (v->flags & VMA_KERNEL) {
			if (paging_map_user(child->as, va, phys, PROT_READ) < 0)
				return -ENOMEM;
			continue;
		}
		page = phys_to_virt(phys);
		page_get(page);
		if (paging_map_user(child->as, va, phys, pte_prot(v, phys)) <
		    0) {
			page_put(page);
			return -ENOMEM;
		}
		child->resident++;
		paging_protect_user(mm->as, va, pte_prot(v, phys));
	}
	return 0;
}

struct mm *mm_fork(struct mm *mm)
{
	struct mm *child = mm_create();
	struct vma **tail;

	if (!child)
		return NULL;
	child->brk_start = mm->brk_start;
	child->brk = mm->brk;
	child->mmap_top = mm->mmap_top;
	child->vdso = mm->vdso;
	child->arg_start = mm->arg_start;
	child->arg_end = mm->arg_end;
	child->env_start = mm->env_start;
	child->env_end = mm->env_end;
	if (charge(child, mm->committed))
		goto err_child;
	tail = &child->vmas;
	for (const struct vma *v = mm->vmas; v; v = v->next) {
		struct vma *c = kmalloc(sizeof(*c));

		if (!c)
			goto err_child;
		*c = *v;
		c->next = NULL;
		if (c->file)
			c->file->refs++;
		*tail = c;
		tail = &c->next;
		if (fork_pages(mm, child, v))
			goto err_child;
	}
	return child;

err_child:
	mm_destroy(child);
	return NULL;
}

size_t mm_read(struct mm *mm, uintptr_t addr, void *buf, size_t n)
{
	size_t done = 0, chunk;
	uint64_t phys;

	while (done < n && addr < USER_TOP) {
		if (!paging_user_lookup(mm->as, addr & ~(PAGE_SIZE - 1), &phys))
			break;
		chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		if (chunk > n - done)
			chunk = n - done;
		memcpy((char *)buf + done,
		       (const char *)phys_to_virt(phys & ~(PAGE_SIZE - 1)) +
			       (addr & (PAGE_SIZE - 1)),
		       chunk);
		done += chunk;
		addr += chunk;
	}
	return done;
}

void mm_put(struct mm *mm)
{
	if (mm && --mm->users == 0)
		mm_destroy(mm);
}

void proc_set_mm(struct proc *p, struct mm *mm)
{
	struct mm *old = p->mm;

	p->mm = mm;
	p->as = mm ? mm->as : NULL;
	if (p == current)
		paging_as_activate(p->as);
	mm_put(old);
}
