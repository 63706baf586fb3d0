/* proc.c - the process: exit, faults turned into signals, and per-process registers. */
#include "linux/proc.h"

#include <asm/prctl.h>
#include <asm/signal.h>

#include "arch.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/mm.h"
#include "linux/syscall.h"

static struct proc init_proc;
struct proc *current = &init_proc;

static const char *const signal_names[32] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",	[SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",	[SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",	[SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",	[SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",	[SIGTERM] = "SIGTERM",
	[SIGSYS] = "SIGSYS",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig < 32 && signal_names[sig])
		return signal_names[sig];
	return "signal";
}

_Noreturn void proc_exit(int status, int sig)
{
	if (current->files)
		fs_proc_exit(current);
	kernel_exit(sig ? 128 + sig : status & 0xff);
}

/* The signal Linux sends for each CPU exception raised in user mode. */
static int exception_signal(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19:	/* #DE, #MF, #XM */
		return SIGFPE;
	case 1: case 3:			/* #DB, #BP */
		return SIGTRAP;
	case 6:				/* #UD */
		return SIGILL;
	case 17:			/* #AC */
		return SIGBUS;
	default:			/* #GP, #SS, #PF, #OF, #BR, ... */
		return SIGSEGV;
	}
}

extern char syscall_entry[];

/*
 * Some nested KVM set-ups (seen on an AMD host) deliver SYSCALL without
 * switching to ring 0: rip becomes LSTAR, rcx and r11 are saved, and the
 * fetch of the kernel entry faults in ring 3. The registers are exactly a
 * syscall's, so run it from here; trap_common returns with IRETQ. Without
 * the quirk this never triggers (user code cannot reach that address).
 */
static bool syscall_misdelivered(struct trap_frame *f, uint64_t cr2)
{
	static bool reported;

	if (f->vector != 14 || f->rip != (uint64_t)syscall_entry ||
	    cr2 != f->rip || !(f->error & PF_ERR_FETCH))
		return false;
	if (!reported) {
		/* The same hypervisors fail on STAC/CLAC: do without SMAP. */
		printk("kiln: hypervisor delivered SYSCALL in ring 3; emulating "
		       "it, SMAP off\n");
		arch_smap_disable();
		reported = true;
	}
	f->rip = f->rcx;
	f->rflags = (f->r11 & ~0x10000UL) | 0x200; /* no RF; IF on */
	syscall_dispatch(f);
	return true;
}

/*
 * An exception in the application. Page faults inside an area are demand
 * paging; everything else kills the process with the matching signal
 * (handlers arrive with the signals work), reported on the kernel log in
 * the form `kiln run` turns into its one stderr line.
 */
static void user_trap(struct trap_frame *f, uint64_t cr2)
{
	int sig = exception_signal(f->vector);

	if (syscall_misdelivered(f, cr2))
		return;
	if (f->vector == 14) {
		int err = mm_fault(current->mm, cr2, f->error);

		if (err == 0)
			return;
		if (err == -ENOMEM) {
			printk("kiln: out of memory at address 0x%lx (%lu pages "
			       "free, %lu resident, %lu committed)\n", cr2,
			       page_free_count(), current->mm->resident,
			       current->mm->committed);
			sig = SIGKILL;
		}
	}
	printk("kiln: user exception: vector %lu, error 0x%lx, cs 0x%lx, rsp 0x%lx\n",
	       f->vector, f->error, f->cs, f->rsp);
	printk("kiln: killed by signal %d (%s) at rip 0x%lx, address 0x%lx\n",
	       sig, signal_name(sig), f->rip, f->vector == 14 ? cr2 : 0);
	proc_exit(0, sig);
}

static int fault_in(uint64_t addr, uint64_t err)
{
	return mm_fault(current->mm, addr, err);
}

void proc_traps_init(void)
{
	trap_set_user_handler(user_trap);
	trap_set_fault_in(fault_in);
}

long sys_exit(int status)
{
	proc_exit(status, 0); /* one thread: exit ends the process */
}
SYSCALL1(exit);

long sys_exit_group(int status)
{
	proc_exit(status, 0);
}
SYSCALL1(exit_group);

long sys_arch_prctl(int code, uintptr_t addr)
{
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= USER_TOP)
			return -EPERM;
		current->fs_base = addr;
		arch_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS:
		v = current->fs_base;
		return copy_to_user(addr, &v, sizeof(v));
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -EINVAL; /* the kernel keeps GS; nothing uses it yet */
	default:
		return -EINVAL;
	}
}
SYSCALL2(arch_prctl);

long sys_set_tid_address(uintptr_t tidptr)
{
	current->clear_child_tid = tidptr;
	return current->pid; /* the caller's tid */
}
SYSCALL1(set_tid_address);

long sys_set_robust_list(uintptr_t head, size_t len)
{
	if (len != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	current->robust_list = head;
	return 0;
}
SYSCALL2(set_robust_list);

long sys_get_robust_list(int pid, uintptr_t head_ptr, uintptr_t len_ptr)
{
	uint64_t len = 24, head = current->robust_list;

	if (pid != 0 && pid != current->pid)
		return -ESRCH;
	if (copy_to_user(head_ptr, &head, sizeof(head)) ||
	    copy_to_user(len_ptr, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
SYSCALL3(get_robust_list);
