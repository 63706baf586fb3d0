/* scm_rights.c - guest test: SCM_RIGHTS and SCM_CREDENTIALS over AF_UNIX stream and datagram sockets. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define MAX_FD 253 /* SCM_MAX_FD */

/* sendmsg of len bytes of data with the n fds (n 0: no control). */
static ssize_t send_fds(int s, const char *data, size_t len, const int *fds,
			int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * (MAX_FD + 1))];
	struct iovec v = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n > 0) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	/* The system call itself: musl refuses control over 1024 bytes. */
	return syscall(SYS_sendmsg, s, &mh, 0);
}

struct rcv {
	char data[64];
	ssize_t len;
	int fds[MAX_FD];
	int nfd;	   /* fds of the one SCM_RIGHTS message */
	int ncmsg;	   /* control messages */
	size_t controllen; /* msg_controllen after the call */
	int flags;	   /* msg_flags */
	size_t rights_len; /* cmsg_len of SCM_RIGHTS */
	struct ucred cred; /* SCM_CREDENTIALS */
	int has_cred;
};

/* recvmsg with a control buffer of ctl_len bytes into r. */
static void recv_fds(int s, struct rcv *r, size_t ctl_len, int flags)
{
	static char ctl[CMSG_SPACE(sizeof(int) * MAX_FD) + 64]
		__attribute__((aligned(8)));
	struct iovec v = { .iov_base = r->data, .iov_len = sizeof(r->data) };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(r, 0, sizeof(*r));
	memset(ctl, 0, sizeof(ctl));
	mh.msg_control = ctl_len ? ctl : NULL;
	mh.msg_controllen = ctl_len;
	r->len = recvmsg(s, &mh, flags);
	r->controllen = mh.msg_controllen;
	r->flags = mh.msg_flags;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		r->ncmsg++;
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			r->rights_len = c->cmsg_len;
			r->nfd = (int)((c->cmsg_len - CMSG_LEN(0)) /
				       sizeof(int));
			memcpy(r->fds, CMSG_DATA(c),
			       sizeof(int) * (size_t)r->nfd);
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&r->cred, CMSG_DATA(c), sizeof(r->cred));
			r->has_cred = 1;
		}
	}
}

/* True when every read end of the pipe whose write end is w is closed. */
static int readers_gone(int w)
{
	return write(w, "x", 1) == -1 && errno == EPIPE;
}

static void pipe_through(int type, const char *what)
{
	struct rcv r;
	char buf[16];
	int sv[2], p[2];

	check(socketpair(AF_UNIX, type, 0, sv) == 0 && pipe(p) == 0,
	      "%s: socketpair and pipe", what);
	check(send_fds(sv[0], "P", 1, &p[0], 1) == 1,
	      "%s: send a pipe's read end", what);
	close(p[0]);
	recv_fds(sv[1], &r, CMSG_SPACE(sizeof(int)), 0);
	check(r.len == 1 && r.data[0] == 'P' && r.ncmsg == 1 && r.nfd == 1 &&
		      r.rights_len == CMSG_LEN(sizeof(int)) &&
		      r.controllen == CMSG_SPACE(sizeof(int)) && r.flags == 0,
	      "%s: one byte with one SCM_RIGHTS fd", what);
	check(fcntl(r.fds[0], F_GETFD) == 0,
	      "%s: received fd without FD_CLOEXEC", what);
	check(write(p[1], "hello", 5) == 5 && read(r.fds[0], buf, 16) == 5 &&
		      memcmp(buf, "hello", 5) == 0,
	      "%s: read through the received read end", what);
	close(r.fds[0]);
	check(readers_gone(p[1]), "%s: closing it closed the last read end",
	      what);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void file_offsets(void)
{
	int sv[2], f, g;
	struct rcv r;
	char buf[8];

	f = open(path("data"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(f >= 0 && write(f, "0123456789", 10) == 10 &&
		      lseek(f, 2, SEEK_SET) == 2,
	      "file: create, write 10 bytes, seek to 2");
	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 &&
		      send_fds(sv[0], "", 0, &f, 1) == 0,
	      "file: send it in an empty datagram");
	recv_fds(sv[1], &r, sizeof(r.fds), MSG_CMSG_CLOEXEC);
	check(r.len == 0 && r.nfd == 1, "file: empty datagram with one fd");
	g = r.fds[0];
	check(fcntl(g, F_GETFD) == FD_CLOEXEC,
	      "file: MSG_CMSG_CLOEXEC sets FD_CLOEXEC");
	check(read(g, buf, 3) == 3 && memcmp(buf, "234", 3) == 0,
	      "file: received fd reads at the sender's offset");
	check(lseek(f, 0, SEEK_CUR) == 5, "file: the offset is shared (5)");
	check(fcntl(f, F_SETFL, O_APPEND) == 0 &&
		      (fcntl(g, F_GETFL) & O_APPEND),
	      "file: status flags are shared");
	check(lseek(g, 0, SEEK_END) == 10, "file: same file, 10 bytes");
	close(f);
	close(g);
	unlink(path("data"));
	close(sv[0]);
	close(sv[1]);
}

static void socket_through(void)
{
	int sv[2], inner[2];
	struct rcv r;
	char buf[8];

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
		      socketpair(AF_UNIX, SOCK_DGRAM, 0, inner) == 0,
	      "socket: two socketpairs");
	check(send_fds(sv[0], "S", 1, &inner[0], 1) == 1,
	      "socket: send a datagram socket");
	close(inner[0]);
	recv_fds(sv[1], &r, 64, 0);
	check(r.nfd == 1 && send(r.fds[0], "via", 3, 0) == 3 &&
		      recv(inner[1], buf, 8, 0) == 3 &&
		      memcmp(buf, "via", 3) == 0,
	      "socket: send through the received socket");
	close(r.fds[0]);
	check(send(inner[1], "x", 1, 0) == -1 && errno == ECONNREFUSED,
	      "socket: its last close disconnected the peer (ECONNREFUSED)");
	close(inner[1]);
	close(sv[0]);
	close(sv[1]);
}

static void many(void)
{
	char ctl[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(2 * sizeof(int))];
	struct iovec v = { .iov_base = "m", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	int fds[MAX_FD + 1], sv[2], p[2], i, ok;
	struct cmsghdr *c;
	struct rcv r;

	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0,
	      "many: socketpair and pipe");
	memset(ctl, 0, sizeof(ctl));
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[0], sizeof(int));
	c = CMSG_NXTHDR(&mh, c);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), p, 2 * sizeof(int));
	check(sendmsg(sv[0], &mh, 0) == 1,
	      "many: two SCM_RIGHTS messages in one send");
	recv_fds(sv[1], &r, 128, 0);
	check(r.ncmsg == 1 && r.nfd == 3 && r.rights_len == CMSG_LEN(12) &&
		      r.controllen == CMSG_SPACE(12),
	      "many: received as one message of 3 fds");
	check(write(r.fds[2], "w", 1) == 1 && read(r.fds[1], ctl, 1) == 1 &&
		      ctl[0] == 'w',
	      "many: the received ends are the pipe's");
	for (i = 0; i < 3; i++)
		close(r.fds[i]);

	for (i = 0; i <= MAX_FD; i++)
		fds[i] = p[0];
	check(send_fds(sv[0], "a", 1, fds, MAX_FD) == 1, "many: send 253 fds");
	recv_fds(sv[1], &r, sizeof(r.fds) + 64, 0);
	ok = r.nfd == MAX_FD && r.flags == 0;
	for (i = 0; ok && i < MAX_FD; i++)
		ok = fcntl(r.fds[i], F_GETFL) == O_RDONLY;
	check(ok, "many: received 253 working fds");
	for (i = 0; i < r.nfd; i++)
		close(r.fds[i]);
	check_errno(send_fds(sv[0], "a", 1, fds, MAX_FD + 1), EINVAL,
		    "many: 254 fds");

	/* Room for one fd of three: MSG_CTRUNC, the other two closed. */
	close(p[0]);
	close(p[1]);
	check(pipe(p) == 0, "ctrunc: a new pipe");
	fds[0] = fds[1] = fds[2] = p[0];
	check(send_fds(sv[0], "t", 1, fds, 3) == 1, "ctrunc: send 3 fds");
	close(p[0]);
	recv_fds(sv[1], &r, CMSG_LEN(sizeof(int)), 0);
	check(r.len == 1 && r.nfd == 1 && (r.flags & MSG_CTRUNC) &&
		      r.controllen == CMSG_LEN(sizeof(int)),
	      "ctrunc: one fd and MSG_CTRUNC");
	close(r.fds[0]);
	check(readers_gone(p[1]),
	      "ctrunc: the fds that did not fit were closed");
	close(p[1]);

	check(pipe(p) == 0 && send_fds(sv[0], "n", 1, &p[0], 1) == 1,
	      "ctrunc: send one more fd");
	close(p[0]);
	recv_fds(sv[1], &r, 0, 0);
	check(r.len == 1 && r.ncmsg == 0 && (r.flags & MSG_CTRUNC),
	      "ctrunc: no control buffer: MSG_CTRUNC");
	check(readers_gone(p[1]), "ctrunc: and the fd was closed");
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A control buffer that ends in an unmapped page: the fds whose numbers
 * cannot be written are not installed, the rest closed, MSG_CTRUNC.
 */
static void control_fault(void)
{
	char *page, dbuf[4];
	struct iovec v = { .iov_base = dbuf, .iov_len = sizeof(dbuf) };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	int sv[2], p[2], fds[3], fd;
	long ps = sysconf(_SC_PAGESIZE);
	struct cmsghdr *c;

	page = mmap(NULL, 2 * (size_t)ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(page != MAP_FAILED && munmap(page + ps, (size_t)ps) == 0,
	      "fault: a page with nothing mapped after it");
	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0,
	      "fault: socketpair and pipe");
	fds[0] = fds[1] = fds[2] = p[0];
	check(send_fds(sv[0], "f", 1, fds, 3) == 1, "fault: send 3 fds");
	close(p[0]);
	/* Room for the header and one fd before the end of the page. */
	mh.msg_control = page + ps - CMSG_LEN(sizeof(int));
	mh.msg_controllen = CMSG_SPACE(3 * sizeof(int));
	check(recvmsg(sv[1], &mh, 0) == 1, "fault: recvmsg returns the byte");
	c = (struct cmsghdr *)mh.msg_control;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	check((mh.msg_flags & MSG_CTRUNC) &&
		      c->cmsg_len == CMSG_LEN(sizeof(int)) &&
		      fcntl(fd, F_GETFL) == O_RDONLY,
	      "fault: one fd installed, MSG_CTRUNC");
	close(fd);
	check(readers_gone(p[1]), "fault: the other two were closed");
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	munmap(page, (size_t)ps);
}

/* Fds ride the byte they came with; reads stop after it. */
static void stream_boundary(void)
{
	int sv[2], p[2];
	struct rcv r;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0,
	      "boundary: socketpair and pipe");
	check(send(sv[0], "ab", 2, 0) == 2 &&
		      send_fds(sv[0], "cd", 2, &p[0], 1) == 2 &&
		      send(sv[0], "ef", 2, 0) == 2,
	      "boundary: send ab, cd with an fd, ef");
	recv_fds(sv[1], &r, 64, MSG_PEEK);
	check(r.len == 4 && memcmp(r.data, "abcd", 4) == 0 && r.nfd == 1,
	      "boundary: MSG_PEEK sees abcd and a copy of the fd");
	close(r.fds[0]);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 4 && memcmp(r.data, "abcd", 4) == 0 && r.nfd == 1,
	      "boundary: the read ends after the fd's bytes: abcd");
	close(r.fds[0]);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 2 && memcmp(r.data, "ef", 2) == 0 && r.ncmsg == 0,
	      "boundary: then ef without fds");
	check(send_fds(sv[0], "gh", 2, &p[0], 1) == 2 &&
		      send_fds(sv[0], "ij", 2, &p[0], 1) == 2,
	      "boundary: two sends with fds");
	recv_fds(sv[1], &r, 64, MSG_WAITALL);
	check(r.len == 2 && memcmp(r.data, "gh", 2) == 0 && r.nfd == 1,
	      "boundary: MSG_WAITALL still stops after the first");
	close(r.fds[0]);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 2 && memcmp(r.data, "ij", 2) == 0 && r.nfd == 1,
	      "boundary: then the second");
	close(r.fds[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Wait until the last read end of w's pipe is gone, releasing sockets
 * (Linux collects cycles in the background after a release).
 */
static void wait_collected(int w, const char *what)
{
	int i, gone = 0, t[2];

	for (i = 0; i < 500 && !gone; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, t) == 0) {
			close(t[0]);
			close(t[1]);
		}
		gone = readers_gone(w);
		if (!gone)
			usleep(10000);
	}
	check(gone, "%s", what);
	close(w);
}

static void bad_and_queued(void)
{
	int sv[2], p[2], a[2], b[2], bad = -1, i, gone;

	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "bad: socketpair");
	check_errno(send_fds(sv[0], "b", 1, &bad, 1), EBADF, "bad: fd -1");
	bad = 999;
	check_errno(send_fds(sv[0], "b", 1, &bad, 1), EBADF, "bad: fd 999");

	check(pipe(p) == 0 && send_fds(sv[0], "q", 1, &p[0], 1) == 1,
	      "queued: send a read end and never receive it");
	close(p[0]);
	check(!readers_gone(p[1]), "queued: the queue holds the read end");
	close(sv[0]);
	close(sv[1]);
	check(readers_gone(p[1]), "queued: closing the socket released it");
	close(p[1]);

	/* A chain: each socket queued in the next, a read end in the first. */
	check(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 &&
		      send_fds(sv[0], "c", 1, &p[0], 1) == 1,
	      "chain: a read end queued in a socket");
	close(p[0]);
	close(sv[0]);
	for (i = 0, gone = 1; i < 1000 && gone; i++) {
		int t[2];

		gone = socketpair(AF_UNIX, SOCK_DGRAM, 0, t) == 0 &&
		       send_fds(t[0], "c", 1, &sv[1], 1) == 1;
		close(sv[1]);
		close(t[0]);
		sv[1] = t[1];
	}
	check(gone && !readers_gone(p[1]),
	      "chain: 1000 sockets, each queued in the next");
	close(sv[1]);
	wait_collected(p[1], "chain: closing the last released them all");

	/* sv[1] queued in its own queue: only a collector frees it. */
	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0,
	      "cycle: socketpair and pipe");
	check(send_fds(sv[0], "c", 1, &sv[1], 1) == 1 &&
		      send_fds(sv[0], "c", 1, &p[0], 1) == 1,
	      "cycle: send a socket to itself, then a pipe's read end");
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
	wait_collected(p[1], "cycle: collected once nothing can reach it");

	/* A ring of three: each queued in the next. */
	check(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_DGRAM, 0, a) == 0 &&
		      socketpair(AF_UNIX, SOCK_DGRAM, 0, b) == 0 &&
		      socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0,
	      "ring: three socketpairs and a pipe");
	check(send_fds(a[0], "r", 1, &b[1], 1) == 1 &&
		      send_fds(b[0], "r", 1, &sv[1], 1) == 1 &&
		      send_fds(sv[0], "r", 1, &a[1], 1) == 1 &&
		      send_fds(sv[0], "r", 1, &p[0], 1) == 1,
	      "ring: each queued in the next, a read end in the last");
	close(p[0]);
	for (i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
		close(sv[i]);
	}
	wait_collected(p[1], "ring: collected");
}

static int thread_sv[2];

static void *thread_send(void *arg)
{
	int *p = arg;

	if (send_fds(thread_sv[0], "T", 1, &p[0], 1) != 1)
		return (void *)1;
	close(p[0]);
	return NULL;
}

static void threads(void)
{
	pthread_t t;
	void *ret = (void *)1;
	struct rcv r;
	int p[2];
	char c;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, thread_sv) == 0 &&
		      pipe(p) == 0,
	      "threads: socketpair and pipe");
	check(pthread_create(&t, NULL, thread_send, p) == 0,
	      "threads: start a sender");
	recv_fds(thread_sv[1], &r, 64, 0);
	check(pthread_join(t, &ret) == 0 && ret == NULL && r.nfd == 1,
	      "threads: the receiver got the sender's fd");
	check(write(p[1], "t", 1) == 1 && read(r.fds[0], &c, 1) == 1 &&
		      c == 't',
	      "threads: and reads the pipe through it");
	close(r.fds[0]);
	close(p[1]);
	close(thread_sv[0]);
	close(thread_sv[1]);
}

/* sendmsg with explicit credentials. */
static ssize_t send_cred(int s, pid_t pid, uid_t uid, gid_t gid)
{
	char ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec v = { .iov_base = "c", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	struct ucred uc = { .pid = pid, .uid = uid, .gid = gid };
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(uc));
	memcpy(CMSG_DATA(c), &uc, sizeof(uc));
	return sendmsg(s, &mh, 0);
}

static int is_self(const struct rcv *r)
{
	return r->has_cred && r->cred.pid == getpid() &&
	       r->cred.uid == getuid() && r->cred.gid == getgid();
}

static void credentials(int type, const char *what)
{
	int sv[2], on = 1;
	struct rcv r;

	check(socketpair(AF_UNIX, type, 0, sv) == 0, "%s: socketpair", what);
	check(send(sv[0], "a", 1, 0) == 1, "%s: send without SO_PASSCRED",
	      what);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 1 && r.ncmsg == 0 && r.controllen == 0,
	      "%s: no credentials without SO_PASSCRED", what);
	check(send_cred(sv[0], getpid(), getuid(), getgid()) == 1,
	      "%s: send our own credentials", what);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 1 && r.ncmsg == 0, "%s: still none without SO_PASSCRED",
	      what);
	check(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0,
	      "%s: SO_PASSCRED on the receiver", what);
	check(send(sv[0], "b", 1, 0) == 1, "%s: send no control", what);
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 1 && r.ncmsg == 1 && is_self(&r) &&
		      r.controllen == CMSG_SPACE(sizeof(struct ucred)),
	      "%s: SO_PASSCRED gives the sender's pid, uid, gid", what);
	check(send_cred(sv[0], getpid(), 1234, 5678) == 1,
	      "%s: root may claim other ids", what);
	recv_fds(sv[1], &r, 64, 0);
	check(r.has_cred && r.cred.pid == getpid() && r.cred.uid == 1234 &&
		      r.cred.gid == 5678,
	      "%s: received the claimed ids", what);
	check(send(sv[0], "c", 1, 0) == 1, "%s: send again", what);
	recv_fds(sv[1], &r, CMSG_LEN(4), 0);
	check(r.len == 1 && (r.flags & MSG_CTRUNC) &&
		      r.controllen == CMSG_LEN(4),
	      "%s: credentials cut short: MSG_CTRUNC", what);
	check_errno(send_cred(sv[0], getpid(), (uid_t)-1, getgid()), EINVAL,
		    "uid -1");
	check_errno(send_cred(sv[0], 0, getuid(), getgid()), ESRCH,
		    "pid 0 as root");
	check(seteuid(65534) == 0, "%s: seteuid(65534)", what);
	check_errno(send_cred(sv[0], getpid(), 1234, getgid()), EPERM,
		    "another uid unprivileged");
	check_errno(send_cred(sv[0], 0, getuid(), getgid()), EPERM,
		    "another pid unprivileged");
	check(send_cred(sv[0], getpid(), 0, getgid()) == 1,
	      "%s: the real uid is still ours", what);
	check(seteuid(0) == 0, "%s: seteuid(0)", what);
	recv_fds(sv[1], &r, 64, 0);
	check(r.has_cred && r.cred.uid == 0, "%s: received uid 0", what);
	close(sv[0]);
	close(sv[1]);
}

static int peer_is(int s, pid_t pid, uid_t uid, gid_t gid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	return getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	       len == sizeof(uc) && uc.pid == pid && uc.uid == uid &&
	       uc.gid == gid;
}

/* SO_PASSCRED on a stream: one writer's bytes join, others' do not. */
static void stream_writers(void)
{
	int sv[2], on = 1;
	struct rcv r;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
		      send(sv[0], "xy", 2, 0) == 2,
	      "writers: xy sent before SO_PASSCRED");
	check(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) ==
			      0 &&
		      send(sv[0], "ab", 2, 0) == 2 &&
		      send(sv[0], "cd", 2, 0) == 2,
	      "writers: SO_PASSCRED, then ab and cd");
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 2 && memcmp(r.data, "xy", 2) == 0 && r.has_cred &&
		      r.cred.pid == 0 && r.cred.uid == 65534 &&
		      r.cred.gid == 65534,
	      "writers: xy alone, with no credentials recorded");
	recv_fds(sv[1], &r, 64, 0);
	check(r.len == 4 && memcmp(r.data, "abcd", 4) == 0 && is_self(&r),
	      "writers: abcd together, ours");
	close(sv[0]);
	close(sv[1]);
}

/* Between a parent and its child. */
static void across_fork(void)
{
	int sv[2], p[2], on = 1, st;
	struct rcv r;
	char buf[8];
	pid_t c;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
		      setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on,
				 sizeof(on)) == 0 &&
		      pipe(p) == 0,
	      "fork: socketpair with SO_PASSCRED, a pipe");
	c = fork();
	if (c == 0) {
		int q[2];
		struct rcv rr;

		if (pipe(q) != 0 || write(q[1], "child", 5) != 5 ||
		    send_fds(sv[1], "C", 1, &q[0], 1) != 1)
			_exit(2);
		recv_fds(sv[1], &rr, 64, 0);
		if (rr.nfd != 1 || write(rr.fds[0], "hi", 2) != 2)
			_exit(3);
		_exit(0);
	}
	check(c > 0, "fork: a child");
	recv_fds(sv[0], &r, 64, 0);
	check(r.len == 1 && r.nfd == 1 && r.has_cred && r.cred.pid == c &&
		      r.cred.uid == getuid(),
	      "fork: the child's fd arrives with the child's pid");
	check(read(r.fds[0], buf, 8) == 5 && memcmp(buf, "child", 5) == 0,
	      "fork: read the child's pipe through it");
	close(r.fds[0]);
	check(send_fds(sv[0], "P", 1, &p[1], 1) == 1,
	      "fork: send the child a write end");
	close(p[1]);
	check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fork: the child wrote through it and exited 0");
	check(read(p[0], buf, 8) == 2 && memcmp(buf, "hi", 2) == 0 &&
		      read(p[0], buf, 8) == 0,
	      "fork: its bytes, then EOF: every write end is closed");
	check(peer_is(sv[0], getpid(), 0, getgid()),
	      "fork: SO_PEERCRED still names the socketpair's maker");
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* Not root: no more files in flight than RLIMIT_NOFILE. */
static void too_many_refs(void)
{
	struct rlimit old, low = { .rlim_cur = 32 };
	int sv[2], p[2], i, sent = 0, err = 0;
	struct rcv r;

	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0 &&
		      getrlimit(RLIMIT_NOFILE, &old) == 0,
	      "toomany: socketpair and pipe");
	low.rlim_max = old.rlim_max;
	check(setrlimit(RLIMIT_NOFILE, &low) == 0 && seteuid(65534) == 0,
	      "toomany: RLIMIT_NOFILE 32, seteuid(65534)");
	for (i = 0; i < 200 && err == 0; i++) {
		if (send_fds(sv[0], "t", 1, &p[0], 1) == 1)
			sent++;
		else
			err = errno;
	}
	check(err == ETOOMANYREFS && sent > 0 && sent <= 34,
	      "toomany: ETOOMANYREFS once more than 32 are in flight");
	check(seteuid(0) == 0 && setrlimit(RLIMIT_NOFILE, &old) == 0,
	      "toomany: root again");
	check(send_fds(sv[0], "t", 1, &p[0], 1) == 1, "toomany: root may send");
	for (i = 0; i <= sent; i++) {
		recv_fds(sv[1], &r, 64, 0);
		if (r.nfd == 1)
			close(r.fds[0]);
	}
	check(r.nfd == 1, "toomany: all received");
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* SO_PEERCRED holds the ids of connect time, not of the question. */
static void peer_credentials(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int sv[2], l, c, n, d1, d2;

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
		      seteuid(65534) == 0,
	      "peercred: socketpair, then seteuid(65534)");
	check(peer_is(sv[0], getpid(), 0, getgid()),
	      "peercred: socketpair's ids stay uid 0");
	close(sv[0]);
	close(sv[1]);
	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 &&
		      peer_is(sv[1], getpid(), 65534, getgid()),
	      "peercred: a socketpair made as 65534 says 65534");
	close(sv[0]);
	close(sv[1]);
	check(seteuid(0) == 0, "peercred: seteuid(0)");

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path("listener"));
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	check(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		      chmod(path("listener"), 0777) == 0 && listen(l, 4) == 0 &&
		      peer_is(l, getpid(), 0, getgid()),
	      "peercred: a listener has its own ids");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	check(c >= 0 && peer_is(c, 0, (uid_t)-1, (gid_t)-1),
	      "peercred: an unconnected socket has none");
	check(seteuid(65534) == 0 &&
		      connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		      seteuid(0) == 0,
	      "peercred: connect as 65534");
	n = accept(l, NULL, NULL);
	check(n >= 0 && peer_is(n, getpid(), 65534, getgid()) &&
		      peer_is(c, getpid(), 0, getgid()),
	      "peercred: accepted sees 65534, connector the listener's 0");
	close(n);
	close(c);
	close(l);
	unlink(path("listener"));

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path("dgram"));
	d1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	check(d1 >= 0 && d2 >= 0 &&
		      bind(d1, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		      connect(d2, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "peercred: connect a datagram socket");
	check(peer_is(d2, 0, (uid_t)-1, (gid_t)-1),
	      "peercred: a datagram connect records none");
	close(d1);
	close(d2);
	unlink(path("dgram"));
}

int main(void)
{
	check_start("scm_rights");
	signal(SIGPIPE, SIG_IGN);
	scratch_start();
	pipe_through(SOCK_STREAM, "stream");
	pipe_through(SOCK_DGRAM, "dgram");
	file_offsets();
	socket_through();
	many();
	stream_boundary();
	control_fault();
	bad_and_queued();
	threads();
	credentials(SOCK_DGRAM, "cred dgram");
	credentials(SOCK_STREAM, "cred stream");
	peer_credentials();
	too_many_refs();
	stream_writers();
	across_fork();
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
