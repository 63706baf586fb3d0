/* syscall.c - the syscall dispatcher: table built from .syscalls, -ENOSYS for the rest. */
#include "linux/syscall.h"

#include "arch.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/sched.h"
#include "fs/ext4_jbd2.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/sigdeliver.h"
#include "linux/signals.h"
#include "linux/trace.h"

#define SYSCALL_MAX 512

#include "syscall_names.h"

static syscall_fn table[SYSCALL_MAX];
static uint8_t reported[SYSCALL_MAX / 8];

extern const struct syscall_entry __syscalls_start[], __syscalls_end[];

void syscall_init(void)
{
	for (const struct syscall_entry *e = __syscalls_start;
	     e < __syscalls_end; e++) {
		if (syscall_name(e->nr) == NULL)
			panic("syscall %u registered but unknown to Linux",
			      e->nr);
		if (table[e->nr])
			panic("syscall %s registered twice",
			      syscall_name(e->nr));
		table[e->nr] = e->fn;
	}
}

const char *syscall_name(uint64_t nr)
{
	if (nr >= SYSCALL_MAX || syscall_name_at[nr] == 0)
		return NULL;
	return syscall_name_text + syscall_name_at[nr] - 1;
}

/* Unimplemented: -ENOSYS, and the kernel log names it the first time. */
static long enosys(uint64_t nr)
{
	if (nr < SYSCALL_MAX && !(reported[nr / 8] & (1 << (nr % 8)))) {
		reported[nr / 8] |= (uint8_t)(1 << (nr % 8));
		printk("kiln: unimplemented syscall %s (%lu): -ENOSYS\n",
		       syscall_name(nr) ? syscall_name(nr) : "?", nr);
	} else if (nr >= SYSCALL_MAX) {
		printk("kiln: unknown syscall number %lu: -ENOSYS\n", nr);
	}
	return -ENOSYS;
}

/* The slow way through: a traced process, or a number with no entry. */
static long dispatch_slow(struct trap_frame *f, uint64_t nr)
{
	const uint64_t args[6] = {
		f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9
	};
	syscall_fn fn = nr < SYSCALL_MAX ? table[nr] : NULL;
	long ret;

	if (current->trace)
		trace_syscall_enter(nr, args);
	ret = fn ? fn(f) : enosys(nr);
	if (current->trace)
		trace_syscall_exit(nr, args, ret);
	return ret;
}

/*
 * True when linux_return_to_user may have something to do after a call
 * that returned ret: a superset of every test it and its callees make
 * (a due timer or a reschedule, a store or a journal to write back, the
 * process ending or stopped, an unblocked signal pending, a mask to
 * restore, a result in -ERESTART_RESTARTBLOCK..-ERESTARTSYS to settle).
 * Under TCG every call and return of that path cost a translation-block
 * lookup (bench/syscalls.py, getpid), so the common case is one test of
 * these ORs, without branches, and no call at all: always inlined (with
 * two callers GCC made it a call).
 */
static inline __attribute__((always_inline)) bool return_work(long ret)
{
	const struct thread *t = current_thread;
	const struct proc *p = current;

	return sched_preempt_pending() | mm_writeback_pending() |
	       ext4_jbd2_pending() | p->group_exit | p->stopped |
	       t->sigmask_restore |
	       (((t->sigpending | p->sigpending) & ~t->sigmask) != 0) |
	       ((unsigned long)ret - (unsigned long)-ERESTART_RESTARTBLOCK <=
		ERESTART_RESTARTBLOCK - ERESTARTSYS);
}

/* Called by syscall_entry.S with the user's registers; result in rax. */
void syscall_dispatch(struct trap_frame *f)
{
	uint64_t nr = f->rax;
	syscall_fn fn = nr < SYSCALL_MAX ? table[nr] : NULL;
	long ret;

	if (fn && !current->trace)
		ret = fn(f);
	else
		ret = dispatch_slow(f, nr);
	f->rax = (uint64_t)ret;
	current_thread->syscall_nr = nr;
	if (return_work(ret))
		linux_return_to_user(f);
}

/* The trap return hook: as after a system call, work only when there is some. */
void linux_trap_return(struct trap_frame *f)
{
	/* not a syscall frame: no restart, but f->rax makes a superset */
	if (return_work((long)f->rax))
		linux_return_to_user(f);
}

/* Last stop before user mode: let another thread run, deliver signals. */
void linux_return_to_user(struct trap_frame *f)
{
	sched_preempt_point();
	mm_writeback_aged();	 /* stores through shared maps, each 5 s */
	ext4_jbd2_commit_aged(); /* the journal's 5 s commit */
	if (current->group_exit) /* another thread is ending the process */
		proc_exit_thread();
	signal_return_to_user(f);
}
