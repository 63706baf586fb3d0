/* syscalls.c - syscall and runtime micro-benchmarks: ns per operation of the
 * calls an application makes most, the same static binary in Kiln and Linux.
 *
 * usage: syscalls [TEST=N]...
 *   clock     clock_gettime(CLOCK_MONOTONIC) through libc (the vDSO)
 *   tod       gettimeofday through libc (the vDSO)
 *   getpid    syscall(SYS_getpid): a raw system call, no libc cache
 *   open      open("/tmp/...", O_RDONLY) + close of an existing file
 *   stat      stat of that file
 *   mmap      mmap 4 KiB anonymous, write its first byte (the page fault),
 *             munmap
 *   tcp       1-byte round trip over a loopback TCP connection (one
 *             connection, TCP_NODELAY) between two threads
 *   futex     round trip of two threads through two futex words
 *             (FUTEX_WAIT/FUTEX_WAKE, private)
 *   pipe      1-byte round trip between two threads through two pipes
 *   fileio    pwrite 4 KiB + pread it back at offset 0 of a /tmp file
 *   fork      fork + _exit(0) in the child + waitpid
 * N iterations, 0 skips the test.  Each runs a warm-up of N/10+1, then N
 * timed with CLOCK_MONOTONIC, and prints "TEST: N ops, X ns/op"; every
 * result is checked and any failure exits 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> values; musl-gcc has no kernel headers. */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)
#define BLOCK 4096
#define PATH "/tmp/kiln-syscalls.dat"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int t_clock(long n)
{
	struct timespec a, b = { 0, 0 };

	for (long i = 0; i < n; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &a) != 0)
			return -1;
		/* monotonic: never goes back */
		if (a.tv_sec < b.tv_sec ||
		    (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec))
			return -1;
		b = a;
	}
	return 0;
}

static int t_tod(long n)
{
	struct timeval tv;

	for (long i = 0; i < n; i++)
		if (gettimeofday(&tv, NULL) != 0 || tv.tv_usec >= 1000000)
			return -1;
	return 0;
}

static int t_getpid(long n)
{
	long me = getpid();

	for (long i = 0; i < n; i++)
		if (syscall(SYS_getpid) != me)
			return -1;
	return 0;
}

static int t_open(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(PATH, O_RDONLY);

		if (fd < 0 || close(fd) != 0)
			return -1;
	}
	return 0;
}

static int t_stat(long n)
{
	struct stat st;

	for (long i = 0; i < n; i++)
		if (stat(PATH, &st) != 0 || st.st_size != BLOCK)
			return -1;
	return 0;
}

static int t_mmap(long n)
{
	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, BLOCK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || p[1] != 0)
			return -1;
		p[0] = 1;
		if (munmap((void *)p, BLOCK) != 0)
			return -1;
	}
	return 0;
}

static int t_fileio(long n)
{
	static unsigned char wbuf[BLOCK], rbuf[BLOCK];
	int fd = open(PATH, O_RDWR), bad = fd < 0;

	for (long i = 0; i < n && !bad; i++) {
		wbuf[i % BLOCK] = (unsigned char)i;
		bad = pwrite(fd, wbuf, BLOCK, 0) != BLOCK ||
		      pread(fd, rbuf, BLOCK, 0) != BLOCK ||
		      rbuf[i % BLOCK] != (unsigned char)i;
	}
	if (fd >= 0)
		close(fd);
	return bad ? -1 : 0;
}

static int t_fork(long n)
{
	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return -1;
	}
	return 0;
}

/* The two-thread tests: a ponger thread answers each of rounds pings. */
static long rounds;
static _Atomic int ping, pong; /* futex words, 1: the other side may go */
static int there[2], back[2];  /* pipes, or one socket pair in [0] */

static void take(_Atomic int *w)
{
	while (atomic_exchange(w, 0) != 1)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void give(_Atomic int *w)
{
	atomic_store(w, 1);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		take(&ping);
		give(&pong);
	}
	return NULL;
}

/* Reads a byte from in, writes it plus one to out, rounds times. */
static void *byte_ponger(void *arg)
{
	int *fds = arg;
	unsigned char c;

	for (long i = 0; i < rounds; i++) {
		if (read(fds[0], &c, 1) != 1)
			return (void *)1;
		c++;
		if (write(fds[1], &c, 1) != 1)
			return (void *)1;
	}
	return NULL;
}

static int t_futex(long n)
{
	pthread_t t;

	rounds = n;
	if (pthread_create(&t, NULL, futex_ponger, NULL) != 0)
		return -1;
	for (long i = 0; i < n; i++) {
		give(&ping);
		take(&pong);
	}
	return pthread_join(t, NULL) != 0 ? -1 : 0;
}

/* n round trips: write to out, read the answer from in. */
static int byte_rounds(int out, int in, int *ponger_fds, long n)
{
	pthread_t t;
	void *bad = NULL;
	int err = 0;

	rounds = n;
	if (pthread_create(&t, NULL, byte_ponger, ponger_fds) != 0)
		return -1;
	for (long i = 0; i < n && !err; i++) {
		unsigned char c = (unsigned char)i;

		err = write(out, &c, 1) != 1 || read(in, &c, 1) != 1 ||
		      c != (unsigned char)(i + 1);
	}
	if (err)
		return -1; /* the ponger is left blocked; we exit */
	return pthread_join(t, &bad) != 0 || bad ? -1 : 0;
}

static int t_pipe(long n)
{
	int pong_fds[2] = { there[0], back[1] };

	return byte_rounds(there[1], back[0], pong_fds, n);
}

/* A connected loopback TCP pair: there[0] the client, there[1] the
 * accepted end; made once, before the timed loops. */
static int tcp_pair(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	there[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (there[0] < 0 ||
	    connect(there[0], (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	there[1] = accept(l, NULL, NULL);
	close(l);
	if (there[1] < 0 ||
	    setsockopt(there[0], IPPROTO_TCP, TCP_NODELAY, &one, 4) != 0 ||
	    setsockopt(there[1], IPPROTO_TCP, TCP_NODELAY, &one, 4) != 0)
		return -1;
	return 0;
}

static int t_tcp(long n)
{
	int pong_fds[2] = { there[1], there[1] };

	return byte_rounds(there[0], there[0], pong_fds, n);
}

struct test {
	const char *name;
	int (*run)(long n);
	long n;
};

static struct test tests[] = {
	{ "clock", t_clock, 0 },   { "tod", t_tod, 0 },
	{ "getpid", t_getpid, 0 }, { "open", t_open, 0 },
	{ "stat", t_stat, 0 },	   { "mmap", t_mmap, 0 },
	{ "tcp", t_tcp, 0 },	   { "futex", t_futex, 0 },
	{ "pipe", t_pipe, 0 },	   { "fileio", t_fileio, 0 },
	{ "fork", t_fork, 0 },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int setup(const char *name)
{
	static unsigned char block[BLOCK];
	int fd;

	if (!strcmp(name, "tcp"))
		return tcp_pair();
	if (!strcmp(name, "pipe")) {
		close(there[0]);
		close(there[1]);
		return pipe(there) != 0 || pipe(back) != 0 ? -1 : 0;
	}
	fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, block, BLOCK) != BLOCK)
		return -1;
	return close(fd);
}

static int parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		size_t k;

		for (k = 0; eq && k < NTESTS; k++)
			if (strlen(tests[k].name) == (size_t)(eq - argv[i]) &&
			    !strncmp(tests[k].name, argv[i], eq - argv[i]))
				break;
		if (!eq || k == NTESTS) {
			fprintf(stderr, "syscalls: bad argument %s\n", argv[i]);
			return -1;
		}
		tests[k].n = atol(eq + 1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (parse(argc, argv) < 0)
		return 1;
	there[0] = there[1] = -1;
	for (size_t k = 0; k < NTESTS; k++) {
		struct test *t = &tests[k];
		double t0, t1;

		if (t->n <= 0)
			continue;
		if (setup(t->name) < 0 || t->run(t->n / 10 + 1) < 0) {
			perror(t->name);
			return 1;
		}
		t0 = now_ns();
		if (t->run(t->n) < 0) {
			perror(t->name);
			return 1;
		}
		t1 = now_ns();
		printf("%s: %ld ops, %.1f ns/op\n", t->name, t->n,
		       (t1 - t0) / (double)t->n);
		fflush(stdout);
	}
	unlink(PATH);
	return 0;
}
