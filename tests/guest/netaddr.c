/* netaddr.c - guest test: which address the guest sends from, as getsockname says. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/*
 * usage: netaddr ADDR PORT [tcp]. Connects a UDP socket to ADDR:PORT
 * (nothing is sent) and prints "netaddr: udp from A.B.C.D", the local
 * address the route chose. With "tcp" it connects over TCP instead,
 * prints "netaddr: tcp from A.B.C.D" and sends "A.B.C.D\n" to the peer,
 * so a server on the other side can compare it with what it saw. A
 * failure prints "netaddr: FAIL <what> (errno NAME)" and exits 1.
 */
int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET }, me;
	socklen_t len = sizeof(me);
	int tcp = argc == 4 && strcmp(argv[3], "tcp") == 0, fd;
	char addr[INET_ADDRSTRLEN + 1];

	if (argc != 3 && !tcp) {
		fprintf(stderr, "usage: netaddr ADDR PORT [tcp]\n");
		return 2;
	}
	check_start("netaddr");
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		fail("the address");
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		fail("connect");
	if (getsockname(fd, (struct sockaddr *)&me, &len) < 0)
		fail("getsockname");
	inet_ntop(AF_INET, &me.sin_addr, addr, INET_ADDRSTRLEN);
	printf("netaddr: %s from %s\n", tcp ? "tcp" : "udp", addr);
	strcat(addr, "\n");
	if (tcp && write(fd, addr, strlen(addr)) != (ssize_t)strlen(addr))
		fail("write");
	close(fd);
	return 0;
}
