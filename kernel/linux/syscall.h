/* syscall.h - how a Linux syscall is written, registered and found. */
#ifndef KILN_LINUX_SYSCALL_H
#define KILN_LINUX_SYSCALL_H

#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm/unistd_64.h>

#include "arch.h"

/*
 * A syscall is a plain C function named sys_<linux name>, so that
 * `grep -rn sys_openat kernel/` finds it, taking integer parameters
 * (user pointers are uintptr_t: they may only be read or written through
 * core/uaccess.h) and returning the result or -ERRNO exactly as Linux:
 *
 *     long sys_getcwd(uintptr_t buf, size_t size)
 *     {
 *             ...
 *     }
 *     SYSCALL2(getcwd);
 *
 * SYSCALLn(name) registers it under __NR_<name> from the Linux UAPI
 * header. The registration lands in the .syscalls section; syscall_init
 * builds the dispatch table from it at boot, so no central list exists and
 * two files registering the same number is caught at boot (panic).
 * Every number without a registration returns -ENOSYS and is named once on
 * the kernel log.
 *
 * The wrapper reads the arguments straight from the saved registers
 * (rdi, rsi, rdx, r10, r8, r9: the x86-64 syscall convention), so the
 * dispatcher copies nothing on the way in.
 */
typedef long (*syscall_fn)(const struct trap_frame *f);

struct syscall_entry {
	uint32_t nr;
	syscall_fn fn;
};

#define SYSCALL_WRAP(name, call)                                            \
	static long syscall_wrap_##name(const struct trap_frame *f)         \
	{                                                                   \
		(void)f;                                                    \
		return call;                                                \
	}                                                                   \
	static const struct syscall_entry syscall_entry_##name              \
		__attribute__((used, section(".syscalls"), aligned(8))) = { \
			__NR_##name, syscall_wrap_##name                    \
		}

#define SYSCALL0(name) SYSCALL_WRAP(name, sys_##name())
#define SYSCALL1(name) SYSCALL_WRAP(name, sys_##name(f->rdi))
#define SYSCALL2(name) SYSCALL_WRAP(name, sys_##name(f->rdi, f->rsi))
#define SYSCALL3(name) SYSCALL_WRAP(name, sys_##name(f->rdi, f->rsi, f->rdx))
#define SYSCALL4(name) \
	SYSCALL_WRAP(name, sys_##name(f->rdi, f->rsi, f->rdx, f->r10))
#define SYSCALL5(name) \
	SYSCALL_WRAP(name, sys_##name(f->rdi, f->rsi, f->rdx, f->r10, f->r8))
#define SYSCALL6(name)     \
	SYSCALL_WRAP(name, \
		     sys_##name(f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9))

/* Build the dispatch table (boot, before the first user instruction). */
void syscall_init(void);

/* Run the syscall in f->rax with f's argument registers; result in f->rax. */
void syscall_dispatch(struct trap_frame *f);

/*
 * Preemption, writeback, exit, stops and signals before a return to user
 * mode; syscall_dispatch and linux_trap_return call it whenever one of
 * those may have work (syscall.c: return_work).
 */
void linux_return_to_user(struct trap_frame *f);

/*
 * The return hook of interrupts and exceptions from user mode: calls
 * linux_return_to_user when it may have work (as syscall_dispatch does).
 */
void linux_trap_return(struct trap_frame *f);

/* Name of syscall nr ("openat"), or NULL when the number is unknown. */
const char *syscall_name(uint64_t nr);

#endif
