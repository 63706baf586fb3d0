/* proc.h - the Linux personality's side of the process: exit, faults as signals, signal names. */
#ifndef KILN_LINUX_PROC_H
#define KILN_LINUX_PROC_H

#include "core/proc.h"

/*
 * End the process (exit_group, or a fatal signal when sig != 0): closes
 * files, reports on the kernel log, ends the VM with status or 128+sig.
 */
_Noreturn void proc_exit(int status, int sig);

/* Install the exception hooks: demand paging, faults become signals. */
void proc_traps_init(void);

/* "SIGSEGV" for 11, ... ("signal" when unnamed). */
const char *signal_name(int sig);

/*
 * The process p has run execve (or exited): a parent suspended by vfork
 * on it goes on. Nothing to do until fork exists (branch fork fills it).
 */
static inline void proc_vfork_done(struct proc *p)
{
	(void)p;
}

#endif
