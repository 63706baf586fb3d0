/* ext4_ops.c - file operations on a writable directory (an ext4 disk under Kiln, a host directory natively), each result printed: data, holes, truncate, rename, links, symlinks, unlink while open, attributes, a directory of many names. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "check.h"

static char path_buf[4][512];

/* dir/name in one of four rotating buffers. */
static const char *P(const char *dir, const char *name)
{
	static int k;
	char *p = path_buf[k++ % 4];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

static void said(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, check_errno_name(errno));
	else
		printf("%s: %ld\n", what, r);
}

static unsigned char pat(long i, int seed)
{
	return (unsigned char)(i * 7 + seed + (i >> 11));
}

static void put(const char *path, long off, long n, int seed, int flags)
{
	unsigned char *b = malloc((size_t)n);
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	for (long i = 0; i < n; i++)
		b[i] = pat(off + i, seed);
	said("open for writing", fd < 0 ? -1 : 0);
	said("pwrite", pwrite(fd, b, (size_t)n, off));
	said("fsync", fsync(fd));
	close(fd);
	free(b);
}

/* A file's size and a sum of its bytes (and how many were zeros). */
static void sum(const char *label, const char *path)
{
	unsigned char b[4096];
	unsigned long s = 0, zeros = 0, n = 0;
	struct stat st;
	long r;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("%s: open %s\n", label, check_errno_name(errno));
		return;
	}
	while ((r = read(fd, b, sizeof(b))) > 0)
		for (long i = 0; i < r; i++, n++) {
			s = s * 31 + b[i];
			zeros += b[i] == 0;
		}
	fstat(fd, &st);
	close(fd);
	printf("%s: size %lld read %lu sum %lx zeros %lu nlink %lu mode %o\n",
	       label, (long long)st.st_size, n, s, zeros,
	       (unsigned long)st.st_nlink, st.st_mode);
}

static void names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0, files = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		n++;
		files += e->d_type == DT_REG;
	}
	if (d != NULL)
		closedir(d);
	printf("readdir %s: %d entries, %d regular\n", strrchr(dir, '/'), n,
	       files);
}

static void data(const char *t)
{
	struct stat st;
	int fd;

	put(P(t, "a"), 0, 10000, 1, 0);
	put(P(t, "a"), 3000, 2000, 2, 0);
	put(P(t, "a"), 9000, 3000, 3, O_APPEND); /* lands at 10000 */
	sum("a", P(t, "a"));
	put(P(t, "holes"), 1 << 20, 5000, 4, 0);
	put(P(t, "holes"), 8192, 100, 5, 0);
	sum("holes", P(t, "holes"));
	said("truncate a 5000", truncate(P(t, "a"), 5000));
	said("truncate a 20000", truncate(P(t, "a"), 20000));
	sum("a truncated", P(t, "a"));
	put(P(t, "big"), 0, 3 << 20, 6, 0);
	sum("big", P(t, "big"));
	/* Preallocated (unwritten) blocks read as zeros until written. */
	fd = open(P(t, "fa"), O_RDWR | O_CREAT, 0644);
	said("fallocate keep_size",
	     fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 40960));
	fstat(fd, &st);
	printf("fa size %lld\n", (long long)st.st_size);
	said("fallocate", fallocate(fd, 0, 0, 20000));
	close(fd);
	put(P(t, "fa"), 5000, 3000, 10, 0);
	sum("fa", P(t, "fa"));
}

static void namespace(const char *t)
{
	char buf[256];
	struct stat st;
	int fd;

	said("mkdir d", mkdir(P(t, "d"), 0755));
	said("mkdir d again", mkdir(P(t, "d"), 0755));
	said("mkdir d/e", mkdir(P(t, "d/e"), 0700));
	put(P(t, "d/e/f"), 0, 100000, 7, 0);
	said("rmdir d", rmdir(P(t, "d")));
	said("rename d/e/f d/g", rename(P(t, "d/e/f"), P(t, "d/g")));
	said("link d/g h", link(P(t, "d/g"), P(t, "h")));
	sum("h", P(t, "h"));
	said("unlink h", unlink(P(t, "h")));
	said("unlink d/e", unlink(P(t, "d/e")));
	said("rmdir d/g", rmdir(P(t, "d/g")));
	said("mkdir x", mkdir(P(t, "x"), 0755));
	said("rename d/e x", rename(P(t, "d/e"), P(t, "x")));
	said("rename d x/sub", rename(P(t, "d"), P(t, "x/sub")));
	said("rename x x/sub/in", rename(P(t, "x"), P(t, "x/sub/in")));
	said("stat x", stat(P(t, "x"), &st));
	printf("x nlink %lu\n", (unsigned long)st.st_nlink);
	put(P(t, "over"), 0, 10, 8, 0);
	said("rename over onto x/sub/g", rename(P(t, "over"), P(t, "x/sub/g")));
	sum("x/sub/g", P(t, "x/sub/g"));
	said("symlink fast", symlink("x/sub/g", P(t, "fast")));
	said("symlink slow",
	     symlink("a/target/long/enough/not/to/fit/in/the/inode/itself/"
		     "so/it/needs/a/block",
		     P(t, "slow")));
	memset(buf, 0, sizeof(buf));
	said("readlink slow", readlink(P(t, "slow"), buf, sizeof(buf)));
	printf("slow -> %s\n", buf);
	sum("through fast", P(t, "fast"));
	/* Unlinked while open: still read through the descriptor. */
	put(P(t, "open"), 0, 50000, 9, 0);
	fd = open(P(t, "open"), O_RDONLY);
	said("unlink open", unlink(P(t, "open")));
	said("read after unlink", read(fd, buf, 100));
	fstat(fd, &st);
	printf("nlink after unlink %lu, first byte %d\n",
	       (unsigned long)st.st_nlink, buf[0]);
	close(fd);
	said("stat open", stat(P(t, "open"), &st));
}

static void attrs(const char *t)
{
	struct timespec ts[2] = { { 1000000000, 5 },
				  { 1600000000, 123456789 } };
	struct stat st;

	said("chmod", chmod(P(t, "a"), 0600));
	said("utimensat", utimensat(AT_FDCWD, P(t, "a"), ts, 0));
	said("stat", stat(P(t, "a"), &st));
	printf("a mode %o atime %lld.%ld mtime %lld.%ld\n", st.st_mode,
	       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	said("mkdir many", mkdir(P(t, "many"), 0755));
	for (int i = 0; i < 400; i++) {
		char name[64];
		int fd;

		snprintf(name, sizeof(name), "many/a-longer-name-%04d", i);
		fd = open(P(t, name), O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || write(fd, name, 5) != 5) {
			printf("create %s: %s\n", name,
			       check_errno_name(errno));
			return;
		}
		close(fd);
	}
	for (int i = 0; i < 400; i += 4) {
		char name[64];

		snprintf(name, sizeof(name), "many/a-longer-name-%04d", i);
		if (unlink(P(t, name)) < 0)
			printf("unlink %s: %s\n", name,
			       check_errno_name(errno));
	}
	names(P(t, "many"));
	sync();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ext4_ops DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	data(argv[1]);
	namespace(argv[1]);
	attrs(argv[1]);
	printf("done\n");
	return 0;
}
