/* posix_timers.c - guest test: timer_create and friends, signals with SI_TIMER, overruns, SIGEV_THREAD_ID and SIGEV_THREAD, errors. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

/* The kernel's struct sigevent, for SIGEV_THREAD_ID (libc names differ). */
struct ksigevent {
	union sigval value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static int kid(timer_t t)
{
	return (int)(intptr_t)t;
}

static void arm(timer_t t, int flags, long value_ns, long interval_ns)
{
	struct itimerspec its = {
		{ interval_ns / 1000000000L, interval_ns % 1000000000L },
		{ value_ns / 1000000000L, value_ns % 1000000000L },
	};

	if (timer_settime(t, flags, &its, NULL) != 0)
		fail("timer_settime");
}

/* Wait up to 5 s for one of set; the signal number or -1. */
static int wait_sig(const sigset_t *set, siginfo_t *si)
{
	struct timespec limit = { 5, 0 };

	return sigtimedwait(set, si, &limit);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * MS };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void basics(const sigset_t *set)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	struct itimerspec cur;
	siginfo_t si;
	timer_t t;

	ev.sigev_value.sival_int = 77;
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0,
	      "timer_create CLOCK_MONOTONIC SIGEV_SIGNAL");
	check(kid(t) == 0, "the first timer id is 0");
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec == 0 && cur.it_interval.tv_nsec == 0,
	      "a new timer is disarmed");
	arm(t, 0, 20 * MS, 0);
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec > 0 &&
		      cur.it_value.tv_nsec <= 20 * MS,
	      "armed for 20 ms: gettime says (0, 20 ms]");
	check(wait_sig(set, &si) == SIGUSR1, "SIGUSR1 arrives");
	check(si.si_code == SI_TIMER, "si_code is SI_TIMER");
	check(si.si_value.sival_int == 77, "si_value is sigev_value");
	check(si.si_timerid == 0 && si.si_overrun == 0,
	      "si_timerid is the id, si_overrun 0");
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec == 0,
	      "a spent one-shot reads 0");
	check(timer_getoverrun(t) == 0, "timer_getoverrun 0");
	check(timer_delete(t) == 0, "timer_delete");
	check_errno(syscall(SYS_timer_delete, kid(t)), EINVAL,
		    "timer_delete twice");
}

static void overrun(const sigset_t *set)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	struct itimerspec cur, old;
	siginfo_t si;
	timer_t t;
	int n;

	check(timer_create(CLOCK_REALTIME, &ev, &t) == 0,
	      "timer_create CLOCK_REALTIME");
	check(kid(t) == 1, "the next id is 1");
	arm(t, 0, 1 * MS, 1 * MS);
	sleep_ms(60);
	check(wait_sig(set, &si) == SIGUSR1 && si.si_code == SI_TIMER,
	      "a 1 ms periodic timer's signal waited 60 ms");
	n = timer_getoverrun(t);
	check(si.si_overrun >= 20 && n == si.si_overrun,
	      "si_overrun counts the periods missed; timer_getoverrun agrees");
	check(timer_gettime(t, &cur) == 0 && cur.it_interval.tv_sec == 0 &&
		      cur.it_interval.tv_nsec == 1 * MS &&
		      cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
		      cur.it_value.tv_nsec <= 1 * MS,
	      "gettime: interval 1 ms, next within it");
	{
		struct itimerspec its = { { 0, 0 }, { 0, 0 } };

		check(timer_settime(t, 0, &its, &old) == 0 &&
			      old.it_interval.tv_nsec == 1 * MS &&
			      old.it_value.tv_sec == 0 &&
			      old.it_value.tv_nsec > 0,
		      "disarm returns the old setting");
	}
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_nsec == 0 &&
		      cur.it_interval.tv_nsec == 0,
	      "disarmed: value and interval 0");
	/*
	 * A deleted timer's signal still pends, but is dropped when taken
	 * (Linux 6.13 and later).
	 */
	arm(t, 0, 1 * MS, 0);
	sleep_ms(20);
	{
		sigset_t p;

		sigpending(&p);
		check(sigismember(&p, SIGUSR1), "a fired timer's signal pends");
		check(timer_delete(t) == 0, "delete it");
		sigpending(&p);
		check(sigismember(&p, SIGUSR1),
		      "deleting the timer leaves it pending");
		check_errno(sigtimedwait(set, NULL, &(struct timespec){ 0, 0 }),
			    EAGAIN, "but taking it finds nothing:");
		sigpending(&p);
		check(!sigismember(&p, SIGUSR1), "and it is gone");
	}
}

/*
 * A standard signal pends once: a kill after the timer's is dropped
 * (Linux's legacy_queue), but a timer's after a kill's still comes
 * (the timer's entry is its own).
 */
static void with_kill(const sigset_t *set)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	timer_t t;

	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	arm(t, 0, 1 * MS, 0);
	sleep_ms(10);
	check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1 after it fired");
	check(wait_sig(set, &si) == SIGUSR1 && si.si_code == SI_TIMER,
	      "the timer's comes first");
	check_errno(sigtimedwait(set, &si, &zero), EAGAIN,
		    "the kill was dropped");
	check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1 first");
	arm(t, 0, 1 * MS, 0);
	sleep_ms(10);
	check(wait_sig(set, &si) == SIGUSR1 && si.si_code == SI_USER,
	      "the kill's comes first");
	check(sigtimedwait(set, &si, &zero) == SIGUSR1 &&
		      si.si_code == SI_TIMER,
	      "then the timer's");
	check(timer_delete(t) == 0, "delete it");
}

static void abstime_and_default(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct timespec now;
	sigset_t alrm;
	siginfo_t si;
	timer_t t;
	int id;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	/* Raw: glibc fills in a sigevent of its own for NULL. */
	check(syscall(SYS_timer_create, CLOCK_REALTIME, NULL, &id) == 0,
	      "timer_create with a NULL sigevent");
	t = (timer_t)(intptr_t)id;
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = now.tv_sec;
	its.it_value.tv_nsec = now.tv_nsec;
	its.it_value.tv_nsec += 30 * MS;
	if (its.it_value.tv_nsec >= 1000000000L)
		its.it_value.tv_sec++, its.it_value.tv_nsec -= 1000000000L;
	check(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0,
	      "TIMER_ABSTIME 30 ms ahead on CLOCK_REALTIME");
	check(wait_sig(&alrm, &si) == SIGALRM && si.si_code == SI_TIMER &&
		      si.si_value.sival_int == kid(t) &&
		      si.si_timerid == kid(t),
	      "NULL sigevent: SIGALRM with the timer id as value");
	its.it_value.tv_sec = 1;
	its.it_value.tv_nsec = 0;
	check(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0 &&
		      wait_sig(&alrm, &si) == SIGALRM,
	      "TIMER_ABSTIME in the past fires at once");
	check(timer_delete(t) == 0, "delete it");
}

static void sigev_none(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	struct itimerspec cur;
	timer_t t;

	check(timer_create(CLOCK_BOOTTIME, &ev, &t) == 0,
	      "timer_create CLOCK_BOOTTIME SIGEV_NONE");
	arm(t, 0, 10000 * MS, 0);
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 9 &&
		      cur.it_value.tv_nsec > 0,
	      "SIGEV_NONE armed for 10 s reads 9.x s");
	arm(t, 0, 1 * MS, 0);
	sleep_ms(10);
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec == 0,
	      "a spent SIGEV_NONE one-shot reads 0");
	arm(t, 0, 1 * MS, 1000 * MS);
	sleep_ms(10);
	/*
	 * Spent once, it reads the time to its next period: never 0, never
	 * more than the interval, however late a loaded host wakes us.
	 */
	check(timer_gettime(t, &cur) == 0 &&
		      ((cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0) ||
		       (cur.it_value.tv_sec == 1 &&
			cur.it_value.tv_nsec == 0)) &&
		      cur.it_interval.tv_sec == 1,
	      "a periodic SIGEV_NONE timer moves on by its interval");
	check(timer_delete(t) == 0, "delete it");
}

static int pipefd[2];
static volatile int thread_tid;

static void *target_thread(void *arg)
{
	sigset_t set, pend;
	siginfo_t si;
	char c;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	thread_tid = (int)syscall(SYS_gettid);
	if (read(pipefd[0], &c, 1) != 1)
		return (void *)1;
	sigpending(&pend);
	if (!sigismember(&pend, SIGUSR2))
		return (void *)2;
	if (wait_sig(&set, &si) != SIGUSR2 || si.si_code != SI_TIMER ||
	    si.si_value.sival_int != 5)
		return (void *)3;
	return NULL;
}

static void thread_id(void)
{
	struct ksigevent ev = { .notify = SIGEV_SIGNAL | SIGEV_THREAD_ID,
				.signo = SIGUSR2 };
	pthread_t th;
	sigset_t pend;
	void *res;
	int id;

	check(pipe(pipefd) == 0, "pipe");
	check(pthread_create(&th, NULL, target_thread, NULL) == 0,
	      "start a thread");
	while (thread_tid == 0)
		sleep_ms(1);
	ev.value.sival_int = 5;
	ev.tid = thread_tid;
	check(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0,
	      "timer_create SIGEV_THREAD_ID to that thread");
	arm((timer_t)(intptr_t)id, 0, 5 * MS, 0);
	sleep_ms(40);
	sigpending(&pend);
	check(!sigismember(&pend, SIGUSR2),
	      "its signal pends neither on this thread nor the process");
	check(write(pipefd[1], "x", 1) == 1, "let the thread look");
	check(pthread_join(th, &res) == 0 && res == NULL,
	      "the thread has it pending and takes it with SI_TIMER");
	check(syscall(SYS_timer_delete, id) == 0, "delete it");
	ev.tid = 0x7ffffff0;
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id),
		    EINVAL, "SIGEV_THREAD_ID to no thread");
	close(pipefd[0]);
	close(pipefd[1]);
}

static int notify_pipe[2];

static void notified(union sigval v)
{
	char c = (char)v.sival_int;

	if (write(notify_pipe[1], &c, 1) != 1)
		abort();
}

static void sigev_thread(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = notified };
	struct pollfd pfd;
	timer_t t;
	char buf[4];
	int n = 0;

	check(pipe(notify_pipe) == 0, "pipe");
	ev.sigev_value.sival_int = 'k';
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0,
	      "timer_create SIGEV_THREAD (the C library's, over SIGEV_THREAD_ID)");
	arm(t, 0, 5 * MS, 5 * MS);
	pfd.fd = notify_pipe[0];
	pfd.events = POLLIN;
	while (n < 3 && poll(&pfd, 1, 5000) == 1)
		n += (int)read(notify_pipe[0], buf + n, 1);
	arm(t, 0, 0, 0);
	check(n == 3 && buf[0] == 'k' && buf[2] == 'k',
	      "the notify function ran 3 times with sigev_value");
	check(timer_delete(t) == 0, "delete it");
}

static volatile int winch_code, winch_overrun, winch_count;

static void on_winch(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (winch_count++ == 0) { /* the first; more may follow */
		winch_code = si->si_code;
		winch_overrun = si->si_overrun;
	}
}

/*
 * A periodic timer whose signal is ignored is parked (Linux 6.13 and
 * later). Replacing SIG_IGN by a handler queues its signal at once, the
 * periods missed counted as overrun; replacing the default action of a
 * signal ignored by default leaves it parked, as Linux's do_sigaction.
 */
static void ignored(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGWINCH };
	struct sigaction sa = { .sa_sigaction = on_winch,
				.sa_flags = SA_SIGINFO };
	struct itimerspec cur;
	timer_t t;

	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0,
	      "timer_create SIGWINCH (ignored by default)");
	arm(t, 0, 1 * MS, 1 * MS);
	sleep_ms(30);
	check(winch_count == 0, "nothing arrives while it is ignored");
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec > 0 &&
		      cur.it_value.tv_nsec <= 1 * MS,
	      "gettime still says within the next period");
	check(sigaction(SIGWINCH, &sa, NULL) == 0, "install a handler");
	sleep_ms(20);
	check(winch_count == 0, "from the default action: still parked");
	check(signal(SIGWINCH, SIG_IGN) != SIG_ERR, "set SIG_IGN");
	check(sigaction(SIGWINCH, &sa, NULL) == 0, "install the handler again");
	check(winch_count >= 1 && winch_code == SI_TIMER && winch_overrun >= 20,
	      "from SIG_IGN: the signal at once, missed periods as overrun");
	check(timer_delete(t) == 0, "delete it");
	signal(SIGWINCH, SIG_DFL);
}

static volatile uint64_t sink;

static long long work_ms(void)
{
	long long t0 = now_ms();
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 20000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
	return now_ms() - t0;
}

static void storm(const sigset_t *set)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	long long idle, busy;
	siginfo_t si;
	timer_t t;
	int n = 0;

	idle = work_ms();
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	arm(t, 0, 1, 1);
	busy = work_ms();
	check(busy <= 3 * idle + 100,
	      "a 1 ns timer whose signal waits blocked leaves the CPU alone");
	for (int i = 0; i < 100; i++)
		n += wait_sig(set, &si) == SIGUSR1 && si.si_code == SI_TIMER;
	check(n == 100, "sigtimedwait takes its signal 100 times");
	check(timer_delete(t) == 0, "delete it");
}

/*
 * Many timers: Kiln stops at 1024 with EAGAIN, Linux at RLIMIT_SIGPENDING
 * or memory; either way the only failure is EAGAIN and all delete.
 */
static void many(void)
{
	static timer_t t[2000];
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	int n = 0, err = 0, deleted = 0;

	while (n < 2000 && timer_create(CLOCK_MONOTONIC, &ev, &t[n]) == 0)
		n++;
	if (n < 2000)
		err = errno;
	check(n >= 1000 && (n == 2000 || err == EAGAIN),
	      "a thousand timers and more; the limit is EAGAIN");
	for (int i = 0; i < n; i++)
		deleted += timer_delete(t[i]) == 0;
	check(deleted == n, "all of them delete");
	check(timer_create(CLOCK_MONOTONIC, &ev, &t[0]) == 0 &&
		      timer_delete(t[0]) == 0,
	      "and a new one can be made");
}

static void errors(void)
{
	struct ksigevent kev = { .notify = SIGEV_SIGNAL, .signo = SIGUSR1 };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	struct itimerspec its = { { 0, 0 }, { 0, 1000000000L } };
	timer_t bad = (timer_t)(intptr_t)12345, t;
	int id;

	check_errno(syscall(SYS_timer_create, 12345, &kev, &id), EINVAL,
		    "an unknown clock");
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, &kev, &id),
		    EOPNOTSUPP, "CLOCK_MONOTONIC_RAW");
	kev.notify = 99;
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC, &kev, &id),
		    EINVAL, "sigev_notify 99");
	kev.notify = SIGEV_SIGNAL;
	kev.signo = 0;
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC, &kev, &id),
		    EINVAL, "signal 0");
	kev.signo = 65;
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC, &kev, &id),
		    EINVAL, "signal 65");
	check_errno(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &id),
		    EFAULT, "an unreadable sigevent");
	check_errno(syscall(SYS_timer_settime, kid(bad), 0, &its, NULL), EINVAL,
		    "settime of no timer");
	check_errno(syscall(SYS_timer_gettime, kid(bad), &its), EINVAL,
		    "gettime of no timer");
	check_errno(syscall(SYS_timer_getoverrun, kid(bad)), EINVAL,
		    "getoverrun of no timer");
	check_errno(syscall(SYS_timer_delete, kid(bad)), EINVAL,
		    "delete of no timer");
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	check_errno(syscall(SYS_timer_settime, kid(t), 0, &its, NULL), EINVAL,
		    "tv_nsec 1e9");
	its.it_value.tv_nsec = -1;
	check_errno(syscall(SYS_timer_settime, kid(t), 0, &its, NULL), EINVAL,
		    "tv_nsec -1");
	check_errno(syscall(SYS_timer_settime, kid(t), 0, NULL, NULL), EINVAL,
		    "a NULL new value");
	check_errno(syscall(SYS_timer_settime, kid(t), 0, (void *)8, NULL),
		    EFAULT, "an unreadable new value");
	check(timer_delete(t) == 0, "delete it");
}

int main(void)
{
	sigset_t set;

	check_start("posix_timers");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	check(sigprocmask(SIG_BLOCK, &set, NULL) == 0,
	      "block SIGUSR1, SIGUSR2, SIGALRM");
	sigdelset(&set, SIGUSR2);
	sigdelset(&set, SIGALRM);
	basics(&set);
	overrun(&set);
	with_kill(&set);
	abstime_and_default();
	sigev_none();
	thread_id();
	sigev_thread();
	storm(&set);
	ignored();
	many();
	errors();
	return check_done();
}
