/* procfs_task.h - the threads of /proc/PID: comm, task/TID/{comm,stat,status}, /proc/thread-self. */
#ifndef KILN_LINUX_PROCFS_TASK_H
#define KILN_LINUX_PROCFS_TASK_H

#include <stddef.h>

#include "core/proc.h"
#include "fs/vfs.h"

/*
 * Make comm (the first thread's name, writable by the process itself)
 * and task/ (a directory per thread) in dir, the /proc/PID of p, owned
 * by p's effective ids (the caller sets the owners it wants after). 0 or
 * -ERRNO; procfs_task_remove undoes any part of it.
 */
int procfs_task_add(struct vnode *dir, struct proc *p);
void procfs_task_remove(struct vnode *dir);

/*
 * Who owns p's node of mode in /proc: its effective ids, or root while
 * it is not dumpable (Linux's task_dump_owner), so that a process that
 * changed ids keeps its old self's /proc from its new one.
 */
const struct cred *procfs_pid_owner(const struct proc *p, uint32_t mode);

/* /proc/thread-self: a link to the caller's /proc/PID/task/TID. */
extern const struct vnode_ops procfs_thread_self_vops;

/*
 * The texts of stat and status (linux/procfs_pid.c): of the process p
 * (/proc/PID) when t is NULL, else of its thread t (task/TID): its id,
 * name, state, CPU time and signal masks. As snprintf: the length the
 * whole text needs.
 */
size_t procfs_task_stat(struct proc *p, struct thread *t, char *buf,
			size_t size);
size_t procfs_task_status(struct proc *p, struct thread *t, char *buf,
			  size_t size);

#endif
