/* tty_modes.c - guest test, driven through a pty: ICANON, ECHO, ECHONL, input mapping and VMIN/VTIME on the terminal. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

/*
 * The test (tests/e2e/test_console_tty.py, MODE_STEPS) types what each
 * "ready for" line asks for; what the terminal echoes is compared with
 * the native run, so "nothing echoed" is checked there too.
 */
static struct termios cooked;
static volatile sig_atomic_t got_int;

static void on_int(int sig)
{
	(void)sig;
	got_int = 1;
}

/* Set t (TCSANOW) and check tcgetattr reports it back. */
static void set_mode(const struct termios *t, const char *what)
{
	/* Only these: the libc's NCCS is larger than the kernel's. */
	static const int cc[] = { VINTR, VERASE, VKILL, VEOF, VMIN, VTIME };
	struct termios back;
	size_t i;
	int same;

	check(tcsetattr(0, TCSANOW, t) == 0, "tcsetattr %s", what);
	same = tcgetattr(0, &back) == 0 && back.c_lflag == t->c_lflag &&
	       back.c_iflag == t->c_iflag && back.c_oflag == t->c_oflag;
	for (i = 0; i < sizeof(cc) / sizeof(cc[0]); i++)
		same = same && back.c_cc[cc[i]] == t->c_cc[cc[i]];
	check(same, "tcgetattr reports %s", what);
}

/* The cooked settings without ICANON and ECHO, VMIN vmin, VTIME 0, set. */
static struct termios set_raw(unsigned char vmin, const char *what)
{
	struct termios t = cooked;

	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = 0;
	set_mode(&t, what);
	return t;
}

/* Say what to type, then read once; the bytes read, or -1. */
static ssize_t ask(const char *prompt, char *buf, size_t n)
{
	printf("ready for %s\n", prompt);
	return read(0, buf, n);
}

static void raw_modes(void)
{
	struct termios t = set_raw(1, "raw, no echo");
	char buf[64];
	ssize_t n;

	n = ask("one key", buf, sizeof(buf));
	check(n == 1 && buf[0] == 'k', "raw read returns one key");
	n = ask("Enter unechoed", buf, sizeof(buf));
	check(n == 1 && buf[0] == '\n', "ICRNL maps Enter to newline");

	t.c_iflag &= ~ICRNL;
	set_mode(&t, "raw without ICRNL");
	n = ask("Enter again", buf, sizeof(buf));
	check(n == 1 && buf[0] == '\r', "without ICRNL Enter is a return");

	t.c_iflag |= IGNCR;
	set_mode(&t, "raw with IGNCR");
	n = ask("Enter then z", buf, sizeof(buf));
	check(n == 1 && buf[0] == 'z', "IGNCR drops the return");

	t.c_iflag = cooked.c_iflag;
	t.c_lflag |= ECHO;
	t.c_cc[VMIN] = 3;
	set_mode(&t, "raw with echo, VMIN 3");
	n = ask("a, erase, eof", buf, sizeof(buf));
	check(n == 3 && memcmp(buf, "a\x7f\x04", 3) == 0,
	      "erase and eof are plain bytes without ICANON");

	t.c_lflag &= ~ECHO;
	t.c_cc[VMIN] = 0;
	set_mode(&t, "VMIN 0, VTIME 0");
	n = read(0, buf, sizeof(buf));
	check(n == 0, "VMIN 0 VTIME 0 returns at once with nothing typed");

	t.c_cc[VTIME] = 2;
	set_mode(&t, "VMIN 0, VTIME 2");
	{
		long long t0 = now_ms(), dt;

		n = read(0, buf, sizeof(buf));
		dt = now_ms() - t0;
		check(n == 0 && dt >= 150 && dt < 5000,
		      "VTIME 2 waits about 0.2 s, then returns 0");
	}
}

static void raw_signal(void)
{
	struct sigaction sa = { .sa_handler = on_int };
	char buf[8];
	ssize_t n;

	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: read says EINTR */
	set_raw(1, "raw with ISIG");
	printf("reading, ready for ^C\n");
	n = read(0, buf, sizeof(buf));
	check(n == -1 && errno == EINTR && got_int,
	      "^C still interrupts a raw read");
}

static void canonical_modes(void)
{
	struct termios t = cooked;
	char buf[64];
	ssize_t n;

	t.c_lflag &= ~ECHO;
	t.c_lflag |= ECHONL;
	set_mode(&t, "no echo, ECHONL");
	n = ask("a secret line", buf, sizeof(buf));
	check(n == 7 && memcmp(buf, "secret\n", 7) == 0,
	      "a line read without echo");

	set_mode(&cooked, "canonical again");
	n = ask("a line to edit", buf, sizeof(buf));
	check(n == 6 && memcmp(buf, "hello\n", 6) == 0,
	      "backspace edits the line");
	n = ask("a line to kill", buf, sizeof(buf));
	check(n == 3 && memcmp(buf, "ok\n", 3) == 0, "^U kills the line");
	n = ask("eof mid-line", buf, sizeof(buf));
	check(n == 3 && memcmp(buf, "abc", 3) == 0,
	      "^D mid-line returns the line so far");
}

/*
 * Keys typed while ICANON is off and not yet read, then ICANON back on
 * (as a shell's line editing hands the terminal to a job): Linux keeps
 * them as a line of their own, readable without Enter, not re-edited.
 */
static void pending_at_switch(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char buf[64];
	ssize_t n;

	set_raw(2, "raw, VMIN 2");
	printf("ready for ab, no Enter\n");
	check(poll(&pfd, 1, 60000) == 1 && (pfd.revents & POLLIN),
	      "poll waits for VMIN bytes");
	set_mode(&cooked, "canonical with ab pending");
	n = read(0, buf, sizeof(buf));
	check(n == 2 && memcmp(buf, "ab", 2) == 0,
	      "raw input pending at ICANON on is a line without Enter");
}

int main(void)
{
	check_start("tty_modes");
	check(tcgetattr(0, &cooked) == 0 && (cooked.c_lflag & ICANON) &&
		      (cooked.c_lflag & ECHO),
	      "the terminal starts canonical with echo");
	raw_modes();
	raw_signal();
	canonical_modes();
	pending_at_switch();
	return check_done();
}
