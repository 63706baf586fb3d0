/* signals.c - guest test: sigaction, sigprocmask, sigpending, sigaltstack, kill to self; "die" ends by SIGTERM. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static void handler(int sig)
{
	(void)sig;
}

static void dispositions(void)
{
	struct sigaction sa = { 0 }, old;

	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sa.sa_flags = SA_RESTART;
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");
	check(sigaction(SIGUSR1, NULL, &old) == 0 &&
		      old.sa_handler == handler &&
		      sigismember(&old.sa_mask, SIGUSR2) &&
		      (old.sa_flags & SA_RESTART),
	      "sigaction reads the handler, mask and flags back");
	sa.sa_handler = SIG_IGN;
	check_errno(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigaction SIGKILL");
	check_errno(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction SIGSTOP");
	check_errno(sigaction(0, &sa, NULL), EINVAL, "sigaction signal 0");
	check(sigaction(SIGKILL, NULL, &old) == 0,
	      "reading SIGKILL's action is fine");
}

static void masks(void)
{
	sigset_t set, old, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	check(sigprocmask(SIG_BLOCK, &set, &old) == 0,
	      "block SIGUSR1 (and SIGKILL)");
	check(sigprocmask(SIG_SETMASK, NULL, &old) == 0 &&
		      sigismember(&old, SIGUSR1) && !sigismember(&old, SIGKILL),
	      "SIGUSR1 blocked, SIGKILL never");
	check_errno(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL,
		    "rt_sigprocmask how=7");
	check_errno(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4),
		    EINVAL, "rt_sigprocmask with sigsetsize 4");

	check(kill(getpid(), SIGUSR1) == 0, "kill self SIGUSR1 while blocked");
	check(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1),
	      "SIGUSR1 is pending");
	check(signal(SIGUSR1, SIG_IGN) != SIG_ERR, "ignore SIGUSR1");
	check(sigpending(&pending) == 0 && !sigismember(&pending, SIGUSR1),
	      "ignoring it discarded the pending one");
	check(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0, "unblock SIGUSR1");
	check(raise(SIGUSR1) == 0, "raise an ignored SIGUSR1: nothing happens");
	check(signal(SIGCHLD, SIG_DFL) != SIG_ERR && raise(SIGCHLD) == 0,
	      "SIGCHLD's default action is to ignore it");
	check(kill(getpid(), 0) == 0, "kill(self, 0) checks only");
	check_errno(kill(getpid(), 65), EINVAL, "kill with signal 65");
}

/* stack_t has 4 bytes of padding after ss_flags: Linux writes them as 0. */
static int padding_zeroed(void)
{
	stack_t old;
	unsigned char *pad = (unsigned char *)&old +
			     offsetof(stack_t, ss_flags) + sizeof(old.ss_flags);
	size_t n = offsetof(stack_t, ss_size) - offsetof(stack_t, ss_flags) -
		   sizeof(old.ss_flags);

	memset(&old, 0xa5, sizeof(old));
	if (n != 4 || sigaltstack(NULL, &old) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (pad[i] != 0)
			return 0;
	return 1;
}

static void altstack(void)
{
	static char stack[16384]; /* glibc's SIGSTKSZ is not a constant */
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) }, old;

	check(sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE),
	      "no alternate stack at first");
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack set");
	check(sigaltstack(NULL, &old) == 0 && old.ss_sp == stack &&
		      old.ss_size == sizeof(stack) && old.ss_flags == 0,
	      "sigaltstack reads it back");
	ss.ss_size = 512;
	check_errno(sigaltstack(&ss, NULL), ENOMEM, "sigaltstack of 512 bytes");
	ss.ss_size = sizeof(stack);
	ss.ss_flags = 0x1234;
	check_errno(sigaltstack(&ss, NULL), EINVAL, "sigaltstack bad flags");
	check(padding_zeroed(),
	      "sigaltstack writes zeros between ss_flags and ss_size");
}

int main(int argc, char **argv)
{
	check_start("signals");
	dispositions();
	masks();
	altstack();
	if (argc > 1 && strcmp(argv[1], "die") == 0) {
		note("raising SIGTERM");
		fflush(stdout);
		raise(SIGTERM);
		note("still alive after SIGTERM");
		return 3;
	}
	return check_done();
}
