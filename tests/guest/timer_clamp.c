/* timer_clamp.c - guest test: periodic timers whose next expiry passes KTIME_MAX saturate there, as Linux's ktime_add_safe. */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/*
 * Linux keeps every timer's expiry as a ktime (signed 64-bit ns) and
 * adds to it with ktime_add_safe, which stops at KTIME_MAX: a relative
 * first expiry added to "now", and each period added to the last
 * expiry when a periodic timer is forwarded. So a timer whose next
 * expiry would pass KTIME_MAX reads, from timerfd_gettime,
 * timer_gettime or getitimer, as KTIME_MAX minus the clock's now.
 * Each case checks that sum and the interval read back.
 *
 * The first expiries are "long past" (1000 s after the realtime epoch)
 * or 1 us away, so they fire at once; the intervals are the clamped
 * LONG_MAX seconds or one second under the clamp.
 */
#define NSEC 1000000000LL
#define KTIME_MAX INT64_MAX
#define SLACK_NS (NSEC / 2) /* between reading the timer and the clock */

static const struct timespec past = { 1000, 0 };
static const struct timespec clamped = { INT64_MAX, 0 };
static const struct timespec under = { KTIME_MAX / NSEC - 1, 0 };

static int64_t ns_of(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		fail("clock_gettime");
	return ns_of(&ts);
}

/* The interval as read back: the clamped one is KTIME_MAX's timespec. */
static struct timespec read_back(const struct timespec *interval)
{
	if (interval->tv_sec >= KTIME_MAX / NSEC)
		return (struct timespec){ KTIME_MAX / NSEC, KTIME_MAX % NSEC };
	return *interval;
}

/*
 * The time left, read just after the clock read before: does it end at
 * KTIME_MAX? Read in that order, it ends no later than KTIME_MAX.
 */
static void check_ends_at_max(const char *what, const struct timespec *left,
			      int64_t before)
{
	int64_t end_gap;

	/* KTIME_MAX - (left + before), in an order that cannot overflow */
	end_gap = KTIME_MAX - before - ns_of(left);
	if (end_gap < 0 || end_gap >= SLACK_NS) /* what differs, on failure */
		fprintf(stderr, "%s: ends %lld ns before KTIME_MAX\n", what,
			(long long)end_gap);
	check(end_gap >= 0 && end_gap < SLACK_NS,
	      "%s: the next expiry is KTIME_MAX", what);
}

static void check_interval(const char *what, const struct timespec *got,
			   const struct timespec *set)
{
	struct timespec want = read_back(set);

	check(got->tv_sec == want.tv_sec && got->tv_nsec == want.tv_nsec,
	      "%s: interval %lld.%09ld read back as %lld.%09ld", what,
	      (long long)got->tv_sec, got->tv_nsec, (long long)want.tv_sec,
	      want.tv_nsec);
}

/* An absolute realtime timerfd long past: one expiry, then saturated. */
static void timerfd_case(const struct timespec *interval)
{
	struct itimerspec its = { *interval, past }, cur;
	char what[96];
	uint64_t ticks = 0;
	int64_t before;
	ssize_t n;
	int fd = timerfd_create(CLOCK_REALTIME, 0);

	snprintf(what, sizeof(what), "timerfd, interval %lld s",
		 (long long)interval->tv_sec);
	check(fd >= 0, "%s: timerfd_create", what);
	check(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0,
	      "%s: timerfd_settime", what);
	n = read(fd, &ticks, sizeof(ticks));
	check(n == sizeof(ticks) && ticks == 1, "%s: read one expiry (%llu)",
	      what, (unsigned long long)ticks);
	before = clock_ns(CLOCK_REALTIME);
	check(timerfd_gettime(fd, &cur) == 0, "%s: timerfd_gettime", what);
	check_ends_at_max(what, &cur.it_value, before);
	check_interval(what, &cur.it_interval, interval);
	close(fd);
}

/* A relative first expiry at the clamp: KTIME_MAX at once. */
static void timerfd_far_case(void)
{
	struct itimerspec its = { clamped, clamped }, cur;
	int64_t before;
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);

	check(fd >= 0 && timerfd_settime(fd, 0, &its, NULL) == 0,
	      "timerfd, relative clamped: armed");
	before = clock_ns(CLOCK_MONOTONIC);
	check(timerfd_gettime(fd, &cur) == 0, "timerfd_gettime");
	check_ends_at_max("timerfd, relative clamped", &cur.it_value, before);
	close(fd);
}

/*
 * A POSIX timer: SIGEV_NONE is forwarded when read; a signalling one when
 * its signal is taken (si_overrun 0: nothing was missed).
 */
static void posix_case(int notify, const struct timespec *interval)
{
	struct sigevent ev = { .sigev_notify = notify, .sigev_signo = SIGUSR1 };
	struct itimerspec its = { *interval, past }, cur;
	char what[96];
	int64_t before;
	sigset_t set;
	siginfo_t si;
	timer_t t;

	snprintf(what, sizeof(what), "timer %s, interval %lld s",
		 notify == SIGEV_NONE ? "SIGEV_NONE" : "SIGEV_SIGNAL",
		 (long long)interval->tv_sec);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	check(timer_create(CLOCK_REALTIME, &ev, &t) == 0, "%s: timer_create",
	      what);
	check(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0,
	      "%s: timer_settime", what);
	if (notify == SIGEV_SIGNAL) {
		check(sigwaitinfo(&set, &si) == SIGUSR1 && si.si_overrun == 0,
		      "%s: one signal, no overrun", what);
	}
	before = clock_ns(CLOCK_REALTIME);
	check(timer_gettime(t, &cur) == 0, "%s: timer_gettime", what);
	check_ends_at_max(what, &cur.it_value, before);
	check_interval(what, &cur.it_interval, interval);
	check(timer_delete(t) == 0, "%s: timer_delete", what);
}

/*
 * A 1 ns period whose first expiry is long past: the timerfd's read
 * counts every period since (one per ns, as the native host's high
 * resolution timers do), and a POSIX timer's overrun count stops at
 * DELAYTIMER_MAX (INT_MAX) rather than wrapping.
 */
static void one_ns_case(void)
{
	struct itimerspec its = { { 0, 1 }, past };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	int64_t before, after, low, high;
	uint64_t ticks = 0;
	sigset_t set;
	siginfo_t si;
	timer_t t;
	int fd = timerfd_create(CLOCK_REALTIME, 0), ov;

	check(fd >= 0, "timerfd 1 ns: timerfd_create");
	before = clock_ns(CLOCK_REALTIME);
	check(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0,
	      "timerfd 1 ns: timerfd_settime");
	check(read(fd, &ticks, sizeof(ticks)) == sizeof(ticks),
	      "timerfd 1 ns: read");
	after = clock_ns(CLOCK_REALTIME);
	/* one expiry at 1000 s, then one per ns up to the read */
	low = before - ns_of(&past) + 1;
	high = after - ns_of(&past) + 1;
	if ((int64_t)ticks < low || (int64_t)ticks > high)
		fprintf(stderr, "timerfd 1 ns: %llu not in [%lld, %lld]\n",
			(unsigned long long)ticks, (long long)low,
			(long long)high);
	check((int64_t)ticks >= low && (int64_t)ticks <= high,
	      "timerfd 1 ns: read counts every ns since the first expiry");
	close(fd);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	check(timer_create(CLOCK_REALTIME, &ev, &t) == 0,
	      "timer 1 ns: timer_create");
	check(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0,
	      "timer 1 ns: timer_settime");
	check(sigwaitinfo(&set, &si) == SIGUSR1, "timer 1 ns: signal taken");
	ov = timer_getoverrun(t);
	if (si.si_overrun != DELAYTIMER_MAX || ov != DELAYTIMER_MAX)
		fprintf(stderr, "timer 1 ns: si_overrun %d, getoverrun %d\n",
			si.si_overrun, ov);
	check(si.si_overrun == DELAYTIMER_MAX,
	      "timer 1 ns: si_overrun is DELAYTIMER_MAX");
	check(ov == DELAYTIMER_MAX,
	      "timer 1 ns: timer_getoverrun is DELAYTIMER_MAX");
	check(timer_delete(t) == 0, "timer 1 ns: timer_delete");
}

/*
 * alarm's seconds left are an unsigned int: a setitimer value past
 * 2^32 s (KTIME_MAX's) comes back cut to its low 32 bits. The raw
 * system call, since the C library's alarm would cut it either way.
 */
static void alarm_case(void)
{
	struct itimerval it = { { 0, 0 }, { INT64_MAX, 0 } };
	int64_t before, left;
	long got;

	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "alarm: setitimer");
	before = clock_ns(CLOCK_MONOTONIC);
	got = syscall(SYS_alarm, 0);
	/* rounded to the nearest second, as alarm_setitimer does */
	left = (KTIME_MAX - before + NSEC / 2) / NSEC;
	if (got < 0 || got > (long)UINT_MAX ||
	    (uint32_t)((uint64_t)left - (uint64_t)got) > 1)
		fprintf(stderr, "alarm: %ld left, of %lld\n", got,
			(long long)left);
	check(got >= 0 && got <= (long)UINT_MAX,
	      "alarm: the seconds left fit an unsigned int");
	check((uint32_t)((uint64_t)left - (uint64_t)got) <= 1,
	      "alarm: they are the low 32 bits of the seconds left");
}

/* setitimer takes any seconds; its periods saturate as the others. */
static void itimer_case(void)
{
	struct itimerval it = { { INT64_MAX, 0 }, { 0, 1 } }, cur;
	struct timespec left;
	int64_t before;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	check(setitimer(ITIMER_REAL, &it, NULL) == 0,
	      "setitimer, interval LONG_MAX s");
	check(sigwaitinfo(&set, NULL) == SIGALRM, "setitimer: SIGALRM taken");
	before = clock_ns(CLOCK_MONOTONIC);
	check(getitimer(ITIMER_REAL, &cur) == 0, "getitimer");
	left.tv_sec = cur.it_value.tv_sec;
	left.tv_nsec = cur.it_value.tv_usec * 1000;
	/* in microseconds: the gap grows by the nanoseconds cut */
	check_ends_at_max("setitimer", &left, before);
	check(cur.it_interval.tv_sec == KTIME_MAX / NSEC &&
		      cur.it_interval.tv_usec == KTIME_MAX % NSEC / 1000,
	      "setitimer: interval read back as KTIME_MAX");
	it = (struct itimerval){ { 0, 0 }, { INT64_MAX, 0 } };
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer, LONG_MAX s");
	before = clock_ns(CLOCK_MONOTONIC);
	check(getitimer(ITIMER_REAL, &cur) == 0, "getitimer");
	left.tv_sec = cur.it_value.tv_sec;
	left.tv_nsec = cur.it_value.tv_usec * 1000;
	check_ends_at_max("setitimer, value LONG_MAX s", &left, before);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer disarmed");
}

int main(void)
{
	sigset_t set;

	check_start("timer_clamp");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	check(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "signals blocked");
	timerfd_case(&clamped);
	timerfd_case(&under);
	timerfd_far_case();
	posix_case(SIGEV_NONE, &clamped);
	posix_case(SIGEV_NONE, &under);
	posix_case(SIGEV_SIGNAL, &clamped);
	posix_case(SIGEV_SIGNAL, &under);
	itimer_case();
	one_ns_case();
	alarm_case();
	return check_done();
}
