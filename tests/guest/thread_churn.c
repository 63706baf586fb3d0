/* thread_churn.c - guest test: 3000 threads created and joined one after another, then 2000 alive at once. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define NSEQ 3000
#define NLIVE 2000
#define STACK (16 * 1024) /* PTHREAD_STACK_MIN: 2000 fit in 128 MiB */
#define BOUND_MS 15000	  /* for each part; Linux: well under a second */

static pthread_attr_t attr;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_here = PTHREAD_COND_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int arrived, release;

static void *plus_one(void *arg)
{
	return (void *)((intptr_t)arg + 1);
}

/*
 * Wait until all NLIVE threads have started and the main thread says go
 * (the last to come tells it: one wake-up each way, not one per thread).
 */
static void *wait_for_all(void *arg)
{
	pthread_mutex_lock(&lock);
	if (++arrived == NLIVE)
		pthread_cond_signal(&all_here);
	while (!release)
		pthread_cond_wait(&go, &lock);
	pthread_mutex_unlock(&lock);
	return arg;
}

static void sequential(void)
{
	long long t0 = now_ms();
	int ok = 0;

	for (intptr_t i = 0; i < NSEQ; i++) {
		pthread_t t;
		void *ret = NULL;

		if (pthread_create(&t, &attr, plus_one, (void *)i) == 0 &&
		    pthread_join(t, &ret) == 0 && (intptr_t)ret == i + 1)
			ok++;
	}
	check(ok == NSEQ, "%d threads created and joined one after another",
	      NSEQ);
	check(now_ms() - t0 < BOUND_MS, "within %d s", BOUND_MS / 1000);
}

static void all_alive(void)
{
	static pthread_t t[NLIVE];
	long long t0 = now_ms();
	int made = 0, ok = 0;

	for (intptr_t i = 0; i < NLIVE; i++)
		made += pthread_create(&t[i], &attr, wait_for_all, (void *)i) ==
			0;
	check(made == NLIVE, "%d threads created", NLIVE);
	pthread_mutex_lock(&lock);
	while (arrived < NLIVE)
		pthread_cond_wait(&all_here, &lock);
	release = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);
	check(arrived == NLIVE, "all %d alive at once", NLIVE);
	for (intptr_t i = 0; i < NLIVE; i++) {
		void *ret = NULL;

		ok += pthread_join(t[i], &ret) == 0 && (intptr_t)ret == i;
	}
	check(ok == NLIVE, "all %d joined", NLIVE);
	check(now_ms() - t0 < BOUND_MS, "within %d s", BOUND_MS / 1000);
}

int main(void)
{
	check_start("thread_churn");
	check(pthread_attr_init(&attr) == 0 &&
		      pthread_attr_setstacksize(&attr, STACK) == 0,
	      "%d KiB stacks", STACK / 1024);
	sequential();
	all_alive();
	return check_done();
}
