/* tmpfs_big.c - guest test: one file of 64 MiB; with "fill", a file grown until the memory is gone. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>

#include "check.h"

#define MIB (1024 * 1024)
#define BIG_MIB 64

static unsigned char buf[MIB];

/* Chunk i's bytes: a pattern that differs per chunk and per offset. */
static void pattern(unsigned char *p, size_t n, unsigned i)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (unsigned char)(k * 31 + i * 7 + (k >> 12));
}

static int chunk_ok(const unsigned char *p, size_t n, unsigned i)
{
	for (size_t k = 0; k < n; k++)
		if (p[k] != (unsigned char)(k * 31 + i * 7 + (k >> 12)))
			return 0;
	return 1;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (p[k])
			return 0;
	return 1;
}

static void big_file(void)
{
	const char *name = path("big");
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644), ok = 0;
	struct stat st;

	check(fd >= 0, "create a file");
	for (unsigned i = 0; i < BIG_MIB; i++) {
		pattern(buf, MIB, i);
		ok += write(fd, buf, MIB) == MIB;
	}
	check(ok == BIG_MIB, "write %d MiB to it, 1 MiB at a time", BIG_MIB);
	check(fstat(fd, &st) == 0 && st.st_size == (off_t)BIG_MIB * MIB,
	      "its size is %d MiB", BIG_MIB);
	ok = 0;
	for (unsigned i = 0; i < BIG_MIB; i++)
		ok += pread(fd, buf, MIB, (off_t)i * MIB) == MIB &&
		      chunk_ok(buf, MIB, i);
	check(ok == BIG_MIB, "every byte reads back as written");
	/* A write straddling a page and a chunk boundary, read back across. */
	pattern(buf, 10000, 99);
	check(pwrite(fd, buf, 10000, 5 * MIB - 4097) == 10000,
	      "pwrite across chunks");
	memset(buf, 0, 10000);
	check(pread(fd, buf, 10000, 5 * MIB - 4097) == 10000 &&
		      chunk_ok(buf, 10000, 99),
	      "pread across chunks returns it");
	check(ftruncate(fd, MIB + 5) == 0, "truncate to 1 MiB + 5 bytes");
	check(ftruncate(fd, 3 * MIB) == 0, "extend to 3 MiB again");
	check(pread(fd, buf, MIB, MIB) == MIB && chunk_ok(buf, 5, 1) &&
		      all_zero(buf + 5, MIB - 5) &&
		      pread(fd, buf, MIB, 2 * MIB) == MIB && all_zero(buf, MIB),
	      "the cut-off bytes read as zeros");
	check(pwrite(fd, "end", 3, (off_t)BIG_MIB * 2 * MIB) == 3,
	      "write 3 bytes at %d MiB (a hole before them)", 2 * BIG_MIB);
	check(pread(fd, buf, MIB, (off_t)BIG_MIB * MIB) == MIB &&
		      all_zero(buf, MIB),
	      "the hole reads as zeros");
	check(close(fd) == 0 && unlink(name) == 0, "close and unlink it");
}

/* Kiln only (the e2e test gives a small --mem): grow until ENOSPC. */
static int fill(void)
{
	const char *name = path("fill");
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
	long long total = 0;
	ssize_t n;

	if (fd < 0)
		fail("create");
	memset(buf, 0xa5, sizeof(buf));
	while ((n = write(fd, buf, MIB)) > 0) /* the last one may be short */
		total += n;
	printf("tmpfs_big: stopped after %lld MiB (%s)\n", total / MIB,
	       check_errno_name(n < 0 ? errno : 0));
	if (ftruncate(fd, 0) < 0 || write(fd, buf, MIB) != MIB)
		fail("write after truncating the full file");
	printf("tmpfs_big: truncated and wrote again\n");
	if (close(fd) < 0 || unlink(name) < 0 || rmdir(scratch) < 0)
		fail("clean up");
	return 0;
}

int main(int argc, char **argv)
{
	check_start("tmpfs_big");
	scratch_start();
	if (argc > 1 && strcmp(argv[1], "fill") == 0)
		return fill();
	big_file();
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
