/* sys_signal.c - signal dispositions, masks, the alternate stack, kill/tkill/tgkill. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm-generic/siginfo.h>
#include <asm/signal.h>
#include <linux/signal.h>

#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"

/*
 * Dispositions are process-wide (struct proc), masks and the alternate
 * stack per thread (struct thread). Delivery is linux/signal.c.
 */
#define SS_MODE_MASK (SS_ONSTACK | SS_DISABLE)

_Static_assert(sizeof(struct sigaction) == 32, "x86_64 kernel sigaction");
_Static_assert(sizeof(stack_t) == 24, "x86_64 stack_t");
_Static_assert(PROC_NSIG == 8 * SIGSET_SIZE, "one sigaction per signal");

long sys_rt_sigaction(uint64_t sig, uintptr_t uact, uintptr_t uoact,
		      uint64_t sigsetsize)
{
	struct sigaction act, old;

	if (sigsetsize != SIGSET_SIZE || !signal_valid(sig))
		return -EINVAL;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	old = current->sigactions[sig - 1];
	if (uact) {
		act.sa_mask &= ~SIG_UNBLOCKABLE;
		current->sigactions[sig - 1] = act;
		/* POSIX: ignoring a pending signal discards it. */
		if (signal_ignored((int)sig)) {
			struct signal_info info;

			while (signal_dequeue(current_thread, SIG_BIT(sig),
					      &info))
				;
		} else if (old.sa_handler == SIG_IGN) {
			/* Only SIG_IGN: a default-ignored signal's parked
			 * timers stay parked, as Linux's do_sigaction. */
			posix_timer_unignored((int)sig);
		}
	}
	if (uoact && copy_to_user(uoact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL4(rt_sigaction);

/* Unblocked pending signals are delivered on the way back to user mode. */
long sys_rt_sigprocmask(uint64_t how, uintptr_t uset, uintptr_t uoset,
			uint64_t sigsetsize)
{
	struct thread *t = current_thread;
	uint64_t set, old = t->sigmask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof(set)))
			return -EFAULT;
		if (how == SIG_BLOCK)
			t->sigmask |= set;
		else if (how == SIG_UNBLOCK)
			t->sigmask &= ~set;
		else if (how == SIG_SETMASK)
			t->sigmask = set;
		else
			return -EINVAL;
		t->sigmask &= ~SIG_UNBLOCKABLE;
	}
	if (uoset && copy_to_user(uoset, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL4(rt_sigprocmask);

/* Linux reports the pending signals that are blocked. */
long sys_rt_sigpending(uintptr_t uset, uint64_t sigsetsize)
{
	struct thread *t = current_thread;
	uint64_t set = signal_pending_set(t) & t->sigmask;

	if (sigsetsize > SIGSET_SIZE)
		return -EINVAL;
	return copy_to_user(uset, &set, sigsetsize);
}
SYSCALL2(rt_sigpending);

static long sigaltstack_set(struct thread *t, const stack_t *ss)
{
	int mode = ss->ss_flags & ~(int)SS_FLAG_BITS;

	if (ss->ss_flags & ~(SS_MODE_MASK | (int)SS_FLAG_BITS))
		return -EINVAL;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		t->altstack_sp = t->altstack_size = 0;
		t->altstack_flags = 0;
		return 0;
	}
	if (ss->ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	t->altstack_sp = (uint64_t)(uintptr_t)ss->ss_sp;
	t->altstack_size = ss->ss_size;
	t->altstack_flags = ss->ss_flags & (int)SS_FLAG_BITS;
	return 0;
}

void signal_exec(struct thread *t)
{
	/* Linux's flush_signal_handlers(t, 0): ignored signals stay so. */
	for (int i = 0; i < PROC_NSIG; i++) {
		struct sigaction *act = &current->sigactions[i];

		if (act->sa_handler != SIG_IGN)
			act->sa_handler = SIG_DFL;
		act->sa_flags = 0;
		act->sa_restorer = NULL;
		act->sa_mask = 0;
	}
	t->altstack_sp = t->altstack_size = 0;
	t->altstack_flags = 0;
	t->sigmask_restore = false;
}

/* Changing the alternate stack while running on it is -EPERM. */
long sys_sigaltstack(uintptr_t uss, uintptr_t uoss)
{
	struct thread *t = current_thread;
	uint64_t sp = signal_user_frame()->rsp;
	bool on = signal_on_altstack(t, sp);
	stack_t ss, old;
	long err;

	/* Field by field after a memset: the padding goes to the app too. */
	memset(&old, 0, sizeof(old));
	old.ss_sp = (void *)(uintptr_t)t->altstack_sp;
	old.ss_size = t->altstack_size;
	old.ss_flags = t->altstack_flags | (!t->altstack_size ? SS_DISABLE :
					    on		      ? SS_ONSTACK :
								0);

	if (uss) {
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		err = sigaltstack_set(t, &ss);
		if (err)
			return err;
	}
	if (uoss && copy_to_user(uoss, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL2(sigaltstack);

/* Linux's kill_ok_by_cred: root, or a real/effective uid in common. */
static bool may_signal(const struct proc *p)
{
	const struct cred *c = &current->cred;

	return c->euid == 0 || c->euid == p->cred.uid ||
	       c->euid == p->cred.suid || c->uid == p->cred.uid ||
	       c->uid == p->cred.suid;
}

struct kill_req {
	int pgid; /* 0: every process but pid 1 and the caller (kill -1) */
	int sig;
	int found, sent;
};

int signal_kill_proc(struct proc *p, int sig)
{
	if (!may_signal(p))
		return -EPERM;
	if (sig && p->state == PROC_LIVE)
		signal_send_info(
			p, NULL,
			&(struct signal_info){ .signo = sig,
					       .code = SI_USER,
					       .pid = current->pid,
					       .uid = current->cred.uid });
	return 0;
}

static void kill_each(struct proc *p, void *ctx)
{
	struct kill_req *k = ctx;

	if (k->pgid ? p->pgid != k->pgid :
		      p->pid == 1 || p == current || p->state != PROC_LIVE)
		return;
	k->found++;
	if (signal_kill_proc(p, k->sig) == 0)
		k->sent++;
}

/*
 * pid > 0 names a process, 0 our group, -1 everyone we may signal
 * (except init and ourselves), < -1 group -pid. Signal 0 only checks.
 * A group or -1 with nobody to signal is -ESRCH; with only processes
 * we may not signal, -EPERM (Linux's __kill_pgrp_info, kill -1).
 */
long sys_kill(uint64_t upid, uint64_t sig)
{
	int pid = (int)upid;
	struct kill_req k = { 0, (int)sig, 0, 0 };
	struct proc *p;

	if (sig > PROC_NSIG)
		return -EINVAL;
	if (pid > 0) {
		p = proc_find(pid);
		return p ? signal_kill_proc(p, (int)sig) : -ESRCH;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid != -1)
		k.pgid = pid == 0 ? current->pgid : -pid;
	proc_for_each(kill_each, &k);
	if (!k.found)
		return -ESRCH;
	return k.sent ? 0 : -EPERM;
}
SYSCALL2(kill);

static long send_tkill(int tgid, int tid, uint64_t sig)
{
	struct thread *t;

	if (tid <= 0 || sig > PROC_NSIG)
		return -EINVAL;
	t = thread_find(tid);
	if (!t || (tgid != -1 && tgid != t->proc->pid))
		return -ESRCH;
	if (sig)
		signal_send(t, (int)sig, SI_TKILL);
	return 0;
}

long sys_tkill(uint64_t tid, uint64_t sig)
{
	return send_tkill(-1, (int)tid, sig);
}
SYSCALL2(tkill);

long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig)
{
	if ((int)tgid <= 0)
		return -EINVAL;
	return send_tkill((int)tgid, (int)tid, sig);
}
SYSCALL3(tgkill);
