/* thread.h - Linux thread creation and exit (clone, exit), on top of core/sched.h. */
#ifndef KILN_LINUX_THREAD_H
#define KILN_LINUX_THREAD_H

#include <stdint.h>

struct thread;

/* What clone and clone3 ask for, in one form. */
struct clone_req {
	uint64_t flags, stack, tls;
	uintptr_t parent_tid, child_tid;
};

/*
 * A new process (linux/sys_fork.c): fork, vfork, clone without
 * CLONE_THREAD. Returns the child's pid to the parent (the child
 * returns 0), -EAGAIN (RLIMIT_NPROC), -ENOMEM, or -EINVAL for flags it
 * does not implement (logged).
 */
long proc_fork(const struct clone_req *r);

/*
 * What Linux does for a thread that exits: clear *clear_child_tid and
 * wake one futex waiter there (pthread_join), and release the robust
 * futexes it still holds (FUTEX_OWNER_DIED).
 */
void thread_release(struct thread *t);

#endif
