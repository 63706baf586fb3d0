/* fuzz_check.h - shared by the libFuzzer harnesses: a contract check that always counts as a crash. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * FUZZ_CHECK(c): a parser broke its documented contract (a pointer out of
 * its input, a length that does not match, a round trip that changed the
 * value). Sanitizers catch bad memory accesses; this catches wrong answers.
 */
#define FUZZ_CHECK(c)                                                   \
	do {                                                            \
		if (!(c)) {                                             \
			fprintf(stderr, "%s:%d: contract broken: %s\n", \
				__FILE__, __LINE__, #c);                \
			abort();                                        \
		}                                                       \
	} while (0)

/* [p, p+n) lies inside [base, base+size). */
static inline int fuzz_inside(const void *p, size_t n, const void *base,
			      size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

	return a >= b && a - b <= size && n <= size - (a - b);
}

/*
 * A copy of the input in its own allocation of exactly size bytes (8-
 * aligned, as the kernel and the CLI hand the parsers their buffers), so
 * ASan reports a read one byte past the end.
 */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
