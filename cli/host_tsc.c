/* host_tsc.c - the host's TSC rate, timed over kiln's own start-up, for a TCG guest. */
#include <stdint.h>
#include <time.h>

#include "vm.h"

/*
 * Under TCG the guest's TSC is the host's (QEMU's cpu_get_host_ticks), so
 * kiln can tell the kernel its rate (kiln.tsc_khz) and spare it 7 ms of
 * PIT calibration, which under TCG is busy I/O emulation. The rate is
 * timed against CLOCK_MONOTONIC, the clock QEMU's PIT follows, from
 * kiln's start to the QEMU command line: no waiting of its own. Each end
 * is a clock read bracketed by two TSC reads; the narrowest of a few
 * brackets is kept, and a wide one (kiln preempted inside it) or a span
 * too short to resolve 0.05% gives no rate. The kernel checks what it is
 * given against a short PIT sample (arch/x86_64/tsc.c).
 *
 * The TSC is x86's: on another host there is no rate to give (a TCG guest
 * there counts whatever that host's counter is), so none is given.
 */
#if defined(__x86_64__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#define MARK_TRIES 3
/* ns between the ends, at least; and brackets at most span/SPAN_PER_WIDTH */
#define SPAN_MIN 1000000ULL
#define SPAN_PER_WIDTH 2000

struct mark {
	uint64_t tsc; /* the bracket's midpoint */
	uint64_t ns;
	uint64_t width; /* TSC ticks */
};

static struct mark start;

static uint64_t read_tsc(void)
{
#if HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

static struct mark take_mark(void)
{
	struct mark best = { .width = UINT64_MAX };

	for (int i = 0; i < MARK_TRIES; i++) {
		struct timespec ts;
		uint64_t a = read_tsc(), b;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		b = read_tsc();
		if (b - a < best.width)
			best = (struct mark){ a + (b - a) / 2,
					      (uint64_t)ts.tv_sec *
							      1000000000ULL +
						      (uint64_t)ts.tv_nsec,
					      b - a };
	}
	return best;
}

void host_tsc_start(void)
{
	if (HAVE_TSC)
		start = take_mark();
}

uint64_t host_tsc_khz(void)
{
	struct mark end;
	uint64_t span, ticks, khz;

	if (!HAVE_TSC || !start.ns)
		return 0;
	end = take_mark();
	span = end.ns - start.ns;
	ticks = end.tsc - start.tsc;
	if (end.ns <= start.ns || end.tsc <= start.tsc || span < SPAN_MIN)
		return 0;
	khz = (uint64_t)((double)ticks * 1e6 / (double)span);
	/* the brackets' widths in ns, at this rate: the error is within them */
	if (khz == 0 ||
	    (start.width + end.width) * 1000000ULL / khz * SPAN_PER_WIDTH >
		    span)
		return 0;
	return khz;
}
