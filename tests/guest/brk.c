/* brk.c - guest test: the raw brk syscall and malloc of many sizes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static uintptr_t raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

/* Runs before malloc touches the heap the way a language runtime would. */
static void raw(void)
{
	uintptr_t start = raw_brk(0), grown, again;
	unsigned char *p;

	check(start != 0 && start != (uintptr_t)-1, "brk(0) reports the break");
	check(raw_brk(0) == start, "brk(0) is stable");
	grown = raw_brk(start + (1 << 20));
	check(grown == start + (1 << 20), "brk grows by 1 MiB");
	p = (unsigned char *)start;
	check(p[0] == 0 && p[(1 << 20) - 1] == 0, "new heap memory is zero");
	memset(p, 0xab, 1 << 20);
	check(p[12345] == 0xab, "new heap memory is writable");
	again = raw_brk(start + 4096);
	check(again == start + 4096, "brk shrinks");
	check(raw_brk(start + 8192) == start + 8192 && p[4096] == 0,
	      "memory given back and taken again is zero");
	check(raw_brk(start) == start, "brk back to the start");
	check(raw_brk(1) == start,
	      "a brk below the start is refused (returns the old break)");
}

static void with_malloc(void)
{
	enum { N = 600 };
	static unsigned char *blocks[N];
	static size_t sizes[N];
	unsigned char *big, *z, *r;
	int ok = 1;

	for (int i = 0; i < N; i++) {
		sizes[i] = (size_t)(i * i * 37 % 70001) + 1;
		blocks[i] = malloc(sizes[i]);
		if (!blocks[i])
			check(0, "malloc %zu", sizes[i]);
		memset(blocks[i], i & 0xff, sizes[i]);
	}
	check(1, "malloc %d blocks of 1..70001 bytes", N);
	for (int i = 0; i < N; i++)
		ok &= blocks[i][0] == (i & 0xff) &&
		      blocks[i][sizes[i] - 1] == (i & 0xff);
	check(ok, "no block overlaps another");
	for (int i = 0; i < N; i += 2)
		free(blocks[i]);
	for (int i = 0; i < N; i += 2) {
		blocks[i] = malloc(sizes[i] * 2);
		memset(blocks[i], 0x5a, sizes[i] * 2);
	}
	for (int i = 1; i < N; i += 2)
		ok &= blocks[i][sizes[i] / 2] == (i & 0xff);
	check(ok, "free and reallocate half of them");
	for (int i = 0; i < N; i++)
		free(blocks[i]);

	big = malloc(32u << 20);
	check(big != NULL, "malloc 32 MiB");
	big[0] = 1;
	big[(32u << 20) - 1] = 2;
	check(big[0] + big[(32u << 20) - 1] == 3, "its ends are usable");
	free(big);
	z = calloc(1000, 1000);
	check(z != NULL && z[0] == 0 && z[999999] == 0 && z[500000] == 0,
	      "calloc is zeroed");
	free(z);
	r = malloc(16);
	memcpy(r, "0123456789abcdef", 16);
	r = realloc(r, 1 << 20);
	check(r != NULL && memcmp(r, "0123456789abcdef", 16) == 0,
	      "realloc keeps the data");
	free(r);
	check(sbrk(0) != (void *)-1, "sbrk(0) works");
}

int main(void)
{
	/* A buffer of our own, so stdio never mallocs: a dynamic glibc's
	 * first printf would otherwise move the break raw() is checking. */
	static char outbuf[4096];

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	check_start("brk");
	raw();
	with_malloc();
	return check_done();
}
