/* calib_test.c - calib_pick: the clock rate kept from samples a host stall disturbed; calib_count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/calib.h"

#define TRUE_HZ 2096000000ULL

/*
 * What one loaded boot measured: one PIT read stalled before its TSC
 * read, so that sample's bracket is wide and its rate 2.4x; the others
 * scatter by a few kHz. The stalled one is dropped, the median kept.
 */
static void test_stalled_sample_dropped(void **state)
{
	struct calib_sample s[] = {
		{ TRUE_HZ + 3000, 900 },    { 5049529000ULL, 6000000 },
		{ TRUE_HZ - 2000, 850 },    { TRUE_HZ, 1000 },
		{ TRUE_HZ + 1000, 800 },    { TRUE_HZ - 1000, 1200 },
		{ 3100000000ULL, 2500000 },
	};

	(void)state;
	assert_int_equal(calib_pick(s, 7), TRUE_HZ);
}

/* Stalls in every bracket but one: the narrow one alone decides. */
static void test_only_narrow_counts(void **state)
{
	struct calib_sample s[] = {
		{ 9000000000ULL, 90000 },
		{ TRUE_HZ, 700 },
		{ 4000000000ULL, 40000 },
	};

	(void)state;
	assert_int_equal(calib_pick(s, 3), TRUE_HZ);
}

/*
 * A skew a bracket cannot show (the PIT wrapping under a stall between
 * reads) is outvoted when it is one of several narrow samples.
 */
static void test_median_outvotes(void **state)
{
	struct calib_sample s[] = {
		{ TRUE_HZ + 10, 800 }, { 60000000000ULL, 800 },
		{ TRUE_HZ - 10, 800 }, { TRUE_HZ, 800 },
		{ 1000ULL, 800 },
	};

	(void)state;
	assert_int_equal(calib_pick(s, 5), TRUE_HZ);
}

/* Brackets of a few ticks: the slack keeps them all. */
static void test_tiny_brackets(void **state)
{
	struct calib_sample s[] = { { 3, 0 }, { 1, 40 }, { 2, 20 } };

	(void)state;
	assert_int_equal(calib_pick(s, 3), 2);
}

static void test_edges(void **state)
{
	struct calib_sample one = { TRUE_HZ, UINT64_MAX / 2 };

	(void)state;
	assert_int_equal(calib_pick(&one, 1), TRUE_HZ);
	assert_int_equal(calib_pick(NULL, 0), 0);
}

/*
 * Samples that ran out (hz 0, width UINT64_MAX, as lapic_span_finish
 * leaves them) have no rate: all of them give 0, and beside one that
 * counted they are passed over rather than voted in.
 */
static void test_ran_out(void **state)
{
	struct calib_sample all[] = {
		{ 0, UINT64_MAX },
		{ 0, UINT64_MAX },
		{ 0, UINT64_MAX },
	};
	struct calib_sample some[] = {
		{ 0, UINT64_MAX },
		{ TRUE_HZ, 900 },
		{ 0, UINT64_MAX },
	};
	struct calib_sample narrow_zero[] = {
		{ 0, 10 },
		{ TRUE_HZ, 100000 },
		{ 0, 10 },
	};

	(void)state;
	assert_int_equal(calib_pick(all, 3), 0);
	assert_int_equal(calib_pick(some, 3), TRUE_HZ);
	/* a zero rate's narrow bracket does not set the bar for the rest */
	assert_int_equal(calib_pick(narrow_zero, 3), TRUE_HZ);
}

/*
 * Widths near UINT64_MAX: 2 * narrow + CALIB_SLACK would wrap to a few
 * ticks and drop samples it should keep, or keep ones it should drop.
 */
static void test_huge_widths(void **state)
{
	struct calib_sample wide[] = {
		{ TRUE_HZ + 5, UINT64_MAX },
		{ TRUE_HZ, UINT64_MAX - 1 },
		{ TRUE_HZ - 5, UINT64_MAX / 2 + 1 },
	};
	struct calib_sample mixed[] = {
		{ 7, UINT64_MAX },
		{ TRUE_HZ, 1000 },
		{ 9, UINT64_MAX / 2 },
	};

	(void)state;
	/* all within twice the narrowest: the median of the three */
	assert_int_equal(calib_pick(wide, 3), TRUE_HZ);
	/* only the narrow one counts */
	assert_int_equal(calib_pick(mixed, 3), TRUE_HZ);
}

#define COUNT_MAX 0xffffffffULL /* the LAPIC's 32-bit initial count */

/* What calib_count must give, in 128 bits where nothing wraps. */
static uint64_t count_want(uint64_t hz, uint64_t ns)
{
	unsigned __int128 c = (unsigned __int128)hz * (ns / 1000) / 1000000;

	if (c == 0)
		return 1;
	return c < COUNT_MAX ? (uint64_t)c : COUNT_MAX;
}

/* QEMU's APIC timer runs at 1 GHz: a microsecond is 1000 ticks. */
static void test_count_plain(void **state)
{
	(void)state;
	assert_int_equal(calib_count(1000000000, 1000000, COUNT_MAX), 1000000);
	assert_int_equal(calib_count(1000000000, 1000, COUNT_MAX), 1000);
	/* under the microsecond it counts in: the least count, 1 */
	assert_int_equal(calib_count(1000000000, 999, COUNT_MAX), 1);
	assert_int_equal(calib_count(1000000000, 0, COUNT_MAX), 1);
	assert_int_equal(calib_count(0, 1000000, COUNT_MAX), 1);
	assert_int_equal(calib_count(TRUE_HZ, 1000000000, COUNT_MAX), TRUE_HZ);
	/* the most the counter holds, and a microsecond more */
	assert_int_equal(calib_count(1000000000, 4294967295000ULL, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(1000000000, 4294967296000ULL, COUNT_MAX),
			 COUNT_MAX);
}

/*
 * Waits longer than hz * us holds in 64 bits: at 1 GHz from 18446744074
 * us (5.1 hours) on, where the product wraps to 290448384 and a count
 * of 290 would fire at once; and "forever" (sleep infinity's deadline
 * of 2^63 ns and beyond). All saturate.
 */
static void test_count_saturates(void **state)
{
	(void)state;
	assert_int_equal(calib_count(1000000000, 18446744074000ULL, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(1000000000, 18446744073000ULL, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(1000000000, 1ULL << 63, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(1000000000, UINT64_MAX, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(TRUE_HZ, UINT64_MAX, COUNT_MAX),
			 COUNT_MAX);
	assert_int_equal(calib_count(1, UINT64_MAX, 1ULL << 40), 18446744073);
	assert_int_equal(calib_count(UINT64_MAX, 1000, COUNT_MAX), COUNT_MAX);
}

/*
 * Against the 128-bit answer over the powers of two of ns and their
 * neighbours, at several rates: never less than the last, never wrapped.
 */
static void test_count_sweep(void **state)
{
	static const uint64_t rates[] = {
		1,	 1000,		999999,		 1000000000,
		TRUE_HZ, 3000000000ULL, 1000000000000ULL
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t last = 0;

		/* 3, 4, 5, 7, 8, 9, ...: ns only grows */
		for (int bit = 2; bit < 64; bit++)
			for (int d = -1; d <= 1; d++) {
				uint64_t ns = (1ULL << bit) + (uint64_t)d;
				uint64_t c = calib_count(rates[r], ns,
							 COUNT_MAX);

				assert_int_equal(c, count_want(rates[r], ns));
				assert_true(c >= last);
				last = c;
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_sample_dropped),
		cmocka_unit_test(test_only_narrow_counts),
		cmocka_unit_test(test_median_outvotes),
		cmocka_unit_test(test_tiny_brackets),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_ran_out),
		cmocka_unit_test(test_huge_widths),
		cmocka_unit_test(test_count_plain),
		cmocka_unit_test(test_count_saturates),
		cmocka_unit_test(test_count_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
