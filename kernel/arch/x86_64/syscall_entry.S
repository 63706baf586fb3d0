/* syscall_entry.S - the SYSCALL entry, the first entry to user mode, and fault-safe user copies. */

#include "arch/x86_64/frame.h"
#include "arch/x86_64/layout.h"

/*
 * SYSCALL (Intel SDM vol. 2, SYSCALL): rcx = user rip, r11 = user rflags,
 * rsp still the user's, interrupts off (FMASK clears IF, TF, DF, IOPL, NT,
 * AC).
 * Kiln has one CPU and no swapgs: the kernel stack pointer and the user rsp
 * scratch slot are plain globals. The frame built here has the layout of
 * struct trap_frame (arch.h) with vector 0x100, so C sees one frame type.
 */
	/* first in .text, at addresses no other file moves (kernel.ld) */
	.section .text.syscall_hot, "ax", @progbits
	.globl syscall_entry
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	mov kernel_stack_top(%rip), %rsp
	pushq $(SEL_UDATA | 3)		/* ss */
	pushq syscall_user_rsp(%rip)	/* rsp */
	pushq %r11			/* rflags */
	pushq $(SEL_UCODE | 3)		/* cs */
	pushq %rcx			/* rip */
	pushq $0			/* error */
	pushq $0x100			/* vector: a syscall */
	PUSH_REGS
	xor %ebp, %ebp			/* backtraces stop here */
	mov %rsp, %rdi
	call syscall_dispatch
	.globl return_to_user
return_to_user:				/* also the first entry: rsp = frame */
	/* No frame takes ring 3 to IOPL 3 or IF off (layout.h). */
	andq $RFLAGS_USER_MASK, 152(%rsp)
	orq $RFLAGS_USER_FIXED, 152(%rsp)
	/*
	 * SYSRET to a non-canonical rip would fault in ring 0 on the user
	 * stack; such frames (and any not bound for 64-bit user code) leave
	 * by IRETQ. 136 and 144 are the offsets of rip and cs in the frame.
	 */
	mov 136(%rsp), %r11
	shr $47, %r11
	jnz 1f
	cmpq $(SEL_UCODE | 3), 144(%rsp)
	jne 1f
	/*
	 * SYSRET loads rcx and r11 with rip and rflags: a frame whose rcx or
	 * r11 differ (rt_sigreturn to interrupted code) needs IRETQ to keep
	 * them. 96 and 32 are the offsets of rcx and r11, 152 of rflags.
	 */
	mov 96(%rsp), %r11
	cmp 136(%rsp), %r11
	jne 1f
	mov 32(%rsp), %r11
	cmp 152(%rsp), %r11
	jne 1f
	POP_REGS
	mov (%rsp), %rcx		/* rip */
	mov 16(%rsp), %r11		/* rflags */
	mov 24(%rsp), %rsp		/* user rsp */
	sysretq
1:	POP_REGS
	iretq

/* enter_user(frame): start user mode from a prepared struct trap_frame. */
	.globl enter_user
enter_user:
	mov %rdi, %rsp
	jmp return_to_user

	.text
/*
 * Copies that may fault on an application address. A fault with rip inside
 * [uaccess_start, uaccess_end) resumes at uaccess_fault, which returns
 * -EFAULT from whichever of these was running (none of them uses the
 * stack). The caller lifts SMAP around them.
 */
	.globl uaccess_start, uaccess_end, uaccess_fault
	.globl arch_copy_user, arch_clear_user, arch_strnlen_user
uaccess_start:
/*
 * long arch_copy_user(void *dst, const void *src, size_t n): 0 or -EFAULT
 * Eight bytes a step, then the tail: TCG runs a rep string instruction one
 * element per step, so movsb made a 64 KiB pipe write cost 8 times the
 * steps (bench/procs.py, stream). Unaligned words are fine on x86.
 */
arch_copy_user:
	mov %rdx, %rcx
	shr $3, %rcx
	rep movsq
	mov %edx, %ecx
	and $7, %ecx
	rep movsb
	xor %eax, %eax
	ret

/* long arch_clear_user(void *dst, size_t n): 0 or -EFAULT (as above) */
arch_clear_user:
	mov %rsi, %rcx
	shr $3, %rcx
	xor %eax, %eax
	rep stosq
	mov %esi, %ecx
	and $7, %ecx
	rep stosb
	ret

/* long arch_strnlen_user(const char *s, size_t max): length, max, or -EFAULT */
arch_strnlen_user:
	xor %eax, %eax
2:	cmp %rsi, %rax
	je 3f
	cmpb $0, (%rdi, %rax)
	je 3f
	inc %rax
	jmp 2b
3:	ret
uaccess_end:

uaccess_fault:
	mov $-14, %rax			/* -EFAULT */
	ret

/* int stac_probe(void): 1 when STAC and CLAC run; 0 (stac_probe_fault) if not. */
	.globl stac_probe, stac_probe_end, stac_probe_fault
stac_probe:
	stac
	clac
	mov $1, %eax
	ret
stac_probe_end:
stac_probe_fault:
	xor %eax, %eax
	ret
