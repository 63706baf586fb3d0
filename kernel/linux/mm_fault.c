/* mm_fault.c - demand paging: a fault gives an area its page (zero, the file's, a copy on write); mm_populate and mm_fill. */
#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>

#include "arch.h"
#include "core/page.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/mm.h"

/* Allocate and map a zeroed page at va (page-aligned) with prot. */
static int map_new_page(struct mm *mm, uintptr_t va, int prot)
{
	void *page = page_alloc_zero(1);

	if (!page)
		return -ENOMEM;
	if (paging_map_user(mm->as, va, virt_to_phys(page), prot) < 0) {
		page_free(page, 1);
		return -ENOMEM;
	}
	mm->resident++;
	return 0;
}

/*
 * A write to page va of private area v, mapped read-only because others
 * hold the page: copy it, unless the others have let go meanwhile.
 */
static int copy_on_write(struct mm *mm, struct vma *v, uintptr_t va,
			 uint64_t phys)
{
	void *old = phys_to_virt(phys), *page;

	if (mm_tracks_stores(v)) {
		int err = mm_page_mkwrite(v, va, false);

		if (err)
			return err;
	}
	if ((v->flags & VMA_SHARED) || page_refs(old) == 1) {
		paging_protect_user(mm->as, va, v->prot);
		return 0;
	}
	page = page_alloc(1);
	if (!page)
		return -ENOMEM;
	memcpy(page, old, PAGE_SIZE);
	if (paging_map_user(mm->as, va, virt_to_phys(page), v->prot) < 0) {
		page_free(page, 1);
		return -ENOMEM;
	}
	page_put(old);
	return 0;
}

/*
 * First touch of page va of file area v: the file's page from the page
 * cache (a private copy of it for a write to a private area). A page
 * wholly past the end of the file is SIGBUS, as on Linux.
 */
static int file_fault(struct mm *mm, struct vma *v, uintptr_t va, uint64_t err)
{
	uint64_t pos = v->offset + (va - v->start);
	struct vnode *vn = v->file->vn;
	void *page;
	int prot = v->prot, rerr;

	if (pos >= page_up(vn->reg.size))
		return -EIO;
	/* a disk's read error is SIGBUS, as past the end */
	page = tmpfs_page_read(vn, pos / PAGE_SIZE, &rerr);
	if (!page)
		return rerr;
	if (mm_tracks_stores(v)) {
		/* mapped writable only once the store is marked (mm_file.c) */
		rerr = err & PF_ERR_WRITE ? mm_page_mkwrite(v, va, false) : 0;
		if (rerr) {
			page_put(page);
			return rerr;
		}
		if (!(err & PF_ERR_WRITE))
			prot &= ~PROT_WRITE;
	} else if (!(v->flags & VMA_SHARED)) {
		if (err & PF_ERR_WRITE) {
			void *copy = page_alloc(1);

			if (copy)
				memcpy(copy, page, PAGE_SIZE);
			page_put(page);
			if (!copy)
				return -ENOMEM;
			page = copy;
		} else {
			prot &= ~PROT_WRITE;
		}
	}
	if (paging_map_user(mm->as, va, virt_to_phys(page), prot) < 0) {
		page_put(page);
		return -ENOMEM;
	}
	mm->resident++;
	return 0;
}

static int fault_area(struct mm *mm, uintptr_t addr, uint64_t err)
{
	struct vma *v = mm_find(mm, addr);
	uintptr_t va = page_down(addr);
	uint64_t phys;

	if (!v || v->prot == PROT_NONE)
		return -EFAULT;
	if ((err & PF_ERR_WRITE) && !(v->prot & PROT_WRITE))
		return -EFAULT;
	if ((err & PF_ERR_FETCH) && !(v->prot & PROT_EXEC))
		return -EFAULT;
	if (paging_user_lookup(mm->as, va, &phys)) {
		if (!(err & PF_ERR_PRESENT))
			return 0; /* mapped since */
		if (err & PF_ERR_WRITE)
			return copy_on_write(mm, v, va, phys);
		return -EFAULT;
	}
	/* A kernel area's page, once moved away, is never replaced. */
	if (v->flags & VMA_KERNEL)
		return -EFAULT;
	if (v->file)
		return file_fault(mm, v, va, err);
	return map_new_page(mm, va, v->prot);
}

/*
 * A store into a shared map of a file that tracks them goes to the file
 * system first (page_mkwrite: ext4 gives a hole its blocks, SIGBUS when
 * the disk is full). That sleeps, and the area may change meanwhile, so
 * the fault proper looks the area up afresh and marks the page dirty
 * again where it maps it (after its own sleeps: a writeback between
 * would take the mark), with a call that does not allocate and never
 * sleeps, so the area it holds stays.
 */
int mm_fault(struct mm *mm, uintptr_t addr, uint64_t err)
{
	struct vma *v = mm_find(mm, addr);

	if (v && (err & PF_ERR_WRITE) && (v->prot & PROT_WRITE) &&
	    mm_tracks_stores(v)) {
		int e = mm_page_mkwrite(v, page_down(addr), true);

		if (e)
			return e;
	}
	return fault_area(mm, addr, err);
}

int mm_populate(struct mm *mm, uintptr_t start, size_t len, bool write)
{
	for (uintptr_t va = start; va < start + len; va += PAGE_SIZE) {
		uint64_t phys;
		int err;

		if (paging_user_lookup(mm->as, va, &phys))
			continue;
		err = mm_fault(mm, va, write ? PF_ERR_WRITE : 0);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The page at va of v made the area's own, whatever its protection (for
 * mm_fill): a fresh zero page, or a file area's private copy of the
 * file's page. Its physical address in *phys.
 */
static int private_page(struct mm *mm, struct vma *v, uintptr_t va,
			uint64_t *phys)
{
	int err = 0;

	if (!paging_user_lookup(mm->as, va, phys))
		err = v->file ? file_fault(mm, v, va, PF_ERR_WRITE) :
				map_new_page(mm, va, v->prot);
	else if (v->file)
		err = copy_on_write(mm, v, va, *phys);
	if (!err)
		paging_user_lookup(mm->as, va, phys);
	return err;
}

int mm_fill(struct mm *mm, uintptr_t addr, const void *src, size_t n)
{
	const char *s = src;

	while (n > 0) {
		uintptr_t va = page_down(addr);
		size_t off = addr - va, chunk = PAGE_SIZE - off;
		struct vma *v = mm_find(mm, addr);
		uint64_t phys;
		int err;

		if (!v || (v->flags & VMA_KERNEL))
			return -EFAULT;
		err = private_page(mm, v, va, &phys);
		if (err)
			return err;
		if (chunk > n)
			chunk = n;
		memcpy((char *)phys_to_virt(phys) + off, s, chunk);
		s += chunk;
		addr += chunk;
		n -= chunk;
	}
	return 0;
}
