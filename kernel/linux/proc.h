/* proc.h - the one application process and what the Linux personality keeps for it. */
#ifndef KILN_LINUX_PROC_H
#define KILN_LINUX_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/resource.h>
#include <asm/signal.h>

struct mm;	  /* linux/mm.h: address space (VMAs, brk) */
struct fd_table;  /* fs/fd.h: open files */
struct vnode;	  /* fs/vfs.h: a file system node */

#define PROC_PATH_MAX 4096
#define PROC_NSIG 64		/* signals 1..64 */
#define PROC_NGROUPS_MAX 32	/* supplementary groups kept */
#define PROC_COMM_LEN 16	/* prctl(PR_SET_NAME), with the NUL */

/*
 * Kiln runs one process (pid 1); "current" is it. Its threads are
 * struct thread (core/sched.h, "current_thread"). Fields are owned by the
 * subsystem named beside them; others only read them.
 */
struct proc {
	int pid, ppid;			/* 1 and 0 */
	uint32_t uid, gid, euid, egid;	/* 0: the app owns the whole VM */
	struct mm *mm;			/* linux/mm.c */
	struct fd_table *files;		/* fs/ */
	struct vnode *cwd;		/* fs/ (holds a reference) */
	uint32_t umask;			/* fs/ */
	struct rlimit64 rlim[RLIM_NLIMITS]; /* linux/sys_rlimit.c */
	uint64_t sigpending;		/* linux/sys_signal.c: bit n-1 = signal n */
	int16_t sigcode[PROC_NSIG];	/* linux/signal.c: si_code of each pending */
	struct sigaction sigactions[PROC_NSIG]; /* linux/sys_signal.c */
	uint32_t suid, sgid;		/* linux/sys_ids.c: saved set-user/group-ID */
	uint32_t ngroups;		/* linux/sys_ids.c */
	uint32_t groups[PROC_NGROUPS_MAX];
	int pgid, sid;			/* linux/sys_ids.c: 1 and 1 (a session leader) */
	int nice;			/* linux/sys_sched.c: -20..19 */
	char comm[PROC_COMM_LEN];	/* linux/sys_info.c: prctl(PR_SET_NAME) */
	uint64_t start_ns;		/* time_ns() when the program started */
	char exe[PROC_PATH_MAX];	/* absolute path of the program */
	bool trace;			/* kiln.trace: log every syscall */
	bool exiting;			/* linux/proc.c: closing its files */
};

extern struct proc *current;

/*
 * End the process (exit_group, or a fatal signal when sig != 0): closes
 * files, reports on the kernel log, ends the VM with status or 128+sig.
 */
_Noreturn void proc_exit(int status, int sig);

/* Install the exception hooks: demand paging, faults become signals. */
void proc_traps_init(void);

/* "SIGSEGV" for 11, ... ("signal" when unnamed). */
const char *signal_name(int sig);

#endif
