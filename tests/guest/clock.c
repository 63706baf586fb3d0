/* clock.c - guest test: clock_gettime, clock_getres, nanosleep, gettimeofday. */
#define _GNU_SOURCE
#include <sys/time.h>
#include <time.h>

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
	sleeping();
	return check_done();
}
