/* pidfd_info.c - PIDFD_NONBLOCK waits and pidfd_send_signal with a siginfo. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static volatile sig_atomic_t got_code, got_pid, got_value, got_signo;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signo = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_value = si->si_value.sival_int;
}

static long send_info(int fd, int sig, siginfo_t *si)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, si, 0);
}

static void nonblocking_wait(void)
{
	siginfo_t si;
	int p[2], fd;
	pid_t pid;
	char c = 0;
	struct pollfd pf = { .events = POLLIN };

	if (pipe(p) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		_exit(7);
	}
	close(p[0]);
	fd = (int)syscall(SYS_pidfd_open, pid, PIDFD_NONBLOCK);
	check(fd >= 0, "pidfd_open PIDFD_NONBLOCK");
	pf.fd = fd;
	check(fcntl(fd, F_GETFL) & O_NONBLOCK, "the pidfd is O_NONBLOCK");
	memset(&si, 0x5a, sizeof(si));
	check_errno(waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN,
		    "waitid P_PIDFD on a running child");
	check(si.si_pid == 0 && si.si_signo == 0,
	      "the siginfo is zeroed with EAGAIN");
	memset(&si, 0x5a, sizeof(si));
	check(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == 0 &&
		      si.si_pid == 0,
	      "with WNOHANG it is 0 and si_pid 0");
	if (write(p[1], "x", 1) != 1)
		fail("write");
	close(p[1]);
	check(poll(&pf, 1, 10000) == 1, "poll: the child ended");
	check(waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_pid == pid &&
		      si.si_code == CLD_EXITED && si.si_status == 7,
	      "then waitid reaps it with status 7");
	close(fd);
}

static void user_siginfo(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1,
				.sa_flags = SA_SIGINFO };
	siginfo_t si;
	sigset_t set;
	int fd, st;
	pid_t pid;

	sigaction(SIGUSR1, &sa, NULL);
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	check(fd >= 0, "pidfd_open of ourselves");
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_pid = 4242;
	si.si_value.sival_int = 99;
	check(send_info(fd, SIGUSR1, &si) == 0,
	      "pidfd_send_signal to self with SI_QUEUE");
	check(got_signo == SIGUSR1 && got_code == SI_QUEUE && got_pid == 4242 &&
		      got_value == 99,
	      "the handler sees the caller's siginfo");
	si.si_code = SI_USER;
	got_signo = 0;
	check(send_info(fd, SIGUSR1, &si) == 0 && got_code == SI_USER,
	      "to self a non-negative si_code is allowed");
	check_errno(send_info(fd, SIGUSR2, &si), EINVAL,
		    "si_signo other than sig");
	close(fd);

	/* Blocked before the fork: the signal waits for sigwaitinfo. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid == 0) {
		int sig;

		memset(&si, 0, sizeof(si));
		if (sigwaitinfo(&set, &si) != SIGUSR1)
			_exit(2);
		sig = si.si_code == SI_QUEUE && si.si_value.sival_int == 5 &&
		      si.si_pid == 77;
		_exit(sig ? 0 : 3);
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	check_errno(send_info(fd, SIGUSR1, &si), EPERM,
		    "SI_USER to another process");
	si.si_code = SI_TKILL;
	check_errno(send_info(fd, SIGUSR1, &si), EPERM,
		    "SI_TKILL to another process");
	si.si_code = SI_QUEUE;
	si.si_pid = 77;
	si.si_value.sival_int = 5;
	check(send_info(fd, SIGUSR1, &si) == 0, "SI_QUEUE to another process");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "the child received the caller's siginfo");
	close(fd);
}

int main(void)
{
	check_start("pidfd_info");
	nonblocking_wait();
	user_siginfo();
	return check_done();
}
