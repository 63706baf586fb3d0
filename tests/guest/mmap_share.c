/* mmap_share.c - guest test: private read-only mappings of a file share its pages. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096
#define MIB (1024 * 1024)
#define FILE_MIB 48
#define MAPPINGS 4

/*
 * A 48 MiB file mapped four times and read through every page of every
 * mapping: under `kiln run --mem 128M` this fits only if the mappings
 * share the file's pages (four copies would need 240 MiB).
 */
int main(void)
{
	static unsigned char chunk[MIB];
	unsigned char *m[MAPPINGS];
	char path[64];
	uint64_t want = 0;
	int fd;

	check_start("mmap_share");
	snprintf(path, sizeof(path), "/tmp/guest-mmap-share.%d", (int)getpid());
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	check(fd >= 0, "create a file");
	for (int mib = 0; mib < FILE_MIB; mib++) {
		for (size_t i = 0; i < MIB; i += PAGE) {
			chunk[i] = (unsigned char)(mib * 7 + i / PAGE);
			want += chunk[i];
		}
		if (write(fd, chunk, MIB) != MIB)
			fail("write the file");
	}
	check(1, "write %d MiB to it", FILE_MIB);
	for (int k = 0; k < MAPPINGS; k++) {
		m[k] = mmap(NULL, (size_t)FILE_MIB * MIB, PROT_READ,
			    MAP_PRIVATE, fd, 0);
		check(m[k] != MAP_FAILED, "map it read-only, private (%d)", k);
	}
	for (int k = 0; k < MAPPINGS; k++) {
		uint64_t sum = 0;

		for (size_t off = 0; off < (size_t)FILE_MIB * MIB; off += PAGE)
			sum += m[k][off];
		check(sum == want, "every page of mapping %d reads right", k);
	}
	for (int k = 0; k < MAPPINGS; k++)
		munmap(m[k], (size_t)FILE_MIB * MIB);
	close(fd);
	check(unlink(path) == 0, "remove the file");
	printf("mmap_share: all %d checks passed\n", check_count);
	return 0;
}
