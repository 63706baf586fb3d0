/* sched.h - threads, the scheduler, sleeping and waking. */
#ifndef KILN_CORE_SCHED_H
#define KILN_CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

/*
 * One CPU, preemptive: a thread runs until it blocks, yields, or its time
 * slice (10 ms, LAPIC one-shot timer) ends while another thread is
 * runnable. The kernel runs with interrupts off except in the idle loop,
 * so "check a condition, then sleep" cannot miss a wake-up: nothing else
 * runs between the two. Interrupt handlers may wake threads.
 * With nothing runnable the CPU halts until the next deadline (tickless:
 * no timer at all when no thread sleeps with a deadline).
 *
 * The process-wide state (files, memory, cwd) is struct proc
 * (core/proc.h, `current`); per-thread state is here (`current_thread`).
 */
enum thread_state { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD };

#define THREAD_STACK_SIZE 16384 /* kernel stack, above an unmapped guard page */
#define THREAD_FPU_SIZE 512	/* FXSAVE area */
/* A thread's name (comm) with its NUL: Linux's TASK_COMM_LEN */
#define THREAD_COMM_LEN 16

struct thread {
	int tid;
	enum thread_state state;
	struct proc *proc;
	uint64_t kstack_top; /* trap frames from user mode go below it */
	void *kstack_alloc;  /* NULL for the first thread (boot stack) */
	uint64_t saved_rsp;  /* while switched out (switch.S) */
	uint64_t fs_base;    /* saved at switch-out: wrfsbase is unseen */
	uint8_t fpu[THREAD_FPU_SIZE] __attribute__((aligned(16)));
	bool fpu_valid; /* fpu holds a saved user state */
	/* Sleeping */
	uint64_t deadline_ns;	   /* time_ns() to wake at; 0: none */
	bool interruptible;	   /* a signal ends the sleep */
	bool woken;		   /* sched_wakeup ran since the sleep began */
	struct thread *run_next;   /* run queue / sleeper list link */
	struct thread *all_next;   /* every live thread; all_pprev points */
	struct thread **all_pprev; /* at what points at this one */
	/* Linux per-thread state */
	uintptr_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
	uintptr_t robust_list;	   /* set_robust_list */
	uint64_t sigmask;	   /* blocked signals (bit n-1: signal n) */
	uint64_t sigpending;	   /* pending for this thread only */
	uint64_t altstack_sp, altstack_size; /* sigaltstack */
	int altstack_flags;	 /* SS_AUTODISARM; size 0: disabled */
	uint64_t sigmask_saved;	 /* restored after a handler (sigsuspend) */
	bool sigmask_restore;	 /* sigmask_saved is to be restored */
	int16_t sigcode[64];	 /* si_code of each pending signal */
	uint64_t syscall_nr;	 /* of the last syscall (restarts) */
	uintptr_t set_child_tid; /* CLONE_CHILD_SETTID: written at first run */
	bool vfork_waiting;	 /* in vfork until the child execs or exits */
	/* linux/sys_time.c: a sleep restart_syscall resumes (restart block) */
	uint64_t restart_deadline;
	uintptr_t restart_urem;
	bool restart_sleep;
	uint64_t cpu_ns; /* core/sched.c: time run, up to its last switch */
	/* linux/trace.c: the traced syscall not yet shown; NULL: none */
	const uint64_t *trace_args;
	uint64_t trace_nr;
	/*
	 * linux/sys_info.c: the name (comm) of a thread that is not its
	 * process's first; the first thread's is its proc's comm, which
	 * outlives it (Linux keeps a group leader that ended until the
	 * group is reaped). NUL-terminated.
	 */
	char comm[THREAD_COMM_LEN];
};

/* The user-mode frame of thread t (at the top of its kernel stack). */
static inline struct trap_frame *thread_frame(struct thread *t)
{
	return (struct trap_frame *)t->kstack_top - 1;
}

extern struct thread *current_thread;

/* The first thread (the boot stack), for proc p. */
void sched_init(struct proc *p);

/*
 * A new thread of proc p whose first return to user mode uses frame (copied
 * onto its own kernel stack). Runnable at once. NULL when out of memory.
 */
struct thread *thread_create(struct proc *p, const struct trap_frame *frame);

/*
 * End the calling thread (never the last one: the caller ends the process
 * then). Its stack is freed once another thread runs.
 */
_Noreturn void thread_exit(int status);

/* Find a live thread by tid (NULL if none). */
struct thread *thread_find(int tid);

/*
 * CPU time in ns: of thread t (up to now when it is running); of process
 * p, its live threads' plus those that ended. Any caller, no locks.
 */
uint64_t sched_thread_cpu_ns(const struct thread *t);
uint64_t sched_proc_cpu_ns(const struct proc *p);

/* Live threads of the current process; of all processes. */
int sched_thread_count(void);
int sched_thread_count_all(void);

/*
 * Call fn for every live thread of every process (fn must neither create
 * nor end threads); callers pick a process's by t->proc.
 */
void thread_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx);

/* Nanoseconds the CPU spent halted with nothing to run. */
uint64_t sched_idle_ns(void);

/* Give up the CPU to another runnable thread, if any. */
void sched_yield_cpu(void);

/*
 * A deadline (time_ns() clock) at or after this, 292 years of uptime,
 * never comes: sleepers and ktimers this far out arm no LAPIC timer, so
 * a thread that sleeps "forever" (sleep infinity: a timeout Linux clamps
 * to KTIME_MAX) costs no interrupts while it waits.
 */
#define SCHED_NEVER_NS ((uint64_t)INT64_MAX)

/*
 * Block the calling thread until sched_wakeup, the deadline (time_ns()
 * clock, 0 = none) or, when interruptible, a pending signal.
 * Returns 0 (woken), -ETIMEDOUT or -EINTR. Callers re-check their
 * condition in a loop: wake-ups may be spurious.
 */
int sched_sleep(uint64_t deadline_ns, bool interruptible);

/*
 * Run as a thread with trace_args set goes to sleep (the syscall tracer
 * shows a call that blocks before it returns, as strace's unfinished
 * lines). Set by linux/trace.c; any context a sleep is.
 */
extern void (*sched_sleep_hook)(struct thread *t);

/* Make t runnable if it sleeps (any context, interrupts included). */
void sched_wakeup(struct thread *t);

/* Called on every return to user mode: switch if the slice is over. */
void sched_preempt_point(void);

/* Written only by sched.c (timer interrupts included); read below. */
extern bool sched_need_resched, sched_timers_due;

/*
 * True when sched_preempt_point has something to do: the syscall return
 * path tests this inline and calls nothing when it is false.
 */
static inline bool sched_preempt_pending(void)
{
	return sched_need_resched | sched_timers_due;
}

/*
 * Wait queues: a thread may wait on several at once (poll, epoll) with one
 * waiter node each. The pattern, with interrupts off as always in the
 * kernel:
 *
 *     struct waiter w;
 *     wait_add(&q, &w);
 *     while (!condition && (err = sched_sleep(deadline, true)) == 0)
 *             ;
 *     wait_remove(&w);
 */
struct waiter {
	struct thread *thread;
	struct waiter *next;
	struct wait_queue *queue;
};

struct wait_queue {
	struct waiter *head;
};

void wait_add(struct wait_queue *q, struct waiter *w);
void wait_remove(struct waiter *w);
/* Wake every waiter (they stay queued until they wait_remove). */
void wake_up(struct wait_queue *q);

/*
 * Kernel timers: fn(t) runs from the timer interrupt (interrupts off, no
 * sleeping; it may wake threads) once time_ns() >= deadline_ns. Re-arming
 * from fn is allowed (periodic timers). A timer is armed at most once.
 */
struct ktimer {
	uint64_t deadline_ns;
	void (*fn)(struct ktimer *t);
	struct ktimer *next;
	bool armed;
};

void ktimer_arm(struct ktimer *t, uint64_t deadline_ns,
		void (*fn)(struct ktimer *t));
void ktimer_cancel(struct ktimer *t);

/*
 * True when t has an unblocked signal pending (its own or the process's;
 * the signal code sets them). Interruptible sleeps end with -EINTR then.
 */
bool signal_pending(struct thread *t);

/*
 * -ERESTARTSYS: what a blocking syscall returns when a signal interrupted
 * it. The signal code turns it into -EINTR, or restarts the call when the
 * handler has SA_RESTART (or no handler ran), as Linux does.
 */
#define ERESTARTSYS 512

#endif
