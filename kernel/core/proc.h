/* proc.h - the process: credentials, working directory, open files, address space, signal state. */
#ifndef KILN_CORE_PROC_H
#define KILN_CORE_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/resource.h>
#include <asm/signal.h>

#include "core/cred.h"

struct mm;	 /* linux/mm.h: address space (VMAs, brk) */
struct fd_table; /* fs/fd.c: open files */
struct vnode;	 /* fs/vfs.h: a file system node */

#define PROC_PATH_MAX 4096
#define PROC_NSIG 64	 /* signals 1..64 */
#define PROC_COMM_LEN 16 /* prctl(PR_SET_NAME), with the NUL */

/*
 * The process lives in core, below every subsystem, so that fs/ (which
 * needs the caller's credentials and working directory), net/ (sockets
 * install fds and report peer credentials) and the Linux personality all
 * see one structure without reaching up into each other. Each field is
 * owned by the subsystem named beside it: only that subsystem writes it,
 * and fork and exec will copy or reset each part through its owner
 * (fs_proc_init/fs_proc_exit for files and cwd, linux/mm.c for mm).
 *
 * Kiln runs one process (pid 1) for now; "current" is it. Its threads
 * are struct thread (core/sched.h, "current_thread").
 */
struct proc {
	int pid, ppid;			    /* 1 and 0 */
	struct cred cred;		    /* linux/sys_ids.c; read by fs/ */
	struct mm *mm;			    /* linux/mm.c */
	struct fd_table *files;		    /* fs/ */
	struct vnode *cwd;		    /* fs/ (holds a reference) */
	uint32_t umask;			    /* fs/ */
	struct rlimit64 rlim[RLIM_NLIMITS]; /* linux/sys_rlimit.c */
	uint64_t sigpending;	    /* linux/sys_signal.c: bit n-1 = signal n */
	int16_t sigcode[PROC_NSIG]; /* linux/signal.c: si_code of each pending */
	struct sigaction sigactions[PROC_NSIG]; /* linux/sys_signal.c */
	int pgid, sid; /* linux/sys_ids.c: 1 and 1 (a session leader) */
	int nice;      /* linux/sys_sched.c: -20..19 */
	char comm[PROC_COMM_LEN]; /* linux/sys_info.c: prctl(PR_SET_NAME) */
	uint64_t start_ns;	  /* time_ns() when the program started */
	char exe[PROC_PATH_MAX];  /* absolute path of the program */
	bool trace;		  /* kiln.trace: log every syscall */
	bool exiting;		  /* linux/proc.c: closing its files */
};

extern struct proc *current;

#endif
