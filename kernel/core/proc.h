/* proc.h - the process: credentials, working directory, open files, address space, signal state. */
#ifndef KILN_CORE_PROC_H
#define KILN_CORE_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/resource.h>
#include <asm/signal.h>

#include "core/cred.h"
#include "core/sched.h"

struct mm;	 /* linux/mm.h: address space (VMAs, brk) */
struct fd_table; /* fs/fd.c: open files */
struct vnode;	 /* fs/vfs.h: a file system node */

#define PROC_PATH_MAX 4096
#define PROC_NSIG 64 /* signals 1..64 */
/* prctl(PR_SET_NAME), with the NUL: a thread's (core/sched.h) */
#define PROC_COMM_LEN THREAD_COMM_LEN

/*
 * The process lives in core, below every subsystem, so that fs/ (which
 * needs the caller's credentials and working directory), net/ (sockets
 * install fds and report peer credentials) and the Linux personality all
 * see one structure without reaching up into each other. Each field is
 * owned by the subsystem named beside it: only that subsystem writes it,
 * and fork and exec will copy or reset each part through its owner
 * (fs_proc_init/fs_proc_exit for files and cwd, linux/mm.c for mm).
 *
 * Processes form a table (core/proc.c): pids come from the same
 * counter as thread ids (a process's pid is its first thread's tid), each
 * has a parent and a list of children, and "current" is the process of
 * the running thread (the scheduler sets it on every switch). A process
 * that ended stays as a zombie (state, exit_status) until its parent
 * reaps it with wait4/waitid (linux/sys_wait.c). Its threads are struct
 * thread (core/sched.h, "current_thread").
 */
enum proc_state { PROC_LIVE, PROC_ZOMBIE };

struct proc {
	int pid, ppid; /* core/proc.c: ppid follows parent (0 for pid 1) */
	enum proc_state state; /* linux/proc.c */
	int exit_status;       /* linux/proc.c: wait status of a zombie */
	struct proc *parent;   /* core/proc.c: NULL for pid 1 */
	struct proc *children; /* core/proc.c: first child */
	struct proc *sibling;  /* core/proc.c: next child of parent */
	struct proc *all_next; /* core/proc.c: the process table */
	struct wait_queue child_wait; /* linux/proc.c: a child changed */
	int nthreads;		      /* core/sched.c: live threads */
	struct thread *exit_waiter;   /* core/sched.c: wakes it at 1 thread */
	bool group_exit;	      /* linux/proc.c: exit_group under way */
	struct thread *vfork_parent;  /* linux/proc.c: sleeps until exec/exit */
	int exit_signal;      /* linux/sys_fork.c: sent to the parent at exit */
	struct cred cred;     /* linux/sys_ids.c; read by fs/ */
	struct mm *mm;	      /* linux/mm.c */
	struct paging_as *as; /* linux/mm.c: mm's tables, loaded by sched */
	struct fd_table *files;		    /* fs/ */
	struct vnode *cwd;		    /* fs/ (holds a reference) */
	uint32_t umask;			    /* fs/ */
	struct rlimit64 rlim[RLIM_NLIMITS]; /* linux/sys_rlimit.c */
	uint64_t sigpending;	    /* linux/sys_signal.c: bit n-1 = signal n */
	int16_t sigcode[PROC_NSIG]; /* linux/signal.c: si_code of each pending */
	int32_t sigpid[PROC_NSIG];  /* linux/signal.c: si_pid of each */
	uint32_t siguid[PROC_NSIG];   /* linux/signal.c: si_uid of each */
	int32_t sigstatus[PROC_NSIG]; /* linux/signal.c: SIGCHLD si_status */
	uint64_t sigvalue[PROC_NSIG]; /* linux/signal.c: SI_MESGQ si_value */
	struct sigaction sigactions[PROC_NSIG]; /* linux/sys_signal.c */
	int pgid, sid;	 /* linux/sys_ids.c: 1 and 1 (a session leader) */
	bool stopped;	 /* linux/jobctl.c: by a stop signal, until SIGCONT */
	int stop_sig;	 /* linux/jobctl.c: the signal that stopped it */
	int wait_report; /* linux/jobctl.c: CLD_STOPPED/CLD_CONTINUED for wait */
	bool adopted;	 /* linux/proc.c: an orphan reparented to pid 1 */
	bool execed;	 /* linux/exec: ran execve (setpgid: EACCES) */
	bool undumpable;	  /* linux/sys_ids.c: its /proc/PID is root's */
	int nice;		  /* linux/sys_sched.c: -20..19 */
	char comm[PROC_COMM_LEN]; /* linux/sys_info.c: its first thread's name */
	uint64_t start_ns;	  /* time_ns() when the program started */
	char exe[PROC_PATH_MAX];  /* absolute path of the program */
	bool trace;		  /* kiln.trace: log every syscall */
	bool exiting; /* linux/proc.c: pid 1 closing its files, the VM ending */
	uint64_t cpu_dead_ns;	  /* core/sched.c: of its threads that ended */
	uint64_t cpu_children_ns; /* linux/sys_wait.c: of its waited children */
	struct ktimer itimer_real;   /* linux/sys_itimer.c: ITIMER_REAL */
	uint64_t itimer_interval_ns; /* linux/sys_itimer.c: its period */
};

extern struct proc *current;

/*
 * A new process (zeroed, state PROC_LIVE, no pid yet), child of parent
 * (NULL for the first), entered in the table. NULL when out of memory.
 * The caller gives it its pid (its first thread's tid).
 */
struct proc *proc_alloc(struct proc *parent);

/* The live or zombie process with pid, or NULL. */
struct proc *proc_find(int pid);

/*
 * Remove p from the table and its parent's children and free it. The
 * memory is freed at the next proc_alloc, so a process may free itself
 * on its way out (its thread still refers to it until it switches away).
 */
void proc_free(struct proc *p);

/* Make p a child of parent (reparenting an orphan to pid 1). */
void proc_set_parent(struct proc *p, struct proc *parent);

/* Call fn for every process in the table (fn may not add or free any). */
void proc_for_each(void (*fn)(struct proc *p, void *ctx), void *ctx);

/* Processes in the table with real uid uid (RLIMIT_NPROC). */
int proc_count_uid(uint32_t uid);

#endif
