/* ext4_bigmap.c - guest test: a file bigger than the guest's memory through one mmap: read whole twice (MAP_PRIVATE), or written whole through MAP_SHARED and msynced, with checksums. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * ext4_bigmap read FILE: FILE mapped whole (one MAP_PRIVATE, PROT_READ)
 * and summed twice through the map. ext4_bigmap write FILE MIB: FILE
 * made MIB MiB long (a hole), mapped whole MAP_SHARED and every byte
 * stored, msync(MS_SYNC), unmapped, then summed by read(2). Under Kiln
 * the file is on a disk and at least the guest's memory: only
 * unmapping the pages a mapping maps (and writing the stored ones back
 * first) keeps it going.
 */
#define CHUNK 65536

static unsigned char buf[CHUNK];

/* FNV-1a over 64-bit words: order matters, every byte counts. */
static uint64_t mix(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int fail(const char *what)
{
	printf("ext4_bigmap: FAIL %s\n", what);
	return 1;
}

static int read_map(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	unsigned char *m;

	if (fd < 0 || fstat(fd, &st) != 0)
		return fail("open");
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	for (int pass = 0; pass < 2; pass++)
		printf("ext4_bigmap: map pass %d: %lld bytes, sum %016llx\n",
		       pass, (long long)st.st_size,
		       (unsigned long long)mix(0xcbf29ce484222325ULL, m,
					       (size_t)st.st_size));
	if (munmap(m, (size_t)st.st_size) != 0 || close(fd) != 0)
		return fail("munmap");
	return 0;
}

/* The byte stored at offset i: every page different. */
static unsigned char pat(uint64_t i)
{
	return (unsigned char)(i * 13 + (i >> 12) * 7 + (i >> 20));
}

static int write_map(const char *path, long mib)
{
	size_t len = (size_t)mib << 20;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char *m;
	ssize_t n;

	if (fd < 0 || ftruncate(fd, (off_t)len) != 0)
		return fail("create");
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	for (size_t i = 0; i < len; i++)
		m[i] = pat(i);
	if (msync(m, len, MS_SYNC) != 0)
		return fail("msync");
	if (munmap(m, len) != 0)
		return fail("munmap");
	printf("ext4_bigmap: stored %ld MiB through MAP_SHARED, msync ok\n",
	       mib);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return fail("lseek");
	while ((n = read(fd, buf, CHUNK)) > 0)
		h = mix(h, buf, (size_t)n);
	if (n < 0)
		return fail("read");
	printf("ext4_bigmap: read(2) back: sum %016llx\n",
	       (unsigned long long)h);
	return close(fd) == 0 ? 0 : fail("close");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return read_map(argv[2]);
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return write_map(argv[2], atol(argv[3]));
	return fail("usage: ext4_bigmap read FILE | write FILE MIB");
}
