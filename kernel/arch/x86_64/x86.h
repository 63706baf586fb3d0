/* x86.h - internals shared by the x86_64 arch files (not for portable code). */
#ifndef KILN_ARCH_X86_64_X86_H
#define KILN_ARCH_X86_64_X86_H

#include <stdint.h>

#include "arch.h"

/* Interrupt stack table slots (TSS.ist[n-1]). */
#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3

/* Interrupt vectors Kiln assigns. */
#define VEC_PIC_BASE 0xe0 /* legacy 8259s, remapped out of the way, masked */
#define VEC_TIMER 0x30
#define VEC_SPURIOUS 0xff

void gdt_init(void);
void tss_set_kernel_stack(uint64_t rsp0);
void idt_init(void);

/*
 * SGDT and SIDT give ring 3 the tables' addresses where the CPU lacks
 * UMIP; in the kernel image they would reveal its KASLR offset. So, as
 * Linux's cpu_entry_area, paging_init maps each table's page (gdt_page,
 * idt_page: kernel addresses) read-only at a fixed address and the CPU is
 * switched to that alias (gdt_use_alias, idt_use_alias).
 */
uint64_t gdt_page(void);
uint64_t idt_page(void);
void gdt_use_alias(uint64_t va);
void idt_use_alias(uint64_t va);
void pic_disable(void);
/* Protections and user mode's CR0/CR4 bits; after idt_init. */
void cpu_features_init(void);
/* CPUID leaf 7, EBX */
#define CPUID7_EBX_FSGSBASE (1u << 0)
#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
/*
 * SSE, SMAP and FSGSBASE for user mode (user.c), from CPUID leaf 7's
 * EBX; returns the CR4 bits to set. Only cpu_features_init calls it.
 */
uint64_t user_cpu_init(uint32_t leaf7_ebx, bool no_stac);
void lapic_init(void);
void lapic_eoi(void);
/* True for addresses in the thread kernel stack region (paging.c). */
bool paging_is_kstack(uint64_t addr);

/*
 * stac_probe (syscall_entry.S) runs STAC and CLAC and returns 1; a fault
 * on either makes trap.c resume at stac_probe_fault, which returns 0.
 */
int stac_probe(void);
extern char stac_probe_end[], stac_probe_fault[];

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
