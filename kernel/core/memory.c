/* memory.c - bring up the page allocator, Kiln's page tables and the heap. */
#include "core/memory.h"

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/panic.h"

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

void memory_init(void)
{
	uint64_t kernel_end = virt_to_phys(__kernel_end);

	page_init();
	add_ram(kernel_end, BOOT_MAPPED_LIMIT);
	if (page_total() == 0)
		panic("no usable RAM above the kernel");
	paging_init();
	add_ram(BOOT_MAPPED_LIMIT, UINT64_MAX);
	heap_init();
}
