/* memory.c - bring up the page allocator, Kiln's page tables and the heap. */
#include "core/memory.h"

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/bundle.h"
#include "lib/string.h"

/* The boot page tables map physical memory below this; paging_init all. */
#define BOOT_MAPPED_LIMIT (1UL << 30)

_Noreturn void page_bug(const char *what, const void *p)
{
	panic("page allocator: %s (%p)", what, p);
}

_Noreturn void heap_bug(const char *what, const void *p)
{
	panic("heap: %s (%p)", what, p);
}

/* Give the allocator the RAM of the boot map that lies in [lo, hi). */
static void add_ram(uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < boot_info.nmem; i++) {
		const struct mem_range *r = &boot_info.mem[i];
		uint64_t base = r->base, end = r->base + r->size;

		if (r->type != MEM_RAM || end < base)
			continue; /* reserved, or a size that wraps: skip */
		if (base < lo)
			base = lo;
		if (end > hi)
			end = hi;
		if (base < end)
			page_add_region(phys_to_virt(base), end - base);
	}
}

static const void *bundle;
static int bundle_err;

/* RAM bytes from phys to the end of its memory-map range (boot-mapped part). */
static uint64_t ram_after(uint64_t phys)
{
	for (size_t i = 0; i < boot_info.nmem; i++) {
		const struct mem_range *r = &boot_info.mem[i];
		uint64_t end = r->base + r->size;

		if (r->type == MEM_RAM && phys >= r->base && phys < end)
			return (end < BOOT_MAPPED_LIMIT ? end :
							  BOOT_MAPPED_LIMIT) -
			       phys;
	}
	return 0;
}

/*
 * An image places its bundle right after the kernel (include/kiln/image.h).
 * It is untrusted: checked whole (sizes, crc) before anything uses it.
 * Returns the physical end of what must stay reserved.
 */
static uint64_t find_bundle(uint64_t kernel_end)
{
	const struct kiln_bundle *b = phys_to_virt(kernel_end);
	uint64_t avail = ram_after(kernel_end);

	if (avail < sizeof(*b) || memcmp(b->magic, KILN_BUNDLE_MAGIC, 8) != 0)
		return kernel_end; /* a bare kernel */
	bundle_err = bundle_check(b, avail);
	if (bundle_err) {
		printk("kiln: the image's bundle is damaged: %s\n",
		       bundle_strerror(bundle_err));
		return kernel_end + avail; /* don't reuse what we can't trust */
	}
	bundle = b;
	/* Its archive's pages can be files' pages (page.h, fs.md). */
	page_add_fixed(b, b->total_size);
	return (kernel_end + b->total_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

const void *memory_bundle(int *err)
{
	*err = bundle_err;
	return bundle;
}

void memory_init(void)
{
	uint64_t kernel_end = virt_to_phys(__kernel_end);

	page_init();
	kernel_end = find_bundle(kernel_end);
	add_ram(kernel_end, BOOT_MAPPED_LIMIT);
	if (page_total() == 0)
		panic("no usable RAM above the kernel");
	paging_init();
	add_ram(BOOT_MAPPED_LIMIT, UINT64_MAX);
	heap_init();
}
