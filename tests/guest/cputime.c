/* cputime.c - CPU time per thread, process and waited child; ITIMER_REAL per process. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "check.h"

#define MS 1000000LL

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

static long long ru_ns(const struct rusage *ru)
{
	return tv_ns(&ru->ru_utime) + tv_ns(&ru->ru_stime);
}

/* Spin until this thread has run ms of CPU time more. */
static void burn(long long ms)
{
	long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ms * MS;
	volatile unsigned long x = 0;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
}

static void *thread_burn(void *arg)
{
	long long *out = arg;

	burn(20);
	*out = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

/* A waited-for child's CPU time reaches wait4, RUSAGE_CHILDREN, times. */
static void check_children(void)
{
	struct rusage ru, before;
	struct tms t;
	pid_t pid;
	int st;

	check(getrusage(RUSAGE_CHILDREN, &before) == 0 && ru_ns(&before) == 0,
	      "RUSAGE_CHILDREN is 0 before any wait");
	pid = fork();
	if (pid == 0) {
		burn(50);
		_exit(0);
	}
	check(pid > 0, "fork");
	check(wait4(pid, &st, 0, &ru) == pid && st == 0, "wait4");
	check(ru_ns(&ru) >= 40 * MS, "wait4 rusage holds the child's 50 ms");
	check(getrusage(RUSAGE_CHILDREN, &before) == 0 &&
		      ru_ns(&before) >= 40 * MS,
	      "RUSAGE_CHILDREN after the wait");
	check(times(&t) != (clock_t)-1 && t.tms_cutime + t.tms_cstime > 0,
	      "times cutime+cstime > 0");
}

/* Sleeping costs no CPU time; threads' clocks add up to the process's. */
static void check_self(void)
{
	long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), prev, tns[2];
	struct timespec nap = { 0, 100 * MS };
	pthread_t th[2];
	int mono = 1;

	nanosleep(&nap, NULL);
	check(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - p0 < 50 * MS,
	      "sleeping 100 ms costs under 50 ms of CPU");
	for (int i = 0; i < 2; i++)
		check(pthread_create(&th[i], NULL, thread_burn, &tns[i]) == 0,
		      "pthread_create %d", i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	check(tns[0] >= 20 * MS && tns[1] >= 20 * MS,
	      "each thread's clock counts its own 20 ms");
	check(clock_ns(CLOCK_PROCESS_CPUTIME_ID) >=
		      tns[0] + tns[1] + clock_ns(CLOCK_THREAD_CPUTIME_ID),
	      "process clock >= the sum of its threads'");
	prev = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 1000; i++) {
		long long now = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

		mono &= now >= prev;
		prev = now;
	}
	check(mono, "process clock is monotonic");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Wait for one SIGALRM, blocked outside sigsuspend. */
static int await_alarm(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (alarms == 0)
		sigsuspend(&none);
	return alarms;
}

/* alarm in parent and child: each its own timer, each its own signal. */
static void check_alarms(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigset_t alrm;
	pid_t pid;
	int st;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	sigaction(SIGALRM, &sa, NULL);
	check(alarm(1) == 0, "parent alarm(1)");
	pid = fork();
	if (pid == 0) {
		if (alarm(1) != 0) /* the parent's timer is not inherited */
			_exit(2);
		_exit(await_alarm() == 1 ? 0 : 3);
	}
	check(pid > 0, "fork");
	check(await_alarm() == 1, "parent's SIGALRM");
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "child's own alarm and SIGALRM");
	check(alarm(0) == 0, "parent's alarm is spent");
}

int main(void)
{
	check_start("cputime");
	check_children();
	check_self();
	check_alarms();
	return check_done();
}
