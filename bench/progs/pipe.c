/* pipe.c - pipe ping-pong: two threads bounce one byte through two pipes;
 * N round trips, each byte checked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int there[2], back[2]; /* main -> ponger, ponger -> main */
static long rounds;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *ponger(void *arg)
{
	unsigned char c;

	(void)arg;
	for (long i = 0; i < rounds; i++) {
		if (read(there[0], &c, 1) != 1)
			return (void *)1;
		c++;
		if (write(back[1], &c, 1) != 1)
			return (void *)1;
	}
	return NULL;
}

/* Run n round trips against a fresh ponger; return ns, or -1 on error. */
static double run(long n)
{
	pthread_t t;
	void *bad;
	double t0, t1;

	rounds = n;
	if (pthread_create(&t, NULL, ponger, NULL) != 0)
		return -1;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		unsigned char c = (unsigned char)i;

		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1 ||
		    c != (unsigned char)(i + 1))
			return -1; /* the ponger is left blocked; we exit */
	}
	t1 = now_ns();
	if (pthread_join(t, &bad) != 0 || bad)
		return -1;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	double ns;

	if (n <= 0 || pipe(there) < 0 || pipe(back) < 0) {
		perror("pipe: bad count or pipe()");
		return 1;
	}
	if (run(n / 10 + 1) < 0 || (ns = run(n)) < 0) {
		fprintf(stderr, "pipe: a read, write or thread failed\n");
		return 1;
	}
	printf("pipe: %ld round trips, %.1f ns/round trip\n", n,
	       ns / (double)n);
	return 0;
}
