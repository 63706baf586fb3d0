/* idle.c - an idle guest: print a start line, nanosleep S seconds (default
 * 5), print how long it slept.  The bench samples QEMU's CPU time at the
 * two lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long s = argc > 1 ? atol(argv[1]) : 5;
	struct timespec req = { s, 0 };
	double t0, t1;

	if (s <= 0 || s > 60) {
		fprintf(stderr, "idle: seconds must be 1..60\n");
		return 1;
	}
	printf("idle: sleeping %ld s\n", s);
	fflush(stdout);
	t0 = now_ns();
	while (nanosleep(&req, &req) < 0)
		if (errno != EINTR) {
			perror("idle: nanosleep");
			return 1;
		}
	t1 = now_ns();
	printf("idle: slept %.1f ms\n", (t1 - t0) / 1e6);
	return 0;
}
