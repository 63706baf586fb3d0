/* kaslr.c - choose the kernel's virtual base at boot and relocate the image to it. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/layout.h"

/*
 * The kernel is linked at KERNEL_LINK_BASE + its physical address and
 * built for -mcmodel=kernel, so it may run anywhere in the top 2 GiB.
 * Before entry.S jumps to the higher half, kaslr_boot picks a base there
 * in 2 MiB steps, adds the offset to every absolute address the image
 * stores (the .krelocs table, scripts/gen_krelocs.py), and maps the
 * image at the new base:
 *
 *   0xffffffff80000000  link base (kernel_offset 0: kiln.nokaslr)
 *   + n * 2 MiB         the chosen base, n random in [0, slots)
 *   ...                 image (phys 0 .. __kernel_end_phys), mapped
 *   0xffffffffffe00000  never used: the image ends below it
 *
 * This file runs on the boot page tables at the physical address the
 * loader put it (kernel.ld places it in .boot; the Makefile builds it for
 * the small code model): it may use only its own code and data, the boot
 * tables and physical memory below 1 GiB, and calls nothing else.
 */
#define TOP_2G_SLOTS 1024  /* 2 MiB slots in the top 2 GiB */
#define PD_ENTRIES_LOW 512 /* 2 MiB pages of physical 0 .. 1 GiB */
#define HVM_START_MAGIC 0x336ec578

/* The two page directories for the top 2 GiB (entry.S). */
extern uint64_t boot_pd_kernel[TOP_2G_SLOTS];
/* Absolute symbols from kernel.ld: physical addresses. */
extern const char __krelocs_phys[], __kernel_end_phys[];

/* struct hvm_start_info's first fields (boot.c has the whole). */
struct start_info_head {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr;
};

/*
 * .krelocs: counts, then the physical addresses of the 64-bit sites and
 * of the 32-bit ones, each list sorted and stored as steps from the
 * previous site (from 0 for the first) in ULEB128 (gen_krelocs.py).
 */
struct krelocs {
	uint32_t n64, n32;
	uint8_t steps[];
};

/* Called once, by entry.S; returns kernel_offset. */
uint64_t kaslr_boot(uint32_t start_info_phys);

/* Does the command line hold the word kiln.nokaslr? */
static bool nokaslr(uint32_t start_info_phys)
{
	static const char word[] = "kiln.nokaslr";
	const struct start_info_head *si =
		(const void *)(uintptr_t)start_info_phys;
	const char *s;

	/* Checked as boot.c does; a bad start info panics in kmain. */
	if (!si || start_info_phys >= (1U << 30) - sizeof(*si) ||
	    si->magic != HVM_START_MAGIC || !si->cmdline_paddr ||
	    si->cmdline_paddr >= (1U << 30) - 4096)
		return false;
	s = (const char *)(uintptr_t)si->cmdline_paddr;
	for (int i = 0; i < 2048 && s[i]; i++) {
		int n = 0;

		if (i > 0 && s[i - 1] != ' ')
			continue;
		while (word[n] && s[i + n] == word[n])
			n++;
		if (!word[n] && (s[i + n] == ' ' || s[i + n] == '\0'))
			return true;
	}
	return false;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/*
 * 64 random bits: RDSEED, else RDRAND, when CPUID has them (Intel SDM
 * vol. 2: CPUID.(07H,0):EBX[18], CPUID.01H:ECX[30]; CF=1 when valid),
 * else the TSC, whose low bits at this point depend on how long the VMM
 * took to load the image.
 */
static uint64_t boot_random(void)
{
	uint32_t r[4];
	uint64_t v, lo, hi;
	bool ok;

	cpuid(0, r);
	if (r[0] >= 7) {
		cpuid(7, r);
		for (int i = 0; (r[1] >> 18 & 1) && i < 128; i++) {
			__asm__ volatile("rdseed %0" : "=r"(v), "=@ccc"(ok));
			if (ok)
				return v;
		}
	}
	cpuid(1, r);
	for (int i = 0; (r[2] >> 30 & 1) && i < 10; i++) {
		__asm__ volatile("rdrand %0" : "=r"(v), "=@ccc"(ok));
		if (ok)
			return v;
	}
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	v = hi << 32 | lo;
	return v ^ v >> 17 ^ v << 23; /* spread the fast-moving low bits */
}

/* The next site of a list: a ULEB128 step from the previous one. */
static uintptr_t next_site(const uint8_t **p, uintptr_t prev)
{
	uintptr_t step = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		b = *(*p)++;
		step |= (uintptr_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && shift < 32);
	return prev + step;
}

/* Add offset to every absolute kernel address in the image. */
static void relocate(uint64_t offset)
{
	const struct krelocs *t = (const void *)__krelocs_phys;
	const uint8_t *p = t->steps;
	uintptr_t site = 0;

	for (uint32_t i = 0; i < t->n64; i++) {
		site = next_site(&p, site);
		*(uint64_t *)site += offset;
	}
	/* 32-bit sign-extended sites: the result stays in the top 2 GiB. */
	site = 0;
	for (uint32_t i = 0; i < t->n32; i++) {
		site = next_site(&p, site);
		*(uint32_t *)site += (uint32_t)offset;
	}
}

/*
 * Map physical 0 .. 1 GiB from slot on, as far as the top 2 GiB go (the
 * tables start zeroed: entry.S).
 */
static void map_kernel(uint32_t slot)
{
	for (uint32_t i = 0; i < PD_ENTRIES_LOW && slot + i < TOP_2G_SLOTS; i++)
		boot_pd_kernel[slot + i] = (uint64_t)i * KASLR_ALIGN | PTE_P |
					   PTE_W | PTE_PS;
}

uint64_t kaslr_boot(uint32_t start_info_phys)
{
	/* The image's 2 MiB pages, and one slot kept free at the very top. */
	uint32_t pages = ((uintptr_t)__kernel_end_phys + KASLR_ALIGN - 1) /
			 KASLR_ALIGN;
	uint32_t slots = TOP_2G_SLOTS - pages - 1, slot = 0;

	if (!nokaslr(start_info_phys))
		slot = (uint32_t)(boot_random() % slots);
	relocate((uint64_t)slot * KASLR_ALIGN);
	map_kernel(slot);
	return (uint64_t)slot * KASLR_ALIGN;
}
