/* xattr.c - guest test: extended attributes on files, directories, symlinks, devices and pipes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

/*
 * Linux tmpfs (6.6+) and ext4 agree on everything checked here: the
 * namespace and permission rules are the VFS's (fs/xattr.c). A host
 * whose /tmp keeps no user attributes at all cannot be compared with:
 * the program says so in one line and test_guest.py skips it.
 */

/* The names in a listxattr result, ignoring an LSM's security.* ones. */
static int list_has(const char *list, long len, const char *a, const char *b)
{
	int found = 0;

	for (long i = 0; i < len; i += (long)strlen(list + i) + 1) {
		if (!strcmp(list + i, a) || !strcmp(list + i, b))
			found++;
		else if (strncmp(list + i, "security.", 9) != 0)
			return -1;
	}
	return found;
}

static void values(const char *f)
{
	char buf[64] = { 0 }, *big = malloc(100000);

	check_errno(getxattr(f, "user.a", buf, sizeof(buf)), ENODATA,
		    "get of a name never set");
	check(setxattr(f, "user.a", "hello", 5, 0) == 0, "set user.a");
	check(getxattr(f, "user.a", NULL, 0) == 5, "size-0 get gives the size");
	check(getxattr(f, "user.a", buf, sizeof(buf)) == 5 &&
		      !memcmp(buf, "hello", 5),
	      "get user.a");
	check_errno(getxattr(f, "user.a", buf, 3), ERANGE, "get into 3 bytes");
	check(getxattr(f, "user.a", big, 100000) == 5,
	      "a buffer over XATTR_SIZE_MAX is clamped");
	check_errno(setxattr(f, "user.a", "x", 1, XATTR_CREATE), EEXIST,
		    "XATTR_CREATE of an existing name");
	check_errno(setxattr(f, "user.b", "x", 1, XATTR_REPLACE), ENODATA,
		    "XATTR_REPLACE of a missing name");
	check_errno(setxattr(f, "user.b", "x", 1, 4), EINVAL, "flags 4");
	check(setxattr(f, "user.a", "bye", 3, XATTR_REPLACE) == 0 &&
		      getxattr(f, "user.a", buf, sizeof(buf)) == 3,
	      "XATTR_REPLACE shortens the value");
	check(setxattr(f, "user.b", "", 0, XATTR_CREATE) == 0 &&
		      getxattr(f, "user.b", buf, sizeof(buf)) == 0,
	      "an empty value is a value");
	check_errno(setxattr(f, "user.c", big, 65537, 0), E2BIG,
		    "a value over XATTR_SIZE_MAX");
	free(big);
}

static void lists(const char *f)
{
	char list[256];
	long n = listxattr(f, NULL, 0);

	check(n >= 14 && listxattr(f, list, sizeof(list)) == n &&
		      list_has(list, n, "user.a", "user.b") == 2,
	      "listxattr names user.a and user.b; size-0 gives the length");
	check_errno(listxattr(f, list, 5), ERANGE, "listxattr into 5 bytes");
	check(removexattr(f, "user.a") == 0, "removexattr user.a");
	check_errno(removexattr(f, "user.a"), ENODATA, "remove it again");
	check_errno(getxattr(f, "user.a", list, sizeof(list)), ENODATA,
		    "get after remove");
	n = listxattr(f, list, sizeof(list));
	check(n >= 7 && list_has(list, n, "user.b", "user.b") == 1,
	      "listxattr names only user.b");
	check(removexattr(f, "user.b") == 0, "removexattr user.b");
}

static void names(const char *f)
{
	char buf[8], longname[300];

	check_errno(setxattr(f, "foo.bar", "x", 1, 0), EOPNOTSUPP,
		    "set in an unknown namespace");
	check_errno(getxattr(f, "foo.bar", buf, sizeof(buf)), EOPNOTSUPP,
		    "get in an unknown namespace");
	check_errno(setxattr(f, "system.kiln", "x", 1, 0), EOPNOTSUPP,
		    "set system.kiln");
	check_errno(setxattr(f, "user.", "x", 1, 0), EINVAL, "bare user.");
	check_errno(setxattr(f, "", "x", 1, 0), ERANGE, "empty name");
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[256] = 0;
	check_errno(setxattr(f, longname, "x", 1, 0), ERANGE, "256-byte name");
	longname[255] = 0;
	check(setxattr(f, longname, "x", 1, 0) == 0 &&
		      removexattr(f, longname) == 0,
	      "255-byte name");
	check_errno(setxattr(f, (char *)8, "x", 1, 0), EFAULT,
		    "bad name pointer");
	check_errno(syscall(SYS_setxattr, f, "user.a", 8, 1, 0), EFAULT,
		    "bad value pointer");
	check_errno(getxattr(path("nope"), "user.a", buf, sizeof(buf)), ENOENT,
		    "a missing file");
	check_errno(getxattr(path("nope"), "", buf, sizeof(buf)), ERANGE,
		    "the name is checked before the path");
	check(setxattr(f, "trusted.t", "root", 4, 0) == 0 &&
		      getxattr(f, "trusted.t", buf, sizeof(buf)) == 4 &&
		      removexattr(f, "trusted.t") == 0,
	      "trusted.t as root");
}

static void kinds(const char *f)
{
	char buf[8];
	int fd, p[2];

	check(symlink("file", path("link")) == 0, "symlink");
	check_errno(lsetxattr(path("link"), "user.x", "x", 1, 0), EPERM,
		    "user.* on a symlink itself");
	check_errno(lgetxattr(path("link"), "user.x", buf, sizeof(buf)),
		    ENODATA, "lgetxattr user.* of a symlink");
	check(setxattr(path("link"), "user.x", "via", 3, 0) == 0 &&
		      getxattr(f, "user.x", buf, sizeof(buf)) == 3,
	      "setxattr follows the symlink");
	check(llistxattr(path("link"), buf, sizeof(buf)) == 0,
	      "llistxattr of the symlink: none");
	check(setxattr(scratch, "user.d", "dir", 3, 0) == 0 &&
		      getxattr(scratch, "user.d", buf, sizeof(buf)) == 3 &&
		      removexattr(scratch, "user.d") == 0,
	      "user.* on a directory");
	check_errno(getxattr("/dev/null", "user.x", buf, sizeof(buf)), ENODATA,
		    "user.* of /dev/null");
	check_errno(setxattr("/dev/null", "user.x", "x", 1, 0), EPERM,
		    "set user.* on /dev/null");
	fd = open(f, O_RDONLY);
	check(fd >= 0 && fsetxattr(fd, "user.f", "fd", 2, 0) == 0 &&
		      fgetxattr(fd, "user.f", buf, sizeof(buf)) == 2 &&
		      flistxattr(fd, NULL, 0) >= 14 &&
		      fremovexattr(fd, "user.f") == 0,
	      "the f- forms on a read-only fd");
	close(fd);
	fd = open(f, O_PATH);
	check_errno(fgetxattr(fd, "user.x", buf, sizeof(buf)), EBADF,
		    "fgetxattr of an O_PATH fd");
	close(fd);
	check_errno(fgetxattr(999, "user.x", buf, sizeof(buf)), EBADF,
		    "fd 999");
	check(pipe(p) == 0, "pipe");
	check_errno(fgetxattr(p[0], "user.x", buf, sizeof(buf)), ENODATA,
		    "user.* of a pipe");
	check_errno(fsetxattr(p[1], "user.x", "x", 1, 0), EPERM,
		    "set user.* on a pipe");
	check_errno(fsetxattr(p[1], "trusted.x", "x", 1, 0), EOPNOTSUPP,
		    "set trusted.* on a pipe");
	check(flistxattr(p[0], buf, sizeof(buf)) == 0, "flistxattr of a pipe");
	close(p[0]);
	close(p[1]);
	check(removexattr(f, "user.x") == 0, "clean up user.x");
}

int main(void)
{
	static char f[128];
	int fd;

	check_start("xattr");
	scratch_start();
	snprintf(f, sizeof(f), "%s",
		 path("file")); /* path() reuses its buffers */
	fd = open(f, O_CREAT | O_WRONLY, 0644);
	check(fd >= 0, "create a file");
	close(fd);
	if (setxattr(f, "user.probe", "", 0, 0) < 0 && errno == EOPNOTSUPP) {
		printf("xattr: SKIP the host's /tmp keeps no user xattrs\n");
		unlink(f);
		rmdir(scratch);
		return 0;
	}
	check(removexattr(f, "user.probe") == 0, "probe attribute removed");
	values(f);
	lists(f);
	names(f);
	kinds(f);
	check(unlink(path("link")) == 0 && unlink(f) == 0 &&
		      rmdir(scratch) == 0,
	      "scratch directory removed");
	return check_done();
}
