/* test_pairs.h - the TEST N pairs the disk benchmarks (blkio, fsio) take after their first argument, checked whole before any test runs. */
#ifndef BENCH_TEST_PAIRS_H
#define BENCH_TEST_PAIRS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Whether argv[2], argv[3]... are TEST N pairs (at least one), each TEST
 * one of names (NULL-terminated) and each N above 0. If not, usage goes
 * to stderr: a bad last pair is found before the first test has spent
 * minutes of a boot.
 */
static int test_pairs_ok(int argc, char **argv, const char *const *names,
			 const char *usage)
{
	if (argc < 4 || argc % 2 != 0)
		goto bad;
	for (int i = 2; i < argc; i += 2) {
		const char *const *p = names;

		while (*p != NULL && strcmp(*p, argv[i]) != 0)
			p++;
		if (*p == NULL || atol(argv[i + 1]) <= 0)
			goto bad;
	}
	return 1;
bad:
	fprintf(stderr, "usage: %s\n", usage);
	return 0;
}

#endif
