/* devnull.c - guest test: /dev/null, /dev/zero and /dev/full. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	static unsigned char buf[8192];
	struct stat st;
	int fd, ok = 1;

	check_start("devnull");
	fd = open("/dev/null", O_RDWR);
	check(fd >= 0, "open /dev/null");
	check(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	      "write 8192 bytes to it");
	check(read(fd, buf, sizeof(buf)) == 0, "reading it gives EOF");
	check(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode),
	      "it is a character device");
	check(lseek(fd, 100, SEEK_SET) == 0, "lseek on it returns 0");
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0xff, sizeof(buf));
	check(fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	      "read 8192 bytes of /dev/zero");
	for (size_t i = 0; i < sizeof(buf); i++)
		ok &= buf[i] == 0;
	check(ok, "they are all zero");
	close(fd);

	fd = open("/dev/full", O_RDWR);
	check(fd >= 0, "open /dev/full");
	check_errno(write(fd, "x", 1), ENOSPC, "write to /dev/full");
	buf[0] = 1;
	check(read(fd, buf, 16) == 16 && buf[0] == 0, "/dev/full reads zeros");
	close(fd);
	check_errno(open("/dev/nonexistent", O_RDONLY), ENOENT,
		    "open a missing device");
	return check_done();
}
