/* inotify.c - guest test: inotify watches, the events of the app's own changes, reading, readiness, overflow. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/*
 * Every change is the program's own, in its scratch directory, so the
 * events are the same on the host (whatever its /tmp is: these events
 * come from Linux's VFS, not the file system) and under Kiln. Each batch
 * is printed as "wd MASK name" items and compared with Linux's answer.
 */
static const struct {
	uint32_t bit;
	const char *name;
} bits[] = {
	{ IN_ACCESS, "ACCESS" },
	{ IN_MODIFY, "MODIFY" },
	{ IN_ATTRIB, "ATTRIB" },
	{ IN_CLOSE_WRITE, "CLOSE_WRITE" },
	{ IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" },
	{ IN_OPEN, "OPEN" },
	{ IN_MOVED_FROM, "MOVED_FROM" },
	{ IN_MOVED_TO, "MOVED_TO" },
	{ IN_CREATE, "CREATE" },
	{ IN_DELETE, "DELETE" },
	{ IN_DELETE_SELF, "DELETE_SELF" },
	{ IN_MOVE_SELF, "MOVE_SELF" },
	{ IN_Q_OVERFLOW, "Q_OVERFLOW" },
	{ IN_IGNORED, "IGNORED" },
	{ IN_ISDIR, "ISDIR" },
};

static char got[4096];
static uint32_t cookies[8];
static int ncookies;

/* Read what is queued (nonblocking fd) into got as text. */
static void drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	long n = read(fd, buf, sizeof(buf));
	size_t at = 0;

	got[0] = 0;
	ncookies = 0;
	for (long i = 0; i < n;) {
		struct inotify_event *e = (struct inotify_event *)(buf + i);

		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%d ",
				       at ? "; " : "", e->wd);
		for (size_t b = 0, first = 1;
		     b < sizeof(bits) / sizeof(bits[0]); b++) {
			if (!(e->mask & bits[b].bit))
				continue;
			at += (size_t)snprintf(got + at, sizeof(got) - at,
					       "%s%s", first ? "" : "|",
					       bits[b].name);
			first = 0;
		}
		if (e->len)
			at += (size_t)snprintf(got + at, sizeof(got) - at,
					       " %s", e->name);
		if (e->cookie && ncookies < 8)
			cookies[ncookies++] = e->cookie;
		i += (long)sizeof(*e) + e->len;
	}
}

static void expect(int fd, const char *what, const char *want)
{
	drain(fd);
	if (strcmp(got, want) != 0)
		note("%s: got [%s]", what, got);
	check(strcmp(got, want) == 0, "%s: [%s]", what, want);
}

static void touch(const char *name, int flags, int writes)
{
	int fd = open(path(name), flags, 0644);

	for (int i = 0; i < writes; i++)
		if (write(fd, "abc", 3) != 3)
			fail("write");
	close(fd);
}

static void setup_errors(int in)
{
	int p[2];

	check_errno(inotify_init1(0x1234), EINVAL, "inotify_init1 bad flags");
	check_errno(inotify_add_watch(in, scratch, 0), EINVAL, "mask 0");
	check_errno(inotify_add_watch(in, scratch, IN_OPEN | 0x10000), EINVAL,
		    "an unknown mask bit");
	check_errno(inotify_add_watch(in, scratch,
				      IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE),
		    EINVAL, "IN_MASK_ADD with IN_MASK_CREATE");
	check_errno(inotify_add_watch(999, scratch, IN_OPEN), EBADF, "fd 999");
	check(pipe(p) == 0, "pipe");
	check_errno(inotify_add_watch(p[0], scratch, IN_OPEN), EINVAL,
		    "a pipe is no inotify fd");
	check_errno(inotify_rm_watch(p[0], 1), EINVAL, "rm_watch on a pipe");
	close(p[0]);
	close(p[1]);
	check_errno(inotify_add_watch(in, path("nope"), IN_OPEN), ENOENT,
		    "a missing path");
}

static void basics(int in)
{
	struct pollfd pfd = { in, POLLIN, 0 };
	char small[20];
	int n = -1, dfd;

	check(fcntl(in, F_GETFD) == FD_CLOEXEC &&
		      (fcntl(in, F_GETFL) & O_NONBLOCK),
	      "IN_CLOEXEC and IN_NONBLOCK");
	check_errno(read(in, small, sizeof(small)), EAGAIN, "read when empty");
	check(poll(&pfd, 1, 0) == 0, "poll: not readable");
	check(inotify_add_watch(in, scratch, IN_ALL_EVENTS) == 1,
	      "watch dir: wd 1");
	check(inotify_add_watch(in, scratch, IN_ALL_EVENTS) == 1,
	      "the same node: the same wd");
	check_errno(inotify_add_watch(in, scratch, IN_OPEN | IN_MASK_CREATE),
		    EEXIST, "IN_MASK_CREATE on a watched node");
	touch("a", O_CREAT | O_WRONLY, 2);
	expect(in, "create, two writes, close",
	       "1 CREATE a; 1 OPEN a; 1 MODIFY a; 1 CLOSE_WRITE a");
	check_errno(inotify_add_watch(in, path("a"), IN_OPEN | IN_ONLYDIR),
		    ENOTDIR, "IN_ONLYDIR on a file");
	check(inotify_add_watch(in, path("a"), IN_ALL_EVENTS) == 2,
	      "watch the file: wd 2");
	touch("a", O_RDONLY, 0);
	{
		char c;
		int fd = open(path("a"), O_RDONLY);

		check(read(fd, &c, 1) == 1, "read a byte");
		close(fd);
	}
	expect(in, "open-close, open-read-close",
	       "1 OPEN a; 2 OPEN; 1 CLOSE_NOWRITE a; 2 CLOSE_NOWRITE; "
	       "1 OPEN a; 2 OPEN; 1 ACCESS a; 2 ACCESS; "
	       "1 CLOSE_NOWRITE a; 2 CLOSE_NOWRITE");
	check(chmod(path("a"), 0600) == 0, "chmod");
	check(ioctl(in, FIONREAD, &n) == 0 && n == 48, "FIONREAD: 48 bytes");
	check(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN, "poll: POLLIN");
	check_errno(read(in, small, sizeof(small)), EINVAL,
		    "a buffer too small for the next event");
	expect(in, "chmod", "1 ATTRIB a; 2 ATTRIB");
	check(rename(path("a"), path("b")) == 0, "rename a b");
	expect(in, "rename", "1 MOVED_FROM a; 1 MOVED_TO b; 2 MOVE_SELF");
	check(ncookies == 2 && cookies[0] == cookies[1],
	      "MOVED_FROM and MOVED_TO share a cookie");
	check(truncate(path("b"), 1) == 0, "truncate");
	expect(in, "truncate", "1 MODIFY b; 2 MODIFY");
	dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	close(dfd);
	expect(in, "open the directory", "1 OPEN|ISDIR; 1 CLOSE_NOWRITE|ISDIR");
	check(mkdir(path("d"), 0755) == 0, "mkdir");
	check(inotify_add_watch(in, path("d"), IN_ALL_EVENTS) == 3,
	      "watch d: wd 3");
	check(rmdir(path("d")) == 0, "rmdir");
	expect(in, "mkdir, rmdir",
	       "1 CREATE|ISDIR d; 3 DELETE_SELF; 3 IGNORED; 1 DELETE|ISDIR d");
	check(unlink(path("b")) == 0, "unlink b");
	expect(in, "unlink", "2 ATTRIB; 2 DELETE_SELF; 2 IGNORED; 1 DELETE b");
	check_errno(inotify_rm_watch(in, 2), EINVAL, "rm_watch of a gone wd");
	check(inotify_rm_watch(in, 1) == 0, "rm_watch wd 1");
	expect(in, "rm_watch", "1 IGNORED");
	check_errno(inotify_rm_watch(in, 1), EINVAL, "rm_watch it again");
}

static void coalescing(int in)
{
	int fd, wd = inotify_add_watch(in, scratch, IN_ALL_EVENTS);

	check(wd == 4, "a new watch: wd 4, never reused");
	fd = open(path("c"), O_CREAT | O_WRONLY, 0644);
	for (int i = 0; i < 3; i++)
		if (write(fd, "x", 1) != 1)
			fail("write");
	check(fchmod(fd, 0600) == 0, "fchmod");
	for (int i = 0; i < 2; i++)
		if (write(fd, "x", 1) != 1)
			fail("write");
	close(fd);
	expect(in, "only the same consecutive events merge",
	       "4 CREATE c; 4 OPEN c; 4 MODIFY c; 4 ATTRIB c; 4 MODIFY c; "
	       "4 CLOSE_WRITE c");
	check(inotify_add_watch(in, path("c"), IN_OPEN) == 5,
	      "watch c for IN_OPEN");
	check(inotify_add_watch(in, path("c"), IN_CLOSE | IN_MASK_ADD) == 5,
	      "IN_MASK_ADD keeps the wd");
	touch("c", O_RDONLY, 0);
	expect(in, "IN_MASK_ADD: both",
	       "4 OPEN c; 5 OPEN; 4 CLOSE_NOWRITE c; 5 CLOSE_NOWRITE");
	check(inotify_add_watch(in, path("c"), IN_OPEN | IN_ONESHOT) == 5,
	      "replace with IN_OPEN|IN_ONESHOT");
	touch("c", O_RDONLY, 0);
	touch("c", O_RDONLY, 0);
	expect(in, "IN_ONESHOT",
	       "4 OPEN c; 5 OPEN; 5 IGNORED; 4 CLOSE_NOWRITE c; 4 OPEN c; "
	       "4 CLOSE_NOWRITE c");
	check(inotify_add_watch(in, path("c"), IN_ALL_EVENTS) == 6,
	      "watch c: wd 6");
	fd = open(path("c"), O_RDONLY);
	check(unlink(path("c")) == 0, "unlink c while open");
	expect(in, "unlink an open file",
	       "4 OPEN c; 6 OPEN; 6 ATTRIB; 4 DELETE c");
	close(fd);
	expect(in, "its last close",
	       "4 CLOSE_NOWRITE c; 6 CLOSE_NOWRITE; 6 DELETE_SELF; 6 IGNORED");
	touch("p", O_CREAT | O_WRONLY, 0);
	touch("q", O_CREAT | O_WRONLY, 0);
	drain(in);
	check(syscall(SYS_renameat2, AT_FDCWD, path("p"), AT_FDCWD, path("q"),
		      2 /* RENAME_EXCHANGE */) == 0,
	      "renameat2 RENAME_EXCHANGE p q");
	expect(in, "exchange: two moves",
	       "4 MOVED_FROM p; 4 MOVED_TO q; 4 MOVED_FROM q; 4 MOVED_TO p");
	check(ncookies == 4 && cookies[0] == cookies[1] &&
		      cookies[2] == cookies[3] && cookies[0] != cookies[2],
	      "a cookie for each move");
	check(unlink(path("p")) == 0 && unlink(path("q")) == 0, "unlink p q");
	expect(in, "unlink p q", "4 DELETE p; 4 DELETE q");
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	{
		char d[512];

		check(syscall(SYS_getdents64, fd, d, sizeof(d)) > 0 &&
			      syscall(SYS_getdents64, fd, d, sizeof(d)) == 0,
		      "getdents64 to the end");
	}
	close(fd);
	expect(in, "getdents64: IN_ACCESS on the directory",
	       "4 OPEN|ISDIR; 4 ACCESS|ISDIR; 4 CLOSE_NOWRITE|ISDIR");
	check(inotify_rm_watch(in, 4) == 0, "rm_watch wd 4");
	expect(in, "rm_watch", "4 IGNORED");
}

static void excl_unlink(void)
{
	int in = inotify_init1(IN_NONBLOCK), fd;

	check(in >= 0 && inotify_add_watch(in, scratch,
					   IN_ALL_EVENTS | IN_EXCL_UNLINK) == 1,
	      "watch with IN_EXCL_UNLINK");
	fd = open(path("e"), O_CREAT | O_WRONLY, 0644);
	check(unlink(path("e")) == 0 && write(fd, "x", 1) == 1,
	      "unlink e, then write to it");
	close(fd);
	expect(in, "IN_EXCL_UNLINK: nothing once unlinked",
	       "1 CREATE e; 1 OPEN e; 1 DELETE e");
	close(in);
}

static void overflow(void)
{
	char *buf = malloc(1 << 20);
	int in = inotify_init1(IN_NONBLOCK), events = 0, last = 0, n = 0;
	long r;

	check(in >= 0 && inotify_add_watch(in, scratch, IN_ATTRIB) == 1,
	      "a second instance watching IN_ATTRIB");
	touch("x", O_CREAT | O_WRONLY, 0);
	touch("y", O_CREAT | O_WRONLY, 0);
	for (int i = 0; i < 17000; i++)
		if (chmod(path(i & 1 ? "y" : "x"), 0600 | (i & 2) << 6) < 0)
			fail("chmod");
	check(ioctl(in, FIONREAD, &n) == 0 && n == 16384 * 32 + 16,
	      "FIONREAD: 16384 events and the overflow");
	while ((r = read(in, buf, 1 << 20)) > 0) {
		for (long i = 0; i < r; events++) {
			struct inotify_event *e = (struct inotify_event *)(buf +
									   i);

			last = e->wd == -1 && e->mask == IN_Q_OVERFLOW;
			i += (long)sizeof(*e) + e->len;
		}
	}
	check(events == 16385 && last, "16384 events, then IN_Q_OVERFLOW");
	check(unlink(path("x")) == 0 && unlink(path("y")) == 0, "unlink x y");
	close(in);
	free(buf);
}

static void *make_file(void *arg)
{
	(void)arg;
	usleep(50000);
	touch("t", O_CREAT | O_WRONLY, 0);
	return NULL;
}

static void waiting(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char buf[256] __attribute__((aligned(8)));
	struct inotify_event *e = (struct inotify_event *)buf;
	int in = inotify_init(), ep = epoll_create1(0);
	pthread_t t;

	check(in >= 0 && inotify_add_watch(in, scratch, IN_CREATE) == 1,
	      "a blocking instance");
	check(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev) == 0, "epoll_ctl ADD");
	check(epoll_wait(ep, &ev, 1, 0) == 0, "epoll: nothing yet");
	check(pthread_create(&t, NULL, make_file, NULL) == 0,
	      "a thread creates t");
	check(read(in, buf, sizeof(buf)) == 32 && e->mask == IN_CREATE &&
		      e->len == 16 && !strcmp(e->name, "t"),
	      "a blocking read waits for IN_CREATE t (len 16)");
	pthread_join(t, NULL);
	touch("u", O_CREAT | O_WRONLY, 0);
	check(epoll_wait(ep, &ev, 1, 1000) == 1 && ev.events == EPOLLIN,
	      "epoll: IN_CREATE u makes it readable");
	check(unlink(path("t")) == 0 && unlink(path("u")) == 0, "unlink t u");
	close(ep);
	close(in);
}

int main(void)
{
	int in;

	check_start("inotify");
	scratch_start();
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	check(in >= 0, "inotify_init1");
	setup_errors(in);
	basics(in);
	coalescing(in);
	close(in);
	excl_unlink();
	overflow();
	waiting();
	check(rmdir(scratch) == 0, "scratch directory removed");
	return check_done();
}
