/* splice.c - guest test: splice, tee and vmsplice between pipes, files and sockets: data, positions, SPLICE_F_NONBLOCK and the errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static int pr[2], pr2[2];

/* Read what the pipe holds (at most n) as a string. */
static const char *drain(int fd, size_t n)
{
	static char buf[256];
	ssize_t r = read(fd, buf, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1);

	buf[r > 0 ? r : 0] = 0;
	return buf;
}

static int make_file(const char *name, const char *text)
{
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail("make a file");
	return fd;
}

static void file_and_pipe(void)
{
	int fd = make_file("in", "0123456789abcdef"), out;
	loff_t off = 4;
	char buf[16];

	check(splice(fd, &off, pr[1], NULL, 6, 0) == 6 && off == 10,
	      "file to pipe at an offset: 6 bytes, offset now 10");
	check(lseek(fd, 0, SEEK_CUR) == 16, "the file position is left alone");
	check(strcmp(drain(pr[0], 6), "456789") == 0, "the pipe got 456789");
	lseek(fd, 2, SEEK_SET);
	check(splice(fd, NULL, pr[1], NULL, 3, 0) == 3 &&
		      lseek(fd, 0, SEEK_CUR) == 5,
	      "file to pipe at the position moves it by 3");
	check(strcmp(drain(pr[0], 3), "234") == 0, "the pipe got 234");
	off = 100;
	check(splice(fd, &off, pr[1], NULL, 5, 0) == 0 && off == 100,
	      "past the end of the file: 0");
	out = make_file("out", "..........");
	check(write(pr[1], "HELLO", 5) == 5, "write HELLO into the pipe");
	off = 3;
	check(splice(pr[0], NULL, out, &off, 5, 0) == 5 && off == 8,
	      "pipe to file at an offset: 5 bytes, offset now 8");
	check(pread(out, buf, 10, 0) == 10 &&
		      memcmp(buf, "...HELLO..", 10) == 0,
	      "the file reads ...HELLO..");
	check(write(pr[1], "abc", 3) == 3 && lseek(out, 1, SEEK_SET) == 1 &&
		      splice(pr[0], NULL, out, NULL, 10, 0) == 3 &&
		      lseek(out, 0, SEEK_CUR) == 4,
	      "pipe to file at the position: what waits, position moved");
	check(pread(out, buf, 10, 0) == 10 &&
		      memcmp(buf, ".abcELLO..", 10) == 0,
	      "the file reads .abcELLO..");
	close(out);
	close(fd);
	unlink(path("out"));
	unlink(path("in"));
}

static void pipe_and_pipe(void)
{
	check(write(pr[1], "abcdef", 6) == 6, "write abcdef into pipe 1");
	check(splice(pr[0], NULL, pr2[1], NULL, 4, 0) == 4,
	      "splice 4 bytes pipe 1 to pipe 2");
	check(strcmp(drain(pr2[0], 100), "abcd") == 0 &&
		      strcmp(drain(pr[0], 100), "ef") == 0,
	      "pipe 2 has abcd, pipe 1 keeps ef");
	check(write(pr[1], "xyz", 3) == 3, "write xyz into pipe 1");
	check(tee(pr[0], pr2[1], 100, 0) == 3, "tee copies 3 bytes");
	check(strcmp(drain(pr2[0], 100), "xyz") == 0 &&
		      strcmp(drain(pr[0], 100), "xyz") == 0,
	      "both pipes have xyz: tee took nothing");
}

static void nonblocking(void)
{
	char big[4096];
	int fd = make_file("nb", "data");

	check_errno(splice(pr[0], NULL, pr2[1], NULL, 10, SPLICE_F_NONBLOCK),
		    EAGAIN, "splice from an empty pipe, SPLICE_F_NONBLOCK");
	check_errno(tee(pr[0], pr2[1], 10, SPLICE_F_NONBLOCK), EAGAIN,
		    "tee from an empty pipe, SPLICE_F_NONBLOCK");
	check(fcntl(pr2[1], F_SETPIPE_SZ, 4096) == 4096,
	      "shrink pipe 2 to 4096");
	memset(big, 'b', sizeof(big));
	check(write(pr2[1], big, sizeof(big)) == 4096, "fill it");
	check_errno(splice(fd, NULL, pr2[1], NULL, 4, SPLICE_F_NONBLOCK),
		    EAGAIN, "file to a full pipe, SPLICE_F_NONBLOCK");
	check_errno(vmsplice(pr2[1], &(struct iovec){ big, 1 }, 1,
			     SPLICE_F_NONBLOCK),
		    EAGAIN, "vmsplice into a full pipe, SPLICE_F_NONBLOCK");
	check(read(pr2[0], big, sizeof(big)) == 4096, "empty it");
	close(fd);
	unlink(path("nb"));
}

static void sockets(void)
{
	char buf[16];
	int s[2];

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "socketpair");
	check(send(s[1], "sockdata", 8, 0) == 8, "send 8 bytes");
	check(splice(s[0], NULL, pr[1], NULL, 100, 0) == 8,
	      "socket to pipe: the 8 bytes");
	check(strcmp(drain(pr[0], 100), "sockdata") == 0, "pipe has sockdata");
	check_errno(splice(s[0], NULL, pr[1], NULL, 100, SPLICE_F_NONBLOCK),
		    EAGAIN, "an empty socket, SPLICE_F_NONBLOCK");
	check(write(pr[1], "back", 4) == 4, "write back into the pipe");
	check(splice(pr[0], NULL, s[1], NULL, 100, 0) == 4,
	      "pipe to socket: 4 bytes");
	check(recv(s[0], buf, sizeof(buf), 0) == 4 &&
		      memcmp(buf, "back", 4) == 0,
	      "the socket receives back");
	close(s[0]);
	close(s[1]);
}

/* TCP over loopback: splice waits as the socket's own O_NONBLOCK says. */
static void tcp(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, a;
	char buf[16];

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		      listen(l, 1) == 0 &&
		      getsockname(l, (struct sockaddr *)&sin, &len) == 0,
	      "a TCP listener on loopback");
	c = socket(AF_INET, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect");
	a = accept(l, NULL, NULL);
	check(a >= 0, "accept");
	check(send(c, "tcpdata", 7, 0) == 7, "send 7 bytes");
	check(splice(a, NULL, pr[1], NULL, 100, 0) == 7 &&
		      strcmp(drain(pr[0], 100), "tcpdata") == 0,
	      "TCP socket to pipe");
	check(write(pr[1], "reply", 5) == 5 &&
		      splice(pr[0], NULL, a, NULL, 100, 0) == 5,
	      "pipe to TCP socket");
	check(recv(c, buf, sizeof(buf), 0) == 5 && memcmp(buf, "reply", 5) == 0,
	      "the peer receives reply");
	fcntl(a, F_SETFL, O_NONBLOCK);
	check_errno(splice(a, NULL, pr[1], NULL, 100, 0), EAGAIN,
		    "an empty O_NONBLOCK TCP socket");
	close(a);
	close(c);
	close(l);
}

static void vm(void)
{
	struct iovec iov[2] = { { "vm", 2 }, { "splice", 6 } };
	char a[3] = { 0 }, b[8] = { 0 };
	struct iovec out[2] = { { a, 2 }, { b, 7 } };
	int fd = make_file("vm", "x");

	check(vmsplice(pr[1], iov, 2, 0) == 8, "vmsplice 2 pieces into a pipe");
	check(vmsplice(pr[0], out, 2, 0) == 8 && strcmp(a, "vm") == 0 &&
		      strcmp(b, "splice") == 0,
	      "vmsplice from the read end gives them back");
	check_errno(vmsplice(fd, iov, 2, 0), EBADF, "vmsplice on a file");
	check_errno(vmsplice(pr[1], iov, 2, 0x10), EINVAL,
		    "vmsplice with an unknown flag");
	check(vmsplice(pr[1], iov, 0, 0) == 0, "vmsplice of nothing");
	close(fd);
	unlink(path("vm"));
}

static void ends_and_errors(void)
{
	int fd = make_file("err", "0123456789"), app, wo, p[2];
	loff_t off = -1;

	check(splice(fd, NULL, pr[1], NULL, 0, 0) == 0, "len 0 is 0");
	check_errno(splice(fd, NULL, fd, NULL, 4, 0), EINVAL, "file to file");
	check_errno(splice(pr[0], NULL, pr[1], NULL, 4, 0), EINVAL,
		    "a pipe to itself");
	check_errno(splice(fd, NULL, pr[1], NULL, 4, 0x10), EINVAL,
		    "an unknown flag");
	check_errno(splice(pr[0], &off, fd, NULL, 4, 0), ESPIPE,
		    "an offset for the pipe");
	check_errno(splice(fd, &off, pr[1], NULL, 4, 0), EINVAL,
		    "a negative offset");
	check_errno(splice(99, NULL, pr[1], NULL, 4, 0), EBADF, "a bad fd");
	wo = open(path("err"), O_WRONLY);
	check_errno(splice(wo, NULL, pr[1], NULL, 4, 0), EBADF,
		    "from a write-only file");
	app = open(path("err"), O_WRONLY | O_APPEND);
	check(write(pr[1], "zz", 2) == 2, "write zz into the pipe");
	check_errno(splice(pr[0], NULL, app, NULL, 2, 0), EINVAL,
		    "to an O_APPEND file");
	check(strcmp(drain(pr[0], 100), "zz") == 0, "the pipe still has zz");
	check_errno(tee(fd, pr2[1], 4, 0), EINVAL, "tee from a file");
	check_errno(tee(pr[0], pr[1], 4, 0), EINVAL, "tee of a pipe to itself");
	check(pipe(p) == 0, "a new pipe");
	close(p[1]);
	check(splice(p[0], NULL, pr2[1], NULL, 4, 0) == 0,
	      "from an empty pipe with no writer: 0");
	close(p[0]);
	check(pipe(p) == 0, "another");
	close(p[0]);
	check_errno(splice(fd, NULL, p[1], NULL, 4, 0), EPIPE,
		    "into a pipe with no reader");
	close(p[1]);
	close(app);
	close(wo);
	close(fd);
	unlink(path("err"));
}

/* 200000 bytes file to pipe to file, in whatever pieces splice takes. */
static void bulk(void)
{
	static char data[200000], back[200000];
	int in, out, ok = 1;
	loff_t off_in = 0, off_out = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	in = open(path("bulk-in"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	out = open(path("bulk-out"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(write(in, data, sizeof(data)) == sizeof(data),
	      "write 200000 bytes");
	while (ok && off_in < (loff_t)sizeof(data)) {
		ssize_t n = splice(in, &off_in, pr[1], NULL, 70000, 0);

		ok = n > 0;
		while (ok && n > 0) {
			ssize_t m = splice(pr[0], NULL, out, &off_out, n, 0);

			ok = m > 0;
			n -= m;
		}
	}
	check(ok && off_out == sizeof(data), "spliced through a pipe");
	check(pread(out, back, sizeof(back), 0) == sizeof(back) &&
		      memcmp(data, back, sizeof(data)) == 0,
	      "the copy is byte for byte the same");
	close(in);
	close(out);
	unlink(path("bulk-in"));
	unlink(path("bulk-out"));
}

int main(void)
{
	check_start("splice");
	signal(SIGPIPE, SIG_IGN);
	scratch_start();
	check(pipe(pr) == 0 && pipe(pr2) == 0, "two pipes");
	file_and_pipe();
	pipe_and_pipe();
	nonblocking();
	sockets();
	tcp();
	vm();
	ends_and_errors();
	bulk();
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
