/* oom.c - guest test: allocating until memory runs out gives NULL (ENOMEM), not a kill. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Usage: oom LIMIT_MIB. Takes 1 MiB blocks with malloc, touching every
 * page, until malloc returns NULL or LIMIT_MIB blocks are held (the native
 * run stops there: the host has far more memory). Then frees them all and
 * proves the memory came back by taking the same number again.
 * Prints "oom: stopped after N MiB (reason)" and "oom: freed and
 * reallocated N MiB ok".
 */
#define MIB (1024 * 1024)

static size_t grab(void **blocks, size_t limit)
{
	size_t n = 0;

	while (n < limit && (blocks[n] = malloc(MIB)) != NULL) {
		memset(blocks[n], 0x5a, MIB);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t limit = argc > 1 ? strtoul(argv[1], NULL, 10) : 64, n, again;
	void **blocks = calloc(limit + 1, sizeof(void *));
	void *big;

	if (!blocks)
		return 2;
	errno = 0;
	n = grab(blocks, limit);
	printf("oom: stopped after %zu MiB (%s)\n", n,
	       n == limit ? "limit" : "malloc returned NULL");
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	again = grab(blocks, n);
	if (again != n) {
		printf("oom: FAIL reallocated only %zu of %zu MiB\n", again, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	printf("oom: freed and reallocated %zu MiB ok\n", n);
	/* A mapping larger than all memory is refused up front. */
	big = mmap(NULL, (size_t)1 << 40, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("oom: 1 TiB mapping %s\n", big == MAP_FAILED && errno == ENOMEM ?
						  "refused with ENOMEM" :
						  "accepted");
	return 0;
}
