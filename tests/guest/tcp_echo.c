/* tcp_echo.c - guest test: a TCP echo server on 0.0.0.0:PORT for one connection. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/*
 * usage: tcp_echo PORT. Accepts one connection, sends everything back
 * byte for byte until the peer's end of stream, closes, prints
 * "tcp_echo: echoed N bytes" and exits 0. Any failure prints
 * "tcp_echo: FAIL <what> (errno NAME)" and exits 1.
 */
/* Everything in buf[0..n) to fd. */
static void send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			fail("send");
		buf += k;
		n -= (size_t)k;
	}
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	long long total = 0;
	int port, lfd, fd, one = 1;
	ssize_t got;

	if (argc != 2 || (port = atoi(argv[1])) < 1 || port > 65535) {
		fprintf(stderr, "usage: tcp_echo PORT\n");
		return 2;
	}
	check_start("tcp_echo");
	lfd = server_socket(SOCK_STREAM, port);
	if (listen(lfd, 4) < 0)
		fail("listen");
	fd = accept(lfd, (struct sockaddr *)&peer, &plen);
	if (fd < 0)
		fail("accept");
	if (plen != sizeof(peer) || peer.sin_family != AF_INET)
		fail("peer address");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		fail("TCP_NODELAY");
	while ((got = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			fail("recv");
		send_all(fd, buf, (size_t)got);
		total += got;
	}
	if (close(fd) < 0 || close(lfd) < 0)
		fail("close");
	printf("tcp_echo: echoed %lld bytes\n", total);
	return 0;
}
