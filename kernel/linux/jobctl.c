/* jobctl.c - job control: stopping and continuing processes, orphaned process groups, the terminal's background checks. */
#include "linux/jobctl.h"

#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/signal.h>

#include "core/sched.h"
#include "linux/proc.h"
#include "linux/signals.h"

/*
 * As Linux's kernel/signal.c: a stop signal whose action is the default
 * stops every thread of the process (do_signal_stop); the parent hears
 * CLD_STOPPED (SIGCHLD unless SA_NOCLDSTOP, and its wait4/waitid with
 * WUNTRACED once). SIGCONT continues the process when it is sent, even
 * blocked or ignored (prepare_signal), and the parent hears
 * CLD_CONTINUED. A stopped thread parks in jobctl_park until SIGCONT or
 * SIGKILL: its sleep is not interruptible, the wake-up comes from here.
 */
#define STOP_SIGNALS                                              \
	(SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | \
	 SIG_BIT(SIGTTOU))

bool jobctl_stop_signal(int sig)
{
	return sig >= 1 && sig <= 64 && (STOP_SIGNALS & SIG_BIT(sig));
}

static void wake_proc_thread(struct thread *t, void *ctx)
{
	if (t->proc == ctx)
		sched_wakeup(t);
}

static void drop_thread_pending(struct thread *t, void *ctx)
{
	const struct {
		struct proc *p;
		uint64_t mask;
	} *d = ctx;

	if (t->proc == d->p)
		t->sigpending &= ~d->mask;
}

/* Take the signals of mask off p and all its threads' pending sets. */
static void drop_pending(struct proc *p, uint64_t mask)
{
	struct {
		struct proc *p;
		uint64_t mask;
	} d = { p, mask };

	p->sigpending &= ~mask;
	thread_for_each(drop_thread_pending, &d);
}

/*
 * Linux's do_notify_parent_cldstop: SIGCHLD with why (CLD_STOPPED or
 * CLD_CONTINUED) unless the parent ignores SIGCHLD or set SA_NOCLDSTOP;
 * its waits wake either way.
 */
static void notify_parent(struct proc *p, int why, int status)
{
	struct proc *parent = p->parent;
	const struct sigaction *sa;

	if (!parent || parent->state != PROC_LIVE)
		return;
	sa = &parent->sigactions[SIGCHLD - 1];
	if (sa->sa_handler != SIG_IGN && !(sa->sa_flags & SA_NOCLDSTOP))
		signal_send_info(parent, NULL,
				 &(struct signal_info){ .signo = SIGCHLD,
							.code = why,
							.pid = p->pid,
							.uid = p->cred.uid,
							.status = status });
	wake_up(&parent->child_wait);
}

void jobctl_prepare_signal(struct proc *p, int sig)
{
	if (p->state != PROC_LIVE)
		return;
	if (jobctl_stop_signal(sig)) {
		drop_pending(p, SIG_BIT(SIGCONT));
		return;
	}
	if (sig != SIGCONT)
		return;
	drop_pending(p, STOP_SIGNALS);
	if (!p->stopped)
		return;
	p->stopped = false;
	p->wait_report = CLD_CONTINUED;
	notify_parent(p, CLD_CONTINUED, SIGCONT);
	thread_for_each(wake_proc_thread, p);
}

/* SIGKILL waits for t (its own, or the process's). */
static bool kill_pending(struct thread *t)
{
	return signal_pending_set(t) & SIG_BIT(SIGKILL);
}

void jobctl_park(void)
{
	struct thread *t = current_thread;

	while (t->proc->stopped && !kill_pending(t))
		sched_sleep(0, false);
}

struct pgrp_query {
	int pgid;
	const struct proc *ignore;
	bool joined;	  /* a member's parent holds the group to its session */
	bool any_stopped; /* a member is stopped */
	bool any;	  /* the group has a live member */
};

/*
 * Linux's will_become_orphaned_pgrp and has_stopped_jobs for one member.
 * Linux skips members whose parent is init; Kiln's pid 1 is the
 * application (often the shell itself), so only orphans adopted by pid 1
 * are skipped: the shell's children keep their groups joined to it.
 */
static void pgrp_member(struct proc *p, void *ctx)
{
	struct pgrp_query *q = ctx;
	const struct proc *parent = p->parent;

	if (p->pgid != q->pgid || p == q->ignore || p->state != PROC_LIVE)
		return;
	q->any = true;
	if (p->stopped)
		q->any_stopped = true;
	if (parent && !p->adopted && parent->pgid != q->pgid &&
	    parent->sid == p->sid)
		q->joined = true;
}

static struct pgrp_query pgrp_query(int pgid, const struct proc *ignore)
{
	struct pgrp_query q = { pgid, ignore, false, false, false };

	proc_for_each(pgrp_member, &q);
	return q;
}

bool jobctl_pgrp_orphaned(int pgid)
{
	return !pgrp_query(pgid, NULL).joined;
}

/* Linux's kill_orphaned_pgrp: a stopped group cut loose hangs up. */
static void hangup_if_orphaned(int pgid, const struct proc *ignore)
{
	struct pgrp_query q = pgrp_query(pgid, ignore);

	if (q.joined || !q.any_stopped)
		return;
	signal_send_pgrp(pgid, SIGHUP, SI_KERNEL);
	signal_send_pgrp(pgid, SIGCONT, SI_KERNEL);
}

void jobctl_exit(struct proc *p)
{
	struct proc *parent = p->parent;

	if (parent && !p->adopted && parent->pgid != p->pgid &&
	    parent->sid == p->sid)
		hangup_if_orphaned(p->pgid, p);
}

void jobctl_adopted(struct proc *old_parent, struct proc *c)
{
	if (old_parent->pgid != c->pgid && old_parent->sid == c->sid)
		hangup_if_orphaned(c->pgid, NULL);
}

/*
 * do_signal_stop for a stop signal taken with the default action. Pid 1
 * does not stop (nothing could continue it: Linux's SIGNAL_UNKILLABLE
 * init ignores these too); SIGTSTP, SIGTTIN and SIGTTOU are discarded
 * when the group is orphaned (Linux's get_signal).
 */
void jobctl_stop(int sig)
{
	struct proc *p = current;

	if (p->pid == 1)
		return;
	if (sig != SIGSTOP && jobctl_pgrp_orphaned(p->pgid))
		return;
	if (!p->stopped) {
		p->stopped = true;
		p->stop_sig = sig;
		p->wait_report = CLD_STOPPED;
		/* the other threads leave their sleeps to park (signal_pending) */
		thread_for_each(wake_proc_thread, p);
		notify_parent(p, CLD_STOPPED, sig);
	}
	jobctl_park();
}

/*
 * Linux's __tty_check_change for the caller, when its group is not the
 * terminal's foreground group: SIGTTIN/SIGTTOU to its group and a
 * restart once it is continued; -EIO when the signal is ignored or
 * blocked (SIGTTIN only: a write goes ahead, 0) or the group is orphaned.
 */
int jobctl_tty_background(int sig)
{
	struct thread *t = current_thread;
	__sighandler_t h = current->sigactions[sig - 1].sa_handler;

	if (h == SIG_IGN || (t->sigmask & SIG_BIT(sig)))
		return sig == SIGTTIN ? -EIO : 0;
	if (jobctl_pgrp_orphaned(current->pgid))
		return -EIO;
	signal_send_pgrp(current->pgid, sig, SI_KERNEL);
	return -ERESTARTSYS;
}
