/* clock.c - time reads: N clock_gettime(CLOCK_MONOTONIC) calls through libc (the vDSO when there is one). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double ns_of(const struct timespec *ts)
{
	return (double)ts->tv_sec * 1e9 + (double)ts->tv_nsec;
}

/* Read the clock n times; return 0 if it never went backwards. */
static int loop(long n, struct timespec *last)
{
	struct timespec now;
	int bad = 0;

	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		bad |= ns_of(&now) < ns_of(last);
		*last = now;
	}
	return bad;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	struct timespec t0, t1;

	/* Warm-up: fault in code and stack. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (n <= 0 || loop(n / 10 + 1, &t0)) {
		fprintf(stderr, "clock: bad count or the clock went back\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t1 = t0;
	if (loop(n, &t1)) {
		fprintf(stderr, "clock: the clock went back during the loop\n");
		return 1;
	}
	printf("clock: %ld calls, %.1f ns/call\n", n,
	       (ns_of(&t1) - ns_of(&t0)) / (double)n);
	return 0;
}
