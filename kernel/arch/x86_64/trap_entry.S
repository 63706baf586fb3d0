/* trap_entry.S - one stub per interrupt vector, and the common save/restore. */

#include "arch/x86_64/frame.h"
#include "arch/x86_64/layout.h"

/*
 * Every stub is 16 bytes apart (idt.c computes trap_stubs + 16 * vector).
 * It pushes a zero where the CPU pushes no error code, then the vector, so
 * trap_common always sees the same frame (struct trap_frame in arch.h):
 *
 *   ss, rsp, rflags, cs, rip   pushed by the CPU
 *   error, vector              pushed by the stub
 *   rax ... r15                pushed by trap_common
 */
	.text
	.p2align 4
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	/* Vectors with a CPU error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	PUSH_REGS
	cld
	/*
	 * A trap from ring 3 leaves SS null (the privilege change loads a
	 * null selector; an IST switch alone, from ring 0, keeps SS), SYSCALL
	 * and the boot leave it the kernel's data selector. The CPU ignores SS's
	 * attributes in 64-bit mode, but QEMU's TCG keys translated code on
	 * its B bit: without this, kernel code run both in a system call and
	 * in a fault or interrupt from user mode (the allocator, paging,
	 * timers) is translated twice. IRETQ restores the frame's SS.
	 */
	mov $SEL_KDATA, %eax
	mov %eax, %ss
	mov %rsp, %rdi
	call trap_dispatch
	POP_REGS
	iretq
