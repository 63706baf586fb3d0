/* alarm_clocks.c - guest test: CLOCK_REALTIME_ALARM and CLOCK_BOOTTIME_ALARM read as their base clocks; their timers and sleeps need CAP_WAKE_ALARM. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "check.h"

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* base <= alarm <= base read again: the alarm clock reads the base. */
static void reads_as(clockid_t alarm, clockid_t base, const char *name)
{
	struct timespec a, b, c, res;

	check(clock_gettime(base, &a) == 0 && clock_gettime(alarm, &b) == 0 &&
		      clock_gettime(base, &c) == 0,
	      "clock_gettime(%s) between two reads of its base", name);
	check(ns_of(&a) <= ns_of(&b) && ns_of(&b) <= ns_of(&c),
	      "%s reads its base's time", name);
	check(clock_getres(alarm, &res) == 0 && res.tv_sec == 0 &&
		      res.tv_nsec == 1,
	      "clock_getres(%s) is 1 ns", name);
	check(clock_getres(alarm, NULL) == 0, "clock_getres(%s, NULL)", name);
}

/* As root: a timer, a timerfd and a sleep on clock. */
static void as_root(clockid_t clock, const char *name)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	struct timespec ms = { 0, 1000000 };
	timer_t t;
	int fd;

	check(timer_create(clock, &ev, &t) == 0, "timer_create(%s)", name);
	check(timer_delete(t) == 0, "timer_delete");
	fd = timerfd_create(clock, TFD_CLOEXEC);
	check(fd >= 0 && close(fd) == 0, "timerfd_create(%s)", name);
	check(clock_nanosleep(clock, 0, &ms, NULL) == 0,
	      "clock_nanosleep(%s) 1 ms", name);
	check(clock_nanosleep(clock, 2, &ms, NULL) == EINVAL,
	      "clock_nanosleep(%s) with flags 2 is EINVAL", name);
	/* Linux's flags is an int: bits above 31 of the register are not
	 * flags, so this is a relative sleep, not an EINVAL. */
	check(syscall(SYS_clock_nanosleep, clock, 1UL << 32, &ms, NULL) == 0,
	      "clock_nanosleep(%s) with junk in the upper 32 flag bits", name);
}

/* Not root (nobody): each is EPERM, a bit of the status when it is not. */
static void refused(clockid_t clock, const char *name)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct sigevent ev = { .sigev_notify = SIGEV_NONE };
		struct timespec ms = { 0, 1000000 }, ts;
		timer_t t;
		int bad = 0;

		if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(255);
		if (timer_create(clock, &ev, &t) != -1 || errno != EPERM)
			bad |= 1;
		if (timerfd_create(clock, 0) != -1 || errno != EPERM)
			bad |= 2;
		if (clock_nanosleep(clock, 0, &ms, NULL) != EPERM)
			bad |= 4;
		if (clock_gettime(clock, &ts) != 0)
			bad |= 8;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("fork and wait for the child");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "not as root, %s timers, timerfds and sleeps are EPERM but it "
	      "reads (status %d)",
	      name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	struct timespec ts;

	check_start("alarm_clocks");
	/* Linux answers only when alarmtimer found an RTC (test_guest.py
	 * compares with a root host that has one); Kiln always answers:
	 * nothing suspends its VM, so each alarm clock is its base. */
	if (clock_gettime(CLOCK_REALTIME_ALARM, &ts) != 0 && errno == EINVAL) {
		note("no RTC for the alarm clocks here");
		return 0;
	}
	reads_as(CLOCK_REALTIME_ALARM, CLOCK_REALTIME, "REALTIME_ALARM");
	reads_as(CLOCK_BOOTTIME_ALARM, CLOCK_BOOTTIME, "BOOTTIME_ALARM");
	if (geteuid() == 0) {
		as_root(CLOCK_REALTIME_ALARM, "REALTIME_ALARM");
		as_root(CLOCK_BOOTTIME_ALARM, "BOOTTIME_ALARM");
	}
	refused(CLOCK_REALTIME_ALARM, "REALTIME_ALARM");
	refused(CLOCK_BOOTTIME_ALARM, "BOOTTIME_ALARM");
	return check_done();
}
