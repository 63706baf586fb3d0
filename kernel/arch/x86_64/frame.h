/* frame.h - assembler macros that save and restore struct trap_frame's registers. */
#ifndef KILN_ARCH_X86_64_FRAME_H
#define KILN_ARCH_X86_64_FRAME_H

#ifdef __ASSEMBLER__
/* Assembler, not C: clang-format must leave it as it is. */
/* clang-format off */

/*
 * The general registers in the order of struct trap_frame (arch.h): rax is
 * pushed first, so r15 ends up at the lowest address, where the struct
 * starts. The vector and error code sit above them.
 */
.macro PUSH_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

/* Restore them and drop the vector and error code. */
.macro POP_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	add $16, %rsp
.endm

/* clang-format on */
#endif
#endif
