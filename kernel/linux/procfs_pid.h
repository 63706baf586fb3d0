/* procfs_pid.h - the process's directory in /proc (/proc/1, /proc/self). */
#ifndef KILN_LINUX_PROCFS_PID_H
#define KILN_LINUX_PROCFS_PID_H

#include <stddef.h>

/*
 * Make /proc/1 with its files, and /proc/self and /proc/thread-self
 * pointing at the reader's own directory, under the /proc that
 * fs/procfs.c built. Call once the root file system exists. 0, -ENOENT
 * without /proc, or -ENOMEM.
 */
int procfs_pid_init(void);

/* /proc/PID for a new process: 0 or -ENOMEM. */
int procfs_pid_add(int pid);

/* Remove /proc/PID (the process was reaped); nothing if it is not there. */
void procfs_pid_remove(int pid);

/*
 * What /proc/1/cmdline and /proc/1/environ show, copied from
 * NULL-terminated vectors (what exec_load receives) as NUL-terminated
 * strings one after the other. 0 or -ENOMEM.
 */
int procfs_pid_set_args(const char *const *argv, const char *const *envp);

#endif
