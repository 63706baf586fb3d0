/* hostfwd.c - give QEMU's port forwards (kiln run -p) a listen backlog that takes a burst of connects. */
#define _GNU_SOURCE /* syscall */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kiln.h"
#include "vm.h"

/*
 * QEMU's user networking (libslirp 4.7) listens on every hostfwd port
 * with a backlog of 1, so the host's kernel queues two connections that
 * slirp has not accepted yet and drops the SYN of any further one: a
 * client that opens 8 connections at once (redis-benchmark -c 8, ab -c
 * 8) has 6 of them wait for its SYN retransmission, 1 s later (RFC 6298
 * 2.1), or, when the handshake's last ACK was the one dropped, resend
 * its first request after 200 and 400 ms. A Linux guest behind the same
 * forward suffers the same (docs/performance.md, "redis GET").
 *
 * QEMU has no option for the backlog, but listen() on a listening socket
 * sets a new one. QEMU is our child, so pidfd_getfd (Linux 5.6) may take
 * a copy of its socket; the copy is the same socket. Best effort: on an
 * older kernel, or where ptrace is refused, the forwards keep QEMU's.
 */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
/* As many as the host's net.core.somaxconn lets through. */
#define HOSTFWD_BACKLOG 4096

/* True when fd is an IPv4 or IPv6 TCP socket in the listening state. */
static int tcp_listener(int fd)
{
	int v = 0, dom = 0;
	socklen_t len = sizeof(v), dlen = sizeof(dom);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 || !v)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dlen) < 0)
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0)
		return 0;
	return (dom == AF_INET || dom == AF_INET6) && v == SOCK_STREAM;
}

/* fd number n of the process behind pidfd, widened if it is a listener. */
static int widen_one(int pidfd, int n)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0), done = 0;

	if (fd < 0)
		return -errno;
	if (tcp_listener(fd))
		done = listen(fd, HOSTFWD_BACKLOG) == 0 ? 1 : -errno;
	close(fd);
	return done;
}

/*
 * Every TCP listener of process pid, widened; *widened counts them.
 * Returns 0 or the first -errno met.
 */
static int widen_all(int pid, int *widened)
{
	char path[64], link[64];
	struct dirent *e;
	int pidfd, r, err = 0;
	DIR *d;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (d == NULL) {
		err = -errno;
		goto out_pidfd;
	}
	/* Each of QEMU's sockets; its few TCP listeners are the forwards. */
	while ((e = readdir(d)) != NULL) {
		ssize_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (len < 7 || strncmp(link, "socket:", 7) != 0)
			continue;
		r = widen_one(pidfd, atoi(e->d_name));
		if (r > 0)
			(*widened)++;
		else if (r < 0 && !err)
			err = r;
	}
	closedir(d);
out_pidfd:
	close(pidfd);
	return err;
}

void vm_widen_forwards(int pid, int verbose)
{
	int widened = 0, err = widen_all(pid, &widened);

	if (verbose && widened)
		kiln_err("port forwards: %d listener(s) given a backlog of %d",
			 widened, HOSTFWD_BACKLOG);
	else if (verbose && err)
		kiln_err("port forwards keep QEMU's backlog of 1: %s",
			 strerror(-err));
}
