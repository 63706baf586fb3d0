/* jobctl.c - process groups, sessions and job control: setpgid/setsid errnos, kill to a group, stop and continue through wait, orphaned groups. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "check.h"

/*
 * Everything runs in a child that starts its own session, so that the
 * host (where the test is some shell's grandchild) and Kiln (where it is
 * pid 1, a session leader) start from the same place: a session and a
 * group of one, whose group is orphaned (its parent is in another
 * session). No pid is printed.
 */

static void on_signal(int sig)
{
	(void)sig;
}

/* A child that waits for a byte on fd, then exits with it. */
static pid_t child_waiting(int fd[2])
{
	pid_t pid;
	char c = 99;

	if (pipe(fd) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fd[1]);
		if (read(fd[0], &c, 1) != 1)
			_exit(98);
		_exit(c);
	}
	close(fd[0]);
	return pid;
}

static int status_of(pid_t pid, int options)
{
	int st = -1;

	if (waitpid(pid, &st, options) != pid)
		return -1;
	return st;
}

/* Release a child_waiting with status c and reap it: its status. */
static int release(pid_t pid, int fd[2], char c)
{
	int st = -1;

	if (write(fd[1], &c, 1) != 1)
		fail("write to a waiting child");
	close(fd[1]);
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid a released child");
	return st;
}

static void ids(void)
{
	pid_t me = getpid();

	check(getsid(0) == me && getpgrp() == me && getpgid(0) == me,
	      "after setsid: our own session and group");
	check_errno(setsid(), EPERM, "setsid as a group leader");
	check_errno(setpgid(0, 0), EPERM, "setpgid of a session leader");
	check_errno(setpgid(0, -1), EINVAL, "setpgid to a negative group");
	check_errno(setpgid(999999, 0), ESRCH, "setpgid of no such process");
	check_errno(getpgid(999999), ESRCH, "getpgid of no such process");
	check_errno(getsid(999999), ESRCH, "getsid of no such process");
}

static void groups(void)
{
	int a[2], b[2], c[2], st;
	pid_t pa = child_waiting(a), pb = child_waiting(b), pc;
	char x;

	check(getpgid(pa) == getpid(), "a child starts in our group");
	check(setpgid(pa, 0) == 0 && getpgid(pa) == pa,
	      "setpgid(child, 0): its own group");
	check(setpgid(pb, pa) == 0 && getpgid(pb) == pa,
	      "setpgid(child, group of another child)");
	check_errno(setpgid(pb, 999999), EPERM, "setpgid into no such group");
	check(getsid(pa) == getpid(), "the child is in our session");
	check(kill(-pa, 0) == 0, "kill(-group, 0): the group exists");
	check(kill(0, 0) == 0, "kill(0, 0): our own group");
	check(kill(-1, 0) == 0, "kill(-1, 0): someone to signal");
	check_errno(kill(-999999, SIGTERM), ESRCH, "kill to no such group");

	/* A child in a new session: out of reach of setpgid. */
	if (pipe(c) != 0)
		fail("pipe");
	pc = fork();
	if (pc == 0) {
		close(c[0]);
		x = setsid() == getpid() ? 's' : 'f';
		if (write(c[1], &x, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(c[1]);
	check(read(c[0], &x, 1) == 1 && x == 's', "a child's setsid");
	check(getsid(pc) == pc, "getsid of the child: its new session");
	check_errno(setpgid(pc, pa), EPERM,
		    "setpgid of a child in another session");
	check_errno(setpgid(pb, pc), EPERM,
		    "setpgid into a group of another session");
	kill(pc, SIGKILL);
	check(waitpid(pc, &st, 0) == pc && WTERMSIG(st) == SIGKILL,
	      "the session leader child killed");
	close(c[0]);

	/* One kill reaches both members of the group. */
	check(kill(-pa, SIGTERM) == 0, "kill(-group, SIGTERM)");
	check(waitpid(pa, &st, 0) == pa && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGTERM,
	      "the group leader died of SIGTERM");
	check(waitpid(pb, &st, 0) == pb && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGTERM,
	      "the other member died of SIGTERM");
	check_errno(kill(-pa, 0), ESRCH, "the emptied group is gone");
	close(a[1]);
	close(b[1]);
}

/* setpgid of a child that has run execve: EACCES (it waits on fd 3). */
static void after_exec(void)
{
	int fd[2], ready[2], st;
	pid_t pid;
	char c;

	if (pipe(fd) != 0 || pipe(ready) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "jobctl", "exec-child", NULL };

		close(fd[1]);
		close(ready[0]);
		dup2(fd[0], 3);
		dup2(ready[1], 4);
		execv("/proc/self/exe", argv);
		_exit(97);
	}
	close(fd[0]);
	close(ready[1]);
	check(read(ready[0], &c, 1) == 1 && c == 'e', "the child ran execve");
	check_errno(setpgid(pid, pid), EACCES,
		    "setpgid after the child's exec");
	st = release(pid, fd, 6);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 6,
	      "the exec'd child exits 6");
	close(ready[0]);
}

static void stop_continue(void)
{
	int fd[2], st;
	pid_t pid = child_waiting(fd);

	check(kill(pid, SIGSTOP) == 0, "SIGSTOP a child");
	check(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) &&
		      WSTOPSIG(st) == SIGSTOP,
	      "waitpid WUNTRACED: stopped by SIGSTOP");
	check(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0,
	      "the stop is reported once");
	check(waitpid(pid, &st, WNOHANG) == 0,
	      "without WUNTRACED a stopped child is not reported");
	check(kill(pid, SIGCONT) == 0, "SIGCONT");
	check(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
	      "waitpid WCONTINUED: continued");
	check(waitpid(pid, &st, WCONTINUED | WNOHANG) == 0,
	      "the continue is reported once");
	/* It was stopped inside read: the read goes on after SIGCONT. */
	st = release(pid, fd, 5);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 5,
	      "the read interrupted by the stop went on: exit 5");
}

static void sigchld_reports(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t chld, old, pend;
	siginfo_t si;
	int fd[2], st;
	pid_t pid = child_waiting(fd);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	sigaction(SIGCHLD, &sa, NULL);
	/* In our orphaned group SIGTSTP is discarded: its own group it is. */
	check(setpgid(pid, pid) == 0, "the child in a group of its own");
	check(kill(pid, SIGTSTP) == 0, "SIGTSTP the child");
	check(sigwaitinfo(&chld, &si) == SIGCHLD && si.si_code == CLD_STOPPED &&
		      si.si_status == SIGTSTP && si.si_pid == pid,
	      "SIGCHLD: CLD_STOPPED, status SIGTSTP");
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT) == 0 &&
		      si.si_code == CLD_STOPPED && si.si_status == SIGTSTP,
	      "waitid WSTOPPED|WNOWAIT: CLD_STOPPED");
	memset(&si, 0, sizeof(si));
	check(waitid(P_PGID, pid, &si, WSTOPPED) == 0 && si.si_pid == pid &&
		      si.si_code == CLD_STOPPED,
	      "waitid P_PGID WSTOPPED: the report is still there");
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WSTOPPED | WNOHANG) == 0 &&
		      si.si_pid == 0,
	      "waitid WNOHANG: taken once");
	check(kill(pid, SIGCONT) == 0, "SIGCONT");
	check(sigwaitinfo(&chld, &si) == SIGCHLD &&
		      si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
	      "SIGCHLD: CLD_CONTINUED, status SIGCONT");
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WCONTINUED) == 0 &&
		      si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
	      "waitid WCONTINUED: CLD_CONTINUED");

	/* SA_NOCLDSTOP: no SIGCHLD for a stop, wait still sees it. */
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	check(kill(pid, SIGSTOP) == 0, "SIGSTOP with SA_NOCLDSTOP");
	check(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st),
	      "waitpid sees the stop");
	sigpending(&pend);
	check(!sigismember(&pend, SIGCHLD), "SA_NOCLDSTOP: no SIGCHLD");
	check(kill(pid, SIGKILL) == 0, "SIGKILL the stopped child");
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGKILL,
	      "a stopped child dies of SIGKILL");
	sigwaitinfo(&chld, &si);
	close(fd[1]);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int tick_fd;

/* A second thread: a byte down the pipe every 5 ms. */
static void *ticker(void *arg)
{
	(void)arg;
	for (;;) {
		if (write(tick_fd, "t", 1) != 1)
			_exit(2);
		usleep(5000);
	}
	return NULL;
}

/* Whether a tick comes within ms milliseconds (the pipe drained first). */
static int ticks_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return poll(&pfd, 1, ms) == 1;
}

/* A stop stops every thread: a second thread's ticking halts. */
static void stop_threads(void)
{
	int fd[2];
	pid_t pid;

	check(pipe2(fd, O_NONBLOCK) == 0, "a non-blocking pipe");
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		close(fd[0]);
		tick_fd = fd[1];
		if (pthread_create(&t, NULL, ticker, NULL) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	check(ticks_within(fd[0], 2000), "the child's second thread ticks");
	check(kill(pid, SIGSTOP) == 0 && WIFSTOPPED(status_of(pid, WUNTRACED)),
	      "SIGSTOP to the threaded child");
	check(!ticks_within(fd[0], 200),
	      "stopped: its second thread ticks no more");
	check(kill(pid, SIGCONT) == 0, "SIGCONT");
	check(ticks_within(fd[0], 2000),
	      "continued: the second thread ticks again");
	kill(pid, SIGKILL);
	check(WIFSIGNALED(status_of(pid, 0)), "killed");
	close(fd[0]);
}

static int sleep_whole(void)
{
	struct timespec ts = { 0, 400000000 };

	return nanosleep(&ts, &ts) == 0 ? 0 : 1;
}

/* A sleep stopped and continued is resumed, not cut short (EINTR). */
static void stop_sleep(void)
{
	pid_t pid = fork();
	struct timespec ts = { 0, 100000000 };
	int st;

	if (pid == 0)
		_exit(sleep_whole());
	nanosleep(&ts, NULL);
	kill(pid, SIGSTOP);
	check(WIFSTOPPED(status_of(pid, WUNTRACED)), "stopped in nanosleep");
	kill(pid, SIGCONT);
	st = status_of(pid, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "continued, nanosleep went on and returned 0");
}

/* SIGCONT continues a child that blocks it, and one that ignores it. */
static void cont_blocked(void)
{
	for (int ignore = 0; ignore < 2; ignore++) {
		int fd[2], st;
		pid_t pid;

		if (pipe(fd) != 0)
			fail("pipe");
		pid = fork();
		if (pid == 0) {
			sigset_t cont;
			char c;

			sigemptyset(&cont);
			sigaddset(&cont, SIGCONT);
			if (ignore)
				signal(SIGCONT, SIG_IGN);
			else
				sigprocmask(SIG_BLOCK, &cont, NULL);
			close(fd[1]);
			if (read(fd[0], &c, 1) != 1)
				_exit(98);
			_exit(c);
		}
		close(fd[0]);
		kill(pid, SIGSTOP);
		check(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st),
		      "stopped (SIGCONT %s)", ignore ? "ignored" : "blocked");
		kill(pid, SIGCONT);
		check(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
		      "SIGCONT %s still continues",
		      ignore ? "ignored" : "blocked");
		st = release(pid, fd, 3);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 3, "then it exits 3");
	}
}

/*
 * Our group is orphaned (our parent is in another session): SIGTSTP is
 * discarded there, SIGSTOP is not. SIGWINCH, taken after SIGTSTP
 * (signals go lowest first), tells us the child has dealt with it.
 */
static void orphaned_tstp(void)
{
	sigset_t w, old;
	int fd[2], st, sig;
	pid_t pid;
	char c;

	if (pipe(fd) != 0)
		fail("pipe");
	sigemptyset(&w);
	sigaddset(&w, SIGWINCH); /* blocked before the child starts */
	sigprocmask(SIG_BLOCK, &w, &old);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		for (;;)
			if (sigwait(&w, &sig) == 0 && write(fd[1], "w", 1) != 1)
				_exit(1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd[1]);
	kill(pid, SIGTSTP);
	kill(pid, SIGWINCH);
	check(read(fd[0], &c, 1) == 1 && c == 'w', "the child took SIGWINCH");
	check(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0,
	      "SIGTSTP in an orphaned group: discarded, not stopped");
	kill(pid, SIGKILL);
	check(waitpid(pid, &st, 0) == pid && WTERMSIG(st) == SIGKILL, "killed");
	close(fd[0]);
}

static volatile sig_atomic_t hup_fd = -1;

static void on_hup(int sig)
{
	(void)sig;
	if (write(hup_fd, "h", 1) != 1)
		_exit(2);
	_exit(0);
}

/*
 * A stopped process whose group loses its last parent outside it (in
 * our session) gets SIGHUP and SIGCONT: its handler runs.
 */
static void orphaned_hangup(void)
{
	int fd[2], st;
	pid_t mid;
	char c = 0;

	if (pipe(fd) != 0)
		fail("pipe");
	mid = fork();
	if (mid == 0) {
		pid_t leaf;

		setpgid(0, 0);
		leaf = fork();
		if (leaf == 0) {
			hup_fd = fd[1];
			signal(SIGHUP, on_hup);
			close(fd[0]);
			kill(getpid(), SIGSTOP);
			_exit(3); /* continued without SIGHUP */
		}
		if (waitpid(leaf, &st, WUNTRACED) != leaf || !WIFSTOPPED(st))
			_exit(4);
		_exit(0); /* the group is orphaned now */
	}
	close(fd[1]);
	check(waitpid(mid, &st, 0) == mid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "the middle process saw its child stop, and exited");
	check(read(fd[0], &c, 1) == 1 && c == 'h',
	      "the stopped orphan got SIGHUP and SIGCONT");
	close(fd[0]);
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st;
	char c = 99;

	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		if (write(4, "e", 1) != 1 || read(3, &c, 1) != 1)
			return 98;
		return c;
	}
	check_start("jobctl");
	signal(SIGTERM, SIG_DFL);
	pid = fork();
	if (pid == 0) {
		check(setsid() == getpid(), "setsid in a child");
		ids();
		groups();
		after_exec();
		stop_continue();
		sigchld_reports();
		cont_blocked();
		stop_threads();
		stop_sleep();
		orphaned_tstp();
		orphaned_hangup();
		exit(check_done());
	}
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
