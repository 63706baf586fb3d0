/* mm.c - the application's address space: areas (VMAs), demand paging, brk. */
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
