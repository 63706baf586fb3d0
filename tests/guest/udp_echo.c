/* udp_echo.c - guest test: a UDP echo server on 0.0.0.0:PORT for N datagrams. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/*
 * usage: udp_echo PORT N. Sends every datagram back to where it came
 * from, byte for byte; after N prints "udp_echo: echoed N" and exits 0.
 * Any failure prints "udp_echo: FAIL <what> (errno NAME)" and exits 1.
 */
int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in from;
	socklen_t flen;
	int port, n, fd;
	ssize_t got;

	if (argc != 3 || (port = atoi(argv[1])) < 1 || port > 65535 ||
	    (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: udp_echo PORT N\n");
		return 2;
	}
	check_start("udp_echo");
	fd = server_socket(SOCK_DGRAM, port);
	for (int i = 0; i < n; i++) {
		flen = sizeof(from);
		got = recvfrom(fd, buf, sizeof(buf), 0,
			       (struct sockaddr *)&from, &flen);
		if (got < 0)
			fail("recvfrom");
		if (flen != sizeof(from) || from.sin_family != AF_INET)
			fail("source address");
		if (sendto(fd, buf, (size_t)got, 0, (struct sockaddr *)&from,
			   flen) != got)
			fail("sendto");
	}
	printf("udp_echo: echoed %d\n", n);
	close(fd);
	return 0;
}
