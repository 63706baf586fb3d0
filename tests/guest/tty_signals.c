/* tty_signals.c - guest test, driven through a pty: the console as controlling terminal, ^C ^\ ^Z with ISIG. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	got = sig;
}

/*
 * Block the signals the keys raise; return the mask before. The driver
 * types as soon as it reads a prompt, so a signal can come before the
 * wait begins: with pause() one that came between the test of got and
 * the call was slept through. Blocked, it stays pending until
 * sigsuspend unblocks and sleeps in one step.
 */
static sigset_t block_keys(void)
{
	sigset_t keys, old;

	sigemptyset(&keys);
	sigaddset(&keys, SIGINT);
	sigaddset(&keys, SIGQUIT);
	sigaddset(&keys, SIGTSTP);
	sigprocmask(SIG_BLOCK, &keys, &old);
	return old;
}

/* Sleep until a handler sets got, then put back the mask block_keys saw. */
static void sleep_until_got(const sigset_t *old)
{
	while (got == 0)
		sigsuspend(old);
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Tell the driver we are ready for its next key, then wait for a signal. */
static void wait_signal(const char *prompt, int want, const char *name)
{
	sigset_t old = block_keys();

	got = 0;
	note("%s", prompt);
	sleep_until_got(&old);
	check(got == want, "%s delivered to the handler", name);
}

/*
 * A child in its own group made the foreground: ^C goes to it, not to
 * us. SIGTTOU is ignored so that we may take the terminal back from the
 * background, as a shell does.
 */
static void foreground_child(void)
{
	int sync[2], st;
	char c;
	pid_t pid;

	check(signal(SIGTTOU, SIG_IGN) != SIG_ERR && pipe(sync) == 0,
	      "ignore SIGTTOU, a pipe");
	pid = fork();
	if (pid == 0) {
		sigset_t old = block_keys();

		setpgid(0, 0);
		got = 0;
		if (write(sync[1], "r", 1) != 1)
			_exit(2);
		sleep_until_got(&old);
		note("child: ^C reached the foreground group (%s)",
		     got == SIGINT ? "SIGINT" : "another signal");
		fflush(stdout);
		_exit(0);
	}
	setpgid(pid, pid);
	check(pid > 0 && read(sync[0], &c, 1) == 1, "a child in its own group");
	check(tcsetpgrp(0, pid) == 0 && tcgetpgrp(0) == pid,
	      "tcsetpgrp: the child's group is the foreground");
	got = 0;
	note("ready for ^C to the child");
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0 && got == 0,
	      "the child took ^C and exited 0; we got nothing");
	check(tcsetpgrp(0, getpgrp()) == 0 && tcgetpgrp(0) == getpgrp(),
	      "tcsetpgrp: back to our group");
	check_errno(tcsetpgrp(0, 999999), ESRCH, "tcsetpgrp to no group");
	close(sync[0]);
	close(sync[1]);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct termios t;
	char buf[64];
	int sid = -1;
	ssize_t n;

	check_start("tty_signals");
	check(sigaction(SIGINT, &sa, NULL) == 0 &&
		      sigaction(SIGQUIT, &sa, NULL) == 0 &&
		      sigaction(SIGTSTP, &sa, NULL) == 0,
	      "handlers for SIGINT, SIGQUIT, SIGTSTP");
	check(tcgetpgrp(0) == getpgrp(), "tcgetpgrp is our group");
	check(ioctl(0, TIOCGSID, &sid) == 0 && sid == getsid(0),
	      "TIOCGSID is our session");
	check(tcsetpgrp(0, getpgrp()) == 0, "tcsetpgrp to our group");
	check_errno(tcsetpgrp(0, -2), EINVAL, "tcsetpgrp -2");
	check(ioctl(0, TIOCSCTTY, 0) == 0, "TIOCSCTTY: already ours");

	wait_signal("ready for ^C", SIGINT, "^C: SIGINT");
	wait_signal("ready for ^\\", SIGQUIT, "^\\: SIGQUIT");
	wait_signal("ready for ^Z", SIGTSTP, "^Z: SIGTSTP");
	foreground_child();

	got = 0;
	note("reading, ready for ^C");
	n = read(0, buf, sizeof(buf));
	check(n == -1 && errno == EINTR && got == SIGINT,
	      "^C interrupts a read: EINTR after the handler");

	check(tcgetattr(0, &t) == 0, "tcgetattr");
	t.c_lflag &= ~(tcflag_t)ISIG;
	check(tcsetattr(0, TCSANOW, &t) == 0, "ISIG off");
	got = 0;
	note("reading, ready for a line with ^C");
	n = read(0, buf, sizeof(buf));
	check(n == 3 && buf[0] == 3 && buf[1] == 'x' && buf[2] == '\n' &&
		      got == 0,
	      "without ISIG ^C is a byte of the line");
	t.c_lflag |= ISIG;
	check(tcsetattr(0, TCSANOW, &t) == 0, "ISIG on");

	note("reading, ready for a line");
	n = read(0, buf, sizeof(buf));
	check(n == 6 && memcmp(buf, "hello\n", 6) == 0, "read a line: hello");

	signal(SIGINT, SIG_DFL);
	note("ready for the last ^C");
	for (;;)
		pause();
}
