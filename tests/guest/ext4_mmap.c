/* ext4_mmap.c - mmap of files in a writable directory (an ext4 disk under Kiln, a host directory natively): private and shared maps coherent with write(2), copy on write, truncate's SIGBUS, msync, one cache per inode; "DIR dlopen NAME" first loads a library found through LD_LIBRARY_PATH. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "check.h"

#define PG 4096L
/* Three pages and a tail: the last page is partly past the end. */
#define FSIZE (3 * PG + 100)
#define MAPLEN (4 * PG)

static char path_buf[2][512];
static sigjmp_buf jump;
static volatile int bus_code;

static const char *P(const char *dir, const char *name, int k)
{
	snprintf(path_buf[k], sizeof(path_buf[0]), "%s/%s", dir, name);
	return path_buf[k];
}

static unsigned char pat(long i)
{
	return (unsigned char)(i * 13 + (i >> 12) + 1);
}

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = si->si_code;
	siglongjmp(jump, 1);
}

/* The byte at p, or -1 after a SIGBUS there. */
static int touch(const volatile unsigned char *p)
{
	bus_code = 0;
	if (sigsetjmp(jump, 1))
		return -1;
	return *p;
}

static int same_as_pat(const unsigned char *m, long from, long to)
{
	for (long i = from; i < to; i++)
		if (m[i] != pat(i))
			return 0;
	return 1;
}

static int zeros(const unsigned char *m, long from, long to)
{
	for (long i = from; i < to; i++)
		if (m[i] != 0)
			return 0;
	return 1;
}

static int make_file(const char *path)
{
	unsigned char *b = malloc(FSIZE);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (long i = 0; i < FSIZE; i++)
		b[i] = pat(i);
	check(fd >= 0, "create the file");
	check(write(fd, b, FSIZE) == FSIZE, "write %ld bytes", FSIZE);
	check(fsync(fd) == 0, "fsync");
	free(b);
	return fd;
}

static void reads_and_writes(int fd, unsigned char *pv, unsigned char *sh)
{
	char c;

	check(same_as_pat(pv, 0, FSIZE) && same_as_pat(sh, 0, FSIZE),
	      "both maps read the file's bytes");
	check(zeros(sh, FSIZE, 4 * PG), "the last page is zero past the end");
	check(pwrite(fd, "HELLO", 5, PG + 904) == 5, "pwrite into page 1");
	check(memcmp(sh + PG + 904, "HELLO", 5) == 0,
	      "the shared map sees the write");
	check(memcmp(pv + PG + 904, "HELLO", 5) == 0,
	      "the private map's untouched page sees it too");
	pv[100] = 'X';
	check(pread(fd, &c, 1, 100) == 1 && c == (char)pat(100),
	      "a private store is not in the file");
	check(sh[100] == pat(100), "nor in the shared map");
	check(pwrite(fd, "Y", 1, 101) == 1 && sh[101] == 'Y',
	      "a later write shows in the shared map");
	check(pv[101] == pat(101), "not in the private copy");
	check(pwrite(fd, "tail!", 5, FSIZE) == 5, "write past the end");
	check(memcmp(sh + FSIZE, "tail!", 5) == 0 &&
		      zeros(sh, FSIZE + 5, 4 * PG),
	      "the last page shows the grown file");
	check(msync(sh, MAPLEN, MS_SYNC) == 0,
	      "msync(MS_SYNC) of the shared map");
	check(msync(pv, MAPLEN, MS_ASYNC) == 0,
	      "msync(MS_ASYNC) of the private map");
	check(msync(sh, MAPLEN, MS_INVALIDATE) == 0, "msync(MS_INVALIDATE)");
}

static void truncation(int fd, unsigned char *pv, unsigned char *sh)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGBUS, &sa, NULL) == 0, "SIGBUS handler");
	check(ftruncate(fd, PG + 10) == 0, "ftruncate to a page and 10 bytes");
	check(touch(sh + 2 * PG) == -1 && bus_code == BUS_ADRERR,
	      "the shared map past the end: SIGBUS (BUS_ADRERR)");
	check(touch(pv + 3 * PG) == -1 && bus_code == BUS_ADRERR,
	      "the private map past the end: SIGBUS");
	check(touch(sh + PG + 9) == pat(PG + 9) && touch(sh + PG + 10) == 0,
	      "the new last page: the file, then zeros");
	check(sh[PG + 904] == 0, "what was cut off reads as zero");
	check(ftruncate(fd, 3 * PG) == 0, "ftruncate to grow again");
	check(touch(sh + 2 * PG) == 0 && touch(sh + 2 * PG + 4000) == 0,
	      "the grown pages read as zeros");
	check(touch(sh + 3 * PG) == -1, "past the new end: SIGBUS again");
}

/* Two names of one inode map one page cache. */
static void two_names(const char *dir, int fd)
{
	int fd2;
	unsigned char *m;

	check(link(P(dir, "mapped", 0), P(dir, "linked", 1)) == 0,
	      "a hard link");
	fd2 = open(P(dir, "linked", 1), O_RDONLY);
	check(fd2 >= 0, "open the other name");
	m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd2, 0);
	check(m != MAP_FAILED, "map it shared");
	check(m[0] == pat(0), "it reads the file");
	check(pwrite(fd, "Z", 1, 0) == 1 && m[0] == 'Z',
	      "a write through the first name shows there");
	check(unlink(P(dir, "linked", 1)) == 0 &&
		      unlink(P(dir, "mapped", 0)) == 0,
	      "unlink both names");
	check(m[1] == pat(1), "the unlinked file's map still reads");
	check(munmap(m, PG) == 0, "munmap");
	close(fd2);
}

/* tests/dynamic/kplugin.so by name: ld.so finds it on LD_LIBRARY_PATH. */
static void dl(const char *name)
{
	void *h = dlopen(name, RTLD_NOW);
	int (*mul)(int, int);
	int *loaded;

	check(h != NULL, "dlopen %s", name);
	mul = (int (*)(int, int))dlsym(h, "kplugin_mul");
	loaded = dlsym(h, "kplugin_loaded");
	check(mul != NULL && loaded != NULL, "dlsym");
	check(*loaded == 1, "its constructor ran");
	check(mul(6, 7) == 42, "its function answers");
	check(dlclose(h) == 0, "dlclose");
}

int main(int argc, char **argv)
{
	unsigned char *pv, *sh;
	int fd, ro;

	check_start("ext4_mmap");
	if (argc < 2)
		fail("usage: ext4_mmap DIR [dlopen NAME]");
	if (argc == 4 && strcmp(argv[2], "dlopen") == 0)
		dl(argv[3]);
	fd = make_file(P(argv[1], "mapped", 0));
	ro = open(P(argv[1], "mapped", 0), O_RDONLY);
	pv = mmap(NULL, MAPLEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	sh = mmap(NULL, MAPLEN, PROT_READ, MAP_SHARED, ro, 0);
	check(pv != MAP_FAILED && sh != MAP_FAILED, "mmap private and shared");
	check(mprotect(sh, MAPLEN, PROT_READ | PROT_WRITE) == -1 &&
		      errno == EACCES,
	      "mprotect cannot make a read-only fd's shared map writable");
	reads_and_writes(fd, pv, sh);
	truncation(fd, pv, sh);
	check(munmap(pv, MAPLEN) == 0 && munmap(sh, MAPLEN) == 0,
	      "munmap both");
	two_names(argv[1], fd);
	close(ro);
	close(fd);
	printf("ext4_mmap: all %d checks passed\n", check_count);
	return 0;
}
