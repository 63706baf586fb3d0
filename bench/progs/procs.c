/* procs.c - process benchmark: ns per fork+_exit+waitpid, per fork+execve+
 * waitpid and per vfork / posix_spawn + execve + waitpid of a static hello,
 * per 1-byte round trip through two pipes between two processes, and per
 * 64 KiB write carried by a pipe from one process to another.
 *
 * usage: procs [hello=PATH] [TEST=N]...
 *   TEST: fork exec vfork spawn pingpong stream; N iterations, 0 skips it;
 *   PATH: the static program the exec tests run (default /bin/hello)
 * Each test runs a warm-up of N/10+1 iterations, then N timed with
 * CLOCK_MONOTONIC, and prints "TEST: N ops, X ns/op"; every child's exit
 * status and every byte is checked, and any failure exits 1. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

extern char **environ;
/* The program execve'd: /bin/hello, or hello=PATH */
static char *hello_argv[] = { "/bin/hello", NULL };
#define HELLO (hello_argv[0])
static unsigned char chunk[CHUNK];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 0 when pid exited with status 0, else -1 (with a message). */
static int reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		perror(what);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: child status 0x%x\n", what, st);
		return -1;
	}
	return 0;
}

static int fork_exit(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || reap(pid, "fork") < 0)
			return -1;
	}
	return 0;
}

static int fork_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execve(HELLO, hello_argv, environ);
			_exit(127);
		}
		if (pid < 0 || reap(pid, "fork+exec") < 0)
			return -1;
	}
	return 0;
}

/* Its own frame, so the child can clobber nothing the loop keeps. */
static __attribute__((noinline)) pid_t vfork_hello(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execve(HELLO, hello_argv, environ);
		_exit(127);
	}
	return pid;
}

static int vfork_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = vfork_hello();

		if (pid < 0 || reap(pid, "vfork+exec") < 0)
			return -1;
	}
	return 0;
}

static int spawn_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int err = posix_spawn(&pid, HELLO, NULL, NULL, hello_argv,
				      environ);

		if (err) {
			fprintf(stderr, "posix_spawn: %s\n", strerror(err));
			return -1;
		}
		if (reap(pid, "posix_spawn") < 0)
			return -1;
	}
	return 0;
}

/* The child's side of pingpong: add one to each byte and send it back. */
static void ponger(int in, int out, long n)
{
	unsigned char c;

	for (long i = 0; i < n; i++)
		if (read(in, &c, 1) != 1 || (c++, write(out, &c, 1)) != 1)
			_exit(1);
	_exit(0);
}

static int pingpong(long n)
{
	int there[2], back[2];
	pid_t pid;
	int bad = 0;

	if (pipe(there) < 0 || pipe(back) < 0)
		return perror("pipe"), -1;
	pid = fork();
	if (pid == 0) {
		close(there[1]);
		close(back[0]);
		ponger(there[0], back[1], n);
	}
	close(there[0]);
	close(back[1]);
	for (long i = 0; pid > 0 && i < n && !bad; i++) {
		unsigned char c = (unsigned char)i;

		bad = write(there[1], &c, 1) != 1 ||
		      read(back[0], &c, 1) != 1 || c != (unsigned char)(i + 1);
	}
	close(there[1]);
	close(back[0]);
	if (bad)
		fprintf(stderr, "pingpong: a read or write failed\n");
	return pid < 0 || reap(pid, "pingpong") < 0 || bad ? -1 : 0;
}

/* The child's side of stream: n chunks, each starting with its number. */
static void writer(int out, long n)
{
	for (long i = 0; i < n; i++) {
		chunk[0] = (unsigned char)i;
		if (write(out, chunk, CHUNK) != CHUNK)
			_exit(1);
	}
	_exit(0);
}

static int stream(long n)
{
	static unsigned char buf[CHUNK];
	long long got = 0, want = (long long)n * CHUNK;
	int fd[2], bad = 0;
	pid_t pid;

	if (pipe(fd) < 0)
		return perror("pipe"), -1;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		writer(fd[1], n);
	}
	close(fd[1]);
	while (pid > 0 && !bad) {
		ssize_t r = read(fd[0], buf, CHUNK);

		if (r <= 0) {
			bad = r < 0;
			break;
		}
		/* A chunk's first byte is its number; check it when aligned. */
		if (got % CHUNK == 0 && buf[0] != (unsigned char)(got / CHUNK))
			bad = 1;
		got += r;
	}
	close(fd[0]);
	if (bad || got != want)
		fprintf(stderr, "stream: %lld of %lld bytes, bad %d\n", got,
			want, bad);
	return pid < 0 || reap(pid, "stream") < 0 || bad || got != want ? -1 :
									  0;
}

struct test {
	const char *name;
	int (*run)(long n);
	long n;
	const char *unit;
};

static struct test tests[] = {
	{ "fork", fork_exit, 2000, "fork+_exit+waitpid" },
	{ "exec", fork_exec, 500, "fork+execve+waitpid" },
	{ "vfork", vfork_exec, 500, "vfork+execve+waitpid" },
	{ "spawn", spawn_exec, 500, "posix_spawn+waitpid" },
	{ "pingpong", pingpong, 20000, "1-byte round trip" },
	{ "stream", stream, 4000, "64 KiB write+read" },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int parse_args(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		char *eq = strchr(argv[a], '=');
		size_t i;

		if (!strncmp(argv[a], "hello=", 6)) {
			hello_argv[0] = argv[a] + 6;
			continue;
		}
		for (i = 0; eq && i < NTESTS; i++)
			if (strlen(tests[i].name) == (size_t)(eq - argv[a]) &&
			    !strncmp(argv[a], tests[i].name, eq - argv[a]))
				break;
		if (!eq || i == NTESTS || atol(eq + 1) < 0) {
			fprintf(stderr, "procs: bad argument %s\n", argv[a]);
			return -1;
		}
		tests[i].n = atol(eq + 1);
	}
	return 0;
}

/* Run one test with the children's stdout on /dev/null; ns, or -1. */
static double timed(const struct test *t, int devnull)
{
	int out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	double t0, t1 = -1;

	fflush(stdout);
	if (out < 0 || dup2(devnull, 1) < 0)
		return -1;
	if (t->run(t->n / 10 + 1) == 0) {
		t0 = now_ns();
		if (t->run(t->n) == 0)
			t1 = now_ns() - t0;
	}
	if (dup2(out, 1) < 0 || close(out) < 0)
		return -1;
	return t1;
}

int main(int argc, char **argv)
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (devnull < 0 || parse_args(argc, argv) < 0) {
		perror("procs: /dev/null or arguments");
		return 1;
	}
	for (size_t i = 0; i < NTESTS; i++) {
		const struct test *t = &tests[i];
		double ns;

		if (t->n == 0)
			continue;
		ns = timed(t, devnull);
		if (ns < 0) {
			fprintf(stderr, "procs: %s failed\n", t->name);
			return 1;
		}
		printf("%s: %ld ops (%s), %.1f ns/op\n", t->name, t->n, t->unit,
		       ns / (double)t->n);
		fflush(stdout);
	}
	return 0;
}
