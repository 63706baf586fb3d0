/* random.c - guest test: getrandom and /dev/urandom. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "check.h"

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 }, big[4096];
	int fd;

	check_start("random");
	check(getrandom(a, sizeof(a), 0) == 64, "getrandom 64 bytes");
	check(!all_zero(a, sizeof(a)), "they are not all zero");
	check(getrandom(b, sizeof(b), 0) == 64 && memcmp(a, b, sizeof(a)) != 0,
	      "a second call differs");
	check(getrandom(b, sizeof(b), GRND_NONBLOCK) == 64,
	      "getrandom GRND_NONBLOCK");
	check(getrandom(big, sizeof(big), 0) == (ssize_t)sizeof(big),
	      "getrandom 4096 bytes");
	check_errno(getrandom(a, sizeof(a), 0x1000), EINVAL,
		    "getrandom with a bad flag");

	fd = open("/dev/urandom", O_RDONLY);
	check(fd >= 0, "open /dev/urandom");
	memset(a, 0, sizeof(a));
	check(read(fd, a, sizeof(a)) == 64 && !all_zero(a, sizeof(a)),
	      "read 64 bytes, not all zero");
	check(read(fd, b, sizeof(b)) == 64 && memcmp(a, b, sizeof(a)) != 0,
	      "a second read differs");
	close(fd);
	fd = open("/dev/random", O_RDONLY);
	check(fd >= 0 && read(fd, a, 16) == 16, "read /dev/random");
	close(fd);
	return check_done();
}
