/* dirs.c - guest test: mkdir/rmdir, readdir (getdents), chdir/getcwd. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Lists dir sorted, "." and ".." left out, into out ("a b c/" with a slash
 * after directories); returns the entry count or -1. Sets *dots to how many
 * of "." and ".." were seen.
 */
static int list_dir(const char *dir, char *out, size_t outsz, int *dots)
{
	char *names[512];
	struct dirent *d;
	int n = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return -1;
	*dots = 0;
	out[0] = 0;
	while ((d = readdir(dp)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
			++*dots;
			continue;
		}
		if (n == 512)
			break;
		names[n] = malloc(strlen(d->d_name) + 2);
		strcpy(names[n], d->d_name);
		if (d->d_type == DT_DIR)
			strcat(names[n], "/");
		else if (d->d_type != DT_REG)
			strcat(names[n], "?");
		n++;
	}
	closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		if (i < 20 && strlen(out) + strlen(names[i]) + 2 < outsz) {
			if (i)
				strcat(out, " ");
			strcat(out, names[i]);
		}
		free(names[i]);
	}
	return n;
}

static void touch(const char *p)
{
	int fd = open(p, O_CREAT | O_WRONLY, 0644);

	if (fd >= 0)
		close(fd);
}

static void make_and_list(void)
{
	char out[256];
	int dots = 0;
	int n;

	check(mkdir(path("d"), 0755) == 0, "mkdir d");
	check_errno(mkdir(path("d"), 0755), EEXIST,
		    "mkdir an existing directory");
	check_errno(mkdir(path("x/y"), 0755), ENOENT,
		    "mkdir under a missing parent");
	n = list_dir(path("d"), out, sizeof(out), &dots);
	check(n == 0 && dots == 2, "new directory lists only . and ..");
	touch(path("d/c"));
	touch(path("d/a"));
	touch(path("d/b"));
	check(mkdir(path("d/z"), 0700) == 0, "mkdir d/z");
	n = list_dir(path("d"), out, sizeof(out), &dots);
	note("d lists %d entries: %s", n, out);
	check(n == 4 && dots == 2 && strcmp(out, "a b c z/") == 0,
	      "readdir sees files and a directory with their types");
	check_errno((long)(opendir(path("d/a")) ? 0 : -1), ENOTDIR,
		    "opendir a file");
	check_errno((long)(opendir(path("none")) ? 0 : -1), ENOENT,
		    "opendir a missing path");
}

static void many_entries(void)
{
	char name[64], out[256];
	int dots, n;

	check(mkdir(path("many"), 0755) == 0, "mkdir many");
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name),
			 "many/file-with-a-longish-name-%03d", i);
		touch(path(name));
	}
	n = list_dir(path("many"), out, sizeof(out), &dots);
	check(n == 300 && dots == 2,
	      "readdir returns all 300 entries over several getdents");
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name),
			 "many/file-with-a-longish-name-%03d", i);
		if (unlink(path(name)) != 0)
			check(0, "unlink %s", name);
	}
	n = list_dir(path("many"), out, sizeof(out), &dots);
	check(n == 0 && dots == 2, "all 300 unlinked");
	check(rmdir(path("many")) == 0, "rmdir many");
}

static void cwd(void)
{
	char buf[256], want[sizeof(scratch) + 2];
	struct stat st;
	int fd;

	snprintf(want, sizeof(want), "%s/d", scratch);
	check(chdir(path("d")) == 0, "chdir d");
	check(getcwd(buf, sizeof(buf)) && strcmp(buf, want) == 0,
	      "getcwd is the new directory");
	check(stat("a", &st) == 0 && S_ISREG(st.st_mode),
	      "relative path resolves in cwd");
	fd = open("rel", O_CREAT | O_WRONLY, 0644);
	check(fd >= 0, "create a file by relative path");
	close(fd);
	check(stat(path("d/rel"), &st) == 0, "it is in the new directory");
	check(chdir("z") == 0 && chdir("..") == 0 && getcwd(buf, sizeof(buf)) &&
		      strcmp(buf, want) == 0,
	      "chdir z then .. comes back");
	check(chdir("./z/../..") == 0 && getcwd(buf, sizeof(buf)) &&
		      strcmp(buf, scratch) == 0,
	      "chdir ./z/../.. goes to the parent");
	check_errno(chdir(path("d/a")), ENOTDIR, "chdir to a file");
	check_errno(chdir(path("nope")), ENOENT, "chdir to a missing path");
	check_errno((long)(getcwd(buf, 2) ? 0 : -1), ERANGE,
		    "getcwd into a tiny buffer");
	fd = open(path("d"), O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fchdir(fd) == 0 && getcwd(buf, sizeof(buf)) &&
		      strcmp(buf, want) == 0,
	      "fchdir");
	close(fd);
	check(chdir("/") == 0 && getcwd(buf, sizeof(buf)) &&
		      strcmp(buf, "/") == 0,
	      "chdir /");
}

static void removal(void)
{
	struct stat st;

	check_errno(rmdir(path("d")), ENOTEMPTY, "rmdir a non-empty directory");
	check_errno(rmdir(path("d/a")), ENOTDIR, "rmdir a file");
	check_errno(rmdir(path("d/none")), ENOENT, "rmdir a missing directory");
	check_errno(unlink(path("d/z")), EISDIR, "unlink a directory");
	check(rename(path("d/z"), path("d/y")) == 0 &&
		      stat(path("d/y"), &st) == 0 && S_ISDIR(st.st_mode),
	      "rename a directory");
	check(rmdir(path("d/y")) == 0, "rmdir an empty directory");
	check(unlink(path("d/a")) == 0 && unlink(path("d/b")) == 0 &&
		      unlink(path("d/c")) == 0 && unlink(path("d/rel")) == 0,
	      "unlink the files");
	check(rmdir(path("d")) == 0, "rmdir d once empty");
	check_errno(stat(path("d"), &st), ENOENT, "d is gone");
}

int main(void)
{
	check_start("dirs");
	scratch_start();
	make_and_list();
	many_entries();
	cwd();
	removal();
	check(rmdir(scratch) == 0, "scratch directory removed");
	return check_done();
}
