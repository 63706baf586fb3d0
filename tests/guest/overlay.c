/* overlay.c - changes to files of a tree as a writable root over a read-only disk takes them (copy-up, whiteouts, merged readdir). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/*
 * overlay [BASE [pristine]]: the tree under BASE/etc/app is the image's
 * (on a root disk: the lower layer); without BASE the program makes it
 * in a fresh directory of /tmp. "pristine" checks only that the tree is
 * as built (a second run of an image: the first run's changes gone).
 */
static char base[256];

static const char *at(const char *rel)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

static void put(const char *rel, const char *text)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail(rel);
	close(fd);
}

/* The whole file's text, or "" with errno when it cannot be read. */
static const char *get(const char *rel)
{
	static char buf[256];
	int fd = open(at(rel), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void populate(void)
{
	const char *dirs[] = { "etc", "etc/app", "etc/app/sub",
			       "etc/app/olddir" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(at(dirs[i]), 0755) < 0)
			fail(dirs[i]);
	put("etc/app/a.conf", "alpha\n");
	put("etc/app/b.conf", "bravo\n");
	put("etc/app/keep", "keep\n");
	put("etc/app/trunc", "0123456789\n");
	put("etc/app/m.txt", "mapped\n");
	put("etc/app/sub/s1", "s1\n");
	put("etc/app/olddir/f", "f\n");
}

/* The names of dir, sorted, as one line. */
static const char *listing(const char *rel)
{
	static char out[512];
	char names[32][256];
	int n = 0;
	DIR *d = opendir(at(rel));
	struct dirent *e;

	out[0] = '\0';
	if (d == NULL)
		return "(cannot open)";
	while ((e = readdir(d)) != NULL && n < 32)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]),
	      (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, names[i]);
	}
	return out;
}

static void pristine(void)
{
	struct stat st;

	check(strcmp(get("etc/app/a.conf"), "alpha\n") == 0, "a.conf as built");
	check(strcmp(get("etc/app/b.conf"), "bravo\n") == 0, "b.conf as built");
	check(stat(at("etc/x"), &st) < 0 && errno == ENOENT, "no etc/x");
	check(strcmp(listing("etc/app"),
		     "a.conf b.conf keep m.txt olddir sub trunc") == 0,
	      "listing as built: %s", listing("etc/app"));
}

static void writes(void)
{
	struct stat st, st2;
	int fd;

	put("etc/x", "new\n");
	check(strcmp(get("etc/x"), "new\n") == 0, "write a new etc/x");
	stat(at("etc/app/a.conf"), &st);
	fd = open(at("etc/app/a.conf"), O_WRONLY | O_APPEND);
	check(fd >= 0 && write(fd, "more\n", 5) == 5, "append to a.conf");
	close(fd);
	check(strcmp(get("etc/app/a.conf"), "alpha\nmore\n") == 0,
	      "the append keeps the old bytes");
	stat(at("etc/app/a.conf"), &st2);
	check(st.st_ino == st2.st_ino && st.st_dev == st2.st_dev &&
		      st2.st_size == 11,
	      "same file after the copy: inode, device, size 11");
	check(truncate(at("etc/app/trunc"), 4) == 0 &&
		      strcmp(get("etc/app/trunc"), "0123") == 0,
	      "truncate a file to 4 bytes");
	check(chmod(at("etc/app/keep"), 0600) == 0 &&
		      stat(at("etc/app/keep"), &st) == 0 &&
		      (st.st_mode & 07777) == 0600 &&
		      strcmp(get("etc/app/keep"), "keep\n") == 0,
	      "chmod 0600, the data kept");
}

static void removals(void)
{
	struct stat st;

	check(unlink(at("etc/app/b.conf")) == 0, "unlink b.conf");
	check(stat(at("etc/app/b.conf"), &st) < 0 && errno == ENOENT,
	      "b.conf gone (ENOENT)");
	check(rename(at("etc/app/keep"), at("etc/app/kept")) == 0 &&
		      stat(at("etc/app/keep"), &st) < 0 && errno == ENOENT &&
		      strcmp(get("etc/app/kept"), "keep\n") == 0,
	      "rename keep to kept");
	check(rename(at("etc/app/olddir"), at("etc/app/newdir")) == 0 &&
		      stat(at("etc/app/olddir"), &st) < 0 &&
		      strcmp(get("etc/app/newdir/f"), "f\n") == 0,
	      "rename a directory with its file");
	check(mkdir(at("etc/app/made"), 0755) == 0 &&
		      rmdir(at("etc/app/made")) == 0 &&
		      stat(at("etc/app/made"), &st) < 0,
	      "mkdir then rmdir");
	errno = 0;
	check(rmdir(at("etc/app/sub")) < 0 && errno == ENOTEMPTY,
	      "rmdir of a full directory: ENOTEMPTY");
	check(unlink(at("etc/app/sub/s1")) == 0 &&
		      rmdir(at("etc/app/sub")) == 0,
	      "empty it, rmdir it");
	check(mkdir(at("etc/app/sub"), 0700) == 0 &&
		      strcmp(listing("etc/app/sub"), "") == 0,
	      "made again: empty (s1 stays gone)");
	check(link(at("etc/app/kept"), at("etc/app/kept2")) == 0 &&
		      stat(at("etc/app/kept2"), &st) == 0 && st.st_nlink == 2,
	      "a hard link: 2 links");
	check(strcmp(listing("etc/app"),
		     "a.conf kept kept2 m.txt newdir sub trunc") == 0,
	      "merged listing: %s", listing("etc/app"));
}

/* A read-only private mapping of a file, then a write through a fd. */
static void mapping(void)
{
	int fd = open(at("etc/app/m.txt"), O_RDONLY);
	char *p = fd < 0 ? MAP_FAILED :
			   mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

	check(p != MAP_FAILED && memcmp(p, "mapped\n", 7) == 0,
	      "read-only private mapping");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(fd);
	fd = open(at("etc/app/m.txt"), O_RDWR);
	p = fd < 0 ?
		    MAP_FAILED :
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED, "shared writable mapping after a copy");
	if (p != MAP_FAILED) {
		p[0] = 'M';
		munmap(p, 4096);
	}
	close(fd);
	check(strcmp(get("etc/app/m.txt"), "Mapped\n") == 0,
	      "the store is in the file");
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	check_start("overlay");
	if (argc > 1) {
		snprintf(base, sizeof(base), "%s", argv[1]);
	} else {
		strcpy(base, "/tmp/ovlXXXXXX");
		if (mkdtemp(base) == NULL)
			fail("mkdtemp");
		populate();
	}
	if (strcmp(base, "/") == 0)
		base[0] = '\0';
	if (argc > 2 && strcmp(argv[2], "pristine") == 0) {
		pristine();
	} else {
		pristine();
		mapping();
		writes();
		removals();
	}
	if (argc == 1) /* the directory it made */
		check(nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS) == 0,
		      "remove the tree");
	printf("overlay: all %d checks passed\n", check_count);
	return 0;
}
