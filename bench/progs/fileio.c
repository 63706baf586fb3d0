/* fileio.c - file round trip: N x (pwrite 4 KiB, pread it back) in /tmp. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define PATH "/tmp/kiln-bench.dat"

static unsigned char wbuf[BLOCK], rbuf[BLOCK];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* n write+read pairs at offset 0; each block differs, each read is checked. */
static int loop(int fd, long n)
{
	for (long i = 0; i < n; i++) {
		wbuf[i % BLOCK] = (unsigned char)i;
		if (pwrite(fd, wbuf, BLOCK, 0) != BLOCK ||
		    pread(fd, rbuf, BLOCK, 0) != BLOCK ||
		    rbuf[i % BLOCK] != (unsigned char)i)
			return -1;
	}
	return memcmp(wbuf, rbuf, BLOCK) ? -1 : 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 50000;
	double t0, t1;
	int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || n <= 0) {
		perror("fileio: open " PATH);
		return 1;
	}
	memset(wbuf, 0xa5, sizeof(wbuf));
	if (loop(fd, n / 10 + 1) < 0) /* warm-up: allocate the file's page */
		goto err;
	t0 = now_ns();
	if (loop(fd, n) < 0)
		goto err;
	t1 = now_ns();
	close(fd);
	unlink(PATH);
	printf("fileio: %ld x (write+read 4 KiB), %.1f ns/iteration\n", n,
	       (t1 - t0) / (double)n);
	return 0;
err:
	perror("fileio: short or wrong write/read");
	return 1;
}
