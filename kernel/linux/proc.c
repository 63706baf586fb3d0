/* proc.c - the process: exit, faults turned into signals, and per-process registers. */
#include "linux/proc.h"

#include <asm/prctl.h>
#include <asm-generic/siginfo.h>
#include <asm/signal.h>

#include <kiln/exit.h>

#include "arch.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/blkdev.h"
#include "fs/ext4_jbd2.h"
#include "fs/vfs.h"
#include "linux/ipc.h"
#include "linux/sys_futex.h"
#include "linux/jobctl.h"
#include "linux/thread.h"
#include "linux/mm.h"
#include "linux/procfs_pid.h"
#include "linux/sigdeliver.h"
#include "linux/signals.h"
#include "linux/sysproc.h"
#include "linux/syscall.h"
#include "net/net_boot.h"

static const char *const signal_names[32] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSYS] = "SIGSYS",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig < 32 && signal_names[sig])
		return signal_names[sig];
	return "signal";
}

static void log_killed(struct proc *p, void *ctx)
{
	(void)ctx;
	if (p != current && p->state == PROC_LIVE)
		printk("kiln: killing pid %d (%s)\n", p->pid, proc_comm(p));
}

/* pid 1 ended: the VM ends with it, the others named on the log. */
static _Noreturn void init_exit(int status, int sig)
{
	proc_for_each(log_killed, NULL);
	mm_writeback_all(); /* every process's stores through shared maps */
	if (current->files)
		fs_proc_exit(current);
	ext4_jbd2_close_all();	/* file systems left clean: journals empty */
	blkdev_sync_all(false); /* write-back caches reach the disks */
	net_flush();
	kernel_exit(sig ? KILN_EXIT_SIGNAL + sig : status & 0xff);
}

_Noreturn void proc_exit_thread(void)
{
	thread_release(current_thread);
	thread_exit(0);
}

/* Every other thread of p ends (at its next return to user mode). */
static void kill_thread(struct thread *t, void *ctx)
{
	if (t->proc == ctx && t != current_thread) {
		t->sigpending |= 1UL << (SIGKILL - 1); /* ends any sleep */
		sched_wakeup(t);
	}
}

void proc_end_other_threads(struct proc *p)
{
	thread_for_each(kill_thread, p);
	p->exit_waiter = current_thread;
	while (p->nthreads > 1)
		sched_sleep(0, false);
	p->exit_waiter = NULL;
}

void proc_vfork_done(struct proc *p)
{
	struct thread *t = p->vfork_parent;

	if (!t)
		return;
	p->vfork_parent = NULL;
	t->vfork_waiting = false;
	sched_wakeup(t);
}

/* True when p's children are reaped as they die (SIG_IGN, SA_NOCLDWAIT). */
static bool reaps_at_once(const struct proc *p)
{
	const struct sigaction *sa = &p->sigactions[SIGCHLD - 1];

	return sa->sa_handler == SIG_IGN || (sa->sa_flags & SA_NOCLDWAIT);
}

/*
 * Orphans go to pid 1 (Linux's child reaper), zombies included: those
 * are reaped at once if pid 1 would not wait for them, else its waits
 * are woken.
 */
static void reparent_children(struct proc *p)
{
	struct proc *init = proc_find(1);

	while (p->children) {
		struct proc *c = p->children;

		proc_set_parent(c, init);
		c->adopted = true;
		jobctl_adopted(p, c);
		if (c->state != PROC_ZOMBIE || !init)
			continue;
		if (c->exit_signal == SIGCHLD && reaps_at_once(init))
			proc_reap(c);
		else
			wake_up(&init->child_wait);
	}
}

/*
 * Tell the parent (Linux's do_notify_parent): its exit signal with
 * CLD_EXITED/CLD_KILLED, unless SIGCHLD is ignored. True when the child
 * is to be reaped at once (SIGCHLD ignored, or SA_NOCLDWAIT).
 */
static bool notify_parent(struct proc *p, int status, int sig)
{
	struct proc *parent = p->parent;
	bool autoreap = false;
	int esig = p->exit_signal;

	if (!parent)
		return true;
	if (esig == SIGCHLD && reaps_at_once(parent)) {
		autoreap = true;
		if (parent->sigactions[SIGCHLD - 1].sa_handler == SIG_IGN)
			esig = 0;
	}
	if (esig)
		signal_send_info(parent, NULL,
				 &(struct signal_info){
					 .signo = esig,
					 .code = sig ? CLD_KILLED : CLD_EXITED,
					 .pid = p->pid,
					 .uid = p->cred.uid,
					 .status = sig ? sig : status & 0xff });
	wake_up(&parent->child_wait);
	return autoreap;
}

void proc_reap(struct proc *p)
{
	procfs_pid_remove(p->pid);
	proc_free(p);
}

_Noreturn void proc_exit(int status, int sig)
{
	struct proc *p = current;

	if (p->group_exit)
		proc_exit_thread(); /* another thread is ending it already */
	p->group_exit = true;
	if (p->pid == 1) {
		/* The VM ends: sockets do not linger (socket(7)), and disk
		 * waits halt rather than sleep. Other processes exit as on
		 * Linux: closing their files may sleep. */
		p->exiting = true;
		ipc_sem_exit(p);
		init_exit(status, sig);
	}
	p->stopped = false; /* SIGKILL ends a stopped process */
	p->wait_report = 0;
	proc_end_other_threads(p);
	ipc_sem_exit(p); /* SEM_UNDO, once no thread can add to it */
	jobctl_exit(p);
	/* stores through shared maps reach the files (errors: logged) */
	if (p->mm)
		mm_writeback_range(p->mm, 0, USER_TOP, 0);
	if (p->files)
		fs_proc_exit(p);
	thread_release(current_thread);
	proc_vfork_done(p);
	itimer_proc_exit(p);
	posix_timer_proc_exit(p);
	proc_set_mm(p, NULL);
	reparent_children(p);
	/* Linux's wait status: no core file is ever written, so no 0x80. */
	p->exit_status = sig ? (sig & 0x7f) : (status & 0xff) << 8;
	p->state = PROC_ZOMBIE;
	pidfd_proc_exited();
	if (notify_parent(p, status, sig))
		proc_reap(p);
	thread_exit(0);
}

/*
 * The signal Linux sends for each CPU exception raised in user mode, with
 * its si_code and si_addr (arch/x86/kernel/traps.c).
 */
static int exception_signal(const struct trap_frame *f, uint64_t cr2, int *code,
			    uint64_t *addr)
{
	*addr = f->rip;
	switch (f->vector) {
	case 0: /* #DE */
		return *code = FPE_INTDIV, SIGFPE;
	case 16:
	case 19: /* #MF, #XM */
		return *code = FPE_FLTINV, SIGFPE;
	case 1: /* #DB */
		return *code = TRAP_TRACE, SIGTRAP;
	case 6: /* #UD */
		return *code = ILL_ILLOPN, SIGILL;
	case 17: /* #AC */
		return *code = BUS_ADRALN, SIGBUS;
	case 14: /* #PF */
		*addr = cr2;
		*code = (f->error & PF_ERR_PRESENT) ? SEGV_ACCERR : SEGV_MAPERR;
		return SIGSEGV;
	default: /* #BP, #GP, #SS, #OF, #BR, ... */
		*addr = 0;
		*code = SI_KERNEL;
		return f->vector == 3 ? SIGTRAP : SIGSEGV;
	}
}

extern char syscall_entry[];

/*
 * Some nested KVM set-ups (seen on an AMD host) deliver SYSCALL without
 * switching to ring 0: rip becomes LSTAR, rcx and r11 are saved, and the
 * fetch of the kernel entry faults in ring 3. The registers are exactly a
 * syscall's, so run it from here; trap_common returns with IRETQ.
 *
 * User code can make the same fault by jumping to syscall_entry, with any
 * rcx and r11 it likes. So the fault is taken for a SYSCALL only on CPUs
 * found at boot to fault on STAC, as those hosts do (arch_stac_broken);
 * elsewhere it is SIGSEGV, as on Linux. Even there, rcx must be a user
 * address and r11 gives only the flags ring 3 could set itself.
 */
static bool syscall_misdelivered(struct trap_frame *f, uint64_t cr2)
{
	static bool reported;

	if (f->vector != 14 || f->rip != (uint64_t)syscall_entry ||
	    cr2 != f->rip || !(f->error & PF_ERR_FETCH))
		return false;
	if (!arch_stac_broken() || f->rcx >= USER_TOP) {
		if (!reported) /* a hint, should a new kind of host do this */
			printk("kiln: user code jumped to the SYSCALL entry: "
			       "SIGSEGV\n");
		reported = true;
		return false;
	}
	f->rip = f->rcx;
	f->rflags = arch_user_rflags(f->r11 & ~0x10000UL); /* no RF */
	f->vector = TRAP_SYSCALL; /* for the signal code: restarts */
	syscall_dispatch(f);
	return true;
}

/*
 * An exception in the application. Page faults inside an area are demand
 * paging; everything else becomes the matching signal: its handler runs,
 * or the process dies with the log lines `kiln run` reports.
 */
static void user_trap(struct trap_frame *f, uint64_t cr2)
{
	uint64_t addr;
	int code, sig = exception_signal(f, cr2, &code, &addr);

	if (syscall_misdelivered(f, cr2))
		return;
	if (f->vector == 14) {
		int err;

		mm_reclaim_point();
		err = mm_fault(current->mm, cr2, f->error);

		if (err == 0)
			return;
		if (err == -EIO) { /* past the end of a mapped file */
			sig = SIGBUS;
			code = BUS_ADRERR;
		}
		if (err == -ENOMEM) {
			printk("kiln: out of memory at address 0x%lx (%lu pages "
			       "free, %lu resident, %lu committed)\n",
			       cr2, page_free_count(), current->mm->resident,
			       current->mm->committed);
			sig = SIGKILL;
		}
	}
	signal_fault(f, sig, code, addr);
}

static int fault_in(uint64_t addr, uint64_t err)
{
	return mm_fault(current->mm, addr, err);
}

void proc_traps_init(void)
{
	trap_set_user_handler(user_trap);
	trap_set_fault_in(fault_in);
	trap_set_return_hook(linux_trap_return);
}

/* exit ends the calling thread; the last thread's exit ends the process. */
long sys_exit(int status)
{
	if (sched_thread_count() == 1 && !current->group_exit)
		proc_exit(status, 0);
	thread_release(current_thread);
	thread_exit(status);
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
		arch_set_fs_base(addr); /* the scheduler saves it per thread */
		return 0;
	case ARCH_GET_FS:
		v = arch_get_fs_base();
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
	current_thread->clear_child_tid = tidptr;
	return current_thread->tid;
}
SYSCALL1(set_tid_address);

long sys_set_robust_list(uintptr_t head, size_t len)
{
	if (len != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	current_thread->robust_list = head;
	return 0;
}
SYSCALL2(set_robust_list);

long sys_get_robust_list(int pid, uintptr_t head_ptr, uintptr_t len_ptr)
{
	struct thread *t = pid == 0 ? current_thread : thread_find(pid);
	uint64_t len = 24, head;

	if (!t)
		return -ESRCH;
	head = t->robust_list;
	if (copy_to_user(head_ptr, &head, sizeof(head)) ||
	    copy_to_user(len_ptr, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
SYSCALL3(get_robust_list);
