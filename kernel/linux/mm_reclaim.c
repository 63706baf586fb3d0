/* mm_reclaim.c - file pages that processes map, unmapped when memory runs short so the page cache can drop them. */
#include "arch.h"
#include "core/page.h"
#include "core/proc.h"
#include "core/uaccess.h"
#include "fs/bcache.h"
#include "fs/vfs.h"
#include "linux/mm.h"
#include "linux/proc.h"

/*
 * The page cache's reclaimer (ext4_pagecache.c) drops clean pages that
 * only the cache holds; a page some mapping maps is held by its PTE.
 * Here such PTEs are cleared, so the next pass can drop the pages and a
 * later touch faults them in from the file again (Linux's
 * try_to_unmap, without the LRU).
 *
 * No reverse map is kept: the areas that map a file are found by
 * walking each process's areas, as mm_file_writeback does, and within
 * an area only the PTEs present (paging_next_user). A pass unmaps up to
 * MM_RECLAIM_BATCH pages, each address space from where its last pass
 * stopped (mm->reclaim_va), so a file read through one big map loses
 * its oldest pages first.
 *
 * Only at a safe point: a user page fault before it looks at anything
 * (mm_reclaim_point). page_alloc's reclaimers may run inside any
 * allocation, where a caller may hold a frame it found in a PTE (a
 * copy on write, a fork); clearing PTEs there would pull the frame
 * from under it, and writing back sleeps. Dirty pages of shared maps
 * are written back first (mm_writeback_all, which leaves them clean
 * and read-only) when the clean ones were not enough. Anonymous memory
 * (and a private area's own copies) is never taken: there is no swap.
 */
/*
 * Free pages under which a user fault reclaims first: 4 MiB, plus room
 * for the block cache to fill to its bound, which a writeback does
 * (short of it, the file system's writes fail with ENOMEM).
 */
#define MM_RECLAIM_LOW 1024
/* PTEs cleared per pass. */
#define MM_RECLAIM_BATCH 1024

struct unmap_pass {
	size_t want, got;
};

/* Areas whose file pages can be read again: a readpage hook (ext4). */
static bool reclaimable_area(const struct vma *v)
{
	const struct vnode *vn = v->file ? v->file->vn : NULL;

	return vn != NULL && !(v->flags & VMA_KERNEL) && vn->ops != NULL &&
	       vn->ops->readpage != NULL;
}

/*
 * Clear PTE va of v if it maps the file's own cached page read-only (a
 * writable one of a shared area is dirty: it waits for its writeback;
 * of a private area, it is the area's copy). True when cleared.
 */
static bool unmap_cached(struct mm *mm, struct vma *v, uintptr_t va)
{
	uint64_t idx = (v->offset + (va - v->start)) / PAGE_SIZE;
	void *page = tmpfs_page_peek(v->file->vn, idx);

	if (page == NULL ||
	    !paging_unmap_user_readonly(mm->as, va, virt_to_phys(page)))
		return false;
	page_put(page);
	mm->resident--;
	return true;
}

/* Unmap in [lo, hi) of mm until u has enough: true then (and the cursor). */
static bool unmap_range(struct mm *mm, uintptr_t lo, uintptr_t hi,
			struct unmap_pass *u)
{
	for (struct vma *v = mm->vmas; v && v->start < hi; v = v->next) {
		uintptr_t start = v->start > lo ? v->start : lo;
		uintptr_t end = v->end < hi ? v->end : hi;

		if (v->end <= lo || !reclaimable_area(v))
			continue;
		for (uintptr_t va = paging_next_user(mm->as, start, end);
		     va < end;
		     va = paging_next_user(mm->as, va + PAGE_SIZE, end)) {
			if (unmap_cached(mm, v, va) && ++u->got >= u->want) {
				mm->reclaim_va = va + PAGE_SIZE;
				return true;
			}
		}
	}
	return false;
}

static void unmap_in(struct proc *p, void *ctx)
{
	struct unmap_pass *u = ctx;
	struct mm *mm = p->mm;

	if (mm == NULL || u->got >= u->want)
		return;
	if (!unmap_range(mm, mm->reclaim_va, USER_TOP, u) &&
	    !unmap_range(mm, 0, mm->reclaim_va, u))
		mm->reclaim_va = 0;
}

/* Clear up to MM_RECLAIM_BATCH PTEs, then let the caches drop the pages. */
static size_t unmap_and_drop(void)
{
	struct unmap_pass u = { MM_RECLAIM_BATCH, 0 };

	proc_for_each(unmap_in, &u);
	return u.got ? page_reclaim(u.got) : 0;
}

void mm_reclaim_point(void)
{
	size_t limit = bcache_limit(), held = bcache_count();
	/* keep free only the pages the block cache may still take */
	size_t low = MM_RECLAIM_LOW + (limit > held ? limit - held : 0);

	if (page_free_count() >= low)
		return;
	unmap_and_drop();
	if (page_free_count() >= low || mm_dirty_since_ns == 0)
		return;
	/* sleeps: the stores through shared maps reach the disk first */
	mm_writeback_all();
	unmap_and_drop();
}
