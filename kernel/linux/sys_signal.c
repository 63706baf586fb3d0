/* sys_signal.c - signal dispositions, masks and kill to self; default actions only. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/signal.h>

#include "core/printk.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/signals.h"
#include "linux/syscall.h"

/*
 * What works: rt_sigaction stores dispositions, rt_sigprocmask the mask,
 * sigaltstack the alternate stack, and kill/tkill/tgkill to ourselves
 * carry out default actions (terminate -> proc_exit(0, sig), ignore).
 * Stop signals are ignored: nothing could ever continue a stopped Kiln
 * VM. A signal with a handler is left pending (visible in rt_sigpending
 * while blocked): calling handlers comes with the signals issue.
 */
#define SIGSET_SIZE 8
#define BIT(sig) (1ULL << ((sig) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define DEFAULT_IGNORE (BIT(SIGCHLD) | BIT(SIGCONT) | BIT(SIGURG) | \
			BIT(SIGWINCH) | BIT(SIGSTOP) | BIT(SIGTSTP) | \
			BIT(SIGTTIN) | BIT(SIGTTOU))
#define SS_MODE_MASK (SS_ONSTACK | SS_DISABLE)

_Static_assert(sizeof(struct sigaction) == 32, "x86_64 kernel sigaction");
_Static_assert(sizeof(stack_t) == 24, "x86_64 stack_t");
_Static_assert(PROC_NSIG == 8 * SIGSET_SIZE, "one sigaction per signal");

static bool sig_valid(uint64_t sig)
{
	return sig >= 1 && sig <= PROC_NSIG;
}

/* True when a pending sig would be thrown away rather than kept. */
static bool sig_ignored(int sig)
{
	__sighandler_t h = current->sigactions[sig - 1].sa_handler;

	return h == SIG_IGN || (h == SIG_DFL && (DEFAULT_IGNORE & BIT(sig)));
}

/* The line `kiln run` turns into its one stderr line, then the end. */
static _Noreturn void signal_die(int sig)
{
	printk("kiln: killed by signal %d (%s), not caught\n", sig,
	       signal_name(sig));
	proc_exit(0, sig);
}

void signal_check_pending(void)
{
	struct proc *p = current;
	uint64_t ready = p->sigpending & ~p->sigmask;

	for (int sig = 1; ready && sig <= PROC_NSIG; sig++) {
		if (!(ready & BIT(sig)))
			continue;
		ready &= ~BIT(sig);
		if (sig_ignored(sig)) {
			p->sigpending &= ~BIT(sig);
		} else if (p->sigactions[sig - 1].sa_handler == SIG_DFL) {
			signal_die(sig);
		}
		/* else: a handler; it stays pending until delivery exists */
	}
}

void signal_raise(int sig)
{
	/* SIGKILL cannot be blocked, caught or ignored. */
	if (sig == SIGKILL)
		signal_die(SIGKILL);
	if (sig_ignored(sig))
		return;
	current->sigpending |= BIT(sig);
	signal_check_pending();
}

long sys_rt_sigaction(uint64_t sig, uintptr_t uact, uintptr_t uoact,
		      uint64_t sigsetsize)
{
	struct sigaction act, old;

	if (sigsetsize != SIGSET_SIZE || !sig_valid(sig))
		return -EINVAL;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	old = current->sigactions[sig - 1];
	if (uact) {
		act.sa_mask &= ~UNBLOCKABLE;
		current->sigactions[sig - 1] = act;
		/* POSIX: ignoring a pending signal discards it. */
		if (sig_ignored((int)sig))
			current->sigpending &= ~BIT(sig);
	}
	if (uoact && copy_to_user(uoact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL4(rt_sigaction);

long sys_rt_sigprocmask(uint64_t how, uintptr_t uset, uintptr_t uoset,
			uint64_t sigsetsize)
{
	uint64_t set, old = current->sigmask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof(set)))
			return -EFAULT;
		if (how == SIG_BLOCK)
			current->sigmask |= set;
		else if (how == SIG_UNBLOCK)
			current->sigmask &= ~set;
		else if (how == SIG_SETMASK)
			current->sigmask = set;
		else
			return -EINVAL;
		current->sigmask &= ~UNBLOCKABLE;
	}
	if (uoset && copy_to_user(uoset, &old, sizeof(old)))
		return -EFAULT;
	if (uset)
		signal_check_pending();
	return 0;
}
SYSCALL4(rt_sigprocmask);

/* Linux reports the pending signals that are blocked. */
long sys_rt_sigpending(uintptr_t uset, uint64_t sigsetsize)
{
	uint64_t set = current->sigpending & current->sigmask;

	if (sigsetsize > SIGSET_SIZE)
		return -EINVAL;
	return copy_to_user(uset, &set, sigsetsize);
}
SYSCALL2(rt_sigpending);

static long sigaltstack_set(const stack_t *ss)
{
	int mode = ss->ss_flags & ~(int)SS_FLAG_BITS;

	if (ss->ss_flags & ~(SS_MODE_MASK | (int)SS_FLAG_BITS))
		return -EINVAL;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		current->sigaltstack = (stack_t){ .ss_flags = SS_DISABLE };
		return 0;
	}
	if (ss->ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	current->sigaltstack = *ss;
	current->sigaltstack.ss_flags &= (int)SS_FLAG_BITS; /* ONSTACK = 0 */
	return 0;
}

/* Handlers never run yet, so the alternate stack is never in use. */
long sys_sigaltstack(uintptr_t uss, uintptr_t uoss)
{
	stack_t ss, old = current->sigaltstack;
	long err;

	if (uss) {
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		err = sigaltstack_set(&ss);
		if (err)
			return err;
	}
	if (uoss && copy_to_user(uoss, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL2(sigaltstack);

/* Send sig to ourselves after the target checks; 0 is "may I?" only. */
static long send_self(uint64_t sig)
{
	if (sig > PROC_NSIG)
		return -EINVAL;
	if (sig)
		signal_raise((int)sig);
	return 0;
}

/*
 * pid > 0 names a process, 0 our group, -1 everyone we may signal
 * (except init, ourselves: nobody, -ESRCH as Linux), < -1 group -pid.
 */
long sys_kill(uint64_t upid, uint64_t sig)
{
	int pid = (int)upid;

	if (sig > PROC_NSIG)
		return -EINVAL;
	if (pid == -1)
		return -ESRCH;
	if (pid == current->pid || pid == 0 || pid == -current->pgid)
		return send_self(sig);
	return -ESRCH;
}
SYSCALL2(kill);

long sys_tkill(uint64_t tid, uint64_t sig)
{
	if ((int)tid <= 0)
		return -EINVAL;
	if ((int)tid != current->pid)
		return -ESRCH;
	return send_self(sig);
}
SYSCALL2(tkill);

long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig)
{
	if ((int)tgid <= 0 || (int)tid <= 0)
		return -EINVAL;
	if ((int)tgid != current->pid || (int)tid != current->pid)
		return -ESRCH;
	return send_self(sig);
}
SYSCALL3(tgkill);
