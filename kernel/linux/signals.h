/* signals.h - signal state shared by the signal files; the rest of the kernel sends signals through linux/sigdeliver.h. */
#ifndef KILN_LINUX_SIGNALS_H
#define KILN_LINUX_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/siginfo.h>
#include <asm/signal.h>

#include "arch.h"

struct thread;

#define SIG_BIT(sig) (1ULL << ((sig)-1))
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define SIGSET_SIZE 8 /* the only sigsetsize Linux x86_64 accepts */

/*
 * Linux's internal restart codes (include/linux/errno.h), never seen by
 * the app: signal_return_to_user turns them into -EINTR or a restart.
 * ERESTARTSYS (core/sched.h): restart unless a handler without
 * SA_RESTART runs. ERESTARTNOHAND: restart only when no handler runs
 * (pause, sigsuspend). ERESTARTNOINTR: always restart, after the
 * handler if one runs (FUTEX_LOCK_PI).
 */
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
/*
 * ERESTART_RESTARTBLOCK: restart through restart_syscall, which resumes
 * what the thread's restart state says (a sleep to its old deadline), as
 * Linux's restart_block; a handler makes it -EINTR.
 */
#define ERESTART_RESTARTBLOCK 516

/* What a pending or delivered signal carries (the siginfo we report). */
struct signal_info {
	int signo;
	int code;      /* SI_USER, SI_TKILL, SI_KERNEL, SEGV_MAPERR, ... */
	uint64_t addr; /* faults: si_addr */
	/* SI_TIMER (linux/posix_timer.c): si_timerid, si_overrun, si_value;
	 * value is also SI_MESGQ's (linux/mqueue.c) */
	int timerid, overrun;
	uint64_t value;
	/* SI_USER: the sender; SIGCHLD (CLD_*): the child and its status */
	int pid, status;
	uint32_t uid;
};

/* The siginfo_t the app sees for info (zeroed, then filled). */
void signal_fill_siginfo(siginfo_t *si, const struct signal_info *info);

/* 1..64 */
bool signal_valid(uint64_t sig);

/* True when sig's disposition throws it away (SIG_IGN, default ignore). */
bool signal_ignored(int sig);

/*
 * True when sig sent to t (NULL: the process) would be thrown away at
 * once: ignored and not blocked where it is sent.
 */
bool signal_dropped(struct thread *t, int sig);
/* The same for process p when t is NULL (a timer's owner). */
struct proc;
bool signal_dropped_by(struct proc *p, struct thread *t, int sig);

/*
 * Make sig pending on t (NULL: the process) with si_code code, unless it
 * would be ignored there; wakes the threads that could take it. Any
 * context (interrupts included).
 */
void signal_send(struct thread *t, int sig, int code);

/*
 * signal_send with the whole siginfo, to t or (t NULL) to process p:
 * kill to another process, SIGCHLD to a parent.
 */
struct proc;
void signal_send_info(struct proc *p, struct thread *t,
		      const struct signal_info *info);

/*
 * sig (0: only check) with si_code code to every live process of group
 * pgid, without kill's permission checks: the terminal's ^C, ^\ and ^Z
 * (SI_KERNEL). 0, or -ESRCH when the group has no live process. Any
 * context (it only walks the process table and queues).
 */
int signal_send_pgrp(int pgid, int sig, int code);

/*
 * Take the lowest pending signal of set for t (its own first, then the
 * process's) into *info; 0 when none, else the signal number.
 */
int signal_dequeue(struct thread *t, uint64_t set, struct signal_info *info);

/*
 * SIGALRM was taken (dequeued): a periodic ITIMER_REAL is re-armed for
 * its next period then (sys_itimer.c), as Linux's dequeue_signal does.
 */
void itimer_real_taken(void);

/*
 * A signal with si_code SI_TIMER was taken from owner's pending set
 * (NULL: the process's): fill info's timer fields and re-arm a periodic
 * timer, as Linux's posixtimer_rearm (linux/posix_timer.c). False when
 * no timer stands behind it any more (deleted or re-set): drop it.
 */
bool posix_timer_taken(struct thread *owner, struct signal_info *info);

/* True when a timer's signal sig waits for owner (NULL: the process). */
bool posix_timer_queued(struct thread *owner, int sig);

/*
 * rt_sigaction replaced SIG_IGN for sig by a handler: periodic timers
 * parked while it was ignored get their signal queued now
 * (linux/posix_timer.c).
 */
void posix_timer_unignored(int sig);

/*
 * Whether sig pends on the calling thread itself, and taking it back
 * (RWF_NOSIGNAL: the SIGPIPE a write raised that the app asked not to get).
 */
bool signal_thread_pending(int sig);
void signal_thread_drop(int sig);

/* Pending for t (its own and the process's), blocked or not. */
uint64_t signal_pending_set(struct thread *t);

/* The user-mode frame of the calling thread's syscall or trap. */
struct trap_frame *signal_user_frame(void);

/* True when sp lies on t's alternate signal stack. */
bool signal_on_altstack(const struct thread *t, uint64_t sp);

/*
 * Build the rt_sigframe for handler act of info->signo on the user stack
 * (or the alternate stack) and point f at the handler; saved_mask goes
 * into uc_sigmask. 0, or -EFAULT when the frame cannot be written (the
 * caller then kills with SIGSEGV).
 */
int signal_frame_setup(struct trap_frame *f, const struct signal_info *info,
		       const struct sigaction *act, uint64_t saved_mask);

/*
 * The most stack signal_frame_setup takes on an alternate stack (no red
 * zone), for AT_MINSIGSTKSZ: Linux's max_frame_size for the FPU state
 * size the frame carries.
 */
uint64_t signal_frame_max_size(void);

/* The default action of sig: log the kill line and end the process. */
_Noreturn void signal_kill(int sig, uint64_t rip, uint64_t addr);

/*
 * kill(2) of process p with sig (0: only check): -EPERM when the caller
 * may not signal it (Linux's uid rule); a zombie takes it silently.
 */
int signal_kill_proc(struct proc *p, int sig);

/* Signals readable from signalfds changed (new ones pending). */
void signalfd_notify(void);

/* Compatibility for older callers: signal_send_thread(current_thread, sig). */
void signal_raise(int sig);

/*
 * execve's signal reset for the thread t that runs it: handled signals
 * go back to SIG_DFL (ignored stay ignored), flags and masks of every
 * action are cleared, the alternate stack is off. The mask and pending
 * signals stay.
 */
void signal_exec(struct thread *t);

#endif
