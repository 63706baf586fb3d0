/* stdin_echo.c - guest test: reads stdin to EOF, prints its size and checksums. */
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>

#include "check.h"

/*
 * Prints byte and line counts, a 32-bit FNV-1a hash and the first line, so
 * the e2e test can check that every byte arrived, in order, then EOF.
 */
int main(void)
{
	static unsigned char buf[3000]; /* odd size: reads straddle the input */
	uint32_t hash = 2166136261u;
	unsigned long long bytes = 0, lines = 0;
	char first[64] = { 0 };
	size_t flen = 0;
	int in_first = 1;
	ssize_t n;

	check_start("stdin_echo");
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			hash = (hash ^ buf[i]) * 16777619u;
			if (in_first && buf[i] != '\n' &&
			    flen < sizeof(first) - 1)
				first[flen++] = (char)buf[i];
			if (buf[i] == '\n') {
				lines++;
				in_first = 0;
			}
		}
		bytes += (unsigned long long)n;
	}
	check(n == 0, "read to EOF");
	check(read(0, buf, sizeof(buf)) == 0, "EOF again after EOF");
	note("bytes=%llu lines=%llu fnv1a=%08x", bytes, lines, (unsigned)hash);
	note("first line [%s]", first);
	return check_done();
}
