/* net_loopback.c - guest test: TCP and UDP between sockets of one program over 127.0.0.1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define BULK (1 << 20)

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	return ntohs(a.sin_port);
}

/* A listener on 127.0.0.1 and an ephemeral port. */
static int listener(void)
{
	struct sockaddr_in a = loopback(0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	check(fd >= 0, "socket");
	check(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "bind 127.0.0.1:0");
	check(listen(fd, 8) == 0, "listen");
	check(local_port(fd) != 0, "getsockname gives the port chosen");
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The echo side, in a thread: everything back until end of stream. */
static void *echo_thread(void *arg)
{
	static char buf[8192];
	int fd = (int)(long)arg;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			return (void *)1;
	close(fd);
	return n == 0 ? NULL : (void *)1;
}

static int bulk_fd;

/* Writes 1 MiB to bulk_fd, then half-closes it. */
static void *bulk_sender(void *arg)
{
	const char *data = arg;

	if (write_all(bulk_fd, data, BULK) < 0)
		return (void *)1;
	shutdown(bulk_fd, SHUT_WR);
	return NULL;
}

static void tcp_checks(void)
{
	static char out[BULK], in[BULK];
	int l = listener(), c, a, err = -1, one = 1, on = 0;
	struct sockaddr_in to = loopback(local_port(l)), peer, self;
	socklen_t len = sizeof(peer);
	struct pollfd p;
	pthread_t echo, sender;
	void *res;
	size_t got = 0;
	ssize_t n;

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	check(c >= 0, "socket non-blocking");
	n = connect(c, (struct sockaddr *)&to, sizeof(to));
	check(n == 0 || errno == EINPROGRESS,
	      "non-blocking connect is done or in progress");
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	check(poll(&p, 1, 10000) == 1 && (p.revents & POLLOUT),
	      "poll says the connection is writable");
	len = sizeof(err);
	check(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0,
	      "SO_ERROR is 0 after connecting");
	len = sizeof(peer);
	a = accept(l, (struct sockaddr *)&peer, &len);
	check(a >= 0, "accept");
	check(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		      ntohs(peer.sin_port) == local_port(c),
	      "accept names the client's address and port");
	len = sizeof(self);
	check(getpeername(c, (struct sockaddr *)&self, &len) == 0 &&
		      self.sin_port == to.sin_port &&
		      self.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "getpeername names the listener");
	check(fcntl(c, F_SETFL, 0) == 0, "back to blocking");
	check(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0,
	      "TCP_NODELAY set");
	len = sizeof(on);
	check(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && on,
	      "TCP_NODELAY reads back");
	len = sizeof(on);
	check(getsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &on, &len) == 0 &&
		      on == 7200,
	      "TCP_KEEPIDLE is 7200 s by default");
	on = 30;
	check(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &on, sizeof(on)) == 0 &&
		      setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &on,
				 sizeof(on)) == 0,
	      "TCP_KEEPIDLE and TCP_KEEPINTVL set");
	on = 0;
	check_errno(setsockopt(c, IPPROTO_TCP, TCP_KEEPCNT, &on, sizeof(on)),
		    EINVAL, "TCP_KEEPCNT 0");
	check(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0,
	      "SO_KEEPALIVE on");
	len = sizeof(on);
	check(getsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &on, &len) == 0 &&
		      on == 30,
	      "TCP_KEEPINTVL reads back");

	/* FIONREAD counts what waits to be read. */
	check(write(c, "0123456789", 10) == 10, "write 10 bytes");
	for (int i = 0; i < 1000; i++) {
		n = 0;
		if (ioctl(a, FIONREAD, &n) < 0 || n == 10)
			break;
		usleep(1000);
	}
	check(n == 10, "FIONREAD says 10");
	check(recv(a, in, 4, MSG_PEEK) == 4 && memcmp(in, "0123", 4) == 0,
	      "MSG_PEEK shows the first 4 bytes");
	check(recv(a, in, sizeof(in), MSG_PEEK | MSG_DONTWAIT) == 10 &&
		      memcmp(in, "0123456789", 10) == 0 &&
		      ioctl(a, FIONREAD, &n) == 0 && n == 10,
	      "and all 10 again, still unread");
	check(read(a, in, sizeof(in)) == 10 &&
		      memcmp(in, "0123456789", 10) == 0,
	      "the 10 bytes arrive");

	/* 1 MiB through an echo thread, both directions at once. */
	for (size_t i = 0; i < BULK; i++)
		out[i] = (char)(i * 131 + (i >> 12));
	check(pthread_create(&echo, NULL, echo_thread, (void *)(long)a) == 0,
	      "echo thread");
	bulk_fd = c;
	check(pthread_create(&sender, NULL, bulk_sender, out) == 0,
	      "sender thread");
	while ((n = read(c, in + got, sizeof(in) - got)) > 0)
		got += (size_t)n;
	check(n == 0 && got == BULK, "1 MiB echoed, then end of stream");
	check(memcmp(in, out, BULK) == 0, "the echo is byte for byte");
	check(pthread_join(sender, &res) == 0 && res == NULL, "sender done");
	check(pthread_join(echo, &res) == 0 && res == NULL, "echo done");
	close(c);
	close(l);
}

/* sendfile from a file to a connected socket, with and without offset. */
static void sendfile_checks(void)
{
	static char data[100000], got[100000];
	char path[] = "/tmp/net_loopback.XXXXXX";
	int l = listener(), c, a, fd = mkstemp(path), p[2];
	struct sockaddr_in to = loopback(local_port(l));
	off_t off = 1000;
	size_t n = 0;
	ssize_t k;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 251);
	check(fd >= 0 && write(fd, data, sizeof(data)) == sizeof(data),
	      "a 100000-byte file");
	unlink(path);
	c = socket(AF_INET, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0, "connect");
	a = accept(l, NULL, NULL);
	check(a >= 0, "accept");
	check(sendfile(c, fd, &off, 50000) == 50000 && off == 51000,
	      "sendfile 50000 from offset 1000 advances the offset");
	check(lseek(fd, 0, SEEK_CUR) == sizeof(data),
	      "the file position is untouched");
	check(lseek(fd, 99000, SEEK_SET) == 99000 &&
		      sendfile(c, fd, NULL, 5000) == 1000,
	      "sendfile without offset stops at end of file");
	check(lseek(fd, 0, SEEK_CUR) == sizeof(data),
	      "and advances the file position");
	shutdown(c, SHUT_WR);
	while (n < sizeof(got) && (k = read(a, got + n, sizeof(got) - n)) > 0)
		n += (size_t)k;
	check(n == 51000 && memcmp(got, data + 1000, 50000) == 0 &&
		      memcmp(got + 50000, data + 99000, 1000) == 0,
	      "the peer reads exactly those bytes");
	check(pipe(p) == 0, "pipe");
	check_errno(sendfile(c, p[0], NULL, 10), EINVAL,
		    "sendfile from a pipe");
	close(p[0]);
	close(p[1]);
	close(fd);
	close(a);
	close(c);
	close(l);
}

/* A port nobody listens on refuses; a reset connection says so. */
static void refused_and_reset(void)
{
	int l = listener(), c, a, e;
	struct sockaddr_in to = loopback(local_port(l));
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char b[4];

	c = socket(AF_INET, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0, "connect");
	a = accept(l, NULL, NULL);
	check(a >= 0, "accept");
	check(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0,
	      "SO_LINGER 0");
	close(c); /* abortive: a RST, not a FIN */
	e = (int)read(a, b, sizeof(b));
	check_errno(e, ECONNRESET, "read after the peer's abortive close");
	close(a);
	close(l); /* now the port is free and closed */

	c = socket(AF_INET, SOCK_STREAM, 0);
	check_errno(connect(c, (struct sockaddr *)&to, sizeof(to)),
		    ECONNREFUSED, "connect to a closed port");
	close(c);
}

#define REUSE_CONNS 16

/* A TCP socket with SO_REUSEPORT (reuseport) or SO_REUSEADDR set, bound. */
static int bound_socket(in_addr_t ip, unsigned short port, int opt)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = ip;
	if (fd < 0 ||
	    (opt && setsockopt(fd, SOL_SOCKET, opt, &one, sizeof(one)) < 0))
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Connects to 127.0.0.1:port; which of l[0..n) accepted it, or -1. */
static int accepted_by(const int *l, int n, unsigned short port, int *conn)
{
	struct sockaddr_in to = loopback(port);
	struct pollfd p[2];
	int c = socket(AF_INET, SOCK_STREAM, 0), who = -1;

	if (c < 0 || connect(c, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = l[i], .events = POLLIN };
	if (poll(p, (nfds_t)n, 10000) == 1)
		for (int i = 0; i < n; i++)
			if (p[i].revents & POLLIN)
				who = i;
	if (who >= 0)
		close(accept(l[who], NULL, NULL));
	*conn = c;
	return who;
}

/* SO_REUSEPORT listeners share a port; addresses decide bind clashes. */
static void reuse_checks(void)
{
	int l[2], x, got[2] = { 0, 0 }, c[REUSE_CONNS];
	unsigned short port;

	l[0] = bound_socket(htonl(INADDR_LOOPBACK), 0, SO_REUSEPORT);
	check(l[0] >= 0 && listen(l[0], 8) == 0, "SO_REUSEPORT listener");
	port = local_port(l[0]);
	check_errno(bound_socket(htonl(INADDR_LOOPBACK), port, 0), EADDRINUSE,
		    "the port without SO_REUSEPORT");
	check_errno(bound_socket(htonl(INADDR_ANY), port, SO_REUSEADDR),
		    EADDRINUSE, "0.0.0.0 overlaps 127.0.0.1");
	l[1] = bound_socket(htonl(INADDR_LOOPBACK), port, SO_REUSEPORT);
	check(l[1] >= 0 && listen(l[1], 8) == 0,
	      "a second SO_REUSEPORT listener on the port");
	for (int i = 0; i < REUSE_CONNS; i++) {
		int who = accepted_by(l, 2, port, &c[i]);

		check(who >= 0, "each connection reaches one listener");
		got[who]++;
	}
	check(got[0] > 0 && got[1] > 0 && got[0] + got[1] == REUSE_CONNS,
	      "the listeners share the connections");
	for (int i = 0; i < REUSE_CONNS; i++)
		close(c[i]);
	close(l[1]);
	close(l[0]);

	l[0] = bound_socket(htonl(INADDR_LOOPBACK), 0, SO_REUSEADDR);
	port = l[0] < 0 ? 0 : local_port(l[0]);
	l[1] = bound_socket(htonl(INADDR_LOOPBACK), port, SO_REUSEADDR);
	check(l[0] >= 0 && l[1] >= 0,
	      "SO_REUSEADDR: two sockets bind one port while neither listens");
	check(listen(l[0], 8) == 0, "one of them listens");
	check_errno(listen(l[1], 8), EADDRINUSE, "the other cannot");
	x = bound_socket(htonl(INADDR_LOOPBACK), port, SO_REUSEADDR);
	check_errno(x, EADDRINUSE, "nor can a third bind beside the listener");
	close(l[1]);
	close(l[0]);
}

static void udp_checks(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0),
	    r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(0), from;
	socklen_t len = sizeof(from);
	char b[16];

	check(s >= 0 && r >= 0, "UDP sockets");
	check(bind(r, (struct sockaddr *)&a, sizeof(a)) == 0, "UDP bind");
	a = loopback(local_port(r));
	check(sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)) == 4,
	      "sendto 127.0.0.1");
	check(recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&from, &len) ==
			      4 &&
		      memcmp(b, "ping", 4) == 0,
	      "recvfrom gets the datagram");
	check(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		      ntohs(from.sin_port) == local_port(s),
	      "from 127.0.0.1 and the sender's port");
	check(sendto(r, "pong", 4, 0, (struct sockaddr *)&from, len) == 4,
	      "reply");
	check(recv(s, b, sizeof(b), 0) == 4 && memcmp(b, "pong", 4) == 0,
	      "the reply arrives");
	a = loopback(local_port(r));
	check(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0, "UDP connect");
	len = sizeof(from);
	check(getsockname(s, (struct sockaddr *)&from, &len) == 0 &&
		      from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "connecting chose the source address 127.0.0.1");
	a.sin_family = AF_UNSPEC;
	check(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		      getsockname(s, (struct sockaddr *)&from, &len) == 0 &&
		      from.sin_addr.s_addr == htonl(INADDR_ANY),
	      "disconnecting gives it up");
	close(s);
	close(r);
}

/* A UDP socket with option opt (0: none) bound to ip:port. */
static int udp_bound(in_addr_t ip, unsigned short port, int opt)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = ip;
	if (fd < 0 ||
	    (opt && setsockopt(fd, SOL_SOCKET, opt, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

/*
 * Reads datagrams from fd[0..n) until want have come, counting them in
 * got[]; loopback delivery need not be done when sendto returns. Then
 * every earlier datagram has been delivered too (loopback keeps order).
 */
static int collect(const int *fd, int n, int *got, int want)
{
	struct pollfd p[2];
	char b[8];
	int total = 0;

	for (int i = 0; i < n; i++) {
		p[i] = (struct pollfd){ .fd = fd[i], .events = POLLIN };
		got[i] = 0;
	}
	while (total < want && poll(p, (nfds_t)n, 5000) > 0)
		for (int i = 0; i < n; i++)
			while (recv(fd[i], b, sizeof(b), MSG_DONTWAIT) > 0) {
				got[i]++;
				total++;
			}
	return total;
}

#define UDP_MANY 40

/* SO_REUSEPORT and SO_REUSEADDR on datagram sockets; many bound at once. */
static void udp_reuse_checks(void)
{
	int r[2], s[UDP_MANY], got[2];
	unsigned short port;
	struct sockaddr_in to;

	r[0] = udp_bound(htonl(INADDR_LOOPBACK), 0, SO_REUSEPORT);
	port = r[0] < 0 ? 0 : local_port(r[0]);
	r[1] = udp_bound(htonl(INADDR_LOOPBACK), port, SO_REUSEPORT);
	check(r[0] >= 0 && r[1] >= 0, "two UDP sockets share a port");
	check_errno(udp_bound(htonl(INADDR_LOOPBACK), port, 0), EADDRINUSE,
		    "not a third without SO_REUSEPORT");
	to = loopback(port);
	for (int i = 0; i < UDP_MANY; i++) {
		s[i] = udp_bound(htonl(INADDR_LOOPBACK), 0, 0);
		check(s[i] >= 0, "UDP socket %d of %d bound", i + 1, UDP_MANY);
	}
	for (int i = 0; i < UDP_MANY; i++)
		check(sendto(s[i], "x", 1, 0, (struct sockaddr *)&to,
			     sizeof(to)) == 1,
		      "datagram %d sent", i + 1);
	check(collect(r, 2, got, UDP_MANY) == UDP_MANY && got[0] > 0 &&
		      got[1] > 0,
	      "the group shares the senders' datagrams");
	close(r[0]);
	close(r[1]);

	r[0] = udp_bound(htonl(INADDR_LOOPBACK), port, SO_REUSEADDR);
	r[1] = udp_bound(htonl(INADDR_ANY), port, SO_REUSEADDR);
	check(r[0] >= 0 && r[1] >= 0, "SO_REUSEADDR: 127.0.0.1 and 0.0.0.0");
	for (int i = 0; i < 4; i++)
		sendto(s[i], "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	check(collect(r, 2, got, 4) == 4 && got[0] == 4,
	      "the bound address wins over 0.0.0.0");
	for (int i = 0; i < UDP_MANY; i++)
		close(s[i]);
	close(r[0]);
	close(r[1]);
}

int main(void)
{
	check_start("net_loopback");
	tcp_checks();
	sendfile_checks();
	refused_and_reset();
	reuse_checks();
	udp_checks();
	udp_reuse_checks();
	return check_done();
}
