/* unix_sockets.c - guest test: AF_UNIX stream and datagram sockets, names, readiness, options. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

#define BIG (1024 * 1024)

static char sock_path[64], abstract[64];
static int abstract_len;

static socklen_t path_addr(struct sockaddr_un *a, const char *p)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, p);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p) +
			   1);
}

static void pair_stream(void)
{
	char buf[64], link[64], fdpath[32];
	struct stat st;
	int sv[2], n = -1;
	ssize_t len;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair stream");
	check(write(sv[0], "ping", 4) == 4, "write 4 bytes");
	check(ioctl(sv[1], FIONREAD, &n) == 0 && n == 4, "FIONREAD says 4");
	check(recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 4,
	      "MSG_PEEK sees them");
	check(read(sv[1], buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0,
	      "read them back");
	check(send(sv[1], "pong", 4, 0) == 4 && recv(sv[0], buf, 4, 0) == 4 &&
		      memcmp(buf, "pong", 4) == 0,
	      "and the other way");
	check(fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode),
	      "fstat: S_IFSOCK");
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", sv[0]);
	len = readlink(fdpath, link, sizeof(link) - 1);
	check(len > 8 && memcmp(link, "socket:[", 8) == 0 &&
		      link[len - 1] == ']',
	      "/proc/self/fd names it socket:[N]");
	check_errno(lseek(sv[0], 0, SEEK_SET), ESPIPE, "lseek on a socket");
	check(shutdown(sv[0], SHUT_WR) == 0, "shutdown SHUT_WR");
	check(read(sv[1], buf, sizeof(buf)) == 0, "the peer reads EOF");
	check_errno(write(sv[0], "x", 1), EPIPE, "write after SHUT_WR");
	check(write(sv[1], "back", 4) == 4 && read(sv[0], buf, 8) == 4,
	      "the other direction still works");
	close(sv[1]);
	check(read(sv[0], buf, sizeof(buf)) == 0, "EOF after the peer's close");
	close(sv[0]);
}

static void pair_dgram(void)
{
	char buf[64];
	struct iovec iov[2];
	struct msghdr mh;
	int sv[2];

	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
	check(send(sv[0], "one", 3, 0) == 3 &&
		      send(sv[0], "three", 5, 0) == 5 &&
		      send(sv[0], "", 0, 0) == 0,
	      "send three datagrams");
	check(recv(sv[1], buf, sizeof(buf), 0) == 3,
	      "first keeps its boundary");
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = buf;
	iov[0].iov_len = 2;
	iov[1].iov_base = buf + 2;
	iov[1].iov_len = 1;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	check(recvmsg(sv[1], &mh, 0) == 3 && (mh.msg_flags & MSG_TRUNC) &&
		      memcmp(buf, "thr", 3) == 0,
	      "recvmsg into 2 iovecs truncates: MSG_TRUNC");
	check(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 0,
	      "empty datagram");
	check_errno(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN,
		    "recv MSG_DONTWAIT on an empty queue");
	check(send(sv[1], "abcdef", 6, 0) == 6 &&
		      recv(sv[0], buf, 2, MSG_TRUNC) == 6,
	      "MSG_TRUNC returns the real length");
	close(sv[0]);
	close(sv[1]);
}

static void *server(void *arg)
{
	static char buf[BIG];
	int ls = *(int *)arg, c, ok = 1;
	size_t got = 0;
	ssize_t n;

	c = accept(ls, NULL, NULL);
	if (c < 0)
		return (void *)1;
	while ((n = read(c, buf + got, BIG - got)) > 0)
		got += (size_t)n;
	for (size_t i = 0; i < BIG; i++)
		ok &= buf[i] == (char)(i * 7 + i / 4096);
	ok &= got == BIG;
	if (write(c, ok ? "ok" : "no", 2) != 2)
		ok = 0;
	close(c);
	return (void *)(intptr_t)!ok;
}

static void path_server(void)
{
	static char data[BIG];
	struct sockaddr_un a, b;
	socklen_t alen = path_addr(&a, sock_path), blen;
	pthread_t t;
	void *ret;
	int ls, c;
	char buf[4];

	for (size_t i = 0; i < BIG; i++)
		data[i] = (char)(i * 7 + i / 4096);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	check(ls >= 0, "socket AF_UNIX SOCK_STREAM");
	check(bind(ls, (struct sockaddr *)&a, alen) == 0, "bind to a path");
	check(access(sock_path, F_OK) == 0, "bind made the node");
	check(listen(ls, 4) == 0, "listen");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	check_errno(bind(c, (struct sockaddr *)&a, alen), EADDRINUSE,
		    "bind to a taken path");
	check(pthread_create(&t, NULL, server, &ls) == 0,
	      "start the server thread");
	check(connect(c, (struct sockaddr *)&a, alen) == 0, "connect");
	blen = sizeof(b);
	check(getpeername(c, (struct sockaddr *)&b, &blen) == 0 &&
		      blen == alen && strcmp(b.sun_path, sock_path) == 0,
	      "getpeername is the server's path");
	blen = sizeof(b);
	check(getsockname(c, (struct sockaddr *)&b, &blen) == 0 &&
		      blen == offsetof(struct sockaddr_un, sun_path),
	      "getsockname of the client: unnamed");
	check(write(c, data, BIG) == BIG, "write 1 MiB");
	check(shutdown(c, SHUT_WR) == 0, "shutdown(SHUT_WR)");
	check(read(c, buf, sizeof(buf)) == 2 && memcmp(buf, "ok", 2) == 0,
	      "the server checked 1 MiB byte for byte");
	check(read(c, buf, sizeof(buf)) == 0, "EOF after the server closed");
	check(pthread_join(t, &ret) == 0 && ret == NULL, "server thread done");
	close(c);
	close(ls);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	check_errno(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED,
		    "connect after the listener closed");
	check(unlink(sock_path) == 0, "unlink the node");
	check_errno(connect(c, (struct sockaddr *)&a, alen), ENOENT,
		    "connect to a missing path");
	close(c);
}

static void epipe(void)
{
	int sv[2];

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair for EPIPE");
	close(sv[1]);
	check_errno(write(sv[0], "x", 1), EPIPE,
		    "write to a closed peer (SIGPIPE ignored)");
	check_errno(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE,
		    "send MSG_NOSIGNAL");
	close(sv[0]);
}

static void abstract_names(void)
{
	struct sockaddr_un a, b;
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     abstract_len);
	socklen_t blen = sizeof(b);
	int ls, c, s;
	char buf[8];

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, abstract, (size_t)abstract_len);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(fcntl(ls, F_GETFD) == FD_CLOEXEC, "SOCK_CLOEXEC");
	check(bind(ls, (struct sockaddr *)&a, alen) == 0,
	      "bind an abstract name");
	check(getsockname(ls, (struct sockaddr *)&b, &blen) == 0 &&
		      blen == alen &&
		      memcmp(b.sun_path, abstract, (size_t)abstract_len) == 0,
	      "getsockname returns it");
	check(listen(ls, 1) == 0, "listen on it");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&a, alen) == 0, "connect to it");
	check(write(c, "abc", 3) == 3, "write before the accept");
	blen = sizeof(b);
	s = accept4(ls, (struct sockaddr *)&b, &blen, SOCK_NONBLOCK);
	check(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK),
	      "accept4 SOCK_NONBLOCK");
	check(blen == offsetof(struct sockaddr_un, sun_path),
	      "the client is unnamed");
	check(read(s, buf, sizeof(buf)) == 3, "the early data arrived");
	check_errno(read(s, buf, sizeof(buf)), EAGAIN,
		    "nonblocking read: EAGAIN");
	check(fcntl(ls, F_SETFL, O_NONBLOCK) == 0, "listener O_NONBLOCK");
	check_errno(accept(ls, NULL, NULL), EAGAIN,
		    "accept with nothing queued");
	close(s);
	close(c);
	close(ls);
}

static void readiness(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd pfd;
	int sv[2], ep, total = 0, n;
	static char chunk[4096];

	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0,
	      "socketpair SOCK_NONBLOCK");
	pfd.fd = sv[1];
	pfd.events = POLLIN | POLLOUT;
	check(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLOUT,
	      "poll: writable, not readable");
	ep = epoll_create1(0);
	ev.data.fd = sv[1];
	check(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0, "epoll_ctl ADD");
	check(epoll_wait(ep, &out, 1, 0) == 0, "epoll: nothing yet");
	check(write(sv[0], "x", 1) == 1, "write one byte");
	check(epoll_wait(ep, &out, 1, 1000) == 1 && out.events == EPOLLIN,
	      "epoll: readable");
	while ((n = (int)write(sv[0], chunk, sizeof(chunk))) > 0)
		total += n;
	check(n == -1 && errno == EAGAIN && total > 0, "fill until EAGAIN");
	pfd.fd = sv[0];
	pfd.events = POLLOUT;
	check(poll(&pfd, 1, 0) == 0, "poll: full, not writable");
	close(sv[1]);
	pfd.events = POLLIN;
	check(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLHUP),
	      "POLLHUP after the peer's close");
	close(sv[0]);
	close(ep);
}

static void options(void)
{
	int s, sv[2], v = 0;
	socklen_t len = sizeof(v);
	struct ucred cr;
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, sock_path);

	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 &&
		      v == SOCK_DGRAM,
	      "SO_TYPE");
	len = sizeof(v);
	check(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0,
	      "SO_ERROR");
	len = sizeof(v);
	check(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 &&
		      v == AF_UNIX,
	      "SO_DOMAIN");
	v = 1;
	check(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)) == 0,
	      "set SO_REUSEADDR");
	len = sizeof(v);
	check(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0 && v == 1,
	      "get SO_REUSEADDR");
	v = 8192;
	len = sizeof(v);
	check(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0 &&
		      getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 &&
		      v == 16384,
	      "SO_SNDBUF doubles");
	check_errno(getsockopt(s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT,
		    "unknown option");
	check_errno(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen), ENOENT,
		    "sendto a missing path");
	close(s);
	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair for SO_PEERCRED");
	len = sizeof(cr);
	check(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
		      cr.pid == getpid() && cr.uid == geteuid() &&
		      cr.gid == getegid(),
	      "SO_PEERCRED: this process");
	close(sv[0]);
	close(sv[1]);
	check_errno(socket(AF_UNIX, SOCK_STREAM, 99), EPROTONOSUPPORT,
		    "unknown protocol");
	check_errno(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT,
		    "unknown family");
	check_errno(accept(0, NULL, NULL), ENOTSOCK, "accept on a non-socket");
}

/* SO_RCVTIMEO: a receive that would block gives up with EAGAIN in time. */
static void receive_timeout(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
	long long t0;
	int sv[2];
	char c;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair for SO_RCVTIMEO");
	check(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0,
	      "set SO_RCVTIMEO to 50 ms");
	t0 = now_ms();
	check_errno(recv(sv[0], &c, 1, 0), EAGAIN, "recv with nothing to read");
	check(now_ms() - t0 >= 50, "it waited SO_RCVTIMEO first");
	check(send(sv[1], "y", 1, 0) == 1 && recv(sv[0], &c, 1, 0) == 1 &&
		      c == 'y',
	      "the socket still works after the timeout");
	close(sv[0]);
	close(sv[1]);
}

static void dgram_names(void)
{
	struct sockaddr_un a, b;
	socklen_t alen = path_addr(&a, sock_path), blen = sizeof(b);
	int r, s;
	char buf[16];

	r = socket(AF_UNIX, SOCK_DGRAM, 0);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	check(bind(r, (struct sockaddr *)&a, alen) == 0,
	      "bind a datagram socket");
	check(sendto(s, "hello", 5, 0, (struct sockaddr *)&a, alen) == 5,
	      "sendto its path");
	check(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&b, &blen) ==
			      5 &&
		      blen == 0,
	      "recvfrom: an unnamed sender has no address");
	check(connect(s, (struct sockaddr *)&a, alen) == 0 &&
		      send(s, "x", 1, 0) == 1,
	      "connect and send");
	check(recv(r, buf, sizeof(buf), 0) == 1, "received");
	close(r);
	check_errno(send(s, "x", 1, 0), ECONNREFUSED,
		    "send after the receiver closed");
	close(s);
	unlink(sock_path);
}

int main(void)
{
	check_start("unix_sockets");
	snprintf(sock_path, sizeof(sock_path), "/tmp/unix_sockets.%d.sock",
		 (int)getpid());
	abstract_len = 1 + snprintf(abstract + 1, sizeof(abstract) - 1,
				    "unix_sockets.%d", (int)getpid());
	unlink(sock_path);
	signal(SIGPIPE, SIG_IGN); /* EPIPE is checked, not the signal */
	pair_stream();
	pair_dgram();
	path_server();
	epipe();
	abstract_names();
	readiness();
	options();
	receive_timeout();
	dgram_names();
	return check_done();
}
