/* time_test.c - calendar conversions against known dates and the host's timegm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "lib/time.h"

static void expect_unix(int64_t y, int mo, int d, int h, int mi, int s,
			int64_t want)
{
	struct civil_time t = { y, mo, d, h, mi, s };

	assert_true(time_civil_valid(&t));
	assert_int_equal(time_to_unix(&t), want);
}

static void test_known_dates(void **state)
{
	(void)state;
	expect_unix(1970, 1, 1, 0, 0, 0, 0);
	expect_unix(1969, 12, 31, 23, 59, 59, -1);
	expect_unix(2000, 2, 29, 0, 0, 0, 951782400);
	expect_unix(2000, 3, 1, 0, 0, 0, 951868800);
	expect_unix(2001, 9, 9, 1, 46, 40, 1000000000);
	expect_unix(2009, 2, 13, 23, 31, 30, 1234567890);
	expect_unix(2038, 1, 19, 3, 14, 7, 2147483647);
	expect_unix(2038, 1, 19, 3, 14, 8, 2147483648LL);
	expect_unix(2100, 3, 1, 0, 0, 0, 4107542400LL);
	expect_unix(1900, 1, 1, 0, 0, 0, -2208988800LL);
	expect_unix(1600, 3, 1, 0, 0, 0, -11670912000LL);
}

static void test_validation(void **state)
{
	struct civil_time t = { 2023, 2, 29, 0, 0, 0 };

	(void)state;
	assert_false(time_civil_valid(&t));
	t.year = 2024;
	assert_true(time_civil_valid(&t));
	t.year = 1900; /* divisible by 100, not by 400 */
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 13, 1, 0, 0, 0 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 0, 1, 0, 0, 0 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 4, 31, 0, 0, 0 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 4, 30, 24, 0, 0 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 4, 30, 23, 60, 0 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 4, 30, 23, 59, 60 };
	assert_false(time_civil_valid(&t));
	t = (struct civil_time){ 2024, 4, 0, 0, 0, 0 };
	assert_false(time_civil_valid(&t));
	assert_int_equal(time_days_in_month(2024, 0), 0);
}

/* Every day from 1900 to 2200 round-trips and agrees with glibc's timegm. */
static void test_round_trip_against_timegm(void **state)
{
	int64_t first = time_days_from_civil(1900, 1, 1);
	int64_t last = time_days_from_civil(2200, 12, 31);

	(void)state;
	for (int64_t d = first; d <= last; d++) {
		struct tm tm = { 0 };
		int64_t y;
		int m, day;

		time_civil_from_days(d, &y, &m, &day);
		assert_int_equal(time_days_from_civil(y, m, day), d);
		tm.tm_year = (int)(y - 1900);
		tm.tm_mon = m - 1;
		tm.tm_mday = day;
		assert_int_equal((int64_t)timegm(&tm), d * 86400);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_round_trip_against_timegm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
