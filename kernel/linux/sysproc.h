/* sysproc.h - process defaults and accounting shared by the small Linux syscalls. */
#ifndef KILN_LINUX_SYSPROC_H
#define KILN_LINUX_SYSPROC_H

#include <stdbool.h>
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
 * A CPU clock id (negative: Linux's ~pid << 3 | type, bit 2 = per
 * thread) names a clock the caller may use: 0 or -EINVAL, as Linux's
 * pid_for_clock. gettime: to read it (a process clock by any of its
 * threads' tids too); else for a timer or a sleep (linux/sys_time.c).
 */
int cpuclock_valid(int64_t id, bool gettime);
/* The id is the calling thread's own CPU clock (tid 0 or its tid). */
bool cpuclock_is_own_thread(int64_t id);

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
