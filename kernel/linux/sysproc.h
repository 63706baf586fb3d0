/* sysproc.h - process defaults and accounting shared by the small Linux syscalls. */
#ifndef KILN_LINUX_SYSPROC_H
#define KILN_LINUX_SYSPROC_H

#include <stdint.h>

struct proc;

/*
 * Fill p's Linux defaults owned by the sys_* files: resource limits (as
 * rlimits_init), saved IDs, process group and session (= pid), nice 0,
 * no signal handlers or pending signals, no alternate signal stack, and
 * start_ns = now. p is named when its program starts (sysproc_exec_comm).
 * Call once, after pid, uid and gid are set, before the program starts.
 */
void sysproc_init(struct proc *p);

/* Linux's default resource limits (those a login shell passes on). */
void rlimits_init(struct proc *p);

/*
 * CPU time in nanoseconds of the calling process (its threads, live and
 * ended) and of its waited-for children (core/sched.c accounts it).
 */
uint64_t sysproc_cputime_ns(void);
uint64_t sysproc_children_cputime_ns(void);

/*
 * execve: the name of p and of its one thread (the caller, with p's id
 * now) becomes the last component of path.
 */
void sysproc_exec_comm(struct proc *p, const char *path);
/* p is ending: its ITIMER_REAL goes (linux/sys_itimer.c). */
void itimer_proc_exit(struct proc *p);
/* p is ending: its POSIX timers go (linux/posix_timer.c). */
void posix_timer_proc_exit(struct proc *p);

#endif
