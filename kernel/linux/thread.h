/* thread.h - Linux thread creation and exit (clone, exit), on top of core/sched.h. */
#ifndef KILN_LINUX_THREAD_H
#define KILN_LINUX_THREAD_H

struct thread;

/*
 * What Linux does for a thread that exits: clear *clear_child_tid and
 * wake one futex waiter there (pthread_join), and release the robust
 * futexes it still holds (FUTEX_OWNER_DIED).
 */
void thread_release(struct thread *t);

#endif
