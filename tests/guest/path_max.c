/* path_max.c - guest test: a path string of PATH_MAX-1 bytes is taken, one of PATH_MAX is ENAMETOOLONG. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char buf[PATH_MAX + 8];

/* The path of the scratch file "f", padded with slashes to len bytes. */
static const char *padded(size_t len)
{
	size_t dir = strlen(scratch);

	memcpy(buf, scratch, dir);
	memset(buf + dir, '/', len - dir - 1);
	buf[len - 1] = 'f';
	buf[len] = '\0';
	return buf;
}

int main(void)
{
	struct stat st;
	int fd;

	check_start("path_max");
	scratch_start();
	fd = open(padded(PATH_MAX - 1), O_CREAT | O_WRONLY, 0644);
	check(fd >= 0, "open O_CREAT of a %d-byte path", PATH_MAX - 1);
	close(fd);
	check(stat(padded(PATH_MAX - 1), &st) == 0 && S_ISREG(st.st_mode),
	      "stat of a %d-byte path", PATH_MAX - 1);
	check_errno(stat(padded(PATH_MAX), &st), ENAMETOOLONG,
		    "stat of a PATH_MAX-byte path");
	check_errno(open(padded(PATH_MAX), O_RDONLY), ENAMETOOLONG,
		    "open of a PATH_MAX-byte path");
	check_errno(mkdir(padded(PATH_MAX + 1), 0755), ENAMETOOLONG,
		    "mkdir of a longer path");
	check(unlink(padded(PATH_MAX - 1)) == 0, "unlink of a %d-byte path",
	      PATH_MAX - 1);
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
