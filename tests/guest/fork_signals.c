/* fork_signals.c - processes and signals: SIGCHLD, auto-reaping, kill, orphans, vfork, RLIMIT_NPROC. */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_count++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
}

static void sigchld_handler(void)
{
	struct sigaction sa = { 0 };
	sigset_t block, old;
	int st;
	pid_t pid;

	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGCHLD, &sa, NULL) == 0, "SIGCHLD handler");
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid == 0)
		_exit(9);
	sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	check(chld_count == 1 && chld_code == CLD_EXITED && chld_status == 9 &&
		      chld_pid == pid,
	      "SIGCHLD: CLD_EXITED, status 9, the child's pid");
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 9,
	      "the child is still there to reap");
	signal(SIGCHLD, SIG_DFL);
}

static void autoreap(void)
{
	struct sigaction sa = { 0 };
	int st, p[2];
	char c;

	/* SIG_IGN: children vanish; wait blocks until all are gone, then ECHILD. */
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(1);
	errno = 0;
	check(wait(&st) == -1 && errno == ECHILD,
	      "SIGCHLD ignored: wait finds no child (ECHILD)");
	signal(SIGCHLD, SIG_DFL);

	/* SA_NOCLDWAIT with a handler: reaped, and SIGCHLD still sent. */
	chld_count = 0;
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	check(pipe(p) == 0, "pipe");
	if (fork() == 0) {
		close(p[0]);
		_exit(2);
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 0, "the child closed its end");
	close(p[0]);
	errno = 0;
	check(wait(&st) == -1 && errno == ECHILD,
	      "SA_NOCLDWAIT: wait finds no child (ECHILD)");
	check(chld_count == 1 && chld_status == 2,
	      "SA_NOCLDWAIT: SIGCHLD came anyway, status 2");
	signal(SIGCHLD, SIG_DFL);
}

static void kill_child(void)
{
	int st, p[2];
	char c;
	pid_t pid;

	check(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	check(kill(pid, SIGTERM) == 0, "kill the child with SIGTERM");
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGTERM && !WCOREDUMP(st),
	      "WIFSIGNALED, WTERMSIG SIGTERM");
	check(read(p[0], &c, 1) == 0, "its files were closed");
	close(p[0]);
	errno = 0;
	check(kill(pid, 0) == -1 && errno == ESRCH, "after reaping: ESRCH");

	/* A child that blocks SIGTERM but not SIGKILL, killed by SIGKILL. */
	check(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		close(p[1]); /* now it blocks everything it can */
		for (;;)
			pause();
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 0, "the child blocked its signals");
	close(p[0]);
	kill(pid, SIGTERM);
	check(waitpid(pid, &st, WNOHANG) == 0, "SIGTERM blocked: still alive");
	check(kill(pid, SIGKILL) == 0 && waitpid(pid, &st, 0) == pid &&
		      WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "SIGKILL ends it");
}

/* The grandchild outlives its parent: its getppid() changes. */
static void orphan(void)
{
	int p[2], st;
	char c = 0;
	pid_t pid;

	check(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		pid_t parent = getpid();

		if (fork() == 0) {
			while (getppid() == parent)
				usleep(1000);
			c = 'y';
			(void)!write(p[1], &c, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	check(waitpid(pid, &st, 0) == pid && st == 0,
	      "the middle process exits");
	check(read(p[0], &c, 1) == 1 && c == 'y',
	      "the orphan sees its parent change");
	close(p[0]);
}

static void do_vfork(void)
{
	volatile int shared = 0;
	int st;
	pid_t pid = vfork();

	if (pid == 0) {
		shared = 1; /* the parent's memory: it sleeps until we exit */
		_exit(5);
	}
	check(pid > 0 && shared == 1,
	      "vfork: the child ran first, in our memory");
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 5,
	      "vfork: _exit status 5");
}

static volatile int clone_shared;

static int clone_child(void *arg)
{
	clone_shared = *(int *)arg; /* our parent's memory: CLONE_VM */
	_exit(6);
}

/* posix_spawn's way in glibc and musl: CLONE_VM|CLONE_VFORK on a new stack. */
static void clone_vm_vfork(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int arg = 44, st;
	pid_t pid = clone(clone_child, stack + sizeof(stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &arg);

	check(pid > 0 && clone_shared == 44,
	      "clone CLONE_VM|CLONE_VFORK: the child wrote our memory first");
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 6,
	      "and exited 6");
}

/* pidfd_open, pidfd_send_signal, poll for the end, waitid P_PIDFD. */
static void pidfds(void)
{
	siginfo_t si;
	struct pollfd pfd;
	int fd;
	long r;
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			pause();
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	check(fd >= 0, "pidfd_open of the child");
	pfd = (struct pollfd){ fd, POLLIN, 0 };
	check(poll(&pfd, 1, 0) == 0, "not readable while it runs");
	check(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) == 0,
	      "pidfd_send_signal SIGTERM");
	r = poll(&pfd, 1, 5000);
	check(r == 1 && (pfd.revents & POLLIN), "readable once it ended");
	memset(&si, 0, sizeof(si));
	check(waitid(P_PIDFD, (id_t)fd, &si, WEXITED) == 0 &&
		      si.si_pid == pid && si.si_code == CLD_KILLED &&
		      si.si_status == SIGTERM,
	      "waitid P_PIDFD: CLD_KILLED by SIGTERM");
	errno = 0;
	check(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) == -1 &&
		      errno == ESRCH,
	      "after reaping: ESRCH");
	errno = 0;
	check(waitid(P_PIDFD, 0, &si, WEXITED | WNOHANG) == -1 &&
		      errno == EBADF,
	      "P_PIDFD of stdin: EBADF");
	close(fd);
}

/* A fork bomb under RLIMIT_NPROC stops with EAGAIN (as root: as nobody). */
static void bomb(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = { 8, 8 };
		pid_t kids[100];
		int made = 0, err = 0;

		if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(90);
		if (setrlimit(RLIMIT_NPROC, &rl) != 0)
			_exit(91);
		for (int i = 0; i < 100; i++) {
			pid_t c = fork();

			if (c == 0) {
				pause();
				_exit(0);
			}
			if (c < 0) {
				err = errno;
				break;
			}
			kids[made++] = c;
		}
		for (int i = 0; i < made; i++)
			if (kill(kids[i], SIGKILL) != 0 ||
			    waitpid(kids[i], &st, 0) != kids[i])
				_exit(93);
		_exit(err == EAGAIN && made < 8 ? 0 : 92);
	}
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st),
	      "the bomb's root ends");
	check(WEXITSTATUS(st) == 0,
	      "fork failed with EAGAIN under RLIMIT_NPROC 8");
}

int main(void)
{
	check_start("fork_signals");
	sigchld_handler();
	autoreap();
	kill_child();
	orphan();
	do_vfork();
	clone_vm_vfork();
	pidfds();
	bomb();
	return check_done();
}
