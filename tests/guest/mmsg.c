/* mmsg.c - guest test: sendmmsg and recvmmsg on AF_UNIX and AF_INET (UDP and TCP) sockets. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define N 4
#ifndef MSG_WAITFORONE
#define MSG_WAITFORONE 0x10000
#endif

/* musl and glibc differ in recvmmsg's timeout type; the raw call does not. */
struct kts {
	int64_t sec, nsec;
};

static struct mmsghdr msgs[N];
static struct iovec iovs[N];
static char bufs[N][64];

/* msgs[i] over bufs[i] (len bytes); texts to send, or NULL to receive. */
static void setup(int n, const char *const *texts, size_t len)
{
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < n; i++) {
		if (texts != NULL)
			snprintf(bufs[i], sizeof(bufs[i]), "%s", texts[i]);
		else
			memset(bufs[i], 0, sizeof(bufs[i]));
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = texts != NULL ? strlen(texts[i]) : len;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_len = 0xdead;
	}
}

static long sendm(int fd, unsigned vlen, int flags)
{
	return syscall(SYS_sendmmsg, fd, msgs, vlen, flags);
}

static long recvm(int fd, unsigned vlen, int flags, struct kts *t)
{
	return syscall(SYS_recvmmsg, fd, msgs, vlen, flags, t);
}

static const char *const three[] = { "a", "bb", "ccc", "dddd" };

static void unix_dgram(void)
{
	int sv[2];
	struct kts t;

	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair DGRAM");
	setup(3, three, 0);
	check(sendm(sv[0], 3, 0) == 3 && msgs[0].msg_len == 1 &&
		      msgs[1].msg_len == 2 && msgs[2].msg_len == 3,
	      "sendmmsg 3 datagrams, msg_len 1 2 3");
	setup(N, NULL, 64);
	check(recvm(sv[1], N, MSG_DONTWAIT, NULL) == 3 &&
		      msgs[0].msg_len == 1 && msgs[2].msg_len == 3 &&
		      !strcmp(bufs[1], "bb") && !strcmp(bufs[2], "ccc") &&
		      msgs[3].msg_len == 0xdead,
	      "recvmmsg DONTWAIT takes the 3 there are");
	check_errno(recvm(sv[1], N, MSG_DONTWAIT, NULL), EAGAIN,
		    "recvmmsg on an empty socket");
	check(recvm(sv[1], 0, 0, NULL) == 0, "recvmmsg vlen 0");
	setup(2, three, 0);
	check(sendm(sv[0], 2, 0) == 2, "send 2 more");
	setup(N, NULL, 64);
	check(recvm(sv[1], N, MSG_WAITFORONE, NULL) == 2,
	      "MSG_WAITFORONE: waits for one, takes what is queued");
	setup(3, three, 0);
	check(sendm(sv[0], 3, 0) == 3, "send 3 more");
	setup(N, NULL, 64);
	t = (struct kts){ 0, 0 };
	check(recvm(sv[1], N, 0, &t) == 1 && t.sec == 0 && t.nsec == 0,
	      "timeout 0: one datagram, timeout stays 0");
	t = (struct kts){ 5, 0 };
	check(recvm(sv[1], 2, 0, &t) == 2 && t.sec * 1000000000 + t.nsec > 0 &&
		      t.sec * 1000000000 + t.nsec <= 5000000000LL,
	      "timeout 5 s: the rest, time left written back");
	t = (struct kts){ 0, 1000000000 };
	check_errno(recvm(sv[1], N, 0, &t), EINVAL, "timeout nsec 1e9");
	t = (struct kts){ -1, 0 };
	check_errno(recvm(sv[1], N, 0, &t), EINVAL, "timeout sec -1");
	check_errno(recvm(sv[1], N, 0, (struct kts *)8), EFAULT,
		    "timeout unreadable");
	check_errno(recvm(sv[1], N, 1u << 31, NULL), EINVAL,
		    "recvmmsg MSG_CMSG_COMPAT");
	setup(3, three, 0);
	check(sendm(sv[0], 0, 0) == 0, "sendmmsg vlen 0");
	iovs[1].iov_base = (void *)8;
	check(sendm(sv[0], 3, 0) == 1, "a bad second message: 1 sent");
	iovs[0].iov_base = (void *)8;
	check_errno(sendm(sv[0], 3, 0), EFAULT, "a bad first message");
	check_errno(syscall(SYS_sendmmsg, sv[0], (void *)8, 1, 0), EFAULT,
		    "sendmmsg unreadable array");
	setup(N, NULL, 64);
	check(recvm(sv[1], N, MSG_DONTWAIT, NULL) == 1 && !strcmp(bufs[0], "a"),
	      "only the good one arrived");
	close(sv[0]);
	close(sv[1]);
}

static void bad_fds(void)
{
	int p[2];

	check(pipe(p) == 0, "pipe");
	setup(1, three, 0);
	check_errno(sendm(p[1], 1, 0), ENOTSOCK, "sendmmsg on a pipe");
	check_errno(recvm(p[0], 1, 0, NULL), ENOTSOCK, "recvmmsg on a pipe");
	check_errno(sendm(999, 1, 0), EBADF, "sendmmsg on fd 999");
	check_errno(recvm(999, 1, 0, NULL), EBADF, "recvmmsg on fd 999");
	close(p[0]);
	close(p[1]);
}

static int udp_bound(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	*sin = (struct sockaddr_in){ .sin_family = AF_INET };
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(fd >= 0 && bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == 0 &&
		      getsockname(fd, (struct sockaddr *)sin, &len) == 0,
	      "UDP socket bound to 127.0.0.1");
	return fd;
}

static void udp(void)
{
	struct sockaddr_in a, b, from[2];
	int ra = udp_bound(&a), rb = udp_bound(&b);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	static struct mmsghdr many[1100];
	char byte = 'x';
	struct iovec one = { &byte, 1 };
	int drained = 0;

	setup(2, three, 0);
	msgs[0].msg_hdr.msg_name = &a;
	msgs[0].msg_hdr.msg_namelen = sizeof(a);
	msgs[1].msg_hdr.msg_name = &b;
	msgs[1].msg_hdr.msg_namelen = sizeof(b);
	check(sendm(s, 2, 0) == 2 && msgs[1].msg_len == 2,
	      "UDP sendmmsg to two addresses");
	setup(2, NULL, 64);
	msgs[0].msg_hdr.msg_name = &from[0];
	msgs[0].msg_hdr.msg_namelen = sizeof(from[0]);
	/* Loopback may deliver after the send returns: wait for one. */
	check(recvm(ra, 2, MSG_WAITFORONE, NULL) == 1 && msgs[0].msg_len == 1 &&
		      msgs[0].msg_hdr.msg_namelen == sizeof(from[0]) &&
		      from[0].sin_family == AF_INET,
	      "first receiver: one datagram and its source");
	setup(2, NULL, 64);
	check(recvm(rb, 2, MSG_WAITFORONE, NULL) == 1 && !strcmp(bufs[0], "bb"),
	      "second receiver: the other");
	for (int i = 0; i < 1100; i++) {
		many[i].msg_hdr.msg_iov = &one;
		many[i].msg_hdr.msg_iovlen = 1;
		many[i].msg_hdr.msg_name = &a;
		many[i].msg_hdr.msg_namelen = sizeof(a);
	}
	check(syscall(SYS_sendmmsg, s, many, 1100, 0) == 1024,
	      "sendmmsg vlen 1100 sends UIO_MAXIOV (1024)");
	check(poll(&(struct pollfd){ ra, POLLIN, 0 }, 1, 5000) == 1,
	      "the receiver becomes readable");
	while (recv(ra, &byte, 1, MSG_DONTWAIT) == 1)
		drained++;
	check(drained > 0, "the receiver got some");
	close(s);
	close(ra);
	close(rb);
}

/* Wait (bounded) until fd has n bytes to read. */
static int wait_bytes(int fd, int n)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int have = 0;

	for (int i = 0; i < 100 && have < n; i++) {
		poll(&p, 1, 10);
		ioctl(fd, FIONREAD, &have);
	}
	return have;
}

static void streams(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, a, sv[2];

	sin = (struct sockaddr_in){ .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		      listen(l, 1) == 0 &&
		      getsockname(l, (struct sockaddr *)&sin, &len) == 0,
	      "TCP listener");
	c = socket(AF_INET, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect");
	a = accept(l, NULL, NULL);
	check(a >= 0, "accept");
	setup(3, three + 1, 0);
	check(sendm(c, 3, 0) == 3 && msgs[2].msg_len == 4,
	      "TCP sendmmsg: 3 messages");
	check(wait_bytes(a, 9) == 9, "9 bytes arrive");
	setup(2, NULL, 4);
	iovs[1].iov_len = 64;
	check(recvm(a, 2, 0, NULL) == 2 && msgs[0].msg_len == 4 &&
		      msgs[1].msg_len == 5 && !strcmp(bufs[0], "bbcc") &&
		      !strcmp(bufs[1], "cdddd"),
	      "TCP recvmmsg: 4 bytes, then the other 5");
	close(c);
	setup(2, NULL, 64);
	check(recvm(a, 2, 0, NULL) == 2 && msgs[0].msg_len == 0 &&
		      msgs[1].msg_len == 0,
	      "TCP recvmmsg at EOF: every message is an empty one");
	close(a);
	close(l);
	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair STREAM");
	setup(2, three, 0);
	check(sendm(sv[0], 2, 0) == 2, "AF_UNIX stream sendmmsg");
	setup(2, NULL, 64);
	check(recvm(sv[1], 2, MSG_DONTWAIT, NULL) == 1 &&
		      msgs[0].msg_len == 3 && !strcmp(bufs[0], "abb"),
	      "AF_UNIX stream recvmmsg: one read takes both");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	check_start("mmsg");
	unix_dgram();
	bad_fds();
	udp();
	streams();
	return check_done();
}
