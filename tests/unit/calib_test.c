/* calib_test.c - calib_pick: the clock rate kept from samples a host stall disturbed. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_sample_dropped),
		cmocka_unit_test(test_only_narrow_counts),
		cmocka_unit_test(test_median_outvotes),
		cmocka_unit_test(test_tiny_brackets),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
