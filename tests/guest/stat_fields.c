/* stat_fields.c - guest test: st_mode, st_size, st_nlink, st_blksize, umask. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

static unsigned perms(const char *p)
{
	struct stat st;

	if (stat(p, &st) != 0)
		return 07777 + 1;
	return st.st_mode & 07777;
}

static void umask_effect(void)
{
	int fd;

	umask(022);
	check(umask(022) == 022, "umask returns the previous mask");
	fd = open(path("f644"), O_CREAT | O_WRONLY, 0666);
	check(fd >= 0 && perms(path("f644")) == 0644,
	      "create 0666 under umask 022 gives 0644");
	close(fd);
	umask(077);
	fd = open(path("f600"), O_CREAT | O_WRONLY, 0666);
	check(fd >= 0 && perms(path("f600")) == 0600,
	      "create 0666 under umask 077 gives 0600");
	close(fd);
	check(mkdir(path("d700"), 0777) == 0 && perms(path("d700")) == 0700,
	      "mkdir 0777 under umask 077 gives 0700");
	umask(0);
	fd = open(path("f777"), O_CREAT | O_WRONLY, 0777);
	check(fd >= 0 && perms(path("f777")) == 0777,
	      "create 0777 under umask 0 gives 0777");
	check(fchmod(fd, 0640) == 0 && perms(path("f777")) == 0640,
	      "fchmod 0640");
	close(fd);
	check(chmod(path("f777"), 04755) == 0 && perms(path("f777")) == 04755,
	      "chmod 04755 keeps the setuid bit");
	umask(022);
}

static void types_and_sizes(void)
{
	static char data[10000];
	struct stat st, fst;
	int fd;

	fd = open(path("sized"), O_CREAT | O_RDWR, 0644);
	check(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data),
	      "write 10000 bytes");
	check(fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) &&
		      fst.st_size == 10000,
	      "fstat: regular file of 10000 bytes");
	check(stat(path("sized"), &st) == 0 && st.st_ino == fst.st_ino &&
		      st.st_dev == fst.st_dev && st.st_mode == fst.st_mode &&
		      st.st_size == fst.st_size && st.st_nlink == fst.st_nlink,
	      "stat and fstat agree");
	check(st.st_nlink == 1, "a new file has one link");
	check(st.st_blksize > 0 && (st.st_blksize & (st.st_blksize - 1)) == 0,
	      "st_blksize is a power of two");
	check(st.st_blocks * 512 >= 10000 || st.st_blocks == 0,
	      "st_blocks covers the data");
	check(st.st_uid == getuid() && st.st_gid == getgid(),
	      "owner is the caller");
	check(st.st_mtime > 1577836800, "mtime is after 2020");
	check(link(path("sized"), path("hard")) == 0 &&
		      stat(path("sized"), &st) == 0 && st.st_nlink == 2,
	      "link makes st_nlink 2");
	check(stat(path("hard"), &st) == 0 && st.st_ino == fst.st_ino,
	      "both names, one inode");
	check(unlink(path("hard")) == 0 && fstat(fd, &st) == 0 &&
		      st.st_nlink == 1,
	      "unlink makes st_nlink 1 again");
	close(fd);

	check(mkdir(path("dir"), 0755) == 0 && stat(path("dir"), &st) == 0 &&
		      S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
	      "directory type and mode");
	check(st.st_nlink == 2, "an empty directory has 2 links");
	check(mkdir(path("dir/sub"), 0755) == 0 &&
		      stat(path("dir"), &st) == 0 && st.st_nlink == 3,
	      "a subdirectory adds a link to its parent");
	check(rmdir(path("dir/sub")) == 0 && stat(path("dir"), &st) == 0 &&
		      st.st_nlink == 2,
	      "rmdir takes it away");
	fd = open(path("dir"), O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fstat(fd, &fst) == 0 && fst.st_ino == st.st_ino &&
		      S_ISDIR(fst.st_mode),
	      "fstat of a directory fd");
	close(fd);

	check(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
		      major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
	      "/dev/null is char device 1:3");
	check(stat("/", &st) == 0 && S_ISDIR(st.st_mode), "/ is a directory");
	check(fstat(1, &st) == 0, "fstat of stdout");
	check_errno(fstat(-1, &st), EBADF, "fstat of fd -1");
	check_errno(stat(path("none"), &st), ENOENT, "stat a missing path");
	check_errno(stat("", &st), ENOENT, "stat an empty path");
	check(fstatat(AT_FDCWD, path("sized"), &st, 0) == 0 &&
		      st.st_size == 10000,
	      "fstatat");
}

int main(void)
{
	check_start("stat_fields");
	scratch_start();
	umask_effect();
	types_and_sizes();
	check(unlink(path("f644")) == 0 && unlink(path("f600")) == 0 &&
		      unlink(path("f777")) == 0 && unlink(path("sized")) == 0 &&
		      rmdir(path("d700")) == 0 && rmdir(path("dir")) == 0 &&
		      rmdir(scratch) == 0,
	      "everything removed");
	return check_done();
}
