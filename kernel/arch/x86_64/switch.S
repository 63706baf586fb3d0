/* switch.S - switch kernel stacks between threads, and a new thread's first step. */

/*
 * arch_switch(uint64_t *save_rsp, uint64_t new_rsp): save the callee-saved
 * registers on the current stack, store rsp in *save_rsp, load new_rsp and
 * pop the next thread's registers: it returns from its own arch_switch call
 * (or, the first time, into thread_first_run).
 */
	.text
	.globl arch_switch
arch_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * A new thread's stack holds, from its saved rsp up: six zero registers,
 * the address of thread_first_run, then its struct trap_frame. After the
 * pops and ret, rsp points at the frame: go to user mode through it.
 */
	.globl thread_first_run
thread_first_run:
	call sched_thread_started
	jmp return_to_user
