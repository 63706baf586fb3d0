/* vclock_test.c - the TSC-to-ns conversion the kernel and the vDSO share, at huge TSC values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/vclock.h"

#define NSEC_PER_SEC 1000000000ULL
#define YEAR_S (365ULL * 86400)

/* TSC rates seen in practice, and the extremes vclock_mult allows. */
static const uint64_t rates[] = { 1,	      1000000,	  1000000000,
				  1999999999, 2100000000, 2899999000,
				  3000000000, 3701234567, 5000000000 };

/*
 * ticks * mult >> 32 without a 128-bit type: split both into 32-bit
 * halves. Each partial product fits in 64 bits, and so does their sum
 * whenever the answer does.
 */
static uint64_t reference_ns(uint64_t ticks, uint64_t mult)
{
	uint64_t th = ticks >> 32, tl = ticks & 0xffffffff;
	uint64_t mh = mult >> 32, ml = mult & 0xffffffff;

	return th * mult + tl * mh + ((tl * ml) >> 32);
}

static void test_mult(void **state)
{
	(void)state;
	assert_int_equal(vclock_mult(1000000000), 1ULL << 32);
	assert_int_equal(vclock_mult(2000000000), 1ULL << 31);
	assert_int_equal(vclock_mult(3000000000), 1431655765);
	/* The slowest counter still fits; 0 is taken as 1 Hz, not a trap. */
	assert_int_equal(vclock_mult(1), NSEC_PER_SEC << 32);
	assert_int_equal(vclock_mult(0), NSEC_PER_SEC << 32);
}

/* Exact at the values where a 64-bit product would have wrapped. */
static void test_huge_ticks_exact(void **state)
{
	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t mult = vclock_mult(rates[r]);
		/*
		 * Up to where the TSC wraps (195 years at 3 GHz) or, for a
		 * slower one, where 64-bit nanoseconds end (584 years).
		 */
		uint64_t max_s = UINT64_MAX / (rates[r] > NSEC_PER_SEC ?
						       rates[r] :
						       NSEC_PER_SEC);

		for (uint64_t s = 1;;
		     s = s > (max_s - 1) / 3 ? max_s : s * 3 + 1) {
			uint64_t ticks = s * rates[r];

			assert_int_equal(vclock_ticks_ns(ticks, mult),
					 reference_ns(ticks, mult));
			if (s == max_s)
				break;
		}
	}
	/* 2^40 ticks at 3 GHz (6 minutes): ticks * mult is past 2^70. */
	assert_int_equal(vclock_ticks_ns(1ULL << 40, vclock_mult(3000000000)),
			 reference_ns(1ULL << 40, vclock_mult(3000000000)));
	/* Every TSC value, at 1 GHz: ns == ticks up to 2^64 - 1. */
	assert_int_equal(vclock_ticks_ns(UINT64_MAX, 1ULL << 32), UINT64_MAX);
	assert_int_equal(vclock_ticks_ns(UINT64_MAX, 1ULL << 31),
			 UINT64_MAX >> 1);
}

/*
 * Against the true ticks * 10^9 / hz: never ahead, and behind by less
 * than the multiplier's truncation (ticks / 2^32 ns) plus the final
 * rounding, so at 3 GHz it loses < 1 ns per 4.3 s, < 0.25 s in 10 years.
 */
static void test_accuracy(void **state)
{
	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t mult = vclock_mult(rates[r]);

		for (uint64_t s = 1; s <= 100 * YEAR_S && s < UINT64_MAX / 3;
		     s = s * 7 + 3) {
			uint64_t ticks = s * rates[r] + rates[r] / 3;
			unsigned __int128 exact = (unsigned __int128)ticks *
						  NSEC_PER_SEC / rates[r];
			uint64_t got = vclock_ticks_ns(ticks, mult);

			if (exact >> 64)
				break;
			assert_true(got <= (uint64_t)exact);
			assert_true((uint64_t)exact - got <= (ticks >> 32) + 1);
		}
	}
}

/* A vclock whose monotonic time 0 is TSC value tsc_base. */
static struct vclock vclock_at(uint64_t tsc_base, uint64_t hz)
{
	struct vclock v;

	vclock_init(&v);
	vclock_set_mono(&v, tsc_base, vclock_mult(hz));
	return v;
}

/* Later TSC values never give earlier times, even after 100 years. */
static void test_monotonic_late(void **state)
{
	uint64_t base = 123456789;
	struct vclock v = vclock_at(base, 2899999000);
	uint64_t start = base + 100 * YEAR_S * 2899999000ULL;
	uint64_t prev = vclock_mono_ns(&v, start);

	(void)state;
	assert_int_equal(prev / NSEC_PER_SEC / YEAR_S, 99); /* ~100 y, slow */
	for (uint64_t t = start + 1; t < start + 100000; t += 7) {
		uint64_t now = vclock_mono_ns(&v, t);

		assert_true(now >= prev && now - prev <= 3);
		prev = now;
	}
}

/*
 * Monotonic time is 0 at the base and, with the base folded into an
 * offset, still within 1 ns of the elapsed ticks' own conversion.
 */
static void test_mono_base(void **state)
{
	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t base = 0xfedcba987654321ULL / rates[r] * 7 + 12345;
		struct vclock v = vclock_at(base, rates[r]);

		assert_int_equal(vclock_mono_ns(&v, base), 0);
		for (uint64_t d = 1; d < (1ULL << 50); d = d * 5 + 1) {
			uint64_t got = vclock_mono_ns(&v, base + d);
			uint64_t elapsed = vclock_ticks_ns(d, v.mult);

			assert_true(got == elapsed || got == elapsed + 1);
		}
	}
}

/* Every slot starts unknown; the monotonic one is set, the others not. */
static void test_unset(void **state)
{
	struct vclock v;

	(void)state;
	vclock_init(&v);
	for (int i = 0; i < VCLOCK_SLOTS; i++)
		assert_int_equal(v.offset_ns[i], VCLOCK_UNSET);
	vclock_set_mono(&v, 1000, vclock_mult(3000000000));
	assert_int_not_equal(v.offset_ns[VCLOCK_MONO], VCLOCK_UNSET);
	assert_int_equal(v.offset_ns[VCLOCK_REAL], VCLOCK_UNSET);
	assert_int_equal(v.offset_ns[VCLOCK_NONE], VCLOCK_UNSET);
}

/* The wall clock: base + elapsed, no overflow in 190 years of TSC. */
static void test_realtime(void **state)
{
	uint64_t base = 1000;
	struct vclock v = vclock_at(base, 3000000000);
	uint64_t ticks = 190 * YEAR_S * 3000000000ULL;
	uint64_t mono = vclock_mono_ns(&v, base + ticks);
	uint64_t wall = 1765000000ULL * NSEC_PER_SEC,
		 wall_mono = 5 * NSEC_PER_SEC;

	(void)state;
	vclock_set_wall(&v, wall, wall_mono);
	assert_int_equal(vclock_real_ns(&v, wall_mono), wall);
	/* the syscall's sum and the vDSO's agree */
	assert_int_equal(vclock_read(&v, VCLOCK_REAL, base + ticks),
			 vclock_real_ns(&v, mono));
	assert_int_equal(vclock_real_ns(&v, mono), wall + mono - wall_mono);
	assert_true(mono - reference_ns(ticks, v.mult) <= 1);
	assert_int_equal(
		vclock_real_ns(&v, mono) / NSEC_PER_SEC / YEAR_S + 1970, 2215);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mult),
		cmocka_unit_test(test_huge_ticks_exact),
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_monotonic_late),
		cmocka_unit_test(test_mono_base),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_realtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
