/* check.h - tiny self-check helpers shared by the guest test programs. */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Every program prints one line per check, "<prog>: <what> ok", and ends
 * with "<prog>: all N checks passed" and status 0. The first failed check
 * prints "<prog>: FAIL <what> (errno NAME)" and exits 1. Output never
 * depends on the environment (no inode numbers, times or addresses), so
 * the same binary prints the same lines natively and under Kiln.
 */
/* Not every program uses every helper. */
#define CHECK_FN static __attribute__((unused))

static const char *check_prog = "guest";
static int check_count;

/* The errno names, not strerror(): musl and glibc word messages differently. */
CHECK_FN const char *check_errno_name(int e)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
		{ 0, "0" },
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ EINTR, "EINTR" },
		{ EIO, "EIO" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },
		{ EXDEV, "EXDEV" },
		{ ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" },
		{ EDEADLK, "EDEADLK" },
		{ ENOTTY, "ENOTTY" },
		{ EFBIG, "EFBIG" },
		{ ENOSPC, "ENOSPC" },
		{ ESPIPE, "ESPIPE" },
		{ EROFS, "EROFS" },
		{ EPIPE, "EPIPE" },
		{ ERANGE, "ERANGE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOSYS, "ENOSYS" },
		{ ENOTEMPTY, "ENOTEMPTY" },
		{ ELOOP, "ELOOP" },
		{ ECONNRESET, "ECONNRESET" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EINPROGRESS, "EINPROGRESS" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ENETUNREACH, "ENETUNREACH" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
		{ EADDRINUSE, "EADDRINUSE" },
		{ ESRCH, "ESRCH" },
		{ E2BIG, "E2BIG" },
		{ ECHILD, "ECHILD" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ ENODATA, "ENODATA" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ ENOTSOCK, "ENOTSOCK" },
		{ EDESTADDRREQ, "EDESTADDRREQ" },
		{ EOVERFLOW, "EOVERFLOW" },
		{ ENOEXEC, "ENOEXEC" },
		{ ETXTBSY, "ETXTBSY" },
		{ ELIBBAD, "ELIBBAD" },
		{ ENOMSG, "ENOMSG" },
		{ EIDRM, "EIDRM" },
	};
	static char buf[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == e)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

CHECK_FN void check_start(const char *prog)
{
	check_prog = prog;
	/* Lines reach a pipe in order even if the program later crashes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* check(cond, fmt, ...): print "<prog>: <what> ok" or fail the program. */
__attribute__((format(printf, 2, 3))) CHECK_FN void check(int cond,
							  const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	printf("%s: ", check_prog);
	va_start(ap, fmt);
	if (cond) {
		vprintf(fmt, ap);
		printf(" ok\n");
		va_end(ap);
		check_count++;
		return;
	}
	printf("FAIL ");
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %s)\n", check_errno_name(saved));
	fflush(stdout);
	exit(1);
}

/* fail(what): the failing end of check(), for programs that only fail. */
CHECK_FN void fail(const char *what)
{
	check(0, "%s", what);
}

/* check_errno(ret, want, what): a call must fail with exactly errno want. */
CHECK_FN void check_errno(long ret, int want, const char *what)
{
	int got = errno;

	if (ret == -1 && got == want) {
		check(1, "%s fails with %s", what, check_errno_name(want));
		return;
	}
	printf("%s: FAIL %s: want -1/%s, got %ld/%s\n", check_prog, what,
	       check_errno_name(want), ret, check_errno_name(got));
	fflush(stdout);
	exit(1);
}

/* Print a plain informational line (part of the compared output). */
__attribute__((format(printf, 1, 2))) CHECK_FN void note(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", check_prog);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * For the servers the host tests talk to: a socket of type (SOCK_STREAM
 * or SOCK_DGRAM, SOCK_* flags allowed) with SO_REUSEADDR, bound to
 * 0.0.0.0:port. Any failure is fail()'s.
 */
CHECK_FN int server_socket(int type, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int one = 1, fd = socket(AF_INET, type, 0);

	if (fd < 0)
		fail("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("SO_REUSEADDR");
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		fail("bind");
	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    ntohs(sin.sin_port) != port)
		fail("getsockname");
	return fd;
}

/* Milliseconds on the monotonic clock, for timing what a check waits for. */
CHECK_FN long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * A program that makes files keeps them in a scratch directory of its
 * own, /tmp/guest-<prog>.<pid> (the pid keeps runs side by side apart):
 * scratch_start() makes it, path(name) names a file in it, and the
 * program removes it last, as a check that it left nothing behind. A
 * program told where to work (a disk's directory) sets scratch itself.
 */
static char scratch[512];

CHECK_FN void scratch_start(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/guest-%s.%d", check_prog,
		 (int)getpid());
	check(mkdir(scratch, 0755) == 0, "mkdir a scratch directory in /tmp");
}

/* scratch/name; four rotating buffers so one call can take two paths. */
CHECK_FN const char *path(const char *name)
{
	static char bufs[4][1024];
	static unsigned next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", scratch, name);
	return buf;
}

CHECK_FN int check_done(void)
{
	printf("%s: all %d checks passed\n", check_prog, check_count);
	fflush(stdout);
	return 0;
}

#endif
