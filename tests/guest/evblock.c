/* evblock.c - guest test: blocking pipe, eventfd, poll and epoll calls woken by another thread. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BIG (256 * 1024)

static int p[2], efd;
static unsigned char big[BIG];

static void nap(void)
{
	struct timespec ts = { 0, 20000000 };

	nanosleep(&ts, NULL);
}

static void *write_late(void *arg)
{
	nap();
	return (void *)(intptr_t)write(p[1], arg, strlen(arg));
}

static void *close_late(void *arg)
{
	(void)arg;
	nap();
	close(p[1]);
	return NULL;
}

static void *write_big(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)write(p[1], big, BIG);
}

static void *signal_late(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	nap();
	return (void *)(intptr_t)write(efd, &one, 8);
}

static void pipe_blocking(void)
{
	static unsigned char in[BIG];
	char buf[16] = { 0 };
	pthread_t th;
	void *ret;
	size_t got = 0;
	ssize_t r;

	check(pipe(p) == 0 &&
		      pthread_create(&th, NULL, write_late, "ping") == 0,
	      "a writer thread 20 ms late");
	check(read(p[0], buf, sizeof(buf)) == 4 && strcmp(buf, "ping") == 0,
	      "read waits for its data");
	pthread_join(th, NULL);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i % 253);
	check(pthread_create(&th, NULL, write_big, NULL) == 0,
	      "a thread writes 256 KiB at once");
	while (got < BIG && (r = read(p[0], in + got, BIG - got)) > 0)
		got += (size_t)r;
	check(pthread_join(th, &ret) == 0 && (intptr_t)ret == BIG,
	      "its write waited for room and wrote everything");
	check(got == BIG && memcmp(in, big, BIG) == 0,
	      "the data arrived intact");
	check(pthread_create(&th, NULL, close_late, NULL) == 0,
	      "a thread closes the writer late");
	check(read(p[0], buf, sizeof(buf)) == 0, "read waits, then sees EOF");
	pthread_join(th, NULL);
	close(p[0]);
}

static void eventfd_blocking(void)
{
	struct pollfd pf;
	uint64_t v = 0;
	pthread_t th;

	efd = eventfd(0, 0);
	check(efd >= 0 && pthread_create(&th, NULL, signal_late, NULL) == 0,
	      "an eventfd and a thread that signals it late");
	check(read(efd, &v, 8) == 8 && v == 1, "read waits for the count");
	pthread_join(th, NULL);
	pf = (struct pollfd){ .fd = efd, .events = POLLIN };
	check(pthread_create(&th, NULL, signal_late, NULL) == 0,
	      "signal it again late");
	check(poll(&pf, 1, -1) == 1 && pf.revents == POLLIN,
	      "poll without timeout wakes");
	pthread_join(th, NULL);
	close(efd);
}

static void epoll_blocking(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 }, out;
	pthread_t th;
	int ep = epoll_create1(0);

	check(ep >= 0 && pipe(p) == 0 &&
		      epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "epoll on a pipe");
	check(pthread_create(&th, NULL, write_late, "x") == 0,
	      "a writer thread 20 ms late");
	check(epoll_wait(ep, &out, 1, -1) == 1 && out.data.u32 == 42 &&
		      out.events == EPOLLIN,
	      "epoll_wait without timeout wakes");
	pthread_join(th, NULL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_start("evblock");
	pipe_blocking();
	eventfd_blocking();
	epoll_blocking();
	return check_done();
}
