/* itimer_storm.c - guest test: a 1 us ITIMER_REAL whose SIGALRM waits blocked leaves the app its speed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>

#include "check.h"

#define WORK_ROUNDS 20000000 /* ~40 ms natively and under TCG */
#define RUNS 3
#define ROUNDS 100

static volatile uint64_t sink;

/* Fixed CPU work RUNS times; the wall time in ms of the fastest run. */
static long long work_ms(void)
{
	long long best = -1;

	for (int r = 0; r < RUNS; r++) {
		long long t0 = now_ms();
		uint64_t x = 88172645463325252ULL;

		for (int i = 0; i < WORK_ROUNDS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		sink = x;
		t0 = now_ms() - t0;
		if (best < 0 || t0 < best)
			best = t0;
	}
	return best;
}

int main(void)
{
	struct itimerval it = { { 0, 1 }, { 0, 1 } }, cur;
	struct timespec limit = { 5, 0 };
	long long idle, busy;
	sigset_t alrm;
	int n = 0;

	check_start("itimer_storm");
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	check(sigprocmask(SIG_BLOCK, &alrm, NULL) == 0, "block SIGALRM");
	idle = work_ms();
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "ITIMER_REAL every 1 us");
	busy = work_ms();
	/*
	 * Linux re-arms the timer when SIGALRM is taken: while it waits
	 * blocked, the timer costs nothing. Re-armed every period, it
	 * livelocked the guest.
	 */
	check(busy <= 3 * idle + 100,
	      "CPU work with it running runs at least a third as fast");
	for (int i = 0; i < ROUNDS; i++)
		n += sigtimedwait(&alrm, NULL, &limit) == SIGALRM;
	check(n == ROUNDS, "sigtimedwait takes SIGALRM %d times", ROUNDS);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "disarm it");
	check(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_usec == 0 && cur.it_interval.tv_usec == 0,
	      "getitimer says disarmed");
	return check_done();
}
