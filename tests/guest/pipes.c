/* pipes.c - guest test: pipe and pipe2: data, EOF, non-blocking, poll/select readiness, EPIPE. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void round_trip(void)
{
	char buf[64], link[64], path[32];
	struct stat st;
	int p[2], n = -1;
	ssize_t len;

	check(pipe(p) == 0 && p[0] >= 0 && p[1] >= 0, "pipe");
	check(write(p[1], "hello", 5) == 5, "write 5 bytes");
	check(ioctl(p[0], FIONREAD, &n) == 0 && n == 5, "FIONREAD says 5");
	check(read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0,
	      "read them back");
	check(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat: S_IFIFO");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	len = readlink(path, link, sizeof(link) - 1);
	check(len > 6 && memcmp(link, "pipe:[", 6) == 0 && link[len - 1] == ']',
	      "/proc/self/fd names it pipe:[N]");
	check((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY &&
		      (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY,
	      "read end O_RDONLY, write end O_WRONLY");
	check_errno(write(p[0], "x", 1), EBADF, "write to the read end");
	check_errno(lseek(p[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe");
	check(write(p[1], "bye", 3) == 3 && close(p[1]) == 0,
	      "write, close the writer");
	check(read(p[0], buf, sizeof(buf)) == 3, "the data is still there");
	check(read(p[0], buf, sizeof(buf)) == 0, "then EOF");
	close(p[0]);
}

static void flags(void)
{
	int p[2];

	check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0,
	      "pipe2 O_CLOEXEC|O_NONBLOCK");
	check(fcntl(p[0], F_GETFD) == FD_CLOEXEC &&
		      fcntl(p[1], F_GETFD) == FD_CLOEXEC,
	      "both ends close-on-exec");
	check((fcntl(p[0], F_GETFL) & O_NONBLOCK) &&
		      (fcntl(p[1], F_GETFL) & O_NONBLOCK),
	      "both ends non-blocking");
	close(p[0]);
	close(p[1]);
	check_errno(pipe2(p, 0x4000000), EINVAL, "pipe2 with an unknown flag");
}

static void nonblocking(void)
{
	static char chunk[4096];
	char c;
	int p[2], size;
	long total = 0;
	ssize_t r;

	check(pipe2(p, O_NONBLOCK) == 0, "pipe2 O_NONBLOCK");
	check_errno(read(p[0], &c, 1), EAGAIN, "read of an empty pipe");
	size = fcntl(p[0], F_GETPIPE_SZ);
	check(size == 65536, "F_GETPIPE_SZ is 64 KiB");
	while ((r = write(p[1], chunk, sizeof(chunk))) > 0)
		total += r;
	check(r == -1 && errno == EAGAIN, "writes stop with EAGAIN when full");
	check(total == size, "the pipe took exactly its size");
	check_errno(write(p[1], "x", 1), EAGAIN,
		    "a 1-byte write to the full pipe");
	check(read(p[0], chunk, sizeof(chunk)) == sizeof(chunk),
	      "read a page back");
	check(write(p[1], chunk, sizeof(chunk)) == sizeof(chunk),
	      "then a page fits again");
	check(fcntl(p[1], F_SETPIPE_SZ, 8192) == -1 && errno == EBUSY,
	      "F_SETPIPE_SZ below the data: EBUSY");
	close(p[0]);
	close(p[1]);
	check(pipe(p) == 0 && fcntl(p[1], F_SETPIPE_SZ, 5000) == 8192 &&
		      fcntl(p[0], F_GETPIPE_SZ) == 8192,
	      "F_SETPIPE_SZ 5000 gives 8192");
	close(p[0]);
	close(p[1]);
}

/* 1 MiB of a pattern through a 64 KiB pipe, writes and reads interleaved. */
static void large(void)
{
	static unsigned char out[1 << 20], in[1 << 20];
	size_t wr = 0, rd = 0;
	int p[2], ok = 1;
	ssize_t r;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	check(pipe2(p, O_NONBLOCK) == 0, "another pipe");
	while (rd < sizeof(in)) {
		if (wr < sizeof(out)) {
			size_t n = sizeof(out) - wr < 50000 ? sizeof(out) - wr :
							      50000;

			r = write(p[1], out + wr, n);
			if (r > 0)
				wr += (size_t)r;
			else
				ok &= errno == EAGAIN;
		}
		r = read(p[0], in + rd, 30000);
		if (r > 0)
			rd += (size_t)r;
		else
			ok &= r == -1 && errno == EAGAIN;
	}
	check(ok && wr == sizeof(out), "1 MiB written in partial chunks");
	check(memcmp(in, out, sizeof(in)) == 0, "and read back intact");
	close(p[0]);
	close(p[1]);
}

static void readiness(void)
{
	struct pollfd fds[2];
	struct timeval tv = { 0, 0 };
	fd_set rs;
	int p[2];

	check(pipe(p) == 0, "a pipe to poll");
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	check(poll(fds, 2, 0) == 1 && fds[0].revents == 0 &&
		      fds[1].revents == POLLOUT,
	      "empty: only the write end is ready");
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	check(select(p[0] + 1, &rs, NULL, NULL, &tv) == 0 &&
		      !FD_ISSET(p[0], &rs),
	      "select: the read end is not readable");
	check(write(p[1], "x", 1) == 1, "write a byte");
	check(poll(fds, 1, 0) == 1 && fds[0].revents == POLLIN, "now POLLIN");
	FD_SET(p[0], &rs);
	check(select(p[0] + 1, &rs, NULL, NULL, &tv) == 1 &&
		      FD_ISSET(p[0], &rs),
	      "select: readable");
	close(p[1]);
	check(poll(fds, 1, 0) == 1 && fds[0].revents == (POLLIN | POLLHUP),
	      "writer closed: POLLIN|POLLHUP");
	close(p[0]);
	check(pipe(p) == 0 && close(p[0]) == 0, "a pipe without a reader");
	fds[1].fd = p[1];
	check(poll(&fds[1], 1, 0) == 1 && (fds[1].revents & POLLERR),
	      "its write end reports POLLERR");
	close(p[1]);
}

static void broken(void)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	check(pipe(p) == 0 && close(p[0]) == 0, "close the read end");
	check_errno(write(p[1], "x", 1), EPIPE, "write with SIGPIPE ignored");
	close(p[1]);
}

int main(void)
{
	check_start("pipes");
	round_trip();
	flags();
	nonblocking();
	large();
	readiness();
	broken();
	return check_done();
}
