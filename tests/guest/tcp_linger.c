/* tcp_linger.c - guest test: SO_RCVBUF/SO_SNDBUF sizes and a lingering close over 127.0.0.1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/*
 * The peer's receive buffer in the linger checks: SO_RCVBUF 4096, which
 * Linux doubles to 8192. What the peer's kernel may hold unread is about
 * that; MARGIN allows for Linux counting its overhead differently.
 */
#define PEER_RCVBUF 4096
#define MARGIN (3 * 2 * PEER_RCVBUF)
#define CHUNK 1024

static int getint(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0)
		return -1;
	return v;
}

static int setint(int fd, int name, int v)
{
	return setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v));
}

/* A listener on 127.0.0.1 with the given buffer sizes (0: default). */
static int listener(int rcvbuf, int sndbuf, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	check(fd >= 0, "socket");
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (rcvbuf)
		check(setint(fd, SO_RCVBUF, rcvbuf) == 0,
		      "listener SO_RCVBUF %d", rcvbuf);
	if (sndbuf)
		check(setint(fd, SO_SNDBUF, sndbuf) == 0,
		      "listener SO_SNDBUF %d", sndbuf);
	check(bind(fd, (struct sockaddr *)a, sizeof(*a)) == 0, "bind");
	check(listen(fd, 4) == 0, "listen");
	check(getsockname(fd, (struct sockaddr *)a, &len) == 0, "getsockname");
	return fd;
}

/* A connected pair through listener l: *srv gets the accepted side. */
static int connect_pair(int l, const struct sockaddr_in *a, int *srv)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);

	check(c >= 0, "socket");
	check(connect(c, (const struct sockaddr *)a, sizeof(*a)) == 0,
	      "connect");
	*srv = accept(l, NULL, NULL);
	check(*srv >= 0, "accept");
	return c;
}

static void sizes(void)
{
	struct sockaddr_in a;
	int l, c, s, fd = socket(AF_INET, SOCK_STREAM, 0);

	check(fd >= 0, "socket");
	check(setint(fd, SO_RCVBUF, 6000) == 0 &&
		      getint(fd, SO_RCVBUF) == 12000,
	      "SO_RCVBUF 6000 reads back doubled, 12000");
	check(setint(fd, SO_SNDBUF, 5000) == 0 &&
		      getint(fd, SO_SNDBUF) == 10000,
	      "SO_SNDBUF 5000 reads back doubled, 10000");
	close(fd);

	l = listener(6000, 5000, &a);
	c = connect_pair(l, &a, &s);
	check(getint(s, SO_RCVBUF) == 12000 && getint(s, SO_SNDBUF) == 10000,
	      "the accepted socket has the listener's sizes");
	check(setint(c, SO_SNDBUF, 30000) == 0 && getint(c, SO_SNDBUF) == 60000,
	      "SO_SNDBUF on a connected socket: 60000");
	check(setint(c, SO_RCVBUF, 100000) == 0 &&
		      getint(c, SO_RCVBUF) == 200000,
	      "SO_RCVBUF on a connected socket: 200000");
	check(write(c, "ping", 4) == 4, "write through the resized buffers");
	{
		char b[8];

		check(read(s, b, sizeof(b)) == 4 && memcmp(b, "ping", 4) == 0,
		      "the peer reads it");
	}
	close(c);
	close(s);
	close(l);
}

/* The reader: waits delay_ms, then reads to EOF checking the pattern. */
struct reader {
	int fd;
	unsigned delay_ms;
	atomic_size_t got;
	int bad, eof;
	pthread_t th;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char b[CHUNK];

	usleep(r->delay_ms * 1000);
	for (;;) {
		ssize_t n = read(r->fd, b, sizeof(b));
		size_t at = atomic_load(&r->got);

		if (n <= 0) {
			r->eof = n == 0;
			return NULL;
		}
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != (char)((at + (size_t)i) % 251))
				r->bad = 1;
		atomic_fetch_add(&r->got, (size_t)n);
	}
}

/* Non-blocking writes of the pattern until the buffers are full. */
static size_t fill(int fd)
{
	char b[CHUNK];
	size_t w = 0;

	check(fcntl(fd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	for (;;) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (char)((w + i) % 251);
		n = write(fd, b, sizeof(b));
		if (n < 0)
			break;
		w += (size_t)n;
	}
	check(errno == EAGAIN, "writes fill both buffers until EAGAIN");
	return w;
}

/*
 * close() with SO_LINGER {1, secs} on a non-blocking socket whose peer
 * starts reading after delay_ms: returns how long close took (ms), and
 * *seen what the peer had read when it returned.
 */
static uint64_t linger_close(int secs, unsigned delay_ms, size_t *written,
			     size_t *seen, struct reader *r)
{
	struct linger lg = { .l_onoff = 1, .l_linger = secs };
	struct sockaddr_in a;
	uint64_t t0;
	int l, c, rc;

	l = listener(PEER_RCVBUF, 0, &a);
	c = connect_pair(l, &a, &r->fd);
	check(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0,
	      "SO_LINGER {1, %d}", secs);
	*written = fill(c);
	check(*written > 2 * MARGIN, "more written than the peer can hold");
	r->delay_ms = delay_ms;
	atomic_store(&r->got, 0);
	check(pthread_create(&r->th, NULL, reader_main, r) == 0,
	      "a reader that starts after %u ms", delay_ms);
	t0 = now_ms();
	rc = close(c);
	*seen = atomic_load(&r->got);
	check(rc == 0, "close returns 0");
	close(l);
	return now_ms() - t0;
}

static void reader_done(struct reader *r, size_t written)
{
	check(pthread_join(r->th, NULL) == 0, "join the reader");
	check(atomic_load(&r->got) == written && !r->bad,
	      "the peer read every byte written, in order");
	check(r->eof, "then end of stream (a FIN, not a reset)");
	close(r->fd);
}

int main(void)
{
	struct reader r = { 0 };
	size_t written, seen;
	uint64_t ms;

	check_start("tcp_linger");
	sizes();

	/* The peer reads after 500 ms: close waits until it acknowledged. */
	ms = linger_close(10, 500, &written, &seen, &r);
	check(ms >= 400 && ms < 5000,
	      "close lingered until the data was acknowledged");
	check(seen + MARGIN >= written,
	      "close returned once the peer held or had read all the data");
	reader_done(&r, written);

	/* The peer reads only after 2 s: a 1 s linger runs out. */
	ms = linger_close(1, 2000, &written, &seen, &r);
	check(ms >= 900 && ms < 1900, "close returned when the 1 s ran out");
	check(seen == 0, "the peer had read nothing by then");
	reader_done(&r, written);
	return check_done();
}
