/* mmap_trunc.c - guest test: truncating a mapped file (ftruncate, O_TRUNC) unmaps what was cut off. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096
/* Three pages and 100 bytes; the mappings cover four pages. */
#define FILE_SIZE (3 * PAGE + 100)
#define MAP_LEN (4 * PAGE)

static unsigned char data[FILE_SIZE];
static sigjmp_buf trap_env;
static volatile sig_atomic_t trapped;

static void on_fault(int sig)
{
	trapped = sig;
	siglongjmp(trap_env, 1);
}

/* The signal a load at p raises (0: none); the byte in *out. */
static int load(volatile const unsigned char *p, unsigned char *out)
{
	trapped = 0;
	if (sigsetjmp(trap_env, 1) == 0)
		*out = *p;
	return trapped;
}

/* The signal a store of v at p raises (0: none). */
static int store(volatile unsigned char *p, unsigned char v)
{
	trapped = 0;
	if (sigsetjmp(trap_env, 1) == 0)
		*p = v;
	return trapped;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static unsigned char *map(int prot, int flags, int fd)
{
	unsigned char *p = mmap(NULL, MAP_LEN, prot, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int fresh_file(const char *name)
{
	int fd = open(path(name), O_CREAT | O_RDWR | O_TRUNC, 0644);

	check(fd >= 0 && write(fd, data, FILE_SIZE) == FILE_SIZE,
	      "write a %d-byte file %s", FILE_SIZE, name);
	return fd;
}

/* ftruncate smaller: pages past the new end are gone from both kinds. */
static void shrink(void)
{
	int fd = fresh_file("shrink");
	unsigned char *s = map(PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	unsigned char *p = map(PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	unsigned char b = 0;

	check(s && p, "a shared and a private mapping of 4 pages");
	check(s[PAGE] == data[PAGE] && s[2 * PAGE] == data[2 * PAGE],
	      "shared pages 1 and 2 touched");
	check(p[PAGE] == data[PAGE], "private page 1 read (the file's page)");
	p[2 * PAGE] = 0xaa;
	p[0] = 0xbb;
	check(p[2 * PAGE] == 0xaa && s[2 * PAGE] == data[2 * PAGE],
	      "private page 2 written (a copy), the file unchanged");
	check(ftruncate(fd, PAGE + 10) == 0, "ftruncate to one page and 10");
	check(load(s + 2 * PAGE, &b) == SIGBUS, "shared page 2 load: SIGBUS");
	check(store(s + 3 * PAGE - 1, 1) == SIGBUS,
	      "shared page 2 store: SIGBUS");
	check(load(s + PAGE + 9, &b) == 0 && b == data[PAGE + 9] &&
		      all_zero(s + PAGE + 10, PAGE - 10),
	      "shared page 1: the 10 bytes kept, zeros after them");
	check(load(p + PAGE + 9, &b) == 0 && b == data[PAGE + 9] &&
		      all_zero(p + PAGE + 10, PAGE - 10),
	      "private page 1 (still the file's): the same");
	check(load(p + 2 * PAGE, &b) == SIGBUS,
	      "private page 2, a copy, is cut off too: SIGBUS");
	check(p[0] == 0xbb && s[0] == data[0],
	      "private page 0's copy stays below the end");
	check(ftruncate(fd, 3 * PAGE) == 0, "grow back to 3 pages");
	check(load(s + 2 * PAGE, &b) == 0 && all_zero(s + 2 * PAGE, PAGE),
	      "shared page 2 reads zeros again");
	check(load(p + 2 * PAGE, &b) == 0 && all_zero(p + 2 * PAGE, PAGE),
	      "private page 2 reads the file's zeros");
	check(load(p + 3 * PAGE, &b) == SIGBUS, "page 3 is still past the end");
	s[2 * PAGE + 5] = 7;
	check(pread(fd, &b, 1, 2 * PAGE + 5) == 1 && b == 7,
	      "a shared store past the old end reaches the file");
	munmap(s, MAP_LEN);
	munmap(p, MAP_LEN);
	close(fd);
	check(unlink(path("shrink")) == 0, "unlink shrink");
}

/* open O_TRUNC of a mapped file: every page goes; a write brings data. */
static void open_trunc(void)
{
	int fd = fresh_file("otrunc"), fd2;
	unsigned char *s = map(PROT_READ, MAP_SHARED, fd);
	unsigned char *p = map(PROT_READ, MAP_PRIVATE, fd);
	unsigned char b = 0;

	check(s && p && s[0] == data[0] && p[PAGE] == data[PAGE],
	      "map the file twice and touch it");
	fd2 = open(path("otrunc"), O_RDWR | O_TRUNC);
	check(fd2 >= 0, "open O_TRUNC");
	check(load(s, &b) == SIGBUS && load(p + PAGE, &b) == SIGBUS,
	      "both mappings: SIGBUS at page 0 and 1");
	check(pwrite(fd2, "new", 3, 0) == 3, "write 3 bytes");
	check(load(s, &b) == 0 && memcmp(s, "new", 3) == 0 &&
		      all_zero(s + 3, PAGE - 3),
	      "shared page 0 shows them, zeros after");
	check(memcmp(p, "new", 3) == 0, "private page 0 shows them too");
	check(load(p + PAGE, &b) == SIGBUS, "page 1 is past the end");
	munmap(s, MAP_LEN);
	munmap(p, MAP_LEN);
	close(fd2);
	close(fd);
	check(unlink(path("otrunc")) == 0, "unlink otrunc");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	check_start("mmap_trunc");
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (size_t i = 0; i < FILE_SIZE; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	scratch_start();
	shrink();
	open_trunc();
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
