/* sys_wait.c - wait4 and waitid: reaping zombie children, reading their status. */
#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/signal.h>
#include <linux/resource.h>
#include <linux/wait.h>
#include <stdint.h>

#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * A child that ended is a zombie (linux/proc.c) holding its wait status
 * until a wait takes it. Waiting sleeps on the process's child_wait,
 * which every child's exit, stop and continue wakes. A stop
 * (WUNTRACED/WSTOPPED) or a continue (WCONTINUED) is reported once, as
 * Linux's wait_task_stopped and wait_task_continued clear it
 * (linux/jobctl.c sets it).
 */
#define WAITID_OPTIONS                                                       \
	(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | \
	 __WCLONE | __WALL)

/* P_PIDFD: the pidfd's pid (-EBADF when fd is no pidfd, -EINVAL < 0). */
static int waitid_pidfd(int fd)
{
	return fd < 0 ? -EINVAL : pidfd_get_pid(fd);
}

static int waitid_check(int which, int upid, int options)
{
	if ((options & ~WAITID_OPTIONS) ||
	    !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (which) {
	case P_ALL:
		return 0;
	case P_PID:
		return upid <= 0 ? -EINVAL : 0;
	case P_PGID:
		return upid < 0 ? -EINVAL : 0;
	case P_PIDFD:
		return waitid_pidfd(upid) < 0 ? waitid_pidfd(upid) : 0;
	}
	return -EINVAL;
}

struct wait_req {
	int which; /* P_ALL, P_PID, P_PGID */
	int id;
	int options;
};

/* Linux's eligible_pid and eligible_child (__WCLONE, __WALL). */
static bool wait_matches(const struct proc *c, const struct wait_req *w)
{
	if (w->which == P_PID && c->pid != w->id)
		return false;
	if (w->which == P_PGID && c->pgid != w->id)
		return false;
	if (w->options & __WALL)
		return true;
	return (c->exit_signal != SIGCHLD) == !!(w->options & __WCLONE);
}

/* What w would report of child c: CLD_EXITED, CLD_STOPPED, ... or 0. */
static int child_event(const struct proc *c, int options)
{
	if (c->state == PROC_ZOMBIE)
		return (options & WEXITED) ? CLD_EXITED : 0;
	if (c->wait_report == CLD_STOPPED && c->stopped && (options & WSTOPPED))
		return CLD_STOPPED;
	if (c->wait_report == CLD_CONTINUED && (options & WCONTINUED))
		return CLD_CONTINUED;
	return 0;
}

/*
 * The first child w selects with something to report into *out and
 * *event (child_event): its pid; 0 when WNOHANG and there is nothing to
 * report; -ECHILD when no child matches at all; -ERESTARTSYS when a
 * signal came first.
 */
static long wait_child(const struct wait_req *w, struct proc **out, int *event)
{
	struct waiter wt;
	long ret;

	wait_add(&current->child_wait, &wt);
	for (;;) {
		bool any = false;

		ret = 0;
		for (struct proc *c = current->children; c && !ret;
		     c = c->sibling) {
			if (!wait_matches(c, w))
				continue;
			any = true;
			*event = child_event(c, w->options);
			if (*event) {
				*out = c;
				ret = c->pid;
			}
		}
		if (ret)
			break;
		if (!any) {
			ret = -ECHILD;
			break;
		}
		if (w->options & WNOHANG)
			break;
		if (sched_sleep(0, true)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	wait_remove(&wt);
	return ret;
}

/*
 * No resource use is accounted per process yet: a reaped child's rusage
 * is all zeros (what Linux reports for a child that used no CPU time
 * and no memory, which is not true here: see docs/architecture.md).
 */
static int put_rusage(uintptr_t urusage)
{
	struct rusage ru = { 0 };

	return urusage ? copy_to_user(urusage, &ru, sizeof(ru)) : 0;
}

long sys_waitid(int which, int upid, uintptr_t uinfo, int options,
		uintptr_t urusage)
{
	/* si_signo, si_errno, si_code; then si_pid, si_uid, si_status. */
	int head[3] = { 0 }, tail[3] = { 0 };
	long err = waitid_check(which, upid, options);
	struct proc *c = NULL;
	bool nonblock = false;
	int event = 0;

	if (err)
		goto out;
	if (which == P_PGID && upid == 0)
		upid = current->pgid;
	/* checked: a pidfd; its process, a child or not */
	if (which == P_PIDFD) {
		nonblock = pidfd_nonblock(upid);
		which = P_PID;
		upid = waitid_pidfd(upid);
	}
	/* Linux's kernel_waitid: a PIDFD_NONBLOCK pidfd waits as WNOHANG,
	 * and says -EAGAIN when the caller did not ask for WNOHANG itself. */
	err = wait_child(
		&(struct wait_req){ which, upid,
				    nonblock ? options | WNOHANG : options },
		&c, &event);
	if (err == 0 && nonblock && !(options & WNOHANG))
		err = -EAGAIN;
	if (err > 0) {
		int st = c->exit_status;

		head[0] = SIGCHLD;
		head[2] = (st & 0x7f) ? CLD_KILLED : CLD_EXITED;
		tail[0] = c->pid;
		tail[1] = (int)c->cred.uid;
		tail[2] = (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff;
		if (event != CLD_EXITED) {
			head[2] = event;
			tail[2] = event == CLD_STOPPED ? c->stop_sig : SIGCONT;
		}
		err = 0;
	}
out:
	if (uinfo && (copy_to_user(uinfo, head, sizeof(head)) ||
		      copy_to_user(uinfo + 16, tail, sizeof(tail))))
		return -EFAULT;
	if (c && put_rusage(urusage))
		return -EFAULT;
	if (c && !(options & WNOWAIT)) {
		if (event == CLD_EXITED)
			proc_reap(c);
		else
			c->wait_report = 0;
	}
	return err;
}
SYSCALL5(waitid);

#define WAIT4_OPTIONS \
	(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)

long sys_wait4(int upid, uintptr_t ustatus, int options, uintptr_t urusage)
{
	struct wait_req w = { P_ALL, 0, options | WEXITED };
	struct proc *c = NULL;
	int event = 0, status;
	long ret;

	if (options & ~WAIT4_OPTIONS)
		return -EINVAL;
	if (upid == INT32_MIN) /* -INT_MIN has no group */
		return -ESRCH;
	if (upid > 0)
		w = (struct wait_req){ P_PID, upid, w.options };
	else if (upid == 0)
		w = (struct wait_req){ P_PGID, current->pgid, w.options };
	else if (upid < -1)
		w = (struct wait_req){ P_PGID, -upid, w.options };
	ret = wait_child(&w, &c, &event);
	if (ret <= 0)
		return ret;
	/* W_STOPCODE(sig) and __W_CONTINUED, as Linux's wait_task_* */
	status = c->exit_status;
	if (event == CLD_STOPPED)
		status = (c->stop_sig << 8) | 0x7f;
	else if (event == CLD_CONTINUED)
		status = 0xffff;
	if (ustatus && copy_to_user(ustatus, &status, sizeof(status)))
		return -EFAULT;
	if (put_rusage(urusage))
		return -EFAULT;
	if (event == CLD_EXITED)
		proc_reap(c);
	else
		c->wait_report = 0;
	return ret;
}
SYSCALL4(wait4);
