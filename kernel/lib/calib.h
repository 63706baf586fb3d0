/* calib.h - choosing a clock rate from repeated, possibly disturbed measurements. */
#ifndef KILN_LIB_CALIB_H
#define KILN_LIB_CALIB_H

#include <stddef.h>
#include <stdint.h>

/*
 * One measurement of a clock's rate against the TSC: hz, and width, the
 * TSC ticks of the two brackets that dated its start and end (reads of
 * the TSC just before and after each access to the other clock). A host
 * stall inside a bracket widens it and skews hz by up to that much.
 */
struct calib_sample {
	uint64_t hz, width;
};

/*
 * The rate to trust: the median hz of the samples whose width is at most
 * twice the narrowest (plus CALIB_SLACK ticks, for brackets of a few
 * ticks). A sample with hz 0 (one that ran out) has no rate and is
 * passed over; 0 when no sample has a rate (n is 0, or all ran out).
 * Reorders s. Any context, no allocation.
 */
#define CALIB_SLACK 64
uint64_t calib_pick(struct calib_sample *s, size_t n);

#endif
