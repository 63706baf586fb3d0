/* posix_timer.c - POSIX per-process timers: timer_create, _settime, _gettime, _getoverrun, _delete. */
#include <stdbool.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/signal.h>
#include <linux/time.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/clockid.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"
#include "linux/timespec.h"

/*
 * timer_create(2) and friends, as Linux's kernel/time/posix-timers.c.
 * Times are kept on the timer's own clock (realtime or monotonic ns); a
 * ktimer (time_ns clock) fires at the next expiry and queues the signal.
 * A periodic timer is re-armed when its signal is taken
 * (posix_timer_taken, from signal_dequeue), not when it fires, as
 * Linux's posixtimer_rearm: the periods missed meanwhile become the
 * overrun, and a 1 ns timer whose signal waits blocked costs nothing
 * (re-armed at every period from the interrupt, it would livelock the
 * guest). A periodic timer whose signal is ignored when it fires is
 * parked, as Linux 6.13 and later park it: no interrupts at all until
 * rt_sigaction stops ignoring the signal (posix_timer_unignored), which
 * queues the signal at once; the periods missed become its overrun.
 */
/* Live timers per process: EAGAIN past it. */
#define TIMER_MAX 1024
/* DELAYTIMER_MAX */
#define OVERRUN_MAX 0x7fffffff

struct posix_timer {
	struct ktimer kt;
	struct posix_timer *next; /* every process's timers */
	struct proc *owner;	  /* the process that made it */
	int id;
	bool realtime;
	int notify; /* SIGEV_NONE, SIGEV_SIGNAL or SIGEV_THREAD_ID */
	int signo;
	int tid;	   /* SIGEV_THREAD_ID: the target thread */
	uint64_t value;	   /* sigev_value */
	uint64_t expiry;   /* next expiry on the timer's clock; 0: disarmed */
	uint64_t interval; /* 0: one-shot */
	bool queued;	   /* its signal is pending, not taken yet */
	bool parked;	   /* fired while its signal was ignored */
	int overrun_last;  /* of the last signal taken: timer_getoverrun */
};

static struct posix_timer *timers;
static int timer_count;
static unsigned int next_id; /* as Linux: 0, 1, 2... never reused soon */

static uint64_t pt_now(const struct posix_timer *pt)
{
	return pt->realtime ? clock_realtime_ns() : clock_monotonic_ns();
}

static struct posix_timer *pt_find(int id)
{
	struct posix_timer *pt;

	for (pt = timers; pt; pt = pt->next)
		if (pt->id == id && pt->owner == current)
			return pt;
	return NULL;
}

static void pt_fire(struct ktimer *kt);

/* Arm the ktimer for the expiry (SIGEV_NONE timers need none). */
static void pt_arm(struct posix_timer *pt, uint64_t expiry)
{
	uint64_t now = pt_now(pt), mono = time_ns(), at;

	pt->expiry = expiry;
	if (pt->notify == SIGEV_NONE)
		return;
	at = expiry > now ? mono + (expiry - now) : mono;
	if (expiry >= TIMESPEC_MAX_NS)
		at = SCHED_NEVER_NS; /* clamped, even on the realtime clock */
	ktimer_arm(&pt->kt, at, pt_fire);
}

/* The thread a signal goes to: NULL for the process; *gone: it exited. */
static struct thread *pt_target(const struct posix_timer *pt, bool *gone)
{
	struct thread *t = NULL;

	*gone = false;
	if (pt->notify == SIGEV_THREAD_ID) {
		t = thread_find(pt->tid);
		*gone = t == NULL;
	}
	return t;
}

/* The first expiry after now counting from expiry; *missed: periods skipped. */
static uint64_t pt_forward(const struct posix_timer *pt, uint64_t now,
			   uint64_t *missed)
{
	*missed = 0;
	if (now < pt->expiry)
		return pt->expiry;
	return timespec_forward(pt->expiry, now, pt->interval, missed);
}

/* Queue the timer's signal for its target. */
static void pt_queue(struct posix_timer *pt, struct thread *t)
{
	pt->queued = true;
	if (pt->interval == 0)
		pt->expiry = 0;
	signal_send_info(
		pt->owner, t,
		&(struct signal_info){ .signo = pt->signo, .code = SI_TIMER });
}

/*
 * From the timer interrupt. Nobody to see the signal: a one-shot is
 * spent; a periodic timer is parked (ignored signal) or stops (its
 * thread is gone, as Linux finds no task to queue to).
 */
static void pt_fire(struct ktimer *kt)
{
	struct posix_timer *pt = (struct posix_timer *)kt;
	struct thread *t;
	bool gone;

	t = pt_target(pt, &gone);
	if (gone || signal_dropped_by(pt->owner, t, pt->signo)) {
		if (pt->interval == 0)
			pt->expiry = 0;
		else
			pt->parked = !gone;
		return;
	}
	pt_queue(pt, t);
}

void posix_timer_unignored(int sig)
{
	struct posix_timer *pt;
	struct thread *t;
	bool gone;

	for (pt = timers; pt; pt = pt->next) {
		if (!pt->parked || pt->signo != sig || pt->owner != current)
			continue;
		t = pt_target(pt, &gone);
		if (gone || signal_dropped(t, sig))
			continue;
		pt->parked = false;
		pt_queue(pt, t);
	}
}

/*
 * The first queued timer for sig pending on owner (a thread, or NULL for
 * the process).
 */
static struct posix_timer *pt_queued(struct thread *owner, int sig)
{
	struct posix_timer *pt;

	for (pt = timers; pt; pt = pt->next) {
		bool to_thread = pt->notify == SIGEV_THREAD_ID;

		if (pt->queued && pt->signo == sig &&
		    pt->owner == (owner ? owner->proc : current) &&
		    to_thread == (owner != NULL) &&
		    (!owner || owner->tid == pt->tid))
			return pt;
	}
	return NULL;
}

bool posix_timer_taken(struct thread *owner, struct signal_info *info)
{
	struct posix_timer *pt = pt_queued(owner, info->signo);
	uint64_t missed = 0;

	if (pt == NULL)
		return false;
	pt->queued = false;
	if (pt->interval && pt->expiry && !pt->kt.armed) {
		pt_arm(pt, pt_forward(pt, pt_now(pt), &missed));
		missed--; /* the expiry signalled is not an overrun */
	}
	pt->overrun_last = missed > OVERRUN_MAX ? OVERRUN_MAX : (int)missed;
	info->timerid = pt->id;
	info->overrun = pt->overrun_last;
	info->value = pt->value;
	return true;
}

bool posix_timer_queued(struct thread *owner, int sig)
{
	return pt_queued(owner, sig) != NULL;
}

/* Linux's good_sigevent: 0 or -EINVAL. */
static int pt_sigevent(struct posix_timer *pt, const struct sigevent *ev)
{
	struct thread *t;

	pt->notify = ev->sigev_notify;
	pt->signo = ev->sigev_signo;
	pt->value = (uint64_t)(uintptr_t)ev->sigev_value.sival_ptr;
	switch (ev->sigev_notify) {
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		t = thread_find(ev->sigev_notify_thread_id);
		if (t == NULL || t->proc != current)
			return -EINVAL;
		pt->notify = SIGEV_THREAD_ID;
		pt->tid = t->tid;
		/* fallthrough */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD: /* the C library's business: a signal to us */
		if (!signal_valid((uint64_t)ev->sigev_signo))
			return -EINVAL;
		if (pt->notify == SIGEV_THREAD)
			pt->notify = SIGEV_SIGNAL;
		return 0;
	case SIGEV_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The clocks a timer may run on: 0, -EINVAL (no such clock), or
 * -EOPNOTSUPP (Linux's clocks without timers: RAW, COARSE, the clock-fd
 * ids). The CPU-time clocks (*cpu) pass here, as Linux's, and are
 * checked last (pt_clock_last). The alarm clocks run as their bases
 * (nothing suspends a Kiln VM) once CAP_WAKE_ALARM is checked.
 */
static int pt_clock(int clockid, bool *realtime, bool *cpu)
{
	*cpu = clockid == CLOCK_PROCESS_CPUTIME_ID ||
	       clockid == CLOCK_THREAD_CPUTIME_ID ||
	       (clockid < 0 && (clockid & 7) != 3);
	*realtime = clockid == CLOCK_REALTIME || clockid == CLOCK_TAI ||
		    clockid == CLOCK_REALTIME_ALARM;
	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return 0;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP;
	default:
		if (*cpu)
			return 0;
		/* A negative id of type 3 is a clock fd: no timers. */
		return clockid < 0 ? -EOPNOTSUPP : -EINVAL;
	}
}

/*
 * Linux's clock timer_create hook, last: the alarm clocks need
 * CAP_WAKE_ALARM (-EPERM); a CPU clock id of no thread or process of
 * the caller's is -EINVAL, as Linux's posix_cpu_timer_create. Linux
 * then keeps a CPU-time timer; Kiln does not (-EOPNOTSUPP).
 */
static int pt_clock_last(int clockid, bool cpu)
{
	if (clockid_is_alarm(clockid) && !cred_wake_alarm(current_cred()))
		return -EPERM;
	if (!cpu)
		return 0;
	if (clockid < 0 && cpuclock_valid(clockid, false))
		return -EINVAL;
	return -EOPNOTSUPP;
}

long sys_timer_create(int clockid, uintptr_t uevent, uintptr_t uid)
{
	struct sigevent ev = { 0 };
	struct posix_timer *pt;
	bool realtime, cpu;
	int err;

	if (uevent && copy_from_user(&ev, uevent, sizeof(ev)))
		return -EFAULT;
	err = pt_clock(clockid, &realtime, &cpu);
	if (err)
		return err;
	if (timer_count >= TIMER_MAX)
		return -EAGAIN;
	pt = kzalloc(sizeof(*pt));
	if (pt == NULL)
		return -EAGAIN; /* as Linux, for an allocation that failed */
	pt->id = (int)(next_id++ & 0x7fffffff);
	while (pt_find(pt->id))
		pt->id = (int)(next_id++ & 0x7fffffff);
	pt->realtime = realtime;
	if (!uevent) {
		/* SIGEV_SIGNAL, SIGALRM, the timer id as the value. */
		pt->notify = SIGEV_SIGNAL;
		pt->signo = SIGALRM;
		pt->value = (uint64_t)pt->id;
	} else if ((err = pt_sigevent(pt, &ev)) < 0) {
		goto err_timer;
	}
	if (copy_to_user(uid, &pt->id, sizeof(pt->id))) {
		err = -EFAULT;
		goto err_timer;
	}
	err = pt_clock_last(clockid, cpu);
	if (err)
		goto err_timer;
	pt->owner = current;
	pt->next = timers;
	timers = pt;
	timer_count++;
	return 0;
err_timer:
	kfree(pt);
	return err;
}
SYSCALL3(timer_create);

/*
 * Linux's common_timer_get: a spent one-shot reads 0; a periodic timer
 * whose signal waits reads the time to its next period; one due but not
 * yet signalled reads 1 ns.
 */
static struct __kernel_itimerspec pt_value(const struct posix_timer *pt)
{
	struct __kernel_itimerspec v = { 0 };
	uint64_t now = pt_now(pt), next = pt->expiry, missed;

	v.it_interval = timespec_from_ns(pt->interval);
	if (next == 0)
		return v;
	if (pt->interval &&
	    (pt->queued || pt->parked || pt->notify == SIGEV_NONE))
		next = pt_forward(pt, now, &missed);
	if (next > now)
		v.it_value = timespec_from_ns(next - now);
	else if (pt->notify != SIGEV_NONE)
		v.it_value.tv_nsec = 1;
	return v;
}

long sys_timer_gettime(int id, uintptr_t ucur)
{
	struct posix_timer *pt = pt_find(id);
	struct __kernel_itimerspec v;

	if (pt == NULL)
		return -EINVAL;
	v = pt_value(pt);
	return copy_to_user(ucur, &v, sizeof(v)) ? -EFAULT : 0;
}
SYSCALL2(timer_gettime);

/* Flags other than TIMER_ABSTIME are ignored, as Linux ignores them. */
long sys_timer_settime(int id, int flags, uintptr_t unew, uintptr_t uold)
{
	struct __kernel_itimerspec nv, old;
	struct posix_timer *pt;
	uint64_t value, interval;

	if (!unew)
		return -EINVAL;
	if (copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (timespec_to_ns(&nv.it_value, &value) ||
	    timespec_to_ns(&nv.it_interval, &interval))
		return -EINVAL;
	pt = pt_find(id);
	if (pt == NULL)
		return -EINVAL;
	old = pt_value(pt);
	ktimer_cancel(&pt->kt);
	pt->queued = false; /* its signal, if pending, is dropped when taken */
	pt->parked = false;
	pt->expiry = 0;
	pt->interval = 0;
	if (value) {
		pt->interval = interval;
		if (!(flags & TIMER_ABSTIME))
			value = timespec_add_ns(pt_now(pt), value);
		pt_arm(pt, value);
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL4(timer_settime);

long sys_timer_getoverrun(int id)
{
	struct posix_timer *pt = pt_find(id);

	return pt ? pt->overrun_last : -EINVAL;
}
SYSCALL1(timer_getoverrun);

long sys_timer_delete(int id)
{
	struct posix_timer **pp, *pt;

	for (pp = &timers; (pt = *pp) != NULL; pp = &pt->next) {
		if (pt->id != id || pt->owner != current)
			continue;
		ktimer_cancel(&pt->kt);
		*pp = pt->next;
		pt->queued =
			false; /* its signal, if pending, is dropped when taken */
		timer_count--;
		kfree(pt);
		return 0;
	}
	return -EINVAL;
}
SYSCALL1(timer_delete);

void posix_timer_proc_exit(struct proc *p)
{
	struct posix_timer **pp = &timers, *pt;

	while ((pt = *pp) != NULL) {
		if (pt->owner != p) {
			pp = &pt->next;
			continue;
		}
		ktimer_cancel(&pt->kt);
		*pp = pt->next;
		timer_count--;
		kfree(pt);
	}
}
