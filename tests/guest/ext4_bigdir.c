/* ext4_bigdir.c - thousands of names in one directory (an indexed directory on an ext4 disk under Kiln, a host directory natively): create, look up, list, unlink, rename, create again, seekdir back. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"

#define N 4000

static char big[512];
static unsigned char seen[3][N]; /* file-, moved-, again- */

static void name_of(char *out, size_t size, const char *prefix, int i)
{
	static const char *tails[] = { "", "-x", "-some-longer-tail",
				       "-\xc3\xa9t\xc3\xa9" };

	snprintf(out, size, "%s/%s-%05d%s", big, prefix, i, tails[i % 4]);
}

static int make(const char *path, int i)
{
	char body[32];
	int n = snprintf(body, sizeof(body), "%d\n", i);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, body, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Each name the directory lists, counted by prefix; none twice. */
static void list(int want_file, int want_moved, int want_again)
{
	static const char *fmt[3] = { "file-%5d", "moved-%5d", "again-%5d" };
	int count[3] = { 0 }, other = 0, twice = 0;
	DIR *d = opendir(big);
	struct dirent *e;

	check(d != NULL, "opendir");
	memset(seen, 0, sizeof(seen));
	while ((e = readdir(d)) != NULL) {
		int i, k;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		for (k = 0; k < 3; k++)
			if (sscanf(e->d_name, fmt[k], &i) == 1 && i >= 0 &&
			    i < N)
				break;
		if (k == 3) {
			other++;
			continue;
		}
		count[k]++;
		twice += seen[k][i];
		seen[k][i] = 1;
	}
	closedir(d);
	check(count[0] == want_file && count[1] == want_moved &&
		      count[2] == want_again && other == 0 && twice == 0,
	      "readdir lists %d file-, %d moved-, %d again- names once each",
	      want_file, want_moved, want_again);
}

static int content_ok(const char *path, int i)
{
	char buf[32], want[32];
	int n = snprintf(want, sizeof(want), "%d\n", i),
	    fd = open(path, O_RDONLY);
	long r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r == n && memcmp(buf, want, (size_t)n) == 0;
}

int main(int argc, char **argv)
{
	char path[600], to[600];
	struct stat st;
	int bad = 0;

	check_start("ext4_bigdir");
	if (argc != 2)
		fail("usage: ext4_bigdir DIR");
	snprintf(big, sizeof(big), "%s/big", argv[1]);
	check(mkdir(big, 0755) == 0, "mkdir big");
	for (int i = 0; i < N; i++) {
		name_of(path, sizeof(path), "file", i);
		bad += make(path, i) != 0;
	}
	check(bad == 0, "%d files created", N);
	name_of(path, sizeof(path), "file", N / 3);
	check_errno(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST,
		    "O_EXCL on a name of the middle");
	for (int i = 0; i < N; i++) {
		name_of(path, sizeof(path), "file", i);
		bad += stat(path, &st) != 0 || !content_ok(path, i);
	}
	check(bad == 0, "every name found by stat, with its bytes");
	list(N, 0, 0);
	for (int i = 0; i < N; i += 3) {
		name_of(path, sizeof(path), "file", i);
		bad += unlink(path) != 0;
	}
	check(bad == 0, "every third name unlinked");
	for (int i = 0; i < N; i++) {
		name_of(path, sizeof(path), "file", i);
		bad += (stat(path, &st) == 0) != (i % 3 != 0);
	}
	check(bad == 0, "unlinked names gone, the others found");
	for (int i = 1; i < N; i += 5) {
		if (i % 3 == 0)
			continue;
		name_of(path, sizeof(path), "file", i);
		name_of(to, sizeof(to), "moved", i);
		bad += rename(path, to) != 0;
		bad += stat(path, &st) == 0 || !content_ok(to, i);
	}
	check(bad == 0, "renamed names found under the new name only");
	for (int i = 0; i < N; i += 3) {
		name_of(path, sizeof(path), "again", i);
		bad += make(path, i) != 0;
	}
	check(bad == 0, "new names where old ones were");
	{
		int removed = (N + 2) / 3, moved = 0;

		for (int i = 1; i < N; i += 5)
			moved += i % 3 != 0;
		list(N - removed - moved, moved, removed);
	}
	{
		DIR *d = opendir(big);
		char first[300] = "", again[300] = "";
		struct dirent *e;
		long at = 0;

		for (int k = 0; k < N / 2 && (e = readdir(d)) != NULL; k++)
			at = telldir(d);
		e = readdir(d);
		if (e != NULL)
			strcpy(first, e->d_name);
		seekdir(d, at);
		e = readdir(d);
		if (e != NULL)
			strcpy(again, e->d_name);
		closedir(d);
		check(first[0] && strcmp(first, again) == 0,
		      "seekdir to a telldir cookie reads the same name again");
	}
	printf("ext4_bigdir: all %d checks passed\n", check_count);
	return 0;
}
