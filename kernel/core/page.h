/* page.h - the physical page allocator. */
#ifndef KILN_CORE_PAGE_H
#define KILN_CORE_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12

/*
 * The allocator hands out page-aligned runs of memory by their kernel
 * virtual address (the direct map in the kernel; plain host memory in the
 * hosted unit tests). It knows nothing of physical addresses: callers use
 * the arch's virt_to_phys when they need one.
 *
 * Memory is given as regions. Each region keeps a bitmap (one bit a page)
 * carved from the start of the region itself, so no other memory is needed.
 * Up to PAGE_MAX_REGIONS regions; further ones are ignored (and counted).
 *
 * Not thread-safe: callers hold the allocator lock (single CPU for now,
 * interrupts never allocate).
 */
#define PAGE_MAX_REGIONS 32

/* Reset the allocator to empty (used at boot and by tests). */
void page_init(void);

/*
 * Add [base, base+size) as free memory. base and size need not be aligned:
 * the range is shrunk to whole pages. Returns the number of pages made
 * available (0 if the range is too small to hold its bitmap and one page,
 * or if the region table is full).
 */
size_t page_add_region(void *base, size_t size);

/*
 * Allocate n contiguous pages (n >= 1), zeroed=0 leaves contents as they were.
 * Returns NULL when no run of n free pages exists or n is 0; never panics.
 */
void *page_alloc(size_t n);

/*
 * Reclaimers: caches of pages they can read again (clean file pages no
 * one maps), asked to free up to want pages when memory runs short. One
 * returns how many it freed; it must not sleep or allocate. page_alloc
 * asks them before it fails; page_reclaim asks on a caller's behalf (a
 * caller that keeps a reserve free). Up to PAGE_MAX_RECLAIMERS, added
 * once each at init or first use.
 */
#define PAGE_MAX_RECLAIMERS 4
void page_reclaimer_add(size_t (*reclaim)(size_t want));
size_t page_reclaim(size_t want);

/* Same as page_alloc, then fills the pages with zeros. */
void *page_alloc_zero(size_t n);

/*
 * Free n pages at p, which must be a run returned by page_alloc (or part of
 * one). Freeing memory that is not allocated or not managed is a kernel bug:
 * it calls page_bug(), which panics in the kernel and fails the test hosted.
 */
void page_free(void *p, size_t n);

/*
 * Reference counts, for pages with several holders (a file's page in the
 * page cache and in every mapping of it; after fork, one anonymous page in
 * two address spaces until a write copies it). page_alloc gives each page
 * of the run a count of 1; page_get adds a holder, page_put drops one and
 * frees the page when none is left (returning true then). Both take
 * single pages; p must be allocated (else page_bug). page_free of a page
 * with more than one holder is a bug too: holders use page_put.
 */
void page_get(void *p);
bool page_put(void *p);
/* Holders of page p: 0 when free or not managed; PAGE_REFS_FIXED, below. */
uint32_t page_refs(const void *p);

/*
 * Pages held for the whole run without being the allocator's: the whole
 * pages inside [base, base + size) (one range; a later call replaces it;
 * ignored if it overlaps a region). The image's archive is one, so a
 * file's page cache can hold the archive's own pages (fs.md, "File
 * data"). page_get/page_put of such a page do nothing, page_refs reports
 * PAGE_REFS_FIXED (many holders: a private mapping never writes it), and
 * page_free of it is a bug. page_fixed: p is such a page.
 */
#define PAGE_REFS_FIXED UINT32_MAX
void page_add_fixed(const void *base, size_t size);
bool page_fixed(const void *p);

/* Statistics: pages managed in total, pages currently free. */
size_t page_total(void);
size_t page_free_count(void);

/* Supplied by the environment (kernel: panic; tests: fail). Never returns. */
_Noreturn void page_bug(const char *what, const void *p);

#endif
