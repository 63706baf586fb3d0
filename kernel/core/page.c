/* page.c - the physical page allocator: per-region bitmaps, first fit, reference counts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/page.h"
#include "lib/string.h"

/*
 * A region after page_add_region:
 *
 *   base (page aligned)                                           end
 *   | bitmap, refs (k pages) | managed pages (npages) ..............|
 *                            ^ start
 *
 * Bit i of the bitmap is set while page start + i * PAGE_SIZE is allocated;
 * refs[i] counts its holders then (1 from page_alloc). While the bit is
 * clear refs[i] means nothing and is never read, so adding a region zeroes
 * only the bitmap: the counts are 32 times its size (128 KiB of a 128 MiB
 * guest), and zeroing them was most of the boot's page allocator work.
 * Invariant: every page below hint is allocated, so first fit may begin
 * its search there without missing a free page.
 */
struct page_region {
	uintptr_t start;
	size_t npages;
	size_t nfree;
	size_t hint;
	uint64_t *bitmap;
	uint32_t *refs;
};

#define BITS_PER_WORD 64
#define BITS_PER_PAGE (PAGE_SIZE * 8)
/* Bits of metadata a managed page costs: its bitmap bit and its count. */
#define META_BITS (1 + 32)

static struct page_region regions[PAGE_MAX_REGIONS];
static size_t nregions;
static size_t regions_ignored; /* refused because the table was full */

/*
 * Pages outside the allocator that are held for the whole run (the image's
 * archive): page_get/page_put do nothing there, page_refs says
 * PAGE_REFS_FIXED, page_free of one is a bug.
 */
static uintptr_t fixed_start, fixed_end;

static bool bit_test(const struct page_region *r, size_t i)
{
	return (r->bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD)) & 1;
}

/* Set (val) or clear (!val) the n bits starting at i. */
static void bits_assign(struct page_region *r, size_t i, size_t n, bool val)
{
	for (; n > 0; i++, n--) {
		uint64_t mask = (uint64_t)1 << (i % BITS_PER_WORD);

		if (val)
			r->bitmap[i / BITS_PER_WORD] |= mask;
		else
			r->bitmap[i / BITS_PER_WORD] &= ~mask;
	}
}

void page_init(void)
{
	nregions = 0;
	regions_ignored = 0;
	fixed_start = fixed_end = 0;
}

/* Bytes of bitmap (whole words) for n pages; the counts follow it. */
static size_t bitmap_bytes(size_t n)
{
	return (n + BITS_PER_WORD - 1) / BITS_PER_WORD * 8;
}

/* Pages of metadata a region of total pages needs in front. */
static size_t meta_pages(size_t total)
{
	size_t k = total / (BITS_PER_PAGE / META_BITS + 1);

	while (k < total &&
	       k * PAGE_SIZE < bitmap_bytes(total - k) + (total - k) * 4)
		k++;
	return k;
}

/* True when [start, end) shares a byte with a region already managed. */
static bool overlaps_region(uintptr_t start, uintptr_t end)
{
	for (size_t i = 0; i < nregions; i++) {
		const struct page_region *r = &regions[i];
		uintptr_t rbase = (uintptr_t)r->bitmap;
		uintptr_t rend = r->start + r->npages * PAGE_SIZE;

		if (start < rend && rbase < end)
			return true;
	}
	return false;
}

/*
 * Contract in page.h. Beyond it: a range overlapping a region already
 * added is refused (returns 0), since handing pages out twice would
 * corrupt memory silently.
 */
size_t page_add_region(void *base, size_t size)
{
	uintptr_t b = (uintptr_t)base;
	uintptr_t start, end, total, k;
	struct page_region *r;

	if (size > UINTPTR_MAX - b)
		size = UINTPTR_MAX - b; /* clamp a range that would wrap */
	start = (b + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	end = (b + size) & ~(PAGE_SIZE - 1);
	if (start < b || end <= start)
		return 0;
	total = (end - start) / PAGE_SIZE;
	k = meta_pages(total);
	if (total <= k)
		return 0;
	if (nregions == PAGE_MAX_REGIONS) {
		regions_ignored++;
		return 0;
	}
	if (overlaps_region(start, end))
		return 0;
	r = &regions[nregions++];
	r->bitmap = (uint64_t *)start;
	r->start = start + k * PAGE_SIZE;
	r->npages = total - k;
	r->nfree = r->npages;
	r->hint = 0;
	r->refs = (uint32_t *)(start + bitmap_bytes(r->npages));
	memset(r->bitmap, 0, bitmap_bytes(r->npages));
	return r->npages;
}

/*
 * Index of the first free page at or after i, or npages when none.
 * Whole words of allocated pages are skipped 64 at a time.
 */
static size_t next_free(const struct page_region *r, size_t i)
{
	while (i < r->npages) {
		if (i % BITS_PER_WORD == 0 &&
		    r->bitmap[i / BITS_PER_WORD] == UINT64_MAX) {
			i += BITS_PER_WORD;
			continue;
		}
		if (!bit_test(r, i))
			return i;
		i++;
	}
	return r->npages;
}

/* First fit: index of the first run of n free pages, or npages. */
static size_t find_run(struct page_region *r, size_t n)
{
	size_t i = next_free(r, r->hint);

	r->hint = i; /* everything skipped was allocated */
	while (i < r->npages && r->npages - i >= n) {
		size_t len = 1;

		while (len < n && !bit_test(r, i + len))
			len++;
		if (len == n)
			return i;
		i = next_free(r, i + len + 1); /* i + len is allocated */
	}
	return r->npages;
}

static size_t (*reclaimers[PAGE_MAX_RECLAIMERS])(size_t want);
static size_t nreclaimers;
static bool reclaiming; /* a reclaimer frees; it never comes back in */

void page_reclaimer_add(size_t (*reclaim)(size_t want))
{
	for (size_t i = 0; i < nreclaimers; i++)
		if (reclaimers[i] == reclaim)
			return;
	if (nreclaimers < PAGE_MAX_RECLAIMERS)
		reclaimers[nreclaimers++] = reclaim;
}

size_t page_reclaim(size_t want)
{
	size_t got = 0;

	if (reclaiming)
		return 0;
	reclaiming = true;
	for (size_t i = 0; i < nreclaimers && got < want; i++)
		got += reclaimers[i](want - got);
	reclaiming = false;
	return got;
}

/* Pages asked of the reclaimers at once: a batch, not one per failure. */
#define RECLAIM_BATCH 64

static void *alloc_run(size_t n);

void *page_alloc(size_t n)
{
	void *p = alloc_run(n);

	if (p == NULL && n > 0 && page_reclaim(n + RECLAIM_BATCH) > 0)
		p = alloc_run(n);
	return p;
}

static void *alloc_run(size_t n)
{
	if (n == 0)
		return NULL;
	for (size_t ri = 0; ri < nregions; ri++) {
		struct page_region *r = &regions[ri];
		size_t i;

		if (r->nfree < n)
			continue;
		i = find_run(r, n);
		if (i == r->npages)
			continue;
		bits_assign(r, i, n, true);
		for (size_t j = i; j < i + n; j++)
			r->refs[j] = 1;
		r->nfree -= n;
		if (i == r->hint)
			r->hint = i + n;
		return (void *)(r->start + i * PAGE_SIZE);
	}
	return NULL;
}

void *page_alloc_zero(size_t n)
{
	void *p = page_alloc(n);

	if (p != NULL)
		memset(p, 0, n * PAGE_SIZE);
	return p;
}

/* The region whose managed pages contain address a, or NULL. */
static struct page_region *region_of(uintptr_t a)
{
	for (size_t i = 0; i < nregions; i++) {
		struct page_region *r = &regions[i];

		if (a >= r->start && (a - r->start) / PAGE_SIZE < r->npages)
			return r;
	}
	return NULL;
}

void page_add_fixed(const void *base, size_t size)
{
	uintptr_t a = (uintptr_t)base;

	fixed_start = (a + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	fixed_end = (a + size) & ~(uintptr_t)(PAGE_SIZE - 1);
	if (fixed_end <= fixed_start || overlaps_region(fixed_start, fixed_end))
		fixed_start = fixed_end = 0;
}

bool page_fixed(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a % PAGE_SIZE == 0 && a >= fixed_start && a < fixed_end;
}

/* Return the n pages at index i of r (checked by the caller) to the free pool. */
static void release(struct page_region *r, size_t i, size_t n)
{
	bits_assign(r, i, n, false);
	r->nfree += n;
	if (i < r->hint)
		r->hint = i;
}

/*
 * Contract in page.h. The whole run is checked before any bit changes,
 * so the bitmap is intact when page_bug reports the error.
 */
void page_free(void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	struct page_region *r;
	size_t i;

	if (n == 0)
		page_bug("page_free of zero pages", p);
	if (a % PAGE_SIZE != 0)
		page_bug("page_free of an unaligned address", p);
	r = region_of(a);
	if (r == NULL)
		page_bug("page_free of unmanaged memory", p);
	i = (a - r->start) / PAGE_SIZE;
	if (n > r->npages - i)
		page_bug("page_free run past the end of its region", p);
	for (size_t j = i; j < i + n; j++) {
		if (!bit_test(r, j))
			page_bug("page_free of a page not allocated",
				 (const void *)(r->start + j * PAGE_SIZE));
		if (r->refs[j] != 1)
			page_bug("page_free of a page others hold",
				 (const void *)(r->start + j * PAGE_SIZE));
	}
	release(r, i, n);
}

/* The region and index of allocated page p, or page_bug. */
static struct page_region *held_page(const void *p, size_t *idx,
				     const char *what)
{
	uintptr_t a = (uintptr_t)p;
	struct page_region *r = region_of(a);

	if (a % PAGE_SIZE != 0 || r == NULL)
		page_bug(what, p);
	*idx = (a - r->start) / PAGE_SIZE;
	if (!bit_test(r, *idx) || r->refs[*idx] == 0)
		page_bug(what, p);
	return r;
}

void page_get(void *p)
{
	size_t i;
	struct page_region *r;

	if (page_fixed(p))
		return;
	r = held_page(p, &i, "page_get of a page not allocated");

	if (r->refs[i] == UINT32_MAX)
		page_bug("page_get overflows the count", p);
	r->refs[i]++;
}

bool page_put(void *p)
{
	size_t i;
	struct page_region *r;

	if (page_fixed(p))
		return false;
	r = held_page(p, &i, "page_put of a page not allocated");

	if (--r->refs[i] > 0)
		return false;
	release(r, i, 1);
	return true;
}

uint32_t page_refs(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct page_region *r = region_of(a);

	size_t i;

	if (page_fixed(p))
		return PAGE_REFS_FIXED;
	if (a % PAGE_SIZE != 0 || r == NULL)
		return 0;
	i = (a - r->start) / PAGE_SIZE;
	return bit_test(r, i) ? r->refs[i] : 0; /* a free page's is stale */
}

size_t page_total(void)
{
	size_t sum = 0;

	for (size_t i = 0; i < nregions; i++)
		sum += regions[i].npages;
	return sum;
}

size_t page_free_count(void)
{
	size_t sum = 0;

	for (size_t i = 0; i < nregions; i++)
		sum += regions[i].nfree;
	return sum;
}
