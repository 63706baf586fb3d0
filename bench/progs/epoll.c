/* epoll.c - epoll with many idle fds: 1,000 pipes' read ends registered,
 * one of them active; N x (write 1 byte, epoll_wait, read it back). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NPIPES 1000

static int fds[NPIPES][2];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 2,000 pipe fds exceed the default soft RLIMIT_NOFILE of 1,024. */
static int open_pipes(int ep)
{
	struct rlimit rl = { 4096, 4096 };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	for (int i = 0; i < NPIPES; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (pipe(fds[i]) < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i][0], &ev) < 0)
			return -1;
	}
	return 0;
}

/* n iterations on pipe k; return 0 if epoll reported exactly pipe k. */
static int loop(int ep, int k, long n)
{
	struct epoll_event ev[8];

	for (long i = 0; i < n; i++) {
		unsigned char c = (unsigned char)i;

		if (write(fds[k][1], &c, 1) != 1 ||
		    epoll_wait(ep, ev, 8, 1000) != 1 ||
		    ev[0].data.u32 != (unsigned)k ||
		    !(ev[0].events & EPOLLIN) || read(fds[k][0], &c, 1) != 1 ||
		    c != (unsigned char)i)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int ep = epoll_create1(0), k = NPIPES / 2;
	double t0, t1;

	if (n <= 0 || ep < 0 || open_pipes(ep) < 0) {
		perror("epoll: bad count, setrlimit, pipe or epoll_ctl");
		return 1;
	}
	if (loop(ep, k, n / 10 + 1) < 0)
		goto err;
	t0 = now_ns();
	if (loop(ep, k, n) < 0)
		goto err;
	t1 = now_ns();
	printf("epoll: %d idle pipes, %ld x (write, epoll_wait, read), "
	       "%.1f ns/iteration\n",
	       NPIPES - 1, n, (t1 - t0) / (double)n);
	return 0;
err:
	fprintf(stderr, "epoll: wrong event, or a read or write failed\n");
	return 1;
}
