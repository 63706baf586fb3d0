/* cpuclock_ids.c - guest test: CPU clocks of other threads of the process and of other processes, as Linux's lookup_task allows. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

/* Linux's clock ids of a pid or tid: ~id << 3 | type, bit 2 = per thread. */
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_PERTHREAD 4
#define PROCESS_CLOCK(pid) \
	((clockid_t)((~(unsigned)(pid) << 3) | CPUCLOCK_SCHED))
#define THREAD_CLOCK(tid) (PROCESS_CLOCK(tid) | CPUCLOCK_PERTHREAD)
#define SPIN_NS 20000000LL /* the CPU time the worker burns */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage; /* 1: the worker spun; 2: main read; it may end */
static pid_t worker_tid;
static long long worker_own_ns; /* its own clock, read before it waited */
static int worker_leader_errno, worker_own_tid_errno;

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int gettime_errno(clockid_t id)
{
	struct timespec ts;

	return clock_gettime(id, &ts) == 0 ? 0 : errno;
}

static void *worker(void *arg)
{
	struct timespec ts;

	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	while (ns_of(&ts) < SPIN_NS);
	worker_own_ns = ns_of(&ts);
	/* The process's clock by this thread's tid: Linux reads the caller's. */
	worker_own_tid_errno = gettime_errno(PROCESS_CLOCK(worker_tid));
	worker_leader_errno = gettime_errno(PROCESS_CLOCK(getpid()));
	pthread_mutex_lock(&lock);
	stage = 1;
	pthread_cond_broadcast(&cond);
	while (stage != 2)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void other_thread(void)
{
	struct timespec ts, res;
	pthread_t th;
	clockid_t id;

	check(pthread_create(&th, NULL, worker, NULL) == 0, "start a worker");
	pthread_mutex_lock(&lock);
	while (stage != 1)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	check(pthread_getcpuclockid(th, &id) == 0 &&
		      id == THREAD_CLOCK(worker_tid),
	      "pthread_getcpuclockid of the worker is its tid's thread clock");
	check(clock_gettime(id, &ts) == 0,
	      "clock_gettime of the worker's clock from the main thread");
	check(ns_of(&ts) >= worker_own_ns,
	      "it is at least what the worker read of itself (%d ms)",
	      (int)(SPIN_NS / 1000000));
	check(clock_getres(id, &res) == 0,
	      "clock_getres of the worker's clock");
	check_errno(clock_settime(id, &ts), EPERM,
		    "clock_settime of the worker's clock");
	check(worker_own_tid_errno == 0,
	      "the worker reads the process clock by its own tid");
	check(worker_leader_errno == 0,
	      "the worker reads the process clock by the pid");
	check(gettime_errno(PROCESS_CLOCK(worker_tid)) == EINVAL,
	      "the main thread cannot name the process by the worker's tid");
	check_errno(clock_getres(PROCESS_CLOCK(worker_tid), &res), EINVAL,
		    "clock_getres of the process clock by the worker's tid");
	pthread_mutex_lock(&lock);
	stage = 2;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	/* Not its clock after the join: Linux wakes the joiner before the
	 * thread is gone from the pid table. */
	check(pthread_join(th, NULL) == 0, "join the worker");
}

static void other_process(void)
{
	struct timespec ts;
	clockid_t id;
	int fds[2], st;
	char c;
	pid_t pid;

	check(pipe(fds) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		(void)read(fds[0], &c, 1); /* until the parent closes it */
		_exit(0);
	}
	check(pid > 0, "fork");
	close(fds[0]);
	check(clock_getcpuclockid(pid, &id) == 0 && id == PROCESS_CLOCK(pid),
	      "clock_getcpuclockid of a child");
	check(clock_gettime(id, &ts) == 0,
	      "clock_gettime of the child's clock");
	check(gettime_errno(THREAD_CLOCK(pid)) == EINVAL,
	      "the child's thread clock is EINVAL: another process");
	check_errno(clock_settime(id, &ts), EPERM,
		    "clock_settime of the child's clock");
	close(fds[1]);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st),
	      "wait for the child");
	check(gettime_errno(PROCESS_CLOCK(pid)) == EINVAL,
	      "the reaped child's clock is EINVAL");
	check(gettime_errno(THREAD_CLOCK(0x3fffff00)) == EINVAL,
	      "the clock of a tid no thread has is EINVAL");
}

/* The errno got (0: none) is want; got is shown when it is not. */
static void check_errno_is(int got, int want, const char *what)
{
	check(got == want, "%s (%s)", what, check_errno_name(got));
}

/* The raw syscall's errno (0 on success): glibc's clock_nanosleep
 * answers EINVAL for CLOCK_THREAD_CPUTIME_ID itself. */
static int nsleep_errno(clockid_t id)
{
	struct timespec zero = { 0, 0 };

	return syscall(SYS_clock_nanosleep, id, TIMER_ABSTIME, &zero, NULL) ?
		       errno :
		       0;
}

static int timer_errno(clockid_t id)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	int t;

	if (syscall(SYS_timer_create, id, &ev, &t) != 0)
		return errno;
	syscall(SYS_timer_delete, t);
	return 0;
}

/*
 * The sleeps and timers Linux refuses on a CPU clock. (Those it allows,
 * on the process clock or another thread's, Kiln answers EOPNOTSUPP.)
 */
static void sleeps_and_timers(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	check_errno_is(nsleep_errno(THREAD_CLOCK(0)), EINVAL,
		       "clock_nanosleep on the caller's thread clock (tid 0)");
	check_errno_is(nsleep_errno(THREAD_CLOCK(tid)), EINVAL,
		       "clock_nanosleep on the caller's thread clock by tid");
	check_errno_is(nsleep_errno(PROCESS_CLOCK(0x3fffff00)), EINVAL,
		       "clock_nanosleep on the clock of no process");
	check_errno_is(nsleep_errno(THREAD_CLOCK(0) | 3), EINVAL,
		       "clock_nanosleep on a thread clock of type 3");
	check_errno_is(nsleep_errno(PROCESS_CLOCK(0) | 3), EOPNOTSUPP,
		       "clock_nanosleep on a clock-fd id");
	check_errno_is(nsleep_errno(CLOCK_THREAD_CPUTIME_ID), EOPNOTSUPP,
		       "clock_nanosleep on CLOCK_THREAD_CPUTIME_ID (raw)");
	check_errno_is(nsleep_errno(CLOCK_MONOTONIC_RAW), EOPNOTSUPP,
		       "clock_nanosleep on CLOCK_MONOTONIC_RAW");
	check_errno_is(nsleep_errno(10), EINVAL, "clock_nanosleep on id 10");
	check_errno_is(timer_errno(PROCESS_CLOCK(0x3fffff00)), EINVAL,
		       "timer_create on the clock of no process");
	check_errno_is(timer_errno(THREAD_CLOCK(0) | 3), EINVAL,
		       "timer_create on a thread clock of type 3");
	check_errno_is(timer_errno(PROCESS_CLOCK(0) | 3), EOPNOTSUPP,
		       "timer_create on a clock-fd id");
}

int main(void)
{
	check_start("cpuclock_ids");
	other_thread();
	other_process();
	sleeps_and_timers();
	return check_done();
}
