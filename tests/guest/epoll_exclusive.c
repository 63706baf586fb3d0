/* epoll_exclusive.c - guest test: EPOLLEXCLUSIVE on a pipe shared by several processes wakes one of them per event. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define WAITERS 3

/*
 * Each child waits in its own epoll on the shared read end (exclusive),
 * for 1.5 s, and exits 1 if it got the event, 0 if it timed out. It does
 * not read the byte: level-triggered, it stays readable.
 */
static int waiter(int rfd, int ready)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev) < 0 ||
	    write(ready, "r", 1) != 1)
		return 2;
	return epoll_wait(ep, &ev, 1, 1500) == 1 ? 1 : 0;
}

/* pid is asleep (S in /proc/PID/stat): after its "ready", in epoll_wait. */
static int asleep(pid_t pid)
{
	char file[64], text[256], *paren;
	int fd;
	ssize_t n;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	fd = open(file, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' && paren[2] == 'S';
}

static int all_asleep(const pid_t *pids)
{
	for (int tries = 0; tries < 500; tries++) {
		int n = 0;

		for (int i = 0; i < WAITERS; i++)
			n += asleep(pids[i]);
		if (n == WAITERS)
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int p[2], ready[2], status, woken = 0, timed_out = 0, ep;
	pid_t pids[WAITERS];

	check_start("epoll_exclusive");
	check(pipe(p) == 0 && pipe(ready) == 0, "pipes");
	ep = epoll_create1(0);
	check(ep >= 0, "epoll_create1");
	check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL,
		    "EPOLLEXCLUSIVE on an epoll fd");
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "EPOLL_CTL_ADD with EPOLLEXCLUSIVE");
	check_errno(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL,
		    "EPOLL_CTL_MOD with EPOLLEXCLUSIVE");
	close(ep);
	for (int i = 0; i < WAITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(waiter(p[0], ready[1]));
	}
	for (int i = 0; i < WAITERS; i++) {
		char byte;

		check(read(ready[0], &byte, 1) == 1, "waiter %d ready", i);
	}
	check(all_asleep(pids), "every waiter asleep in epoll_wait");
	check(write(p[1], "x", 1) == 1, "one byte into the pipe");
	for (int i = 0; i < WAITERS; i++) {
		check(waitpid(pids[i], &status, 0) == pids[i] &&
			      WIFEXITED(status) && WEXITSTATUS(status) < 2,
		      "waiter %d ended", i);
		woken += WEXITSTATUS(status) == 1;
		timed_out += WEXITSTATUS(status) == 0;
	}
	check(woken == 1 && timed_out == WAITERS - 1,
	      "one event woke one of %d exclusive waiters", WAITERS);
	return check_done();
}
