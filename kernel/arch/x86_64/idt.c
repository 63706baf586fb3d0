/* idt.c - the interrupt descriptor table: every vector goes to trap_entry.S. */
#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "core/page.h"

/* Intel SDM vol. 3, 6.14.1: a 64-bit interrupt gate. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* P, DPL, type 0xE = interrupt gate */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

/* Exactly a page: after boot it is used through a read-only alias. */
static struct idt_gate idt[256] __attribute__((aligned(PAGE_SIZE)));
extern char trap_stubs[];

_Static_assert(sizeof(idt) == PAGE_SIZE, "the IDT is one page");

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* dpl: the lowest privilege that may raise vec with INT n (or INT3). */
static void idt_set(int vec, int ist, int dpl)
{
	uint64_t addr = (uint64_t)trap_stubs + 16 * (uint64_t)vec;

	idt[vec] = (struct idt_gate){
		.offset_lo = addr & 0xffff,
		.selector = SEL_KCODE,
		.ist = (uint8_t)ist,
		.type_attr = (uint8_t)(0x8e | dpl << 5),
		.offset_mid = (addr >> 16) & 0xffff,
		.offset_hi = addr >> 32,
	};
}

void idt_init(void)
{
	struct table_ptr ptr = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < 256; v++)
		idt_set(v, 0, 0);
	/*
	 * int3 from user code is a breakpoint (SIGTRAP), as on Linux; with
	 * DPL 0 it would be a #GP. Debuggers and runtimes rely on it.
	 */
	idt_set(3, 0, 3);
	/* Faults that must not run on a possibly broken stack get their own. */
	idt_set(2, IST_NMI, 0);
	idt_set(8, IST_DF, 0);
	idt_set(18, IST_MC, 0);
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

uint64_t idt_page(void)
{
	return (uint64_t)idt;
}

void idt_use_alias(uint64_t va)
{
	struct table_ptr ptr = { sizeof(idt) - 1, va };

	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}
