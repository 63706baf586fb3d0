/* isatty.c - guest test: isatty and TIOCGWINSZ on the standard fds. */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <unistd.h>

#include "check.h"

/*
 * Prints what it finds rather than asserting it: the e2e test gives it the
 * same pipes natively and under Kiln and compares the output.
 */
int main(void)
{
	struct winsize ws;

	check_start("isatty");
	for (int fd = 0; fd < 3; fd++) {
		int r;

		errno = 0;
		r = isatty(fd);
		note("isatty(%d)=%d errno=%s", fd, r,
		     r ? "0" : check_errno_name(errno));
	}
	errno = 0;
	note("TIOCGWINSZ on 1: %s",
	     ioctl(1, TIOCGWINSZ, &ws) == 0 ? "ok" : check_errno_name(errno));
	check_errno(isatty(99) ? 0 : -1, EBADF, "isatty(99)");
	return check_done();
}
