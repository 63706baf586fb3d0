/* sys_thread.c - threads the Linux way: clone, clone3, and what a thread leaves at exit. */
#include "linux/thread.h"

#include <asm-generic/errno.h>
#include <linux/futex.h>
#include <linux/sched.h>

#include "core/printk.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_futex.h"
#include "linux/syscall.h"

/*
 * What a thread of this process must share (pthread_create in musl and
 * glibc, Go's runtime: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM plus the
 * TID and TLS flags). Without CLONE_THREAD the child is a new process
 * (linux/sys_fork.c).
 */
#define THREAD_NEEDS (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define THREAD_MAY                                                   \
	(THREAD_NEEDS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM |     \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
	 CLONE_CHILD_SETTID | CLONE_DETACHED)

static long do_clone(const struct clone_req *r)
{
	struct trap_frame frame = *thread_frame(current_thread);
	struct thread *t;
	uint32_t tid;

	if (!(r->flags & CLONE_THREAD))
		return proc_fork(r);
	if ((r->flags & THREAD_NEEDS) != THREAD_NEEDS ||
	    (r->flags & ~THREAD_MAY)) {
		printk("kiln: clone flags 0x%lx: a thread needs CLONE_VM and "
		       "CLONE_SIGHAND, and takes only 0x%x: -EINVAL\n",
		       r->flags, THREAD_MAY);
		return -EINVAL;
	}
	if ((r->flags & CLONE_SETTLS) && r->tls >= USER_TOP)
		return -EPERM;
	frame.rax = 0; /* the child sees clone return 0 */
	if (r->stack)
		frame.rsp = r->stack;
	t = thread_create(current, &frame);
	if (!t)
		return -ENOMEM;
	memcpy(t->comm, thread_comm(current_thread), sizeof(t->comm));
	if (r->flags & CLONE_SETTLS)
		t->fs_base = r->tls;
	if (r->flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = r->child_tid;
	tid = (uint32_t)t->tid;
	/*
	 * One address space: parent and child tid words are the same memory.
	 * The thread exists and will run, so, as Linux (kernel_clone,
	 * schedule_tail), a fault on either word is ignored: an error here
	 * would tell the caller no thread was made.
	 */
	if (r->flags & CLONE_PARENT_SETTID)
		(void)copy_to_user(r->parent_tid, &tid, sizeof(tid));
	if (r->flags & CLONE_CHILD_SETTID)
		(void)copy_to_user(r->child_tid, &tid, sizeof(tid));
	return tid;
}

/* x86_64 argument order: flags, stack, parent_tid, child_tid, tls. */
long sys_clone(uint64_t flags, uintptr_t stack, uintptr_t parent_tid,
	       uintptr_t child_tid, uint64_t tls)
{
	return do_clone(&(struct clone_req){ flags, stack, tls, parent_tid,
					     child_tid });
}
SYSCALL5(clone);

long sys_clone3(uintptr_t uargs, size_t size)
{
	struct clone_args a = { 0 };

	if (size < CLONE_ARGS_SIZE_VER0 || size > 4096)
		return -EINVAL;
	if (copy_from_user(&a, uargs, size < sizeof(a) ? size : sizeof(a)))
		return -EFAULT;
	/* clone3 keeps the exit signal apart from the flags (CSIGNAL: 0) */
	if (a.set_tid || a.cgroup || (a.flags & CSIGNAL) ||
	    a.exit_signal > 64 || (a.stack && !a.stack_size))
		return -EINVAL;
	return do_clone(&(struct clone_req){
		a.flags | a.exit_signal, a.stack ? a.stack + a.stack_size : 0,
		a.tls, a.parent_tid, a.child_tid });
}
SYSCALL2(clone3);

/* Linux's robust-list walk (kernel/futex/core.c semantics, our code). */
struct robust_head {
	uint64_t next;	      /* list of held locks, circular back to head */
	int64_t futex_offset; /* from a list entry to its futex word */
	uint64_t pending;     /* lock being taken or released */
};

static void release_robust_futex(uintptr_t uaddr, int tid)
{
	uint32_t v, nv;

	if (copy_from_user(&v, uaddr, sizeof(v)) ||
	    (v & FUTEX_TID_MASK) != (uint32_t)tid)
		return;
	nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (copy_to_user(uaddr, &nv, sizeof(nv)) == 0 && (v & FUTEX_WAITERS))
		futex_wake(uaddr, 1, FUTEX_BITSET_MATCH_ANY);
}

static void release_robust_list(struct thread *t)
{
	struct robust_head h;
	uint64_t entry;
	int limit = 2048; /* ROBUST_LIST_LIMIT: a cycle can't hang us */

	if (!t->robust_list || copy_from_user(&h, t->robust_list, sizeof(h)))
		return;
	for (entry = h.next; entry != t->robust_list && limit-- > 0;) {
		uint64_t next;

		if (copy_from_user(&next, entry, sizeof(next)))
			return;
		if (entry != h.pending)
			release_robust_futex(entry + (uint64_t)h.futex_offset,
					     t->tid);
		entry = next & ~1UL;
	}
	if (h.pending)
		release_robust_futex(
			(h.pending & ~1UL) + (uint64_t)h.futex_offset, t->tid);
}

void thread_release(struct thread *t)
{
	uint32_t zero = 0;

	release_robust_list(t);
	if (t->clear_child_tid &&
	    copy_to_user(t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake(t->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
}
