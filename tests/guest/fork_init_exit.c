/* fork_init_exit.c - the first process exits while two children still run (tests/e2e/test_fork.py reads the kernel log). */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "check.h"

int main(void)
{
	int p[2];
	char c;

	check_start("fork_init_exit");
	check(pipe(p) == 0, "pipe");
	for (int i = 0; i < 2; i++) {
		if (fork() == 0) {
			prctl(PR_SET_NAME, i ? "sleeper1" : "sleeper0");
			close(p[0]);
			(void)!write(p[1], "x", 1);
			sleep(2); /* natively: gone soon after us */
			_exit(0);
		}
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 1 && read(p[0], &c, 1) == 1,
	      "both children run");
	return check_done();
}
