/* jobctl.h - job control: stop signals, SIGCONT, orphaned process groups, terminal background checks. */
#ifndef KILN_LINUX_JOBCTL_H
#define KILN_LINUX_JOBCTL_H

#include <stdbool.h>

#include "core/proc.h"

/* SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU. */
bool jobctl_stop_signal(int sig);

/*
 * sig is being sent to p (before the ignored check, as Linux's
 * prepare_signal): a stop signal drops a pending SIGCONT; SIGCONT drops
 * pending stop signals and continues a stopped p, telling its parent.
 */
void jobctl_prepare_signal(struct proc *p, int sig);

/*
 * The calling thread took stop signal sig with the default action: the
 * process stops (unless pid 1, or an orphaned group for all but SIGSTOP)
 * and the thread parks until SIGCONT or SIGKILL.
 */
void jobctl_stop(int sig);

/* The calling thread's process is stopped: sleep until continued or killed. */
void jobctl_park(void);

/* Group pgid has no member whose parent joins it to its session. */
bool jobctl_pgrp_orphaned(int pgid);

/*
 * p is exiting / its child c was just given to pid 1 (old_parent
 * exiting): a group left orphaned with a stopped member gets SIGHUP and
 * SIGCONT (Linux's kill_orphaned_pgrp).
 */
void jobctl_exit(struct proc *p);
void jobctl_adopted(struct proc *old_parent, struct proc *c);

/*
 * The caller, outside the terminal's foreground group, reads (SIGTTIN)
 * or writes with TOSTOP / changes settings (SIGTTOU): 0 to go ahead,
 * -EIO, or -ERESTARTSYS after signalling its group.
 */
int jobctl_tty_background(int sig);

#endif
