/* blkio.c - disk benchmark: 4 KiB random reads (IOPS) or sequential 1 MiB writes + fsync (MB/s) on a block device. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_pairs.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char buf[1 << 20];

/* One test (n above 0) on fd (size bytes): 0 when it ran, 1 on an error. */
static int run_test(int fd, off_t size, const char *test, long n)
{
	double t;

	if (!strcmp(test, "randread")) {
		uint64_t x = 88172645463325252ULL,
			 blocks = (uint64_t)size / 4096;

		t = now();
		for (long i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) !=
			    4096)
				return perror("pread"), 1;
		}
		t = now() - t;
		printf("randread: %.0f IOPS (%ld reads)\n", (double)n / t, n);
	} else if (!strcmp(test, "seqwrite")) {
		memset(buf, 0x5a, sizeof(buf));
		if (n * (off_t)sizeof(buf) > size)
			n = size / (off_t)sizeof(buf);
		t = now();
		for (long i = 0; i < n; i++)
			if (pwrite(fd, buf, sizeof(buf),
				   i * (off_t)sizeof(buf)) !=
			    (ssize_t)sizeof(buf))
				return perror("pwrite"), 1;
		if (fsync(fd) != 0)
			return perror("fsync"), 1;
		t = now() - t;
		printf("seqwrite: %.2f MB/s (%ld MiB + fsync)\n",
		       (double)n * sizeof(buf) / 1e6 / t, n);
	}
	return 0;
}

/* blkio DEVICE TEST N [TEST N]...: the tests in turn, in one boot. */
int main(int argc, char **argv)
{
	static const char *const tests[] = { "randread", "seqwrite", NULL };
	int fd, rc;
	off_t size;

	if (!test_pairs_ok(argc, argv, tests,
			   "blkio DEVICE {randread N | seqwrite MIB}..."))
		return 2;
	fd = open(argv[1], O_RDWR);
	size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (size < (off_t)sizeof(buf)) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i += 2) {
		rc = run_test(fd, size, argv[i], atol(argv[i + 1]));
		if (rc != 0)
			return rc;
	}
	return 0;
}
