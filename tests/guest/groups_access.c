/* groups_access.c - guest test (as root): a file's group bits let in a member of a supplementary group. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* In a child with uid 1000, gid 100 and groups: open file for reading. */
static int open_as(const char *file, const gid_t *groups, int n)
{
	int status, fd;
	pid_t pid = fork();

	check(pid >= 0, "fork");
	if (pid == 0) {
		if (setgroups((size_t)n, groups) != 0 || setgid(100) != 0 ||
		    setuid(1000) != 0)
			_exit(2);
		fd = open(file, O_RDONLY);
		_exit(fd >= 0 ? 0 : errno == EACCES ? 1 : 3);
	}
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "wait for the child");
	return WEXITSTATUS(status);
}

int main(void)
{
	const gid_t member[] = { 7, 50 }, other[] = { 7, 51 };
	const char *file;
	int fd;

	check_start("groups_access");
	scratch_start();
	file = path("g");
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	check(fd >= 0, "create a file");
	close(fd);
	check(chown(file, 2000, 50) == 0, "chown it to 2000:50");
	check(chmod(file, 0070) == 0, "chmod it 0070");
	check(open_as(file, member, 2) == 0,
	      "open by a member of group 50 through its groups");
	check(open_as(file, other, 2) == 1,
	      "open by a non-member fails with EACCES");
	check(chmod(file, 0470) == 0 && chown(file, 1000, 50) == 0,
	      "make 1000 its owner, 0470");
	check(open_as(file, member, 2) == 0, "open by the owner");
	check(chmod(file, 0070) == 0, "chmod it 0070 again");
	check(open_as(file, member, 2) == 1,
	      "the owner's bits deny even a group member");
	check(unlink(file) == 0 && rmdir(scratch) == 0,
	      "remove the file and the scratch directory");
	return check_done();
}
