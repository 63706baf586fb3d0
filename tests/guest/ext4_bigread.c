/* ext4_bigread.c - guest test: a file bigger than the guest's memory read whole by read(2) and through windows of mmap, twice, with checksums. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fnv.h"

/*
 * ext4_bigread FILE: the checksums of FILE read by read(2) and by
 * MAP_PRIVATE windows of WINDOW bytes touched page by page (each
 * unmapped before the next, the file kept open all along), each done
 * twice. Under Kiln the file is on a disk several times the guest's
 * memory: only dropping clean cached pages nobody maps keeps it going.
 */
#define CHUNK 65536
#define WINDOW (1 << 20)
#define PAGE 4096

static unsigned char buf[CHUNK];

static int by_read(const char *path, uint64_t *sum, uint64_t *size)
{
	int fd = open(path, O_RDONLY);
	uint64_t h = FNV_SEED, total = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, CHUNK)) > 0) {
		h = fnv_mix(h, buf, (size_t)r);
		total += (uint64_t)r;
	}
	close(fd);
	*sum = h;
	*size = total;
	return r < 0 ? -1 : 0;
}

static int by_map(int fd, uint64_t size, uint64_t *sum)
{
	uint64_t h = FNV_SEED;

	for (uint64_t off = 0; off < size; off += WINDOW) {
		size_t len = size - off < WINDOW ? (size_t)(size - off) :
						   WINDOW;
		unsigned char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd,
					(off_t)off);

		if (p == MAP_FAILED)
			return -1;
		for (size_t pg = 0; pg < len; pg += PAGE)
			h = fnv_mix(h, p + pg,
				    len - pg < PAGE ? len - pg : PAGE);
		munmap(p, len);
	}
	*sum = h;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t sum, size;
	int fd;

	if (argc != 2) {
		printf("usage: ext4_bigread FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("ext4_bigread: FAIL open\n");
		return 1;
	}
	for (int pass = 1; pass <= 2; pass++) {
		if (by_read(argv[1], &sum, &size) < 0) {
			printf("ext4_bigread: FAIL read pass %d\n", pass);
			return 1;
		}
		printf("read pass %d: %llu bytes, sum %016llx\n", pass,
		       (unsigned long long)size, (unsigned long long)sum);
		fflush(stdout);
		if (by_map(fd, size, &sum) < 0) {
			printf("ext4_bigread: FAIL mmap pass %d\n", pass);
			return 1;
		}
		printf("mmap pass %d: sum %016llx\n", pass,
		       (unsigned long long)sum);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
