/* futex.c - futex ping-pong: two threads hand a turn back and forth through
 * two futex words with raw FUTEX_WAIT/FUTEX_WAKE; N round trips. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> values; musl-gcc has no kernel headers. */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)

static _Atomic int ping, pong; /* 1: the other side may go */
static long rounds;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Block until *w is 1, then take it back to 0 (no spinning: every wait
 * that finds the word 0 sleeps in the kernel). */
static void take(_Atomic int *w)
{
	while (atomic_exchange(w, 0) != 1)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void give(_Atomic int *w)
{
	atomic_store(w, 1);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		take(&ping);
		give(&pong);
	}
	return NULL;
}

/* Run n round trips against a fresh ponger thread; return ns elapsed. */
static double run(long n)
{
	pthread_t t;
	double t0, t1;

	rounds = n;
	if (pthread_create(&t, NULL, ponger, NULL) != 0)
		return -1;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		give(&ping);
		take(&pong);
	}
	t1 = now_ns();
	pthread_join(t, NULL);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	double ns;

	if (n <= 0 || run(n / 10 + 1) < 0 || (ns = run(n)) < 0) {
		fprintf(stderr, "futex: bad count or pthread_create failed\n");
		return 1;
	}
	printf("futex: %ld round trips, %.1f ns/round trip\n", n,
	       ns / (double)n);
	return 0;
}
