/* signal.c - signal delivery: pending sets, restarts, handlers and default actions. */
#include "linux/sigdeliver.h"

#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/signal.h>
#include <asm/unistd_64.h>

#include "core/printk.h"
#include "core/sched.h"
#include "linux/jobctl.h"
#include "linux/proc.h"
#include "linux/signals.h"

/*
 * Signals pend in two sets, as in Linux: the thread's own (tkill, faults,
 * SIGPIPE) and the process's (kill, timers), one instance per signal
 * (real-time signals are not queued). A pending signal is acted on at the
 * next return to user mode of a thread that does not block it.
 */

/* Default action "ignore"; the stop signals stop (linux/jobctl.c). */
#define DEFAULT_IGNORE                                           \
	(SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | \
	 SIG_BIT(SIGWINCH))

bool signal_valid(uint64_t sig)
{
	return sig >= 1 && sig <= PROC_NSIG;
}

static bool ignored_by(const struct proc *p, int sig)
{
	__sighandler_t h = p->sigactions[sig - 1].sa_handler;

	return h == SIG_IGN ||
	       (h == SIG_DFL && (DEFAULT_IGNORE & SIG_BIT(sig)));
}

bool signal_ignored(int sig)
{
	return ignored_by(current, sig);
}

uint64_t signal_pending_set(struct thread *t)
{
	return t->sigpending | t->proc->sigpending;
}

struct trap_frame *signal_user_frame(void)
{
	return thread_frame(current_thread);
}

bool signal_on_altstack(const struct thread *t, uint64_t sp)
{
	return sp - t->altstack_sp < t->altstack_size;
}

static void wake_one(struct thread *t, void *ctx)
{
	if (t->proc == ctx)
		sched_wakeup(t);
}

/*
 * Linux's sig_ignored: the mask that counts for a process-directed signal
 * is the main thread's (the group leader's), whoever is running; the
 * running thread only when the main one has exited.
 */
static bool dropped(struct proc *p, struct thread *t, int sig)
{
	struct thread *mask_of = t ? t : thread_find(p->pid);

	if (mask_of == NULL || mask_of->proc != p)
		mask_of = p == current ? current_thread : NULL;
	return ignored_by(p, sig) &&
	       !(mask_of && (mask_of->sigmask & SIG_BIT(sig)));
}

bool signal_dropped_by(struct proc *p, struct thread *t, int sig)
{
	return dropped(t ? t->proc : p, t, sig);
}

bool signal_dropped(struct thread *t, int sig)
{
	return dropped(t ? t->proc : current, t, sig);
}

/*
 * Every thread is woken, even those blocking sig: one may be waiting for
 * it in sigtimedwait. Wake-ups are allowed to be spurious.
 */
void signal_send_info(struct proc *p, struct thread *t,
		      const struct signal_info *info)
{
	uint64_t *pending = t ? &t->sigpending : &p->sigpending;
	int16_t *codes = t ? t->sigcode : p->sigcode;
	int sig = info->signo;

	jobctl_prepare_signal(t ? t->proc : p, sig);
	if (dropped(p, t, sig))
		return; /* Linux drops these at once */
	/*
	 * One instance per signal, and the first one's siginfo stays, as
	 * Linux's legacy_queue keeps it. A timer whose signal finds another
	 * pending keeps its own place in line (it is queued: signal_dequeue
	 * puts the signal back for it).
	 */
	if (!(*pending & SIG_BIT(sig))) {
		*pending |= SIG_BIT(sig);
		codes[sig - 1] = (int16_t)info->code;
		if (!t) { /* the sender (or the child, for SIGCHLD) */
			p->sigpid[sig - 1] = info->pid;
			p->siguid[sig - 1] = info->uid;
			p->sigstatus[sig - 1] = info->status;
			p->sigvalue[sig - 1] = info->value;
		}
	}
	if (t)
		sched_wakeup(t);
	else
		thread_for_each(wake_one, p);
	signalfd_notify();
}

void signal_send(struct thread *t, int sig, int code)
{
	struct proc *p = t ? t->proc : current;

	signal_send_info(p, t,
			 &(struct signal_info){ .signo = sig,
						.code = code,
						.pid = current->pid,
						.uid = current->cred.uid });
}

struct pgrp_req {
	int pgid, found;
	struct signal_info info;
};

static void pgrp_each(struct proc *p, void *ctx)
{
	struct pgrp_req *r = ctx;

	if (p->pgid != r->pgid || p->state != PROC_LIVE)
		return;
	r->found++;
	if (r->info.signo != 0)
		signal_send_info(p, NULL, &r->info);
}

int signal_send_pgrp(int pgid, int sig, int code)
{
	/* SI_KERNEL names no sender (Linux's SEND_SIG_PRIV: pid 0, uid 0) */
	struct pgrp_req r = { .pgid = pgid,
			      .info = { .signo = sig, .code = code } };

	if (pgid <= 0)
		return -ESRCH;
	if (code != SI_KERNEL) {
		r.info.pid = current->pid;
		r.info.uid = current->cred.uid;
	}
	proc_for_each(pgrp_each, &r);
	return r.found ? 0 : -ESRCH;
}

void signal_send_thread(struct thread *t, int sig)
{
	if (signal_valid((uint64_t)sig))
		signal_send(t, sig, SI_USER); /* as Linux's send_sig */
}

void signal_send_process(int sig)
{
	if (signal_valid((uint64_t)sig))
		signal_send(NULL, sig, SI_KERNEL);
}

void signal_raise(int sig)
{
	signal_send_thread(current_thread, sig);
}

/*
 * A timer's signal whose timer was deleted or re-set before it was taken
 * is dropped here and the next one taken instead, as Linux 6.13 and later.
 */
int signal_dequeue(struct thread *t, uint64_t set, struct signal_info *info)
{
	struct thread *owner;
	uint64_t own, shared;
	int sig;

again:
	own = t->sigpending & set;
	shared = t->proc->sigpending & set;
	*info = (struct signal_info){ 0 };
	owner = NULL;
	if (own) {
		sig = __builtin_ctzll(own) + 1;
		t->sigpending &= ~SIG_BIT(sig);
		info->code = t->sigcode[sig - 1];
		owner = t;
		info->pid = current->pid; /* tkill: not kept per thread */
		info->uid = current->cred.uid;
	} else if (shared) {
		sig = __builtin_ctzll(shared) + 1;
		t->proc->sigpending &= ~SIG_BIT(sig);
		info->code = t->proc->sigcode[sig - 1];
		info->pid = t->proc->sigpid[sig - 1];
		info->uid = t->proc->siguid[sig - 1];
		info->status = t->proc->sigstatus[sig - 1];
		info->value = t->proc->sigvalue[sig - 1];
	} else {
		return 0;
	}
	info->signo = sig;
	if (info->code == SI_TIMER && !posix_timer_taken(owner, info))
		goto again;
	if (sig == SIGALRM) /* any SIGALRM, as Linux's dequeue_signal */
		itimer_real_taken();
	/* Another entry for sig: a timer's, queued behind this one. */
	if (posix_timer_queued(owner, sig)) {
		if (owner) {
			t->sigpending |= SIG_BIT(sig);
			t->sigcode[sig - 1] = SI_TIMER;
		} else {
			t->proc->sigpending |= SIG_BIT(sig);
			t->proc->sigcode[sig - 1] = SI_TIMER;
		}
	}
	return sig;
}

bool signal_thread_pending(int sig)
{
	return current_thread->sigpending & SIG_BIT(sig);
}

void signal_thread_drop(int sig)
{
	current_thread->sigpending &= ~SIG_BIT(sig);
}

_Noreturn void signal_kill(int sig, uint64_t rip, uint64_t addr)
{
	/* `kiln run` reports the first form: the app (pid 1) died of it. */
	if (current->pid == 1)
		printk("kiln: killed by signal %d (%s) at rip 0x%lx, "
		       "address 0x%lx\n",
		       sig, signal_name(sig), rip, addr);
	else
		printk("kiln: pid %d (%s) killed by signal %d (%s) at rip "
		       "0x%lx\n",
		       current->pid, proc_comm(current), sig, signal_name(sig),
		       rip);
	proc_exit(0, sig);
}

/*
 * Run act's handler for info: the frame saves saved_mask, then the mask
 * during the handler is the current one | sa_mask | sig (unless
 * SA_NODEFER). An unwritable stack kills with SIGSEGV, as Linux's
 * force_sigsegv.
 */
static void deliver(struct trap_frame *f, struct thread *t,
		    const struct signal_info *info)
{
	struct sigaction *act = &current->sigactions[info->signo - 1];

	if (signal_frame_setup(f, info, act,
			       t->sigmask_restore ? t->sigmask_saved :
						    t->sigmask))
		signal_kill(SIGSEGV, f->rip, 0);
	t->sigmask_restore = false;
	t->sigmask |= act->sa_mask;
	if (!(act->sa_flags & SA_NODEFER))
		t->sigmask |= SIG_BIT(info->signo);
	t->sigmask &= ~SIG_UNBLOCKABLE;
	if (act->sa_flags & SA_RESETHAND)
		act->sa_handler = SIG_DFL;
}

/*
 * The interrupted call starts over: same number (restart_syscall for a
 * restart block), rip back on `syscall`.
 */
static void restart_syscall(struct trap_frame *f, struct thread *t)
{
	if ((long)f->rax == -ERESTART_RESTARTBLOCK)
		f->rax = __NR_restart_syscall;
	else
		f->rax = t->syscall_nr;
	f->rip -= 2;
}

/* A handler is about to run after a syscall that returned err. */
static void restart_or_eintr(struct trap_frame *f, struct thread *t, long err,
			     unsigned long sa_flags)
{
	if ((err == -ERESTARTSYS && (sa_flags & SA_RESTART)) ||
	    err == -ERESTARTNOINTR)
		restart_syscall(f, t);
	else
		f->rax = (uint64_t)-EINTR;
	t->restart_sleep = false; /* a handler ran: nothing to resume */
}

/* A syscall result the signal code must settle (never seen by the app). */
static bool needs_restart(const struct trap_frame *f, const struct thread *t)
{
	long err = (long)f->rax;

	return f->vector == TRAP_SYSCALL &&
	       t->syscall_nr != __NR_rt_sigreturn &&
	       (err == -ERESTARTSYS || err == -ERESTARTNOHAND ||
		err == -ERESTARTNOINTR || err == -ERESTART_RESTARTBLOCK);
}

void signal_return_to_user(struct trap_frame *f)
{
	struct thread *t = current_thread;
	bool restart = needs_restart(f, t);
	struct signal_info info;

	if (current->stopped) /* another thread stopped the process */
		jobctl_park();
	while (signal_dequeue(t, ~t->sigmask, &info)) {
		const struct sigaction *act =
			&current->sigactions[info.signo - 1];

		if (signal_ignored(info.signo))
			continue;
		if (act->sa_handler == SIG_DFL &&
		    jobctl_stop_signal(info.signo)) {
			jobctl_stop(info.signo);
			continue;
		}
		if (act->sa_handler == SIG_DFL)
			signal_kill(info.signo, f->rip, 0);
		if (restart)
			restart_or_eintr(f, t, (long)f->rax, act->sa_flags);
		restart = false;
		deliver(f, t, &info); /* more pending: nested frames */
	}
	if (restart)
		restart_syscall(f, t);
	if (t->sigmask_restore) {
		t->sigmask = t->sigmask_saved;
		t->sigmask_restore = false;
	}
}

/*
 * Like Linux's force_sig: a fault the thread blocks, ignores or has no
 * handler for ends the process with the log lines `kiln run` reports.
 */
void signal_fault(struct trap_frame *f, int sig, int code, uint64_t addr)
{
	struct thread *t = current_thread;
	__sighandler_t h = current->sigactions[sig - 1].sa_handler;
	struct signal_info info = { .signo = sig, .code = code, .addr = addr };

	if (sig == SIGKILL || h == SIG_DFL || h == SIG_IGN ||
	    (t->sigmask & SIG_BIT(sig))) {
		printk("kiln: user exception: vector %lu, error 0x%lx, cs 0x%lx, "
		       "rsp 0x%lx\n",
		       f->vector, f->error, f->cs, f->rsp);
		signal_kill(sig, f->rip, f->vector == 14 ? addr : 0);
	}
	deliver(f, t, &info);
}
