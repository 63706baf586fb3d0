/* fsio.c - file system benchmark on a mounted ext4: sequential write+fsync (MB/s), 4 KiB random reads of a file (IOPS), small files created with fsync (files/s), in a new directory and in one of 10000 names, and stat in that one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_pairs.h"

/*
 *   fsio DIR seqfsync MIB   MIB writes of 1 MiB to DIR/seq, fsync after each
 *   fsio DIR randread N     N 4 KiB preads at random offsets of DIR/big
 *                           (made on the host: not in the guest's cache)
 *   fsio DIR create N       N files of 4 KiB in DIR/c/, each fsync'd
 *   fsio DIR bigcreate N    the same in DIR/many, which holds 10000
 *                           names (made on the host, hashed by e2fsck -D)
 *   fsio DIR bigstat N      stat of N of those names, in a scattered order
 * Several TEST N pairs run in turn (one boot measures them all).
 */
#define MANY 10000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char buf[1 << 20];

static int seqfsync(const char *dir, long n)
{
	char path[512];
	double t;
	int fd;

	snprintf(path, sizeof(path), "%s/seq", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return perror(path), 1;
	memset(buf, 0x5a, sizeof(buf));
	t = now();
	for (long i = 0; i < n; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    fsync(fd) != 0)
			return perror("write+fsync"), 1;
	t = now() - t;
	printf("seqfsync: %.2f MB/s (%ld x 1 MiB + fsync)\n",
	       (double)n * sizeof(buf) / 1e6 / t, n);
	return 0;
}

static int randread(const char *dir, long n)
{
	char path[512];
	uint64_t x = 88172645463325252ULL, blocks;
	off_t size;
	double t;
	int fd;

	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_RDONLY);
	size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (size < 4096)
		return perror(path), 1;
	blocks = (uint64_t)size / 4096;
	t = now();
	for (long i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096)
			return perror("pread"), 1;
	}
	t = now() - t;
	printf("randread: %.0f IOPS (%ld reads)\n", (double)n / t, n);
	return 0;
}

static int create(const char *dir, const char *sub, const char *what, long n)
{
	char path[512];
	double t;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	memset(buf, 0x33, 4096);
	t = now();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/f%06ld", dir, sub, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, buf, 4096) != 4096 || fsync(fd) != 0)
			return perror(path), 1;
		close(fd);
	}
	t = now() - t;
	printf("%s: %.1f files/s (%ld x 4 KiB + fsync)\n", what, (double)n / t,
	       n);
	return 0;
}

static int bigstat(const char *dir, long n)
{
	char path[512];
	struct stat st;
	double t = now();

	for (long i = 0; i < n; i++) {
		/* 7919 is prime: every name once per MANY stats. */
		snprintf(path, sizeof(path), "%s/many/name-%05ld", dir,
			 i * 7919 % MANY);
		if (stat(path, &st) != 0)
			return perror(path), 1;
	}
	t = now() - t;
	printf("bigstat: %.1f stats/s (%ld in a directory of %d)\n",
	       (double)n / t, n, MANY);
	return 0;
}

/* One test (a name test_pairs_ok knows, n above 0): 0 when it ran. */
static int run_test(const char *dir, const char *test, long n)
{
	if (!strcmp(test, "seqfsync"))
		return seqfsync(dir, n);
	if (!strcmp(test, "randread"))
		return randread(dir, n);
	if (!strcmp(test, "create"))
		return create(dir, "c", "create", n);
	if (!strcmp(test, "bigcreate"))
		return create(dir, "many", "bigcreate", n);
	return bigstat(dir, n);
}

/* fsio DIR TEST N [TEST N]...: the tests in turn, in one boot. */
int main(int argc, char **argv)
{
	static const char *const tests[] = { "seqfsync",  "randread", "create",
					     "bigcreate", "bigstat",  NULL };
	int rc;

	if (!test_pairs_ok(argc, argv, tests,
			   "fsio DIR {seqfsync MIB | randread N | create N | "
			   "bigcreate N | bigstat N}..."))
		return 2;
	for (int i = 2; i < argc; i += 2) {
		rc = run_test(argv[1], argv[i], atol(argv[i + 1]));
		if (rc != 0)
			return rc;
	}
	return 0;
}
