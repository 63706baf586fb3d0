/* fork_cow.c - fork's memory: copy-on-write pages, MAP_SHARED files, shared fd offsets, pipes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"

static int global = 1;

/* Run fn in a child; its exit status (or 255 when it did not exit). */
static int in_child(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 255;
	return WEXITSTATUS(st);
}

static int write_global(void *arg)
{
	(void)arg;
	if (global != 1)
		return 1;
	global = 2;
	return global == 2 ? 0 : 2;
}

/* The child writes every page of a big heap block, then checks them. */
static int write_heap(void *arg)
{
	unsigned char *p = arg;

	for (size_t i = 0; i < (8u << 20); i += 4096)
		if (p[i] != (unsigned char)(i >> 12))
			return 1;
	memset(p, 0xee, 8u << 20);
	return p[12345] == 0xee ? 0 : 2;
}

static int write_map(void *arg)
{
	char *m = arg;

	if (memcmp(m, "parent", 6) != 0)
		return 1;
	memcpy(m, "child!", 6);
	return 0;
}

static int write_fd(void *arg)
{
	int fd = *(int *)arg;

	return write(fd, "child", 5) == 5 ? 0 : 1;
}

static void cow(void)
{
	unsigned char *heap = malloc(8u << 20);
	int x = 5;

	check(in_child(write_global, NULL) == 0, "the child writes a global");
	check(global == 1, "the parent still sees its own value");
	global = 3;
	check(in_child(write_global, NULL) == 1,
	      "a later child sees the parent's new value");
	check(heap != NULL, "malloc 8 MiB");
	for (size_t i = 0; i < (8u << 20); i += 4096)
		heap[i] = (unsigned char)(i >> 12);
	check(in_child(write_heap, heap) == 0,
	      "the child sees the heap and overwrites all of it");
	int same = 1;
	for (size_t i = 0; i < (8u << 20); i += 4096)
		same &= heap[i] == (unsigned char)(i >> 12);
	check(same, "the parent's 8 MiB heap is unchanged");
	free(heap);
	/* A page both write: each sees its own. */
	int p[2];
	check(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		x = 6;
		char c = (char)x;
		_exit(write(p[1], &c, 1) == 1 && x == 6 ? 0 : 1);
	}
	x = 7;
	char c = 0;
	int st;
	check(read(p[0], &c, 1) == 1 && c == 6 && x == 7,
	      "parent and child write the same stack page, each its own");
	check(waitpid(pid, &st, 0) == pid && st == 0, "the child saw 6");
	close(p[0]);
	close(p[1]);
}

static void files(void)
{
	char path[] = "/tmp/fork_cowXXXXXX", buf[16] = { 0 };
	int fd = mkstemp(path);
	char *priv, *shared;

	check(fd >= 0 && write(fd, "parent....", 10) == 10, "a scratch file");
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(priv != MAP_FAILED && shared != MAP_FAILED,
	      "map it private and shared");
	check(priv[0] == 'p', "touch the private map");
	check(in_child(write_map, priv) == 0,
	      "the child writes the private map");
	check(memcmp(priv, "parent", 6) == 0,
	      "the parent's private map is unchanged");
	check(in_child(write_map, shared) == 0,
	      "the child writes the shared map");
	check(memcmp(shared, "child!", 6) == 0,
	      "the parent sees it in the shared map");
	check(pread(fd, buf, 6, 0) == 6 && memcmp(buf, "child!", 6) == 0,
	      "and in the file");
	munmap(priv, 4096);
	munmap(shared, 4096);
	/* One open file description: the child's write moves our offset. */
	check(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	check(in_child(write_fd, &fd) == 0, "the child writes 5 bytes");
	check(lseek(fd, 0, SEEK_CUR) == 5, "the parent's offset is now 5");
	close(fd);
	unlink(path);
}

static int write_shared_anon(void *arg)
{
	int *m = arg;

	if (m[0] != 1)
		return 1;
	m[0] = 2;    /* a page the parent touched */
	m[4096] = 3; /* one nobody touched before the fork */
	return 0;
}

static int write_global_int(void *arg)
{
	int *p = arg;

	*p = 5;
	return *p == 5 ? 0 : 1;
}

static void shared_anon(void)
{
	int *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(m != MAP_FAILED && priv != MAP_FAILED,
	      "map 32 KiB shared and 4 KiB private anonymous");
	m[0] = 1;
	priv[0] = 1;
	check(in_child(write_shared_anon, m) == 0,
	      "the child writes the shared map");
	check(m[0] == 2 && m[4096] == 3 && m[1] == 0,
	      "the parent sees both writes, zeros elsewhere");
	check(in_child(write_global_int, priv) == 0,
	      "a child writes the private one");
	check(priv[0] == 1, "the private map stays the parent's");
	munmap(m, 8 * 4096);
	munmap(priv, 4096);
}

static void pipe_pair(void)
{
	int up[2], down[2], st;
	char buf[64];
	pid_t pid;

	check(pipe(up) == 0 && pipe(down) == 0, "two pipes");
	pid = fork();
	if (pid == 0) {
		ssize_t n;

		close(down[1]);
		close(up[0]);
		while ((n = read(down[0], buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++)
				buf[i] = (char)(buf[i] - 'a' + 'A');
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	check(write(down[1], "hello", 5) == 5, "write to the child");
	close(down[1]);
	check(read(up[0], buf, sizeof(buf)) == 0,
	      "EOF: the child wrote nothing");
	check(waitpid(pid, &st, 0) == pid && st == 0, "the child ends at EOF");
	close(up[0]);
}

static void pipe_echo(void)
{
	int down[2], up[2], st;
	char buf[64] = { 0 };
	pid_t pid;

	check(pipe(down) == 0 && pipe(up) == 0, "two more pipes");
	pid = fork();
	if (pid == 0) {
		ssize_t n = read(down[0], buf, sizeof(buf));

		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)(buf[i] - 'a' + 'A');
		_exit(n > 0 && write(up[1], buf, (size_t)n) == n ? 0 : 1);
	}
	check(write(down[1], "hello", 5) == 5, "send hello");
	check(read(up[0], buf, sizeof(buf)) == 5 &&
		      memcmp(buf, "HELLO", 5) == 0,
	      "the child answers HELLO");
	check(waitpid(pid, &st, 0) == pid && st == 0, "the child exits 0");
}

int main(void)
{
	check_start("fork_cow");
	cow();
	files();
	shared_anon();
	pipe_pair();
	pipe_echo();
	return check_done();
}
