/* calib.c - choosing a clock rate from repeated, possibly disturbed measurements. */
#include "lib/calib.h"

uint64_t calib_pick(struct calib_sample *s, size_t n)
{
	uint64_t narrow = UINT64_MAX;
	size_t i, j, kept = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i].width < narrow)
			narrow = s[i].width;
	/* Kept samples move to the front, sorted by hz (kept <= i). */
	for (i = 0; i < n; i++) {
		struct calib_sample t = s[i];

		if (t.width > 2 * narrow + CALIB_SLACK)
			continue;
		for (j = kept; j > 0 && s[j - 1].hz > t.hz; j--)
			s[j] = s[j - 1];
		s[j] = t;
		kept++;
	}
	return s[kept / 2].hz;
}
