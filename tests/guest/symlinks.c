/* symlinks.c - guest test: symlink/readlink, lstat vs stat, ELOOP. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void make_file(const char *p, const char *text)
{
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	check(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	      "create %s", strrchr(p, '/') + 1);
	close(fd);
}

static int read_text(const char *p, char *buf, size_t sz)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return (int)n;
}

static void basics(void)
{
	char buf[128];
	struct stat st;
	ssize_t n;

	make_file(path("target"), "target text\n");
	check(symlink("target", path("link")) == 0, "symlink link -> target");
	n = readlink(path("link"), buf, sizeof(buf));
	check(n == 6 && memcmp(buf, "target", 6) == 0,
	      "readlink gives 'target' (6 bytes)");
	check(readlink(path("link"), buf, 3) == 3 && memcmp(buf, "tar", 3) == 0,
	      "readlink truncates to the buffer");
	check(lstat(path("link"), &st) == 0 && S_ISLNK(st.st_mode) &&
		      st.st_size == 6,
	      "lstat sees a 6-byte symlink");
	check(stat(path("link"), &st) == 0 && S_ISREG(st.st_mode) &&
		      st.st_size == 12,
	      "stat follows it to the 12-byte file");
	check(read_text(path("link"), buf, sizeof(buf)) == 12 &&
		      strcmp(buf, "target text\n") == 0,
	      "open follows the link");
	check_errno(readlink(path("target"), buf, sizeof(buf)), EINVAL,
		    "readlink a regular file");
	check_errno(readlink(path("none"), buf, sizeof(buf)), ENOENT,
		    "readlink a missing path");
	check_errno(symlink("x", path("link")), EEXIST,
		    "symlink over an existing name");
	check_errno(open(path("link"), O_RDONLY | O_NOFOLLOW), ELOOP,
		    "O_NOFOLLOW on a symlink");
}

static void dangling_and_loops(void)
{
	struct stat st;

	check(symlink("nowhere", path("dangling")) == 0,
	      "symlink to a missing target");
	check_errno(stat(path("dangling"), &st), ENOENT,
		    "stat a dangling link");
	check(lstat(path("dangling"), &st) == 0 && S_ISLNK(st.st_mode),
	      "lstat a dangling link");
	check(open(path("dangling"), O_CREAT | O_WRONLY, 0644) >= 0 &&
		      stat(path("nowhere"), &st) == 0,
	      "O_CREAT through a dangling link creates the target");
	check(symlink("loop-b", path("loop-a")) == 0 &&
		      symlink("loop-a", path("loop-b")) == 0,
	      "two links pointing at each other");
	check_errno(open(path("loop-a"), O_RDONLY), ELOOP, "open a link loop");
	check_errno(stat(path("loop-a"), &st), ELOOP, "stat a link loop");
	check(symlink("self", path("self")) == 0, "a link to itself");
	check_errno(stat(path("self/x"), &st), ELOOP,
		    "a loop in the middle of a path");
}

static void directories(void)
{
	char buf[128], abs_target[sizeof(scratch) + 8];
	struct stat st;

	check(mkdir(path("dir"), 0755) == 0, "mkdir dir");
	make_file(path("dir/inner"), "inner\n");
	check(symlink("dir", path("dirlink")) == 0, "symlink to a directory");
	check(read_text(path("dirlink/inner"), buf, sizeof(buf)) == 6 &&
		      strcmp(buf, "inner\n") == 0,
	      "a path walks through the directory link");
	check(symlink("../target", path("dir/up")) == 0 &&
		      read_text(path("dir/up"), buf, sizeof(buf)) == 12,
	      "a relative link resolves from its own directory");
	snprintf(abs_target, sizeof(abs_target), "%s/target", scratch);
	check(symlink(abs_target, path("abs")) == 0 &&
		      read_text(path("abs"), buf, sizeof(buf)) == 12,
	      "an absolute link");
	check(symlink("dirlink/../dirlink/inner", path("chain")) == 0 &&
		      read_text(path("chain"), buf, sizeof(buf)) == 6,
	      "a link through a link");
	check(lstat(path("dirlink"), &st) == 0 && S_ISLNK(st.st_mode) &&
		      stat(path("dirlink"), &st) == 0 && S_ISDIR(st.st_mode),
	      "lstat vs stat on a dir link");
	check(unlink(path("dirlink")) == 0 && stat(path("dir/inner"), &st) == 0,
	      "unlink a link leaves the target");
	check(readlinkat(AT_FDCWD, path("abs"), buf, sizeof(buf)) ==
		      (ssize_t)strlen(abs_target),
	      "readlinkat");
}

static void cleanup(void)
{
	const char *names[] = { "link",	  "target", "dangling", "nowhere",
				"loop-a", "loop-b", "self",	"dir/inner",
				"dir/up", "abs",    "chain" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlink(path(names[i])) != 0)
			check(0, "unlink %s", names[i]);
	check(rmdir(path("dir")) == 0 && rmdir(scratch) == 0,
	      "everything removed");
}

int main(void)
{
	check_start("symlinks");
	scratch_start();
	basics();
	dangling_and_loops();
	directories();
	cleanup();
	return check_done();
}
