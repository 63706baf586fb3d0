/* fnv.h - the checksum the guest tests print for big data, the same natively and under Kiln. */
#ifndef GUEST_FNV_H
#define GUEST_FNV_H

#include <stddef.h>
#include <string.h>

/*
 * FNV-1a over 64-bit words (bytes for a tail), from h (start with
 * FNV_SEED): order matters, every byte counts. Callers that hash a
 * stream in pieces keep every piece but the last a multiple of 8.
 */
#define FNV_SEED 0xcbf29ce484222325ULL
static inline unsigned long long fnv_mix(unsigned long long h,
					 const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		unsigned long long w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#endif
