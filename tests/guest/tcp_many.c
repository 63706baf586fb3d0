/* tcp_many.c - guest test: a thousand loopback TCP connections at once, and an over-full backlog. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>

#include "check.h"

#define NCONN 1000
#define NBURST 8 /* connects to a listener with backlog BACKLOG */
#define BACKLOG 2
#define DEADLINE_MS 30000
#define BUFSZ 2048 /* small rings: the test is about connection count */

static int client[NCONN], server[NCONN];
static int nclient, nserver;
static short client_of_port[65536]; /* local port -> client index + 1 */

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

static unsigned short port_of(int fd, int peer)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
		       getsockname(fd, (struct sockaddr *)&a, &len);

	return r < 0 ? 0 : ntohs(a.sin_port);
}

static void small_bufs(int fd)
{
	int v = BUFSZ;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int listener(int backlog, unsigned short *port)
{
	struct sockaddr_in a = loopback(0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	check(fd >= 0, "socket");
	small_bufs(fd);
	check(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "bind 127.0.0.1:0");
	check(listen(fd, backlog) == 0, "listen with backlog %d", backlog);
	*port = port_of(fd, 0);
	return fd;
}

/* A non-blocking connect: 0 or EINPROGRESS is a start; the fd or -1. */
static int start_connect(unsigned short port)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	small_bufs(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Accept what is ready on l into server[]; the number accepted. */
static int accept_ready(int l)
{
	int fd, n = 0;

	while (nserver < NCONN &&
	       (fd = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		server[nserver++] = fd;
		n++;
	}
	return n;
}

/*
 * Clients whose connect completed send their one byte (once): on Linux a
 * client can finish its handshake while the listener's full queue drops
 * the last ACK, and only data makes the listener take it again.
 */
static void clients_send(void)
{
	static unsigned char sent[NCONN];

	for (int i = 0; i < nclient; i++) {
		struct pollfd p = { .fd = client[i], .events = POLLOUT };
		socklen_t len = sizeof(int);
		int err = -1;

		if (sent[i] || poll(&p, 1, 0) != 1 ||
		    getsockopt(client[i], SOL_SOCKET, SO_ERROR, &err, &len) <
			    0 ||
		    err != 0)
			continue;
		sent[i] = write(client[i], "x", 1) == 1;
	}
}

/* Accept until want connections came or the deadline passed. */
static void accept_until(int l, int want, int send, long long deadline)
{
	while (nserver < want && now_ms() < deadline) {
		struct pollfd p = { .fd = l, .events = POLLIN };

		accept_ready(l);
		if (send)
			clients_send();
		if (nserver < want)
			poll(&p, 1, 100);
	}
}

/* Each accepted socket receives its client's byte. */
static int servers_receive(long long deadline)
{
	int ok = 0;

	for (int i = 0; i < nserver; i++) {
		struct pollfd p = { .fd = server[i], .events = POLLIN };
		long long left = deadline - now_ms();
		char c = 0;

		ok += poll(&p, 1, left > 0 ? (int)left : 0) == 1 &&
		      read(server[i], &c, 1) == 1 && c == 'x';
	}
	return ok;
}

/* The connect finished without error: writable and SO_ERROR 0. */
static int connected(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = -1;
	long long left = deadline - now_ms();

	if (poll(&p, 1, left > 0 ? (int)left : 0) != 1 ||
	    !(p.revents & POLLOUT))
		return 0;
	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	       err == 0;
}

/* One byte from a to b (non-blocking sockets): 1 when it came intact. */
static int pass_byte(int a, int b, unsigned char v)
{
	struct pollfd p = { .fd = b, .events = POLLIN };
	unsigned char r = 0;

	return write(a, &v, 1) == 1 && poll(&p, 1, 5000) == 1 &&
	       read(b, &r, 1) == 1 && r == v;
}

/* Each accepted socket's peer is one of ours; a byte goes each way. */
static int pairs_talk(void)
{
	int ok = 0;

	for (int i = 0; i < nserver; i++) {
		int c = client_of_port[port_of(server[i], 1)] - 1;

		if (c >= 0 &&
		    pass_byte(client[c], server[i], (unsigned char)i) &&
		    pass_byte(server[i], client[c], (unsigned char)~i))
			ok++;
	}
	return ok;
}

static void close_all(void)
{
	for (int i = 0; i < nclient; i++)
		close(client[i]);
	for (int i = 0; i < nserver; i++)
		close(server[i]);
	nclient = nserver = 0;
	memset(client_of_port, 0, sizeof(client_of_port));
}

static void many(void)
{
	long long deadline = now_ms() + DEADLINE_MS;
	unsigned short port;
	int l = listener(SOMAXCONN, &port), ok = 0;

	for (int i = 0; i < NCONN; i++) {
		int fd = start_connect(port);

		if (fd < 0)
			break;
		client[nclient++] = fd;
		client_of_port[port_of(fd, 0)] = (short)nclient;
		accept_ready(l);
	}
	check(nclient == NCONN, "%d non-blocking connects started", NCONN);
	accept_until(l, NCONN, 0, deadline);
	check(nserver == NCONN, "%d connections accepted", NCONN);
	for (int i = 0; i < nclient; i++)
		ok += connected(client[i], deadline);
	check(ok == NCONN, "%d connects completed without error", NCONN);
	check(pairs_talk() == NCONN, "a byte each way on all %d pairs", NCONN);
	close_all();
	close(l);
}

/*
 * More connects than the backlog holds: the extra SYNs are dropped, the
 * clients retransmit, and all connect once accept drains the queue (each
 * client sends a byte once connected, see clients_send).
 */
static void overfull_backlog(void)
{
	long long deadline = now_ms() + DEADLINE_MS;
	unsigned short port;
	int l = listener(BACKLOG, &port), ok = 0;

	for (int i = 0; i < NBURST; i++) {
		int fd = start_connect(port);

		if (fd < 0)
			break;
		client[nclient++] = fd;
	}
	check(nclient == NBURST, "%d connects started without accepting",
	      NBURST);
	accept_until(l, NBURST, 1, deadline);
	check(nserver == NBURST, "all %d accepted once accept drains the queue",
	      NBURST);
	for (int i = 0; i < nclient; i++)
		ok += connected(client[i], deadline);
	check(ok == NBURST, "all %d connects completed", NBURST);
	check(servers_receive(deadline) == NBURST,
	      "each accepted socket has its client's byte");
	close_all();
	close(l);
}

int main(void)
{
	struct rlimit rl;

	check_start("tcp_many");
	/* 2 fds a connection: more than the usual soft limit of 1024. */
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		      rl.rlim_max >= 2 * NCONN + 16,
	      "the hard fd limit allows %d connections", NCONN);
	rl.rlim_cur = 2 * NCONN + 16;
	check(setrlimit(RLIMIT_NOFILE, &rl) == 0, "raise the soft fd limit");
	many();
	overfull_backlog();
	return check_done();
}
