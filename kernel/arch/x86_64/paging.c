/* paging.c - Kiln's own page tables: W^X kernel image, direct map, MMIO. */
#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "core/page.h"
#include "core/panic.h"

/*
 * Virtual layout (4-level paging, 48-bit):
 *
 *   0x0000000000000000  unmapped (page 0 included): user space, later
 *   0xffff888000000000  direct map of all RAM, RW + NX
 *                       (the kernel image's own frames: R + NX)
 *   0xffffc90000000000  device registers, uncached, NX
 *   0xffffc90100000000  thread kernel stacks, each above an unmapped guard
 *   0xfffffe0000000000  the GDT and the IDT, read-only aliases at a fixed
 *                       address (what SGDT and SIDT show)
 *   0xffffffff80000000  the kernel image, + kernel_offset (KASLR, up
 *                       to 2 GiB): text RX, rodata R+NX, data/bss
 *                       RW+NX, stack guard pages unmapped, the
 *                       generated tables (ksyms, krelocs) R+NX
 */
#define MMIO_BASE 0xffffc90000000000UL
#define KSTACK_BASE 0xffffc90100000000UL /* thread kernel stacks */
#define KSTACK_LIMIT (KSTACK_BASE + (1UL << 32))
#define MMIO_LIMIT (MMIO_BASE + (1UL << 30))
#define CPU_TABLES_BASE 0xfffffe0000000000UL /* Linux's cpu_entry_area */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define LARGE_PAGE (2UL << 20)

static uint64_t *kernel_pml4;
static uint64_t mmio_next = MMIO_BASE;
uint64_t kernel_offset; /* set by entry.S from kaslr_boot's choice */

extern char __stack_guard_boot[], __stack_guard_df[], __stack_guard_nmi[],
	__stack_guard_mc[];

uint64_t virt_to_phys(const void *v)
{
	uint64_t va = (uint64_t)v;

	if (va >= KERNEL_BASE)
		return va - KERNEL_BASE - kernel_offset;
	return va - DIRECT_MAP_BASE;
}

/* paging_init has filled every upper-half slot (see PML4_KERNEL_FIRST). */
static bool kernel_slots_fixed;

/*
 * The next-level table behind *entry, allocated on first use (NULL when
 * memory is out). Tables for user addresses carry PTE_U so the leaf
 * decides; kernel tables do not.
 */
static uint64_t *next_table(uint64_t *entry, uint64_t flags)
{
	uint64_t *t;

	if (*entry & PTE_P) {
		if (*entry & PTE_PS)
			panic("paging: mapping inside a large page");
		return phys_to_virt(*entry & PTE_ADDR_MASK);
	}
	t = page_alloc_zero(1);
	if (!t)
		return NULL;
	*entry = virt_to_phys(t) | PTE_P | PTE_W | flags;
	return t;
}

/* The table levels_down levels below the PML4 for va, or NULL (no memory). */
static uint64_t *walk_alloc(uint64_t va, int levels_down, uint64_t flags)
{
	uint64_t *t = kernel_pml4;

	if (kernel_slots_fixed && va >= (1UL << 63) &&
	    !(kernel_pml4[(va >> 39) & 511] & PTE_P))
		panic("paging: kernel mapping at %p outside the fixed slots",
		      (void *)va);
	for (int shift = 39; t && shift > 39 - 9 * levels_down; shift -= 9)
		t = next_table(&t[(va >> shift) & 511], flags);
	return t;
}

/* Boot only (kernel image, direct map, devices): no memory is a panic. */
static uint64_t *walk(uint64_t va, int levels_down)
{
	uint64_t *t = walk_alloc(va, levels_down, 0);

	if (!t)
		panic("paging: out of memory for kernel page tables");
	return t;
}

/* The leaf entry for a kernel va if its tables exist, else NULL. */
static uint64_t *kernel_pte(uint64_t va)
{
	uint64_t *t = kernel_pml4;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = phys_to_virt(e & PTE_ADDR_MASK);
	}
	return &t[(va >> 12) & 511];
}

/*
 * User addresses are the canonical lower half. Anything above would index
 * the kernel's own tables (0xffff80106000 walks to the entry of kernel
 * text at 0xffffffff80106000), so the user functions refuse it.
 */
#define USER_VA_END (1UL << 47)

/*
 * An address space is its PML4 page: the lower half (user) its own, the
 * upper half (entries 256..511) copies of the kernel's. paging_init fills
 * every upper-half entry the kernel will ever use before the first copy
 * is made, so a kernel mapping made later (a thread's stack, a device)
 * lands in a table every address space already points at: the regions
 * mapped at boot (direct map, kernel, GDT/IDT aliases) and the slot of
 * devices and kernel stacks, mapped later. Only those: allocating all 256
 * cost 1 MiB of zeroed tables, most of the boot's time under TCG and a
 * megabyte of every VM's host memory. A later kernel mapping anywhere
 * else would be missing from existing spaces: walk_alloc panics.
 */
#define PML4_KERNEL_FIRST 256
static struct paging_as *active_as; /* NULL: the kernel's own PML4 */

static uint64_t *as_pml4(struct paging_as *as)
{
	return (uint64_t *)as;
}

/* Changes to an inactive space need no flush: loading CR3 does it. */
static void as_flush(struct paging_as *as, uintptr_t va)
{
	if (as == active_as)
		invlpg(va);
}

/* The leaf entry for a user va if its tables exist, else NULL. */
static uint64_t *user_pte(struct paging_as *as, uintptr_t va)
{
	uint64_t *t = as_pml4(as);

	if (va >= USER_VA_END)
		return NULL;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = phys_to_virt(e & PTE_ADDR_MASK);
	}
	return &t[(va >> 12) & 511];
}

/*
 * A PROT_NONE page keeps its frame but is not present: PTE_PROTNONE (a bit
 * the CPU ignores) says the address bits are still ours.
 */
#define PTE_PROTNONE 0x200
#define PTE_HAS_FRAME (PTE_P | PTE_PROTNONE)

/* Linux PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4 to leaf PTE bits. */
static uint64_t prot_bits(int prot)
{
	uint64_t f = PTE_P | PTE_U;

	if (prot == 0)
		return PTE_PROTNONE;
	if (prot & 2)
		f |= PTE_W;
	if (!(prot & 4))
		f |= PTE_NX;
	return f;
}

int paging_map_user(struct paging_as *as, uintptr_t va, uint64_t phys, int prot)
{
	uint64_t *pt;

	if (va >= USER_VA_END)
		return -14; /* -EFAULT */
	pt = as_pml4(as);
	for (int shift = 39; pt && shift > 12; shift -= 9)
		pt = next_table(&pt[(va >> shift) & 511], PTE_U);
	if (!pt)
		return -12; /* -ENOMEM */
	pt[(va >> 12) & 511] = phys | prot_bits(prot);
	as_flush(as, va);
	return 0;
}

uint64_t paging_unmap_user(struct paging_as *as, uintptr_t va)
{
	uint64_t *pte = user_pte(as, va), phys;

	if (!pte || !(*pte & PTE_HAS_FRAME))
		return 0;
	phys = *pte & PTE_ADDR_MASK;
	*pte = 0;
	as_flush(as, va);
	return phys;
}

void paging_protect_user(struct paging_as *as, uintptr_t va, int prot)
{
	uint64_t *pte = user_pte(as, va);

	if (!pte || !(*pte & PTE_HAS_FRAME))
		return;
	*pte = (*pte & PTE_ADDR_MASK) | prot_bits(prot);
	as_flush(as, va);
}

bool paging_user_lookup(struct paging_as *as, uintptr_t va, uint64_t *phys)
{
	uint64_t *pte = user_pte(as, va);

	if (!pte || !(*pte & PTE_HAS_FRAME))
		return false;
	*phys = *pte & PTE_ADDR_MASK;
	return true;
}

bool paging_unmap_user_readonly(struct paging_as *as, uintptr_t va,
				uint64_t phys)
{
	uint64_t *pte = user_pte(as, va);

	if (!pte || !(*pte & PTE_HAS_FRAME) || (*pte & PTE_ADDR_MASK) != phys ||
	    ((*pte & PTE_P) && (*pte & PTE_W)))
		return false;
	*pte = 0;
	as_flush(as, va);
	return true;
}

uintptr_t paging_next_user(struct paging_as *as, uintptr_t va, uintptr_t end)
{
	uintptr_t limit = end < USER_VA_END ? end : USER_VA_END;

	while (va < limit) {
		uint64_t *t = as_pml4(as);
		int shift;

		for (shift = 39; shift > 12; shift -= 9) {
			uint64_t e = t[(va >> shift) & 511];

			if (!(e & PTE_P) || (e & PTE_PS))
				break;
			t = phys_to_virt(e & PTE_ADDR_MASK);
		}
		if (shift == 12 && (t[(va >> 12) & 511] & PTE_HAS_FRAME))
			return va;
		/* Nothing here: skip what this level's entry covers. */
		va = (va | ((1UL << shift) - 1)) + 1;
	}
	return end;
}

struct paging_as *paging_as_create(void)
{
	uint64_t *pml4 = page_alloc_zero(1);

	if (!pml4)
		return NULL;
	for (int i = PML4_KERNEL_FIRST; i < 512; i++)
		pml4[i] = kernel_pml4[i];
	return (struct paging_as *)pml4;
}

void paging_as_activate(struct paging_as *as)
{
	if (as == active_as)
		return;
	write_cr3(virt_to_phys(as ? as_pml4(as) : kernel_pml4));
	active_as = as;
}

/* Free the table behind entry e, level levels above the leaf tables. */
static void free_table(uint64_t e, int level)
{
	uint64_t *t = phys_to_virt(e & PTE_ADDR_MASK);

	if (level > 0)
		for (int i = 0; i < 512; i++)
			if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
				free_table(t[i], level - 1);
	page_free(t, 1);
}

void paging_as_destroy(struct paging_as *as)
{
	uint64_t *pml4 = as_pml4(as);

	if (as == active_as)
		paging_as_activate(NULL); /* never free the tables in use */
	for (int i = 0; i < PML4_KERNEL_FIRST; i++)
		if (pml4[i] & PTE_P)
			free_table(pml4[i], 2);
	page_free(pml4, 1);
}

/*
 * The leaf table map_4k used last and the 2 MiB span it covers. The boot
 * maps pages in runs (the kernel image, the direct map's first 2 MiB, a
 * device's registers), and a walk from the PML4 for each page was half
 * the boot's paging work. Kernel tables are never freed, so the table
 * stays valid; map_2m forgets it, since a large page replaces it.
 */
static uint64_t *last_pt;
static uint64_t last_pt_span = UINT64_MAX;

static void map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
	if (va >> 21 != last_pt_span) {
		last_pt = walk(va, 3);
		last_pt_span = va >> 21;
	}
	last_pt[(va >> 12) & 511] = pa | flags | PTE_P;
}

static void map_2m(uint64_t va, uint64_t pa, uint64_t flags)
{
	if (va >> 21 == last_pt_span)
		last_pt_span = UINT64_MAX;
	walk(va, 2)[(va >> 21) & 511] = pa | flags | PTE_P | PTE_PS;
}

/* Map [pa, pa+size) at va, with 2 MiB pages wherever alignment allows. */
static void map_range(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	uint64_t end = pa + size;

	while (pa < end) {
		if ((va | pa) % LARGE_PAGE == 0 && end - pa >= LARGE_PAGE) {
			map_2m(va, pa, flags);
			va += LARGE_PAGE;
			pa += LARGE_PAGE;
		} else {
			map_4k(va, pa, flags);
			va += PAGE_SIZE;
			pa += PAGE_SIZE;
		}
	}
}

static bool is_stack_guard(uint64_t va)
{
	return va == (uint64_t)__stack_guard_boot ||
	       va == (uint64_t)__stack_guard_df ||
	       va == (uint64_t)__stack_guard_nmi ||
	       va == (uint64_t)__stack_guard_mc;
}

static void map_kernel_image(void)
{
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__kernel_end;
	     va += PAGE_SIZE) {
		uint64_t flags = PTE_G;

		if (va >= (uint64_t)__rodata_start)
			flags |= PTE_NX;
		if (va >= (uint64_t)__data_start &&
		    va < (uint64_t)__tables_start)
			flags |= PTE_W;
		if (!is_stack_guard(va))
			map_4k(va, virt_to_phys((void *)va), flags);
	}
}

/* RAM in the direct map; the kernel image's frames read-only there. */
static void map_direct(void)
{
	uint64_t kstart = KERNEL_PHYS_BASE;
	uint64_t kend = (uint64_t)__kernel_end - KERNEL_BASE;

	for (size_t i = 0; i < boot_info.nmem; i++) {
		const struct mem_range *r = &boot_info.mem[i];
		uint64_t base = (r->base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		uint64_t end = (r->base + r->size) & ~(PAGE_SIZE - 1);
		uint64_t lo, hi;

		if (r->type != MEM_RAM || end <= base)
			continue;
		lo = base > kstart ? base : kstart;
		hi = end < kend ? end : kend;
		if (lo >= hi) {
			map_range(DIRECT_MAP_BASE + base, base, end - base,
				  PTE_W | PTE_NX);
			continue;
		}
		map_range(DIRECT_MAP_BASE + base, base, lo - base,
			  PTE_W | PTE_NX);
		map_range(DIRECT_MAP_BASE + lo, lo, hi - lo, PTE_NX);
		map_range(DIRECT_MAP_BASE + hi, hi, end - hi, PTE_W | PTE_NX);
	}
}

void paging_init(void)
{
	kernel_pml4 = page_alloc_zero(1);
	if (!kernel_pml4)
		panic("paging: no memory for the top-level table");
	map_kernel_image();
	map_direct();
	/* The slots mapped later, so address spaces can copy them once. */
	for (uint64_t va = MMIO_BASE; va < KSTACK_LIMIT; va += 1UL << 39)
		if (!next_table(&kernel_pml4[(va >> 39) & 511], 0))
			panic("paging: no memory for the kernel's tables");
	map_4k(CPU_TABLES_BASE, virt_to_phys((void *)gdt_page()),
	       PTE_NX | PTE_G);
	map_4k(CPU_TABLES_BASE + PAGE_SIZE, virt_to_phys((void *)idt_page()),
	       PTE_NX | PTE_G);
	kernel_slots_fixed = true;
	write_cr3(virt_to_phys(kernel_pml4));
	gdt_use_alias(CPU_TABLES_BASE);
	idt_use_alias(CPU_TABLES_BASE + PAGE_SIZE);
}

void *paging_map_mmio(uint64_t phys, size_t size)
{
	uint64_t off = phys & (PAGE_SIZE - 1);
	uint64_t len = (off + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t va = mmio_next;

	if (size == 0 || len > MMIO_LIMIT - mmio_next)
		return NULL;
	mmio_next += len + PAGE_SIZE; /* an unmapped page between devices */
	for (uint64_t i = 0; i < len; i += PAGE_SIZE)
		map_4k(va + i, (phys - off) + i,
		       PTE_W | PTE_NX | PTE_PCD | PTE_PWT);
	return (void *)(va + off);
}

bool paging_query(uintptr_t va, struct page_info *out)
{
	uint64_t *t = kernel_pml4;
	uint64_t e = 0;
	bool nx = false, w = true, u = true;

	for (int shift = 39; shift >= 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return false;
		nx |= (e & PTE_NX) != 0;
		w &= (e & PTE_W) != 0;
		u &= (e & PTE_U) != 0;
		if (shift == 12 || (e & PTE_PS))
			break;
		t = phys_to_virt(e & PTE_ADDR_MASK);
	}
	*out = (struct page_info){ true, w, !nx, u };
	return true;
}

/*
 * Thread kernel stacks: slots of guard page + stack in their own region,
 * mapped 4 KiB at a time so the guard stays unmapped. Freed slots are
 * reused (a list through the slots' first stack words is unsafe once
 * unmapped, so a small array of free tops is kept).
 */
#define KSTACK_FREE_MAX 64
static uint64_t kstack_next = KSTACK_BASE;
static uint64_t kstack_free_tops[KSTACK_FREE_MAX];
static size_t kstack_nfree;

static void kstack_unmap(uint64_t lo, uint64_t top)
{
	for (uint64_t va = lo; va < top; va += PAGE_SIZE) {
		uint64_t *pte = kernel_pte(va);

		if (!pte || !(*pte & PTE_P))
			continue;
		page_free(phys_to_virt(*pte & PTE_ADDR_MASK), 1);
		*pte = 0;
		invlpg(va);
	}
}

/*
 * Map one page of a stack at va, its page tables too. Threads are made
 * at the app's request, so running out of memory here is an error for
 * clone, never a panic.
 */
static bool kstack_map_page(uint64_t va)
{
	void *page = page_alloc(1);
	uint64_t *pt = page ? walk_alloc(va, 3, 0) : NULL;

	if (!pt) {
		if (page)
			page_free(page, 1);
		return false;
	}
	pt[(va >> 12) & 511] = virt_to_phys(page) | PTE_W | PTE_NX | PTE_G |
			       PTE_P;
	return true;
}

uint64_t kstack_alloc(size_t size)
{
	uint64_t top;

	if (kstack_nfree > 0) {
		top = kstack_free_tops[--kstack_nfree];
	} else {
		if (size + PAGE_SIZE > KSTACK_LIMIT - kstack_next)
			return 0;
		top = kstack_next + PAGE_SIZE + size;
		kstack_next = top;
	}
	for (uint64_t va = top - size; va < top; va += PAGE_SIZE) {
		if (!kstack_map_page(va)) {
			kstack_unmap(top - size, va);
			kstack_free_tops[kstack_nfree++] = top;
			return 0;
		}
	}
	return top;
}

void kstack_free(uint64_t top, size_t size)
{
	kstack_unmap(top - size, top);
	if (kstack_nfree < KSTACK_FREE_MAX)
		kstack_free_tops[kstack_nfree++] = top;
}

bool paging_is_kstack(uint64_t addr)
{
	return addr >= KSTACK_BASE && addr < kstack_next;
}
