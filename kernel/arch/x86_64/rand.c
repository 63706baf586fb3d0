/* rand.c - the CPU's hardware random number instructions (RDSEED, RDRAND). */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

/*
 * CPUID.01H:ECX[30] = RDRAND, CPUID.(07H,0):EBX[18] = RDSEED
 * (Intel SDM vol. 2, CPUID). Both set CF=1 when the value is valid.
 * Intel's DRNG guide: RDRAND failing 10 times in a row means the unit is
 * broken; RDSEED may run dry under load, so it is retried with a pause.
 */
#define RDRAND_RETRIES 10
#define RDSEED_RETRIES 128

enum { FEATURE_UNKNOWN, FEATURE_ABSENT, FEATURE_PRESENT };
static int has_rdrand, has_rdseed;

static int feature(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] < leaf)
		return FEATURE_ABSENT;
	cpuid(leaf, 0, r);
	return (r[reg] >> bit) & 1 ? FEATURE_PRESENT : FEATURE_ABSENT;
}

static bool rdrand_once(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static bool rdseed_once(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

bool arch_rdrand(uint64_t *out)
{
	if (has_rdrand == FEATURE_UNKNOWN)
		has_rdrand = feature(1, 2, 30);
	if (has_rdrand != FEATURE_PRESENT)
		return false;
	for (int i = 0; i < RDRAND_RETRIES; i++)
		if (rdrand_once(out))
			return true;
	return false;
}

bool arch_rdseed(uint64_t *out)
{
	if (has_rdseed == FEATURE_UNKNOWN)
		has_rdseed = feature(7, 1, 18);
	if (has_rdseed != FEATURE_PRESENT)
		return false;
	for (int i = 0; i < RDSEED_RETRIES; i++) {
		if (rdseed_once(out))
			return true;
		cpu_relax();
	}
	return false;
}
