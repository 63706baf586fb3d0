/* timespec_test.c - timespec_to_ns, timespec_add_ns, timespec_forward: Linux's checks, clamp and saturation at KTIME_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "linux/timespec.h"

/* Linux's KTIME_SEC_MAX: KTIME_MAX (INT64_MAX ns) in whole seconds. */
#define KTIME_SEC_MAX 9223372036LL

static uint64_t to_ns(long long sec, long long nsec)
{
	struct __kernel_timespec ts = { sec, nsec };
	uint64_t ns = 12345;

	assert_int_equal(timespec_to_ns(&ts, &ns), 0);
	return ns;
}

static void expect_einval(long long sec, long long nsec)
{
	struct __kernel_timespec ts = { sec, nsec };
	uint64_t ns = 12345;

	assert_int_equal(timespec_to_ns(&ts, &ns), -EINVAL);
	assert_int_equal(ns, 12345); /* left alone */
}

static void test_plain(void **state)
{
	(void)state;
	assert_int_equal(to_ns(0, 0), 0);
	assert_int_equal(to_ns(1, 5), 1000000005);
	assert_int_equal(to_ns(0, 999999999), 999999999);
	assert_int_equal(to_ns(86400, 1), 86400000000001ULL);
}

/* timespec64_valid: no negative part, nanoseconds below a second. */
static void test_invalid(void **state)
{
	(void)state;
	expect_einval(-1, 0);
	expect_einval(0, -1);
	expect_einval(0, 1000000000);
	expect_einval(1, 1000000000);
	expect_einval(INT64_MIN, 0);
	expect_einval(INT64_MAX, 1000000000);
	expect_einval(INT64_MAX, -1);
}

/*
 * timespec64_to_ktime clamps from KTIME_SEC_MAX seconds on (>=), to
 * KTIME_MAX; one second less keeps its nanoseconds. At KTIME_SEC_MAX
 * with 999999999 ns the sum would pass INT64_MAX.
 */
static void test_clamp(void **state)
{
	(void)state;
	assert_int_equal(TIMESPEC_MAX_NS, INT64_MAX);
	assert_int_equal(to_ns(KTIME_SEC_MAX - 1, 999999999),
			 9223372035999999999ULL);
	assert_int_equal(to_ns(KTIME_SEC_MAX, 0), TIMESPEC_MAX_NS);
	assert_int_equal(to_ns(KTIME_SEC_MAX, 999999999), TIMESPEC_MAX_NS);
	assert_int_equal(to_ns(KTIME_SEC_MAX + 1, 0), TIMESPEC_MAX_NS);
	assert_int_equal(to_ns(INT64_MAX, 999999999), TIMESPEC_MAX_NS);
	assert_int_equal(to_ns(INT64_MAX, 0), TIMESPEC_MAX_NS);
}

/* ktime_add_safe: sums past KTIME_MAX stop there; others are exact. */
static void test_add(void **state)
{
	(void)state;
	assert_int_equal(timespec_add_ns(5, 7), 12);
	assert_int_equal(timespec_add_ns(TIMESPEC_MAX_NS - 1, 1),
			 TIMESPEC_MAX_NS);
	assert_int_equal(timespec_add_ns(TIMESPEC_MAX_NS - 1, 2),
			 TIMESPEC_MAX_NS);
	assert_int_equal(timespec_add_ns(1, TIMESPEC_MAX_NS), TIMESPEC_MAX_NS);
	assert_int_equal(timespec_add_ns(TIMESPEC_MAX_NS, TIMESPEC_MAX_NS),
			 TIMESPEC_MAX_NS);
	assert_int_equal(timespec_add_ns(TIMESPEC_MAX_NS, 0), TIMESPEC_MAX_NS);
}

/* hrtimer_forward: the expiries up to now, the next after it, saturated. */
static void test_forward(void **state)
{
	uint64_t k;

	(void)state;
	assert_int_equal(timespec_forward(100, 100, 10, &k), 110);
	assert_int_equal(k, 1);
	assert_int_equal(timespec_forward(100, 135, 10, &k), 140);
	assert_int_equal(k, 4);
	assert_int_equal(timespec_forward(100, 140, 10, &k), 150);
	assert_int_equal(k, 5);
	/* a period that would pass KTIME_MAX: one expiry, then KTIME_MAX */
	assert_int_equal(timespec_forward(1000, 5000, TIMESPEC_MAX_NS, &k),
			 TIMESPEC_MAX_NS);
	assert_int_equal(k, 1);
	assert_int_equal(
		timespec_forward(1000, 5000, TIMESPEC_MAX_NS - 999, &k),
		TIMESPEC_MAX_NS);
	assert_int_equal(
		timespec_forward(1000, 5000, TIMESPEC_MAX_NS - 1001, &k),
		TIMESPEC_MAX_NS - 1);
	/* now at the clamp: periods of 1 ns counted without wrapping */
	assert_int_equal(timespec_forward(0, TIMESPEC_MAX_NS, 1, &k),
			 TIMESPEC_MAX_NS);
	assert_int_equal(k, TIMESPEC_MAX_NS + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),	cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_clamp),	cmocka_unit_test(test_add),
		cmocka_unit_test(test_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
