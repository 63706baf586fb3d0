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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
