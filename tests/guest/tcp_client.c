/* tcp_client.c - guest test: a TCP client reading a stream from HOST:PORT. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/*
 * usage: tcp_client ADDR PORT [refused | send SIZE]. Connects to the
 * IPv4 address ADDR, sends "hello\n", reads until end of stream and
 * prints "tcp_client: got N bytes, fnv1a64 X". With "refused" it expects
 * the connection to be refused and prints "tcp_client: refused". With
 * "send SIZE" it first sends SIZE bytes of pattern() and half-closes,
 * then reads the answer as before. Any failure prints
 * "tcp_client: FAIL <what> (errno NAME)" and exits 1.
 */
/* Byte i of the stream sent: the same formula as the host test's. */
static unsigned char pattern(uint64_t i)
{
	return (unsigned char)((i % 65536) * 37 + (i % 65536) / 256);
}

static void send_pattern(int fd, uint64_t size)
{
	static unsigned char out[65536];
	uint64_t off = 0;

	while (off < size) {
		size_t n = size - off < sizeof(out) ? (size_t)(size - off) :
						      sizeof(out);
		ssize_t k;

		for (size_t i = 0; i < n; i++)
			out[i] = pattern(off + i);
		k = write(fd, out, n);
		if (k <= 0)
			fail("write");
		off += (uint64_t)k;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		fail("shutdown");
}

int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint64_t hash = 0xcbf29ce484222325ull, total = 0;
	int fd, want_refused = argc == 4 && strcmp(argv[3], "refused") == 0;
	int sending = argc == 5 && strcmp(argv[3], "send") == 0;
	ssize_t n;

	if (argc != 3 && !want_refused && !sending) {
		fprintf(stderr,
			"usage: tcp_client ADDR PORT [refused | send SIZE]\n");
		return 2;
	}
	check_start("tcp_client");
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		fail("the address");
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (want_refused && errno == ECONNREFUSED) {
			printf("tcp_client: refused\n");
			return 0;
		}
		fail("connect");
	}
	if (want_refused) {
		errno = 0;
		fail("connected where refusal was expected");
	}
	if (write(fd, "hello\n", 6) != 6)
		fail("write");
	if (sending)
		send_pattern(fd, strtoull(argv[4], NULL, 10));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			hash = (hash ^ buf[i]) * 0x100000001b3ull;
		total += (uint64_t)n;
	}
	if (n < 0)
		fail("read");
	close(fd);
	printf("tcp_client: got %llu bytes, fnv1a64 %016llx\n",
	       (unsigned long long)total, (unsigned long long)hash);
	return 0;
}
