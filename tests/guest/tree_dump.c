/* tree_dump.c - prints a directory tree (types, modes, sizes, times, contents' hashes, link targets), and checks a read-only mount refuses writes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

/*
 * tree_dump dump DIR: every entry under DIR, sorted by name, one line
 * each: the same output natively on a host directory and under Kiln on
 * an ext4 made from it with mke2fs -d (tests/e2e/test_ext4.py).
 * tree_dump cat FILE: its bytes (/proc/mounts).
 * tree_dump exec PROG ARGS...: execv (a program on the mount).
 * tree_dump rocheck DIR FILE SUBDIR: DIR is on a read-only mount;
 * every kind of write is EROFS; prints statfs and getcwd (Kiln only).
 * tree_dump twonames A B: A and B name one inode that says it has one
 * link (a hostile image): unlink A while a thread stats B (Kiln only).
 */
static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_file(const char *path, const struct stat *st)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL, total = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("  open: %s\n", check_errno_name(errno));
		return;
	}
	if (st->st_size > (16 << 20)) { /* a sparse giant: its two ends */
		n = pread(fd, buf, sizeof(buf), 0);
		h = fnv(buf, n > 0 ? (size_t)n : 0, h);
		total += n > 0 ? (uint64_t)n : 0;
		n = pread(fd, buf, sizeof(buf), st->st_size - 1000);
		h = fnv(buf, n > 0 ? (size_t)n : 0, h);
		total += n > 0 ? (uint64_t)n : 0;
	}
	while (st->st_size <= (16 << 20) &&
	       (n = read(fd, buf, sizeof(buf))) > 0) {
		h = fnv(buf, (size_t)n, h);
		total += (uint64_t)n;
	}
	printf("  read %llu bytes fnv %016llx%s\n", (unsigned long long)total,
	       (unsigned long long)h, n < 0 ? " ERROR" : "");
	if (st->st_size >
	    100) { /* a pread in the middle, an lseek to the end */
		n = pread(fd, buf, 7, st->st_size / 2 - 3);
		printf("  pread %zd fnv %016llx end %lld\n", n,
		       (unsigned long long)fnv(buf, n > 0 ? (size_t)n : 0,
					       0xcbf29ce484222325ULL),
		       (long long)lseek(fd, 0, SEEK_END));
	}
	close(fd);
}

static void dump(const char *dir, const char *rel)
{
	char path[4096], *names[4096], target[4096];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL) {
		printf("%s: opendir %s\n", rel, check_errno_name(errno));
		return;
	}
	while ((e = readdir(d)) != NULL && n < 4096)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "lost+found"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char sub[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 names[i]);
		if (lstat(path, &st) < 0) {
			printf("%s: lstat %s\n", sub, check_errno_name(errno));
			continue;
		}
		printf("%s: mode %o uid %u gid %u mtime %lld", sub,
		       (unsigned)st.st_mode, (unsigned)st.st_uid,
		       (unsigned)st.st_gid, (long long)st.st_mtime);
		if (!S_ISDIR(st.st_mode))
			printf(" nlink %lu size %lld",
			       (unsigned long)st.st_nlink,
			       (long long)st.st_size);
		printf("\n");
		if (S_ISREG(st.st_mode)) {
			dump_file(path, &st);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t len = readlink(path, target, sizeof(target));

			printf("  -> %.*s\n", (int)(len > 0 ? len : 0), target);
		} else if (S_ISDIR(st.st_mode)) {
			dump(path, sub);
		}
		free(names[i]);
	}
}

static void expect_erofs(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? check_errno_name(errno) : "done");
}

static void rocheck(const char *dir, const char *file, const char *subdir)
{
	char path[4096], cwd[4096];
	struct statfs sf;

	snprintf(path, sizeof(path), "%s/new", dir);
	expect_erofs("open O_WRONLY", open(file, O_WRONLY));
	expect_erofs("open O_RDWR", open(file, O_RDWR));
	expect_erofs("open O_CREAT", open(path, O_CREAT | O_WRONLY, 0644));
	expect_erofs("mkdir", mkdir(path, 0755));
	expect_erofs("symlink", symlink("x", path));
	expect_erofs("link", link(file, path));
	expect_erofs("rename", rename(file, path));
	expect_erofs("unlink", unlink(file));
	expect_erofs("rmdir", rmdir(subdir));
	expect_erofs("chmod", chmod(file, 0600));
	expect_erofs("chown", chown(file, 0, 0));
	expect_erofs("truncate", truncate(file, 0));
	expect_erofs("utimes", utimes(file, NULL));
	expect_erofs("access W_OK", access(file, W_OK));
	printf("access R_OK: %d\n", access(file, R_OK));
	if (statfs(dir, &sf) == 0)
		printf("statfs: type %lx bsize %ld blocks %llu bfree %llu "
		       "files %llu ffree %llu namelen %ld rdonly %d\n",
		       (unsigned long)sf.f_type, (long)sf.f_bsize,
		       (unsigned long long)sf.f_blocks,
		       (unsigned long long)sf.f_bfree,
		       (unsigned long long)sf.f_files,
		       (unsigned long long)sf.f_ffree, (long)sf.f_namelen,
		       (int)(sf.f_flags & 1));
	if (chdir(subdir) == 0 && getcwd(cwd, sizeof(cwd)) != NULL)
		printf("getcwd: %s\n", cwd);
	else
		printf("getcwd: %s\n", check_errno_name(errno));
}

static const char *other_name;
static volatile int unlinked;
static int stat_ok, stat_gone, stat_other;

/*
 * Stat B until A is unlinked: it is there, or not once A's inode goes
 * (Kiln logs the bad inode and answers ENOENT, EIO where Linux did).
 */
static void *stat_loop(void *arg)
{
	struct stat st;

	(void)arg;
	do {
		if (stat(other_name, &st) == 0)
			stat_ok++;
		else if (errno == ENOENT || errno == EIO)
			stat_gone++;
		else
			stat_other++;
		sched_yield();
	} while (!unlinked);
	return NULL;
}

static int twonames(const char *a, const char *b)
{
	struct stat st;
	pthread_t t;

	other_name = b;
	if (stat(b, &st) != 0)
		return printf("stat b: %s\n", check_errno_name(errno)), 1;
	printf("stat b: %lu link\n", (unsigned long)st.st_nlink);
	if (pthread_create(&t, NULL, stat_loop, NULL) != 0)
		return printf("pthread_create failed\n"), 1;
	sched_yield();
	printf("unlink a: %d\n", unlink(a));
	unlinked = 1;
	pthread_join(t, NULL);
	printf("stats of b meanwhile: %s, %d neither there nor gone\n",
	       stat_ok + stat_gone > 0 ? "some" : "none", stat_other);
	printf("stat b: %s\n",
	       stat(b, &st) == 0 ? "there" : check_errno_name(errno));
	return 0;
}

int main(int argc, char **argv)
{
	check_prog = "tree_dump";
	if (argc == 3 && strcmp(argv[1], "dump") == 0) {
		dump(argv[2], "");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "cat") == 0) {
		char buf[4096];
		int fd = open(argv[2], O_RDONLY);
		ssize_t n;

		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		return fd < 0;
	}
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		execv(argv[2], argv + 2);
		printf("execv: %s\n", check_errno_name(errno));
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "rocheck") == 0) {
		rocheck(argv[2], argv[3], argv[4]);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "twonames") == 0)
		return twonames(argv[2], argv[3]);
	fprintf(stderr, "usage: tree_dump dump DIR | cat FILE | rocheck DIR "
			"FILE SUBDIR | twonames A B\n");
	return 2;
}
