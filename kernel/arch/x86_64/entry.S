/* entry.S - PVH entry: from 32-bit protected mode to the 64-bit higher half. */

#include "arch/x86_64/layout.h"

/*
 * PVH boot protocol (xen/include/public/arch-x86/hvm/start_info.h):
 * the VMM loads our PT_LOAD segments at their physical addresses and enters
 * pvh_start in 32-bit protected mode, paging off, flat segments, interrupts
 * off, with %ebx = physical address of struct hvm_start_info.
 * The note below (Xen ELF note 18, XEN_ELFNOTE_PHYS32_ENTRY) names that
 * entry point; it is how QEMU and Firecracker know we speak PVH.
 */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4				/* name size: "Xen\0" */
	.long 4				/* descriptor size */
	.long 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

/*
 * Boot page tables, used only until paging_init builds Kiln's own.
 * One page directory of 2 MiB pages maps physical 0..1 GiB twice:
 * identity (for this code) and at DIRECT_MAP_BASE (so the page allocator
 * can reach low memory). Two more cover the top 2 GiB, where kaslr.c maps
 * the kernel image at the base it chooses.
 */
	.section .boot.bss, "aw", @nobits
	.p2align 12
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
	.globl boot_pdpt_high, boot_pd_kernel
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096
boot_pd_kernel:	.skip 8192		/* 0xffffffff80000000 .. 2^64 */
boot_tables_end:
	/* kaslr.c's stack: it runs before the kernel's own is mapped. */
	.p2align 4
	.skip 4096
boot_early_stack_top:

	.section .boot.data, "a"
	.p2align 3
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

boot_tsc:	.quad 0
boot_start_info: .quad 0

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	/* Keep the first TSC read and the start info pointer. */
	rdtsc
	mov %eax, boot_tsc
	mov %edx, boot_tsc + 4
	mov %ebx, boot_start_info
	cld

	/* Zero the boot tables: the loader need not zero NOLOAD memory. */
	mov $boot_pml4, %edi
	xor %eax, %eax
	mov $(boot_tables_end - boot_pml4) / 4, %ecx
	rep stosl

	/* PML4 -> PDPTs -> the one page directory. */
	movl $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4
	movl $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4 + 8 * DIRECT_MAP_PML4_INDEX
	movl $(boot_pdpt_high + PTE_P + PTE_W), boot_pml4 + 8 * 511
	movl $(boot_pd + PTE_P + PTE_W), boot_pdpt_low
	movl $(boot_pd_kernel + PTE_P + PTE_W), boot_pdpt_high + 8 * 510
	movl $(boot_pd_kernel + 4096 + PTE_P + PTE_W), boot_pdpt_high + 8 * 511

	/* 512 entries of 2 MiB: physical 0 .. 1 GiB. */
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P + PTE_W + PTE_PS), %eax
	mov %eax, boot_pd(, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b

	/* Long mode: PAE, EFER.LME and NXE, then paging with write protect. */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP | CR0_PE), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs

	/*
	 * KASLR: kaslr_boot picks the kernel's virtual base, adjusts every
	 * absolute address in the image to it, maps it there, and returns
	 * its offset from the link address. Then jump to the higher half:
	 * kernel_entry64's physical address plus the chosen base. (Only
	 * physical addresses here: this code does not move, so no address
	 * of the image may be stored in it.)
	 */
	mov $boot_early_stack_top, %esp
	xor %ebp, %ebp
	mov boot_start_info, %edi
	call kaslr_boot
	mov %rax, %r14
	mov %cr3, %rax			/* drop any stale translation */
	mov %rax, %cr3
	mov boot_tsc, %r12
	mov boot_start_info, %r13
	movabs $KERNEL_LINK_BASE, %rax
	add %r14, %rax
	add $(kernel_entry64 - KERNEL_LINK_BASE), %rax
	jmp *%rax

	.text
	.code64
kernel_entry64:
	/*
	 * Zero .bss (the boot stack is in it, so before any call), 64 bytes
	 * a step, the tail a byte at a time: TCG runs each step of a rep as
	 * a block of its own (byte steps were 200K of them, qword steps 28K).
	 */
	movabs $__bss_start, %rdi
	movabs $__bss_end, %rcx
	sub %rdi, %rcx
	mov %rcx, %rdx
	shr $6, %rcx
	xor %eax, %eax
	test %rcx, %rcx
	jz 2f
1:	mov %rax, (%rdi)
	mov %rax, 8(%rdi)
	mov %rax, 16(%rdi)
	mov %rax, 24(%rdi)
	mov %rax, 32(%rdi)
	mov %rax, 40(%rdi)
	mov %rax, 48(%rdi)
	mov %rax, 56(%rdi)
	add $64, %rdi
	dec %rcx
	jnz 1b
2:	mov %rdx, %rcx
	and $63, %rcx
	rep stosb
	mov %r14, kernel_offset(%rip)

	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp			/* ends the backtrace */
	mov %r13, %rdi			/* kmain(start_info_phys, tsc_entry) */
	mov %r12, %rsi
	call kmain
	ud2
