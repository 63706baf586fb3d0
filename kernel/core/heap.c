/* heap.c - kmalloc/kfree: power-of-two slabs of one page, large page runs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/heap.h"
#include "core/page.h"
#include "lib/string.h"

/*
 * Every page the heap owns starts with a header whose magic says what it
 * is, so kfree finds it by rounding the pointer down to its page:
 *
 *   slab page:  | struct slab (64) | slot 0 | slot 1 | ... | slack |
 *   large run:  | struct large (16) | object ...  (one or more pages) |
 *
 * Slab objects therefore sit at page offset >= SLAB_HDR and large objects
 * at exactly LARGE_HDR; both offsets are multiples of 16, as are all class
 * sizes, so every object is 16-byte aligned. The slab header keeps a bit
 * per slot, which makes double frees exact to detect. The 2048 class fits
 * one object a page: no worse than a large run, and kept for simplicity.
 */
#define SLAB_MAGIC 0x51AB51ABu
#define LARGE_MAGIC 0x1A46E0BBu
#define MIN_SHIFT 4  /* 16 bytes */
#define MAX_SHIFT 11 /* 2048 bytes */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define SLAB_HDR 64
#define LARGE_HDR 16
#define MAX_SLOTS ((PAGE_SIZE - SLAB_HDR) >> MIN_SHIFT)

struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t nslots;
	uint16_t inuse;
	struct slab *next; /* on its class's partial list */
	struct slab *prev;
	uint64_t used[(MAX_SLOTS + 63) / 64];
};

struct large {
	uint32_t magic;
	uint32_t pad;
	uint64_t size; /* requested size rounded up to 16 */
};

_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header too big");
_Static_assert(sizeof(struct large) == LARGE_HDR, "large header size");

/* Slabs with at least one free slot, per class. Full slabs are unlisted. */
static struct slab *partial[NCLASSES];
static size_t in_use;

void heap_init(void)
{
	for (int c = 0; c < NCLASSES; c++)
		partial[c] = NULL;
	in_use = 0;
}

size_t heap_in_use(void)
{
	return in_use;
}

static size_t class_size(int cls)
{
	return (size_t)1 << (cls + MIN_SHIFT);
}

/* Smallest class holding size bytes; size is 1..2048. */
static int class_of(size_t size)
{
	int cls = 0;

	while (class_size(cls) < size)
		cls++;
	return cls;
}

static void list_remove(struct slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		partial[s->cls] = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void list_push(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->cls];
	if (s->next != NULL)
		s->next->prev = s;
	partial[s->cls] = s;
}

static struct slab *slab_new(int cls)
{
	struct slab *s = page_alloc(1);

	if (s == NULL)
		return NULL;
	memset(s, 0, SLAB_HDR);
	s->magic = SLAB_MAGIC;
	s->cls = (uint16_t)cls;
	s->nslots = (uint16_t)((PAGE_SIZE - SLAB_HDR) / class_size(cls));
	list_push(s);
	return s;
}

static void *slot_addr(struct slab *s, size_t slot)
{
	return (char *)s + SLAB_HDR + slot * class_size(s->cls);
}

/* Take the first free slot of a partial slab; unlist it when full. */
static void *slab_take(struct slab *s)
{
	for (size_t w = 0; w * 64 < s->nslots; w++) {
		size_t slot;

		if (s->used[w] == UINT64_MAX)
			continue;
		slot = w * 64 + (size_t)__builtin_ctzll(~s->used[w]);
		if (slot >= s->nslots)
			break;
		s->used[w] |= (uint64_t)1 << (slot % 64);
		if (++s->inuse == s->nslots)
			list_remove(s);
		return slot_addr(s, slot);
	}
	return NULL; /* unreachable: partial slabs have a free slot */
}

static void *small_alloc(size_t size)
{
	int cls = class_of(size);
	struct slab *s = partial[cls];
	void *p;

	if (s == NULL)
		s = slab_new(cls);
	if (s == NULL)
		return NULL;
	p = slab_take(s);
	if (p != NULL)
		in_use += class_size(cls);
	return p;
}

static void *large_alloc(size_t size)
{
	size_t rounded, npages;
	struct large *h;

	/* Refuse sizes whose header and page rounding would wrap. */
	if (size > SIZE_MAX - LARGE_HDR - PAGE_SIZE)
		return NULL;
	rounded = (size + 15) & ~(size_t)15;
	npages = (rounded + LARGE_HDR + PAGE_SIZE - 1) / PAGE_SIZE;
	h = page_alloc(npages);
	if (h == NULL)
		return NULL;
	h->magic = LARGE_MAGIC;
	h->pad = 0;
	h->size = rounded;
	in_use += rounded;
	return (char *)h + LARGE_HDR;
}

void *kmalloc(size_t size)
{
	if (size == 0)
		return NULL;
	if (size <= class_size(NCLASSES - 1))
		return small_alloc(size);
	return large_alloc(size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/* Return slot p of slab s; an empty slab goes back to the page allocator. */
static void slab_put(struct slab *s, const void *p)
{
	size_t off = (uintptr_t)p - (uintptr_t)s;
	size_t csize = class_size(s->cls);
	size_t slot = (off - SLAB_HDR) / csize;
	uint64_t mask = (uint64_t)1 << (slot % 64);

	if (off < SLAB_HDR || (off - SLAB_HDR) % csize != 0 ||
	    slot >= s->nslots)
		heap_bug("kfree of a pointer inside an object", p);
	if (!(s->used[slot / 64] & mask))
		heap_bug("double kfree", p);
	s->used[slot / 64] &= ~mask;
	if (s->inuse-- == s->nslots)
		list_push(s); /* was full, so unlisted */
	in_use -= csize;
	if (s->inuse == 0) {
		list_remove(s);
		s->magic = 0;
		page_free(s, 1);
	}
}

static void large_put(struct large *h, const void *p)
{
	size_t npages;

	if ((const char *)p != (const char *)h + LARGE_HDR)
		heap_bug("kfree of a pointer inside an object", p);
	npages = (h->size + LARGE_HDR + PAGE_SIZE - 1) / PAGE_SIZE;
	in_use -= h->size;
	h->magic = 0; /* a second kfree now sees no magic */
	page_free(h, npages);
}

/*
 * Contract in heap.h. The page header is read before anything else, so p
 * must at least lie in mapped memory; a header without our magic means a
 * foreign pointer or a run already freed.
 */
void kfree(void *p)
{
	uintptr_t page = (uintptr_t)p & ~(PAGE_SIZE - 1);
	uint32_t magic;

	if (p == NULL)
		return;
	if ((uintptr_t)p % 16 != 0)
		heap_bug("kfree of a misaligned pointer", p);
	magic = *(const uint32_t *)page;
	if (magic == SLAB_MAGIC)
		slab_put((struct slab *)page, p);
	else if (magic == LARGE_MAGIC)
		large_put((struct large *)page, p);
	else
		heap_bug("kfree of memory kmalloc did not return", p);
}
