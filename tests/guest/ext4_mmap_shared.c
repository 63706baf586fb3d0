/* ext4_mmap_shared.c - writable MAP_SHARED of files in a writable directory (an ext4 disk under Kiln, a host directory natively): stores seen by read(2), a second map and a forked child at once, coherent with write(2), written back at msync, fsync, munmap and exit, holes filled, SIGBUS past the end and after a truncate. "DIR write" stores; "DIR check" (a later run, a new VM under Kiln) reads what the first left; "DIR full" (Kiln only) stores into a hole of a full disk: SIGBUS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"

#define PG 4096L
/* Three pages and a tail: the last page is partly past the end. */
#define FSIZE (3 * PG + 100)
#define MAPLEN (4 * PG)
/* The sparse file: 16 pages of hole, two of them stored into. */
#define HOLE_PAGES 16

static char path_buf[512];
static sigjmp_buf jump;
static volatile int bus_code;
static void *volatile bus_addr;

static const char *P(const char *dir, const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static unsigned char pat(long i)
{
	return (unsigned char)(i * 7 + (i >> 12) + 3);
}

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = si->si_code;
	bus_addr = si->si_addr;
	siglongjmp(jump, 1);
}

/* Store c at p: 0, or -1 after a SIGBUS there. */
static int poke(volatile unsigned char *p, unsigned char c)
{
	bus_code = 0;
	if (sigsetjmp(jump, 1))
		return -1;
	*p = c;
	return 0;
}

static int open_new(const char *path, long size)
{
	unsigned char *b = malloc(size);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (long i = 0; i < size; i++)
		b[i] = pat(i);
	check(fd >= 0, "create %s", strrchr(path, '/') + 1);
	check(write(fd, b, size) == size, "write %ld bytes", size);
	free(b);
	return fd;
}

static int read_is(int fd, long off, const char *want)
{
	char buf[64];
	size_t n = strlen(want);

	return pread(fd, buf, n, off) == (ssize_t)n &&
	       memcmp(buf, want, n) == 0;
}

/* Stores seen by read(2), a second map, a child; write(2) seen in the map. */
static void coherence(const char *dir)
{
	int fd = open_new(P(dir, "db"), FSIZE), fd2, st;
	unsigned char *m, *m2;
	pid_t pid;

	m = mmap(NULL, MAPLEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap(MAP_SHARED, PROT_WRITE) of a file");
	check(m[5] == pat(5) && m[FSIZE - 1] == pat(FSIZE - 1),
	      "the map reads the file");
	memcpy(m + 10, "stored-in-page-0", 16);
	memcpy(m + PG + 20, "stored-in-page-1", 16);
	check(read_is(fd, 10, "stored-in-page-0") &&
		      read_is(fd, PG + 20, "stored-in-page-1"),
	      "read(2) sees the stores at once");
	fd2 = open(P(dir, "db"), O_RDWR);
	m2 = mmap(NULL, PG * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	check(m2 != MAP_FAILED && memcmp(m2 + 10, "stored-in-page-0", 16) == 0,
	      "a second map of another open sees them");
	memcpy(m2 + PG + 100, "via-second-map", 14);
	check(memcmp(m + PG + 100, "via-second-map", 14) == 0,
	      "and the first map sees the second's stores");
	pid = fork();
	if (pid == 0) {
		int ok = read_is(fd, PG + 20, "stored-in-page-1");

		memcpy(m + 2 * PG + 30, "from-the-child", 14);
		_exit(ok ? 0 : 1);
	}
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "a forked child reads the stores with read(2)");
	check(memcmp(m + 2 * PG + 30, "from-the-child", 14) == 0 &&
		      read_is(fd, 2 * PG + 30, "from-the-child"),
	      "the child's store through the inherited map is seen");
	check(pwrite(fd, "WRITTEN", 7, 40) == 7, "pwrite into a stored page");
	check(memcmp(m + 40, "WRITTEN", 7) == 0 &&
		      memcmp(m + 10, "stored-in-page-0", 16) == 0,
	      "the map sees the write and keeps the page's stores");
	check(read_is(fd, 10, "stored-in-page-0") && read_is(fd, 40, "WRITTEN"),
	      "read(2) sees both");
	check(msync(m, MAPLEN, MS_SYNC) == 0, "msync(MS_SYNC)");
	m[PG * 3 + 50] = 'Q'; /* in the last page, inside the file */
	check(munmap(m2, PG * 2) == 0 && munmap(m, MAPLEN) == 0,
	      "munmap both maps without another msync");
	check(read_is(fd, PG * 3 + 50, "Q"), "the last store is in the file");
	close(fd2);
	close(fd);
}

/* mprotect adds write to a shared map of a read-write fd. */
static void protect(const char *dir)
{
	int fd = open_new(P(dir, "prot"), PG);
	unsigned char *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);

	check(m != MAP_FAILED, "map a read-write fd read-only");
	check(mprotect(m, PG, PROT_READ | PROT_WRITE) == 0,
	      "mprotect adds PROT_WRITE");
	memcpy(m, "protected", 9);
	check(fsync(fd) == 0, "fsync");
	check(mprotect(m, PG, PROT_READ) == 0 &&
		      mprotect(m, PG, PROT_READ | PROT_WRITE) == 0,
	      "take write away and give it back");
	m[9] = '!';
	check(read_is(fd, 0, "protected!"), "both stores in the file");
	check(munmap(m, PG) == 0, "munmap");
	close(fd);
}

/* Stores into a hole: the blocks come at fsync. */
static void holes(const char *dir)
{
	int fd = open(P(dir, "holes"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	unsigned char *m;
	struct stat sb;

	check(fd >= 0 && ftruncate(fd, HOLE_PAGES * PG) == 0,
	      "a file of %d pages of hole", HOLE_PAGES);
	m = mmap(NULL, HOLE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	check(m != MAP_FAILED, "map it shared");
	check(m[5 * PG] == 0 && m[12 * PG + 7] == 0, "the hole reads zeros");
	memcpy(m + 5 * PG + 1, "into-hole-5", 11);
	memcpy(m + 12 * PG + 4000, "into-hole-12", 12);
	check(read_is(fd, 5 * PG + 1, "into-hole-5"), "read(2) sees it");
	check(fsync(fd) == 0, "fsync writes the stores");
	check(fstat(fd, &sb) == 0 && sb.st_blocks > 0 &&
		      sb.st_size == HOLE_PAGES * PG,
	      "the file has blocks now, the same size");
	check(munmap(m, HOLE_PAGES * PG) == 0, "munmap");
	close(fd);
}

static void catch_bus(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGBUS, &sa, NULL) == 0, "SIGBUS handler");
}

/* SIGBUS past the end, and after a truncate under a write map. */
static void past_the_end(const char *dir)
{
	int fd = open_new(P(dir, "short"), PG + 10);
	unsigned char *m;

	catch_bus();
	m = mmap(NULL, MAPLEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "map 4 pages of a 2-page file");
	check(poke(m + PG + 5, 'a') == 0 && poke(m + PG + 200, 'b') == 0,
	      "stores in the last page, inside and past the end");
	check(poke(m + 2 * PG, 'c') == -1 && bus_code == BUS_ADRERR,
	      "a store past the last page: SIGBUS (BUS_ADRERR)");
	check(ftruncate(fd, 3 * PG) == 0, "grow the file to 3 pages");
	check(poke(m + 2 * PG + 1, 'd') == 0,
	      "now the third page takes stores");
	check(ftruncate(fd, PG) == 0, "cut it to one page");
	check(poke(m + PG + 5, 'e') == -1 && bus_code == BUS_ADRERR,
	      "a store past the new end: SIGBUS");
	check(ftruncate(fd, 3 * PG) == 0, "grow it again");
	check(m[PG + 5] == 0 && m[2 * PG + 1] == 0,
	      "the cut-off stores are gone: zeros");
	m[2 * PG + 2] = 'f';
	check(fsync(fd) == 0 && read_is(fd, 2 * PG + 2, "f"),
	      "a store after growing back is written");
	check(munmap(m, MAPLEN) == 0, "munmap");
	close(fd);
}

/* Left stored and mapped at exit: the exit writes them. */
static void at_exit(const char *dir)
{
	int fd = open_new(P(dir, "atexit"), 2 * PG);
	unsigned char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);

	check(m != MAP_FAILED, "map a file to leave mapped");
	memcpy(m + PG + 1, "left-at-exit", 12);
	(void)m; /* no msync, no munmap, no close */
}

static void expect(const char *dir, const char *name, long off,
		   const char *want)
{
	int fd = open(P(dir, name), O_RDONLY);

	check(fd >= 0 && read_is(fd, off, want), "%s has \"%s\" at %ld", name,
	      want, off);
	close(fd);
}

/*
 * Kiln only (the host cannot mount a small full volume without root),
 * Linux's behaviour: a store into a hole of a shared map gets its
 * blocks at the fault, and a full disk makes it SIGBUS (BUS_ADRERR at
 * the address stored to); pages that have blocks still take stores,
 * and once there is room the same store goes through.
 */
static void full_disk(const char *dir)
{
	static char chunk[64 * 1024];
	int fd = open(P(dir, "hole2"), O_RDWR | O_CREAT | O_TRUNC, 0644), fill;
	unsigned char *m;
	long filled = 0;
	ssize_t w;

	catch_bus();
	memset(chunk, 'F', sizeof(chunk));
	check(fd >= 0 && write(fd, chunk, PG) == PG &&
		      ftruncate(fd, HOLE_PAGES * PG) == 0,
	      "a file of one written page and %d of hole", HOLE_PAGES - 1);
	fill = open(P(dir, "fill"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	while ((w = write(fill, chunk, sizeof(chunk))) > 0)
		filled += w;
	check(w == -1 && errno == ENOSPC && filled > 0,
	      "fill the disk until ENOSPC");
	check(fsync(fill) == 0, "fsync the filler");
	m = mmap(NULL, HOLE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	check(m != MAP_FAILED, "map it shared");
	check(poke(m + 5 * PG + 9, 'x') == -1 && bus_code == BUS_ADRERR,
	      "a store into the hole: SIGBUS, si_code BUS_ADRERR");
	printf("ext4_mmap_shared: si_addr at offset %ld\n",
	       (long)((unsigned char *)bus_addr - m));
	check(m[5 * PG + 9] == 0, "the hole still reads as zeros");
	check(poke(m + 100, 'w') == 0, "a store into the written page");
	check(msync(m, HOLE_PAGES * PG, MS_SYNC) == 0, "msync writes it");
	check(close(fill) == 0 && unlink(P(dir, "fill")) == 0,
	      "free the filler");
	check(poke(m + 5 * PG + 9, 'x') == 0, "the store into the hole now");
	check(fsync(fd) == 0, "fsync writes it");
	check(munmap(m, HOLE_PAGES * PG) == 0, "munmap");
	close(fd);
}

/* The bytes the write run left, read by a later run. */
static void check_run(const char *dir)
{
	expect(dir, "db", 10, "stored-in-page-0");
	expect(dir, "db", 40, "WRITTEN");
	expect(dir, "db", PG + 100, "via-second-map");
	expect(dir, "db", 2 * PG + 30, "from-the-child");
	expect(dir, "db", 3 * PG + 50, "Q");
	expect(dir, "prot", 0, "protected!");
	expect(dir, "holes", 5 * PG + 1, "into-hole-5");
	expect(dir, "holes", 12 * PG + 4000, "into-hole-12");
	expect(dir, "short", 2 * PG + 2, "f");
	expect(dir, "atexit", PG + 1, "left-at-exit");
}

int main(int argc, char **argv)
{
	check_start("ext4_mmap_shared");
	if (argc != 3)
		fail("usage: ext4_mmap_shared DIR write|check|full");
	if (strcmp(argv[2], "write") == 0) {
		coherence(argv[1]);
		protect(argv[1]);
		holes(argv[1]);
		past_the_end(argv[1]);
		at_exit(argv[1]);
	} else if (strcmp(argv[2], "full") == 0) {
		full_disk(argv[1]);
	} else {
		check_run(argv[1]);
	}
	printf("ext4_mmap_shared: all %d checks passed\n", check_count);
	return 0;
}
