/* aslr.c - where a new program's stack, mmap area, heap and PIE image go. */
#include "linux/aslr.h"

#include "core/page.h"
#include "core/random.h"
#include "core/uaccess.h"
#include "linux/mm.h"

/*
 * The constants are Linux's for x86_64 (arch/x86/mm/mmap.c,
 * arch/x86/include/asm/elf.h, mm/util.c), so a program sees the layout
 * it would see there:
 *
 *   USER_TOP        0x7ffffffff000
 *                   stack top: USER_TOP - up to 16 GiB   (22 bits)
 *                   [stack] 8 MiB below it, then a 1 MiB guard gap
 *   mmap_top        stack's lowest end - up to 1 TiB     (28 bits)
 *                   ... mmap grows down from here ...
 *                   ... the heap grows up towards it ...
 *   brk start       program end + up to 1 GiB            (18 bits)
 *   PIE image       ELF_ET_DYN_BASE + up to 1 TiB        (28 bits)
 *   0x10000         MM_BOTTOM; fixed-address programs load where linked
 */
#define STACK_RND_BITS 22 /* STACK_RND_MASK 0x3fffff */
#define MMAP_RND_BITS 28  /* mmap_rnd_bits, the x86_64 default */
#define BRK_RND_BITS 18	  /* arch_randomize_brk, 64-bit: SZ_1G */
#define STACK_GUARD_GAP (256UL * PAGE_SIZE) /* stack_guard_gap */
#define STACK_SUBPAGE_BITS 13		    /* arch_align_stack: 8 KiB */
#define ET_DYN_BASE 0x555555554000UL	    /* ELF_ET_DYN_BASE, page-aligned */

static uint64_t random_bits(int bits)
{
	uint64_t v;

	random_bytes(&v, sizeof(v));
	return v & ((1UL << bits) - 1);
}

uintptr_t aslr_stack_top(void)
{
	return USER_TOP - (random_bits(STACK_RND_BITS) << PAGE_SHIFT);
}

size_t aslr_stack_offset(void)
{
	return random_bits(STACK_SUBPAGE_BITS) & ~15UL;
}

/*
 * Linux's mmap_base: below the stack's lowest possible area and guard
 * gap, whatever aslr_stack_top drew, so the two never meet.
 */
uintptr_t aslr_mmap_top(void)
{
	uintptr_t gap = ASLR_STACK_SIZE + STACK_GUARD_GAP +
			((1UL << STACK_RND_BITS) << PAGE_SHIFT);

	return USER_TOP - gap - (random_bits(MMAP_RND_BITS) << PAGE_SHIFT);
}

/* Linux's load_bias for ET_DYN: ELF_ET_DYN_BASE + arch_mmap_rnd(). */
uint64_t aslr_pie_bias(uint64_t lo, uint64_t align)
{
	uint64_t start = ET_DYN_BASE +
			 (random_bits(MMAP_RND_BITS) << PAGE_SHIFT);

	return (start - lo) & ~(align - 1);
}

/* Linux's randomize_page(brk, SZ_1G) (older kernels took 32 MiB). */
uintptr_t aslr_brk_start(uintptr_t end)
{
	return page_up(end) + (random_bits(BRK_RND_BITS) << PAGE_SHIFT);
}

/* Linux's load_elf_interp: elf_map of the total size, no address hint. */
uintptr_t aslr_interp_start(struct mm *mm, uint64_t span, uint64_t align)
{
	uintptr_t gap;

	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	gap = mm_find_free(mm, page_up(span) + align - PAGE_SIZE);
	if (!gap)
		return 0;
	return (gap + align - 1) & ~(align - 1);
}
