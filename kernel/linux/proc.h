/* proc.h - the Linux personality's side of the process: exit, faults as signals, signal names. */
#ifndef KILN_LINUX_PROC_H
#define KILN_LINUX_PROC_H

#include "core/proc.h"

/*
 * End the calling process (exit_group, or a fatal signal when sig != 0):
 * its other threads end, its files close, its address space goes, its
 * children go to pid 1, and it stays a zombie holding its wait status
 * until its parent reaps it (at once when the parent ignores SIGCHLD or
 * set SA_NOCLDWAIT; the parent is sent its exit signal otherwise). When
 * pid 1 ends, the other processes are named on the kernel log and the
 * VM ends with status or 128+sig.
 */
_Noreturn void proc_exit(int status, int sig);

/*
 * Every other thread of p (the caller's process) ends at its next return
 * to user mode; the caller sleeps until they have. p->group_exit must be
 * set, as that is what ends them.
 */
void proc_end_other_threads(struct proc *p);

/* The calling thread ends because its process is ending (group exit). */
_Noreturn void proc_exit_thread(void);

/*
 * Every other thread of p (the caller's process, p->group_exit set) ends
 * at its next return to user mode; returns once they all have.
 */
void proc_end_other_threads(struct proc *p);

/*
 * The vfork child p has let go of its parent's memory (execve, or exit):
 * the parent's thread sleeping in vfork runs again. Nothing when p is no
 * vfork child. exec calls it once the new program is loaded.
 */
void proc_vfork_done(struct proc *p);

/* Free the zombie p (wait took it, or nobody will): /proc/PID goes. */
void proc_reap(struct proc *p);

/*
 * pidfds (linux/sys_pidfd.c): the pid a pidfd names (-EBADF when fd is
 * none), and the wake-up of every pidfd poller when a process ends.
 */
int pidfd_get_pid(int fd);
/* True when fd is a pidfd opened with PIDFD_NONBLOCK. */
bool pidfd_nonblock(int fd);
void pidfd_proc_exited(void);

/*
 * Names (comm, Linux's TASK_COMM_LEN bytes with the NUL): each thread
 * has its own (prctl PR_SET_NAME, /proc/PID/task/TID/comm); a process's
 * is its first thread's, the one /proc/PID shows, kept in struct proc so
 * that it outlives that thread as Linux's group leader does. A new
 * thread, or a forked process, takes its creator's; execve sets it to
 * the program's file name. Setters cut names to 15 bytes. Any caller.
 */
const char *proc_comm(struct proc *p);
const char *thread_comm(struct thread *t);
/* The name of p's thread t, or p's own (its first thread's) if t is NULL. */
const char *task_comm(struct proc *p, struct thread *t);
void proc_set_comm(struct proc *p, const char *name);
void thread_set_comm(struct thread *t, const char *name);

/*
 * Linux's set_dumpable (linux/sys_ids.c): a process that is not dumpable
 * has its /proc/PID owned by root. Cleared when its effective ids change,
 * set by prctl(PR_SET_DUMPABLE) and by execve unless the ids differ.
 */
void proc_set_dumpable(struct proc *p, bool dumpable);

/* Install the exception hooks: demand paging, faults become signals. */
void proc_traps_init(void);

/* "SIGSEGV" for 11, ... ("signal" when unnamed). */
const char *signal_name(int sig);

#endif
