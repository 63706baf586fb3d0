/* evio.c - guest test: eventfd, poll/select timeouts, epoll (level, edge, one-shot) on 500 pipes, timerfd. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NPIPES 500

static int pipes[NPIPES][2];

static void eventfd_counter(void)
{
	uint64_t v = 0;
	int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };

	check(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC,
	      "eventfd(3, NONBLOCK|CLOEXEC)");
	check(read(fd, &v, 8) == 8 && v == 3, "read gives the initial 3");
	check_errno(read(fd, &v, 8), EAGAIN, "read of a zero counter");
	v = 5;
	check(write(fd, &v, 8) == 8, "write 5");
	v = 2;
	check(write(fd, &v, 8) == 8, "write 2");
	check(read(fd, &v, 8) == 8 && v == 7, "read gives the sum 7");
	check_errno(read(fd, &v, 4), EINVAL, "a 4-byte read");
	v = UINT64_MAX;
	check_errno(write(fd, &v, 8), EINVAL, "writing 0xffffffffffffffff");
	v = UINT64_MAX - 1;
	check(write(fd, &v, 8) == 8, "write the maximum");
	check(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN,
	      "at the maximum: POLLIN only");
	v = 1;
	check_errno(write(fd, &v, 8), EAGAIN, "a write past the maximum");
	close(fd);
	check_errno(eventfd(0, 0x100), EINVAL, "eventfd with an unknown flag");
}

static void eventfd_semaphore(void)
{
	uint64_t v = 0;
	int fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);

	check(fd >= 0, "eventfd(2, EFD_SEMAPHORE)");
	check(read(fd, &v, 8) == 8 && v == 1, "first read gives 1");
	check(read(fd, &v, 8) == 8 && v == 1, "second read gives 1");
	check_errno(read(fd, &v, 8), EAGAIN, "third read");
	close(fd);
}

static void timeouts(void)
{
	struct timeval tv = { 0, 30000 };
	struct timespec ts = { 0, 20000000 };
	struct pollfd pf;
	long long t0, dt;
	fd_set rs;
	int p[2], closed;

	check(pipe(p) == 0, "an empty pipe");
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	t0 = now_ms();
	check(poll(&pf, 1, 50) == 0, "poll 50 ms times out");
	dt = now_ms() - t0;
	check(dt >= 45 && dt <= 500, "after 45-500 ms");
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	t0 = now_ms();
	/* The raw call: musl's select() passes a copy of the timeout. */
	check(syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv) == 0,
	      "select 30 ms times out");
	dt = now_ms() - t0;
	check(dt >= 25 && dt <= 500, "after 25-500 ms");
	check(tv.tv_sec == 0 && tv.tv_usec == 0,
	      "select wrote back 0 remaining");
	FD_SET(p[0], &rs);
	t0 = now_ms();
	check(pselect(p[0] + 1, &rs, NULL, NULL, &ts, NULL) == 0,
	      "pselect 20 ms times out");
	dt = now_ms() - t0;
	check(dt >= 15 && dt <= 500, "after 15-500 ms");
	pf.fd = 999;
	check(poll(&pf, 1, 0) == 1 && pf.revents == POLLNVAL,
	      "poll of a closed fd: POLLNVAL");
	closed = dup(p[0]);
	close(closed);
	FD_ZERO(&rs);
	FD_SET(closed, &rs);
	check_errno(select(closed + 1, &rs, NULL, NULL, &tv), EBADF,
		    "select with a closed fd");
	check_errno(select(-1, NULL, NULL, NULL, &tv), EINVAL,
		    "select with nfds -1");
	close(p[0]);
	close(p[1]);
}

/* Collect the pipe indexes epoll reports into a sorted-by-index bitmap. */
static int wait_set(int ep, char *seen, int timeout)
{
	static struct epoll_event evs[NPIPES];
	int n = epoll_wait(ep, evs, NPIPES, timeout);

	memset(seen, 0, NPIPES);
	for (int i = 0; i < n; i++)
		seen[evs[i].data.u32] = 1;
	return n;
}

static int exactly(const char *seen, const int *want, int nwant)
{
	int count = 0;

	for (int i = 0; i < nwant; i++)
		if (!seen[want[i]])
			return 0;
	for (int i = 0; i < NPIPES; i++)
		count += seen[i];
	return count == nwant;
}

static void drain(int i)
{
	char buf[256];

	while (read(pipes[i][0], buf, sizeof(buf)) > 0)
		;
}

static int epoll_all(uint32_t events)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), ok = ep >= 0;

	for (int i = 0; i < NPIPES && ok; i++) {
		struct epoll_event ev = { .events = events,
					  .data.u32 = (uint32_t)i };

		ok = epoll_ctl(ep, EPOLL_CTL_ADD, pipes[i][0], &ev) == 0;
	}
	return ok ? ep : -1;
}

static void epoll_level(void)
{
	static const int want[] = { 3, 77, 250, 499 };
	char seen[NPIPES];
	int ep;

	ep = epoll_all(EPOLLIN);
	check(ep >= 0, "epoll with 500 pipes, level-triggered");
	check(wait_set(ep, seen, 0) == 0, "nothing ready");
	for (int i = 0; i < 4; i++)
		write(pipes[want[i]][1], "x", 1);
	check(wait_set(ep, seen, 0) == 4 && exactly(seen, want, 4),
	      "exactly the 4 written");
	check(wait_set(ep, seen, 0) == 4 && exactly(seen, want, 4),
	      "again: level-triggered");
	for (int i = 0; i < 4; i++)
		drain(want[i]);
	check(wait_set(ep, seen, 0) == 0, "drained: nothing");
	close(ep);
}

static void epoll_edge(void)
{
	static const int want[] = { 5, 100 };
	char seen[NPIPES];
	int ep;

	ep = epoll_all(EPOLLIN | EPOLLET);
	check(ep >= 0, "epoll with 500 pipes, edge-triggered");
	write(pipes[5][1], "x", 1);
	write(pipes[100][1], "x", 1);
	check(wait_set(ep, seen, 0) == 2 && exactly(seen, want, 2),
	      "the 2 written");
	check(wait_set(ep, seen, 0) == 0, "not again without new data");
	write(pipes[5][1], "y", 1);
	check(wait_set(ep, seen, 0) == 1 && exactly(seen, want, 1),
	      "new data: once more");
	drain(5);
	drain(100);
	check(wait_set(ep, seen, 0) == 0, "drained: nothing");
	close(ep);
}

static void epoll_oneshot(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u32 = 7 };
	char seen[NPIPES];
	int ep = epoll_create(1);

	check(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, pipes[7][0], &ev) == 0,
	      "EPOLLONESHOT item");
	write(pipes[7][1], "x", 1);
	check(wait_set(ep, seen, 0) == 1 && seen[7], "reported once");
	write(pipes[7][1], "x", 1);
	check(wait_set(ep, seen, 0) == 0, "then disabled");
	check(epoll_ctl(ep, EPOLL_CTL_MOD, pipes[7][0], &ev) == 0 &&
		      wait_set(ep, seen, 0) == 1 && seen[7],
	      "re-armed by MOD");
	drain(7);
	close(ep);
}

static void epoll_errors(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0), p[2], reg;
	long long t0, dt;

	check_errno(epoll_create1(1), EINVAL, "epoll_create1 with a bad flag");
	check_errno(syscall(SYS_epoll_create, 0), EINVAL, "epoll_create(0)");
	check(epoll_ctl(ep, EPOLL_CTL_ADD, pipes[0][0], &ev) == 0,
	      "add a pipe");
	check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, pipes[0][0], &ev), EEXIST,
		    "add it twice");
	check_errno(epoll_ctl(ep, EPOLL_CTL_DEL, pipes[1][0], NULL), ENOENT,
		    "delete a stranger");
	check_errno(epoll_ctl(ep, EPOLL_CTL_MOD, pipes[1][0], &ev), ENOENT,
		    "modify a stranger");
	check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL,
		    "add the epoll to itself");
	check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, 2000, &ev), EBADF,
		    "add a closed fd");
	reg = open("/proc/self/exe", O_RDONLY);
	check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev), EPERM,
		    "add a regular file");
	check_errno(epoll_ctl(pipes[0][0], EPOLL_CTL_ADD, reg, &ev), EPERM,
		    "a regular file into a non-epoll");
	close(reg);
	check_errno(epoll_wait(ep, &out, 0, 0), EINVAL,
		    "epoll_wait maxevents 0");
	check_errno(epoll_wait(pipes[0][0], &out, 1, 0), EINVAL,
		    "epoll_wait on a pipe");
	check(epoll_ctl(ep, EPOLL_CTL_DEL, pipes[0][0], NULL) == 0,
	      "delete it");
	check(pipe(p) == 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0 &&
		      write(p[1], "x", 1) == 1,
	      "a new pipe, added, written");
	close(p[0]);
	check(epoll_wait(ep, &out, 1, 0) == 0, "closing its fd removed it");
	close(p[1]);
	check(pipe(p) == 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0 &&
		      close(p[1]) == 0,
	      "a pipe whose writer closes");
	check(epoll_wait(ep, &out, 1, 0) == 1 && out.events == EPOLLHUP,
	      "EPOLLHUP");
	close(p[0]);
	t0 = now_ms();
	check(epoll_wait(ep, &out, 1, 30) == 0, "epoll_wait 30 ms times out");
	dt = now_ms() - t0;
	check(dt >= 25 && dt <= 500, "after 25-500 ms");
	close(ep);
}

static void timer_periodic(void)
{
	struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } }, cur;
	uint64_t ticks = 0, n;
	long long t0, dt;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), ok = 1;

	check(fd >= 0, "timerfd_create(CLOCK_MONOTONIC)");
	check(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec == 0,
	      "disarmed at first");
	t0 = now_ms();
	check(timerfd_settime(fd, 0, &its, NULL) == 0, "arm: every 20 ms");
	while (ticks < 5 && ok) {
		ok = read(fd, &n, 8) == 8 && n >= 1;
		ticks += n;
	}
	dt = now_ms() - t0;
	check(ok && ticks >= 5, "read counted 5 ticks");
	check(dt >= 95 && dt <= 1000, "in 95-1000 ms");
	check(timerfd_gettime(fd, &cur) == 0 &&
		      cur.it_interval.tv_nsec == 20000000 &&
		      cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec <= 20000000,
	      "gettime: interval 20 ms, value within it");
	memset(&its, 0, sizeof(its));
	check(timerfd_settime(fd, 0, &its, &cur) == 0 &&
		      cur.it_interval.tv_nsec == 20000000,
	      "disarm returns the old setting");
	close(fd);
}

static void timer_oneshot(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } }, old;
	struct pollfd pf;
	struct timespec now;
	uint64_t n;
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);

	check(fd >= 0, "timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK)");
	check_errno(read(fd, &n, 8), EAGAIN, "read before expiry");
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = now.tv_sec +
			      (now.tv_nsec + 30000000) / 1000000000;
	its.it_value.tv_nsec = (now.tv_nsec + 30000000) % 1000000000;
	check(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0,
	      "arm: now + 30 ms, absolute");
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	check(poll(&pf, 1, 2000) == 1 && pf.revents == POLLIN,
	      "poll sees it expire");
	check(read(fd, &n, 8) == 8 && n == 1, "one expiration");
	its.it_value.tv_sec = 10;
	its.it_value.tv_nsec = 0;
	check(timerfd_settime(fd, 0, &its, NULL) == 0, "arm: 10 s relative");
	memset(&its, 0, sizeof(its));
	check(timerfd_settime(fd, 0, &its, &old) == 0 &&
		      old.it_value.tv_sec >= 9 && old.it_value.tv_sec <= 10,
	      "disarm: about 10 s were left");
	check_errno(timerfd_settime(fd, 4, &its, NULL), EINVAL,
		    "settime with a bad flag");
	check_errno(timerfd_create(12345, 0), EINVAL,
		    "timerfd_create with a bad clock");
	close(fd);
}

int main(void)
{
	struct rlimit rl;
	int ok = 1;

	check_start("evio");
	eventfd_counter();
	eventfd_semaphore();
	timeouts();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 &&
	    rl.rlim_max >= 2048) {
		rl.rlim_cur = 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < NPIPES && ok; i++)
		ok = pipe2(pipes[i], O_NONBLOCK) == 0;
	check(ok, "500 pipes");
	epoll_level();
	epoll_edge();
	epoll_oneshot();
	epoll_errors();
	timer_periodic();
	timer_oneshot();
	return check_done();
}
