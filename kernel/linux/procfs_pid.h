/* procfs_pid.h - the directory of each process in /proc (/proc/PID, /proc/self). */
#ifndef KILN_LINUX_PROCFS_PID_H
#define KILN_LINUX_PROCFS_PID_H

#include "core/proc.h"

/*
 * Make /proc/self and /proc/thread-self (links to the caller's
 * directory and to its thread's, task/TID) under the /proc that
 * fs/procfs.c built. Call once the root file system exists. They and
 * the /proc/PID of every process added until then are made at the
 * first look into /proc (procfs_defer). 0, -ENOENT without /proc, or
 * -ENOMEM.
 */
int procfs_pid_init(void);

/*
 * Make /proc/PID for the process pid: at boot for pid 1, at fork for the
 * child. 0 or -ERRNO, with nothing left behind. Its files read p's state
 * when opened, by pid, so they never refer to a process that is gone.
 * (0, -ENOENT when there is no such process, -ENOMEM.)
 */
int procfs_pid_add(int pid);

/*
 * Give /proc/PID and its nodes to procfs_pid_owner(p) again, after p's
 * effective ids or its dumpable flag changed (Linux finds the owner anew
 * at each lookup). Nothing when p has no directory.
 */
void procfs_pid_chown(struct proc *p);

/* Remove /proc/PID (the process is being reaped); nothing if absent. */
void procfs_pid_remove(int pid);

#endif
