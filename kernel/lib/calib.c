/* calib.c - choosing a clock rate from repeated, possibly disturbed measurements. */
#include "lib/calib.h"

uint64_t calib_pick(struct calib_sample *s, size_t n)
{
	uint64_t narrow = UINT64_MAX, excess;
	size_t i, j, kept = 0;

	for (i = 0; i < n; i++)
		if (s[i].hz != 0 && s[i].width < narrow)
			narrow = s[i].width;
	/* Kept samples move to the front, sorted by hz (kept <= i). */
	for (i = 0; i < n; i++) {
		struct calib_sample t = s[i];

		if (t.hz == 0)
			continue; /* a sample that ran out: no rate */
		/* width > 2 * narrow + CALIB_SLACK, kept from wrapping */
		excess = t.width - narrow;
		if (excess > narrow && excess - narrow > CALIB_SLACK)
			continue;
		for (j = kept; j > 0 && s[j - 1].hz > t.hz; j--)
			s[j] = s[j - 1];
		s[j] = t;
		kept++;
	}
	return kept ? s[kept / 2].hz : 0;
}

uint64_t calib_count(uint64_t hz, uint64_t ns, uint64_t max)
{
	uint64_t us = ns / 1000, count;

	/* Past it hz * us >= 2^64: 2^64 / 10^6 > 2^44 ticks, over max. */
	if (hz != 0 && us > UINT64_MAX / hz)
		return max;
	count = hz * us / 1000000;
	if (count == 0)
		return 1;
	return count < max ? count : max;
}
