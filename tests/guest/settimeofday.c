/* settimeofday.c - guest test: settimeofday's answers in Linux's order (EFAULT, EINVAL, then EPERM), none setting the clock. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "check.h"

/*
 * The raw call: glibc's settimeofday turns a NULL tz into clock_settime
 * and refuses tv and tz together itself.
 */
static long settod(const void *tv, const void *tz)
{
	return syscall(SYS_settimeofday, tv, tz);
}

#define BAD_PTR ((const void *)16) /* in the unmapped null page */

/*
 * Every case here fails before the clock could be set, so root runs them
 * natively too: the pointers and the values come before the permission.
 */
static void before_permission(void)
{
	struct timeval now, neg_usec, big_usec, usec_1s, neg_sec;
	struct timezone utc = { 0, 0 };

	gettimeofday(&now, NULL);
	neg_usec = (struct timeval){ now.tv_sec, -1 };
	big_usec = (struct timeval){ now.tv_sec, 1000001 };
	usec_1s = (struct timeval){ now.tv_sec, 1000000 };
	neg_sec = (struct timeval){ -1, 0 };
	check_errno(settod(BAD_PTR, NULL), EFAULT, "settimeofday(bad tv)");
	check_errno(settod(BAD_PTR, &utc), EFAULT, "settimeofday(bad tv, tz)");
	check_errno(settod(&neg_usec, NULL), EINVAL,
		    "settimeofday with tv_usec = -1");
	check_errno(settod(&big_usec, NULL), EINVAL,
		    "settimeofday with tv_usec = 1000001");
	check_errno(settod(&usec_1s, NULL), EINVAL,
		    "settimeofday with tv_usec = 1000000");
	check_errno(settod(&neg_sec, NULL), EINVAL, "settimeofday before 1970");
	check_errno(settod(&big_usec, BAD_PTR), EINVAL,
		    "settimeofday(tv_usec = 1000001, bad tz): tv_usec first");
	check_errno(settod(&now, BAD_PTR), EFAULT,
		    "settimeofday(valid tv, bad tz)");
	check_errno(settod(&neg_sec, BAD_PTR), EFAULT,
		    "settimeofday(tv before 1970, bad tz): tz read first");
	/*
	 * Linux commit ce4abda5e126 ("time: Fix off-by-one in settimeofday()
	 * usec validation") made tv_usec = 1000000 fail before tz is read;
	 * an older host lets it by and answers EFAULT. Kiln follows the fix,
	 * and the native comparison needs a host that has it.
	 */
	check_errno(settod(&usec_1s, BAD_PTR), EINVAL,
		    "settimeofday(tv_usec = 1000000, bad tz): tv_usec first");
	check_errno(settod(NULL, BAD_PTR), EFAULT,
		    "settimeofday(NULL, bad tz)");
}

/*
 * What only the permission refuses, asked by a child that is not root
 * (nobody's, if it starts as root), so that natively root never sets the
 * host's clock. Each case is a bit of the child's status: 0 is all EPERM.
 */
static void refused(void)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		struct timeval now;
		struct timezone far = { 16 * 60, 0 }, utc = { 0, 0 };
		int bad = 0;

		if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(255);
		gettimeofday(&now, NULL);
		if (settod(&now, NULL) != -1 || errno != EPERM)
			bad |= 1;
		if (settod(&now, &utc) != -1 || errno != EPERM)
			bad |= 2;
		/* Linux checks tz_minuteswest only after the permission. */
		if (settod(NULL, &far) != -1 || errno != EPERM)
			bad |= 4;
		if (settod(NULL, NULL) != -1 || errno != EPERM)
			bad |= 8;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("fork and wait for the child that sets the time");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "settimeofday of a valid time, of a zone, of a zone 16 hours "
	      "west and of nothing, not as root, fail with EPERM (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	check_start("settimeofday");
	before_permission();
	refused();
	return check_done();
}
