/* gdt.c - the GDT and the TSS with separate stacks for #DF, NMI and #MC. */
#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "core/page.h"

/* Intel SDM vol. 3, 8.7: the 64-bit TSS. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "TSS layout");

static struct tss tss;

/*
 * Descriptors; the order after 0x10 is what SYSRET expects
 * (STAR[63:48] = 0x18: user SS = 0x20, user CS = 0x28). The accessed
 * bits are set already, so the CPU never writes to the table: after boot
 * it is used through a read-only alias (gdt_use_alias). The table has a
 * page of its own, so the alias shows nothing else; the page is bss and
 * gdt_init copies the descriptors in: as initialised data it put 4 KB
 * of zeros, and the page alignment's padding, into every image.
 */
#define GDT_ENTRIES 8
static const uint64_t gdt_descriptors[GDT_ENTRIES] = {
	0,
	0x00af9b000000ffff, /* 0x08 kernel code, 64-bit */
	0x00cf93000000ffff, /* 0x10 kernel data */
	0x00cffb000000ffff, /* 0x18 user code, 32-bit (unused) */
	0x00cff3000000ffff, /* 0x20 user data */
	0x00affb000000ffff, /* 0x28 user code, 64-bit */
	0,
	0, /* 0x30 TSS, a 16-byte descriptor */
};
static uint64_t gdt[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)));

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char ist_df_top[], ist_nmi_top[], ist_mc_top[], boot_stack_top[];

static void tss_descriptor(uint64_t base, uint32_t limit)
{
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89UL << 40) | ((uint64_t)(limit >> 16) << 48) |
			   ((base >> 24 & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

/*
 * Load the GDT and TSS, and a null LDT: LDTR otherwise keeps its reset
 * value (base 0, limit 0xffff), and a selector with TI set would make the
 * CPU read descriptors, call gates included, from user memory at 0.
 */
void gdt_init(void)
{
	struct table_ptr ptr = { GDT_ENTRIES * 8 - 1, (uint64_t)gdt };

	for (int i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = gdt_descriptors[i];
	tss.ist[IST_DF - 1] = (uint64_t)ist_df_top;
	tss.ist[IST_NMI - 1] = (uint64_t)ist_nmi_top;
	tss.ist[IST_MC - 1] = (uint64_t)ist_mc_top;
	tss.rsp[0] = (uint64_t)boot_stack_top;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: ring 3 gets no ports */
	tss_descriptor((uint64_t)&tss, sizeof(tss) - 1);

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "ltr %w3\n\t"
			 "lldt %w4"
			 :
			 : "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA),
			   "r"(SEL_TSS), "r"(0)
			 : "rax", "memory");
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}

uint64_t gdt_page(void)
{
	return (uint64_t)gdt;
}

/* ltr has marked the TSS busy in the writable table; nothing writes now. */
void gdt_use_alias(uint64_t va)
{
	struct table_ptr ptr = { GDT_ENTRIES * 8 - 1, va };

	__asm__ volatile("lgdt %0" : : "m"(ptr) : "memory");
}
