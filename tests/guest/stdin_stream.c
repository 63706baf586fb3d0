/* stdin_stream.c - guest test: a streamed stdin: partial reads, a late reader, line echo, poll at EOF. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "check.h"

/* head N: read exactly N bytes (the writer never ends), print their hash. */
static int head(unsigned long want)
{
	static unsigned char buf[4096];
	uint32_t hash = 2166136261u;
	unsigned long got = 0;
	ssize_t n = 1;

	while (got < want && n > 0) {
		size_t ask = want - got < sizeof(buf) ? want - got :
							sizeof(buf);

		n = read(0, buf, ask);
		for (ssize_t i = 0; i < n; i++)
			hash = (hash ^ buf[i]) * 16777619u;
		if (n > 0)
			got += (unsigned long)n;
	}
	check(got == want, "read the bytes asked for");
	note("head bytes=%lu fnv1a=%08x", got, (unsigned)hash);
	return check_done();
}

/* slow S: sleep S seconds before reading (the writer is held back), then read it all. */
static int slow(unsigned s)
{
	static unsigned char buf[65536];
	uint32_t hash = 2166136261u;
	unsigned long got = 0;
	ssize_t n;

	sleep(s);
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			hash = (hash ^ buf[i]) * 16777619u;
		got += (unsigned long)n;
	}
	check(n == 0, "read to EOF");
	note("slow bytes=%lu fnv1a=%08x", got, (unsigned)hash);
	return check_done();
}

/* lines: echo each line as it comes (the writer waits for it). */
static int lines(void)
{
	char buf[256] = "got ", c;
	size_t len = 4;
	ssize_t n;
	int ok = 1;

	while ((n = read(0, &c, 1)) == 1) {
		if (len < sizeof(buf))
			buf[len++] = c;
		if (c == '\n') {
			ok &= write(1, buf, len) == (ssize_t)len;
			len = 4;
		}
	}
	check(ok, "echoed each line in one write");
	check(n == 0, "EOF after the last line");
	return check_done();
}

/* poll: stdin at EOF (its writer gone) is POLLHUP, not POLLIN, as a pipe. */
static int poll_eof(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	char buf[64];
	int ep = epoll_create1(0);

	while (read(0, buf, sizeof(buf)) > 0)
		;
	check(poll(&p, 1, 5000) == 1, "poll: ready at EOF");
	note("poll revents=%#x", p.revents);
	check(epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0, "epoll_ctl");
	check(epoll_wait(ep, &out, 1, 5000) == 1, "epoll: ready at EOF");
	note("epoll events=%#x", out.events);
	check(read(0, buf, sizeof(buf)) == 0, "read 0 at EOF");
	return check_done();
}

/*
 * fionread: stdin is "hello\n"; after 2 bytes are read FIONREAD says 4
 * once the rest has arrived (a stream's bytes come as they may), then 0
 * at the end.
 */
static int fionread(void)
{
	char buf[8];
	int n = -1;

	check(read(0, buf, 2) == 2 && !memcmp(buf, "he", 2), "read 2 bytes");
	/* No check() in the loop: its count of lines would vary. */
	for (int i = 0; i < 100 && n != 4; i++)
		if (ioctl(0, FIONREAD, &n) != 0 || n != 4)
			usleep(50000);
	check(n == 4, "FIONREAD counts the 4 bytes left");
	check(read(0, buf, sizeof(buf)) == 4 && read(0, buf, 1) == 0,
	      "read them and the end");
	check(ioctl(0, FIONREAD, &n) == 0 && n == 0, "FIONREAD at the end");
	return check_done();
}

int main(int argc, char **argv)
{
	check_start("stdin_stream");
	if (argc == 3 && !strcmp(argv[1], "head"))
		return head(strtoul(argv[2], NULL, 10));
	if (argc == 3 && !strcmp(argv[1], "slow"))
		return slow((unsigned)strtoul(argv[2], NULL, 10));
	if (argc == 2 && !strcmp(argv[1], "fionread"))
		return fionread();
	if (argc == 2 && !strcmp(argv[1], "lines"))
		return lines();
	if (argc == 2 && !strcmp(argv[1], "poll"))
		return poll_eof();
	note("usage: stdin_stream head N | slow S | lines | poll");
	return 2;
}
