/* volume_ops.c - file operations in a directory (a kiln run -v volume, or a host directory), printed so both runs compare. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

#include "check.h"

/*
 * volume_ops ops DIR       create, write, read, rename, unlink, mkdir,
 *                          readdir (sorted), symlink, truncate, stat;
 *                          leaves DIR/guest.bin (64 KiB + 5 of pattern)
 * volume_ops many DIR N    N files made, listed (count, names' digest),
 *                          removed
 * volume_ops big DIR MIB   a MIB MiB file written, read back, digested
 * volume_ops digest FILE   the FNV-1a digest and size of FILE
 * volume_ops ro DIR        a read-only volume: writes fail with EROFS
 * volume_ops cat FILE      FILE's bytes (/proc/mounts)
 */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV0 0xcbf29ce484222325ULL

static void pattern(unsigned char *b, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)((off + i) * 131 + ((off + i) >> 12));
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (not . and ..), sorted, printed and counted. */
static size_t list(const char *dir, int print, uint64_t *digest)
{
	static char *names[5000];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	check(d != NULL, "opendir %s", dir);
	while ((e = readdir(d)) != NULL && n < 5000)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	*digest = FNV0;
	for (size_t i = 0; i < n; i++) {
		if (print)
			note("entry %s", names[i]);
		*digest = fnv(*digest, names[i], strlen(names[i]) + 1);
		free(names[i]);
	}
	return n;
}

static void ops(const char *dir)
{
	static unsigned char buf[65541], back[65541];
	char p[512], q[512], t[64];
	struct stat st;
	uint64_t dg;
	int fd;

	check(chdir(dir) == 0, "chdir");
	pattern(buf, sizeof(buf), 0);
	fd = open("guest.bin", O_CREAT | O_EXCL | O_RDWR, 0644);
	check(fd >= 0, "create guest.bin");
	check(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	      "write 65541");
	check(pread(fd, back, sizeof(back), 0) == (ssize_t)sizeof(back) &&
		      !memcmp(buf, back, sizeof(buf)),
	      "read back");
	check(fstat(fd, &st) == 0 && st.st_size == 65541, "fstat size 65541");
	check(close(fd) == 0, "close");
	check_errno(open("guest.bin", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST,
		    "O_EXCL again");
	check_errno(open("missing", O_RDONLY), ENOENT, "open missing");
	fd = open("small", O_CREAT | O_WRONLY | O_TRUNC, 0600);
	check(fd >= 0 && write(fd, "0123456789", 10) == 10, "write small");
	close(fd);
	check(stat("small", &st) == 0 && st.st_size == 10 &&
		      S_ISREG(st.st_mode),
	      "stat small: 10 bytes");
	check(truncate("small", 4) == 0, "truncate 4");
	check(stat("small", &st) == 0 && st.st_size == 4, "size now 4");
	fd = open("small", O_WRONLY | O_APPEND);
	check(fd >= 0 && write(fd, "xy", 2) == 2, "append 2");
	close(fd);
	fd = open("small", O_RDONLY);
	check(fd >= 0 && read(fd, t, sizeof(t)) == 6 && !memcmp(t, "0123xy", 6),
	      "reads 0123xy");
	close(fd);
	check(mkdir("sub", 0755) == 0, "mkdir sub");
	check_errno(mkdir("sub", 0755), EEXIST, "mkdir sub again");
	check(stat("sub", &st) == 0 && S_ISDIR(st.st_mode),
	      "sub is a directory");
	check(rename("small", "sub/moved") == 0, "rename into sub");
	check_errno(stat("small", &st), ENOENT, "old name gone");
	check(stat("sub/moved", &st) == 0 && st.st_size == 6,
	      "new name, 6 bytes");
	check(link("sub/moved", "hard") == 0, "link");
	check(stat("hard", &st) == 0 && st.st_nlink == 2 && st.st_size == 6,
	      "two links, 6 bytes");
	check(unlink("hard") == 0, "unlink hard");
	check(stat("sub/moved", &st) == 0 && st.st_nlink == 1, "one link left");
	check(symlink("sub/moved", "link") == 0, "symlink");
	check(readlink("link", p, sizeof(p)) == 9 && !memcmp(p, "sub/moved", 9),
	      "readlink");
	check(lstat("link", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 9,
	      "lstat link");
	check(stat("link", &st) == 0 && st.st_size == 6, "stat through link");
	check_errno(rmdir("sub"), ENOTEMPTY, "rmdir non-empty");
	check_errno(unlink("sub"), EISDIR, "unlink a directory");
	note("%zu entries", list(".", 1, &dg));
	check(unlink("link") == 0, "unlink link");
	check(unlink("sub/moved") == 0, "unlink sub/moved");
	check(rmdir("sub") == 0, "rmdir sub");
	check_errno(unlink("sub"), ENOENT, "unlink gone");
	snprintf(q, sizeof(q), "%s/guest.bin", dir);
	check(stat(q, &st) == 0 && st.st_size == 65541, "absolute path stat");
	note("%zu entries left", list(".", 1, &dg));
	printf("volume_ops: all %d checks passed\n", check_count);
}

static void many(const char *dir, int n)
{
	char p[512];
	uint64_t dg;
	size_t got;

	for (int i = 0; i < n; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/f%05d", dir, i);
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || write(fd, p, 8) != 8 || close(fd) < 0)
			fail(p);
	}
	check(1, "%d files made", n);
	got = list(dir, 0, &dg);
	note("%zu listed, names digest %016llx", got, (unsigned long long)dg);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%05d", dir, i);
		if (unlink(p) < 0)
			fail(p);
	}
	check(list(dir, 0, &dg) == 0, "all removed");
	printf("volume_ops: all %d checks passed\n", check_count);
}

static void big(const char *dir, long mib)
{
	static unsigned char buf[1 << 20];
	char p[512];
	uint64_t h = FNV0, h2 = FNV0;
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/big.bin", dir);
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);
	check(fd >= 0, "create big.bin");
	for (long i = 0; i < mib; i++) {
		pattern(buf, sizeof(buf), (size_t)i << 20);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			fail("write 1 MiB");
		h = fnv(h, buf, sizeof(buf));
	}
	check(fsync(fd) == 0, "fsync");
	check(fstat(fd, &st) == 0 && st.st_size == mib << 20, "size %ld MiB",
	      mib);
	check(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	for (long i = 0; i < mib; i++) {
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			fail("read 1 MiB");
		h2 = fnv(h2, buf, sizeof(buf));
	}
	check(h == h2, "read back digest %016llx", (unsigned long long)h);
	close(fd);
	printf("volume_ops: all %d checks passed\n", check_count);
}

static void digest(const char *path)
{
	static unsigned char buf[1 << 16];
	uint64_t h = FNV0;
	long long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	check(fd >= 0, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = fnv(h, buf, (size_t)n);
		total += n;
	}
	check(n == 0, "read to the end");
	note("%lld bytes, digest %016llx", total, (unsigned long long)h);
}

static void cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	check(fd >= 0, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

static void ro(const char *dir)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/host.txt", dir);
	fd = open(p, O_RDONLY);
	check(fd >= 0, "read-only open of host.txt");
	close(fd);
	check_errno(open(p, O_WRONLY), EROFS, "open for writing");
	snprintf(p, sizeof(p), "%s/new", dir);
	check_errno(open(p, O_CREAT | O_WRONLY, 0644), EROFS, "create");
	check_errno(mkdir(p, 0755), EROFS, "mkdir");
	check_errno(symlink("x", p), EROFS, "symlink");
	snprintf(p, sizeof(p), "%s/host.txt", dir);
	check_errno(unlink(p), EROFS, "unlink");
	check_errno(truncate(p, 0), EROFS, "truncate");
	printf("volume_ops: all %d checks passed\n", check_count);
}

int main(int argc, char **argv)
{
	check_start("volume_ops");
	if (argc == 3 && !strcmp(argv[1], "ops"))
		ops(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "many") && !chdir(argv[2]))
		many(".", atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "big") && !chdir(argv[2]))
		big(".", atol(argv[3]));
	else if (argc == 3 && !strcmp(argv[1], "digest"))
		digest(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "cat"))
		cat(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "ro"))
		ro(argv[2]);
	else
		fail("usage: volume_ops ops|many|big|digest|ro DIR [N]");
	return 0;
}
