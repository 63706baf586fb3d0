/* tcp_exit.c - guest test: what an exited process wrote to loopback TCP still arrives; exiting with loopback data unread. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "check.h"

/* Writers that exit with their data still on the way. */
#define NCHILD 4
/* Each writes this much: it fits in its send buffer and the peer's ring. */
#define SIZE (48 * 1024)
/* Connections pid 1 leaves, their peers' buffers full, when it exits. */
#define NLEFT 8
/* Their buffers: small, so that filling them is quick. */
#define SMALLBUF 8192
#define CHUNK 4096

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

/* A listener on 127.0.0.1; its sockets' SO_RCVBUF bufsz unless 0. */
static int listener(int bufsz, unsigned short *port)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	check(fd >= 0, "socket");
	check(!bufsz || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz,
				   sizeof(bufsz)) == 0,
	      "SO_RCVBUF %d", bufsz);
	check(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "bind 127.0.0.1:0");
	check(listen(fd, NLEFT + NCHILD) == 0, "listen");
	check(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname");
	*port = ntohs(a.sin_port);
	return fd;
}

/* A connection to port, SO_SNDBUF bufsz unless 0; -1 on failure. */
static int connect_to(unsigned short port, int bufsz)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 ||
	    (bufsz && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz,
				 sizeof(bufsz)) < 0) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

static void pattern(char *b, size_t n, size_t at, int tag)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (char)((at + i + (size_t)tag * 7) % 251);
}

/* The child: SIZE bytes tagged with its number, then _exit: no close. */
static void writer(unsigned short port, int tag)
{
	char b[CHUNK];
	int fd = connect_to(port, 0);

	if (fd < 0)
		_exit(2);
	if (write(fd, &(char){ (char)tag }, 1) != 1)
		_exit(3);
	for (size_t at = 0; at < SIZE; at += sizeof(b)) {
		pattern(b, sizeof(b), at, tag);
		if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(4);
	}
	_exit(0);
}

/* Everything on fd to EOF: SIZE bytes of the pattern of its tag. */
static int read_all(int fd, int *tag)
{
	char b[CHUNK], want[CHUNK];
	size_t got = 0;
	ssize_t n;

	if (read(fd, b, 1) != 1)
		return 0;
	*tag = b[0];
	while ((n = read(fd, b, sizeof(b))) > 0) {
		pattern(want, (size_t)n, got, *tag);
		if (memcmp(b, want, (size_t)n))
			return 0;
		got += (size_t)n;
	}
	return n == 0 && got == SIZE;
}

/*
 * The writers have all exited (reaped) before a byte is read: what they
 * wrote must still come, in order, then the FIN their exit sent.
 */
static void exited_writers(int l, unsigned short port)
{
	int fds[NCHILD], seen = 0, st, ok = 1;

	for (int i = 0; i < NCHILD; i++) {
		pid_t pid = fork();

		if (pid == 0)
			writer(port, i);
		check(pid > 0, "fork writer %d", i);
	}
	for (int i = 0; i < NCHILD; i++) {
		fds[i] = accept(l, NULL, NULL);
		check(fds[i] >= 0, "accept writer %d", i);
	}
	for (int i = 0; i < NCHILD; i++)
		ok &= wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	check(ok, "%d writers wrote %d bytes each and exited", NCHILD, SIZE);
	for (int i = 0; i < NCHILD; i++) {
		int tag = -1;

		check(read_all(fds[i], &tag) && tag >= 0 && tag < NCHILD,
		      "after their exit: %d bytes in order, then EOF", SIZE);
		seen |= 1 << tag;
		close(fds[i]);
	}
	check(seen == (1 << NCHILD) - 1, "from each of the %d writers", NCHILD);
}

/*
 * Writes to fd (non-blocking) until it takes nothing more even after a
 * pause: the send buffer full and the peer's window shut, not merely
 * the buffer outrunning delivery. The bytes written, or 0 on an error.
 */
static size_t fill(int fd, const char *b)
{
	size_t w = 0;

	for (int stuck = 0; stuck < 2;) {
		ssize_t n = write(fd, b, CHUNK);

		if (n < 0 && errno != EAGAIN)
			return 0;
		if (n > 0) {
			w += (size_t)n;
			stuck = 0;
		} else {
			stuck++;
			usleep(20000);
		}
	}
	return w;
}

/*
 * A child holds the listener, sleeping, and never accepts: NLEFT
 * connections to it are written until EAGAIN (its windows shut), half
 * of them closed, and pid 1 exits with all that outstanding. Under Kiln
 * the child dies with pid 1 and nothing in the VM is left to read it,
 * so the exit must not wait for it (natively PR_SET_PDEATHSIG ends the
 * child then).
 */
static void leave_unread(void)
{
	unsigned short port;
	int l = listener(SMALLBUF, &port), ok = 1;
	pid_t parent = getpid(), pid = fork();
	char b[CHUNK];

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		while (getppid() == parent)
			pause();
		_exit(0);
	}
	check(pid > 0, "fork a child that holds the listener");
	close(l);
	memset(b, 'x', sizeof(b));
	for (int i = 0; i < NLEFT; i++) {
		int c = connect_to(port, SMALLBUF);
		size_t w = 0;

		ok &= c >= 0 && fcntl(c, F_SETFL, O_NONBLOCK) == 0;
		ok &= (w = fill(c, b)) > 0;
		if (i % 2)
			ok &= close(c) == 0;
	}
	check(ok, "%d connections to it left with their windows full", NLEFT);
}

int main(void)
{
	unsigned short port;
	int l;

	check_start("tcp_exit");
	l = listener(0, &port);
	exited_writers(l, port);
	close(l);
	leave_unread();
	return check_done();
}
