/* mq_groups.c - guest test (as root): a message queue's group bits let in a member of a supplementary group. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <sys/wait.h>

#include "check.h"

static char qname[64];

/* In a child with uid 1000, gid 100 and groups: open the queue, mode acc. */
static int open_as(const gid_t *groups, int n, int acc)
{
	int status;
	mqd_t q;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups((size_t)n, groups) != 0 || setgid(100) != 0 ||
		    setuid(1000) != 0)
			_exit(2);
		q = mq_open(qname, acc);
		_exit(q != (mqd_t)-1 ? 0 : errno == EACCES ? 1 : 3);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "fork and wait for the child");
	return WEXITSTATUS(status);
}

int main(void)
{
	const gid_t member[] = { 7, 50 }, other[] = { 7, 51 };
	mqd_t q;

	check_start("mq_groups");
	snprintf(qname, sizeof(qname), "/kiln-mq-groups.%d", (int)getpid());
	umask(0);
	/* The queue takes the creator's effective ids: root's uid, gid 50. */
	check(setegid(50) == 0, "setegid(50)");
	q = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0060, NULL);
	check(q != (mqd_t)-1, "create a queue 0060 as gid 50");
	check(setegid(0) == 0, "setegid(0)");
	check(open_as(member, 2, O_RDWR) == 0,
	      "open O_RDWR by a member of group 50 through its groups");
	check(open_as(member, 2, O_RDONLY) == 0,
	      "open O_RDONLY by a member of group 50 through its groups");
	check(open_as(other, 2, O_RDONLY) == 1,
	      "open by a non-member fails with EACCES");
	check(open_as(other, 0, O_WRONLY) == 1,
	      "open with no groups fails with EACCES");
	check(mq_close(q) == 0 && mq_unlink(qname) == 0,
	      "close and unlink the queue");
	/* The group's bits alone: 0040 gives a member reading, not writing. */
	check(setegid(50) == 0, "setegid(50) again");
	q = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0040, NULL);
	check(q != (mqd_t)-1, "create a queue 0040 as gid 50");
	check(setegid(0) == 0, "setegid(0) again");
	check(open_as(member, 2, O_RDONLY) == 0,
	      "open O_RDONLY of 0040 by a member");
	check(open_as(member, 2, O_WRONLY) == 1,
	      "open O_WRONLY of 0040 by a member fails with EACCES");
	check(mq_close(q) == 0 && mq_unlink(qname) == 0, "close and unlink it");
	return check_done();
}
