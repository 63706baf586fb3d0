/* tty_edit.c - guest test, driven through a pty: echo of typed-ahead keys, FIONREAD, TCFLSH, VWERASE, VLNEXT, VREPRINT and IXON on the terminal. */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

/*
 * The test (tests/e2e/test_console_tty.py, EDIT_STEPS) types what each
 * "ready for" line asks for; the terminal's echo is compared with the
 * native run's, so where and when each key is echoed is checked there.
 */

static int inq(void)
{
	int n = -1;

	check(ioctl(0, FIONREAD, &n) == 0, "FIONREAD answers");
	return n;
}

static ssize_t ask(const char *prompt, char *buf, size_t n)
{
	printf("ready for %s\n", prompt);
	return read(0, buf, n);
}

/* Keys typed while nobody reads are echoed as they come, not at the read. */
static void typed_ahead(void)
{
	char buf[64];
	ssize_t n;

	printf("ready for a typed-ahead line\n");
	sleep(3);
	printf("slept\n");
	n = read(0, buf, sizeof(buf));
	check(n == 3 && memcmp(buf, "hi\n", 3) == 0, "the typed-ahead line");
}

/*
 * Wait for a line, then for the rest of what was typed with it: a
 * serial port may hand the keys over in pieces, so nothing is printed
 * until their echo is surely out.
 */
static void wait_readable(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	int r = poll(&pfd, 1, 60000);

	sleep(1);
	check(r == 1 && (pfd.revents & POLLIN), "poll says readable");
}

/* FIONREAD counts complete lines only in canonical mode; VEOF not at all. */
static void fionread_canonical(void)
{
	char buf[64];
	ssize_t n;

	printf("ready for a partial line\n");
	sleep(3);
	check(inq() == 0, "FIONREAD of a partial line is 0");
	printf("ready for its end and an eof line\n");
	wait_readable();
	check(inq() == 6, "FIONREAD counts both lines, not the ^D");
	n = read(0, buf, sizeof(buf));
	check(n == 4 && memcmp(buf, "abc\n", 4) == 0, "the first line");
	check(inq() == 2, "FIONREAD after one line is read");
	n = read(0, buf, sizeof(buf));
	check(n == 2 && memcmp(buf, "xy", 2) == 0, "the line ended by ^D");
	check(inq() == 0, "FIONREAD with nothing typed");

	printf("ready for a line to flush\n");
	wait_readable();
	check(tcflush(0, TCIFLUSH) == 0 && inq() == 0,
	      "TCIFLUSH drops what was typed");
	n = ask("a line after the flush", buf, sizeof(buf));
	check(n == 5 && memcmp(buf, "kept\n", 5) == 0,
	      "the line after the flush");
	check(tcflush(0, 7) == -1 && errno == EINVAL,
	      "TCFLSH with a bad queue is EINVAL");
}

static void fionread_raw(const struct termios *cooked)
{
	struct termios t = *cooked;
	char buf[64];
	ssize_t n;

	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	check(tcsetattr(0, TCSANOW, &t) == 0, "raw mode");
	printf("ready for five raw keys\n");
	wait_readable();
	check(inq() == 5, "FIONREAD in raw mode counts every byte");
	n = read(0, buf, sizeof(buf));
	check(n == 5 && memcmp(buf, "12345", 5) == 0, "the raw keys");
	check(tcsetattr(0, TCSANOW, cooked) == 0, "canonical again");
}

static void editing(void)
{
	char buf[64];
	ssize_t n;

	n = ask("words to erase", buf, sizeof(buf));
	check(n == 6 && memcmp(buf, "foo x\n", 6) == 0,
	      "^W erases a word and the blanks after it");
	n = ask("literal keys", buf, sizeof(buf));
	check(n == 5 && memcmp(buf, "a\003b\177\n", 5) == 0,
	      "^V makes ^C and erase plain bytes");
	n = ask("a reprinted line", buf, sizeof(buf));
	check(n == 4 && memcmp(buf, "abc\n", 4) == 0,
	      "^R reprints without changing the line");
}

/* ^S stops output: a write waits until ^Q. */
static void flow_control(void)
{
	long long t0, dt;

	printf("ready for ^S\n");
	sleep(2);
	t0 = now_ms();
	printf("written while stopped\n");
	dt = now_ms() - t0;
	check(dt >= 1000, "a write waits while output is stopped");
}

int main(void)
{
	struct termios cooked;

	check_start("tty_edit");
	check(tcgetattr(0, &cooked) == 0 && (cooked.c_iflag & IXON) &&
		      (cooked.c_lflag & IEXTEN),
	      "the terminal starts with IXON and IEXTEN");
	typed_ahead();
	fionread_canonical();
	fionread_raw(&cooked);
	editing();
	flow_control();
	return check_done();
}
