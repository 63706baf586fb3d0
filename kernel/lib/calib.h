/* calib.h - choosing a clock rate from repeated, possibly disturbed measurements, and counting at it. */
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

/*
 * The count a down-counter of hz ticks per second needs to last ns, in
 * whole microseconds (hz * (ns / 1000) / 10^6): at least 1, and max for
 * a wait too long for the counter, never a product that wrapped 64 bits
 * (past 5 hours at 1 GHz). max below 2^44; any context.
 */
uint64_t calib_count(uint64_t hz, uint64_t ns, uint64_t max);

#endif
