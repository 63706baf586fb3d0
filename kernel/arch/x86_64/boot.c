/* boot.c - early start-up: copy the PVH start info, set up the CPU tables. */
#include <stdint.h>

#include "arch/x86_64/x86.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/string.h"

struct boot_info boot_info;

/* xen/include/public/arch-x86/hvm/start_info.h */
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* Physical memory below 1 GiB is identity-mapped until paging_init. */
#define BOOT_MAPPED_LIMIT (1UL << 30)

static bool boot_readable(uint64_t phys, uint64_t size)
{
	return phys != 0 && phys < BOOT_MAPPED_LIMIT &&
	       size <= BOOT_MAPPED_LIMIT - phys;
}

static void copy_cmdline(uint64_t phys)
{
	const char *s = (const char *)phys;
	size_t n = 0;

	if (!boot_readable(phys, 1))
		return;
	while (n + 1 < BOOT_CMDLINE_MAX && boot_readable(phys + n, 1) && s[n])
		n++;
	memcpy(boot_info.cmdline, s, n);
	boot_info.cmdline[n] = '\0';
	boot_info.cmdline_len = n;
}

/* The start info comes from the VMM: check it before reading through it. */
static void copy_start_info(uint64_t phys)
{
	const struct hvm_start_info *si = (const void *)phys;
	const struct hvm_memmap_entry *mm;

	if (!boot_readable(phys, sizeof(*si)) || si->magic != HVM_START_MAGIC)
		panic("no PVH start info (boot with a PVH loader)");
	copy_cmdline(si->cmdline_paddr);
	if (si->version < 1 || si->memmap_entries == 0)
		panic("PVH start info has no memory map (version %u)",
		      si->version);
	if (!boot_readable(si->memmap_paddr,
			   (uint64_t)si->memmap_entries * sizeof(*mm)))
		panic("PVH memory map out of reach");
	mm = (const void *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (boot_info.nmem == BOOT_MAX_RANGES) {
			printk("kiln: memory map: %u entries, using the first %d\n",
			       si->memmap_entries, BOOT_MAX_RANGES);
			break;
		}
		boot_info.mem[boot_info.nmem++] = (struct mem_range){
			mm[i].addr, mm[i].size,
			mm[i].type == MEM_RAM ? MEM_RAM : MEM_RESERVED
		};
	}
}

void arch_early_init(uint64_t start_info_phys)
{
	gdt_init();
	idt_init();
	pic_disable();
	copy_start_info(start_info_phys); /* the command line, for the next */
	cpu_features_init();
}

void arch_late_init(void)
{
	lapic_init();
}
