/* time.c - proleptic Gregorian calendar arithmetic for the wall clock. */
#include "lib/time.h"

/*
 * The conversions count in 400-year eras that start on March 1st, so the
 * leap day is the last day of its year and every era has exactly 146097
 * days. Years run March..February: January and February belong to the
 * year before. (The method is the well-known "days from civil" algorithm,
 * derived here from the calendar rules, not copied.)
 */
#define DAYS_PER_ERA 146097
#define DAYS_0000_03_01_TO_EPOCH 719468 /* 0000-03-01 .. 1970-01-01 */

bool time_is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int time_days_in_month(int64_t year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && time_is_leap(year))
		return 29;
	return days[month - 1];
}

bool time_civil_valid(const struct civil_time *t)
{
	return t->year > -(1LL << 40) && t->year < (1LL << 40) &&
	       t->month >= 1 && t->month <= 12 && t->day >= 1 &&
	       t->day <= time_days_in_month(t->year, t->month) &&
	       t->hour >= 0 && t->hour <= 23 && t->minute >= 0 &&
	       t->minute <= 59 && t->second >= 0 && t->second <= 59;
}

/* Floor division for possibly negative years. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t time_days_from_civil(int64_t year, int month, int day)
{
	int64_t y = month <= 2 ? year - 1 : year;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;			     /* 0..399 */
	int64_t mp = month > 2 ? month - 3 : month + 9;	     /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + day - 1;	     /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */

	return era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_EPOCH;
}

void time_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + DAYS_0000_03_01_TO_EPOCH;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;
	/* Years of era: undo the 4/100/400 leap-day corrections. */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

int64_t time_to_unix(const struct civil_time *t)
{
	int64_t days = time_days_from_civil(t->year, t->month, t->day);

	return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}
