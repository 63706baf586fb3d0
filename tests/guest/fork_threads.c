/* fork_threads.c - fork and threads: exit_group ends every thread of a child process, a thread forks, only the caller is copied. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "check.h"

static int pipe_fds[2];

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	(void)!read(pipe_fds[0], &c, 1); /* never gets anything */
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (volatile unsigned long i = 0;; i++)
		;
	return NULL;
}

/* A child with blocked and busy threads ends them all by exiting. */
static int child_exit_group(void)
{
	pthread_t t;

	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, i ? blocker : spinner, NULL))
			return 50;
	usleep(20000);
	exit(33);
}

static int child_thread_exit_group(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, blocker, NULL))
		return 50;
	/* A fatal signal from another thread kills the whole process too. */
	raise(SIGTERM);
	return 51;
}

static volatile int forked_status = -1;

static void *thread_forks(void *arg)
{
	int st;
	pid_t pid = fork();

	(void)arg;
	if (pid == 0) {
		/* Only this thread is copied: main is not here. */
		_exit(12);
	}
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		forked_status = WEXITSTATUS(st);
	return NULL;
}

int main(void)
{
	int st;
	pid_t pid;
	pthread_t t;

	check_start("fork_threads");
	check(pipe(pipe_fds) == 0, "pipe");
	pid = fork();
	if (pid == 0)
		child_exit_group();
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 33,
	      "a child with 3 threads exits 33");
	pid = fork();
	if (pid == 0)
		_exit(child_thread_exit_group());
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		      WTERMSIG(st) == SIGTERM,
	      "SIGTERM ends a child with 2 threads");
	check(pthread_create(&t, NULL, thread_forks, NULL) == 0 &&
		      pthread_join(t, NULL) == 0,
	      "a thread forks and waits");
	check(forked_status == 12, "its child exits 12");
	return check_done();
}
