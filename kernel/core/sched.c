/* sched.c - threads, the run queue, sleeping and waking, kernel timers, preemption. */
#include "core/sched.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/panic.h"
#include "core/proc.h"
#include "core/uaccess.h"
#include "lib/string.h"

#define SLICE_NS 10000000ULL /* 10 ms */
/*
 * A timer armed for a deadline already past is run by the next preempt
 * point (syscall or trap return) or by schedule(), long before this: the
 * LAPIC is armed this far out only as a backstop for kernel loops that
 * wait for interrupts (net_flush), not for now + 1 us on every loopback
 * segment. Under TCG each such arm and fire is a trip through QEMU's
 * timer thread: the bulk of a loopback TCP round trip's time. At 1 ms
 * it fires once per ~40 loopback round trips; at 200 us, once per 10,
 * which cost a quarter of the round trip's time.
 */
#define TIMER_DUE_BACKSTOP_NS 1000000ULL

struct thread *current_thread;

/* A stopping process's threads leave their sleeps to park (jobctl.c). */
bool signal_pending(struct thread *t)
{
	return ((t->sigpending | t->proc->sigpending) & ~t->sigmask) != 0 ||
	       t->proc->stopped;
}

static struct thread boot_thread;
static struct thread *run_head, *run_tail; /* runnable, not running */
static struct thread *sleepers;		   /* blocked with a deadline */
static struct thread *all_threads;
static struct thread *zombies; /* dead; stacks freed later */
static struct ktimer *timers;  /* armed, sorted by deadline */
static int next_tid = 2, nthreads;
bool sched_need_resched; /* exported for sched_preempt_pending */
static uint64_t slice_end, idle_ns;
/* time_ns() up to which the running thread's cpu_ns is charged */
static uint64_t charged_to;
/* The deadline the LAPIC timer counts towards, 0 when it is not counting */
static uint64_t lapic_armed_for;
/* A timer was armed for a deadline already past: run it at a safe point */
bool sched_timers_due;

static void timer_reprogram(void);
static void timers_run_due(uint64_t now);

void sched_init(struct proc *p)
{
	extern char boot_stack_top[];

	boot_thread.tid = 1; /* the first thread's tid is the pid */
	boot_thread.proc = p;
	boot_thread.state = THREAD_RUNNABLE;
	boot_thread.kstack_top = (uint64_t)boot_stack_top;
	all_threads = current_thread = &boot_thread;
	boot_thread.all_pprev = &all_threads;
	nthreads = 1;
	p->nthreads = 1;
	charged_to = time_ns();
}

/*
 * CPU time: at every switch (and before halting idle) the thread that ran
 * is charged the time since the last charge; the halted time is skipped.
 * Kernel time (syscalls, interrupts) counts as the running thread's, all
 * of it as user time: Kiln does not split system time out.
 */
static void cpu_charge(void)
{
	uint64_t now = time_ns();

	current_thread->cpu_ns += now - charged_to;
	charged_to = now;
}

uint64_t sched_thread_cpu_ns(const struct thread *t)
{
	if (t == current_thread)
		return t->cpu_ns + (time_ns() - charged_to);
	return t->cpu_ns;
}

uint64_t sched_proc_cpu_ns(const struct proc *p)
{
	uint64_t ns = p->cpu_dead_ns;

	for (struct thread *t = all_threads; t; t = t->all_next)
		if (t->proc == p)
			ns += sched_thread_cpu_ns(t);
	return ns;
}

static void enqueue(struct thread *t)
{
	t->run_next = NULL;
	if (run_tail)
		run_tail->run_next = t;
	else
		run_head = t;
	run_tail = t;
}

static struct thread *dequeue(void)
{
	struct thread *t = run_head;

	if (t) {
		run_head = t->run_next;
		if (!run_head)
			run_tail = NULL;
	}
	return t;
}

static void sleeper_remove(struct thread *t)
{
	for (struct thread **l = &sleepers; *l; l = &(*l)->run_next)
		if (*l == t) {
			*l = t->run_next;
			return;
		}
}

/*
 * The running thread is never on the run queue: schedule() puts it there
 * when it switches away while still runnable. So a thread woken while it
 * is the current one (from its own idle wait) only changes state.
 */
static void make_runnable(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	if (t != current_thread)
		enqueue(t);
}

void sched_wakeup(struct thread *t)
{
	t->woken = true;
	if (t->state != THREAD_BLOCKED)
		return;
	if (t->deadline_ns)
		sleeper_remove(t);
	make_runnable(t);
	if (t != current_thread)
		timer_reprogram(); /* the running thread's slice now matters */
}

/* Free what dead threads left, from any stack but theirs. */
static void reap(void)
{
	while (zombies && zombies != current_thread) {
		struct thread *z = zombies;

		zombies = z->run_next;
		if (z->kstack_alloc)
			kstack_free(z->kstack_top, THREAD_STACK_SIZE);
		if (z != &boot_thread)
			kfree(z);
	}
}

static void switch_to(struct thread *prev, struct thread *next)
{
	arch_fpu_save(prev->fpu);
	prev->fpu_valid = true;
	prev->fs_base = arch_get_fs_base();
	current_thread = next;
	current = next->proc;
	paging_as_activate(current->as); /* nothing when they share it */
	arch_set_kernel_stack(next->kstack_top);
	arch_set_fs_base(next->fs_base);
	if (next->fpu_valid)
		arch_fpu_load(next->fpu);
	arch_switch(&prev->saved_rsp, next->saved_rsp);
}

/* Nothing to run: halt until an interrupt makes something runnable. */
static void idle_wait(void)
{
	uint64_t t0;

	cpu_charge();
	t0 = charged_to;
	timer_reprogram();
	cpu_wait_irq();
	charged_to = time_ns();
	idle_ns += charged_to - t0;
}

static void schedule(void)
{
	struct thread *prev = current_thread, *next;

	/* A thread going to sleep: what an interrupt would run, runs now. */
	if (prev->state != THREAD_RUNNABLE && sched_timers_due)
		timers_run_due(time_ns());
	while (!(next = dequeue())) {
		if (prev->state == THREAD_RUNNABLE) {
			next = prev;
			break;
		}
		if (sched_timers_due) { /* armed by the interrupt that woke us */
			timers_run_due(time_ns());
			continue;
		}
		idle_wait();
	}
	if (next != prev && prev->state == THREAD_RUNNABLE)
		enqueue(prev);
	cpu_charge();
	sched_need_resched = false;
	slice_end = time_ns() + SLICE_NS;
	if (next != prev)
		switch_to(prev, next);
	reap();
	timer_reprogram();
}

/* A new thread's first code in the kernel (switch.S), before user mode. */
void sched_thread_started(void);

void sched_thread_started(void)
{
	struct thread *t = current_thread;
	uint32_t tid = (uint32_t)t->tid;

	/* Linux's schedule_tail: in the child's own memory, fault ignored. */
	if (t->set_child_tid)
		(void)copy_to_user(t->set_child_tid, &tid, sizeof(tid));
	reap();
	timer_reprogram();
}

void sched_yield_cpu(void)
{
	sched_need_resched = true;
	schedule();
}

/*
 * Timers armed for a deadline already past (a loopback packet's delivery)
 * run here on the way back to user mode, as Linux runs softirqs on the
 * way out of a system call, instead of waiting for the LAPIC interrupt:
 * that costs a round trip through the host's timer (often a millisecond
 * on a loaded host).
 */
void sched_preempt_point(void)
{
	if (sched_timers_due)
		timers_run_due(time_ns());
	if (sched_need_resched)
		schedule();
}

void (*sched_sleep_hook)(struct thread *t);

int sched_sleep(uint64_t deadline_ns, bool interruptible)
{
	struct thread *t = current_thread;

	if (interruptible && signal_pending(t))
		return -EINTR;
	if (deadline_ns && time_ns() >= deadline_ns)
		return -ETIMEDOUT;
	if (t->trace_args != NULL && sched_sleep_hook != NULL)
		sched_sleep_hook(t);
	t->woken = false;
	t->deadline_ns = deadline_ns;
	t->interruptible = interruptible;
	t->state = THREAD_BLOCKED;
	if (deadline_ns) {
		t->run_next = sleepers;
		sleepers = t;
	}
	schedule();
	t->deadline_ns = 0;
	if (t->woken)
		return 0;
	if (interruptible && signal_pending(t))
		return -EINTR;
	return -ETIMEDOUT;
}

uint64_t sched_idle_ns(void)
{
	return idle_ns;
}

/* ---- threads ---- */

struct thread *thread_create(struct proc *p, const struct trap_frame *frame)
{
	struct thread *t = kzalloc(sizeof(*t));
	uint64_t *sp;

	if (!t)
		return NULL;
	t->kstack_top = kstack_alloc(THREAD_STACK_SIZE);
	if (!t->kstack_top) {
		kfree(t);
		return NULL;
	}
	t->kstack_alloc = (void *)(t->kstack_top - THREAD_STACK_SIZE);
	t->proc = p;
	t->tid = next_tid++;
	/* The frame at the top; below it what arch_switch pops (switch.S). */
	sp = (uint64_t *)(t->kstack_top - sizeof(*frame));
	memcpy(sp, frame, sizeof(*frame));
	*--sp = (uint64_t)thread_first_run;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->saved_rsp = (uint64_t)sp;
	arch_fpu_save(t->fpu); /* the creator's state, as Linux copies it */
	t->fpu_valid = true;
	t->fs_base = arch_get_fs_base();
	t->sigmask = current_thread->sigmask;
	t->all_next = all_threads;
	all_threads->all_pprev = &t->all_next; /* never empty: we run */
	t->all_pprev = &all_threads;
	all_threads = t;
	nthreads++;
	p->nthreads++;
	t->state = THREAD_RUNNABLE;
	enqueue(t);
	timer_reprogram(); /* the creator now has a slice to share */
	return t;
}

struct thread *thread_find(int tid)
{
	for (struct thread *t = all_threads; t; t = t->all_next)
		if (t->tid == tid)
			return t;
	return NULL;
}

int sched_thread_count(void)
{
	return current->nthreads;
}

int sched_thread_count_all(void)
{
	return nthreads;
}

void thread_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx)
{
	for (struct thread *t = all_threads; t; t = t->all_next)
		fn(t, ctx);
}

_Noreturn void thread_exit(int status)
{
	struct thread *t = current_thread;

	(void)status;
	*t->all_pprev = t->all_next; /* O(1): thousands may exit at once */
	if (t->all_next)
		t->all_next->all_pprev = t->all_pprev;
	nthreads--;
	cpu_charge();
	t->proc->cpu_dead_ns += t->cpu_ns;
	if (--t->proc->nthreads == 1 && t->proc->exit_waiter)
		sched_wakeup(t->proc->exit_waiter);
	t->state = THREAD_DEAD;
	t->run_next = zombies;
	zombies = t;
	schedule();
	panic("a dead thread was scheduled");
}

/* ---- kernel timers and the tick ---- */

void ktimer_cancel(struct ktimer *t)
{
	for (struct ktimer **l = &timers; *l; l = &(*l)->next)
		if (*l == t) {
			*l = t->next;
			break;
		}
	t->armed = false;
}

void ktimer_arm(struct ktimer *t, uint64_t deadline_ns,
		void (*fn)(struct ktimer *t))
{
	struct ktimer **l;

	if (t->armed)
		ktimer_cancel(t);
	t->deadline_ns = deadline_ns;
	t->fn = fn;
	t->armed = true;
	for (l = &timers; *l && (*l)->deadline_ns <= deadline_ns;
	     l = &(*l)->next)
		;
	t->next = *l;
	*l = t;
	if (deadline_ns <= time_ns())
		sched_timers_due = true;
	timer_reprogram();
}

/* Run every kernel timer whose deadline has passed. */
static void timers_run_due(uint64_t now)
{
	sched_timers_due = false;
	while (timers && timers->deadline_ns <= now) {
		struct ktimer *k = timers;

		timers = k->next;
		k->armed = false;
		k->fn(k);
	}
}

static void timer_tick(void)
{
	uint64_t now = time_ns();

	lapic_armed_for = 0; /* it fired: nothing is counting now */
	timers_run_due(now);
	for (struct thread *t = sleepers, *next; t; t = next) {
		next = t->run_next;
		if (t->deadline_ns <= now) {
			sleeper_remove(t);
			make_runnable(t);
		}
	}
	if (run_head &&
	    (now >= slice_end || current_thread->state != THREAD_RUNNABLE))
		sched_need_resched = true;
	timer_reprogram();
}

/*
 * When the LAPIC must next fire for the kernel timers: the first one's
 * deadline, but timers already due (sched_timers_due) are the next preempt
 * point's, so only TIMER_DUE_BACKSTOP_NS out for them.
 */
static uint64_t timers_next(uint64_t now)
{
	uint64_t when = sched_timers_due ? now + TIMER_DUE_BACKSTOP_NS :
					   UINT64_MAX;

	for (struct ktimer *k = timers; k; k = k->next)
		if (!sched_timers_due || k->deadline_ns > now)
			return k->deadline_ns < when ? k->deadline_ns : when;
	return when;
}

/*
 * One-shot LAPIC timer for the earliest thing that needs the CPU. Writing
 * the timer is an exit to the hypervisor's APIC model, and under QEMU an
 * earlier deadline also wakes QEMU's main loop, so the count is written
 * only when the new deadline is earlier than the one counting: a timer
 * that fires for nothing (a slice that was renewed, a sleeper woken
 * early) costs one interrupt, where re-arming and stopping it on every
 * wake-up and switch cost two writes each (pipe and futex round trips).
 */
static void timer_reprogram(void)
{
	uint64_t now = time_ns(), when = timers_next(now);

	for (struct thread *t = sleepers; t; t = t->run_next)
		if (t->deadline_ns < when)
			when = t->deadline_ns;
	if (run_head && slice_end < when)
		when = slice_end;
	if (when >= SCHED_NEVER_NS)
		return; /* tickless: a count still running fires once, idly */
	if (lapic_armed_for && lapic_armed_for <= when)
		return;
	if (when < now + 1000)
		when = now + 1000;
	if (lapic_timer_oneshot(when - now, timer_tick) == 0)
		lapic_armed_for = when;
}

/* ---- wait queues ---- */

void wait_add(struct wait_queue *q, struct waiter *w)
{
	w->thread = current_thread;
	w->queue = q;
	w->next = q->head;
	q->head = w;
}

void wait_remove(struct waiter *w)
{
	for (struct waiter **l = &w->queue->head; *l; l = &(*l)->next)
		if (*l == w) {
			*l = w->next;
			break;
		}
}

void wake_up(struct wait_queue *q)
{
	for (struct waiter *w = q->head; w; w = w->next)
		sched_wakeup(w->thread);
}
