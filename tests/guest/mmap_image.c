/* mmap_image.c - guest test: a large file of the image mapped in place, and written through every path. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096

/*
 * argv[1] is a large file (tests/e2e: 40 MiB of random bytes, given to
 * the image with --file; natively a copy of it). Every page of a private
 * read-only mapping must read as pread does; under a --mem too small for
 * a second copy of the file this passes only if the kernel maps the
 * archive's pages rather than copies. Then the file is written through
 * each path (a private mapping's store, mprotect to write, a shared
 * mapping's store, write()): the private ones must leave the file as it
 * was, the shared ones must be seen by every reader.
 */
static unsigned char buf[PAGE];

static uint64_t page_sum(const unsigned char *p)
{
	uint64_t s = 0;

	for (size_t i = 0; i < PAGE; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		s = s * 31 + w;
	}
	return s;
}

/* Every page of the mapping m equals the file's bytes; their digest. */
static uint64_t read_all(int fd, const unsigned char *m, size_t size)
{
	uint64_t sum = 0;

	for (size_t off = 0; off + PAGE <= size; off += PAGE) {
		if (pread(fd, buf, PAGE, (off_t)off) != PAGE)
			fail("pread a page");
		if (memcmp(buf, m + off, PAGE) != 0)
			fail("a page of the mapping differs from pread");
		sum = sum * 1000003 + page_sum(m + off);
	}
	return sum;
}

static unsigned char file_byte(int fd, off_t off)
{
	unsigned char c;

	if (pread(fd, &c, 1, off) != 1)
		fail("pread one byte");
	return c;
}

int main(int argc, char **argv)
{
	unsigned char *m, *w, old, c = 0;
	struct stat st;
	int fd;

	check_start("mmap_image");
	if (argc != 2)
		fail("usage: mmap_image FILE");
	fd = open(argv[1], O_RDWR);
	check(fd >= 0, "open the image's large file");
	check(fstat(fd, &st) == 0 && st.st_size >= 8 * PAGE, "it is large");
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	check(m != MAP_FAILED, "map it private, read-only");
	printf("mmap_image: digest %016llx\n",
	       (unsigned long long)read_all(fd, m, (size_t)st.st_size));
	check(1, "every page of the mapping reads as pread");

	/* A private mapping's store is its own: the file stays. */
	w = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(w != MAP_FAILED, "map it private, writable");
	old = w[PAGE + 5]; /* read first: the page comes in read-only */
	w[PAGE + 5] = (unsigned char)(old ^ 0xff);
	check(w[PAGE + 5] == (unsigned char)(old ^ 0xff) &&
		      file_byte(fd, PAGE + 5) == old && m[PAGE + 5] == old,
	      "a private store changes neither the file nor other mappings");
	munmap(w, 4 * PAGE);
	w = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	check(w != MAP_FAILED && w[2 * PAGE] == m[2 * PAGE],
	      "map it private, read-only, and read a page");
	check(mprotect(w, 4 * PAGE, PROT_READ | PROT_WRITE) == 0,
	      "mprotect it writable");
	old = w[2 * PAGE];
	w[2 * PAGE] = (unsigned char)(old ^ 0x5a);
	check(file_byte(fd, 2 * PAGE) == old && m[2 * PAGE] == old,
	      "a store after mprotect leaves the file as it was");
	munmap(w, 4 * PAGE);

	/* A shared mapping's store and write() are the file's. */
	w = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(w != MAP_FAILED, "map it shared, writable");
	old = w[3 * PAGE + 7];
	w[3 * PAGE + 7] = (unsigned char)(old + 1);
	check(file_byte(fd, 3 * PAGE + 7) == (unsigned char)(old + 1) &&
		      m[3 * PAGE + 7] == (unsigned char)(old + 1),
	      "a shared store is seen by pread and the private mapping");
	c = (unsigned char)(m[4 * PAGE] ^ 0x33);
	check(pwrite(fd, &c, 1, 4 * PAGE) == 1, "pwrite one byte");
	check(m[4 * PAGE] == c && file_byte(fd, 4 * PAGE) == c,
	      "the private mapping sees what pwrite wrote");
	check(ftruncate(fd, 3 * PAGE + 100) == 0 &&
		      ftruncate(fd, 4 * PAGE) == 0,
	      "truncate into a page and grow it again");
	check(w[3 * PAGE + 99] == file_byte(fd, 3 * PAGE + 99) &&
		      w[3 * PAGE + 100] == 0 && w[3 * PAGE + 4095] == 0 &&
		      file_byte(fd, 3 * PAGE + 100) == 0,
	      "the cut bytes read as zeros");
	munmap(w, 4 * PAGE);
	munmap(m, (size_t)st.st_size);
	close(fd);
	printf("mmap_image: all %d checks passed\n", check_count);
	return 0;
}
