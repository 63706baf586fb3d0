/* getppid.c - syscall round trip: time N getppid() calls in the guest. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Call getppid n times; return 0 if every call gave the same answer. */
static int loop(long n, pid_t want)
{
	int bad = 0;

	for (long i = 0; i < n; i++)
		bad |= getppid() != want;
	return bad;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	pid_t ppid = getppid();
	double t0, t1;

	/* A warm-up first: fault in the code and the stack. */
	if (n <= 0 || loop(n / 10 + 1, ppid)) {
		fprintf(stderr, "getppid: bad count or unstable answer\n");
		return 1;
	}
	t0 = now_ns();
	if (loop(n, ppid)) {
		fprintf(stderr, "getppid: answer changed during the loop\n");
		return 1;
	}
	t1 = now_ns();
	printf("getppid: %ld calls, %.1f ns/call\n", n, (t1 - t0) / (double)n);
	return 0;
}
