/* time.h - calendar arithmetic: civil dates to Unix time and back (freestanding and hosted). */
#ifndef KILN_LIB_TIME_H
#define KILN_LIB_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* A broken-down UTC date and time; fields hold the usual human values. */
struct civil_time {
	int64_t year; /* e.g. 2024 */
	int month;    /* 1..12 */
	int day;      /* 1..31 */
	int hour;     /* 0..23 */
	int minute;   /* 0..59 */
	int second;   /* 0..59 (no leap seconds: Unix time has none) */
};

/* True when year is a leap year of the proleptic Gregorian calendar. */
bool time_is_leap(int64_t year);

/* Days in month (1..12) of year; 0 for a month out of range. */
int time_days_in_month(int64_t year, int month);

/* True when every field of t is in range (the day for its month and year). */
bool time_civil_valid(const struct civil_time *t);

/*
 * Days since 1970-01-01 of the given proleptic Gregorian date (negative
 * before it). The caller checks the date with time_civil_valid first;
 * |year| must stay below 2^40 so nothing overflows.
 */
int64_t time_days_from_civil(int64_t year, int month, int day);

/* The inverse: the date of day number days since 1970-01-01. */
void time_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* Seconds since the Unix epoch of t (valid by time_civil_valid). */
int64_t time_to_unix(const struct civil_time *t);

#endif
