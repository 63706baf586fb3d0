/* sys_fork.c - new processes: fork, vfork, and clone/clone3 without CLONE_THREAD. */
#include <asm-generic/errno.h>
#include <linux/sched.h>

#include "core/printk.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/procfs_pid.h"
#include "linux/syscall.h"
#include "linux/thread.h"

/*
 * What a new process may ask for: its own copy of the address space, or
 * the parent's shared (CLONE_VM, with CLONE_VFORK what posix_spawn in
 * glibc and musl uses), the tid words and TLS, and the signal the parent
 * gets at its exit (the low byte). Sharing files, cwd or signal handlers
 * between processes, namespaces, pidfds and the rest are refused.
 */
#define FORK_MAY                                                           \
	(CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS |                 \
	 CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | \
	 CLONE_DETACHED)

/*
 * Linux's RLIMIT_NPROC check (copy_process): processes of the real uid,
 * zombies included, against the soft limit; root is exempt.
 */
static bool nproc_exceeded(void)
{
	uint64_t max = current->rlim[RLIMIT_NPROC].rlim_cur;

	if (current->cred.uid == 0)
		return false;
	return (uint64_t)proc_count_uid(current->cred.uid) >= max;
}

/* The parts of struct proc that fork copies as they are. */
static void copy_ids(struct proc *c, const struct proc *p)
{
	c->cred = p->cred;
	memcpy(c->rlim, p->rlim, sizeof(c->rlim));
	memcpy(c->sigactions, p->sigactions, sizeof(c->sigactions));
	c->pgid = p->pgid;
	c->sid = p->sid;
	c->nice = p->nice;
	c->undumpable = p->undumpable;
	/* The forking thread's name, not p's (Linux: dup_task_struct) */
	memcpy(c->comm, thread_comm(current_thread), sizeof(c->comm));
	memcpy(c->exe, p->exe, sizeof(c->exe));
	c->trace = p->trace;
	c->start_ns = time_ns();
}

/* The child's address space: the parent's shared, or a COW copy. */
static int child_mm(struct proc *c, uint64_t flags)
{
	struct mm *mm = current->mm;

	if (flags & CLONE_VM) {
		mm->users++;
	} else {
		mm = mm_fork(mm);
		if (!mm)
			return -ENOMEM;
	}
	c->mm = mm;
	c->as = mm->as;
	return 0;
}

/* The child's one thread: the caller's registers, clone returning 0. */
static struct thread *child_thread(struct proc *c, const struct clone_req *r)
{
	struct trap_frame frame = *thread_frame(current_thread);
	struct thread *t;

	frame.rax = 0;
	if (r->stack)
		frame.rsp = r->stack;
	t = thread_create(c, &frame);
	if (!t)
		return NULL;
	t->altstack_sp = current_thread->altstack_sp;
	t->altstack_size = current_thread->altstack_size;
	t->altstack_flags = current_thread->altstack_flags;
	if (r->flags & CLONE_SETTLS)
		t->fs_base = r->tls;
	if (r->flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = r->child_tid;
	if (r->flags & CLONE_CHILD_SETTID)
		t->set_child_tid = r->child_tid;
	return t;
}

static int check_flags(const struct clone_req *r)
{
	uint64_t bad = r->flags & ~(uint64_t)FORK_MAY;

	if (bad) {
		printk("kiln: clone flags 0x%lx: 0x%lx not supported for a new "
		       "process: -EINVAL\n",
		       r->flags, bad);
		return -EINVAL;
	}
	if ((r->flags & CLONE_SETTLS) && r->tls >= USER_TOP)
		return -EPERM;
	return 0;
}

/* The parent sleeps until the child execs or exits (Linux: killable). */
static void vfork_wait(struct proc *c)
{
	struct thread *t = current_thread;

	c->vfork_parent = t;
	t->vfork_waiting = true;
	while (t->vfork_waiting)
		sched_sleep(0, false);
}

long proc_fork(const struct clone_req *r)
{
	struct proc *c;
	struct thread *t;
	uint32_t pid;
	int err = check_flags(r);

	if (err)
		return err;
	if (nproc_exceeded())
		return -EAGAIN;
	c = proc_alloc(current);
	if (!c)
		return -ENOMEM;
	copy_ids(c, current);
	c->exit_signal = (int)(r->flags & CSIGNAL);
	err = child_mm(c, r->flags);
	if (err)
		goto err_proc;
	err = fs_proc_fork(c, current);
	if (err)
		goto err_files;
	t = child_thread(c, r);
	if (!t) {
		err = -ENOMEM;
		goto err_files;
	}
	c->pid = t->tid;
	pid = (uint32_t)c->pid;
	if (procfs_pid_add(c->pid) < 0) /* the process runs without it */
		printk("kiln: no /proc/%d: out of memory\n", c->pid);
	/* In the parent's memory; a fault is ignored, as Linux does. */
	if (r->flags & CLONE_PARENT_SETTID)
		(void)copy_to_user(r->parent_tid, &pid, sizeof(pid));
	if (r->flags & CLONE_VFORK)
		vfork_wait(c);
	return pid;

err_files:
	fs_proc_exit(c);
	if (c->cwd)
		vnode_put(c->cwd);
	c->cwd = NULL;
	mm_put(c->mm);
err_proc:
	proc_free(c);
	return err;
}

long sys_fork(void)
{
	return proc_fork(&(struct clone_req){ .flags = SIGCHLD });
}
SYSCALL0(fork);

long sys_vfork(void)
{
	return proc_fork(&(struct clone_req){ .flags = CLONE_VM | CLONE_VFORK |
						       SIGCHLD });
}
SYSCALL0(vfork);
