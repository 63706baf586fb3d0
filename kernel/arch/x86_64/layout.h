/* layout.h - x86_64 constants shared by assembly and C. */
#ifndef KILN_ARCH_X86_64_LAYOUT_H
#define KILN_ARCH_X86_64_LAYOUT_H

/*
 * Page table entry bits (Intel SDM vol. 3, 4.5):
 *
 *   63  62..52  51..12        8   7   6   5   4    3    2   1   0
 *   NX  avail   frame         G   PS  D   A   PCD  PWT  U   W   P
 */
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80
#define PTE_G 0x100
#ifdef __ASSEMBLER__
#define PTE_NX (1 << 63)
#else
#define PTE_NX (1ULL << 63)
#endif

#define CR0_PE 0x1
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
/* CR4.TSD: RDTSC faults outside ring 0 */
#define CR4_TSD 0x4
#define CR4_PAE 0x20
#define CR4_PGE 0x80
#define CR4_UMIP 0x800
#define CR4_FSGSBASE 0x10000
#define CR4_SMEP 0x100000
#define CR4_SMAP 0x200000

/*
 * RFLAGS (Intel SDM vol. 1, 3.4.3). User code may run with the bits ring
 * 3 can set itself with popfq (CF PF AF ZF SF TF DF OF NT AC ID), RF, and
 * IF and bit 1 always on: never IOPL, VM, VIF or VIP, whatever a frame
 * says.
 */
#define RFLAGS_USER_MASK 0x254fd5
#define RFLAGS_USER_FIXED 0x202

#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define EFER_NXE 0x800

/* Virtual layout: see kernel/arch.h for the C view. */
#define DIRECT_MAP_PML4_INDEX 273 /* 0xffff888000000000 >> 39 & 511 */
#define KERNEL_PHYS_BASE 0x100000
/*
 * Where the kernel is linked (arch.h's KERNEL_BASE); it runs at this
 * plus kernel_offset, a multiple of KASLR_ALIGN (kaslr.c).
 */
#define KERNEL_LINK_BASE 0xffffffff80000000
#define KASLR_ALIGN 0x200000

/* Segment selectors of the final GDT (gdt.c); SYSRET needs this order. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20
#define SEL_UCODE 0x28
#define SEL_TSS 0x30

#endif
