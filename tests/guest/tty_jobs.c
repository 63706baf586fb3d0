/* tty_jobs.c - guest test, driven through a pty: job control on the controlling terminal (SIGTTIN, SIGTTOU, tcsetpgrp, ^Z and ^C to a foreground child). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

/*
 * We are a session leader with the terminal (natively the test makes us
 * one; under Kiln pid 1 is). Children go into groups of their own, as a
 * shell puts jobs; we ignore SIGTTOU, as shells do, to take the terminal
 * back from the background.
 */

/* A child in its own group running fn; the parent sets the group too. */
static pid_t job(int (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, SIG_DFL);
		_exit(fn());
	}
	setpgid(pid, pid);
	return pid;
}

static int read_one(void)
{
	char buf[16];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n == 3 && memcmp(buf, "fg\n", 3) == 0)
		return 4;
	return n < 0 && errno == EIO ? 5 : 6;
}

static int read_ttin_ignored(void)
{
	signal(SIGTTIN, SIG_IGN);
	return read_one();
}

static int read_ttin_blocked(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTTIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return read_one();
}

static int write_line(void)
{
	return write(1, "tty_jobs: a background write\n", 29) == 29 ? 7 : 8;
}

static int tcgetpgrp_elsewhere(void)
{
	if (setsid() < 0)
		return 1;
	return tcgetpgrp(0) == -1 && errno == ENOTTY ? 9 : 10;
}

/*
 * Read once, in the foreground: a read before the parent's tcsetpgrp
 * would be a background read (SIGTTIN).
 */
static int sleep_read(void)
{
	char c;

	while (tcgetpgrp(0) != getpgrp())
		usleep(1000);
	return (int)read(0, &c, 1);
}

static int status_of(pid_t pid, int options)
{
	int st = -1;

	if (waitpid(pid, &st, options) != pid)
		return -1;
	return st;
}

static void background_reads(void)
{
	pid_t pid = job(read_one);
	int st = status_of(pid, WUNTRACED);

	check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN,
	      "a background read: stopped by SIGTTIN");
	check(tcsetpgrp(0, pid) == 0 && tcgetpgrp(0) == pid,
	      "tcsetpgrp: the job in the foreground");
	check(kill(pid, SIGCONT) == 0, "SIGCONT");
	note("ready for a line");
	st = status_of(pid, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 4,
	      "in the foreground the read restarted and got the line");
	check(tcsetpgrp(0, getpgrp()) == 0,
	      "tcsetpgrp back to us from the background (SIGTTOU ignored)");

	st = status_of(job(read_ttin_ignored), 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 5,
	      "a background read ignoring SIGTTIN: EIO");
	st = status_of(job(read_ttin_blocked), 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 5,
	      "a background read blocking SIGTTIN: EIO");
}

static void background_writes(void)
{
	struct termios t;
	int st;

	st = status_of(job(write_line), 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "a background write without TOSTOP goes out");
	check(tcgetattr(0, &t) == 0, "tcgetattr");
	t.c_lflag |= TOSTOP;
	check(tcsetattr(0, TCSANOW, &t) == 0, "TOSTOP on");
	{
		pid_t pid = job(write_line);

		st = status_of(pid, WUNTRACED);
		check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU,
		      "with TOSTOP a background write: stopped by SIGTTOU");
		kill(pid, SIGKILL);
		st = status_of(pid, 0);
		check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed");
	}
	t.c_lflag &= ~(tcflag_t)TOSTOP;
	check(tcsetattr(0, TCSANOW, &t) == 0, "TOSTOP off");
}

static void tcsetpgrp_errors(void)
{
	int p[2], st;
	pid_t pid;

	check_errno(tcsetpgrp(0, 999999), ESRCH, "tcsetpgrp to no group");
	check(pipe(p) == 0, "pipe");
	check_errno(tcsetpgrp(p[0], getpgrp()), ENOTTY, "tcsetpgrp on a pipe");
	close(p[0]);
	close(p[1]);
	pid = fork(); /* not job(): a group leader cannot setsid */
	if (pid == 0)
		_exit(tcgetpgrp_elsewhere());
	st = status_of(pid, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 9,
	      "tcgetpgrp from another session: ENOTTY");
}

static void foreground_keys(void)
{
	pid_t pid = job(sleep_read);
	int st;

	check(tcsetpgrp(0, pid) == 0, "a job in the foreground");
	note("ready for ^Z");
	st = status_of(pid, WUNTRACED);
	check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	      "^Z stopped the foreground job");
	check(kill(pid, SIGCONT) == 0 &&
		      WIFCONTINUED(status_of(pid, WCONTINUED)),
	      "continued in the foreground");
	note("ready for ^C");
	st = status_of(pid, 0);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT,
	      "^C ended the foreground job");
	check(tcsetpgrp(0, getpgrp()) == 0, "the terminal back to us");
}

int main(void)
{
	check_start("tty_jobs");
	signal(SIGTTOU, SIG_IGN);
	check(tcgetpgrp(0) == getpgrp(), "we are the foreground group");
	background_reads();
	background_writes();
	tcsetpgrp_errors();
	foreground_keys();
	return check_done();
}
