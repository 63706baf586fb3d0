/* fork_wait.c - fork, _exit and wait: statuses through wait4 and waitid, WNOHANG, ECHILD. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "check.h"

/* The value of "Key:\t" in /proc/PID/status (PID "self" too), or -1. */
static long status_field(const char *pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/* In the child: /proc/self is us, and says who our parent is. */
static int child_proc_check(void)
{
	char link[32], want[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	if (n <= 0)
		return 1;
	link[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	if (strcmp(link, want) != 0)
		return 2;
	if (status_field("self", "Pid") != getpid())
		return 3;
	if (status_field("self", "PPid") != getppid())
		return 4;
	return 0;
}

static void proc_files(void)
{
	int st, p[2];
	char pid_s[32], c;
	pid_t pid;
	struct stat sb;

	pid = fork();
	if (pid == 0)
		_exit(child_proc_check());
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "the child's /proc/self: its pid, Pid and PPid");
	check(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	check(status_field(pid_s, "Pid") == pid &&
		      status_field(pid_s, "PPid") == getpid(),
	      "/proc/CHILD/status while it runs: its Pid, our pid as PPid");
	check(write(p[1], "x", 1) == 1 && waitpid(pid, &st, 0) == pid,
	      "let it go and reap it");
	close(p[1]);
	snprintf(pid_s, sizeof(pid_s), "/proc/%d", (int)pid);
	errno = 0;
	check(stat(pid_s, &sb) == -1 && errno == ENOENT,
	      "once reaped, /proc/CHILD is gone");
}

int main(void)
{
	int st = -1, fds[2];
	pid_t pid, w;
	siginfo_t si;
	char c;

	check_start("fork_wait");

	/* A child's exit status through wait4. */
	pid = fork();
	if (pid == 0)
		_exit(42);
	check(pid > 0, "fork returns the child's pid");
	w = wait4(pid, &st, 0, NULL);
	check(w == pid, "wait4 returns the child's pid");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 42,
	      "wait4 status: exited 42");

	/* ECHILD once none is left. */
	errno = 0;
	check(wait(&st) == -1 && errno == ECHILD, "wait with no child: ECHILD");

	/* WNOHANG before the child exits: 0; the child waits on a pipe. */
	check(pipe(fds) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(99);
		_exit(c);
	}
	close(fds[0]);
	check(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG before exit: 0");
	c = 7;
	check(write(fds[1], &c, 1) == 1, "tell the child to exit");
	close(fds[1]);

	/* waitid with WNOWAIT leaves it; waitid P_PID reaps it. */
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0,
	      "waitid WNOWAIT");
	check(si.si_pid == pid && si.si_code == CLD_EXITED &&
		      si.si_status == 7 && si.si_signo == SIGCHLD,
	      "waitid siginfo: CLD_EXITED, status 7");
	memset(&si, 0, sizeof(si));
	check(waitid(P_ALL, 0, &si, WEXITED) == 0 && si.si_pid == pid &&
		      si.si_status == 7,
	      "waitid P_ALL reaps it");
	errno = 0;
	check(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD,
	      "waitid with no child: ECHILD");

	/* A chain: each generation waits for the next and adds one. */
	pid = fork();
	if (pid == 0) {
		int depth = 0;

		while (depth < 5) {
			pid_t p = fork();

			if (p < 0)
				_exit(100);
			if (p > 0) {
				if (waitpid(p, &st, 0) != p || !WIFEXITED(st))
					_exit(101);
				_exit(WEXITSTATUS(st) + 1);
			}
			depth++;
		}
		_exit(10);
	}
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 15,
	      "a chain of 6 processes adds up to 15");

	/* Several children, reaped in any order: the sum is fixed. */
	int sum = 0;

	for (int i = 1; i <= 5; i++)
		if (fork() == 0)
			_exit(i);
	for (int i = 0; i < 5; i++) {
		if (wait(&st) < 0 || !WIFEXITED(st))
			break;
		sum += WEXITSTATUS(st);
	}
	check(sum == 15, "five children's statuses add up to 15");

	/* getppid in the child is our pid. */
	pid = fork();
	if (pid == 0)
		_exit(getppid() == getppid() && getppid() > 0 ? 0 : 1);
	check(waitpid(pid, &st, 0) == pid && st == 0, "getppid in the child");
	pid = fork();
	if (pid == 0) {
		pid_t me = getpid();

		_exit(me == getpid() && kill(getppid(), 0) == 0 ? 3 : 4);
	}
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 3,
	      "the child signals its parent (signal 0)");
	proc_files();
	return check_done();
}
