/* thread.c - thread lifetime: N x (pthread_create, pthread_join), one at
 * a time. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *body(void *arg)
{
	return (void *)((uintptr_t)arg + 1);
}

/* Create and join n threads in turn; return 0 if each returned its arg + 1. */
static int loop(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		void *ret;

		if (pthread_create(&t, NULL, body, (void *)(uintptr_t)i) != 0 ||
		    pthread_join(t, &ret) != 0 ||
		    (uintptr_t)ret != (uintptr_t)i + 1)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	double t0, t1;

	if (n <= 0 || loop(n / 10 + 1) < 0) { /* warm-up: stacks, code */
		fprintf(stderr, "thread: bad count or create/join failed\n");
		return 1;
	}
	t0 = now_ns();
	if (loop(n) < 0) {
		fprintf(stderr, "thread: create/join failed during the loop\n");
		return 1;
	}
	t1 = now_ns();
	printf("thread: %ld x (create+join), %.1f ns/thread, %.0f threads/s\n",
	       n, (t1 - t0) / (double)n, (double)n * 1e9 / (t1 - t0));
	return 0;
}
