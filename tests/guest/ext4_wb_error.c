/* ext4_wb_error.c - a write-back error is reported once, to the file that failed: a file written by write() and one stored into through a shared map each see EIO at their first fsync and 0 at the next, a good file on the same disk 0, and syncfs the disk's EIO once, as Linux's errseq does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/*
 * Run by test_ext4_rw.py on a disk whose blocks of DIR/w and DIR/m fail
 * every write (QEMU's blkdebug), and DIR/g's do not: natively nothing
 * fails, so the program prints what each call returned, not a verdict,
 * and the test asserts the exact lines. g is fsync'd first: that commit
 * writes w's block back too, and w's failure is w's, not g's.
 */
static void say(const char *what, long r)
{
	printf("ext4_wb_error: %s: %s\n", what,
	       r < 0 ? check_errno_name(errno) : "0");
	fflush(stdout);
}

static int open_or_die(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("ext4_wb_error: FAIL open %s (errno %s)\n", name,
		       check_errno_name(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char buf[4096];
	char *p;
	int fd, good, dir;

	if (argc != 2) {
		fprintf(stderr, "usage: ext4_wb_error DIR\n");
		return 2;
	}
	/* opened before any failure: syncfs reports what fails after */
	dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dir < 0) {
		say("open dir", -1);
		return 1;
	}
	memset(buf, 'W', sizeof(buf));
	fd = open_or_die(argv[1], "w");
	good = open_or_die(argv[1], "g");
	say("pwrite", pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : -1);
	memset(buf, 'G', sizeof(buf));
	say("pwrite g",
	    pwrite(good, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : -1);
	say("fsync g", fsync(good));
	say("fsync w", fsync(fd));
	say("fsync w again", fsync(fd));
	say("fsync g again", fsync(good));
	say("close w", close(fd));

	fd = open_or_die(argv[1], "m");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		say("mmap", -1);
		return 1;
	}
	memset(p, 'M', 4096);
	say("fsync m", fsync(fd));
	say("fsync m again", fsync(fd));
	say("munmap", munmap(p, 4096));
	say("close m", close(fd));
	say("pwrite g after", pwrite(good, buf, 16, 0) == 16 ? 0 : -1);
	say("fsync g after", fsync(good));
	say("close g", close(good));
	say("syncfs", syncfs(dir));
	say("syncfs again", syncfs(dir));
	say("close dir", close(dir));
	return 0;
}
