/* clock.c - guest test: clock_gettime, clock_getres, nanosleep, gettimeofday. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void monotonic(void)
{
	struct timespec prev, now;
	int ok = 1, valid = 1;

	check(clock_gettime(CLOCK_MONOTONIC, &prev) == 0,
	      "clock_gettime MONOTONIC");
	for (int i = 0; i < 10000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		valid &= now.tv_nsec >= 0 && now.tv_nsec < 1000000000L;
		ok &= ns_of(&now) >= ns_of(&prev);
		prev = now;
	}
	check(valid, "tv_nsec always in [0, 1e9)");
	check(ok, "MONOTONIC never goes back over 10000 calls");
	check(clock_gettime(CLOCK_MONOTONIC_RAW, &now) == 0,
	      "clock_gettime MONOTONIC_RAW");
	check(clock_gettime(CLOCK_BOOTTIME, &now) == 0,
	      "clock_gettime BOOTTIME");
	check_errno(clock_gettime((clockid_t)12345, &now), EINVAL,
		    "clock_gettime of a bad clock");
}

static void realtime(void)
{
	struct timespec ts;
	struct timeval tv;
	time_t t;

	check(clock_gettime(CLOCK_REALTIME, &ts) == 0,
	      "clock_gettime REALTIME");
	check(ts.tv_sec > 1577836800, "REALTIME is after 2020");
	check(gettimeofday(&tv, NULL) == 0 && tv.tv_usec >= 0 &&
		      tv.tv_usec < 1000000,
	      "gettimeofday");
	check(tv.tv_sec - ts.tv_sec >= 0 && tv.tv_sec - ts.tv_sec <= 2,
	      "gettimeofday agrees with REALTIME");
	/* Linux's time() reads the coarse clock: it may lag by one tick. */
	t = time(NULL);
	check(t - ts.tv_sec >= -1 && t - ts.tv_sec <= 2,
	      "time() agrees with REALTIME");
}

static void resolution(void)
{
	struct timespec res;

	check(clock_getres(CLOCK_MONOTONIC, &res) == 0,
	      "clock_getres MONOTONIC");
	check(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000,
	      "MONOTONIC resolution is at most 10 ms");
	check(clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 &&
		      res.tv_nsec > 0,
	      "clock_getres REALTIME");
}

/* The raw call: glibc's wrapper checks tv_nsec itself. */
static long settime(clockid_t id, const struct timespec *ts)
{
	return syscall(SYS_clock_settime, id, ts);
}

/*
 * clock_settime's errors, in Linux's order: a clock with no setter (all
 * but REALTIME and the negative ids; PROCESS_ and THREAD_CPUTIME_ID have
 * none) is EINVAL before the time is read, even from NULL; REALTIME and
 * the CPU clocks of a pid or tid read it (EFAULT); a wall time out of
 * range or a CPU clock that is none is EINVAL; a CPU clock can never be
 * set (EPERM). None of these sets a clock, as root
 * natively either.
 */
static void settime_errors(void)
{
	static const clockid_t unsettable[] = {
		CLOCK_MONOTONIC,
		CLOCK_MONOTONIC_RAW,
		CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE,
		CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_THREAD_CPUTIME_ID,
		CLOCK_BOOTTIME,
		CLOCK_REALTIME_ALARM,
		CLOCK_BOOTTIME_ALARM,
		CLOCK_TAI,
		12,
		12345,
	};
	struct timespec now, bad = { 0, 1000000000L }, early = { -1, 0 },
			     late = { 1LL << 40, 0 };
	char what[80];
	clockid_t cpu;

	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < sizeof(unsettable) / sizeof(unsettable[0]);
	     i++) {
		snprintf(what, sizeof(what), "clock_settime(%d)",
			 (int)unsettable[i]);
		check_errno(settime(unsettable[i], &now), EINVAL, what);
		snprintf(what, sizeof(what), "clock_settime(%d, NULL)",
			 (int)unsettable[i]);
		check_errno(settime(unsettable[i], NULL), EINVAL, what);
	}
	check_errno(settime(CLOCK_REALTIME, NULL), EFAULT,
		    "clock_settime(REALTIME, NULL)");
	check_errno(settime(CLOCK_REALTIME, &bad), EINVAL,
		    "clock_settime(REALTIME) with tv_nsec = 1e9");
	check_errno(settime(CLOCK_REALTIME, &early), EINVAL,
		    "clock_settime(REALTIME) before 1970");
	check_errno(settime(CLOCK_REALTIME, &late), EINVAL,
		    "clock_settime(REALTIME) past Linux's limit");
	/* -1: a CPU clock id (negative), of a type there is none of */
	check_errno(settime(-1, &now), EINVAL, "clock_settime(-1)");
	check_errno(settime(-1, NULL), EFAULT, "clock_settime(-1, NULL)");
	check(clock_getcpuclockid(getpid(), &cpu) == 0,
	      "clock_getcpuclockid of this process");
	check_errno(settime(cpu, &now), EPERM,
		    "clock_settime of this process's CPU clock");
}

/*
 * Setting the wall clock to a valid time: EPERM without CAP_SYS_TIME,
 * which Kiln refuses everyone. Natively root could set it, so a child
 * that is not root asks (nobody's, if it starts as root).
 */
static void settime_refused(void)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		struct timespec now;

		if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		clock_gettime(CLOCK_REALTIME, &now);
		_exit(settime(CLOCK_REALTIME, &now) == -1 && errno == EPERM ?
			      0 :
			      1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("fork and wait for the child that sets the time");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "clock_settime(REALTIME) of a valid time not as root fails "
	      "with EPERM (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void sleeping(void)
{
	struct timespec a, b, req = { 0, 20 * 1000000L },
			      bad = { 0, 1000000000L };
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	check(nanosleep(&req, NULL) == 0, "nanosleep 20 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (ns_of(&b) - ns_of(&a)) / 1000000;
	check(ms >= 20 && ms <= 500, "it took between 20 and 500 ms");
	check_errno(nanosleep(&bad, NULL), EINVAL,
		    "nanosleep with tv_nsec = 1e9");
	clock_gettime(CLOCK_MONOTONIC, &a);
	req.tv_nsec = 5 * 1000000L;
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0,
	      "clock_nanosleep 5 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	check(ns_of(&b) - ns_of(&a) >= 5000000, "it took at least 5 ms");
}

int main(void)
{
	check_start("clock");
	monotonic();
	realtime();
	resolution();
	settime_errors();
	settime_refused();
	sleeping();
	return check_done();
}
